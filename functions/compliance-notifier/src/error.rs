//! The function's errors.

use ferrops::{AwsFailure, FailureClass};
use lambda_runtime::Diagnostic;

/// Why an event was not handled. EventBridge's asynchronous invocation retries these, and the
/// ledger makes the retry safe: a notice decided but not published is published then.
#[derive(thiserror::Error)]
pub enum NotifierError {
    /// The payload is not an EventBridge event this function understands.
    #[error("malformed event: {0}")]
    InvalidEvent(String),
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

impl std::fmt::Debug for NotifierError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl From<NotifierError> for Diagnostic {
    fn from(e: NotifierError) -> Self {
        let error_type = match &e {
            NotifierError::InvalidEvent(_) => "InvalidEvent",
            NotifierError::Unsupported { .. } => "UnsupportedEvent",
            NotifierError::Aws(f) if f.class == FailureClass::AccessDenied => "AccessDenied",
            NotifierError::Aws(_) => "AwsError",
        };
        Diagnostic {
            error_type: error_type.to_string(),
            error_message: e.to_string(),
        }
    }
}
