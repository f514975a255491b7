//! AWS call failures, classified by what the caller should do about them.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Error codes AWS services use for "you are not allowed to do this".
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    // SNS's code for a caller IAM does not allow.
    "AuthorizationError",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "NotAuthorized",
];

/// True when an AWS error code means access was denied.
fn is_access_denied_code(code: Option<&str>) -> bool {
    code.is_some_and(|c| ACCESS_DENIED_CODES.contains(&c))
}

/// Renders an SDK error as "Code: message" without the SDK's nested `Debug` noise.
///
/// The SDK's own `Display` for a service error is only "service error"; operators need the code
/// and the message AWS sent.
fn describe_sdk_error<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error,
{
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            match (e.code(), e.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_string(),
                (None, Some(m)) => m.to_string(),
                (None, None) => e.to_string(),
            }
        }
        SdkError::TimeoutError(_) => "the request timed out".to_string(),
        SdkError::DispatchFailure(d) => {
            if d.is_io() {
                "could not reach the service (I/O error)".to_string()
            } else if d.is_timeout() {
                "the connection timed out".to_string()
            } else {
                "could not send the request".to_string()
            }
        }
        SdkError::ResponseError(r) => format!(
            "the service answered HTTP {} with a body that could not be read",
            r.raw().status().as_u16()
        ),
        SdkError::ConstructionFailure(_) => "the request could not be built".to_string(),
        _ => err.to_string(),
    }
}

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
        let message = describe_sdk_error(&err);
        let (class, code) = match &err {
            SdkError::ServiceError(se) => {
                let code = se.err().code().map(str::to_string);
                let status = se.raw().status().as_u16();
                let class = if is_access_denied_code(code.as_deref()) {
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
}

/// Turns an SDK call's result into ours: [`AwsFailure`] on error, with one service error
/// optionally treated as an expected answer rather than a failure.
pub trait SdkResultExt<T, E> {
    /// The output, or the classified failure of `operation`.
    fn or_failure(self, operation: &'static str) -> Result<T, AwsFailure>;

    /// `Some(output)`; `None` when the service answered with an error that `expected` accepts
    /// (a failed condition, a parameter that does not exist yet); otherwise the classified
    /// failure of `operation`.
    fn unless(
        self,
        operation: &'static str,
        expected: impl FnOnce(&E) -> bool,
    ) -> Result<Option<T>, AwsFailure>;
}

impl<T, E> SdkResultExt<T, E> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn or_failure(self, operation: &'static str) -> Result<T, AwsFailure> {
        self.map_err(|e| AwsFailure::from_sdk(operation, e))
    }

    fn unless(
        self,
        operation: &'static str,
        expected: impl FnOnce(&E) -> bool,
    ) -> Result<Option<T>, AwsFailure> {
        match self {
            Ok(out) => Ok(Some(out)),
            Err(e) if e.as_service_error().is_some_and(expected) => Ok(None),
            Err(e) => Err(AwsFailure::from_sdk(operation, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn service_error(code: &str, status: u16) -> SdkError<GetCallerIdentityError, HttpResponse> {
        SdkError::service_error(
            GetCallerIdentityError::generic(
                ErrorMetadata::builder().code(code).message("m").build(),
            ),
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty()),
        )
    }

    #[test]
    fn failures_are_classified_by_code_and_status() {
        let class = |code, status| {
            AwsFailure::from_sdk("sts:GetCallerIdentity", service_error(code, status)).class
        };
        assert_eq!(class("AccessDenied", 403), FailureClass::AccessDenied);
        assert_eq!(class("ThrottlingException", 400), FailureClass::Unavailable);
        assert_eq!(class("InternalFailure", 500), FailureClass::Unavailable);
        assert_eq!(class("ValidationError", 400), FailureClass::Rejected);
    }

    #[test]
    fn access_denied_codes_are_recognised() {
        assert!(is_access_denied_code(Some("AccessDenied")));
        assert!(is_access_denied_code(Some("AccessDeniedException")));
        assert!(!is_access_denied_code(Some("ThrottlingException")));
        assert!(!is_access_denied_code(None));
    }

    #[test]
    fn unless_turns_only_the_expected_error_into_none() {
        let expected = |e: &GetCallerIdentityError| e.meta().code() == Some("NotFound");
        let ok: Result<u8, _> = Ok(7);
        assert_eq!(ok.unless("op", expected).unwrap(), Some(7));
        let gone: Result<u8, _> = Err(service_error("NotFound", 400));
        assert_eq!(gone.unless("op", expected).unwrap(), None);
        let other: Result<u8, _> = Err(service_error("AccessDenied", 403));
        let f = other.unless("sts:GetCallerIdentity", expected).unwrap_err();
        assert_eq!(f.class, FailureClass::AccessDenied);
        assert_eq!(
            f.to_string(),
            "sts:GetCallerIdentity failed: AccessDenied: m"
        );
    }
}
