//! Errors of the shared library.

use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// Everything that can go wrong in the shared library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting read at start-up is missing or unusable.
    #[error(transparent)]
    Env(#[from] crate::env::EnvError),

    /// An environment variable is set to a value that cannot be used.
    #[error("environment variable {name} is invalid: {reason}")]
    InvalidEnv {
        /// The variable's name.
        name: &'static str,
        /// Why the value was refused.
        reason: String,
    },

    /// A role ARN or external ID does not have the shape STS accepts.
    #[error("invalid role: {0}")]
    InvalidRole(String),

    /// STS refused to let us assume the role.
    #[error(
        "access denied assuming role {role_arn} (account {account}): the role's trust policy must allow \
         this function's execution role to call sts:AssumeRole{external_id_hint}"
    )]
    AssumeRoleDenied {
        /// The role that was refused.
        role_arn: String,
        /// The account that owns the role.
        account: String,
        /// A hint about the external ID condition, empty when none was sent.
        external_id_hint: &'static str,
        /// The STS error.
        #[source]
        source: Box<SdkError<AssumeRoleError>>,
    },

    /// STS failed for another reason (throttling, network, bad request).
    #[error("assuming role {role_arn} failed: {message}")]
    AssumeRole {
        /// The role we tried to assume.
        role_arn: String,
        /// The error's code and message, as STS returned them.
        message: String,
        /// The STS error.
        #[source]
        source: Box<SdkError<AssumeRoleError>>,
    },

    /// STS answered without credentials.
    #[error("STS returned no credentials for role {0}")]
    NoCredentials(String),
}

impl Error {
    /// True when the error means the caller lacks permission, which callers usually report
    /// differently from a transient failure.
    pub fn is_access_denied(&self) -> bool {
        matches!(self, Error::AssumeRoleDenied { .. })
    }
}

/// Error codes AWS services use for "you are not allowed to do this".
pub const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "NotAuthorized",
];

/// True when an AWS error code means access was denied.
pub fn is_access_denied_code(code: Option<&str>) -> bool {
    code.is_some_and(|c| ACCESS_DENIED_CODES.contains(&c))
}

/// Renders an SDK error as "Code: message" without the SDK's nested `Debug` noise.
///
/// The SDK's own `Display` for a service error is only "service error"; operators need the code
/// and the message AWS sent.
pub fn describe_sdk_error<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error,
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

/// Makes a crate's error enum a Lambda error: `Debug` prints the `Display` message, and the
/// enum converts into the runtime's `Diagnostic` with the `errorType` its inherent
/// `fn error_type(&self) -> &'static str` chooses.
///
/// The runtime logs a handler error with `{:?}`. Our messages already name the failed call with
/// AWS's code and message; the derived `Debug` would add whole SDK errors and HTTP responses.
#[macro_export]
macro_rules! lambda_error {
    ($ty:ty) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self, f)
            }
        }

        impl ::std::convert::From<$ty> for $crate::__private::Diagnostic {
            fn from(e: $ty) -> Self {
                $crate::__private::Diagnostic {
                    error_type: e.error_type().to_string(),
                    error_message: e.to_string(),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(thiserror::Error)]
    enum Sample {
        #[error("the ledger table is missing")]
        NoTable,
    }

    impl Sample {
        fn error_type(&self) -> &'static str {
            "NoTable"
        }
    }

    lambda_error!(Sample);

    #[test]
    fn lambda_errors_debug_as_their_message_and_carry_their_error_type() {
        assert_eq!(
            format!("{:?}", Sample::NoTable),
            "the ledger table is missing"
        );
        let d = crate::__private::Diagnostic::from(Sample::NoTable);
        assert_eq!(d.error_type, "NoTable");
        assert_eq!(d.error_message, "the ledger table is missing");
    }

    #[test]
    fn access_denied_codes_are_recognised() {
        assert!(is_access_denied_code(Some("AccessDenied")));
        assert!(is_access_denied_code(Some("AccessDeniedException")));
        assert!(!is_access_denied_code(Some("ThrottlingException")));
        assert!(!is_access_denied_code(None));
    }
}
