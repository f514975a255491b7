//! What admins read: one message per transition, and a digest per account.

use crate::change::{Finding, Transition};
use ferrops::compliance::Compliance;
use std::collections::BTreeMap;

/// SNS subjects are at most 100 printable ASCII characters on one line.
pub const SUBJECT_MAX: usize = 100;

/// One SNS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The e-mail subject.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// Message attributes, for subscription filter policies.
    pub attributes: BTreeMap<String, String>,
}

/// Makes a valid SNS subject: ASCII, no control characters, at most [`SUBJECT_MAX`].
pub fn subject(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else if c.is_whitespace() {
                ' '
            } else {
                '?'
            }
        })
        .collect();
    let clean = clean.trim();
    if clean.len() <= SUBJECT_MAX {
        clean.to_string()
    } else {
        let kept: String = clean.chars().take(SUBJECT_MAX - 3).collect();
        format!("{kept}...")
    }
}

/// The Config console page of a resource.
pub fn console_link(region: &str, resource_type: &str, resource_id: &str) -> String {
    let enc = ferrops::text::percent_encode;
    format!(
        "https://{region}.console.aws.amazon.com/config/home?region={region}#/resources/details?resourceId={}&resourceType={}",
        enc(resource_id),
        enc(resource_type)
    )
}

fn iso(seconds: i64) -> String {
    aws_smithy_types::DateTime::from_secs(seconds)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| seconds.to_string())
}

/// The message for one transition.
pub fn transition_notice(f: &Finding, t: Transition, previous: Option<Compliance>) -> Notice {
    let (tag, headline) = match t {
        Transition::NewlyNonCompliant => ("NON_COMPLIANT", "is now NON_COMPLIANT"),
        Transition::Fixed => ("FIXED", "is no longer NON_COMPLIANT"),
    };
    let evaluated = iso(f.ordering_ms.div_euclid(1000));
    let annotation = if f.annotation.trim().is_empty() {
        "(the rule gave no details)"
    } else {
        f.annotation.trim()
    };
    let action = match t {
        Transition::NewlyNonCompliant => {
            "Fix the resource, or document an exception for this rule."
        }
        Transition::Fixed => "Nothing to do: the finding is resolved.",
    };
    let body = format!(
        "{} {} {headline} under rule {}.\n\n\
         What:     {}\n\
         Resource: {} {}\n\
         Account:  {}\n\
         Region:   {}\n\
         Result:   {} (was {})\n\
         When:     {evaluated}\n\n\
         {action}\n\n\
         Console:  {}\n",
        f.resource_type,
        f.resource_id,
        f.rule,
        annotation,
        f.resource_type,
        f.resource_id,
        f.account,
        f.region,
        f.compliance,
        previous.map_or("not evaluated before", Compliance::as_str),
        console_link(&f.region, &f.resource_type, &f.resource_id),
    );
    Notice {
        subject: subject(&format!(
            "[{tag}] {}: {} ({}/{})",
            f.rule, f.resource_id, f.account, f.region
        )),
        body,
        attributes: BTreeMap::from([
            ("account".to_string(), f.account.clone()),
            ("compliance".to_string(), f.compliance.to_string()),
            ("rule".to_string(), f.rule.clone()),
            ("transition".to_string(), t.as_str().to_string()),
        ]),
    }
}

/// How many offenders the digest names.
pub const WORST_OFFENDERS: usize = 5;

