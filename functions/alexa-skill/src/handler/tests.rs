//! The skill's behaviour, request by request, over in-memory ports.

use super::*;
use crate::operators::Operators;
use crate::pipeline::{ActionView, PipelineView, StageView};
use crate::ports::memory::{MemoryAttributes, MemoryOperators, MemoryPipelines};

const SKILL_ID: &str = "amzn1.ask.skill.1";
const OPERATOR: &str = "amzn1.ask.account.OPERATOR";
const GUEST: &str = "amzn1.ask.account.GUEST";
const TOKEN: &str = "11111111-2222-4333-8444-555555555555";
const NOW: u64 = 1_767_225_600;

type TestSkill = Skill<MemoryPipelines, MemoryOperators, MemoryAttributes>;

/// `my-app`: built, then waiting for approval at `ManualApproval`.
fn waiting() -> PipelineView {
    let action = |name: &str, status: &str, token: Option<&str>| ActionView {
        name: name.into(),
        status: Some(status.into()),
        error: None,
        token: token.map(str::to_string),
    };
    PipelineView {
        name: "my-app".into(),
        stages: vec![
            StageView {
                name: "Build".into(),
                status: Some("Failed".into()),
                actions: vec![ActionView {
                    error: Some("exit code 2 <make>".into()),
                    ..action("Compile", "Failed", None)
                }],
            },
            StageView {
                name: "Approve".into(),
                status: Some("InProgress".into()),
                actions: vec![action("ManualApproval", "InProgress", Some(TOKEN))],
            },
            StageView {
                name: "Publish".into(),
                status: None,
                actions: vec![],
            },
        ],
    }
}

fn skill() -> TestSkill {
    Skill {
        pipelines: MemoryPipelines::with(waiting()),
        operators: MemoryOperators {
            operators: Operators::parse(&json!({ OPERATOR: "Ada Lovelace" }).to_string()),
            down: false,
        },
        attributes: Some(MemoryAttributes::default()),
        catalog: crate::catalog().unwrap(),
        skill_ids: SkillIds::parse(Some(SKILL_ID)),
    }
}

fn text(locale: &str, key: &str) -> String {
    crate::catalog().unwrap().strings(Some(locale)).get(key)
}

fn facts(locale: &str) -> Vec<String> {
    crate::catalog()
        .unwrap()
        .strings(Some(locale))
        .list("FACTS")
}

/// `request` as Alexa sends it for `SKILL_ID`, from `user`, with the session attributes
/// `session`.
fn envelope(user: &str, session: Value, request: Value) -> Value {
    json!({
        "version": "1.0",
        "session": {"new": false, "sessionId": "s", "application": {"applicationId": SKILL_ID},
            "attributes": session, "user": {"userId": user}},
        "context": {"System": {"application": {"applicationId": SKILL_ID}, "user": {"userId": user}}},
        "request": request
    })
}

fn launch(locale: &str, request_id: &str) -> Value {
    envelope(
        OPERATOR,
        json!({}),
        json!({"type": "LaunchRequest", "requestId": request_id, "locale": locale}),
    )
}

fn intent(locale: &str, name: &str, confirmation: &str, slots: Value) -> Value {
    json!({"type": "IntentRequest", "requestId": "r1", "locale": locale,
        "intent": {"name": name, "confirmationStatus": confirmation, "slots": slots}})
}

/// The `pipeline` slot as Alexa fills it when entity resolution matched `id`.
fn pipeline_slot(id: &str) -> Value {
    json!({"pipeline": {"name": "pipeline", "value": id.replace('-', " "), "resolutions": {"resolutionsPerAuthority": [
        {"authority": "amzn1.er-authority.echo-sdk.x.PIPELINE", "status": {"code": "ER_SUCCESS_MATCH"},
         "values": [{"value": {"name": id.replace('-', " "), "id": id}}]}]}}})
}

fn ask_for(name: &str, locale: &str, confirmation: &str, session: Value) -> Value {
    envelope(
        OPERATOR,
        session,
        intent(locale, name, confirmation, pipeline_slot("my-app")),
    )
}

