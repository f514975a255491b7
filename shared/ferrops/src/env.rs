//! Typed settings read from the environment once, at start-up.

/// A setting the function cannot start without is missing or unusable. The runtime reports it
/// as an init error, before any event is taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    /// A required variable is not set (or is empty).
    #[error("environment variable {name} is required: {purpose}")]
    Missing {
        /// The variable's name.
        name: &'static str,
        /// What the variable is for, so the message tells the operator what to set.
        purpose: &'static str,
    },
    /// A variable is set to a value that cannot be used.
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid {
        /// The variable's name.
        name: &'static str,
        /// Why the value was refused.
        reason: String,
    },
}

/// Returns the value of a required variable, or an error that says what it is for.
pub fn required(name: &'static str, purpose: &'static str) -> Result<String, EnvError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(EnvError::Missing { name, purpose }),
    }
}

/// Returns the value of an optional variable; unset and empty both read as `None`.
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Parses an optional variable, or returns `default` when it is unset.
pub fn parse_or<T>(name: &'static str, default: T) -> Result<T, EnvError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match optional(name) {
        None => Ok(default),
        Some(raw) => parse_value(name, &raw),
    }
}

/// Parses `raw`, the value of `name`. The value is not echoed: a secret pasted into the wrong
/// variable must not reach the init error.
fn parse_value<T>(name: &'static str, raw: &str) -> Result<T, EnvError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    raw.trim().parse().map_err(|e: T::Err| EnvError::Invalid {
        name,
        reason: format!("not a valid value: {e}"),
    })
}

/// The Lambda function's name, from the variable Lambda sets, or `fallback` outside Lambda.
pub fn function_name(fallback: &str) -> String {
    optional("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| fallback.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_required_variable_names_itself_and_its_purpose() {
        let err = required("FERROPS_TEST_SURELY_UNSET", "the ledger table").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("FERROPS_TEST_SURELY_UNSET"), "{msg}");
        assert!(msg.contains("the ledger table"), "{msg}");
    }

    #[test]
    fn an_unparsable_value_is_named_but_not_echoed() {
        let err = parse_value::<u32>("MAX_WAIT_SECONDS", "hunter2").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("MAX_WAIT_SECONDS"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    #[test]
    fn parse_or_uses_the_default_when_unset() {
        let v: u32 = parse_or("FERROPS_TEST_SURELY_UNSET_TOO", 7).unwrap();
        assert_eq!(v, 7);
    }
}
