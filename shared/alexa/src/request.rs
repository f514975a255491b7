//! The request envelope Alexa sends, reduced to what a skill reads.
//!
//! Alexa adds fields and request types over time, so nothing here fails on an unknown field or
//! an unknown `type`. The envelope's tokens (`apiAccessToken`, account-linking tokens) are not
//! read at all, so they cannot reach a log through `Debug`.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What Alexa posts to the skill for each request: who asks which skill, the session so far,
/// and the request itself.
#[derive(Debug, Clone, Deserialize)]
pub struct RequestEnvelope {
    /// The session; absent for out-of-session requests such as skill events.
    #[serde(default)]
    pub(crate) session: Option<Session>,
    /// Who is asking which skill; Alexa sends it on every request, in or out of a session.
    #[serde(default)]
    pub(crate) context: Option<Context>,
    /// What the user did.
    pub request: Request,
}

impl RequestEnvelope {
    /// The skill the request is for: `context.System.application`, else `session.application`.
    pub fn application_id(&self) -> Option<&str> {
        let system = self
            .context
            .as_ref()
            .and_then(|c| c.system.application.as_ref());
        let session = self.session.as_ref().and_then(|s| s.application.as_ref());
        system.or(session).map(|a| a.application_id.as_str())
    }

    /// The Alexa user ID: `context.System.user`, else `session.user`.
    pub fn user_id(&self) -> Option<&str> {
        let system = self.context.as_ref().and_then(|c| c.system.user.as_ref());
        let session = self.session.as_ref().and_then(|s| s.user.as_ref());
        system.or(session).map(|u| u.user_id.as_str())
    }

    /// The session attributes the skill returned on the previous turn (empty on a new session).
    pub fn session_attributes(&self) -> Map<String, Value> {
        self.session
            .as_ref()
            .map(|s| s.attributes.clone())
            .unwrap_or_default()
    }
}

/// A session: the turns of one conversation.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Session {
    /// The skill.
    #[serde(default)]
    pub(crate) application: Option<Application>,
    /// What the skill returned as `sessionAttributes` on the previous turn; Alexa sends `null`
    /// on a new session, read as empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub(crate) attributes: Map<String, Value>,
    /// The user.
    #[serde(default)]
    pub(crate) user: Option<User>,
}

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The skill's identity, checked against the skills the function may answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Application {
    /// `amzn1.ask.skill.…`.
    pub(crate) application_id: String,
}

/// The user.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    /// `amzn1.ask.account.…`: stable for one user of one skill, so it keys stored attributes
    /// and the operators list.
    pub(crate) user_id: String,
}

/// `context`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Context {
    /// `context.System`.
    #[serde(rename = "System")]
    pub(crate) system: System,
}

/// `context.System`: the skill and the user, as Alexa vouches for them.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct System {
    /// The skill.
    #[serde(default)]
    pub(crate) application: Option<Application>,
    /// The user.
    #[serde(default)]
    pub(crate) user: Option<User>,
}

/// What the user did.
#[derive(Debug, Clone)]
pub enum Request {
    /// The user opened the skill without asking for anything.
    Launch(LaunchRequest),
    /// The user asked for something.
    Intent(IntentRequest),
    /// The session ended; Alexa ignores any speech in the reply.
    SessionEnded(SessionEndedRequest),
    /// Alexa asks, before routing a one-shot utterance, whether the skill could fulfil an intent.
    CanFulfillIntent(IntentRequest),
    /// A request type this model does not know; never a parse error.
    Other(OtherRequest),
}

/// Fields every request type has.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Common {
    /// The request ID, unique per request.
    #[serde(default)]
    pub request_id: String,
    /// The user's locale, such as `de-DE`; absent on some skill events.
    #[serde(default)]
    pub locale: Option<String>,
}

/// `LaunchRequest`.
#[derive(Debug, Clone, Deserialize)]
pub struct LaunchRequest {
    /// Request ID and locale.
    #[serde(flatten)]
    pub common: Common,
}

/// `IntentRequest` and `CanFulfillIntentRequest`.
#[derive(Debug, Clone, Deserialize)]
pub struct IntentRequest {
    /// Request ID and locale.
    #[serde(flatten)]
    pub common: Common,
    /// What the user asked for.
    pub intent: Intent,
}

/// `SessionEndedRequest`.
#[derive(Debug, Clone, Deserialize)]
pub struct SessionEndedRequest {
    /// Request ID and locale.
    #[serde(flatten)]
    pub common: Common,
    /// `USER_INITIATED`, `ERROR` or `EXCEEDED_MAX_REPROMPTS`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Set when `reason` is `ERROR`: usually that Alexa refused the skill's previous reply.
    #[serde(default)]
    pub error: Option<SessionError>,
}

/// Why a session ended in error.
#[derive(Debug, Clone, Deserialize)]
pub struct SessionError {
    /// The error type, such as `INVALID_RESPONSE`.
    #[serde(rename = "type", default)]
    pub error_type: String,
    /// Alexa's explanation.
    #[serde(default)]
    pub message: String,
}

