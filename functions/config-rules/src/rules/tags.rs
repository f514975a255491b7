//! `required-tags`: resources carry the required tag keys, optionally with allowed values.

use super::{Context, Needs, ParamSpec, Params, Rule, TriggerKind, Verdict, any_value};
use crate::item::ConfigurationItem;

/// Mirrors the managed rule REQUIRED_TAGS: `tag1Key`..`tag6Key`, each with an optional
/// `tagNValue` of comma-separated allowed values.
pub(crate) static REQUIRED_TAGS: Rule = Rule {
    name: "required-tags",
    description: "Resources carry the tags tag1Key..tag6Key, with one of the allowed values where tagNValue is set.",
    resource_types: &[],
    parameters: &PARAMS,
    iam_actions: &[],
    trigger: TriggerKind::Change,
    needs: Needs::NOTHING,
    check,
};

const fn key(name: &'static str, required: bool) -> ParamSpec {
    ParamSpec {
        name,
        default: None,
        required,
        description: "a tag key the resource must carry",
        check: any_value,
    }
}

const fn value(name: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        default: None,
        required: false,
        description: "comma-separated values allowed for the matching key",
        check: any_value,
    }
}

static PARAMS: [ParamSpec; 12] = [
    key("tag1Key", true),
    value("tag1Value"),
    key("tag2Key", false),
    value("tag2Value"),
    key("tag3Key", false),
    value("tag3Value"),
    key("tag4Key", false),
    value("tag4Value"),
    key("tag5Key", false),
    value("tag5Value"),
    key("tag6Key", false),
    value("tag6Value"),
];

fn check(item: &ConfigurationItem, params: &Params, _: &Context) -> Verdict {
    let mut problems = Vec::new();
    for n in 1..=6 {
        let Some(k) = params.get(&format!("tag{n}Key")) else {
            continue;
        };
        let allowed: Vec<&str> = params
            .get(&format!("tag{n}Value"))
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        match item.tags.get(k) {
            None => problems.push(format!("tag {k:?} is missing")),
            Some(v) if !allowed.is_empty() && !allowed.contains(&v.as_str()) => problems.push(
                format!("tag {k:?} is {v:?}, not one of {}", allowed.join(", ")),
            ),
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        Verdict::compliant("All required tags are present.")
    } else {
        Verdict::non_compliant(format!("{}: {}", item.resource_id, problems.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Compliance;
    use crate::rules::testkit::params;
    use serde_json::json;

    fn tagged(tags: serde_json::Value) -> ConfigurationItem {
        ConfigurationItem::from_json(
            &json!({"resourceType": "AWS::EC2::Instance", "resourceId": "i-1", "tags": tags}),
        )
        .unwrap()
    }

    #[test]
    fn missing_and_disallowed_tags_are_named() {
        let r = &REQUIRED_TAGS;
        let p = params(
            r,
            &[
                ("tag1Key", "owner"),
                ("tag2Key", "env"),
                ("tag2Value", "prod, staging"),
            ],
        );
        let v = r.evaluate(&tagged(json!({"env": "dev"})), &p, &Context::default());
        assert_eq!(v.compliance, Compliance::NonCompliant);
        assert!(
            v.annotation.contains("\"owner\" is missing"),
            "{}",
            v.annotation
        );
        assert!(
            v.annotation
                .contains("\"env\" is \"dev\", not one of prod, staging"),
            "{}",
            v.annotation
        );
    }

    #[test]
    fn present_tags_with_allowed_values_comply() {
        let r = &REQUIRED_TAGS;
        let p = params(
            r,
            &[
                ("tag1Key", "owner"),
                ("tag2Key", "env"),
                ("tag2Value", "prod,staging"),
            ],
        );
        let v = r.evaluate(
            &tagged(json!({"owner": "ops", "env": "staging"})),
            &p,
            &Context::default(),
        );
        assert_eq!(v.compliance, Compliance::Compliant, "{}", v.annotation);
    }

    #[test]
    fn applies_to_every_type() {
        assert!(REQUIRED_TAGS.applies_to("AWS::S3::Bucket"));
        assert!(REQUIRED_TAGS.applies_to("AWS::Lambda::Function"));
    }
}
