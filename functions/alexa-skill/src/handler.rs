//! One invocation: decode the request, check the skill ID, route it with one `match`, and make
//! sure every request the skill answers gets a reply Alexa accepts.
//!
//! A request that fails on the way (an AWS call, a reply over Alexa's limits) is answered with
//! an apology in the user's language; only a request for another skill is refused outright.

use crate::error::SkillError;
use crate::facts;
use crate::pipeline::{PendingApproval, pending_approvals, status_speech};
use crate::ports::{AttributeStore, Decided, OperatorDirectory, Pipelines};
use ferrops_alexa::i18n::{Catalog, Strings};
use ferrops_alexa::request::{Confirmation, Intent, Request, SessionEndedRequest};
use ferrops_alexa::response::{CanFulfill, CanFulfillSlot, Directive};
use ferrops_alexa::{RequestEnvelope, ResponseBuilder, ResponseEnvelope, SkillIds, Ssml};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

#[cfg(test)]
mod tests;

/// Said when even the apology in the user's language cannot be sent, and to a payload that is
/// not an Alexa request at all.
const LAST_RESORT: &str = "Sorry, something went wrong. Please try again later.";

/// The session attribute naming the last question asked, so that "yes" and "no" make sense.
const LAST_PROMPT: &str = "lastPrompt";
/// The session attribute (and stored attribute, per locale) listing the facts heard.
const HEARD: &str = "heard";
/// The session attribute holding the approval the user is asked to confirm.
const PENDING: &str = "pendingApproval";

/// The skill over its ports: everything an invocation needs, built once per container.
pub struct Skill<P, O, A> {
    /// Pipeline states and approval decisions.
    pub pipelines: P,
    /// Who may use the pipeline intents.
    pub operators: O,
    /// Where the facts each user has heard are remembered across sessions; `None` remembers
    /// them for the session only.
    pub attributes: Option<A>,
    /// The strings of every locale.
    pub catalog: Catalog,
    /// The skills answered.
    pub skill_ids: SkillIds,
}

type Reply = Result<ResponseEnvelope, SkillError>;

/// One request on its way through the skill.
struct Turn<'a> {
    envelope: &'a RequestEnvelope,
    strings: Strings<'a>,
    /// The session attributes: as Alexa sent them, changed by the answer, and returned to
    /// Alexa while the session stays open.
    session: Map<String, Value>,
}

impl Turn<'_> {
    /// The reply as it leaves: the session attributes go with it while the session stays
    /// open, and Alexa's limits are checked.
    fn finish(&mut self, mut reply: ResponseEnvelope) -> Reply {
        if reply.response.should_end_session != Some(true) {
            reply.session_attributes = std::mem::take(&mut self.session);
        }
        reply.check()?;
        Ok(reply)
    }
}

impl<P: Pipelines, O: OperatorDirectory, A: AttributeStore> Skill<P, O, A> {
    /// Answers one invocation's payload; `now` (seconds since the epoch) stamps stored
    /// attributes. Every readable request for this skill gets a reply, and a payload that is
    /// not an Alexa request a general apology.
    pub async fn handle(&self, payload: Value, now: u64) -> Result<ResponseEnvelope, SkillError> {
        match ferrops::event::decode::<RequestEnvelope>("Alexa request", payload) {
            Ok(envelope) => self.answer(&envelope, now).await,
            Err(e) => {
                tracing::error!(error = %e, "payload is not an Alexa request");
                Ok(last_resort())
            }
        }
    }

    /// Refuses a request for another skill; answers any other, with an apology when the
    /// answer fails.
    async fn answer(&self, envelope: &RequestEnvelope, now: u64) -> Reply {
        let app = envelope.application_id();
        if !self.skill_ids.allows(app) {
            tracing::warn!(application_id = ?app, "request for another skill refused");
            return Err(SkillError::SkillIdMismatch {
                application_id: app.map(str::to_string),
            });
        }
        let locale = envelope.request.common().locale.as_deref();
        let mut turn = Turn {
            envelope,
            strings: self.catalog.strings(locale),
            session: envelope.session_attributes(),
        };
        let reply = self.route(&mut turn, now).await;
        Ok(reply.and_then(|r| turn.finish(r)).unwrap_or_else(|e| {
            tracing::error!(request_type = envelope.request.type_name(), intent = ?intent_name(envelope), error = %e, "request failed");
            apology(&turn.strings)
        }))
    }