fn pending_in_session(token: &str) -> Value {
    json!({"pendingApproval": {"pipeline": "my-app", "stage": "Approve", "action": "ManualApproval", "token": token}})
}

async fn ask(skill: &TestSkill, payload: Value) -> ResponseEnvelope {
    skill.handle(payload, NOW).await.unwrap()
}

fn speech(r: &ResponseEnvelope) -> &str {
    r.speech().unwrap_or_default()
}

fn directive(r: &ResponseEnvelope) -> Value {
    serde_json::to_value(r).unwrap()["response"]["directives"][0]["type"].clone()
}

/// The index of the fact `r` tells.
fn told(r: &ResponseEnvelope, locale: &str) -> usize {
    facts(locale)
        .iter()
        .position(|f| speech(r).contains(&ferrops_alexa::ssml::escape(f)))
        .unwrap_or_else(|| panic!("no fact in {}", speech(r)))
}

#[tokio::test]
async fn a_fact_is_told_with_a_card_and_an_offer_of_another() {
    let s = skill();
    let r = ask(&s, launch("de-DE", "r1")).await;
    let i = told(&r, "de-DE");
    assert!(speech(&r).starts_with("<speak>"));
    assert_eq!(r.reprompt_text(), Some(text("de-DE", "ANOTHER").as_str()));
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["response"]["card"]["title"], text("de-DE", "CARD_TITLE"));
    assert_eq!(v["response"]["card"]["content"], facts("de-DE")[i]);
    assert_eq!(r.session_attributes["heard"], json!([i]));
    assert_eq!(r.session_attributes["lastPrompt"], "fact");
    let (stored, at) = s.attributes.as_ref().unwrap().stored(OPERATOR).unwrap();
    assert_eq!(stored["heard"]["de-DE"], json!([i]));
    assert_eq!(at, NOW, "stamped with the invocation's time");
}

#[tokio::test]
async fn facts_heard_in_earlier_sessions_are_not_repeated_until_all_are_told() {
    let s = skill();
    let count = facts("en-US").len();
    let mut heard = BTreeSet::new();
    for n in 0..count {
        let r = ask(&s, launch("en-US", &format!("r{n}"))).await;
        assert!(heard.insert(told(&r, "en-US")), "fact repeated at {n}");
        assert_eq!(
            r.session_attributes["heard"].as_array().unwrap().len(),
            n + 1
        );
    }
    let r = ask(&s, launch("en-US", "after-all")).await;
    assert_eq!(
        r.session_attributes["heard"],
        json!([told(&r, "en-US")]),
        "the cycle starts again"
    );
    assert_eq!(
        s.attributes.as_ref().unwrap().calls(),
        (count + 1, count + 1)
    );
}

#[tokio::test]
async fn facts_heard_this_session_are_not_repeated_without_a_store() {
    let s = TestSkill {
        attributes: None,
        ..skill()
    };
    let yes = envelope(
        OPERATOR,
        json!({"heard": [0, 1], "lastPrompt": "fact"}),
        intent("en-GB", "AMAZON.YesIntent", "NONE", json!({})),
    );
    let r = ask(&s, yes).await;
    let i = told(&r, "en-GB");
    assert!(i != 0 && i != 1, "told {i}");
    assert_eq!(r.session_attributes["heard"], json!([0, 1, i]));
}

#[tokio::test]
async fn stored_attributes_are_neither_read_nor_written_by_other_requests() {
    let s = skill();
    for name in [
        "AMAZON.HelpIntent",
        "AMAZON.StopIntent",
        "PipelineStatusIntent",
    ] {
        ask(&s, ask_for(name, "en-US", "NONE", json!({}))).await;
    }
    assert_eq!(s.attributes.as_ref().unwrap().calls(), (0, 0));
}

#[tokio::test]
async fn yes_after_anything_but_a_fact_is_not_understood() {
    let yes = envelope(
        OPERATOR,
        json!({"lastPrompt": "help"}),
        intent("en-US", "AMAZON.YesIntent", "NONE", json!({})),
    );
    let r = ask(&skill(), yes).await;
    assert_eq!(speech(&r), text("en-US", "FALLBACK"));
}

