//! alexa-skill on real-shaped Alexa requests for every request type and intent in every locale.
//! CodePipeline and SSM answer through the SDK's mock tools; DynamoDB persistence and the
//! operators parameter run against moto server.
// Test code: a failed step should stop the test at once and say where.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use alexa_skill::Skill;
use alexa_skill::adapters::{
    codepipeline::CodePipeline, dynamodb::SkillTable, ssm::OperatorsParameter,
};
use aws_sdk_codepipeline::operation::get_pipeline_state::{
    GetPipelineStateError, GetPipelineStateOutput,
};
use aws_sdk_codepipeline::operation::put_approval_result::{
    PutApprovalResultError, PutApprovalResultOutput,
};
use aws_sdk_codepipeline::types::{
    ActionExecution, ActionExecutionStatus, ActionState, ApprovalStatus, ErrorDetails,
    StageExecution, StageExecutionStatus, StageState,
};
use aws_sdk_ssm::operation::get_parameter::GetParameterOutput;
use aws_sdk_ssm::types::Parameter;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use ferrops::sts::{AssumeRoleProvider, CrossAccount};
use ferrops_alexa::{RequestEnvelope, ResponseEnvelope, SkillIds};
use ferrops_tests::{create_table, emulator, fixture, unique};
use serde_json::{Value, json};

const SKILL: &str = "amzn1.ask.skill.0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const OPERATOR: &str = "amzn1.ask.account.AFOPERATOREXAMPLE7NQH3RZ6E4C2MYX5JKBSA";
const TOKEN: &str = "11111111-2222-4333-8444-555555555555";
const LOCALES: &[&str] = &["en-US", "en-GB", "de-DE"];
/// The invocation's time, in seconds since the epoch.
const NOW: u64 = 1_767_225_600;

type App = Skill<CodePipeline, OperatorsParameter, SkillTable>;

fn strings(locale: &str) -> Value {
    let file = alexa_skill::LOCALES
        .iter()
        .find(|(l, _)| *l == locale)
        .unwrap()
        .1;
    serde_json::from_str(file).unwrap()
}

fn text(locale: &str, key: &str) -> String {
    strings(locale)[key].as_str().unwrap().to_string()
}

