//! The skill's handlers. Each declares what it handles; the order in [`crate::skill`] decides
//! which of several candidates answers.

use crate::facts;
use crate::pipeline::{PendingApproval, pending_approvals, status_speech};
use crate::ports::{Decided, OperatorDirectory, Pipelines, Services};
use ferrops_alexa::i18n::Strings;
use ferrops_alexa::request::{Confirmation, Intent, Request};
use ferrops_alexa::skill::{BoxFuture, Handler, Input, SkillError};
use ferrops_alexa::{
    CanFulfill, CanFulfillSlot, Directive, ResponseBuilder, ResponseEnvelope, Ssml,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

type Reply = Result<ResponseEnvelope, SkillError>;

/// The session attribute naming what the last question was, so "yes" and "no" make sense.
const LAST_PROMPT: &str = "lastPrompt";
/// The session attribute with the facts heard this session.
const HEARD: &str = "heard";
/// The session attribute holding the approval the user is confirming.
const PENDING: &str = "pendingApproval";

fn ids(v: Option<&Value>) -> BTreeSet<usize> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .map(|n| n as usize)
                .collect()
        })
        .unwrap_or_default()
}

/// Tells a fact the user has not heard, remembering it in the session and persistently.
async fn tell_fact(input: &mut Input<'_>) -> Reply {
    let facts = input.strings.list("FACTS");
    let locale = input.strings.locale().to_string();
    let request_id = input.request().common().request_id.clone();
    let mut heard = ids(input.session_attributes.get(HEARD));
    let persistent = input.persistent().await?;
    heard.extend(ids(persistent.get(HEARD).and_then(|h| h.get(&locale))));
    let Some((i, reset)) = facts::pick(facts.len(), &heard, &request_id) else {
        return Err(SkillError::failed(
            "telling a fact",
            format!("locale {locale} has no facts"),
        ));
    };
    if reset {
        heard.clear();
    }
    heard.insert(i);
    let heard_json = json!(heard);
    let mut by_locale = persistent
        .get(HEARD)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    by_locale.insert(locale, heard_json.clone());
    persistent.insert(HEARD.into(), Value::Object(by_locale));
    input.session_attributes.insert(HEARD.into(), heard_json);
    input
        .session_attributes
        .insert(LAST_PROMPT.into(), json!("fact"));

    let fact = &facts[i];
    let speech = Ssml::new()
        .text(&input.strings.format("FACT_SPEECH", &[("fact", fact)]))
        .pause(400)
        .text(&input.strings.get("ANOTHER"));
    Ok(ResponseBuilder::new()
        .speak_ssml(&speech)
        .reprompt(input.strings.get("ANOTHER"))
        .simple_card(input.strings.get("CARD_TITLE"), fact.clone())
        .build())
}

fn goodbye(strings: &Strings<'_>) -> ResponseEnvelope {
    ResponseBuilder::new()
        .speak(strings.get("STOP"))
        .end_session(true)
        .build()
}

/// `LaunchRequest`, `GetNewFactIntent`, and "yes" after a fact.
pub struct Facts;

impl<C: Sync> Handler<C> for Facts {
    fn can_handle(&self, input: &Input<'_>) -> bool {
        matches!(input.request(), Request::Launch(_))
            || input.is_intent("GetNewFactIntent")
            || (input.is_intent("AMAZON.YesIntent")
                && input.session_attributes.get(LAST_PROMPT) == Some(&json!("fact")))
    }
    fn handle<'a, 'b: 'a>(&'a self, input: &'a mut Input<'b>, _: &'a C) -> BoxFuture<'a, Reply> {
        Box::pin(tell_fact(input))
    }
}

/// `AMAZON.HelpIntent`: what the skill can do, with a reprompt of its own.
pub struct Help;

