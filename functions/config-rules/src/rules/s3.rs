//! `s3-bucket-public-read-prohibited` and `s3-bucket-public-write-prohibited`: a bucket must not
//! grant read (or write) to everyone through its ACL or its bucket policy, unless the bucket's
//! public access block neutralises that path.

use super::{Needs, Rule, TriggerKind, Verdict};
use crate::item::{ConfigurationItem, parse_nested};
use serde_json::Value;

const BUCKET: &[&str] = &["AWS::S3::Bucket"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

impl Access {
    fn word(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    fn acl_permissions(self) -> &'static [&'static str] {
        match self {
            Access::Read => &["Read", "FullControl"],
            Access::Write => &["Write", "FullControl"],
        }
    }

    /// Whether an IAM action pattern grants this access to objects or listings.
    fn action_matches(self, action: &str) -> bool {
        let a = action.to_ascii_lowercase();
        let granted: &[&str] = match self {
            Access::Read => &[
                "s3:getobject",
                "s3:getobjectversion",
                "s3:listbucket",
                "s3:listbucketversions",
            ],
            Access::Write => &[
                "s3:putobject",
                "s3:deleteobject",
                "s3:deleteobjectversion",
                "s3:putobjectacl",
                "s3:putbucketacl",
                "s3:putbucketpolicy",
            ],
        };
        granted.iter().any(|g| wildcard_match(&a, g))
    }
}

/// IAM-style match: `*` in `pattern` matches any run of characters.
///
/// Iterative, keeping only the last `*` to fall back to, so the work is bounded by
/// `pattern.len() * text.len()` and the stack stays flat whatever a policy holds.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // The pattern position after the last `*`, and the text position that `*` has reached.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi + 1, ti));
                pi += 1;
            }
            Some(c) if *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((after, reached)) => {
                    star = Some((after, reached + 1));
                    pi = after;
                    ti = reached + 1;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn flag(item: &ConfigurationItem, name: &str) -> bool {
    item.supplementary
        .get("PublicAccessBlockConfiguration")
        .and_then(|p| p.get(name))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn public_grantee(grantee: &Value) -> Option<&'static str> {
    let text = match grantee {
        Value::String(s) => s.clone(),
        Value::Object(o) => ["uri", "URI", "id", "identifier"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    };
    if text.ends_with("AllUsers") {
        Some("everyone (AllUsers)")
    } else if text.ends_with("AuthenticatedUsers") {
        Some("any AWS account (AuthenticatedUsers)")
    } else {
        None
    }
}

fn acl_findings(item: &ConfigurationItem, access: Access) -> Vec<String> {
    let Some(acl) = item.supplementary.get("AccessControlList") else {
        return vec![];
    };
    let grants = acl.get("grantList").and_then(Value::as_array);
    grants
        .into_iter()
        .flatten()
        .filter_map(|g| {
            let permission = g.get("permission").and_then(Value::as_str)?;
            if !access.acl_permissions().contains(&permission) {
                return None;
            }
            let who = public_grantee(g.get("grantee")?)?;
            Some(format!("the ACL grants {permission} to {who}"))
        })
        .collect()
}

fn as_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => vec![],
    }
}

fn principal_is_everyone(p: Option<&Value>) -> bool {
    match p {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(o)) => as_list(o.get("AWS")).iter().any(|a| a == "*"),
        _ => false,
    }
}