#[tokio::test]
async fn help_has_a_reprompt_of_its_own_and_keeps_the_session() {
    let help = envelope(
        OPERATOR,
        json!({"heard": [2]}),
        intent("de-DE", "AMAZON.HelpIntent", "NONE", json!({})),
    );
    let r = ask(&skill(), help).await;
    assert_eq!(speech(&r), text("de-DE", "HELP"));
    assert_eq!(
        r.reprompt_text(),
        Some(text("de-DE", "HELP_REPROMPT").as_str())
    );
    assert_eq!(r.response.should_end_session, Some(false));
    assert_eq!(
        Value::Object(r.session_attributes),
        json!({"heard": [2], "lastPrompt": "help"}),
        "session attributes go back while the session stays open"
    );
}

#[tokio::test]
async fn stop_cancel_no_and_navigate_home_say_goodbye_and_end_the_session() {
    for name in [
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.NoIntent",
        "AMAZON.NavigateHomeIntent",
    ] {
        let req = envelope(
            OPERATOR,
            json!({"heard": [2]}),
            intent("en-GB", name, "NONE", json!({})),
        );
        let r = ask(&skill(), req).await;
        assert_eq!(speech(&r), text("en-GB", "STOP"), "{name}");
        assert_eq!(r.response.should_end_session, Some(true));
        assert!(r.session_attributes.is_empty(), "{name}");
    }
}

#[tokio::test]
async fn the_fallback_unknown_intents_and_unknown_request_types_get_a_helpful_reply() {
    let skill_enabled = envelope(
        OPERATOR,
        json!({}),
        json!({"type": "AlexaSkillEvent.SkillEnabled", "requestId": "r1", "locale": "en-US"}),
    );
    for req in [
        ask_for("AMAZON.FallbackIntent", "en-US", "NONE", json!({})),
        ask_for("OrderPizzaIntent", "en-US", "NONE", json!({})),
        skill_enabled,
    ] {
        let r = ask(&skill(), req).await;
        assert_eq!(speech(&r), text("en-US", "FALLBACK"));
        assert_eq!(
            r.reprompt_text(),
            Some(text("en-US", "FALLBACK_REPROMPT").as_str())
        );
    }
}

#[tokio::test]
async fn a_session_end_gets_an_empty_reply() {
    for ended in [
        json!({"type": "SessionEndedRequest", "requestId": "r1", "locale": "en-US", "reason": "USER_INITIATED"}),
        json!({"type": "SessionEndedRequest", "requestId": "r1", "locale": "en-US", "reason": "ERROR",
            "error": {"type": "INVALID_RESPONSE", "message": "bad"}}),
    ] {
        let r = ask(&skill(), envelope(OPERATOR, json!({}), ended)).await;
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"version": "1.0", "response": {}})
        );
    }
}

#[tokio::test]
async fn requests_for_another_skill_are_refused_without_a_reply() {
    let s = skill();
    let mut other = ask_for("PipelineStatusIntent", "en-US", "NONE", json!({}));
    other["context"]["System"]["application"]["applicationId"] = json!("amzn1.ask.skill.9");
    let err = s.handle(other, NOW).await.unwrap_err();
    assert!(matches!(
        &err,
        SkillError::SkillIdMismatch { application_id: Some(id) } if id == "amzn1.ask.skill.9"
    ));
    assert_eq!(
        lambda_runtime::Diagnostic::from(err).error_type,
        "SkillIdMismatch"
    );
    assert_eq!(s.pipelines.reads(), 0);
}

#[tokio::test]
async fn an_empty_skill_id_list_answers_every_skill() {
    let s = TestSkill {
        skill_ids: SkillIds::parse(None),
        ..skill()
    };
    let mut other = launch("en-US", "r1");
    other["context"]["System"]["application"]["applicationId"] = json!("amzn1.ask.skill.9");
    assert!(s.handle(other, NOW).await.is_ok());
}

