//! One invocation: decode, pick the rule, act in the right account, evaluate, put in batches.

use crate::error::RuleError;
use crate::evaluate::{
    BATCH_SIZE, Evaluation, Tally, evaluate_inventory, generic_verdict, tally, timestamp,
    verdict_for,
};
use crate::event::{RuleEvent, Trigger};
use crate::ports::{Accounts, ConfigApi, ManagedInstances};
use crate::rules::{self, Context, Rule};
use aws_smithy_types::DateTime;
use ferrops::AwsFailure;
use ferrops::sts::RoleSpec;
use serde::Serialize;

/// Settings read once from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `RULE`: the rule used when the parameters name none.
    pub default_rule: Option<String>,
    /// `EXTERNAL_ID`: sent when assuming a role in the evaluated account.
    pub external_id: Option<String>,
}

impl Settings {
    /// Reads `RULE` and `EXTERNAL_ID`.
    pub fn from_env() -> Self {
        Self {
            default_rule: ferrops::env::optional("RULE"),
            external_id: ferrops::env::optional("EXTERNAL_ID"),
        }
    }
}

/// What an invocation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The rule.
    pub rule: String,
    /// The trigger's `messageType`.
    pub message_type: &'static str,
    /// The evaluated account.
    pub account: String,
    /// Evaluations put.
    pub evaluations: usize,
    /// Counts per result.
    #[serde(flatten)]
    pub tally: Tally,
    /// `PutEvaluations` calls made.
    pub put_calls: usize,
    /// Whether `TestMode` was set.
    pub test_mode: bool,
    /// Problems that did not stop the evaluation.
    pub warnings: Vec<String>,
}

/// The role to act as in the evaluated account, if any: `executionRoleName` names a role in the
/// event's account; otherwise an `executionRoleArn` outside the function's own account is used.
pub fn execution_role(
    ev: &RuleEvent,
    home_account: Option<&str>,
    external_id: Option<&str>,
) -> Result<Option<RoleSpec>, RuleError> {
    let invalid = |e: ferrops::Error| RuleError::InvalidParameters {
        rule: ev.rule_name.clone(),
        problems: vec![e.to_string()],
    };
    let partition = ev
        .execution_role_arn
        .as_deref()
        .or(ev.rule_arn.as_deref())
        .and_then(|a| a.split(':').nth(1))
        .filter(|p| p.starts_with("aws"))
        .unwrap_or("aws");
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
        (Some(arn), Some(home)) if arn.split(':').nth(4).is_some_and(|acct| acct != home) => {
            RoleSpec::new(arn, external_id).map(Some).map_err(invalid)
        }
        _ => Ok(None),
    }
}

/// The evaluator over its ports.
pub struct Evaluator<A> {
    /// Clients per account.
    pub accounts: A,
    /// Settings.
    pub settings: Settings,
}

