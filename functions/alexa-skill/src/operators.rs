//! Who may operate pipelines by voice: the allow-list kept in Parameter Store.

use std::collections::BTreeMap;

/// Allowed Alexa user IDs and the names to record them by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operators(BTreeMap<String, Option<String>>);

impl Operators {
    /// Parses the parameter's value: either a JSON object of user ID → name, or user IDs
    /// separated by commas or new lines.
    pub(crate) fn parse(value: &str) -> Self {
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(value) {
            return Self(
                m.into_iter()
                    .map(|(id, name)| {
                        (
                            id.trim().to_string(),
                            name.as_str()
                                .map(str::to_string)
                                .filter(|n| !n.trim().is_empty()),
                        )
                    })
                    .filter(|(id, _)| !id.is_empty())
                    .collect(),
            );
        }
        Self(
            value
                .split([',', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|id| (id.to_string(), None))
                .collect(),
        )
    }

    /// Whether `user_id` may operate.
    pub fn allows(&self, user_id: Option<&str>) -> bool {
        user_id.is_some_and(|u| self.0.contains_key(u))
    }

    /// How to name `user_id` in an approval summary.
    pub(crate) fn describe(&self, user_id: &str) -> String {
        match self.0.get(user_id) {
            Some(Some(name)) => format!("{name} ({user_id})"),
            _ => user_id.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_maps_and_plain_lists_both_work() {
        let m = Operators::parse(r#"{"amzn1.ask.account.A": "Alice", "amzn1.ask.account.B": ""}"#);
        assert!(m.allows(Some("amzn1.ask.account.A")) && m.allows(Some("amzn1.ask.account.B")));
        assert_eq!(
            m.describe("amzn1.ask.account.A"),
            "Alice (amzn1.ask.account.A)"
        );
        assert_eq!(m.describe("amzn1.ask.account.B"), "amzn1.ask.account.B");
        let l = Operators::parse("amzn1.ask.account.A, amzn1.ask.account.C\namzn1.ask.account.D");
        assert!(l.allows(Some("amzn1.ask.account.D")));
        assert!(!l.allows(Some("amzn1.ask.account.B")));
        assert!(!l.allows(None));
    }

    #[test]
    fn an_empty_list_allows_nobody() {
        assert!(!Operators::parse("").allows(Some("anyone")));
        assert!(!Operators::default().allows(Some("anyone")));
    }
}