impl<C: Sync> Handler<C> for Help {
    fn can_handle(&self, input: &Input<'_>) -> bool {
        input.is_intent("AMAZON.HelpIntent")
    }
    fn handle<'a, 'b: 'a>(&'a self, input: &'a mut Input<'b>, _: &'a C) -> BoxFuture<'a, Reply> {
        Box::pin(async move {
            input
                .session_attributes
                .insert(LAST_PROMPT.into(), json!("help"));
            Ok(ResponseBuilder::new()
                .speak(input.strings.get("HELP"))
                .reprompt(input.strings.get("HELP_REPROMPT"))
                .build())
        })
    }
}

/// `AMAZON.StopIntent`, `AMAZON.CancelIntent`, `AMAZON.NavigateHomeIntent` and "no": goodbye.
pub struct Stop;

impl<C: Sync> Handler<C> for Stop {
    fn can_handle(&self, input: &Input<'_>) -> bool {
        [
            "AMAZON.StopIntent",
            "AMAZON.CancelIntent",
            "AMAZON.NoIntent",
            "AMAZON.NavigateHomeIntent",
        ]
        .iter()
        .any(|i| input.is_intent(i))
    }
    fn handle<'a, 'b: 'a>(&'a self, input: &'a mut Input<'b>, _: &'a C) -> BoxFuture<'a, Reply> {
        Box::pin(async move { Ok(goodbye(&input.strings)) })
    }
}

/// `SessionEndedRequest`: logged, answered with nothing.
pub struct SessionEnded;

impl<C: Sync> Handler<C> for SessionEnded {
    fn can_handle(&self, input: &Input<'_>) -> bool {
        matches!(input.request(), Request::SessionEnded(_))
    }
    fn handle<'a, 'b: 'a>(&'a self, input: &'a mut Input<'b>, _: &'a C) -> BoxFuture<'a, Reply> {
        Box::pin(async move {
            if let Request::SessionEnded(r) = input.request() {
                match &r.error {
                    Some(e) => {
                        tracing::warn!(reason = ?r.reason, error_type = %e.error_type, message = %e.message, "session ended with an error")
                    }
                    None => tracing::info!(reason = ?r.reason, "session ended"),
                }
            }
            Ok(ResponseBuilder::new().build())
        })
    }
}

/// `AMAZON.FallbackIntent`, unknown intents and unknown request types.
pub struct Fallback;

impl<C: Sync> Handler<C> for Fallback {
    fn can_handle(&self, input: &Input<'_>) -> bool {
        matches!(input.request(), Request::Intent(_) | Request::Other(_))
    }
    fn handle<'a, 'b: 'a>(&'a self, input: &'a mut Input<'b>, _: &'a C) -> BoxFuture<'a, Reply> {
        Box::pin(async move {
            if let Some(name) = input
                .intent_name()
                .filter(|n| *n != "AMAZON.FallbackIntent")
            {
                tracing::info!(intent = name, "unhandled intent");
            }
            Ok(ResponseBuilder::new()
                .speak(input.strings.get("FALLBACK"))
                .reprompt(input.strings.get("FALLBACK_REPROMPT"))
                .build())
        })
    }
}

/// `CanFulfillIntentRequest`: yes for facts and for pipeline intents that name a pipeline.
pub struct CanFulfillIntent;

impl<C: Sync> Handler<C> for CanFulfillIntent {
    fn can_handle(&self, input: &Input<'_>) -> bool {
        matches!(input.request(), Request::CanFulfillIntent(_))
    }
    fn handle<'a, 'b: 'a>(&'a self, input: &'a mut Input<'b>, _: &'a C) -> BoxFuture<'a, Reply> {
        Box::pin(async move {
            let Request::CanFulfillIntent(r) = input.request() else {
                return Err(SkillError::NoHandler("CanFulfillIntentRequest".into()));
            };
            let yes = |b: bool| if b { "YES" } else { "NO" }.to_string();
            let mut slots = BTreeMap::new();
            let can = match r.intent.name.as_str() {
                "GetNewFactIntent" => true,
                "PipelineStatusIntent" | "ApprovePipelineIntent" | "RejectPipelineIntent" => {
                    let named = pipeline_name(&r.intent).is_some();
                    slots.insert(
                        "pipeline".to_string(),
                        CanFulfillSlot {
                            can_understand: yes(named),
                            can_fulfill: yes(named),
                        },
                    );
                    named
                }
                _ => false,
            };
            Ok(ResponseBuilder::new()
                .can_fulfill(CanFulfill {
                    can_fulfill: yes(can),
                    slots,
                })
                .build())
        })
    }
}

