//! AWS call failures, classified by what the caller should do about them.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure an AWS call met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// The caller lacks permission: fix IAM, retrying will not help.
    AccessDenied,
    /// The service refused the request as invalid: fix the input, retrying will not help.
    Rejected,
    /// Throttling, a server error, a timeout or a network problem: retrying may help.
    Unavailable,
}

/// A failed AWS call: the operation, its class, AWS's code and message, and the SDK error.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed: {message}")]
pub struct AwsFailure {
    /// The API operation, such as `ssm:SendCommand`.
    pub operation: &'static str,
    /// What the caller should do about it.
    pub class: FailureClass,
    /// The error code AWS sent, if any.
    pub code: Option<String>,
    /// "Code: message" as AWS sent it.
    pub message: String,
    /// The SDK error.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl AwsFailure {
    /// Classifies an SDK error from `operation`.
    pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let message = crate::error::describe_sdk_error(&err);
        let (class, code) = match &err {
            SdkError::ServiceError(se) => {
                let code = se.err().code().map(str::to_string);
                let status = se.raw().status().as_u16();
                let class = if crate::error::is_access_denied_code(code.as_deref()) {
                    FailureClass::AccessDenied
                } else if status >= 500
                    || status == 429
                    || code.as_deref().is_some_and(|c| {
                        c.contains("Throttl")
                            || c.contains("TooManyRequests")
                            || c == "RequestLimitExceeded"
                    })
                {
                    FailureClass::Unavailable
                } else {
                    FailureClass::Rejected
                };
                (class, code)
            }
            SdkError::ConstructionFailure(_) => (FailureClass::Rejected, None),
            _ => (FailureClass::Unavailable, None),
        };
        Self {
            operation,
            class,
            code,
            message,
            source: Box::new(err),
        }
    }

    /// A request that could not even be built (a required field missing): the caller's bug or
    /// bad input, so retrying will not help.
    pub fn unbuildable(
        operation: &'static str,
        err: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            operation,
            class: FailureClass::Rejected,
            code: None,
            message: err.to_string(),
            source: Box::new(err),
        }
    }

    /// A response that lacks what the service promises (no ID, items left unprocessed).
    pub fn incomplete(operation: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            operation,
            class: FailureClass::Unavailable,
            code: None,
            source: message.clone().into(),
            message,
        }
    }

    /// True when the error code is `code`.
    pub fn has_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}
