//! `alexa-skill`: the classic space-facts skill, done properly, plus voice operations for
//! CodePipeline: pipeline status, and manual approvals with confirmation.
//!
//! [`facts`], [`pipeline`] and [`operators`] are the pure core; [`handlers`] are the skill's
//! handlers on the `ferrops_alexa` framework, over the ports in [`ports`] implemented by
//! [`adapters`].

pub mod adapters;
pub mod facts;
pub mod handlers;
pub mod operators;
pub mod pipeline;
pub mod ports;

use ferrops_alexa::i18n::{Catalog, CatalogError};
use ferrops_alexa::skill::{Refused, Skill, SkillIds};
use ferrops_alexa::{RequestEnvelope, ResponseBuilder, ResponseEnvelope};
use lambda_runtime::Diagnostic;
use ports::{OperatorDirectory, Pipelines, Services};

/// The locales the skill speaks, with their strings.
pub const LOCALES: &[(&str, &str)] = &[
    ("en-US", include_str!("../locales/en-US.json")),
    ("en-GB", include_str!("../locales/en-GB.json")),
    ("de-DE", include_str!("../locales/de-DE.json")),
];

/// Every locale falls back to this one.
pub const DEFAULT_LOCALE: &str = "en-US";

/// The strings of every locale.
pub fn catalog() -> Result<Catalog, CatalogError> {
    Catalog::from_json(LOCALES, DEFAULT_LOCALE)
}

/// The skill with every handler, in the order they are asked.
pub fn skill<P: Pipelines + 'static, O: OperatorDirectory + 'static>(
    catalog: Catalog,
    skill_ids: SkillIds,
) -> Skill<Services<P, O>> {
    Skill::new(catalog, skill_ids)
        .handler(handlers::SessionEnded)
        .handler(handlers::CanFulfillIntent)
        .handler(handlers::Facts)
        .handler(handlers::Help)
        .handler(handlers::Stop)
        .handler(handlers::PipelineStatus)
        .handler(handlers::Approval)
        .handler(handlers::Fallback)
}

/// The reply to a payload that is not an Alexa request at all.
pub fn unreadable_request() -> ResponseEnvelope {
    ResponseBuilder::new()
        .speak(ferrops_alexa::skill::LAST_RESORT)
        .end_session(true)
        .build()
}

/// The request a payload holds, or why not.
pub fn parse_request(payload: serde_json::Value) -> Result<RequestEnvelope, String> {
    serde_json::from_value(payload).map_err(|e| ferrops::event::redacted_serde_error(&e))
}

/// Why an invocation ended in a Lambda error: only a request for another skill.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SkillIdMismatch(#[from] pub Refused);

impl From<SkillIdMismatch> for Diagnostic {
    fn from(e: SkillIdMismatch) -> Self {
        Diagnostic {
            error_type: "SkillIdMismatch".to_string(),
            error_message: e.to_string(),
        }
    }
}

/// One invocation: every readable request for this skill gets a reply.
pub async fn handle<P: Pipelines, O: OperatorDirectory>(
    skill: &Skill<Services<P, O>>,
    services: &Services<P, O>,
    payload: serde_json::Value,
) -> Result<ResponseEnvelope, SkillIdMismatch> {
    let envelope = match parse_request(payload) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "payload is not an Alexa request");
            return Ok(unreadable_request());
        }
    };
    Ok(skill.dispatch(&envelope, services).await?)
}
