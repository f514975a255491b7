//! What one event asks for, decided before any AWS call: the rule and its parameters, the role to
//! act as, what must be read from the evaluated account, and the time the evaluations describe.

use crate::error::RuleError;
use crate::evaluate::{Subject, generic_verdict, timestamp};
use crate::event::{RuleEvent, Trigger};
use crate::rules::{self, Params, Rule};
use aws_smithy_types::DateTime;
use ferrops::arn::Arn;
use ferrops::sts::RoleSpec;

/// One event's work, as plain data.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The rule that evaluates.
    pub(crate) rule: &'static Rule,
    /// Its validated parameters.
    pub(crate) params: Params,
    /// The role to act as in the evaluated account; `None` acts as the function's own role.
    pub(crate) role: Option<RoleSpec>,
    /// The Config rule's name: the STS session's context and the key of its previous results.
    pub(crate) config_rule_name: String,
    /// The evaluated account.
    pub(crate) account: String,
    /// What to read before the rule can run.
    pub(crate) fetch: Fetch,
    /// Whether the rule needs the account's SSM managed instances for this event.
    pub(crate) managed_instances: bool,
    /// The time the evaluations describe (and the time an oversized item is fetched at).
    pub(crate) ordering: DateTime,
    /// The token `PutEvaluations` needs.
    pub(crate) result_token: String,
    /// Whether `PutEvaluations` runs in test mode.
    pub(crate) test_mode: bool,
    /// The trigger's `messageType`, for the summary.
    pub(crate) message_type: &'static str,
}

/// What the evaluated account must be asked before the rule can run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fetch {
    /// Nothing: the event carries all there is to evaluate.
    Nothing(Subject),
    /// An oversized item, as Config recorded it at its capture time ([`Plan::ordering`]).
    ItemAt {
        /// The resource type.
        resource_type: String,
        /// The resource ID.
        resource_id: String,
        /// The capture time as the event gave it, for the error when Config has no such item.
        capture_time: String,
    },
    /// Every resource of the rule's types, and the resources the rule reported on before.
    Inventory,
}

/// Plans the work for `ev`. The rule is the `rule` parameter, else `default_rule`; `home_account`
/// is the function's own account; `now` orders evaluations when the event carries no usable time.
pub(crate) fn plan(
    ev: RuleEvent,
    default_rule: Option<&str>,
    external_id: Option<&str>,
    home_account: Option<&str>,
    now: DateTime,
) -> Result<Plan, RuleError> {
    let name = ev
        .parameters
        .get("rule")
        .map(String::as_str)
        .or(default_rule)
        .ok_or_else(|| RuleError::NoRule {
            known: rules::names(),
        })?;
    let rule = rules::find(name).ok_or_else(|| RuleError::UnknownRule {
        name: name.to_string(),
        known: rules::names(),
    })?;
    let params =
        rule.validate(&ev.parameters)
            .map_err(|problems| RuleError::InvalidParameters {
                rule: rule.name().to_string(),
                problems,
            })?;
    let role = execution_role(&ev, home_account, external_id)?;
    let test_mode = ev.test_mode();
    let message_type = ev.trigger.message_type();

    let (fetch, ordering) = match ev.trigger {
        Trigger::Change {
            item,
            notification_time,
        } => {
            let ordering = timestamp(
                item.capture_time
                    .as_deref()
                    .or(notification_time.as_deref()),
                now,
            );
            let subject = Subject::Item {
                resource_type: item.resource_type.clone(),
                resource_id: item.resource_id.clone(),
                item,
                left_scope: ev.event_left_scope,
            };
            (Fetch::Nothing(subject), ordering)
        }
        Trigger::Oversized {
            resource_type,
            resource_id,
            capture_time,
            status,
            ..
        } => {
            let ordering = timestamp(Some(&capture_time), now);
            let fetch = match generic_verdict(rule, &resource_type, &status, ev.event_left_scope) {
                Some(verdict) => Fetch::Nothing(Subject::Decided {
                    resource_type,
                    resource_id,
                    verdict,
                }),
                None => Fetch::ItemAt {
                    resource_type,
                    resource_id,
                    capture_time,
                },
            };
            (fetch, ordering)
        }
        Trigger::Scheduled { notification_time } => {
            if rule.resource_types().is_empty() {
                return Err(RuleError::NotPeriodic {
                    rule: rule.name().to_string(),
                });
            }
            (
                Fetch::Inventory,
                timestamp(notification_time.as_deref(), now),
            )
        }
    };
    let managed_instances = rule.needs.managed_instances && fetch.may_reach_the_rule(rule);
    Ok(Plan {
        rule,
        params,
        role,
        test_mode,
        message_type,
        config_rule_name: ev.rule_name,
        account: ev.account_id,
        fetch,
        managed_instances,
        ordering,
        result_token: ev.result_token,
    })
}

