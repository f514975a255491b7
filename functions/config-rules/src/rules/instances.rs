//! `ec2-instance-managed-by-ssm`: every running instance is an SSM managed instance, which is
//! also what `pipeline-runner` needs to reach it.

use super::{Context, Needs, Params, Rule, TriggerKind, Verdict};
use crate::item::ConfigurationItem;
use crate::ports::actions;
use serde_json::Value;

/// Mirrors the managed rule EC2_INSTANCE_MANAGED_BY_SSM.
pub(crate) static MANAGED_BY_SSM: Rule = Rule {
    name: "ec2-instance-managed-by-ssm",
    description: "Every running EC2 instance is managed by Systems Manager (its SSM agent is registered).",
    resource_types: &["AWS::EC2::Instance"],
    parameters: &[],
    iam_actions: &[
        actions::DESCRIBE_INSTANCE_INFORMATION,
        actions::LIST_DISCOVERED_RESOURCES,
        actions::BATCH_GET_RESOURCE_CONFIG,
        actions::GET_COMPLIANCE_DETAILS_BY_CONFIG_RULE,
    ],
    trigger: TriggerKind::Periodic,
    needs: Needs {
        managed_instances: true,
    },
    check,
};

fn check(item: &ConfigurationItem, _: &Params, ctx: &Context) -> Verdict {
    let state = match item.configuration.get("state") {
        Some(Value::Object(o)) => o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    if state != "running" {
        let state = if state.is_empty() {
            "unknown"
        } else {
            state.as_str()
        };
        return Verdict::not_applicable(format!(
            "Instance {} is {state}, not running.",
            item.resource_id
        ));
    }
    let managed = ctx
        .managed_instances
        .as_ref()
        .is_some_and(|m| m.contains(&item.resource_id));
    if managed {
        Verdict::compliant(format!(
            "Instance {} is an SSM managed instance.",
            item.resource_id
        ))
    } else {
        Verdict::non_compliant(format!(
            "Instance {} is running but not managed by Systems Manager: check that the SSM agent runs, that the instance profile includes AmazonSSMManagedInstanceCore, and that the instance can reach the SSM endpoints.",
            item.resource_id
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Compliance;
    use crate::rules::testkit::item;
    use serde_json::json;

    fn ctx(ids: &[&str]) -> Context {
        Context {
            managed_instances: Some(ids.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn instance(state: &str) -> ConfigurationItem {
        item(
            "AWS::EC2::Instance",
            "i-0abc",
            json!({"instanceId": "i-0abc", "state": {"code": 16, "name": state}}),
        )
    }

    #[test]
    fn running_and_managed_complies() {
        assert_eq!(
            MANAGED_BY_SSM
                .evaluate(&instance("running"), &Params::default(), &ctx(&["i-0abc"]))
                .compliance,
            Compliance::Compliant
        );
    }

    #[test]
    fn running_but_unmanaged_does_not() {
        let v =
            MANAGED_BY_SSM.evaluate(&instance("running"), &Params::default(), &ctx(&["i-other"]));
        assert_eq!(v.compliance, Compliance::NonCompliant);
        assert!(v.annotation.contains("AmazonSSMManagedInstanceCore"));
    }

    #[test]
    fn stopped_instances_are_not_applicable() {
        assert_eq!(
            MANAGED_BY_SSM
                .evaluate(&instance("stopped"), &Params::default(), &ctx(&[]))
                .compliance,
            Compliance::NotApplicable
        );
    }
}