    /// Which answer a request gets.
    async fn route(&self, turn: &mut Turn<'_>, now: u64) -> Reply {
        let envelope = turn.envelope;
        match &envelope.request {
            Request::SessionEnded(ended) => Ok(session_ended(ended)),
            Request::CanFulfillIntent(r) => Ok(can_fulfill(&r.intent)),
            Request::Launch(_) => self.tell_fact(turn, now).await,
            Request::Intent(r) => match r.intent.name.as_str() {
                "GetNewFactIntent" => self.tell_fact(turn, now).await,
                "AMAZON.YesIntent" if turn.session.get(LAST_PROMPT) == Some(&json!("fact")) => {
                    self.tell_fact(turn, now).await
                }
                "AMAZON.HelpIntent" => Ok(help(turn)),
                "AMAZON.StopIntent"
                | "AMAZON.CancelIntent"
                | "AMAZON.NoIntent"
                | "AMAZON.NavigateHomeIntent" => Ok(goodbye(&turn.strings)),
                "PipelineStatusIntent" => self.pipeline_status(turn, &r.intent).await,
                "ApprovePipelineIntent" => self.decide(turn, &r.intent, true).await,
                "RejectPipelineIntent" => self.decide(turn, &r.intent, false).await,
                other => {
                    if other != "AMAZON.FallbackIntent" {
                        tracing::info!(intent = other, "unhandled intent");
                    }
                    Ok(fallback(&turn.strings))
                }
            },
            Request::Other(_) => Ok(fallback(&turn.strings)),
        }
    }

    /// Tells a fact the user has not heard, this session or (with a store) in earlier ones,
    /// and remembers it in both.
    async fn tell_fact(&self, turn: &mut Turn<'_>, now: u64) -> Reply {
        let facts = turn.strings.list("FACTS");
        let locale = turn.strings.locale().to_string();
        let store = self.attributes.as_ref().zip(turn.envelope.user_id());
        let stored = match store {
            Some((store, user)) => store
                .load(user)
                .await
                .map_err(SkillError::aws("loading the facts heard"))?,
            None => Map::new(),
        };
        let mut heard = ids(turn.session.get(HEARD));
        heard.extend(ids(stored.get(HEARD).and_then(|h| h.get(&locale))));
        let request_id = &turn.envelope.request.common().request_id;
        let no_facts = || SkillError::NoFacts {
            locale: locale.clone(),
        };
        let (i, reset) = facts::pick(facts.len(), &heard, request_id).ok_or_else(no_facts)?;
        let fact = facts.get(i).ok_or_else(no_facts)?;
        if reset {
            heard.clear();
        }
        heard.insert(i);
        let heard = json!(heard);

        let mut updated = stored.clone();
        let mut by_locale = updated
            .get(HEARD)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        by_locale.insert(locale.clone(), heard.clone());
        updated.insert(HEARD.into(), Value::Object(by_locale));
        if let Some((store, user)) = store
            && updated != stored
        {
            store
                .save(user, &updated, now)
                .await
                .map_err(SkillError::aws("saving the facts heard"))?;
        }
        turn.session.insert(HEARD.into(), heard);
        turn.session.insert(LAST_PROMPT.into(), json!("fact"));

        let strings = &turn.strings;
        let speech = Ssml::new()
            .text(&strings.format("FACT_SPEECH", &[("fact", fact)]))
            .pause(400)
            .text(&strings.get("ANOTHER"));
        Ok(ResponseBuilder::new()
            .speak_ssml(&speech)
            .reprompt(strings.get("ANOTHER"))
            .simple_card(strings.get("CARD_TITLE"), fact.clone())
            .build())
    }

    /// The operator asking, named as approval summaries name them; `None` for anyone else,
    /// whose user ID is logged so an administrator can add it.
    async fn operator(
        &self,
        turn: &Turn<'_>,
        intent: &Intent,
    ) -> Result<Option<String>, SkillError> {
        let operators = self
            .operators
            .operators()
            .await
            .map_err(SkillError::aws("reading the operators list"))?;
        let user = turn.envelope.user_id();
        if operators.allows(user) {
            Ok(user.map(|u| operators.describe(u)))
        } else {
            tracing::warn!(user_id = ?user, intent = %intent.name, "user is not an operator");
            Ok(None)
        }
    }