fn state(waiting: bool) -> GetPipelineStateOutput {
    let approval = ActionExecution::builder()
        .status(if waiting {
            ActionExecutionStatus::InProgress
        } else {
            ActionExecutionStatus::Succeeded
        })
        .token(TOKEN)
        .build();
    GetPipelineStateOutput::builder()
        .pipeline_name("my-app")
        .stage_states(
            StageState::builder()
                .stage_name("Commit")
                .latest_execution(
                    StageExecution::builder()
                        .pipeline_execution_id("e1")
                        .status(StageExecutionStatus::Succeeded)
                        .build()
                        .unwrap(),
                )
                .action_states(
                    ActionState::builder()
                        .action_name("Build")
                        .latest_execution(
                            ActionExecution::builder()
                                .status(ActionExecutionStatus::Succeeded)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .stage_states(
            StageState::builder()
                .stage_name("Acceptance")
                .latest_execution(
                    StageExecution::builder()
                        .pipeline_execution_id("e1")
                        .status(StageExecutionStatus::Failed)
                        .build()
                        .unwrap(),
                )
                .action_states(
                    ActionState::builder()
                        .action_name("Test")
                        .latest_execution(
                            ActionExecution::builder()
                                .status(ActionExecutionStatus::Failed)
                                .error_details(
                                    ErrorDetails::builder()
                                        .code("JobFailed")
                                        .message(
                                            "Command c1 failed on i-0abc: Failed, exit code 1.",
                                        )
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .stage_states(
            StageState::builder()
                .stage_name("Approve")
                .latest_execution(
                    StageExecution::builder()
                        .pipeline_execution_id("e1")
                        .status(StageExecutionStatus::InProgress)
                        .build()
                        .unwrap(),
                )
                .action_states(
                    ActionState::builder()
                        .action_name("ManualApproval")
                        .latest_execution(approval)
                        .build(),
                )
                .build(),
        )
        .stage_states(StageState::builder().stage_name("Publish").build())
        .build()
}

struct Mocks {
    get_state: Rule,
    put_approval: Rule,
    get_operators: Rule,
}

fn mocks(waiting: bool) -> Mocks {
    Mocks {
        get_state: mock!(aws_sdk_codepipeline::Client::get_pipeline_state).then_compute_response(
            move |r| {
                use aws_smithy_mocks::MockResponse;
                match r.name() {
                    Some("my-app") => MockResponse::Output(state(waiting)),
                    _ => MockResponse::Error(GetPipelineStateError::PipelineNotFoundException(
                        aws_sdk_codepipeline::types::error::PipelineNotFoundException::builder()
                            .message("not found")
                            .build(),
                    )),
                }
            },
        ),
        put_approval: mock!(aws_sdk_codepipeline::Client::put_approval_result)
            .then_output(|| PutApprovalResultOutput::builder().build()),
        get_operators: mock!(aws_sdk_ssm::Client::get_parameter)
            .match_requests(|r| {
                r.name() == Some("/ferrops/alexa/operators") && r.with_decryption() == Some(true)
            })
            .then_output(|| {
                GetParameterOutput::builder()
                    .parameter(
                        Parameter::builder()
                            .name("/ferrops/alexa/operators")
                            .value(json!({OPERATOR: "Ada Lovelace"}).to_string())
                            .build(),
                    )
                    .build()
            }),
    }
}

fn app(m: &Mocks) -> App {
    let cp = mock_client!(
        aws_sdk_codepipeline,
        RuleMode::MatchAny,
        [&m.get_state, &m.put_approval]
    );
    let ssm = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&m.get_operators]);
    let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, Vec::<&Rule>::new());
    let base = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let roles = AssumeRoleProvider::with_sts_client(sts, &base, "alexa-skill");
    let cp2 = cp.clone();
    Skill {
        pipelines: CodePipeline::new(CrossAccount::new(cp, roles, move |_| cp2.clone()), None),
        operators: OperatorsParameter::new(ssm, Some("/ferrops/alexa/operators".into())),
        attributes: None,
        catalog: alexa_skill::catalog().unwrap(),
        skill_ids: SkillIds::parse(Some(SKILL)),
    }
}

async fn ask(app: &App, request: Value) -> ResponseEnvelope {
    app.handle(request, NOW).await.unwrap()
}

fn speech(r: &ResponseEnvelope) -> String {
    r.speech().unwrap_or_default().to_string()
}

fn directive(r: &ResponseEnvelope) -> Option<String> {
    serde_json::to_value(r).unwrap()["response"]["directives"][0]["type"]
        .as_str()
        .map(str::to_string)
}

#[test]
fn every_fixture_parses_and_keeps_its_fields() {
    for locale in LOCALES {
        for entry in
            std::fs::read_dir(ferrops_tests::fixture_path(&format!("alexa/{locale}"))).unwrap()
        {
            let path = entry.unwrap().path();
            let raw: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let env: RequestEnvelope = serde_json::from_value(raw.clone())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                env.request.type_name(),
                raw["request"]["type"],
                "{}",
                path.display()
            );
            assert_eq!(
                env.request.common().locale.as_deref(),
                raw["request"]["locale"].as_str()
            );
            assert_eq!(
                env.request.common().request_id,
                raw["request"]["requestId"].as_str().unwrap()
            );
            assert_eq!(env.application_id(), Some(SKILL));
            if let Some(i) = raw["request"]["intent"]["name"].as_str() {
                let parsed = match &env.request {
                    ferrops_alexa::Request::Intent(r)
                    | ferrops_alexa::Request::CanFulfillIntent(r) => Some(r.intent.name.as_str()),
                    _ => None,
                };
                assert_eq!(parsed, Some(i), "{}", path.display());
            }
            assert!(
                !format!("{env:?}").contains("EXAMPLE.TOKEN"),
                "apiAccessToken must not print"
            );
        }
    }
}

#[tokio::test]
async fn facts_are_told_with_a_card_and_an_offer_of_another_in_every_locale() {
    for locale in LOCALES {
        let facts: Vec<String> = strings(locale)["FACTS"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect();
        for name in ["launch", "get-new-fact", "yes-after-fact"] {
            let r = ask(
                &app(&mocks(true)),
                fixture(&format!("alexa/{locale}/{name}.json")),
            )
            .await;
            let s = speech(&r);
            let told = facts
                .iter()
                .position(|f| s.contains(&ferrops_alexa::ssml::escape(f)))
                .unwrap_or_else(|| panic!("{locale}/{name}: no fact in {s}"));
            assert!(s.starts_with("<speak>"), "{s}");
            assert_eq!(r.reprompt_text(), Some(text(locale, "ANOTHER").as_str()));
            let v = serde_json::to_value(&r).unwrap();
            assert_eq!(v["response"]["card"]["title"], text(locale, "CARD_TITLE"));
            assert_eq!(v["response"]["card"]["content"], facts[told]);
            let heard = v["sessionAttributes"]["heard"].as_array().unwrap();
            assert!(heard.contains(&json!(told)));
            if name == "yes-after-fact" {
                assert!(
                    told != 0 && told != 1,
                    "{locale}: facts heard this session are not repeated"
                );
                assert_eq!(heard.len(), 3);
            }
        }
    }
}

#[tokio::test]
async fn help_has_a_reprompt_of_its_own() {
    for locale in LOCALES {
        let r = ask(
            &app(&mocks(true)),
            fixture(&format!("alexa/{locale}/help.json")),
        )
        .await;
        assert_eq!(speech(&r), text(locale, "HELP"));
        assert_eq!(
            r.reprompt_text(),
            Some(text(locale, "HELP_REPROMPT").as_str())
        );
        assert_ne!(r.reprompt_text(), r.speech());
        assert_eq!(r.response.should_end_session, Some(false));
    }
}

#[tokio::test]
async fn stop_cancel_and_no_say_goodbye_and_end() {
    for locale in LOCALES {
        for name in ["stop", "cancel", "no"] {
            let r = ask(
                &app(&mocks(true)),
                fixture(&format!("alexa/{locale}/{name}.json")),
            )
            .await;
            assert_eq!(speech(&r), text(locale, "STOP"), "{locale}/{name}");
            assert_eq!(r.response.should_end_session, Some(true));
        }
    }
}

#[tokio::test]
async fn fallback_unknown_intents_and_unknown_requests_get_a_helpful_reply() {
    for locale in LOCALES {
        for name in ["fallback", "unknown-intent", "skill-enabled"] {
            let r = ask(
                &app(&mocks(true)),
                fixture(&format!("alexa/{locale}/{name}.json")),
            )
            .await;
            assert_eq!(speech(&r), text(locale, "FALLBACK"), "{locale}/{name}");
            assert_eq!(
                r.reprompt_text(),
                Some(text(locale, "FALLBACK_REPROMPT").as_str())
            );
        }
    }
}

#[tokio::test]
async fn session_end_gets_an_empty_reply() {
    for locale in LOCALES {
        for name in ["session-ended", "session-ended-error"] {
            let r = ask(
                &app(&mocks(true)),
                fixture(&format!("alexa/{locale}/{name}.json")),
            )
            .await;
            assert_eq!(
                serde_json::to_value(&r).unwrap(),
                json!({"version": "1.0", "response": {}}),
                "{locale}/{name}"
            );
        }
    }
}

#[tokio::test]
async fn pipeline_status_reads_stages_failures_and_waiting_approvals() {
    for locale in LOCALES {
        let m = mocks(true);
        let r = ask(
            &app(&m),
            fixture(&format!("alexa/{locale}/pipeline-status.json")),
        )
        .await;
        let s = speech(&r);
        let st = strings(locale);
        for needle in [
            format!("Commit: {}.", st["STATUS_Succeeded"].as_str().unwrap()),
            format!("Acceptance: {}.", st["STATUS_Failed"].as_str().unwrap()),
            format!("Publish: {}.", st["STATUS_NotRun"].as_str().unwrap()),
            "Command c1 failed on i-0abc".to_string(),
            "ManualApproval".to_string(),
        ] {
            assert!(s.contains(&needle), "{locale}: {needle:?} missing from {s}");
        }
        assert_eq!(m.get_state.num_calls(), 1);
    }
}

#[tokio::test]
async fn pipeline_status_without_a_name_asks_for_one_and_unknown_names_are_said_so() {
    let m = mocks(true);
    let a = app(&m);
    let r = ask(&a, fixture("alexa/en-US/pipeline-status-no-slot.json")).await;
    assert_eq!(directive(&r).as_deref(), Some("Dialog.ElicitSlot"));
    assert_eq!(speech(&r), "Which pipeline?");
    let r = ask(&a, fixture("alexa/en-US/pipeline-status-unknown.json")).await;
    assert!(
        speech(&r).contains("I couldn&apos;t find a pipeline called billing-service."),
        "{}",
        speech(&r)
    );
}

#[tokio::test]
async fn approval_is_confirmed_aloud_before_anything_is_decided() {
    for locale in LOCALES {
        let m = mocks(true);
        let r = ask(&app(&m), fixture(&format!("alexa/{locale}/approve.json"))).await;
        assert_eq!(
            directive(&r).as_deref(),
            Some("Dialog.ConfirmIntent"),
            "{locale}"
        );
        let s = speech(&r);
        assert!(
            s.contains("ManualApproval") && s.contains("Approve") && s.contains("my-app"),
            "{locale}: {s}"
        );
        assert_eq!(r.session_attributes["pendingApproval"]["token"], TOKEN);
        assert_eq!(
            m.put_approval.num_calls(),
            0,
            "nothing is decided before confirmation"
        );
    }
}

#[tokio::test]
async fn a_confirmed_approval_records_who_approved() {
    let m = mocks(true);
    let decided = mock!(aws_sdk_codepipeline::Client::put_approval_result)
        .match_requests(|r| {
            let res = r.result().unwrap();
            r.pipeline_name() == Some("my-app")
                && r.stage_name() == Some("Approve")
                && r.action_name() == Some("ManualApproval")
                && r.token() == Some(TOKEN)
                && res.status() == &ApprovalStatus::Approved
                && res.summary().contains("Ada Lovelace")
                && res.summary().contains(OPERATOR)
        })
        .then_output(|| PutApprovalResultOutput::builder().build());
    let m = Mocks {
        put_approval: decided,
        ..m
    };
    let r = ask(&app(&m), fixture("alexa/en-US/approve-confirmed.json")).await;
    assert_eq!(m.put_approval.num_calls(), 1);
    assert_eq!(speech(&r), "Approved. Approve of my-app can continue.");
    assert!(r.session_attributes.get("pendingApproval").is_none());
}

#[tokio::test]
async fn a_confirmed_rejection_rejects() {
    let rejected = mock!(aws_sdk_codepipeline::Client::put_approval_result)
        .match_requests(|r| r.result().unwrap().status() == &ApprovalStatus::Rejected)
        .then_output(|| PutApprovalResultOutput::builder().build());
    let m = Mocks {
        put_approval: rejected,
        ..mocks(true)
    };
    let r = ask(&app(&m), fixture("alexa/de-DE/reject-confirmed.json")).await;
    assert_eq!(m.put_approval.num_calls(), 1);
    assert!(speech(&r).starts_with("Abgelehnt."), "{}", speech(&r));
}

#[tokio::test]
async fn a_denied_confirmation_decides_nothing() {
    let m = mocks(true);
    let r = ask(&app(&m), fixture("alexa/en-GB/approve-denied.json")).await;
    assert_eq!(m.put_approval.num_calls(), 0);
    assert_eq!(speech(&r), text("en-GB", "NOT_CONFIRMED"));
}

#[tokio::test]
async fn nothing_pending_and_the_wrong_pipeline_are_answered() {
    let m = mocks(false);
    let r = ask(&app(&m), fixture("alexa/en-US/approve.json")).await;
    assert_eq!(
        speech(&r),
        "Nothing in pipeline my-app is waiting for approval."
    );
    let mut wrong = fixture("alexa/en-US/approve.json");
    wrong["request"]["intent"]["slots"]["pipeline"]["resolutions"]["resolutionsPerAuthority"][0]
        ["values"][0]["value"]["id"] = json!("other-app");
    let r = ask(&app(&m), wrong).await;
    assert_eq!(speech(&r), "I couldn't find a pipeline called other-app.");
    assert_eq!(m.put_approval.num_calls(), 0);
}

#[tokio::test]
async fn a_token_that_changed_since_the_question_is_not_used() {
    let m = mocks(true);
    let mut stale = fixture("alexa/en-US/approve-confirmed.json");
    stale["session"]["attributes"]["pendingApproval"]["token"] =
        json!("99999999-2222-4333-8444-555555555555");
    let r = ask(&app(&m), stale).await;
    assert_eq!(m.put_approval.num_calls(), 0);
    assert_eq!(
        speech(&r),
        "The approval in my-app changed since you asked. Please ask again."
    );
}

#[tokio::test]
async fn an_approval_decided_elsewhere_meanwhile_is_reported() {
    let gone = mock!(aws_sdk_codepipeline::Client::put_approval_result).then_error(|| {
        PutApprovalResultError::ApprovalAlreadyCompletedException(
            aws_sdk_codepipeline::types::error::ApprovalAlreadyCompletedException::builder()
                .build(),
        )
    });
    let m = Mocks {
        put_approval: gone,
        ..mocks(true)
    };
    let r = ask(&app(&m), fixture("alexa/en-US/approve-confirmed.json")).await;
    assert_eq!(speech(&r), "That approval in my-app is no longer waiting.");
}

#[tokio::test]
async fn only_operators_may_use_pipeline_intents() {
    for name in ["pipeline-status", "approve", "approve-confirmed"] {
        let m = mocks(true);
        let mut req = fixture(&format!("alexa/en-US/{name}.json"));
        req["context"]["System"]["user"]["userId"] = json!("amzn1.ask.account.GUEST");
        req["session"]["user"]["userId"] = json!("amzn1.ask.account.GUEST");
        let r = ask(&app(&m), req).await;
        assert_eq!(speech(&r), text("en-US", "NOT_ALLOWED"), "{name}");
        assert_eq!(
            (m.get_state.num_calls(), m.put_approval.num_calls()),
            (0, 0),
            "{name}"
        );
    }
}

#[tokio::test]
async fn can_fulfill_answers_for_named_pipelines() {
    let r = ask(&app(&mocks(true)), fixture("alexa/en-US/can-fulfill.json")).await;
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["response"]["canFulfillIntent"]["canFulfill"], "YES");
    assert_eq!(
        v["response"]["canFulfillIntent"]["slots"]["pipeline"]["canUnderstand"],
        "YES"
    );
    assert!(r.speech().is_none());
}

#[tokio::test]
async fn requests_for_another_skill_are_refused_and_garbage_still_gets_speech() {
    let a = app(&mocks(true));
    let mut other = fixture("alexa/en-US/launch.json");
    other["context"]["System"]["application"]["applicationId"] =
        json!("amzn1.ask.skill.someone-else");
    let err = a.handle(other, NOW).await.unwrap_err();
    assert_eq!(
        lambda_runtime::Diagnostic::from(err).error_type,
        "SkillIdMismatch"
    );
    let r = a.handle(json!({"not": "alexa"}), NOW).await.unwrap();
    assert!(r.speech().is_some());
}

#[test]
fn every_locale_has_every_string() {
    let c = alexa_skill::catalog().unwrap();
    for locale in LOCALES {
        assert_eq!(c.missing_keys(locale), Vec::<String>::new(), "{locale}");
        assert!(strings(locale)["FACTS"].as_array().unwrap().len() >= 10);
    }
}

#[tokio::test]
async fn facts_heard_before_are_remembered_in_dynamodb_across_sessions() {
    let sdk = emulator().await;
    let table = unique("skill");
    create_table(&sdk, &table, "id").await.unwrap();
    let skill = Skill {
        attributes: Some(SkillTable::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            table.clone(),
        )),
        ..app(&mocks(true))
    };
    let count = strings("en-US")["FACTS"].as_array().unwrap().len();
    let mut told = std::collections::BTreeSet::new();
    for n in 0..count {
        let mut launch = fixture("alexa/en-US/launch.json");
        launch["request"]["requestId"] = json!(format!("amzn1.echo-api.request.{n}"));
        let r = skill.handle(launch, NOW).await.unwrap();
        let heard = r.session_attributes["heard"].as_array().unwrap().clone();
        let newest = heard
            .iter()
            .map(|h| h.as_u64().unwrap())
            .collect::<std::collections::BTreeSet<_>>();
        assert_eq!(
            newest.len(),
            n + 1,
            "each new session remembers earlier ones"
        );
        told.extend(newest);
    }
    assert_eq!(told.len(), count, "every fact told once before any repeats");

    let item = aws_sdk_dynamodb::Client::new(&sdk)
        .get_item()
        .table_name(&table)
        .key(
            "id",
            aws_sdk_dynamodb::types::AttributeValue::S(OPERATOR.into()),
        )
        .send()
        .await
        .unwrap();
    let stored: Value =
        serde_json::from_str(item.item().unwrap()["attributes"].as_s().unwrap()).unwrap();
    assert_eq!(stored["heard"]["en-US"].as_array().unwrap().len(), count);
    assert_eq!(
        item.item().unwrap()["updated_at"].as_n().unwrap(),
        &NOW.to_string(),
        "stamped with the invocation's time"
    );

    let mut again = fixture("alexa/en-US/launch.json");
    again["request"]["requestId"] = json!("amzn1.echo-api.request.after-all");
    let r = skill.handle(again, NOW).await.unwrap();
    assert_eq!(
        r.session_attributes["heard"].as_array().unwrap().len(),
        1,
        "the cycle starts again"
    );
}

#[tokio::test]
async fn the_operators_list_is_read_from_parameter_store() {
    use alexa_skill::ports::OperatorDirectory;
    let sdk = emulator().await;
    let ssm = aws_sdk_ssm::Client::new(&sdk);
    let name = format!("/{}/operators", unique("alexa"));
    ssm.put_parameter()
        .name(&name)
        .value(format!("{OPERATOR},amzn1.ask.account.SECOND"))
        .r#type(aws_sdk_ssm::types::ParameterType::StringList)
        .send()
        .await
        .unwrap();
    let ops = OperatorsParameter::new(ssm.clone(), Some(name))
        .operators()
        .await
        .unwrap();
    assert!(ops.allows(Some(OPERATOR)) && ops.allows(Some("amzn1.ask.account.SECOND")));
    let none = OperatorsParameter::new(ssm, Some("/does/not/exist".into()))
        .operators()
        .await
        .unwrap();
    assert!(
        !none.allows(Some(OPERATOR)),
        "a missing parameter allows nobody"
    );
}

mod skill_package {
    use super::*;
    use std::collections::BTreeSet;

    fn package(path: &str) -> Value {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../infra/alexa/skill-package")
            .join(path);
        serde_json::from_str(
            &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
        )
        .unwrap()
    }

    const CUSTOM: &[&str] = &[
        "GetNewFactIntent",
        "PipelineStatusIntent",
        "ApprovePipelineIntent",
        "RejectPipelineIntent",
    ];
    const REQUIRED_BUILTINS: &[&str] = &[
        "AMAZON.CancelIntent",
        "AMAZON.HelpIntent",
        "AMAZON.StopIntent",
        "AMAZON.FallbackIntent",
        "AMAZON.NavigateHomeIntent",
    ];

    #[test]
    fn manifest_lists_every_locale_and_points_at_a_lambda() {
        let m = package("skill.json");
        let locales: BTreeSet<&str> = m["manifest"]["publishingInformation"]["locales"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(locales, LOCALES.iter().copied().collect());
        let uri = m["manifest"]["apis"]["custom"]["endpoint"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            uri.starts_with("arn:aws:lambda:") && uri.contains(":function:"),
            "{uri}"
        );
        assert_eq!(
            m["manifest"]["apis"]["custom"]["interfaces"][0]["type"],
            "CAN_FULFILL_INTENT_REQUEST"
        );
    }

    #[test]
    fn every_locale_model_has_the_intents_samples_slots_and_prompts_the_code_expects() {
        for locale in LOCALES {
            let m = package(&format!("interactionModels/custom/{locale}.json"));
            let lm = &m["interactionModel"]["languageModel"];
            let invocation = lm["invocationName"].as_str().unwrap();
            assert!(
                invocation.split(' ').count() >= 2 && invocation == invocation.to_lowercase(),
                "{locale}: {invocation}"
            );
            let types: BTreeSet<&str> = lm["types"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap())
                .collect();
            let mut names = BTreeSet::new();
            for intent in lm["intents"].as_array().unwrap() {
                let name = intent["name"].as_str().unwrap();
                names.insert(name);
                let slots: BTreeSet<&str> = intent["slots"]
                    .as_array()
                    .map(|a| a.iter().map(|s| s["name"].as_str().unwrap()).collect())
                    .unwrap_or_default();
                for s in intent["slots"].as_array().into_iter().flatten() {
                    let t = s["type"].as_str().unwrap();
                    assert!(
                        types.contains(t) || t.starts_with("AMAZON."),
                        "{locale}/{name}: slot type {t} undeclared"
                    );
                }
                let samples = intent["samples"].as_array().unwrap();
                if CUSTOM.contains(&name) {
                    assert!(
                        samples.len() >= 8,
                        "{locale}/{name}: {} samples",
                        samples.len()
                    );
                }
                for sample in samples {
                    let sample = sample.as_str().unwrap();
                    for part in sample.split('{').skip(1) {
                        let slot = part.split('}').next().unwrap();
                        assert!(
                            slots.contains(slot),
                            "{locale}/{name}: sample {sample:?} uses undeclared slot {slot}"
                        );
                    }
                }
            }
            for want in CUSTOM.iter().chain(REQUIRED_BUILTINS) {
                assert!(names.contains(want), "{locale} lacks {want}");
            }
            let prompts: BTreeSet<&str> = m["interactionModel"]["prompts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap())
                .collect();
            for d in m["interactionModel"]["dialog"]["intents"]
                .as_array()
                .unwrap()
            {
                for s in d["slots"].as_array().unwrap() {
                    if let Some(p) = s["prompts"]["elicitation"].as_str() {
                        assert!(prompts.contains(p), "{locale}: prompt {p} undefined");
                    }
                }
            }
        }
    }

    #[tokio::test]
    async fn every_intent_in_the_models_has_a_handler_of_its_own() {
        for locale in LOCALES {
            let m = package(&format!("interactionModels/custom/{locale}.json"));
            for intent in m["interactionModel"]["languageModel"]["intents"]
                .as_array()
                .unwrap()
            {
                let name = intent["name"].as_str().unwrap();
                if name == "AMAZON.FallbackIntent" {
                    continue;
                }
                let mut req = fixture(&format!("alexa/{locale}/get-new-fact.json"));
                req["request"]["intent"] =
                    json!({"name": name, "confirmationStatus": "NONE", "slots": {}});
                req["session"]["attributes"] = json!({"lastPrompt": "fact"});
                let r = ask(&app(&mocks(true)), req).await;
                assert_ne!(
                    speech(&r),
                    text(locale, "FALLBACK"),
                    "{locale}: {name} falls through to the fallback"
                );
                assert_ne!(speech(&r), text(locale, "ERROR"), "{locale}: {name} fails");
            }
        }
    }
}
