//! The shared core of the ferrops Lambda functions: each concern that more than one function
//! has lives here once.
//!
//! - Start-up: typed environment settings ([`env`]), the SDK configuration ([`sdk`]), JSON
//!   tracing that cannot leak secrets ([`telemetry`]).
//! - Invocations: event decoding that never echoes a value ([`event`]), the clock ([`clock`]),
//!   Lambda error types ([`lambda_error!`]).
//! - AWS: one failure type for every call, STS included ([`AwsFailure`]), cross-account roles
//!   with a per-role credential cache ([`sts`]), ARNs ([`arn`]), DynamoDB attributes
//!   ([`dynamodb`], feature `dynamodb`), Config compliance values ([`compliance`]) and API field
//!   limits ([`text`]).
//! - A redacting [`Secret`] type.
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

pub use failure::{AwsFailure, FailureClass, SdkResultExt};
pub use secret::Secret;

#[doc(hidden)]
pub mod __private {
    //! What [`lambda_error!`](crate::lambda_error) expands to, so callers need no imports.
    pub use lambda_runtime::Diagnostic;
}
