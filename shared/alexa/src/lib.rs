//! A typed Alexa Skills Kit model and a small skill framework.
//!
//! - [`request`]: the request envelope. Unknown request types and unknown fields never fail
//!   parsing; secrets in it (`apiAccessToken`, account-linking tokens) are [`ferrops::Secret`]s.
//! - [`ssml`] and [`response`]: replies, with every text placed into SSML escaped and the
//!   Alexa size limits checked before anything is returned.
//! - [`i18n`]: per-locale strings with an explicit fallback chain.
//! - [`skill`]: routing, interceptors, attributes, skill-ID verification and an error handler
//!   that always speaks.

pub mod i18n;
pub mod request;
pub mod response;
pub mod skill;
pub mod ssml;

pub use request::{Intent, Request, RequestEnvelope, Slot};
pub use response::{
    CanFulfill, CanFulfillSlot, Card, Directive, Limits, ResponseBuilder, ResponseEnvelope, Speech,
};
pub use ssml::Ssml;
