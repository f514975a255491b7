//! One configuration item, whichever way it arrived.
//!
//! Config delivers items in a rule event with different field names from the ones
//! `GetResourceConfigHistory` and `BatchGetResourceConfig` return (`awsAccountId` vs `accountId`,
//! `ARN` vs `arn`, `configurationItemVersion` vs `version`), and the API returns `configuration`
//! and every `supplementaryConfiguration` value as JSON *strings*. Both forms become the same
//! [`ConfigurationItem`] here, so rules never see the difference.

use serde_json::Value;
use std::collections::BTreeMap;

/// A resource's configuration, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigurationItem {
    /// `AWS::EC2::SecurityGroup` and the like.
    pub resource_type: String,
    /// The resource ID (`sg-…`, a bucket name, a policy ID).
    pub resource_id: String,
    /// The resource name, when it has one.
    pub resource_name: Option<String>,
    /// The resource ARN.
    pub arn: Option<String>,
    /// The owning account.
    pub account_id: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// When Config captured the item (ISO 8601).
    pub capture_time: Option<String>,
    /// `OK`, `ResourceDiscovered`, `ResourceNotRecorded`, `ResourceDeleted`,
    /// `ResourceDeletedNotRecorded`.
    pub status: String,
    /// The resource's configuration, always an object (or null).
    pub configuration: Value,
    /// Supplementary configuration, every value parsed to JSON where it was a JSON string.
    pub supplementary: BTreeMap<String, Value>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// Whether an item of `status` is deleted or no longer recorded: nothing is left to evaluate.
pub(crate) fn is_gone(status: &str) -> bool {
    matches!(
        status,
        "ResourceDeleted" | "ResourceDeletedNotRecorded" | "ResourceNotRecorded"
    )
}

impl ConfigurationItem {
    /// Reads an item as a rule event carries it, or as the API returns it (the JSON names of
    /// `GetResourceConfigHistory`'s `ConfigurationItem`).
    pub fn from_json(v: &Value) -> Result<Self, String> {
        let s = |keys: &[&str]| -> Option<String> {
            keys.iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str))
                .map(str::to_string)
        };
        let resource_type =
            s(&["resourceType"]).ok_or("the configuration item has no resourceType")?;
        let resource_id = s(&["resourceId"]).ok_or("the configuration item has no resourceId")?;
        let supplementary = match v.get("supplementaryConfiguration") {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| (k.clone(), parse_nested(v)))
                .collect(),
            _ => BTreeMap::new(),
        };
        let tags = match v.get("tags") {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        Ok(Self {
            resource_type,
            resource_id,
            resource_name: s(&["resourceName"]),
            arn: s(&["ARN", "arn"]),
            account_id: s(&["awsAccountId", "accountId"]),
            region: s(&["awsRegion"]),
            capture_time: s(&["configurationItemCaptureTime"]).or_else(|| {
                // The API's capture time arrives as epoch seconds in some SDK renderings.
                v.get("configurationItemCaptureTime")
                    .and_then(Value::as_f64)
                    .map(epoch_to_iso)
            }),
            status: s(&["configurationItemStatus"]).unwrap_or_else(|| "OK".to_string()),
            configuration: v
                .get("configuration")
                .map(parse_nested)
                .unwrap_or(Value::Null),
            supplementary,
            tags,
        })
    }
}

/// A value that is a JSON document inside a string becomes that document; others are unchanged.
///
/// Some values are encoded twice (the S3 `AccessControlList` arrives as a JSON string holding a
/// JSON string), so decoding repeats while the result is still a string holding a document.
pub(crate) fn parse_nested(v: &Value) -> Value {
    let mut current = v.clone();
    for _ in 0..3 {
        let Value::String(s) = &current else { break };
        let t = s.trim_start();
        let looks_like_json = t.starts_with('{') || t.starts_with('[') || t.starts_with('"');
        match serde_json::from_str::<Value>(s) {
            Ok(parsed) if looks_like_json => current = parsed,
            _ => break,
        }
    }
    current
}

fn epoch_to_iso(secs: f64) -> String {
    aws_smithy_types::DateTime::from_secs_f64(secs)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_and_api_forms_give_the_same_item() {
        let event = json!({
            "configurationItemVersion": "1.3", "awsAccountId": "123456789012", "awsRegion": "us-east-1",
            "ARN": "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1", "configurationStateMd5Hash": "",
            "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "resourceName": "web",
            "configurationItemCaptureTime": "2026-01-02T03:04:05.000Z", "configurationItemStatus": "OK",
            "configuration": {"groupId": "sg-1"}, "supplementaryConfiguration": {}, "tags": {"env": "prod"}
        });
        let api = json!({
            "version": "1.3", "accountId": "123456789012", "awsRegion": "us-east-1",
            "arn": "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1", "configurationItemMD5Hash": "",
            "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "resourceName": "web",
            "configurationItemCaptureTime": "2026-01-02T03:04:05.000Z", "configurationItemStatus": "OK",
            "configuration": "{\"groupId\": \"sg-1\"}", "supplementaryConfiguration": {}, "tags": {"env": "prod"}
        });
        assert_eq!(
            ConfigurationItem::from_json(&event).unwrap(),
            ConfigurationItem::from_json(&api).unwrap()
        );
    }

    #[test]
    fn supplementary_json_strings_are_parsed() {
        let v = json!({"resourceType": "AWS::S3::Bucket", "resourceId": "b",
            "supplementaryConfiguration": {"AccessControlList": "{\"grantList\": []}", "BucketPolicy": {"policyText": null}}});
        let item = ConfigurationItem::from_json(&v).unwrap();
        assert_eq!(
            item.supplementary["AccessControlList"],
            json!({"grantList": []})
        );
        assert_eq!(
            item.supplementary["BucketPolicy"],
            json!({"policyText": null})
        );
    }

    #[test]
    fn doubly_encoded_values_are_unwrapped() {
        let inner =
            json!({"grantList": [{"grantee": "AllUsers", "permission": "Read"}]}).to_string();
        let twice = Value::String(Value::String(inner).to_string());
        assert_eq!(parse_nested(&twice)["grantList"][0]["grantee"], "AllUsers");
        assert_eq!(
            parse_nested(&json!("false")),
            json!("false"),
            "plain strings stay strings"
        );
        assert_eq!(parse_nested(&json!("\"quoted\"")), json!("quoted"));
    }

    #[test]
    fn missing_identity_fields_are_clear_errors() {
        assert!(
            ConfigurationItem::from_json(&json!({"resourceId": "x"}))
                .unwrap_err()
                .contains("resourceType")
        );
        assert!(
            ConfigurationItem::from_json(&json!({"resourceType": "x"}))
                .unwrap_err()
                .contains("resourceId")
        );
    }

    #[test]
    fn deleted_and_unrecorded_items_are_gone() {
        for (status, gone) in [
            ("OK", false),
            ("ResourceDiscovered", false),
            ("ResourceDeleted", true),
            ("ResourceDeletedNotRecorded", true),
            ("ResourceNotRecorded", true),
        ] {
            let v =
                json!({"resourceType": "t", "resourceId": "i", "configurationItemStatus": status});
            assert_eq!(
                is_gone(&ConfigurationItem::from_json(&v).unwrap().status),
                gone,
                "{status}"
            );
        }
    }
}