/// The pipeline the user named: the resolved slot ID, or the heard words joined by hyphens.
pub fn pipeline_name(intent: &Intent) -> Option<String> {
    intent
        .slot_value("pipeline")
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join("-"))
}

async fn operator<P: Pipelines, O: OperatorDirectory>(
    input: &Input<'_>,
    ctx: &Services<P, O>,
) -> Result<Option<String>, SkillError> {
    let ops = ctx
        .operators
        .operators()
        .await
        .map_err(|e| SkillError::failed("reading the operators list", e))?;
    let user = input.envelope.user_id();
    if ops.allows(user) {
        Ok(user.map(|u| ops.describe(u)))
    } else {
        tracing::warn!(user_id = ?user, intent = ?input.intent_name(), "user is not an operator");
        Ok(None)
    }
}

fn not_allowed(strings: &Strings<'_>) -> ResponseEnvelope {
    ResponseBuilder::new()
        .speak(strings.get("NOT_ALLOWED"))
        .end_session(true)
        .build()
}

fn ask_pipeline(strings: &Strings<'_>) -> ResponseEnvelope {
    ResponseBuilder::new()
        .speak(strings.get("ASK_PIPELINE"))
        .reprompt(strings.get("ASK_PIPELINE"))
        .directive(Directive::ElicitSlot {
            slot_to_elicit: "pipeline".into(),
            updated_intent: None,
        })
        .build()
}

/// `PipelineStatusIntent`: stages, their latest status, what failed and what waits.
pub struct PipelineStatus;

impl<P: Pipelines, O: OperatorDirectory> Handler<Services<P, O>> for PipelineStatus {
    fn can_handle(&self, input: &Input<'_>) -> bool {
        input.is_intent("PipelineStatusIntent")
    }
    fn handle<'a, 'b: 'a>(
        &'a self,
        input: &'a mut Input<'b>,
        ctx: &'a Services<P, O>,
    ) -> BoxFuture<'a, Reply> {
        Box::pin(async move {
            if operator(input, ctx).await?.is_none() {
                return Ok(not_allowed(&input.strings));
            }
            let Some(name) = input.envelope.request.intent().and_then(pipeline_name) else {
                return Ok(ask_pipeline(&input.strings));
            };
            let state = ctx
                .pipelines
                .state(&name)
                .await
                .map_err(|e| SkillError::failed("reading the pipeline state", e))?;
            let speech = match state {
                None => Ssml::new().text(
                    &input
                        .strings
                        .format("PIPELINE_NOT_FOUND", &[("pipeline", &name)]),
                ),
                Some(view) => status_speech(&input.strings, &view),
            };
            input
                .session_attributes
                .insert(LAST_PROMPT.into(), json!("status"));
            Ok(ResponseBuilder::new()
                .speak_ssml(&speech.pause(300).text(&input.strings.get("ANYTHING_ELSE")))
                .reprompt(input.strings.get("ANYTHING_ELSE"))
                .build())
        })
    }
}

/// `ApprovePipelineIntent` and `RejectPipelineIntent`: find the waiting approval, confirm it
/// aloud, and only then decide it.
pub struct Approval;

impl<P: Pipelines, O: OperatorDirectory> Handler<Services<P, O>> for Approval {
    fn can_handle(&self, input: &Input<'_>) -> bool {
        input.is_intent("ApprovePipelineIntent") || input.is_intent("RejectPipelineIntent")
    }
    fn handle<'a, 'b: 'a>(
        &'a self,
        input: &'a mut Input<'b>,
        ctx: &'a Services<P, O>,
    ) -> BoxFuture<'a, Reply> {
        Box::pin(approve_or_reject(input, ctx))
    }
}

