//! AWS Config compliance types, as rules report them and compliance-change events carry them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A resource's compliance with one Config rule.
///
/// A rule may report only the first three; Config itself uses `InsufficientData`, and
/// compliance-change events carry it, so readers must accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compliance {
    /// The resource complies.
    Compliant,
    /// The resource does not comply.
    NonCompliant,
    /// The rule does not apply to the resource (deleted, out of scope, wrong type).
    NotApplicable,
    /// Config has no result it can use yet.
    InsufficientData,
}

impl Compliance {
    /// The API spelling, such as `NON_COMPLIANT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Compliant => "COMPLIANT",
            Compliance::NonCompliant => "NON_COMPLIANT",
            Compliance::NotApplicable => "NOT_APPLICABLE",
            Compliance::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    /// Parses the API spelling; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Compliance::Compliant,
            Compliance::NonCompliant,
            Compliance::NotApplicable,
            Compliance::InsufficientData,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// True for the values `PutEvaluations` accepts from a rule.
    pub fn reportable(self) -> bool {
        self != Compliance::InsufficientData
    }
}

impl fmt::Display for Compliance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_spellings_round_trip_through_parse_and_serde() {
        for c in [
            Compliance::Compliant,
            Compliance::NonCompliant,
            Compliance::NotApplicable,
            Compliance::InsufficientData,
        ] {
            assert_eq!(Compliance::parse(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{c}\""));
            assert_eq!(serde_json::from_str::<Compliance>(&json).unwrap(), c);
        }
        assert_eq!(Compliance::parse("compliant"), None);
    }

    #[test]
    fn rules_may_not_report_insufficient_data() {
        assert!(Compliance::NotApplicable.reportable());
        assert!(!Compliance::InsufficientData.reportable());
    }
}