/// The digest of one account: counts per rule, the worst offenders, and what changed since
/// `since` (seconds; `None` for the first digest).
pub fn digest_notice(account: &str, findings: &[&Finding], since: Option<i64>, now: i64) -> Notice {
    let mut per_rule: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut per_resource: BTreeMap<(&str, &str, &str), Vec<&str>> = BTreeMap::new();
    for f in findings {
        let e = per_rule.entry(f.rule.as_str()).or_default();
        e.1 += 1;
        if f.compliance == Compliance::NonCompliant {
            e.0 += 1;
            per_resource
                .entry((
                    f.region.as_str(),
                    f.resource_type.as_str(),
                    f.resource_id.as_str(),
                ))
                .or_default()
                .push(&f.rule);
        }
    }
    let non_compliant: usize = per_rule.values().map(|(n, _)| n).sum();
    let mut offenders: Vec<_> = per_resource.into_iter().collect();
    offenders.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));

    let mut body = format!(
        "Compliance digest for account {account}, {}.\n{non_compliant} non-compliant result{} across {} rule{}.\n\nPer rule (non-compliant / evaluated):\n",
        iso(now),
        if non_compliant == 1 { "" } else { "s" },
        per_rule.len(),
        if per_rule.len() == 1 { "" } else { "s" },
    );
    for (rule, (bad, all)) in &per_rule {
        body.push_str(&format!("  {rule}: {bad} / {all}\n"));
    }
    body.push_str("\nWorst offenders:\n");
    if offenders.is_empty() {
        body.push_str("  none\n");
    }
    for ((region, rtype, id), rules) in offenders.iter().take(WORST_OFFENDERS) {
        body.push_str(&format!(
            "  {rtype} {id} ({region}): {} rule{}: {}\n",
            rules.len(),
            if rules.len() == 1 { "" } else { "s" },
            rules.join(", ")
        ));
    }
    let window = since
        .map(|s| format!("since {}", iso(s)))
        .unwrap_or_else(|| "(first digest)".to_string());
    body.push_str(&format!("\nChanged {window}:\n"));
    let mut changed: Vec<&&Finding> = findings
        .iter()
        .filter(|f| since.is_none_or(|s| f.changed_at > s))
        .collect();
    changed.sort_by_key(|f| std::cmp::Reverse(f.changed_at));
    if changed.is_empty() {
        body.push_str("  nothing\n");
    }
    for f in changed {
        body.push_str(&format!(
            "  {} {} under {}: now {}\n",
            f.resource_type, f.resource_id, f.rule, f.compliance
        ));
    }
    Notice {
        subject: subject(&format!(
            "Compliance digest {account}: {non_compliant} non-compliant"
        )),
        body,
        attributes: BTreeMap::from([
            ("account".to_string(), account.to_string()),
            ("kind".to_string(), "digest".to_string()),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, id: &str, compliance: &str, changed_at: i64) -> Finding {
        Finding {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            rule: rule.into(),
            resource_type: "AWS::EC2::SecurityGroup".into(),
            resource_id: id.into(),
            compliance: Compliance::parse(compliance).unwrap(),
            previous: None,
            annotation: "port 22 open to 0.0.0.0/0".into(),
            ordering_ms: 1_795_169_730_123,
            changed_at,
            pending: None,
        }
    }

    #[test]
    fn a_new_finding_tells_the_admin_everything_needed_to_act() {
        let n = transition_notice(
            &finding("incoming-ssh-disabled", "sg-0abc", "NON_COMPLIANT", 0),
            Transition::NewlyNonCompliant,
            Some(Compliance::Compliant),
        );
        assert_eq!(
            n.subject,
            "[NON_COMPLIANT] incoming-ssh-disabled: sg-0abc (123456789012/eu-west-1)"
        );
        for needle in [
            "incoming-ssh-disabled",
            "AWS::EC2::SecurityGroup sg-0abc",
            "Account:  123456789012",
            "Region:   eu-west-1",
            "port 22 open to 0.0.0.0/0",
            "2026-11-20T10:15:30Z",
            "(was COMPLIANT)",
            "https://eu-west-1.console.aws.amazon.com/config/home?region=eu-west-1#/resources/details?resourceId=sg-0abc&resourceType=AWS%3A%3AEC2%3A%3ASecurityGroup",
        ] {
            assert!(n.body.contains(needle), "missing {needle:?} in\n{}", n.body);
        }
        assert_eq!(n.attributes["transition"], "newly_non_compliant");
    }

    #[test]
    fn a_fix_says_so() {
        let n = transition_notice(
            &finding("r", "sg-1", "COMPLIANT", 0),
            Transition::Fixed,
            Some(Compliance::NonCompliant),
        );
        assert!(n.subject.starts_with("[FIXED] "));
        assert!(n.body.contains("no longer NON_COMPLIANT"));
    }

    #[test]
    fn subjects_are_short_ascii_single_lines() {
        let s = subject(&format!("é\nline{}", "x".repeat(200)));
        assert!(s.len() <= SUBJECT_MAX);
        assert!(s.is_ascii() && !s.contains('\n'));
        assert!(s.starts_with("? line"));
    }

    #[test]
    fn digest_counts_per_rule_names_worst_offenders_and_recent_changes() {
        let fs = [
            finding("ssh", "sg-1", "NON_COMPLIANT", 100),
            finding("ports", "sg-1", "NON_COMPLIANT", 50),
            finding("ssh", "sg-2", "NON_COMPLIANT", 10),
            finding("ssh", "sg-3", "COMPLIANT", 200),
        ];
        let refs: Vec<&Finding> = fs.iter().collect();
        let n = digest_notice("123456789012", &refs, Some(60), 300);
        assert_eq!(n.subject, "Compliance digest 123456789012: 3 non-compliant");
        assert!(n.body.contains("ssh: 2 / 3"), "{}", n.body);
        assert!(n.body.contains("ports: 1 / 1"), "{}", n.body);
        let offenders = n.body.split("Worst offenders:").nth(1).unwrap();
        assert!(
            offenders
                .trim_start()
                .starts_with("AWS::EC2::SecurityGroup sg-1 (eu-west-1): 2 rules"),
            "{}",
            n.body
        );
        let changed = n.body.split("Changed since").nth(1).unwrap();
        assert!(
            changed.contains("sg-3") && changed.contains("sg-1 under ssh"),
            "{}",
            n.body
        );
        assert!(
            !changed.contains("sg-2"),
            "sg-2 changed before the last digest: {}",
            n.body
        );
    }

    #[test]
    fn first_digest_lists_every_change() {
        let fs = [finding("ssh", "sg-1", "COMPLIANT", 1)];
        let n = digest_notice("1", &fs.iter().collect::<Vec<_>>(), None, 5);
        assert!(n.body.contains("(first digest)") && n.body.contains("sg-1"));
        assert!(n.body.contains("Worst offenders:\n  none"));
    }
}
