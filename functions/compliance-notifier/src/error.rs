//! The function's errors.

use ferrops::event::MalformedEvent;
use ferrops::{AwsFailure, FailureClass};

/// Why an event was not handled. EventBridge's asynchronous invocation retries these, and the
/// ledger makes the retry safe: a notice decided but not published is published then.
#[derive(thiserror::Error)]
pub enum NotifierError {
    /// The payload is not an EventBridge event this function understands.
    #[error(transparent)]
    InvalidEvent(#[from] MalformedEvent),
    /// An EventBridge event of another kind.
    #[error(
        "unsupported event {detail_type:?} from {source_name:?}: expected \"Config Rules Compliance Change\" from aws.config or \"Scheduled Event\" from aws.events"
    )]
    Unsupported {
        /// Its `detail-type`.
        detail_type: String,
        /// Its `source`.
        source_name: String,
    },
    /// An AWS call failed.
    #[error(transparent)]
    Aws(#[from] AwsFailure),
}

impl NotifierError {
    /// The Lambda `errorType`: what an operator looks for in the function's error metrics.
    pub fn error_type(&self) -> &'static str {
        match self {
            NotifierError::InvalidEvent(_) => "InvalidEvent",
            NotifierError::Unsupported { .. } => "UnsupportedEvent",
            NotifierError::Aws(f) if f.class == FailureClass::AccessDenied => "AccessDenied",
            NotifierError::Aws(_) => "AwsError",
        }
    }
}

ferrops::lambda_error!(NotifierError);
