//! The Alexa Skills Kit model `alexa-skill` answers with.
//!
//! - [`request`]: the request envelope, reduced to what a skill reads. Unknown request types and
//!   unknown fields never fail parsing.
//! - [`response`]: replies, and Alexa's size limits checked before a reply leaves.
//! - [`ssml`]: SSML built only from escaped text.
//! - [`i18n`]: per-locale strings with an explicit, logged fallback chain.
//! - [`skill_ids`]: which skills the function answers.
//!
//! Routing stays with the skill: a `match` on the request is all a skill of this size needs.
#![deny(missing_docs)]

pub mod error;
pub mod i18n;
pub mod request;
pub mod response;
pub mod skill_ids;
pub mod ssml;

pub use error::Error;
pub use request::{Request, RequestEnvelope};
pub use response::{ResponseBuilder, ResponseEnvelope};
pub use skill_ids::SkillIds;
pub use ssml::Ssml;
