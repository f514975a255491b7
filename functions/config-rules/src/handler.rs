//! One invocation: decode, plan, gather from the evaluated account, evaluate, put in batches.
//!
//! Only [`gather`] and the put read or write AWS; the plan ([`crate::plan`]) and the evaluation
//! ([`crate::evaluate`]) are pure.

use crate::error::RuleError;
use crate::evaluate::{BATCH_SIZE, Evaluation, Subject, Tally, evaluations, tally};
use crate::event::RuleEvent;
use crate::plan::{Fetch, Plan, plan};
use crate::ports::{Accounts, ConfigApi, ManagedInstances};
use crate::rules::Context;
use aws_smithy_types::DateTime;
use ferrops::AwsFailure;
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

/// What an invocation did: the function's reply to Config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The rule that evaluated.
    pub rule: String,
    /// The trigger's `messageType`.
    pub message_type: &'static str,
    /// The evaluated account.
    pub account: String,
    /// Evaluations put, including NOT_APPLICABLE ones for vanished resources.
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

/// Evaluates Config rule events over the ports `A`: the SDK adapters in the Lambda, memory in
/// the handler's tests.
pub struct Evaluator<A> {
    /// The ports of the home account and of the accounts reached by role.
    pub(crate) accounts: A,
    /// The fallback rule and the external ID, from the environment.
    pub(crate) settings: Settings,
}

/// What [`gather`] read: the resources to evaluate, the rule's extra data, and read failures
/// that did not stop the evaluation.
struct Gathered {
    subject: Subject,
    ctx: Context,
    warnings: Vec<String>,
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
        let plan = plan(
            ev,
            self.settings.default_rule.as_deref(),
            self.settings.external_id.as_deref(),
            home_account,
            now,
        )?;
        let (config, ssm) = self
            .accounts
            .for_role(plan.role.as_ref(), &plan.config_rule_name)
            .await
            .map_err(|source| assume_role_failed(&plan, source))?;
        let gathered = gather(&plan, &config, &ssm).await?;
        let evaluations = evaluations(
            plan.rule,
            &plan.params,
            &gathered.subject,
            &gathered.ctx,
            plan.ordering,
        );
        let mut put_calls = 0;
        for batch in evaluations.chunks(BATCH_SIZE) {
            config
                .put(batch, &plan.result_token, plan.test_mode)
                .await
                .map_err(|f| aws_failed(&plan, f))?;
            put_calls += 1;
        }
        let summary = summary(&plan, &evaluations, put_calls, gathered.warnings);
        tracing::info!(rule = %summary.rule, account = %summary.account, evaluations = summary.evaluations,
            non_compliant = summary.tally.non_compliant, put_calls, "evaluated");
        Ok(summary)
    }
}

/// Reads what the plan asks for: the rule's extra data, then the oversized item or the
/// inventory with the rule's previous results. A failure to read previous results only leaves
/// stale results in place, so it becomes a warning.
async fn gather(
    plan: &Plan,
    config: &impl ConfigApi,
    ssm: &impl ManagedInstances,
) -> Result<Gathered, RuleError> {
    let aws = |f: AwsFailure| aws_failed(plan, f);
    let managed_instances = if plan.managed_instances {
        Some(ssm.managed_instance_ids().await.map_err(aws)?)
    } else {
        None
    };
    let ctx = Context { managed_instances };
    let mut warnings = Vec::new();
    let subject = match &plan.fetch {
        Fetch::Nothing(subject) => subject.clone(),
        Fetch::ItemAt {
            resource_type,
            resource_id,
            capture_time,
        } => {
            let item = config
                .item_at(resource_type, resource_id, plan.ordering)
                .await
                .map_err(aws)?
                .ok_or_else(|| RuleError::ItemNotFound {
                    resource_type: resource_type.clone(),
                    resource_id: resource_id.clone(),
                    capture_time: capture_time.clone(),
                })?;
            Subject::Item {
                resource_type: resource_type.clone(),
                resource_id: resource_id.clone(),
                item: Box::new(item),
                left_scope: false,
            }
        }
        Fetch::Inventory => {
            let mut items = Vec::new();
            for t in plan.rule.resource_types() {
                items.extend(config.inventory(t).await.map_err(aws)?);
            }
            let previous = match config.previous_results(&plan.config_rule_name).await {
                Ok(p) => p,
                Err(e) => {
                    let w = format!("results of vanished resources were not cleared: {}", aws(e));
                    tracing::warn!(rule = %plan.rule.name(), warning = %w);
                    warnings.push(w);
                    Vec::new()
                }
            };
            Subject::Inventory { items, previous }
        }
    };
    Ok(Gathered {
        subject,
        ctx,
        warnings,
    })
}

/// An AWS call in the evaluated account failed: name who made it, where.
fn aws_failed(plan: &Plan, failure: AwsFailure) -> RuleError {
    RuleError::Aws {
        principal: plan
            .role
            .as_ref()
            .map(|r| format!("role {}", r.role_arn()))
            .unwrap_or_else(|| "this function's role".to_string()),
        account: plan.account.clone(),
        failure: Box::new(failure),
    }
}

/// Assuming the execution role failed; Config's service-linked role gets advice, since it can
/// never be assumed from another account.
fn assume_role_failed(plan: &Plan, source: AwsFailure) -> RuleError {
    let service_linked = plan
        .role
        .as_ref()
        .is_some_and(|r| r.role_arn().contains(":role/aws-service-role/"));
    let hint = if service_linked {
        ". Service-linked roles cannot be assumed from another account: create a role the central account may assume and name it with the executionRoleName parameter"
    } else {
        ""
    };
    RuleError::AssumeRole { source, hint }
}

fn summary(
    plan: &Plan,
    evaluations: &[Evaluation],
    put_calls: usize,
    warnings: Vec<String>,
) -> Summary {
    Summary {
        rule: plan.rule.name().to_string(),
        message_type: plan.message_type,
        account: plan.account.clone(),
        evaluations: evaluations.len(),
        tally: tally(evaluations),
        put_calls,
        test_mode: plan.test_mode,
        warnings,
    }
}

#[cfg(test)]
mod tests;
