//! Typed settings read from the environment once, at start-up.

use crate::Error;

/// Returns the value of a required variable, or an error that says what it is for.
pub fn required(name: &'static str, purpose: &'static str) -> Result<String, Error> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(Error::MissingEnv { name, purpose }),
    }
}

/// Returns the value of an optional variable; unset and empty both read as `None`.
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Parses an optional variable, or returns `default` when it is unset.
pub fn parse_or<T>(name: &'static str, default: T) -> Result<T, Error>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match optional(name) {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|e: T::Err| Error::InvalidEnv {
            name,
            reason: format!("{raw:?} is not valid: {e}"),
        }),
    }
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
    fn parse_or_uses_the_default_when_unset() {
        let v: u32 = parse_or("FERROPS_TEST_SURELY_UNSET_TOO", 7).unwrap();
        assert_eq!(v, 7);
    }
}
