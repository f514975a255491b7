//! The request envelope Alexa sends.

use ferrops::Secret;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The whole request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestEnvelope {
    /// Envelope version, `1.0`.
    #[serde(default)]
    pub version: String,
    /// The session; absent for out-of-session requests.
    #[serde(default)]
    pub session: Option<Session>,
    /// Device, user and application context.
    #[serde(default)]
    pub context: Option<Context>,
    /// What happened.
    pub request: Request,
}

impl RequestEnvelope {
    /// The skill the request is for, from `context.System.application` or else
    /// `session.application`.
    pub fn application_id(&self) -> Option<&str> {
        self.context
            .as_ref()
            .and_then(|c| c.system.application.as_ref())
            .map(|a| a.application_id.as_str())
            .or_else(|| {
                self.session
                    .as_ref()
                    .and_then(|s| s.application.as_ref())
                    .map(|a| a.application_id.as_str())
            })
    }

    /// The Alexa user ID.
    pub fn user_id(&self) -> Option<&str> {
        self.context
            .as_ref()
            .and_then(|c| c.system.user.as_ref())
            .map(|u| u.user_id.as_str())
            .or_else(|| {
                self.session
                    .as_ref()
                    .and_then(|s| s.user.as_ref())
                    .map(|u| u.user_id.as_str())
            })
    }

    /// The session attributes sent back from the previous turn.
    pub fn session_attributes(&self) -> Map<String, Value> {
        self.session
            .as_ref()
            .map(|s| s.attributes.clone())
            .unwrap_or_default()
    }
}

/// A session.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// True on the session's first request.
    #[serde(default)]
    pub new: bool,
    /// The session ID.
    #[serde(default)]
    pub session_id: String,
    /// The skill.
    #[serde(default)]
    pub application: Option<Application>,
    /// Attributes the skill set in its previous response.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub attributes: Map<String, Value>,
    /// The user.
    #[serde(default)]
    pub user: Option<User>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    Ok(Option::<Map<String, Value>>::deserialize(d)?.unwrap_or_default())
}

/// The skill's identity.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// `amzn1.ask.skill.…`.
    pub application_id: String,
}

/// The user.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// `amzn1.ask.account.…`, stable per user and skill.
    pub user_id: String,
    /// The account-linking token, when linked.
    #[serde(default)]
    pub access_token: Option<Secret>,
}

/// The request context.
#[derive(Debug, Clone, Deserialize)]
pub struct Context {
    /// The `System` object.
    #[serde(rename = "System")]
    pub system: System,
}

/// `context.System`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct System {
    /// The skill.
    #[serde(default)]
    pub application: Option<Application>,
    /// The user.
    #[serde(default)]
    pub user: Option<User>,
    /// The device.
    #[serde(default)]
    pub device: Option<Device>,
    /// The Alexa API endpoint for this request.
    #[serde(default)]
    pub api_endpoint: Option<String>,
    /// The token for Alexa APIs.
    #[serde(default)]
    pub api_access_token: Option<Secret>,
}

/// The device.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// The device ID.
    #[serde(default)]
    pub device_id: String,
    /// What the device supports (display, audio player, …).
    #[serde(default)]
    pub supported_interfaces: Value,
}

/// What the user did.
#[derive(Debug, Clone)]
pub enum Request {
    /// The user opened the skill without asking for anything.
    Launch(LaunchRequest),
    /// The user asked for something.
    Intent(IntentRequest),
    /// The session ended.
    SessionEnded(SessionEndedRequest),
    /// Alexa asks whether the skill could fulfil an intent.
    CanFulfillIntent(IntentRequest),
    /// A request type this model does not know; never a parse error.
    Other(OtherRequest),
}

/// Fields every request has.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Common {
    /// The request ID.
    #[serde(default)]
    pub request_id: String,
    /// When it was sent.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// The user's locale, such as `de-DE`.
    #[serde(default)]
    pub locale: Option<String>,
}

/// `LaunchRequest`.
#[derive(Debug, Clone, Deserialize)]
pub struct LaunchRequest {
    /// Common fields.
    #[serde(flatten)]
    pub common: Common,
}

/// `IntentRequest` (and `CanFulfillIntentRequest`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentRequest {
    /// Common fields.
    #[serde(flatten)]
    pub common: Common,
    /// `STARTED`, `IN_PROGRESS` or `COMPLETED` for dialogs.
    #[serde(default)]
    pub dialog_state: Option<String>,
    /// The intent.
    pub intent: Intent,
}

/// `SessionEndedRequest`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionEndedRequest {
    /// Common fields.
    #[serde(flatten)]
    pub common: Common,
    /// `USER_INITIATED`, `ERROR` or `EXCEEDED_MAX_REPROMPTS`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Set when `reason` is `ERROR`.
    #[serde(default)]
    pub error: Option<SessionError>,
}

/// Why a session ended in error.
#[derive(Debug, Clone, Deserialize)]
pub struct SessionError {
    /// The error type, such as `INVALID_RESPONSE`.
    #[serde(rename = "type", default)]
    pub error_type: String,
    /// The explanation.
    #[serde(default)]
    pub message: String,
}

