//! `encrypted-volumes`: attached EBS volumes are encrypted, optionally with a given KMS key.

use super::{Context, Needs, ParamSpec, Params, Rule, TriggerKind, Verdict, any_value};
use crate::item::ConfigurationItem;
use serde_json::Value;

/// Mirrors the managed rule ENCRYPTED_VOLUMES.
pub(crate) static ENCRYPTED_VOLUMES: Rule = Rule {
    name: "encrypted-volumes",
    description: "Attached EBS volumes are encrypted, with the given KMS key when kmsId is set.",
    resource_types: &["AWS::EC2::Volume"],
    parameters: PARAMS,
    iam_actions: &[],
    trigger: TriggerKind::Change,
    needs: Needs::NOTHING,
    check,
};

static PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "kmsId",
    default: None,
    required: false,
    description: "ID or ARN of the KMS key the volumes must be encrypted with",
    check: any_value,
}];

/// Whether `actual` (a key ARN) names the key `wanted` (an ID, an ARN or an alias ARN).
fn same_key(actual: &str, wanted: &str) -> bool {
    actual == wanted || actual.ends_with(&format!("/{wanted}"))
}

fn check(item: &ConfigurationItem, params: &Params, _: &Context) -> Verdict {
    let c = &item.configuration;
    let attached = c
        .get("attachments")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if !attached {
        return Verdict::not_applicable(format!(
            "Volume {} is not attached to an instance.",
            item.resource_id
        ));
    }
    if c.get("encrypted").and_then(Value::as_bool) != Some(true) {
        return Verdict::non_compliant(format!(
            "Volume {} is attached but not encrypted.",
            item.resource_id
        ));
    }
    let key = c
        .get("kmsKeyId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match params.get("kmsId") {
        Some(wanted) if !same_key(key, wanted) => Verdict::non_compliant(format!(
            "Volume {} is encrypted with {}, not with the required key {wanted}.",
            item.resource_id,
            if key.is_empty() {
                "an unknown key"
            } else {
                key
            }
        )),
        _ => Verdict::compliant(format!("Volume {} is encrypted.", item.resource_id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Compliance;
    use crate::rules::testkit::{item, params};
    use serde_json::json;

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn vol(encrypted: bool, key: Option<&str>, attached: bool) -> ConfigurationItem {
        let attachments = if attached {
            json!([{"instanceId": "i-1", "state": "attached"}])
        } else {
            json!([])
        };
        item(
            "AWS::EC2::Volume",
            "vol-1",
            json!({"volumeId": "vol-1", "encrypted": encrypted, "kmsKeyId": key, "attachments": attachments}),
        )
    }

    #[test]
    fn unencrypted_attached_volume_is_non_compliant() {
        let r = &ENCRYPTED_VOLUMES;
        let v = r.evaluate(
            &vol(false, None, true),
            &params(r, &[]),
            &Context::default(),
        );
        assert_eq!(v.compliance, Compliance::NonCompliant);
    }

    #[test]
    fn encrypted_volume_is_compliant_and_detached_is_not_applicable() {
        let r = &ENCRYPTED_VOLUMES;
        assert_eq!(
            r.evaluate(
                &vol(true, Some(KEY), true),
                &params(r, &[]),
                &Context::default()
            )
            .compliance,
            Compliance::Compliant
        );
        assert_eq!(
            r.evaluate(
                &vol(false, None, false),
                &params(r, &[]),
                &Context::default()
            )
            .compliance,
            Compliance::NotApplicable
        );
    }

    #[test]
    fn kms_key_parameter_matches_by_id_or_arn() {
        let r = &ENCRYPTED_VOLUMES;
        for wanted in [KEY, "1234abcd-12ab-34cd-56ef-1234567890ab"] {
            let p = params(r, &[("kmsId", wanted)]);
            assert_eq!(
                r.evaluate(&vol(true, Some(KEY), true), &p, &Context::default())
                    .compliance,
                Compliance::Compliant
            );
        }
        let p = params(r, &[("kmsId", "other-key")]);
        let v = r.evaluate(&vol(true, Some(KEY), true), &p, &Context::default());
        assert_eq!(v.compliance, Compliance::NonCompliant);
        assert!(v.annotation.contains("other-key"));
    }
}