impl Fetch {
    /// Whether the rule itself may be asked: not when the generic cases decide alone.
    fn may_reach_the_rule(&self, rule: &Rule) -> bool {
        match self {
            Fetch::Nothing(Subject::Item {
                item, left_scope, ..
            }) => generic_verdict(rule, &item.resource_type, &item.status, *left_scope).is_none(),
            Fetch::Nothing(_) => false,
            Fetch::ItemAt { .. } | Fetch::Inventory => true,
        }
    }
}

/// The role to act as in the evaluated account, if any: `executionRoleName` names a role in the
/// event's account; otherwise an `executionRoleArn` outside the function's own account is used.
pub(crate) fn execution_role(
    ev: &RuleEvent,
    home_account: Option<&str>,
    external_id: Option<&str>,
) -> Result<Option<RoleSpec>, RuleError> {
    let invalid = |e: ferrops::sts::InvalidRole| RuleError::InvalidParameters {
        rule: ev.rule_name.clone(),
        problems: vec![e.to_string()],
    };
    let partition = ev
        .execution_role_arn
        .as_deref()
        .or(ev.rule_arn.as_deref())
        .and_then(Arn::parse)
        .map_or("aws", |a| a.partition);
    if let Some(name) = ev
        .parameters
        .get("executionRoleName")
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    {
        let arn = format!("arn:{partition}:iam::{}:role/{name}", ev.account_id);
        return RoleSpec::new(&arn, external_id).map(Some).map_err(invalid);
    }
    match (ev.execution_role_arn.as_deref(), home_account) {
        (Some(arn), Some(home)) if Arn::parse(arn).is_some_and(|a| a.account != home) => {
            RoleSpec::new(arn, external_id).map(Some).map_err(invalid)
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn event(invoking: Value, rule: &str) -> RuleEvent {
        RuleEvent::from_event(json!({
            "invokingEvent": invoking.to_string(), "ruleParameters": json!({"rule": rule}).to_string(),
            "resultToken": "TESTMODE", "eventLeftScope": false, "configRuleName": "r",
            "accountId": "123456789012"
        }))
        .unwrap()
    }

    fn oversized(status: &str) -> RuleEvent {
        event(
            json!({"messageType": "OversizedConfigurationItemChangeNotification",
                "configurationItemSummary": {"resourceType": "AWS::EC2::Instance", "resourceId": "i-1",
                    "configurationItemCaptureTime": "2026-11-20T09:59:00.000Z", "configurationItemStatus": status}}),
            "ec2-instance-managed-by-ssm",
        )
    }

    fn plan_of(ev: RuleEvent) -> Plan {
        plan(ev, None, None, Some("123456789012"), DateTime::from_secs(7)).unwrap()
    }

    #[test]
    fn an_oversized_item_is_fetched_only_when_the_event_cannot_decide() {
        let fetched = plan_of(oversized("OK"));
        assert!(matches!(fetched.fetch, Fetch::ItemAt { .. }));
        assert!(fetched.managed_instances);
        assert_eq!(fetched.ordering.secs(), 1_795_168_740);

        let deleted = plan_of(oversized("ResourceDeleted"));
        assert!(matches!(
            deleted.fetch,
            Fetch::Nothing(Subject::Decided { .. })
        ));
        assert!(!deleted.managed_instances);
    }

    #[test]
    fn a_periodic_plan_reads_the_inventory_at_the_notification_time_or_now() {
        let p = plan_of(event(
            json!({"messageType": "ScheduledNotification"}),
            "ec2-instance-managed-by-ssm",
        ));
        assert_eq!(p.fetch, Fetch::Inventory);
        assert!(p.managed_instances && p.test_mode);
        assert_eq!(p.ordering.secs(), 7, "no notification time: now");
        assert_eq!(p.role, None);
    }
}