#[tokio::test]
async fn a_payload_that_is_not_an_alexa_request_still_gets_speech() {
    let r = ask(&skill(), json!({"not": "alexa"})).await;
    assert_eq!(speech(&r), LAST_RESORT);
    assert_eq!(r.response.should_end_session, Some(true));
}

#[tokio::test]
async fn only_operators_may_use_the_pipeline_intents() {
    for (name, confirmation) in [
        ("PipelineStatusIntent", "NONE"),
        ("ApprovePipelineIntent", "NONE"),
        ("ApprovePipelineIntent", "CONFIRMED"),
        ("RejectPipelineIntent", "CONFIRMED"),
    ] {
        let s = skill();
        let mut req = ask_for(name, "en-US", confirmation, pending_in_session(TOKEN));
        req["context"]["System"]["user"]["userId"] = json!(GUEST);
        let r = ask(&s, req).await;
        assert_eq!(speech(&r), text("en-US", "NOT_ALLOWED"), "{name}");
        assert_eq!(r.response.should_end_session, Some(true));
        assert_eq!((s.pipelines.reads(), s.pipelines.decisions().len()), (0, 0));
    }
}

#[tokio::test]
async fn a_pipeline_intent_without_a_name_asks_for_one() {
    for name in ["PipelineStatusIntent", "ApprovePipelineIntent"] {
        let s = skill();
        let req = envelope(
            OPERATOR,
            json!({}),
            intent(
                "en-US",
                name,
                "NONE",
                json!({"pipeline": {"name": "pipeline"}}),
            ),
        );
        let r = ask(&s, req).await;
        assert_eq!(directive(&r), "Dialog.ElicitSlot");
        assert_eq!(speech(&r), text("en-US", "ASK_PIPELINE"));
        assert_eq!(s.pipelines.reads(), 0);
    }
}

#[tokio::test]
async fn pipeline_status_names_every_stage_what_failed_and_what_waits() {
    let s = skill();
    let r = ask(
        &s,
        ask_for("PipelineStatusIntent", "en-US", "NONE", json!({})),
    )
    .await;
    for needle in [
        "Build: failed.",
        "Approve: in progress.",
        "Publish: not run.",
        "Build failed at Compile: exit code 2 &lt;make&gt;",
        "Approve is waiting for approval at ManualApproval.",
    ] {
        assert!(speech(&r).contains(needle), "{needle:?} in {}", speech(&r));
    }
    assert_eq!(r.reprompt_text(), Some("Anything else?"));
    assert_eq!(r.session_attributes["lastPrompt"], "status");
}

#[tokio::test]
async fn an_unresolved_pipeline_name_is_heard_as_hyphenated_words() {
    let req = envelope(
        OPERATOR,
        json!({}),
        intent(
            "en-US",
            "PipelineStatusIntent",
            "NONE",
            json!({"pipeline": {"name": "pipeline", "value": "my app"}}),
        ),
    );
    let r = ask(&skill(), req).await;
    assert!(speech(&r).contains("Pipeline my-app."), "{}", speech(&r));
}

#[tokio::test]
async fn unknown_pipelines_and_pipelines_with_nothing_waiting_are_said_so() {
    let s = skill();
    let unknown = envelope(
        OPERATOR,
        json!({}),
        intent(
            "en-US",
            "ApprovePipelineIntent",
            "NONE",
            pipeline_slot("billing"),
        ),
    );
    let r = ask(&s, unknown).await;
    assert_eq!(speech(&r), "I couldn't find a pipeline called billing.");
    let mut done = waiting();
    done.stages[1].actions[0].status = Some("Succeeded".into());
    let s = TestSkill {
        pipelines: MemoryPipelines::with(done),
        ..skill()
    };
    let r = ask(
        &s,
        ask_for("ApprovePipelineIntent", "en-US", "NONE", json!({})),
    )
    .await;
    assert_eq!(
        speech(&r),
        "Nothing in pipeline my-app is waiting for approval."
    );
    assert!(s.pipelines.decisions().is_empty());
}