async fn approve_or_reject<P: Pipelines, O: OperatorDirectory>(
    input: &mut Input<'_>,
    ctx: &Services<P, O>,
) -> Reply {
    let approve = input.is_intent("ApprovePipelineIntent");
    let Some(who) = operator(input, ctx).await? else {
        return Ok(not_allowed(&input.strings));
    };
    let Some(intent) = input.envelope.request.intent() else {
        return Err(SkillError::NoHandler("approval without an intent".into()));
    };
    let Some(name) = pipeline_name(intent) else {
        return Ok(ask_pipeline(&input.strings));
    };
    let strings = &input.strings;
    let more = |text: String| {
        ResponseBuilder::new()
            .speak(text)
            .reprompt(strings.get("ANYTHING_ELSE"))
            .build()
    };

    let state = ctx
        .pipelines
        .state(&name)
        .await
        .map_err(|e| SkillError::failed("reading the pipeline state", e))?;
    let Some(view) = state else {
        return Ok(more(
            strings.format("PIPELINE_NOT_FOUND", &[("pipeline", &name)]),
        ));
    };
    let Some(pending) = pending_approvals(&view).into_iter().next() else {
        return Ok(more(
            strings.format("NO_APPROVAL", &[("pipeline", &view.name)]),
        ));
    };
    let args = [
        ("pipeline", pending.pipeline.as_str()),
        ("stage", pending.stage.as_str()),
        ("action", pending.action.as_str()),
    ];

    match intent.confirmation_status {
        Confirmation::None => {
            let question = strings.format(
                if approve {
                    "CONFIRM_APPROVE"
                } else {
                    "CONFIRM_REJECT"
                },
                &args,
            );
            input.session_attributes.insert(
                PENDING.into(),
                json!({"pipeline": pending.pipeline, "stage": pending.stage, "action": pending.action, "token": pending.token}),
            );
            Ok(ResponseBuilder::new()
                .speak(question.clone())
                .reprompt(question)
                .directive(Directive::ConfirmIntent {
                    updated_intent: None,
                })
                .build())
        }
        Confirmation::Denied => {
            input.session_attributes.remove(PENDING);
            Ok(more(strings.get("NOT_CONFIRMED")))
        }
        Confirmation::Confirmed => {
            // The user confirmed what was read out; if the pipeline moved on since, ask again.
            let asked: Option<PendingApproval> =
                input.session_attributes.get(PENDING).and_then(|p| {
                    Some(PendingApproval {
                        pipeline: p.get("pipeline")?.as_str()?.to_string(),
                        stage: p.get("stage")?.as_str()?.to_string(),
                        action: p.get("action")?.as_str()?.to_string(),
                        token: p.get("token")?.as_str()?.to_string(),
                    })
                });
            if asked.as_ref().is_some_and(|a| *a != pending) {
                input.session_attributes.remove(PENDING);
                return Ok(more(
                    strings.format("APPROVAL_CHANGED", &[("pipeline", &pending.pipeline)]),
                ));
            }
            let verb = if approve { "Approved" } else { "Rejected" };
            let summary = format!("{verb} by voice by {who} with the ferrops Alexa skill.");
            let decided = ctx
                .pipelines
                .decide(&pending, approve, &summary)
                .await
                .map_err(|e| SkillError::failed("recording the approval", e))?;
            input.session_attributes.remove(PENDING);
            tracing::info!(pipeline = %pending.pipeline, stage = %pending.stage, action = %pending.action, approve, by = %who, ?decided, "approval decided");
            Ok(more(match decided {
                Decided::Recorded => {
                    strings.format(if approve { "APPROVED" } else { "REJECTED" }, &args)
                }
                Decided::NoLongerPending => {
                    strings.format("APPROVAL_GONE", &[("pipeline", &pending.pipeline)])
                }
            }))
        }
    }
}