/// A request of a type this model does not know.
#[derive(Debug, Clone)]
pub struct OtherRequest {
    /// Its `type`.
    pub request_type: String,
    /// Common fields.
    pub common: Common,
    /// The whole request object.
    pub raw: Value,
}

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let raw = Value::deserialize(d)?;
        let kind = raw
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Ok(match kind.as_str() {
            "LaunchRequest" => {
                Request::Launch(serde_json::from_value(raw).map_err(D::Error::custom)?)
            }
            "IntentRequest" => {
                Request::Intent(serde_json::from_value(raw).map_err(D::Error::custom)?)
            }
            "SessionEndedRequest" => {
                Request::SessionEnded(serde_json::from_value(raw).map_err(D::Error::custom)?)
            }
            "CanFulfillIntentRequest" => {
                Request::CanFulfillIntent(serde_json::from_value(raw).map_err(D::Error::custom)?)
            }
            _ => Request::Other(OtherRequest {
                common: serde_json::from_value(raw.clone()).map_err(D::Error::custom)?,
                request_type: kind,
                raw,
            }),
        })
    }
}

impl Request {
    /// Fields every request has.
    pub fn common(&self) -> &Common {
        match self {
            Request::Launch(r) => &r.common,
            Request::Intent(r) | Request::CanFulfillIntent(r) => &r.common,
            Request::SessionEnded(r) => &r.common,
            Request::Other(r) => &r.common,
        }
    }

    /// The request's `type`.
    pub fn type_name(&self) -> &str {
        match self {
            Request::Launch(_) => "LaunchRequest",
            Request::Intent(_) => "IntentRequest",
            Request::SessionEnded(_) => "SessionEndedRequest",
            Request::CanFulfillIntent(_) => "CanFulfillIntentRequest",
            Request::Other(r) => &r.request_type,
        }
    }

    /// The intent of an `IntentRequest`.
    pub fn intent(&self) -> Option<&Intent> {
        match self {
            Request::Intent(r) => Some(&r.intent),
            _ => None,
        }
    }
}

/// Whether the user confirmed an intent or slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Confirmation {
    /// Not asked yet.
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

impl Confirmation {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Confirmation::None => "NONE",
            Confirmation::Confirmed => "CONFIRMED",
            Confirmation::Denied => "DENIED",
        }
    }
}

/// An intent.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    /// Its name, such as `GetNewFactIntent`.
    pub name: String,
    /// Confirmation of the whole intent.
    #[serde(default)]
    pub confirmation_status: Confirmation,
    /// Slots by name.
    #[serde(default, deserialize_with = "null_as_empty_slots")]
    pub slots: BTreeMap<String, Slot>,
}

fn null_as_empty_slots<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Slot>, D::Error> {
    Ok(Option::<BTreeMap<String, Slot>>::deserialize(d)?.unwrap_or_default())
}

impl Intent {
    /// A slot's best value: the first entity-resolution match's ID or name, else what was heard.
    pub fn slot_value(&self, name: &str) -> Option<&str> {
        self.slots.get(name).and_then(Slot::resolved)
    }
}

/// A slot.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slot {
    /// The slot's name.
    #[serde(default)]
    pub name: String,
    /// What the user said.
    #[serde(default)]
    pub value: Option<String>,
    /// Confirmation of this slot.
    #[serde(default)]
    pub confirmation_status: Confirmation,
    /// Entity resolution results.
    #[serde(default)]
    pub resolutions: Option<Resolutions>,
}

/// Entity resolution.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolutions {
    /// One entry per authority (the skill's slot type, dynamic entities).
    #[serde(default)]
    pub resolutions_per_authority: Vec<Authority>,
}

/// One authority's resolution.
#[derive(Debug, Clone, Deserialize)]
pub struct Authority {
    /// The authority.
    #[serde(default)]
    pub authority: String,
    /// `ER_SUCCESS_MATCH`, `ER_SUCCESS_NO_MATCH`, …
    #[serde(default)]
    pub status: Option<ResolutionStatus>,
    /// The matched values.
    #[serde(default)]
    pub values: Vec<ResolvedValueWrapper>,
}

/// A resolution status.
#[derive(Debug, Clone, Deserialize)]
pub struct ResolutionStatus {
    /// The code.
    #[serde(default)]
    pub code: String,
}

/// `{"value": {...}}` as the API wraps it.
#[derive(Debug, Clone, Deserialize)]
pub struct ResolvedValueWrapper {
    /// The value.
    pub value: ResolvedValue,
}

/// A canonical slot value.
#[derive(Debug, Clone, Deserialize)]
pub struct ResolvedValue {
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its ID, when the model gave one.
    #[serde(default)]
    pub id: Option<String>,
}

impl Slot {
    /// The first successful resolution's ID (or name), else the heard value.
    pub fn resolved(&self) -> Option<&str> {
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
