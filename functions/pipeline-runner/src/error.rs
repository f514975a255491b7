//! The function's errors. Business failures (a failed command, bad UserParameters) are reported
//! to CodePipeline as job results; only these reach Lambda as errors.

use crate::ports::ReportError;
use ferrops::event::MalformedEvent;

/// Why an invocation ended with a Lambda error.
#[derive(thiserror::Error)]
pub enum RunnerError {
    /// The payload is not a CodePipeline job, so there is no job to report to.
    #[error(transparent)]
    InvalidEvent(#[from] MalformedEvent),
    /// The job result could not be delivered; Lambda's retry will try again, and the ledger
    /// keeps the retry from sending a second command.
    #[error(transparent)]
    Report(#[from] ReportError),
}

impl RunnerError {
    /// The `errorType` Lambda records: `InvalidEvent`, `JobNotFound` or `ReportFailed`.
    pub(crate) fn error_type(&self) -> &'static str {
        match self {
            RunnerError::InvalidEvent(_) => "InvalidEvent",
            RunnerError::Report(ReportError::JobNotFound { .. }) => "JobNotFound",
            RunnerError::Report(ReportError::Failed { .. }) => "ReportFailed",
        }
    }
}

ferrops::lambda_error!(RunnerError);
