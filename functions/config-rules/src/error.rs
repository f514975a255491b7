//! The function's errors: each reaches Config's invocation log with a deliberate `errorType`.

use ferrops::event::MalformedEvent;
use ferrops::{AwsFailure, FailureClass};

/// Why an event got no evaluations.
#[derive(thiserror::Error)]
pub enum RuleError {
    /// The payload is not a Config rule event.
    #[error(transparent)]
    InvalidEvent(#[from] MalformedEvent),
    /// Neither the `rule` parameter nor `RULE` names a rule.
    #[error("no rule chosen: set the rule parameter \"rule\" (or the RULE environment variable) to one of {}", .known.join(", "))]
    NoRule {
        /// The shipped rules.
        known: Vec<&'static str>,
    },
    /// The rule named does not exist.
    #[error("unknown rule {name:?}; the rules are {}", .known.join(", "))]
    UnknownRule {
        /// The name given.
        name: String,
        /// The shipped rules.
        known: Vec<&'static str>,
    },
    /// The rule parameters are wrong.
    #[error("invalid parameters for {rule}: {}", .problems.join("; "))]
    InvalidParameters {
        /// The rule.
        rule: String,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// A periodic run of a rule that evaluates every resource type.
    #[error(
        "{rule} evaluates every resource type, so it cannot run periodically; trigger it on configuration changes"
    )]
    NotPeriodic {
        /// The rule.
        rule: String,
    },
    /// Assuming the execution role failed.
    #[error("{source}{hint}")]
    AssumeRole {
        /// The STS failure.
        #[source]
        source: AwsFailure,
        /// Extra advice, empty when none applies.
        hint: &'static str,
    },
    /// An AWS call in the evaluated account failed.
    #[error("{}", describe(.principal, .account, .failure))]
    Aws {
        /// The role the call ran as, or this function's own role.
        principal: String,
        /// The evaluated account.
        account: String,
        /// The failure.
        #[source]
        failure: Box<AwsFailure>,
    },
    /// An oversized item could not be fetched.
    #[error(
        "Config has no configuration item for {resource_type} {resource_id} at or before {capture_time}"
    )]
    ItemNotFound {
        /// The resource type.
        resource_type: String,
        /// The resource ID.
        resource_id: String,
        /// The capture time asked for.
        capture_time: String,
    },
}

fn describe(principal: &str, account: &str, f: &AwsFailure) -> String {
    if f.class == FailureClass::AccessDenied {
        format!(
            "access denied: {principal} in account {account} may not call {} ({}); grant {} to it",
            f.operation, f.message, f.operation
        )
    } else {
        format!(
            "{} as {principal} in account {account} failed: {}",
            f.operation, f.message
        )
    }
}

impl RuleError {
    /// The Lambda `errorType`.
    pub(crate) fn error_type(&self) -> &'static str {
        match self {
            RuleError::InvalidEvent(_) => "InvalidEvent",
            RuleError::NoRule { .. } | RuleError::UnknownRule { .. } => "UnknownRule",
            RuleError::InvalidParameters { .. } | RuleError::NotPeriodic { .. } => {
                "InvalidParameters"
            }
            RuleError::AssumeRole { source, .. } if source.class == FailureClass::AccessDenied => {
                "AccessDenied"
            }
            RuleError::AssumeRole { .. } => "AssumeRoleFailed",
            RuleError::Aws { failure, .. } if failure.class == FailureClass::AccessDenied => {
                "AccessDenied"
            }
            RuleError::Aws { .. } => "AwsError",
            RuleError::ItemNotFound { .. } => "ItemNotFound",
        }
    }
}

ferrops::lambda_error!(RuleError);