fn policy_findings(item: &ConfigurationItem, access: Access) -> Vec<String> {
    let Some(text) = item
        .supplementary
        .get("BucketPolicy")
        .and_then(|b| b.get("policyText"))
    else {
        return vec![];
    };
    let policy = parse_nested(text);
    let statements = match policy.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => vec![],
    };
    statements
        .iter()
        .enumerate()
        .filter_map(|(i, st)| {
            let allow = st.get("Effect").and_then(Value::as_str) == Some("Allow");
            // A condition (source IP, VPC endpoint, organisation) narrows who can use the grant.
            let unconditional = st
                .get("Condition")
                .is_none_or(|c| c.as_object().is_some_and(|o| o.is_empty()));
            if !allow || !unconditional || !principal_is_everyone(st.get("Principal")) {
                return None;
            }
            let actions = as_list(st.get("Action"));
            let hit: Vec<&String> = actions
                .iter()
                .filter(|a| access.action_matches(a))
                .collect();
            if hit.is_empty() {
                return None;
            }
            let sid = st
                .get("Sid")
                .and_then(Value::as_str)
                .map(|s| format!(" {s:?}"))
                .unwrap_or_else(|| format!(" #{}", i + 1));
            Some(format!(
                "policy statement{sid} allows {} to Principal \"*\" without a condition",
                hit.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
        .collect()
}

fn check(item: &ConfigurationItem, access: Access) -> Verdict {
    let mut findings = Vec::new();
    if !flag(item, "ignorePublicAcls") {
        findings.extend(acl_findings(item, access));
    }
    if !flag(item, "restrictPublicBuckets") {
        findings.extend(policy_findings(item, access));
    }
    if findings.is_empty() {
        Verdict::compliant(format!(
            "Bucket {} allows no public {}.",
            item.resource_id,
            access.word()
        ))
    } else {
        Verdict::non_compliant(format!(
            "Bucket {} allows public {}: {}. Remove the grant or turn on the bucket's public access block.",
            item.resource_id,
            access.word(),
            findings.join("; ")
        ))
    }
}

/// Mirrors the managed rule S3_BUCKET_PUBLIC_READ_PROHIBITED.
pub(crate) static PUBLIC_READ_PROHIBITED: Rule = Rule {
    name: "s3-bucket-public-read-prohibited",
    description: "S3 buckets do not allow public read through their ACL or bucket policy (public access block honoured).",
    resource_types: BUCKET,
    parameters: &[],
    iam_actions: &[],
    trigger: TriggerKind::Change,
    needs: Needs::NOTHING,
    check: |item, _, _| check(item, Access::Read),
};

/// Mirrors the managed rule S3_BUCKET_PUBLIC_WRITE_PROHIBITED.
pub(crate) static PUBLIC_WRITE_PROHIBITED: Rule = Rule {
    name: "s3-bucket-public-write-prohibited",
    description: "S3 buckets do not allow public write through their ACL or bucket policy (public access block honoured).",
    resource_types: BUCKET,
    parameters: &[],
    iam_actions: &[],
    trigger: TriggerKind::Change,
    needs: Needs::NOTHING,
    check: |item, _, _| check(item, Access::Write),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_iam_and_stay_fast_on_hostile_patterns() {
        assert!(wildcard_match("s3:*", "s3:getobject"));
        assert!(wildcard_match("s3:get*ct", "s3:getobject"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("s3:put*", "s3:getobject"));
        assert!(!wildcard_match("s3:get", "s3:getobject"));
        let hostile = format!("s3:{}x", "*".repeat(40));
        assert!(!wildcard_match(&hostile, &"s3:".repeat(30)));
        let deep = "*".repeat(100_000);
        assert!(wildcard_match(&deep, "s3:getobject"));
    }
    use crate::rules::{Compliance, Context, Params};
    use serde_json::json;

    fn bucket(supplementary: Value) -> ConfigurationItem {
        ConfigurationItem::from_json(&json!({
            "resourceType": "AWS::S3::Bucket", "resourceId": "my-bucket", "configurationItemStatus": "OK",
            "configuration": {"name": "my-bucket"}, "supplementaryConfiguration": supplementary
        }))
        .unwrap()
    }

    fn read(item: &ConfigurationItem) -> Verdict {
        PUBLIC_READ_PROHIBITED.evaluate(item, &Params::default(), &Context::default())
    }

    fn write(item: &ConfigurationItem) -> Verdict {
        PUBLIC_WRITE_PROHIBITED.evaluate(item, &Params::default(), &Context::default())
    }

    const PUBLIC_READ_ACL: &str = r#"{"grantSet":null,"grantList":[{"grantee":{"id":"abc","displayName":null},"permission":"FullControl"},{"grantee":"AllUsers","permission":"Read"}],"owner":{"displayName":null,"id":"abc"},"isRequesterCharged":false}"#;

    #[test]
    fn all_users_read_grant_is_public_read_but_not_write() {
        let b = bucket(json!({"AccessControlList": PUBLIC_READ_ACL}));
        let v = read(&b);
        assert_eq!(v.compliance, Compliance::NonCompliant);
        assert!(
            v.annotation.contains("grants Read to everyone"),
            "{}",
            v.annotation
        );
        assert_eq!(write(&b).compliance, Compliance::Compliant);
    }

    #[test]
    fn authenticated_users_full_control_is_public_read_and_write() {
        let acl = r#"{"grantList":[{"grantee":{"uri":"http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},"permission":"FullControl"}]}"#;
        let b = bucket(json!({"AccessControlList": acl}));
        assert_eq!(read(&b).compliance, Compliance::NonCompliant);
        assert_eq!(write(&b).compliance, Compliance::NonCompliant);
    }

    #[test]
    fn ignore_public_acls_neutralises_acl_grants() {
        let b = bucket(json!({"AccessControlList": PUBLIC_READ_ACL,
            "PublicAccessBlockConfiguration": {"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true}}));
        assert_eq!(read(&b).compliance, Compliance::Compliant);
    }

    #[test]
    fn bucket_policy_allowing_everyone_is_public() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"},{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:Put*"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#;
        let b = bucket(json!({"BucketPolicy": {"policyText": policy}}));
        let r = read(&b);
        assert_eq!(r.compliance, Compliance::NonCompliant);
        assert!(r.annotation.contains("\"PublicRead\""), "{}", r.annotation);
        let w = write(&b);
        assert_eq!(w.compliance, Compliance::NonCompliant);
        assert!(w.annotation.contains("s3:Put*"), "{}", w.annotation);
    }

    #[test]
    fn conditional_or_named_principals_are_not_public() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*"}
        ]}).to_string();
        let b = bucket(json!({"BucketPolicy": {"policyText": policy}}));
        assert_eq!(read(&b).compliance, Compliance::Compliant);
        assert_eq!(write(&b).compliance, Compliance::Compliant);
    }

    #[test]
    fn restrict_public_buckets_neutralises_the_policy() {
        let policy = r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}"#;
        let b = bucket(
            json!({"BucketPolicy": {"policyText": policy}, "PublicAccessBlockConfiguration": {"restrictPublicBuckets": true}}),
        );
        assert_eq!(read(&b).compliance, Compliance::Compliant);
        let open = bucket(json!({"BucketPolicy": {"policyText": policy}}));
        assert_eq!(read(&open).compliance, Compliance::NonCompliant);
    }

    #[test]
    fn a_bucket_without_acl_or_policy_is_compliant() {
        assert_eq!(read(&bucket(json!({}))).compliance, Compliance::Compliant);
        assert_eq!(
            write(&bucket(json!({"BucketPolicy": {"policyText": null}}))).compliance,
            Compliance::Compliant
        );
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard_match("s3:get*", "s3:getobject"));
        assert!(wildcard_match("*", "s3:putobject"));
        assert!(wildcard_match("s3:*object", "s3:putobject"));
        assert!(!wildcard_match("s3:list*", "s3:getobject"));
    }
}