#[tokio::test]
async fn an_approval_is_confirmed_aloud_before_anything_is_decided() {
    for (name, key) in [
        ("ApprovePipelineIntent", "CONFIRM_APPROVE"),
        ("RejectPipelineIntent", "CONFIRM_REJECT"),
    ] {
        let s = skill();
        let r = ask(&s, ask_for(name, "en-GB", "NONE", json!({}))).await;
        assert_eq!(directive(&r), "Dialog.ConfirmIntent");
        let question = crate::catalog().unwrap().strings(Some("en-GB")).format(
            key,
            &[
                ("pipeline", "my-app"),
                ("stage", "Approve"),
                ("action", "ManualApproval"),
            ],
        );
        assert_eq!(speech(&r), question);
        assert_eq!(
            r.session_attributes["pendingApproval"],
            pending_in_session(TOKEN)["pendingApproval"]
        );
        assert!(s.pipelines.decisions().is_empty(), "nothing decided yet");
    }
}

#[tokio::test]
async fn a_confirmed_approval_is_recorded_with_who_approved() {
    let s = skill();
    let r = ask(
        &s,
        ask_for(
            "ApprovePipelineIntent",
            "en-US",
            "CONFIRMED",
            pending_in_session(TOKEN),
        ),
    )
    .await;
    let decisions = s.pipelines.decisions();
    assert_eq!(decisions.len(), 1);
    let d = &decisions[0];
    assert!(d.approve);
    assert_eq!(d.approval.token, TOKEN);
    assert!(
        d.summary.contains("Ada Lovelace") && d.summary.contains(OPERATOR),
        "{}",
        d.summary
    );
    assert_eq!(speech(&r), "Approved. Approve of my-app can continue.");
    assert!(r.session_attributes.get("pendingApproval").is_none());
}

#[tokio::test]
async fn a_confirmed_rejection_rejects() {
    let s = skill();
    let r = ask(
        &s,
        ask_for(
            "RejectPipelineIntent",
            "de-DE",
            "CONFIRMED",
            pending_in_session(TOKEN),
        ),
    )
    .await;
    let decisions = s.pipelines.decisions();
    assert_eq!(decisions.len(), 1);
    assert!(!decisions[0].approve);
    assert!(speech(&r).starts_with("Abgelehnt."), "{}", speech(&r));
}

#[tokio::test]
async fn a_denied_confirmation_decides_nothing() {
    let s = skill();
    let r = ask(
        &s,
        ask_for(
            "ApprovePipelineIntent",
            "en-GB",
            "DENIED",
            pending_in_session(TOKEN),
        ),
    )
    .await;
    assert!(s.pipelines.decisions().is_empty());
    assert_eq!(speech(&r), text("en-GB", "NOT_CONFIRMED"));
    assert!(r.session_attributes.get("pendingApproval").is_none());
}

#[tokio::test]
async fn an_approval_that_changed_since_the_question_is_not_decided() {
    let s = skill();
    let stale = pending_in_session("99999999-2222-4333-8444-555555555555");
    let r = ask(
        &s,
        ask_for("ApprovePipelineIntent", "en-US", "CONFIRMED", stale),
    )
    .await;
    assert!(s.pipelines.decisions().is_empty());
    assert_eq!(
        speech(&r),
        "The approval in my-app changed since you asked. Please ask again."
    );
}

#[tokio::test]
async fn an_approval_decided_elsewhere_meanwhile_is_reported() {
    let s = TestSkill {
        pipelines: MemoryPipelines {
            decided_elsewhere: BTreeSet::from([TOKEN.to_string()]),
            ..MemoryPipelines::with(waiting())
        },
        ..skill()
    };
    let r = ask(
        &s,
        ask_for(
            "ApprovePipelineIntent",
            "en-US",
            "CONFIRMED",
            pending_in_session(TOKEN),
        ),
    )
    .await;
    assert_eq!(speech(&r), "That approval in my-app is no longer waiting.");
}

