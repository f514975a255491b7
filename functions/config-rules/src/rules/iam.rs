//! `iam-policy-no-statements-with-admin-access`: customer managed policies must not allow
//! `Action: "*"` on `Resource: "*"`.

use super::{Context, Needs, Params, Rule, TriggerKind, Verdict};
use crate::item::ConfigurationItem;
use serde_json::Value;

/// Mirrors the managed rule IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS.
pub(crate) static NO_ADMIN_ACCESS: Rule = Rule {
    name: "iam-policy-no-statements-with-admin-access",
    description: "Customer managed IAM policies have no statement that allows Action \"*\" on Resource \"*\".",
    resource_types: &["AWS::IAM::Policy"],
    parameters: &[],
    iam_actions: &[],
    trigger: TriggerKind::Change,
    needs: Needs::NOTHING,
    check,
};

/// Config stores IAM policy documents URL-encoded.
fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(hi * 16 + lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn document(item: &ConfigurationItem) -> Option<Value> {
    let versions = item.configuration.get("policyVersionList")?.as_array()?;
    let default = versions
        .iter()
        .find(|v| v.get("isDefaultVersion").and_then(Value::as_bool) == Some(true))
        .or_else(|| versions.first())?;
    match default.get("document")? {
        Value::String(s) => serde_json::from_str(&percent_decode(s)).ok(),
        v @ Value::Object(_) => Some(v.clone()),
        _ => None,
    }
}

fn has_star(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => s == "*",
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some("*")),
        _ => false,
    }
}

fn check(item: &ConfigurationItem, _: &Params, _: &Context) -> Verdict {
    let name = item
        .resource_name
        .clone()
        .unwrap_or_else(|| item.resource_id.clone());
    let Some(doc) = document(item) else {
        return Verdict::non_compliant(format!(
            "Policy {name}: its default version's document could not be read, so admin access cannot be ruled out."
        ));
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => vec![],
    };
    let admin: Vec<String> = statements
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.get("Effect").and_then(Value::as_str) == Some("Allow")
                && has_star(s.get("Action"))
                && has_star(s.get("Resource"))
        })
        .map(|(i, s)| {
            s.get("Sid")
                .and_then(Value::as_str)
                .map(|x| format!("{x:?}"))
                .unwrap_or_else(|| format!("#{}", i + 1))
        })
        .collect();
    if admin.is_empty() {
        Verdict::compliant(format!("Policy {name} grants no full admin access."))
    } else {
        Verdict::non_compliant(format!(
            "Policy {name} allows Action \"*\" on Resource \"*\" in statement {}. Grant only the actions and resources needed.",
            admin.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Compliance;
    use crate::rules::testkit::item;
    use serde_json::json;

    use ferrops::text::percent_encode as encode;

    fn policy(doc: Value) -> ConfigurationItem {
        let mut i = item(
            "AWS::IAM::Policy",
            "ANPA123",
            json!({
                "policyName": "ops", "policyVersionList": [
                    {"document": encode(&json!({"Statement": []}).to_string()), "versionId": "v1", "isDefaultVersion": false},
                    {"document": encode(&doc.to_string()), "versionId": "v2", "isDefaultVersion": true}
                ]
            }),
        );
        i.resource_name = Some("ops".into());
        i
    }

    fn eval(doc: Value) -> Verdict {
        NO_ADMIN_ACCESS.evaluate(&policy(doc), &Params::default(), &Context::default())
    }

    #[test]
    fn star_on_star_is_non_compliant() {
        let v = eval(
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        );
        assert_eq!(v.compliance, Compliance::NonCompliant);
        assert!(v.annotation.contains("\"All\""), "{}", v.annotation);
    }

    #[test]
    fn arrays_with_star_count_too() {
        let v = eval(
            json!({"Statement": {"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["*"]}}),
        );
        assert_eq!(v.compliance, Compliance::NonCompliant);
    }

    #[test]
    fn scoped_or_denied_statements_comply() {
        let v = eval(json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*"}
        ]}));
        assert_eq!(v.compliance, Compliance::Compliant, "{}", v.annotation);
    }

    #[test]
    fn only_the_default_version_counts() {
        let mut i = policy(json!({"Statement": []}));
        i.configuration["policyVersionList"][0]["document"] = json!(encode(
            &json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
                .to_string()
        ));
        assert_eq!(
            NO_ADMIN_ACCESS
                .evaluate(&i, &Params::default(), &Context::default())
                .compliance,
            Compliance::Compliant
        );
    }

    #[test]
    fn percent_decoding_handles_multibyte_and_stray_percent() {
        assert_eq!(
            percent_decode("%7B%22a%22%3A%22%C3%A9%22%7D"),
            "{\"a\":\"é\"}"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%é%"), "%é%");
    }
}