/// A request of a type this model does not know, such as `AlexaSkillEvent.SkillEnabled`.
#[derive(Debug, Clone)]
pub struct OtherRequest {
    /// Its `type`.
    pub(crate) request_type: String,
    /// Request ID and locale.
    pub(crate) common: Common,
}

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde_json::from_value;
        let raw = Value::deserialize(d)?;
        let kind = raw
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let request = match kind.as_str() {
            "LaunchRequest" => from_value(raw).map(Request::Launch),
            "IntentRequest" => from_value(raw).map(Request::Intent),
            "SessionEndedRequest" => from_value(raw).map(Request::SessionEnded),
            "CanFulfillIntentRequest" => from_value(raw).map(Request::CanFulfillIntent),
            _ => from_value(raw).map(|common| {
                Request::Other(OtherRequest {
                    request_type: kind,
                    common,
                })
            }),
        };
        request.map_err(serde::de::Error::custom)
    }
}

impl Request {
    /// Fields every request type has.
    pub fn common(&self) -> &Common {
        match self {
            Request::Launch(r) => &r.common,
            Request::Intent(r) | Request::CanFulfillIntent(r) => &r.common,
            Request::SessionEnded(r) => &r.common,
            Request::Other(r) => &r.common,
        }
    }

    /// The request's `type`, as Alexa spells it.
    pub fn type_name(&self) -> &str {
        match self {
            Request::Launch(_) => "LaunchRequest",
            Request::Intent(_) => "IntentRequest",
            Request::SessionEnded(_) => "SessionEndedRequest",
            Request::CanFulfillIntent(_) => "CanFulfillIntentRequest",
            Request::Other(r) => &r.request_type,
        }
    }
}

/// Whether the user has confirmed an intent that asked for confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Confirmation {
    /// Not asked yet (or a status this model does not know).
    #[default]
    None,
    /// The user said yes.
    Confirmed,
    /// The user said no.
    Denied,
}

impl<'de> Deserialize<'de> for Confirmation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<String>::deserialize(d)?.as_deref() {
            Some("CONFIRMED") => Confirmation::Confirmed,
            Some("DENIED") => Confirmation::Denied,
            _ => Confirmation::None,
        })
    }
}

/// An intent: what the user asked for, with the slots they filled.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    /// Its name, such as `GetNewFactIntent`.
    pub name: String,
    /// Whether the user confirmed the whole intent.
    #[serde(default)]
    pub confirmation_status: Confirmation,
    /// Slots by name; Alexa sends `null` for an intent without slots, read as empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub(crate) slots: BTreeMap<String, Slot>,
}

impl Intent {
    /// The slot `name`'s best value: the ID (or canonical name) of the first entity-resolution
    /// match, else the words heard; `None` when the slot is empty.
    pub fn slot_value(&self, name: &str) -> Option<&str> {
        self.slots.get(name).and_then(Slot::resolved)
    }
}

/// A slot: one value in an utterance, such as the pipeline's name.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Slot {
    /// What the user said, as Alexa heard it.
    #[serde(default)]
    pub(crate) value: Option<String>,
    /// Entity resolution: the heard value matched against the skill's slot values.
    #[serde(default)]
    pub(crate) resolutions: Option<Resolutions>,
}

/// Entity resolution.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Resolutions {
    /// One entry per authority (the skill's slot type, dynamic entities).
    #[serde(default)]
    pub(crate) resolutions_per_authority: Vec<Authority>,
}

/// One authority's resolution.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Authority {
    /// Whether the authority matched the heard value.
    #[serde(default)]
    pub(crate) status: Option<ResolutionStatus>,
    /// The matched values, best first.
    #[serde(default)]
    pub(crate) values: Vec<ResolvedValueWrapper>,
}

/// A resolution status.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ResolutionStatus {
    /// `ER_SUCCESS_MATCH`, `ER_SUCCESS_NO_MATCH`, `ER_ERROR_TIMEOUT`, …
    #[serde(default)]
    pub(crate) code: String,
}

/// `{"value": {...}}`, as the API wraps each resolved value.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ResolvedValueWrapper {
    /// The value.
    pub(crate) value: ResolvedValue,
}

/// A canonical slot value from the interaction model.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ResolvedValue {
    /// Its canonical name.
    #[serde(default)]
    pub(crate) name: String,
    /// Its ID, when the model gave one.
    #[serde(default)]
    pub(crate) id: Option<String>,
}

