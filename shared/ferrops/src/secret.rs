//! A value that must never be printed.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// Wraps a secret value so that neither `Debug` nor `Display` can reveal it.
///
/// Reading the value needs an explicit [`Secret::expose`], which keeps every use easy to audit.
/// `Secret` deliberately does not implement `Serialize`: a secret has no business in a response
/// or a log record.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T = String>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Returns the wrapped value. Call it only where the value is handed to the API that needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_print_stars_only() {
        let s = Secret::new("wJalrXUtnFEMI/K7MDENG".to_string());
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Some(&s)), "Some(***)");
    }

    #[test]
    fn expose_returns_the_value() {
        let s: Secret = serde_json::from_str("\"hunter2\"").unwrap();
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn debug_of_a_containing_struct_hides_the_value() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Creds {
            key_id: String,
            secret: Secret,
        }
        let c = Creds {
            key_id: "AKIA".into(),
            secret: Secret::new("topsecret".into()),
        };
        let printed = format!("{c:?}");
        assert!(printed.contains("AKIA"));
        assert!(!printed.contains("topsecret"));
    }
}