impl<A: Accounts + Sync> Evaluator<A> {
    /// Handles one Config rule event. `home_account` is the function's own account; `now`
    /// orders evaluations when the event carries no usable time.
    pub async fn handle(
        &self,
        event: serde_json::Value,
        home_account: Option<&str>,
        now: DateTime,
    ) -> Result<Summary, RuleError> {
        let ev = RuleEvent::from_event(event)?;
        let name = ev
            .parameters
            .get("rule")
            .cloned()
            .or_else(|| self.settings.default_rule.clone());
        let name = name.ok_or_else(|| RuleError::NoRule {
            known: rules::names(),
        })?;
        let rule = rules::find(&name).ok_or_else(|| RuleError::UnknownRule {
            name: name.clone(),
            known: rules::names(),
        })?;
        let params =
            rule.validate(&ev.parameters)
                .map_err(|problems| RuleError::InvalidParameters {
                    rule: name.clone(),
                    problems,
                })?;

        let role = execution_role(&ev, home_account, self.settings.external_id.as_deref())?;
        let (config, ssm) = self.accounts.for_role(role.as_ref(), &ev.rule_name).await.map_err(|source| {
            let hint = if role.as_ref().is_some_and(|r| r.role_arn().contains(":role/aws-service-role/")) {
                ". Service-linked roles cannot be assumed from another account: create a role the central account may assume and name it with the executionRoleName parameter"
            } else {
                ""
            };
            RuleError::AssumeRole { source, hint }
        })?;
        let aws = |failure: AwsFailure| RuleError::Aws {
            principal: role
                .as_ref()
                .map(|r| format!("role {}", r.role_arn()))
                .unwrap_or_else(|| "this function's role".to_string()),
            account: ev.account_id.clone(),
            failure: Box::new(failure),
        };

        let ctx = if rule.needs().managed_instances && needs_evaluation(rule, &ev) {
            Context {
                managed_instances: Some(ssm.managed_instance_ids().await.map_err(aws)?),
            }
        } else {
            Context::default()
        };

        let mut warnings = Vec::new();
        let evaluations = match &ev.trigger {
            Trigger::Change {
                item,
                notification_time,
            } => {
                let at = timestamp(
                    item.capture_time
                        .as_deref()
                        .or(notification_time.as_deref()),
                    now,
                );
                let v = verdict_for(rule, &params, item, ev.event_left_scope, &ctx);
                vec![Evaluation::new(
                    &item.resource_type,
                    &item.resource_id,
                    v,
                    at,
                )]
            }
            Trigger::Oversized {
                resource_type,
                resource_id,
                capture_time,
                status,
                ..
            } => {
                let at = timestamp(Some(capture_time), now);
                let verdict =
                    match generic_verdict(rule, resource_type, status, ev.event_left_scope) {
                        Some(v) => v,
                        None => {
                            let item = config
                                .item_at(resource_type, resource_id, at)
                                .await
                                .map_err(aws)?
                                .ok_or_else(|| RuleError::ItemNotFound {
                                    resource_type: resource_type.clone(),
                                    resource_id: resource_id.clone(),
                                    capture_time: capture_time.clone(),
                                })?;
                            verdict_for(rule, &params, &item, false, &ctx)
                        }
                    };
                vec![Evaluation::new(resource_type, resource_id, verdict, at)]
            }
            Trigger::Scheduled { notification_time } => {
                if rule.resource_types().is_empty() {
                    return Err(RuleError::NotPeriodic { rule: name });
                }
                let mut items = Vec::new();
                for t in rule.resource_types() {
                    items.extend(config.inventory(t).await.map_err(aws)?);
                }
                let previous = match config.previous_results(&ev.rule_name).await {
                    Ok(p) => p,
                    Err(e) => {
                        let w =
                            format!("results of vanished resources were not cleared: {}", aws(e));
                        tracing::warn!(rule = %name, warning = %w);
                        warnings.push(w);
                        Vec::new()
                    }
                };
                evaluate_inventory(
                    rule,
                    &params,
                    &items,
                    &previous,
                    &ctx,
                    timestamp(notification_time.as_deref(), now),
                )
            }
        };

        let mut put_calls = 0;
        for batch in evaluations.chunks(BATCH_SIZE) {
            config
                .put(batch, &ev.result_token, ev.test_mode())
                .await
                .map_err(aws)?;
            put_calls += 1;
        }
        let summary = Summary {
            rule: name,
            message_type: ev.trigger.message_type(),
            account: ev.account_id.clone(),
            evaluations: evaluations.len(),
            tally: tally(&evaluations),
            put_calls,
            test_mode: ev.test_mode(),
            warnings,
        };
        tracing::info!(rule = %summary.rule, account = %summary.account, evaluations = summary.evaluations,
            non_compliant = summary.tally.non_compliant, put_calls, "evaluated");
        Ok(summary)
    }
}

/// Whether the event may need the rule's extra data: not when the generic cases decide alone.
fn needs_evaluation(rule: &dyn Rule, ev: &RuleEvent) -> bool {
    match &ev.trigger {
        Trigger::Change { item, .. } => {
            generic_verdict(rule, &item.resource_type, &item.status, ev.event_left_scope).is_none()
        }
        Trigger::Oversized {
            resource_type,
            status,
            ..
        } => generic_verdict(rule, resource_type, status, ev.event_left_scope).is_none(),
        Trigger::Scheduled { .. } => true,
    }
}
