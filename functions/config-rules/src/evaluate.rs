//! The generic, pure part of evaluation: scope, deleted resources, annotations, batches, and
//! results for resources that vanished.

use crate::item::ConfigurationItem;
use crate::rules::{Compliance, Context, Params, Rule, Verdict};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use std::collections::BTreeSet;

/// `Annotation` is at most 256 characters.
pub(crate) const ANNOTATION_MAX: usize = 256;
/// `PutEvaluations` takes at most 100 evaluations per call.
pub(crate) const BATCH_SIZE: usize = 100;

/// One evaluation, ready for `PutEvaluations`.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The resource type.
    pub(crate) resource_type: String,
    /// The resource ID.
    pub(crate) resource_id: String,
    /// The result.
    pub(crate) compliance: Compliance,
    /// Why; at most [`ANNOTATION_MAX`] characters, cut with a visible mark.
    pub(crate) annotation: String,
    /// The time the evaluation describes.
    pub(crate) ordering: DateTime,
}

impl Evaluation {
    /// Builds an evaluation, fitting the annotation to Config's limit.
    pub(crate) fn new(
        resource_type: &str,
        resource_id: &str,
        verdict: Verdict,
        ordering: DateTime,
    ) -> Self {
        Self {
            resource_type: resource_type.to_string(),
            resource_id: resource_id.to_string(),
            compliance: verdict.compliance,
            annotation: ferrops::text::truncate_end(verdict.annotation.trim(), ANNOTATION_MAX),
            ordering,
        }
    }
}

/// Parses an ISO 8601 time from an event; `fallback` when absent or unreadable.
pub(crate) fn timestamp(s: Option<&str>, fallback: DateTime) -> DateTime {
    s.and_then(|s| DateTime::from_str(s, Format::DateTime).ok())
        .unwrap_or(fallback)
}

/// The verdict the generic cases decide without looking at the item: the resource left the
/// scope, is deleted or unrecorded, or is of a type the rule does not evaluate.
pub(crate) fn generic_verdict(
    rule: &Rule,
    resource_type: &str,
    status: &str,
    left_scope: bool,
) -> Option<Verdict> {
    if left_scope {
        return Some(Verdict::not_applicable(
            "The resource left the rule's scope.",
        ));
    }
    if crate::item::is_gone(status) {
        return Some(Verdict::not_applicable(match status {
            "ResourceNotRecorded" => "Config no longer records this resource.",
            _ => "The resource was deleted.",
        }));
    }
    if !rule.applies_to(resource_type) {
        return Some(Verdict::not_applicable(format!(
            "{resource_type} is not a type {} evaluates ({}).",
            rule.name(),
            rule.resource_types().join(", ")
        )));
    }
    None
}

/// The verdict for one item, with the generic cases decided before the rule is asked.
pub fn verdict_for(
    rule: &Rule,
    params: &Params,
    item: &ConfigurationItem,
    left_scope: bool,
    ctx: &Context,
) -> Verdict {
    generic_verdict(rule, &item.resource_type, &item.status, left_scope)
        .unwrap_or_else(|| rule.evaluate(item, params, ctx))
}

/// Evaluations for an inventory, plus NOT_APPLICABLE for every previously evaluated resource
/// that is no longer in it, so stale NON_COMPLIANT results do not linger.
pub fn evaluate_inventory(
    rule: &Rule,
    params: &Params,
    items: &[ConfigurationItem],
    previous: &[(String, String)],
    ctx: &Context,
    ordering: DateTime,
) -> Vec<Evaluation> {
    let mut out: Vec<Evaluation> = items
        .iter()
        .map(|i| {
            Evaluation::new(
                &i.resource_type,
                &i.resource_id,
                verdict_for(rule, params, i, false, ctx),
                ordering,
            )
        })
        .collect();
    let present: BTreeSet<(&str, &str)> = items
        .iter()
        .map(|i| (i.resource_type.as_str(), i.resource_id.as_str()))
        .collect();
    let mut gone: Vec<&(String, String)> = previous
        .iter()
        .filter(|(t, id)| !present.contains(&(t.as_str(), id.as_str())))
        .collect();
    gone.sort();
    gone.dedup();
    out.extend(gone.into_iter().map(|(t, id)| {
        Evaluation::new(
            t,
            id,
            Verdict::not_applicable("The resource no longer exists."),
            ordering,
        )
    }));
    out
}

/// The resources one event evaluates, with everything read from the evaluated account.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Subject {
    /// One resource whose verdict the event alone decides (deleted, out of scope, wrong type).
    Decided {
        resource_type: String,
        resource_id: String,
        verdict: Verdict,
    },
    /// One configuration item, reported under the type and ID the event named.
    Item {
        resource_type: String,
        resource_id: String,
        /// The item, from the event or fetched.
        item: Box<ConfigurationItem>,
        /// The event says the resource left the rule's scope.
        left_scope: bool,
    },
    /// A periodic run: the inventory of the rule's types and the resources (type, ID) the rule
    /// reported COMPLIANT or NON_COMPLIANT before.
    Inventory {
        items: Vec<ConfigurationItem>,
        previous: Vec<(String, String)>,
    },
}