#[tokio::test]
async fn failures_become_an_apology_in_the_users_language() {
    let pipelines_down = TestSkill {
        pipelines: MemoryPipelines {
            down: true,
            ..MemoryPipelines::with(waiting())
        },
        ..skill()
    };
    let operators_down = TestSkill {
        operators: MemoryOperators {
            down: true,
            ..MemoryOperators::default()
        },
        ..skill()
    };
    let store_down = TestSkill {
        attributes: Some(MemoryAttributes {
            down: true,
            ..MemoryAttributes::default()
        }),
        ..skill()
    };
    let status = ask_for("PipelineStatusIntent", "de-DE", "NONE", json!({}));
    for (s, req) in [
        (&pipelines_down, status.clone()),
        (&operators_down, status),
        (&store_down, launch("de-DE", "r1")),
    ] {
        let r = ask(s, req).await;
        assert_eq!(speech(&r), text("de-DE", "ERROR"));
        assert_eq!(
            r.reprompt_text(),
            Some(text("de-DE", "ERROR_REPROMPT").as_str())
        );
    }
}

fn catalog_with(strings: Value) -> Catalog {
    Catalog::from_json(&[("en-US", &strings.to_string())], "en-US").unwrap()
}

#[tokio::test]
async fn a_reply_over_alexas_limits_becomes_an_apology() {
    let s = TestSkill {
        catalog: catalog_with(json!({
            "FACTS": ["x".repeat(9000)], "FACT_SPEECH": "{fact}",
            "ERROR": "Sorry.", "ERROR_REPROMPT": "Again?"
        })),
        ..skill()
    };
    let r = ask(&s, launch("en-US", "r1")).await;
    assert_eq!(speech(&r), "Sorry.");
}

#[tokio::test]
async fn an_apology_over_the_limits_falls_back_to_the_last_resort() {
    let s = TestSkill {
        catalog: catalog_with(json!({"ERROR": "e".repeat(9000), "ERROR_REPROMPT": "Again?"})),
        pipelines: MemoryPipelines {
            down: true,
            ..MemoryPipelines::default()
        },
        ..skill()
    };
    let r = ask(
        &s,
        ask_for("PipelineStatusIntent", "en-US", "NONE", json!({})),
    )
    .await;
    assert_eq!(speech(&r), LAST_RESORT);
}

#[tokio::test]
async fn can_fulfill_says_yes_to_facts_and_named_pipelines_only() {
    let can = |name: &str, slots: Value| {
        envelope(
            OPERATOR,
            json!({}),
            json!({"type": "CanFulfillIntentRequest", "requestId": "r1", "locale": "en-US",
                "intent": {"name": name, "slots": slots}}),
        )
    };
    let answer = |r: &ResponseEnvelope| {
        serde_json::to_value(r).unwrap()["response"]["canFulfillIntent"].clone()
    };
    let s = skill();
    let named = ask(&s, can("PipelineStatusIntent", pipeline_slot("my-app"))).await;
    assert_eq!(
        answer(&named),
        json!({"canFulfill": "YES", "slots": {"pipeline": {"canUnderstand": "YES", "canFulfill": "YES"}}})
    );
    assert!(named.speech().is_none());
    let unnamed = ask(&s, can("ApprovePipelineIntent", json!({}))).await;
    assert_eq!(answer(&unnamed)["canFulfill"], "NO");
    let fact = ask(&s, can("GetNewFactIntent", json!({}))).await;
    assert_eq!(answer(&fact), json!({"canFulfill": "YES"}));
    let other = ask(&s, can("OrderPizzaIntent", json!({}))).await;
    assert_eq!(answer(&other)["canFulfill"], "NO");
    assert_eq!(s.pipelines.reads(), 0, "answered without looking");
}

#[tokio::test]
async fn an_unsupported_locale_is_answered_in_the_default_one() {
    let r = ask(
        &skill(),
        ask_for("AMAZON.HelpIntent", "fr-FR", "NONE", json!({})),
    )
    .await;
    assert_eq!(speech(&r), text("en-US", "HELP"));
}
