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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::SdkAccounts;
    use aws_sdk_config::operation::batch_get_resource_config::BatchGetResourceConfigOutput;
    use aws_sdk_config::operation::get_compliance_details_by_config_rule::GetComplianceDetailsByConfigRuleOutput;
    use aws_sdk_config::operation::get_resource_config_history::GetResourceConfigHistoryOutput;
    use aws_sdk_config::operation::list_discovered_resources::ListDiscoveredResourcesOutput;
    use aws_sdk_config::operation::put_evaluations::{PutEvaluationsError, PutEvaluationsOutput};
    use aws_sdk_config::types::{
        BaseConfigurationItem, ComplianceType, ConfigurationItem as SdkItem, EvaluationResult,
        EvaluationResultIdentifier, EvaluationResultQualifier, ResourceIdentifier, ResourceType,
    };
    use aws_sdk_ssm::operation::describe_instance_information::DescribeInstanceInformationOutput;
    use aws_sdk_ssm::types::InstanceInformation;
    use aws_sdk_sts::operation::assume_role::{AssumeRoleError, AssumeRoleOutput};
    use aws_smithy_mocks::{Rule as MockRule, RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;
    use ferrops::sts::{AssumeRoleProvider, CrossAccount};
    use serde_json::{Value, json};
    use std::sync::{Arc, Mutex};

    const ACCOUNT: &str = "123456789012";
    const MEMBER: &str = "111122223333";
    const NOW: i64 = 1_763_633_730;

    struct Mocks {
        config: Vec<MockRule>,
        ssm: Vec<MockRule>,
        sts: Vec<MockRule>,
    }

    impl Mocks {
        fn evaluator(&self, settings: Settings) -> Evaluator<SdkAccounts> {
            let config = mock_client!(aws_sdk_config, RuleMode::MatchAny, &self.config);
            let ssm = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, &self.ssm);
            let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, &self.sts);
            let base = aws_config::SdkConfig::builder()
                .region(aws_config::Region::new("us-east-1"))
                .build();
            let roles = AssumeRoleProvider::with_sts_client(sts, &base, "config-rules");
            let (c2, s2) = (config.clone(), ssm.clone());
            Evaluator {
                accounts: SdkAccounts {
                    config: CrossAccount::new(config, roles.clone(), move |_| c2.clone()),
                    ssm: CrossAccount::new(ssm, roles, move |_| s2.clone()),
                },
                settings,
            }
        }
    }

    fn rule_event(invoking: Value, params: Value, token: &str) -> Value {
        json!({
            "version": "1.0", "invokingEvent": invoking.to_string(), "ruleParameters": params.to_string(),
            "resultToken": token, "eventLeftScope": false,
            "executionRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"),
            "configRuleArn": format!("arn:aws:config:us-east-1:{ACCOUNT}:config-rule/config-rule-1"),
            "configRuleName": "managed-by-ssm", "configRuleId": "config-rule-1", "accountId": ACCOUNT
        })
    }

    fn scheduled(params: Value, token: &str) -> Value {
        rule_event(
            json!({"awsAccountId": ACCOUNT, "notificationCreationTime": "2026-11-20T10:00:00.000Z",
            "messageType": "ScheduledNotification", "recordVersion": "1.0"}),
            params,
            token,
        )
    }

    fn instance_id(n: usize) -> String {
        format!("i-{n:017x}")
    }

    /// Config inventory of `n` running instances, paged 100 at a time as the API does.
    fn inventory(n: usize) -> (MockRule, MockRule) {
        let list = mock!(aws_sdk_config::Client::list_discovered_resources)
            .match_requests(|r| {
                r.resource_type() == Some(&ResourceType::Instance) && r.limit() == Some(100)
            })
            .then_compute_output(move |r| {
                let start: usize = r.next_token().map(|t| t.parse().unwrap()).unwrap_or(0);
                let end = (start + 100).min(n);
                ListDiscoveredResourcesOutput::builder()
                    .set_resource_identifiers(Some(
                        (start..end)
                            .map(|i| {
                                ResourceIdentifier::builder()
                                    .resource_type(ResourceType::Instance)
                                    .resource_id(instance_id(i))
                                    .build()
                            })
                            .collect(),
                    ))
                    .set_next_token((end < n).then(|| end.to_string()))
                    .build()
            });
        let batch = mock!(aws_sdk_config::Client::batch_get_resource_config)
            .match_requests(|r| r.resource_keys().len() <= 100)
            .then_compute_output(|r| {
                BatchGetResourceConfigOutput::builder()
                    .set_base_configuration_items(Some(
                        r.resource_keys()
                            .iter()
                            .map(|k| {
                                BaseConfigurationItem::builder()
                                    .resource_type(ResourceType::Instance)
                                    .resource_id(k.resource_id())
                                    .configuration_item_status(aws_sdk_config::types::ConfigurationItemStatus::Ok)
                                    .configuration(json!({"instanceId": k.resource_id(), "state": {"name": "running"}}).to_string())
                                    .build()
                            })
                            .collect(),
                    ))
                    .build()
            });
        (list, batch)
    }

    fn previous(ids: &'static [&'static str]) -> MockRule {
        mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
            .match_requests(|r| r.config_rule_name() == Some("managed-by-ssm"))
            .then_output(move || {
                GetComplianceDetailsByConfigRuleOutput::builder()
                    .set_evaluation_results(Some(
                        ids.iter()
                            .map(|id| {
                                EvaluationResult::builder()
                                    .compliance_type(ComplianceType::NonCompliant)
                                    .evaluation_result_identifier(
                                        EvaluationResultIdentifier::builder()
                                            .evaluation_result_qualifier(
                                                EvaluationResultQualifier::builder()
                                                    .resource_type("AWS::EC2::Instance")
                                                    .resource_id(*id)
                                                    .config_rule_name("managed-by-ssm")
                                                    .build(),
                                            )
                                            .build(),
                                    )
                                    .build()
                            })
                            .collect(),
                    ))
                    .build()
            })
    }

    /// Every instance with an even number is managed.
    fn managed(n: usize) -> MockRule {
        mock!(aws_sdk_ssm::Client::describe_instance_information).then_compute_output(move |r| {
            let all: Vec<usize> = (0..n).filter(|i| i % 2 == 0).collect();
            let start: usize = r.next_token().map(|t| t.parse().unwrap()).unwrap_or(0);
            let end = (start + 50).min(all.len());
            DescribeInstanceInformationOutput::builder()
                .set_instance_information_list(Some(
                    all[start..end]
                        .iter()
                        .map(|i| {
                            InstanceInformation::builder()
                                .instance_id(instance_id(*i))
                                .build()
                        })
                        .collect(),
                ))
                .set_next_token((end < all.len()).then(|| end.to_string()))
                .build()
        })
    }

    /// One `PutEvaluations` call: its size, its test mode, and (resource, result) pairs.
    type Put = (usize, Option<bool>, Vec<(String, String)>);

    fn put_recorder(sizes: Arc<Mutex<Vec<Put>>>) -> MockRule {
        mock!(aws_sdk_config::Client::put_evaluations).then_compute_output(move |r| {
            let evs = r.evaluations();
            sizes.lock().unwrap().push((
                evs.len(),
                r.test_mode(),
                evs.iter()
                    .map(|e| {
                        (
                            e.compliance_resource_id().to_string(),
                            e.compliance_type().as_str().to_string(),
                        )
                    })
                    .collect(),
            ));
            PutEvaluationsOutput::builder().build()
        })
    }

    fn now() -> DateTime {
        DateTime::from_secs(NOW)
    }

    #[tokio::test]
    async fn periodic_run_puts_250_results_in_3_batches_and_clears_vanished_resources() {
        let (list, batch) = inventory(249);
        let puts = Arc::new(Mutex::new(Vec::new()));
        let m = Mocks {
            config: vec![
                list,
                batch.clone(),
                previous(&["i-gone000000000001"]),
                put_recorder(puts.clone()),
            ],
            ssm: vec![managed(249)],
            sts: vec![],
        };
        let s = m
            .evaluator(Settings::default())
            .handle(
                scheduled(json!({"rule": "ec2-instance-managed-by-ssm"}), "token-123"),
                Some(ACCOUNT),
                now(),
            )
            .await
            .unwrap();
        let puts = puts.lock().unwrap();
        assert_eq!(
            puts.iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        assert!(
            puts.iter().all(|p| p.1 == Some(false)),
            "a real token is not test mode"
        );
        assert_eq!((s.evaluations, s.put_calls), (250, 3));
        assert_eq!(s.tally.compliant, 125);
        assert_eq!(s.tally.non_compliant, 124);
        let all: Vec<&(String, String)> = puts.iter().flat_map(|p| p.2.iter()).collect();
        assert!(all.contains(&&(
            "i-gone000000000001".to_string(),
            "NOT_APPLICABLE".to_string()
        )));
        assert_eq!(batch.num_calls(), 3);
    }

    #[tokio::test]
    async fn api_calls_per_1000_resources_for_a_periodic_rule() {
        let (list, batch) = inventory(1000);
        let (prev, put) = (previous(&[]), put_recorder(Arc::default()));
        let ssm = managed(1000);
        let m = Mocks {
            config: vec![list.clone(), batch.clone(), prev.clone(), put.clone()],
            ssm: vec![ssm.clone()],
            sts: vec![],
        };
        m.evaluator(Settings::default())
            .handle(
                scheduled(json!({"rule": "ec2-instance-managed-by-ssm"}), "TESTMODE"),
                Some(ACCOUNT),
                now(),
            )
            .await
            .unwrap();
        let calls = [
            list.num_calls(),
            batch.num_calls(),
            prev.num_calls(),
            ssm.num_calls(),
            put.num_calls(),
        ];
        println!(
            "API calls per 1000 resources: ListDiscoveredResources {}, BatchGetResourceConfig {}, GetComplianceDetailsByConfigRule {}, DescribeInstanceInformation {}, PutEvaluations {}; total {}",
            calls[0],
            calls[1],
            calls[2],
            calls[3],
            calls[4],
            calls.iter().sum::<usize>()
        );
        // 10 pages of 100, 10 batch reads, 1 page of previous results, 10 pages of 50 managed
        // instances (500 of the 1000 are managed), 10 puts of 100.
        assert_eq!(calls, [10, 10, 1, 10, 10]);
    }

    #[tokio::test]
    async fn testmode_token_sets_test_mode() {
        let puts = Arc::new(Mutex::new(Vec::new()));
        let m = Mocks {
            config: vec![put_recorder(puts.clone())],
            ssm: vec![],
            sts: vec![],
        };
        let ev = rule_event(
            json!({"messageType": "ConfigurationItemChangeNotification", "notificationCreationTime": "2026-11-20T10:00:00.000Z",
                "configurationItem": {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configurationItemStatus": "OK",
                    "configurationItemCaptureTime": "2026-11-20T09:59:00.000Z",
                    "configuration": {"ipPermissions": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]}]}}}),
            json!({"rule": "incoming-ssh-disabled"}),
            "TESTMODE",
        );
        let s = m
            .evaluator(Settings::default())
            .handle(ev, Some(ACCOUNT), now())
            .await
            .unwrap();
        assert!(s.test_mode);
        let puts = puts.lock().unwrap();
        assert_eq!(puts[0].1, Some(true));
        assert_eq!(
            puts[0].2,
            vec![("sg-1".to_string(), "NON_COMPLIANT".to_string())]
        );
    }

    fn oversized(status: &str) -> Value {
        rule_event(
            json!({"messageType": "OversizedConfigurationItemChangeNotification", "notificationCreationTime": "2026-11-20T10:00:00.000Z",
                "configurationItemSummary": {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-big",
                    "configurationItemCaptureTime": "2026-11-20T09:59:00.000Z", "configurationItemStatus": status, "awsAccountId": ACCOUNT}}),
            json!({"rule": "incoming-ssh-disabled"}),
            "TESTMODE",
        )
    }

    #[tokio::test]
    async fn oversized_items_are_fetched_at_their_capture_time() {
        let history = mock!(aws_sdk_config::Client::get_resource_config_history)
            .match_requests(|r| {
                r.resource_type() == Some(&ResourceType::SecurityGroup)
                    && r.resource_id() == Some("sg-big")
                    && r.limit() == Some(1)
                    && r.later_time().map(|t| t.secs()) == Some(1_795_168_740)
            })
            .then_output(|| {
                GetResourceConfigHistoryOutput::builder()
                    .configuration_items(
                        SdkItem::builder()
                            .resource_type(ResourceType::SecurityGroup)
                            .resource_id("sg-big")
                            .account_id(ACCOUNT)
                            .configuration(r#"{"ipPermissions":[{"ipProtocol":"-1","ipv6Ranges":[{"cidrIpv6":"::/0"}]}]}"#)
                            .build(),
                    )
                    .build()
            });
        let puts = Arc::new(Mutex::new(Vec::new()));
        let m = Mocks {
            config: vec![history.clone(), put_recorder(puts.clone())],
            ssm: vec![],
            sts: vec![],
        };
        m.evaluator(Settings::default())
            .handle(oversized("OK"), Some(ACCOUNT), now())
            .await
            .unwrap();
        assert_eq!(history.num_calls(), 1);
        assert_eq!(
            puts.lock().unwrap()[0].2,
            vec![("sg-big".to_string(), "NON_COMPLIANT".to_string())]
        );
    }

    #[tokio::test]
    async fn deleted_oversized_items_are_not_applicable_without_a_fetch() {
        let history = mock!(aws_sdk_config::Client::get_resource_config_history)
            .then_output(|| GetResourceConfigHistoryOutput::builder().build());
        let puts = Arc::new(Mutex::new(Vec::new()));
        let m = Mocks {
            config: vec![history.clone(), put_recorder(puts.clone())],
            ssm: vec![],
            sts: vec![],
        };
        m.evaluator(Settings::default())
            .handle(oversized("ResourceDeleted"), Some(ACCOUNT), now())
            .await
            .unwrap();
        assert_eq!(history.num_calls(), 0);
        assert_eq!(puts.lock().unwrap()[0].2[0].1, "NOT_APPLICABLE");
    }

    #[tokio::test]
    async fn an_oversized_item_config_cannot_find_is_a_clear_error() {
        let history = mock!(aws_sdk_config::Client::get_resource_config_history)
            .then_output(|| GetResourceConfigHistoryOutput::builder().build());
        let m = Mocks {
            config: vec![history],
            ssm: vec![],
            sts: vec![],
        };
        let err = m
            .evaluator(Settings::default())
            .handle(oversized("OK"), Some(ACCOUNT), now())
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "ItemNotFound");
        assert!(err.to_string().contains("sg-big"));
    }

    fn sts_ok() -> MockRule {
        mock!(aws_sdk_sts::Client::assume_role)
            .match_requests(|r| {
                r.role_arn() == Some("arn:aws:iam::111122223333:role/ferrops-config")
                    && r.external_id() == Some("ext-1234")
            })
            .then_output(|| {
                AssumeRoleOutput::builder()
                    .credentials(
                        aws_sdk_sts::types::Credentials::builder()
                            .access_key_id("AKIA")
                            .secret_access_key("s")
                            .session_token("t")
                            .expiration(DateTime::from_secs(4_000_000_000))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
    }

    fn member_event(params: Value) -> Value {
        let mut ev = oversized("ResourceDeleted");
        ev["accountId"] = json!(MEMBER);
        ev["ruleParameters"] = json!(params.to_string());
        ev
    }

    #[tokio::test]
    async fn execution_role_name_assumes_the_role_in_the_event_account() {
        let sts = sts_ok();
        let puts = Arc::new(Mutex::new(Vec::new()));
        let m = Mocks {
            config: vec![put_recorder(puts.clone())],
            ssm: vec![],
            sts: vec![sts.clone()],
        };
        let settings = Settings {
            default_rule: None,
            external_id: Some("ext-1234".into()),
        };
        let s = m
            .evaluator(settings)
            .handle(
                member_event(
                    json!({"rule": "incoming-ssh-disabled", "executionRoleName": "ferrops-config"}),
                ),
                Some(ACCOUNT),
                now(),
            )
            .await
            .unwrap();
        assert_eq!(sts.num_calls(), 1);
        assert_eq!(s.account, MEMBER);
    }

    #[tokio::test]
    async fn access_denied_on_assume_role_names_role_account_and_permission() {
        let denied = mock!(aws_sdk_sts::Client::assume_role).then_error(|| {
            AssumeRoleError::generic(
                ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("not authorized")
                    .build(),
            )
        });
        let m = Mocks {
            config: vec![],
            ssm: vec![],
            sts: vec![denied],
        };
        let err = m
            .evaluator(Settings::default())
            .handle(
                member_event(
                    json!({"rule": "incoming-ssh-disabled", "executionRoleName": "ferrops-config"}),
                ),
                Some(ACCOUNT),
                now(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "AccessDenied");
        let msg = err.to_string();
        assert!(
            msg.contains("arn:aws:iam::111122223333:role/ferrops-config")
                && msg.contains(MEMBER)
                && msg.contains("sts:AssumeRole"),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn access_denied_on_put_names_role_account_and_action() {
        let denied = mock!(aws_sdk_config::Client::put_evaluations).then_error(|| {
            PutEvaluationsError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("no")
                    .build(),
            )
        });
        let m = Mocks {
            config: vec![denied],
            ssm: vec![],
            sts: vec![sts_ok()],
        };
        let settings = Settings {
            default_rule: None,
            external_id: Some("ext-1234".into()),
        };
        let err = m
            .evaluator(settings)
            .handle(
                member_event(
                    json!({"rule": "incoming-ssh-disabled", "executionRoleName": "ferrops-config"}),
                ),
                Some(ACCOUNT),
                now(),
            )
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.error_type(), "AccessDenied");
        assert!(
            msg.contains("role arn:aws:iam::111122223333:role/ferrops-config")
                && msg.contains("account 111122223333")
                && msg.contains("config:PutEvaluations"),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn a_foreign_execution_role_arn_is_assumed_and_a_home_one_is_not() {
        let mut ev = member_event(json!({"rule": "incoming-ssh-disabled"}));
        ev["executionRoleArn"] = json!("arn:aws:iam::111122223333:role/ferrops-config");
        let sts = sts_ok();
        let m = Mocks {
            config: vec![put_recorder(Arc::default())],
            ssm: vec![],
            sts: vec![sts.clone()],
        };
        let settings = Settings {
            default_rule: None,
            external_id: Some("ext-1234".into()),
        };
        m.evaluator(settings.clone())
            .handle(ev.clone(), Some(ACCOUNT), now())
            .await
            .unwrap();
        assert_eq!(sts.num_calls(), 1);

        let sts = sts_ok();
        let m = Mocks {
            config: vec![put_recorder(Arc::default())],
            ssm: vec![],
            sts: vec![sts.clone()],
        };
        m.evaluator(settings)
            .handle(ev, Some(MEMBER), now())
            .await
            .unwrap();
        assert_eq!(
            sts.num_calls(),
            0,
            "a role in the function's own account is not assumed"
        );
    }

    #[tokio::test]
    async fn unknown_or_missing_rules_and_bad_parameters_are_clear_errors() {
        let m = Mocks {
            config: vec![put_recorder(Arc::default())],
            ssm: vec![],
            sts: vec![],
        };
        let e = m.evaluator(Settings::default());
        let err = e
            .handle(
                oversized("OK").tap(|v| v["ruleParameters"] = json!("{\"rule\":\"no-such\"}")),
                Some(ACCOUNT),
                now(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "UnknownRule");
        assert!(err.to_string().contains("incoming-ssh-disabled"), "{err}");
        let err = e
            .handle(
                oversized("OK").tap(|v| v["ruleParameters"] = json!("{}")),
                Some(ACCOUNT),
                now(),
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("RULE"), "{err}");
        let err = e
            .handle(
                oversized("OK").tap(|v| {
                    v["ruleParameters"] =
                        json!("{\"rule\":\"incoming-ssh-disabled\",\"sshPort\":\"ssh\"}")
                }),
                Some(ACCOUNT),
                now(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "InvalidParameters");
        let with_env = Mocks {
            config: vec![put_recorder(Arc::default())],
            ssm: vec![],
            sts: vec![],
        }
        .evaluator(Settings {
            default_rule: Some("incoming-ssh-disabled".into()),
            external_id: None,
        });
        let ok = with_env
            .handle(
                oversized("ResourceDeleted").tap(|v| v["ruleParameters"] = json!("{}")),
                Some(ACCOUNT),
                now(),
            )
            .await
            .unwrap();
        assert_eq!(ok.rule, "incoming-ssh-disabled", "RULE is the fallback");
    }

    #[tokio::test]
    async fn a_periodic_run_of_an_any_type_rule_is_refused() {
        let m = Mocks {
            config: vec![],
            ssm: vec![],
            sts: vec![],
        };
        let err = m
            .evaluator(Settings::default())
            .handle(
                scheduled(
                    json!({"rule": "required-tags", "tag1Key": "owner"}),
                    "TESTMODE",
                ),
                Some(ACCOUNT),
                now(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "InvalidParameters");
    }

    #[tokio::test]
    async fn failing_to_read_previous_results_is_a_warning_not_a_lost_evaluation() {
        let (list, batch) = inventory(3);
        let prev = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule).then_error(|| {
            aws_sdk_config::operation::get_compliance_details_by_config_rule::GetComplianceDetailsByConfigRuleError::generic(
                ErrorMetadata::builder().code("AccessDeniedException").message("no").build(),
            )
        });
        let puts = Arc::new(Mutex::new(Vec::new()));
        let m = Mocks {
            config: vec![list, batch, prev, put_recorder(puts.clone())],
            ssm: vec![managed(3)],
            sts: vec![],
        };
        let s = m
            .evaluator(Settings::default())
            .handle(
                scheduled(json!({"rule": "ec2-instance-managed-by-ssm"}), "TESTMODE"),
                Some(ACCOUNT),
                now(),
            )
            .await
            .unwrap();
        assert_eq!(s.evaluations, 3);
        assert!(
            s.warnings[0].contains("config:GetComplianceDetailsByConfigRule"),
            "{:?}",
            s.warnings
        );
    }

    trait Tap: Sized {
        fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
    }
    impl Tap for Value {
        fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
            f(&mut self);
            self
        }
    }
}
