//! Shared library of the ferrops Lambda functions.
//!
//! Every function uses the same pieces: the SDK configuration ([`sdk`]), cross-account role
//! assumption with a per-role credential cache ([`sts`]), JSON tracing that cannot leak secrets
//! ([`telemetry`]), a redacting [`Secret`] type, typed environment settings ([`env`]) and
//! length-limit helpers for AWS API fields ([`text`]).
#![deny(missing_docs)]

pub mod arn;
pub mod clock;
pub mod compliance;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod env;
pub mod error;
pub mod event;
pub mod failure;
pub mod sdk;
pub mod secret;
pub mod sts;
pub mod telemetry;
pub mod text;

pub use error::Error;
pub use failure::{AwsFailure, FailureClass, SdkResultExt};
pub use secret::Secret;

#[doc(hidden)]
pub mod __private {
    //! What [`lambda_error!`](crate::lambda_error) expands to, so callers need no imports.
    pub use lambda_runtime::Diagnostic;
}
