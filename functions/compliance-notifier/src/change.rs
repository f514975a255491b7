//! The "Config Rules Compliance Change" event and the pure decisions about it.

use ferrops::compliance::Compliance;
use serde::Deserialize;

/// The `detail` of a "Config Rules Compliance Change" event.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceChangeDetail {
    /// The resource.
    pub resource_id: String,
    /// The resource type.
    pub resource_type: Option<String>,
    /// The region.
    pub aws_region: String,
    /// The account.
    pub aws_account_id: String,
    /// The rule.
    pub config_rule_name: String,
    /// The rule's ARN.
    #[serde(rename = "configRuleARN")]
    pub config_rule_arn: Option<String>,
    /// The new result.
    pub new_evaluation_result: EvaluationResult,
    /// The previous result, absent on a first evaluation.
    pub old_evaluation_result: Option<EvaluationResult>,
}

/// One evaluation result as the event carries it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationResult {
    /// Which resource and when.
    pub evaluation_result_identifier: Option<ResultIdentifier>,
    /// The result.
    pub compliance_type: Compliance,
    /// When Config recorded the result.
    pub result_recorded_time: Option<String>,
    /// The rule's explanation.
    pub annotation: Option<String>,
}

/// The identifier of a result.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultIdentifier {
    /// The rule and resource.
    pub evaluation_result_qualifier: Option<Qualifier>,
    /// The time the result describes.
    pub ordering_timestamp: Option<String>,
}

/// The rule and resource a result is about.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Qualifier {
    /// The resource type.
    pub resource_type: Option<String>,
}

/// One resource's latest state under one rule, as the findings ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The account.
    pub account: String,
    /// The region.
    pub region: String,
    /// The rule.
    pub rule: String,
    /// The resource type.
    pub resource_type: String,
    /// The resource ID.
    pub resource_id: String,
    /// The latest result.
    pub compliance: Compliance,
    /// The result before the latest one, if known.
    pub previous: Option<Compliance>,
    /// The rule's explanation.
    pub annotation: String,
    /// The evaluation's ordering time, in milliseconds since the epoch: newer results win.
    pub ordering_ms: i64,
    /// When the compliance last changed (seconds since the epoch).
    pub changed_at: i64,
    /// A notification decided but not yet confirmed as published.
    pub pending: Option<Transition>,
}

impl Finding {
    /// The ledger key: one item per (account, region, rule, resource).
    pub fn key(&self) -> String {
        format!(
            "finding#{}#{}#{}#{}#{}",
            self.account, self.region, self.rule, self.resource_type, self.resource_id
        )
    }
}

/// A change worth telling an admin about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The resource became NON_COMPLIANT.
    NewlyNonCompliant,
    /// The resource was NON_COMPLIANT and no longer is.
    Fixed,
}

impl Transition {
    /// The ledger spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::NewlyNonCompliant => "newly_non_compliant",
            Transition::Fixed => "fixed",
        }
    }

    /// Parses the ledger spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "newly_non_compliant" => Some(Transition::NewlyNonCompliant),
            "fixed" => Some(Transition::Fixed),
            _ => None,
        }
    }
}

/// The transition from `previous` to `new`, if it is one admins are told about.
pub fn transition(previous: Option<Compliance>, new: Compliance) -> Option<Transition> {
    use Compliance::{Compliant, NonCompliant, NotApplicable};
    match (previous, new) {
        (Some(NonCompliant), NonCompliant) => None,
        (_, NonCompliant) => Some(Transition::NewlyNonCompliant),
        (Some(NonCompliant), Compliant | NotApplicable) => Some(Transition::Fixed),
        _ => None,
    }
}

/// Milliseconds since the epoch of an ISO 8601 time.
pub fn millis(s: &str) -> Option<i64> {
    aws_smithy_types::DateTime::from_str(s, aws_smithy_types::date_time::Format::DateTime)
        .ok()
        .and_then(|t| t.to_millis().ok())
}

impl ComplianceChangeDetail {
    /// The finding this change describes, as of `now` (seconds).
    pub fn finding(&self, now: i64) -> Finding {
        let new = &self.new_evaluation_result;
        let id = new.evaluation_result_identifier.as_ref();
        let ordering_ms = id
            .and_then(|i| i.ordering_timestamp.as_deref())
            .or(new.result_recorded_time.as_deref())
            .and_then(millis)
            .unwrap_or(now * 1000);
        let resource_type = self
            .resource_type
            .clone()
            .or_else(|| {
                id.and_then(|i| i.evaluation_result_qualifier.as_ref())
                    .and_then(|q| q.resource_type.clone())
            })
            .unwrap_or_else(|| "unknown".to_string());
        Finding {
            account: self.aws_account_id.clone(),
            region: self.aws_region.clone(),
            rule: self.config_rule_name.clone(),
            resource_type,
            resource_id: self.resource_id.clone(),
            compliance: new.compliance_type,
            previous: self.old_compliance(),
            annotation: new.annotation.clone().unwrap_or_default(),
            ordering_ms,
            changed_at: now,
            pending: None,
        }
    }

    /// The previous result Config reported, if any.
    pub fn old_compliance(&self) -> Option<Compliance> {
        self.old_evaluation_result
            .as_ref()
            .map(|o| o.compliance_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Compliance::*;

    #[test]
    fn only_new_non_compliance_and_fixes_are_transitions() {
        let cases = [
            (None, NonCompliant, Some(Transition::NewlyNonCompliant)),
            (
                Some(Compliant),
                NonCompliant,
                Some(Transition::NewlyNonCompliant),
            ),
            (
                Some(NotApplicable),
                NonCompliant,
                Some(Transition::NewlyNonCompliant),
            ),
            (
                Some(InsufficientData),
                NonCompliant,
                Some(Transition::NewlyNonCompliant),
            ),
            (Some(NonCompliant), NonCompliant, None),
            (Some(NonCompliant), Compliant, Some(Transition::Fixed)),
            (Some(NonCompliant), NotApplicable, Some(Transition::Fixed)),
            (None, Compliant, None),
            (Some(Compliant), NotApplicable, None),
            (Some(NonCompliant), InsufficientData, None),
        ];
        for (old, new, want) in cases {
            assert_eq!(transition(old, new), want, "{old:?} -> {new}");
        }
    }

    #[test]
    fn transitions_round_trip_through_their_ledger_spelling() {
        for t in [Transition::NewlyNonCompliant, Transition::Fixed] {
            assert_eq!(Transition::parse(t.as_str()), Some(t));
        }
        assert_eq!(Transition::parse("other"), None);
    }

    #[test]
    fn millis_reads_config_times() {
        assert_eq!(millis("2026-11-20T10:15:30.123Z"), Some(1_795_169_730_123));
        assert_eq!(millis("soon"), None);
    }
}