impl Slot {
    /// The first successful resolution's ID (or name when it has no ID), else the heard value;
    /// `None` when nothing but blanks was heard.
    pub(crate) fn resolved(&self) -> Option<&str> {
        let matched = self.resolutions.as_ref().and_then(|r| {
            r.resolutions_per_authority
                .iter()
                .filter(|a| {
                    a.status
                        .as_ref()
                        .is_some_and(|s| s.code == "ER_SUCCESS_MATCH")
                })
                .find_map(|a| a.values.first())
                .map(|v| {
                    v.value
                        .id
                        .as_deref()
                        .filter(|i| !i.is_empty())
                        .unwrap_or(v.value.name.as_str())
                })
        });
        matched
            .or(self.value.as_deref())
            .filter(|v| !v.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(request: Value) -> Value {
        json!({
            "version": "1.0",
            "session": {"new": true, "sessionId": "amzn1.echo-api.session.1", "application": {"applicationId": "amzn1.ask.skill.1"},
                "attributes": null, "user": {"userId": "amzn1.ask.account.A", "accessToken": "LINKED-SECRET"}},
            "context": {"System": {"application": {"applicationId": "amzn1.ask.skill.1"}, "user": {"userId": "amzn1.ask.account.A"},
                "device": {"deviceId": "d", "supportedInterfaces": {}}, "apiEndpoint": "https://api.amazonalexa.com", "apiAccessToken": "API-SECRET"},
                "Viewport": {"shape": "RECTANGLE"}},
            "request": request
        })
    }

    #[test]
    fn intent_requests_carry_slots_resolutions_and_confirmation() {
        let env: RequestEnvelope = serde_json::from_value(envelope(json!({
            "type": "IntentRequest", "requestId": "r1", "timestamp": "2026-11-20T10:00:00Z", "locale": "de-DE", "dialogState": "STARTED",
            "intent": {"name": "ApprovePipelineIntent", "confirmationStatus": "CONFIRMED", "slots": {"pipeline": {"name": "pipeline", "value": "my app",
                "confirmationStatus": "NONE", "resolutions": {"resolutionsPerAuthority": [
                    {"authority": "amzn1.er-authority.echo-sdk.x.PIPELINE", "status": {"code": "ER_SUCCESS_MATCH"}, "values": [{"value": {"name": "my app", "id": "my-app"}}]}]}}}}
        })))
        .unwrap();
        let Request::Intent(r) = &env.request else {
            panic!()
        };
        assert_eq!(r.common.locale.as_deref(), Some("de-DE"));
        assert_eq!(r.intent.confirmation_status, Confirmation::Confirmed);
        assert_eq!(r.intent.slot_value("pipeline"), Some("my-app"));
        assert_eq!(env.application_id(), Some("amzn1.ask.skill.1"));
        assert_eq!(env.user_id(), Some("amzn1.ask.account.A"));
        assert!(
            env.session_attributes().is_empty(),
            "null attributes read as empty"
        );
    }

    #[test]
    fn the_session_names_skill_and_user_when_the_context_does_not() {
        let mut raw = envelope(json!({"type": "LaunchRequest", "requestId": "r0"}));
        raw["context"] = json!({"System": {}});
        raw["session"]["application"]["applicationId"] = json!("amzn1.ask.skill.S");
        raw["session"]["user"]["userId"] = json!("amzn1.ask.account.S");
        let env: RequestEnvelope = serde_json::from_value(raw).unwrap();
        assert_eq!(env.application_id(), Some("amzn1.ask.skill.S"));
        assert_eq!(env.user_id(), Some("amzn1.ask.account.S"));
    }

    #[test]
    fn unknown_request_types_and_fields_parse() {
        let env: RequestEnvelope = serde_json::from_value(envelope(json!({
            "type": "AlexaSkillEvent.SkillEnabled", "requestId": "r2", "timestamp": "2026-11-20T10:00:00Z", "locale": "en-US", "eventCreationTime": "x", "brandNew": {"a": 1}
        })))
        .unwrap();
        assert_eq!(env.request.type_name(), "AlexaSkillEvent.SkillEnabled");
        assert_eq!(env.request.common().request_id, "r2");
    }

    #[test]
    fn session_ended_carries_reason_and_error() {
        let env: RequestEnvelope = serde_json::from_value(envelope(json!({
            "type": "SessionEndedRequest", "requestId": "r3", "locale": "en-GB", "reason": "ERROR",
            "error": {"type": "INVALID_RESPONSE", "message": "bad ssml"}
        })))
        .unwrap();
        let Request::SessionEnded(r) = env.request else {
            panic!()
        };
        assert_eq!(r.reason.as_deref(), Some("ERROR"));
        assert_eq!(r.error.unwrap().error_type, "INVALID_RESPONSE");
    }

    #[test]
    fn tokens_never_print() {
        let env: RequestEnvelope = serde_json::from_value(envelope(
            json!({"type": "LaunchRequest", "requestId": "r4"}),
        ))
        .unwrap();
        let printed = format!("{env:?}");
        assert!(
            !printed.contains("API-SECRET") && !printed.contains("LINKED-SECRET"),
            "{printed}"
        );
    }

    #[test]
    fn unresolved_slots_fall_back_to_the_heard_value() {
        let s: Slot = serde_json::from_value(json!({"name": "pipeline", "value": "billing", "resolutions": {"resolutionsPerAuthority": [
            {"authority": "x", "status": {"code": "ER_SUCCESS_NO_MATCH"}}]}})).unwrap();
        assert_eq!(s.resolved(), Some("billing"));
        let empty: Slot = serde_json::from_value(json!({"name": "pipeline"})).unwrap();
        assert_eq!(empty.resolved(), None);
    }
}
