//! The function's errors. Business failures (a failed command, bad UserParameters) are reported
//! to CodePipeline as job results; only these reach Lambda as errors.

use crate::job::EventError;
use crate::ports::ReportError;
use lambda_runtime::Diagnostic;

/// Why an invocation ended with a Lambda error.
#[derive(thiserror::Error)]
pub enum RunnerError {
    /// The payload is not a CodePipeline job, so there is no job to report to.
    #[error(transparent)]
    InvalidEvent(#[from] EventError),
    /// The job result could not be delivered; Lambda's retry will try again, and the ledger
    /// keeps the retry from sending a second command.
    #[error(transparent)]
    Report(#[from] ReportError),
}

impl From<RunnerError> for Diagnostic {
    fn from(e: RunnerError) -> Self {
        let error_type = match &e {
            RunnerError::InvalidEvent(_) => "InvalidEvent",
            RunnerError::Report(ReportError::JobNotFound { .. }) => "JobNotFound",
            RunnerError::Report(ReportError::Failed { .. }) => "ReportFailed",
        };
        Diagnostic {
            error_type: error_type.to_string(),
            error_message: e.to_string(),
        }
    }
}

/// The runtime logs a handler error with `{:?}`. The message already names the failed call, AWS's
/// code and message; the SDK's `Debug` would add whole HTTP responses.
impl std::fmt::Debug for RunnerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}