    /// `PipelineStatusIntent`: every stage's latest status, what failed and what waits.
    async fn pipeline_status(&self, turn: &mut Turn<'_>, intent: &Intent) -> Reply {
        if self.operator(turn, intent).await?.is_none() {
            return Ok(not_allowed(&turn.strings));
        }
        let Some(name) = pipeline_name(intent) else {
            return Ok(ask_pipeline(&turn.strings));
        };
        let state = self
            .pipelines
            .state(&name)
            .await
            .map_err(SkillError::aws("reading the pipeline state"))?;
        let strings = &turn.strings;
        let speech = match state {
            None => Ssml::new().text(&strings.format("PIPELINE_NOT_FOUND", &[("pipeline", &name)])),
            Some(view) => status_speech(strings, &view),
        };
        let reply = ResponseBuilder::new()
            .speak_ssml(&speech.pause(300).text(&strings.get("ANYTHING_ELSE")))
            .reprompt(strings.get("ANYTHING_ELSE"))
            .build();
        turn.session.insert(LAST_PROMPT.into(), json!("status"));
        Ok(reply)
    }

    /// `ApprovePipelineIntent` (`approve`) and `RejectPipelineIntent`: find the waiting
    /// approval, have the user confirm it aloud, and only then decide it.
    async fn decide(&self, turn: &mut Turn<'_>, intent: &Intent, approve: bool) -> Reply {
        let Some(who) = self.operator(turn, intent).await? else {
            return Ok(not_allowed(&turn.strings));
        };
        let Some(name) = pipeline_name(intent) else {
            return Ok(ask_pipeline(&turn.strings));
        };
        let state = self
            .pipelines
            .state(&name)
            .await
            .map_err(SkillError::aws("reading the pipeline state"))?;
        let strings = &turn.strings;
        let Some(view) = state else {
            let text = strings.format("PIPELINE_NOT_FOUND", &[("pipeline", &name)]);
            return Ok(anything_else(strings, text));
        };
        let Some(pending) = pending_approvals(&view).into_iter().next() else {
            let text = strings.format("NO_APPROVAL", &[("pipeline", &view.name)]);
            return Ok(anything_else(strings, text));
        };
        let args = [
            ("pipeline", pending.pipeline.as_str()),
            ("stage", pending.stage.as_str()),
            ("action", pending.action.as_str()),
        ];

        match intent.confirmation_status {
            Confirmation::None => {
                let key = if approve {
                    "CONFIRM_APPROVE"
                } else {
                    "CONFIRM_REJECT"
                };
                let question = strings.format(key, &args);
                let reply = ResponseBuilder::new()
                    .speak(question.clone())
                    .reprompt(question)
                    .directive(Directive::ConfirmIntent)
                    .build();
                turn.session.insert(PENDING.into(), to_session(&pending));
                Ok(reply)
            }
            Confirmation::Denied => {
                let reply = anything_else(strings, strings.get("NOT_CONFIRMED"));
                turn.session.remove(PENDING);
                Ok(reply)
            }
            Confirmation::Confirmed => {
                // The user confirmed what was read out; if the pipeline moved on since, ask again.
                let asked = turn.session.get(PENDING).and_then(from_session);
                if asked.is_some_and(|asked| asked != pending) {
                    let text =
                        strings.format("APPROVAL_CHANGED", &[("pipeline", &pending.pipeline)]);
                    let reply = anything_else(strings, text);
                    turn.session.remove(PENDING);
                    return Ok(reply);
                }
                let verb = if approve { "Approved" } else { "Rejected" };
                let summary = format!("{verb} by voice by {who} with the ferrops Alexa skill.");
                let decided = self
                    .pipelines
                    .decide(&pending, approve, &summary)
                    .await
                    .map_err(SkillError::aws("recording the approval"))?;
                tracing::info!(pipeline = %pending.pipeline, stage = %pending.stage, action = %pending.action, approve, by = %who, ?decided, "approval decided");
                let text = match decided {
                    Decided::Recorded => {
                        strings.format(if approve { "APPROVED" } else { "REJECTED" }, &args)
                    }
                    Decided::NoLongerPending => {
                        strings.format("APPROVAL_GONE", &[("pipeline", &pending.pipeline)])
                    }
                };
                let reply = anything_else(strings, text);
                turn.session.remove(PENDING);
                Ok(reply)
            }
        }
    }
}