/// Every evaluation of `subject`, ordered at `ordering`.
pub(crate) fn evaluations(
    rule: &Rule,
    params: &Params,
    subject: &Subject,
    ctx: &Context,
    ordering: DateTime,
) -> Vec<Evaluation> {
    match subject {
        Subject::Decided {
            resource_type,
            resource_id,
            verdict,
        } => vec![Evaluation::new(
            resource_type,
            resource_id,
            verdict.clone(),
            ordering,
        )],
        Subject::Item {
            resource_type,
            resource_id,
            item,
            left_scope,
        } => vec![Evaluation::new(
            resource_type,
            resource_id,
            verdict_for(rule, params, item, *left_scope, ctx),
            ordering,
        )],
        Subject::Inventory { items, previous } => {
            evaluate_inventory(rule, params, items, previous, ctx, ordering)
        }
    }
}

/// Counts per result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    /// COMPLIANT results.
    pub compliant: usize,
    /// NON_COMPLIANT results.
    pub non_compliant: usize,
    /// NOT_APPLICABLE results.
    pub not_applicable: usize,
}

/// Counts the results.
pub(crate) fn tally(evals: &[Evaluation]) -> Tally {
    let mut t = Tally::default();
    for e in evals {
        match e.compliance {
            Compliance::Compliant => t.compliant += 1,
            Compliance::NonCompliant => t.non_compliant += 1,
            Compliance::NotApplicable => t.not_applicable += 1,
            // No verdict constructor makes it, and Config refuses it from a rule.
            Compliance::InsufficientData => {}
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::find;
    use serde_json::json;

    fn sg(id: &str, open: bool) -> ConfigurationItem {
        let cidr = if open { "0.0.0.0/0" } else { "10.0.0.0/8" };
        ConfigurationItem::from_json(&json!({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": id,
            "configuration": {"ipPermissions": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipv4Ranges": [{"cidrIp": cidr}]}]}}))
        .unwrap()
    }

    fn ssh() -> (&'static Rule, Params) {
        let r = find("incoming-ssh-disabled").unwrap();
        (r, r.validate(&Default::default()).unwrap())
    }

    #[test]
    fn left_scope_deleted_and_unrecorded_are_not_applicable() {
        let (r, p) = ssh();
        let ctx = Context::default();
        assert_eq!(
            verdict_for(r, &p, &sg("sg-1", true), true, &ctx).compliance,
            Compliance::NotApplicable
        );
        for status in [
            "ResourceDeleted",
            "ResourceDeletedNotRecorded",
            "ResourceNotRecorded",
        ] {
            let mut item = sg("sg-1", true);
            item.status = status.into();
            let v = verdict_for(r, &p, &item, false, &ctx);
            assert_eq!(v.compliance, Compliance::NotApplicable, "{status}");
        }
    }

    #[test]
    fn out_of_scope_types_are_not_applicable() {
        let (r, p) = ssh();
        let mut item = sg("b", true);
        item.resource_type = "AWS::S3::Bucket".into();
        let v = verdict_for(r, &p, &item, false, &Context::default());
        assert_eq!(v.compliance, Compliance::NotApplicable);
        assert!(v.annotation.contains("AWS::S3::Bucket"));
    }

    #[test]
    fn annotations_are_capped_with_a_visible_mark() {
        let e = Evaluation::new(
            "t",
            "i",
            Verdict::non_compliant("x".repeat(1000)),
            DateTime::from_secs(0),
        );
        assert_eq!(e.annotation.chars().count(), ANNOTATION_MAX);
        assert!(e.annotation.ends_with(ferrops::text::ELLIPSIS));
        let short = Evaluation::new("t", "i", Verdict::compliant("fine"), DateTime::from_secs(0));
        assert_eq!(short.annotation, "fine");
    }

    #[test]
    fn vanished_resources_become_not_applicable() {
        let (r, p) = ssh();
        let items = vec![sg("sg-1", true), sg("sg-2", false)];
        let previous = vec![
            ("AWS::EC2::SecurityGroup".to_string(), "sg-1".to_string()),
            ("AWS::EC2::SecurityGroup".to_string(), "sg-9".to_string()),
        ];
        let evals = evaluate_inventory(
            r,
            &p,
            &items,
            &previous,
            &Context::default(),
            DateTime::from_secs(5),
        );
        assert_eq!(evals.len(), 3);
        let gone = evals.iter().find(|e| e.resource_id == "sg-9").unwrap();
        assert_eq!(gone.compliance, Compliance::NotApplicable);
        assert!(gone.annotation.contains("no longer exists"));
        assert_eq!(
            tally(&evals),
            Tally {
                compliant: 1,
                non_compliant: 1,
                not_applicable: 1
            }
        );
    }

    #[test]
    fn timestamps_parse_config_times_and_fall_back() {
        let t = timestamp(Some("2016-02-24T18:23:20.328Z"), DateTime::from_secs(0));
        assert_eq!(t.secs(), 1_456_338_200);
        assert_eq!(
            timestamp(Some("yesterday"), DateTime::from_secs(7)).secs(),
            7
        );
        assert_eq!(timestamp(None, DateTime::from_secs(7)).secs(), 7);
    }
}