/// The fact indices in a `heard` attribute; anything else in it is ignored.
fn ids(v: Option<&Value>) -> BTreeSet<usize> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .filter_map(|n| usize::try_from(n).ok())
                .collect()
        })
        .unwrap_or_default()
}

fn to_session(p: &PendingApproval) -> Value {
    json!({"pipeline": p.pipeline, "stage": p.stage, "action": p.action, "token": p.token})
}

fn from_session(v: &Value) -> Option<PendingApproval> {
    let field = |name: &str| v.get(name)?.as_str().map(str::to_string);
    Some(PendingApproval {
        pipeline: field("pipeline")?,
        stage: field("stage")?,
        action: field("action")?,
        token: field("token")?,
    })
}

/// The pipeline the user named: the resolved slot ID, or the heard words joined by hyphens
/// ("my app" → `my-app`).
fn pipeline_name(intent: &Intent) -> Option<String> {
    intent
        .slot_value("pipeline")
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join("-"))
}

fn intent_name(envelope: &RequestEnvelope) -> Option<&str> {
    match &envelope.request {
        Request::Intent(r) => Some(&r.intent.name),
        _ => None,
    }
}

/// `SessionEndedRequest`: logged, and answered with nothing, since Alexa would not say it.
fn session_ended(r: &SessionEndedRequest) -> ResponseEnvelope {
    match &r.error {
        Some(e) => {
            tracing::warn!(reason = ?r.reason, error_type = %e.error_type, message = %e.message, "session ended with an error");
        }
        None => tracing::info!(reason = ?r.reason, "session ended"),
    }
    ResponseBuilder::new().build()
}

/// `CanFulfillIntentRequest`: yes for facts, and for pipeline intents that name a pipeline.
fn can_fulfill(intent: &Intent) -> ResponseEnvelope {
    let yes = |b: bool| if b { "YES" } else { "NO" }.to_string();
    let mut slots = BTreeMap::new();
    let can = match intent.name.as_str() {
        "GetNewFactIntent" => true,
        "PipelineStatusIntent" | "ApprovePipelineIntent" | "RejectPipelineIntent" => {
            let named = pipeline_name(intent).is_some();
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
    ResponseBuilder::new()
        .can_fulfill(CanFulfill {
            can_fulfill: yes(can),
            slots,
        })
        .build()
}

/// `AMAZON.HelpIntent`: what the skill can do, with a shorter question of its own as reprompt.
fn help(turn: &mut Turn<'_>) -> ResponseEnvelope {
    turn.session.insert(LAST_PROMPT.into(), json!("help"));
    ResponseBuilder::new()
        .speak(turn.strings.get("HELP"))
        .reprompt(turn.strings.get("HELP_REPROMPT"))
        .build()
}

fn goodbye(strings: &Strings<'_>) -> ResponseEnvelope {
    ResponseBuilder::new()
        .speak(strings.get("STOP"))
        .end_session(true)
        .build()
}

/// `AMAZON.FallbackIntent`, intents the skill does not know, and unknown request types.
fn fallback(strings: &Strings<'_>) -> ResponseEnvelope {
    ResponseBuilder::new()
        .speak(strings.get("FALLBACK"))
        .reprompt(strings.get("FALLBACK_REPROMPT"))
        .build()
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
        })
        .build()
}

/// `text`, then the session stays open for another request.
fn anything_else(strings: &Strings<'_>, text: String) -> ResponseEnvelope {
    ResponseBuilder::new()
        .speak(text)
        .reprompt(strings.get("ANYTHING_ELSE"))
        .build()
}

/// The apology in the user's language, or [`LAST_RESORT`] if even that is over the limits.
fn apology(strings: &Strings<'_>) -> ResponseEnvelope {
    let apology = ResponseBuilder::new()
        .speak(strings.get("ERROR"))
        .reprompt(strings.get("ERROR_REPROMPT"))
        .build();
    match apology.check() {
        Ok(()) => apology,
        Err(e) => {
            tracing::error!(error = %e, "the apology cannot be sent either");
            last_resort()
        }
    }
}

fn last_resort() -> ResponseEnvelope {
    ResponseBuilder::new()
        .speak(LAST_RESORT)
        .end_session(true)
        .build()
}
