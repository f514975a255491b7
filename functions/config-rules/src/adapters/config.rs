//! AWS Config through `aws-sdk-config`.

use crate::evaluate::Evaluation;
use crate::item::{ConfigurationItem, parse_nested};
use crate::ports::{ConfigApi, actions};
use aws_sdk_config::Client;
use aws_sdk_config::types::{
    BaseConfigurationItem, ComplianceType, ConfigurationItem as SdkItem,
    Evaluation as SdkEvaluation, ResourceKey, ResourceType,
};
use ferrops::{AwsFailure, FailureClass, SdkResultExt};
use serde_json::Value;
use std::collections::BTreeMap;

/// `BatchGetResourceConfig` takes at most 100 keys.
const BATCH_GET_MAX: usize = 100;
/// Page size for listing calls.
const PAGE: i32 = 100;

/// Config in one account, through a client built for it (the home account's, or one acting as
/// an assumed role).
#[derive(Debug, Clone)]
pub struct Config {
    client: Client,
}

impl Config {
    /// Config as `client`'s credentials reach it.
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }
}

fn iso(t: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
}

fn configuration(text: Option<&str>) -> Value {
    text.map(|t| parse_nested(&Value::String(t.to_string())))
        .unwrap_or(Value::Null)
}

fn supplementary(
    map: Option<&std::collections::HashMap<String, String>>,
) -> BTreeMap<String, Value> {
    map.into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), parse_nested(&Value::String(v.clone()))))
        .collect()
}

/// The API item (`GetResourceConfigHistory`) as our item.
fn from_sdk_item(i: &SdkItem) -> Option<ConfigurationItem> {
    Some(ConfigurationItem {
        resource_type: i.resource_type()?.as_str().to_string(),
        resource_id: i.resource_id()?.to_string(),
        resource_name: i.resource_name().map(str::to_string),
        arn: i.arn().map(str::to_string),
        account_id: i.account_id().map(str::to_string),
        region: i.aws_region().map(str::to_string),
        capture_time: iso(i.configuration_item_capture_time()),
        status: i
            .configuration_item_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "OK".into()),
        configuration: configuration(i.configuration()),
        supplementary: supplementary(i.supplementary_configuration()),
        tags: i
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    })
}

/// The batch API item (`BatchGetResourceConfig`, which carries no tags) as our item.
fn from_base_item(i: &BaseConfigurationItem) -> Option<ConfigurationItem> {
    Some(ConfigurationItem {
        resource_type: i.resource_type()?.as_str().to_string(),
        resource_id: i.resource_id()?.to_string(),
        resource_name: i.resource_name().map(str::to_string),
        arn: i.arn().map(str::to_string),
        account_id: i.account_id().map(str::to_string),
        region: i.aws_region().map(str::to_string),
        capture_time: iso(i.configuration_item_capture_time()),
        status: i
            .configuration_item_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "OK".into()),
        configuration: configuration(i.configuration()),
        supplementary: supplementary(i.supplementary_configuration()),
        tags: BTreeMap::new(),
    })
}

impl ConfigApi for Config {
    async fn item_at(
        &self,
        resource_type: &str,
        resource_id: &str,
        capture_time: aws_smithy_types::DateTime,
    ) -> Result<Option<ConfigurationItem>, AwsFailure> {
        let out = self
            .client
            .get_resource_config_history()
            .resource_type(ResourceType::from(resource_type))
            .resource_id(resource_id)
            .later_time(capture_time)
            .limit(1)
            .send()
            .await
            .or_failure(actions::GET_RESOURCE_CONFIG_HISTORY)?;
        Ok(out.configuration_items().first().and_then(from_sdk_item))
    }

    async fn inventory(&self, resource_type: &str) -> Result<Vec<ConfigurationItem>, AwsFailure> {
        let identifiers = self
            .client
            .list_discovered_resources()
            .resource_type(ResourceType::from(resource_type))
            .limit(PAGE)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .or_failure(actions::LIST_DISCOVERED_RESOURCES)?;
        let mut keys = Vec::with_capacity(identifiers.len());
        for r in &identifiers {
            if let (Some(t), Some(id)) = (r.resource_type(), r.resource_id()) {
                keys.push(
                    ResourceKey::builder()
                        .resource_type(t.clone())
                        .resource_id(id)
                        .build()
                        .map_err(|e| {
                            AwsFailure::unbuildable(actions::BATCH_GET_RESOURCE_CONFIG, e)
                        })?,
                );
            }
        }
        let mut items = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET_MAX) {
            let mut pending = chunk.to_vec();
            // Config may leave keys unprocessed under load; ask again a bounded number of times.
            for _ in 0..3 {
                if pending.is_empty() {
                    break;
                }
                let out = self
                    .client
                    .batch_get_resource_config()
                    .set_resource_keys(Some(pending.clone()))
                    .send()
                    .await
                    .or_failure(actions::BATCH_GET_RESOURCE_CONFIG)?;
                items.extend(
                    out.base_configuration_items()
                        .iter()
                        .filter_map(from_base_item),
                );
                pending = out.unprocessed_resource_keys().to_vec();
            }
            if !pending.is_empty() {
                return Err(AwsFailure::incomplete(
                    actions::BATCH_GET_RESOURCE_CONFIG,
                    format!(
                        "{} resources stayed unprocessed after 3 attempts",
                        pending.len()
                    ),
                ));
            }
        }
        Ok(items)
    }

    async fn previous_results(&self, rule_name: &str) -> Result<Vec<(String, String)>, AwsFailure> {
        let results = self
            .client
            .get_compliance_details_by_config_rule()
            .config_rule_name(rule_name)
            .compliance_types(ComplianceType::Compliant)
            .compliance_types(ComplianceType::NonCompliant)
            .limit(PAGE)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .or_failure(actions::GET_COMPLIANCE_DETAILS_BY_CONFIG_RULE)?;
        let out = results
            .iter()
            .filter_map(|r| {
                let q = r
                    .evaluation_result_identifier()?
                    .evaluation_result_qualifier()?;
                Some((q.resource_type()?.to_string(), q.resource_id()?.to_string()))
            })
            .collect();
        Ok(out)
    }

    async fn put(
        &self,
        batch: &[Evaluation],
        token: &str,
        test_mode: bool,
    ) -> Result<(), AwsFailure> {
        let mut evaluations = Vec::with_capacity(batch.len());
        for e in batch {
            let mut b = SdkEvaluation::builder()
                .compliance_resource_type(&e.resource_type)
                .compliance_resource_id(&e.resource_id)
                .compliance_type(ComplianceType::from(e.compliance.as_str()))
                .ordering_timestamp(e.ordering);
            if !e.annotation.is_empty() {
                b = b.annotation(&e.annotation);
            }
            evaluations.push(
                b.build()
                    .map_err(|err| AwsFailure::unbuildable(actions::PUT_EVALUATIONS, err))?,
            );
        }
        let out = self
            .client
            .put_evaluations()
            .set_evaluations(Some(evaluations))
            .result_token(token)
            .test_mode(test_mode)
            .send()
            .await
            .or_failure(actions::PUT_EVALUATIONS)?;
        let failed = out.failed_evaluations();
        if failed.is_empty() {
            Ok(())
        } else {
            let ids: Vec<&str> = failed.iter().map(|f| f.compliance_resource_id()).collect();
            Err(AwsFailure {
                operation: actions::PUT_EVALUATIONS,
                class: FailureClass::Rejected,
                code: None,
                message: format!(
                    "Config refused {} evaluations: {}",
                    failed.len(),
                    ids.join(", ")
                ),
                source: "failed evaluations".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::mocks::{
        RULE_NAME, SentPut, config_client, instance_id, inventory, previous, put_recorder,
    };
    use crate::rules::Verdict;
    use aws_sdk_config::operation::get_resource_config_history::GetResourceConfigHistoryOutput;
    use aws_sdk_config::operation::put_evaluations::{PutEvaluationsError, PutEvaluationsOutput};
    use aws_smithy_mocks::mock;
    use aws_smithy_types::DateTime;
    use aws_smithy_types::error::ErrorMetadata;
    use std::sync::{Arc, Mutex};

    /// 2026-11-20T09:59:00Z.
    const CAPTURED: i64 = 1_795_168_740;

    fn evaluation(id: &str, verdict: Verdict) -> Evaluation {
        Evaluation::new(
            "AWS::EC2::Instance",
            id,
            verdict,
            DateTime::from_secs(CAPTURED),
        )
    }

    #[tokio::test]
    async fn the_inventory_is_listed_100_at_a_time_and_read_100_keys_per_call() {
        let (list, batch) = inventory(249);
        let config = Config::new(config_client(&[list.clone(), batch.clone()]));
        let items = config.inventory("AWS::EC2::Instance").await.unwrap();
        assert_eq!(items.len(), 249);
        assert_eq!(items[248].resource_id, instance_id(248));
        assert_eq!(items[0].configuration["state"]["name"], "running");
        assert_eq!((list.num_calls(), batch.num_calls()), (3, 3));
    }

    #[tokio::test]
    async fn previous_results_are_the_rules_compliant_and_non_compliant_resources() {
        let prev = previous(&["i-gone000000000001"]);
        let config = Config::new(config_client(std::slice::from_ref(&prev)));
        let results = config.previous_results(RULE_NAME).await.unwrap();
        assert_eq!(
            results,
            vec![(
                "AWS::EC2::Instance".to_string(),
                "i-gone000000000001".to_string()
            )]
        );
        assert_eq!(prev.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_item_is_asked_for_once_at_its_capture_time() {
        let history = mock!(Client::get_resource_config_history)
            .match_requests(|r| {
                r.resource_type() == Some(&ResourceType::SecurityGroup)
                    && r.resource_id() == Some("sg-big")
                    && r.limit() == Some(1)
                    && r.later_time().map(|t| t.secs()) == Some(CAPTURED)
            })
            .then_output(|| {
                GetResourceConfigHistoryOutput::builder()
                    .configuration_items(
                        SdkItem::builder()
                            .resource_type(ResourceType::SecurityGroup)
                            .resource_id("sg-big")
                            .account_id("123456789012")
                            .configuration(r#"{"ipPermissions":[{"ipProtocol":"-1","ipv6Ranges":[{"cidrIpv6":"::/0"}]}]}"#)
                            .build(),
                    )
                    .build()
            });
        let config = Config::new(config_client(std::slice::from_ref(&history)));
        let item = config
            .item_at(
                "AWS::EC2::SecurityGroup",
                "sg-big",
                DateTime::from_secs(CAPTURED),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(history.num_calls(), 1);
        assert_eq!(item.account_id.as_deref(), Some("123456789012"));
        assert_eq!(
            item.configuration["ipPermissions"][0]["ipv6Ranges"][0]["cidrIpv6"], "::/0",
            "the configuration string is parsed"
        );
    }

    #[tokio::test]
    async fn an_empty_history_is_no_item() {
        let history = mock!(Client::get_resource_config_history)
            .then_output(|| GetResourceConfigHistoryOutput::builder().build());
        let config = Config::new(config_client(&[history]));
        let item = config
            .item_at("AWS::EC2::SecurityGroup", "sg-big", DateTime::from_secs(0))
            .await
            .unwrap();
        assert_eq!(item, None);
    }

    #[tokio::test]
    async fn a_put_sends_the_batch_under_the_token_in_the_mode_asked() {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let config = Config::new(config_client(&[put_recorder(Arc::clone(&sent))]));
        let batch = [
            evaluation("i-1", Verdict::non_compliant("not managed")),
            evaluation("i-2", Verdict::compliant("")),
        ];
        config.put(&batch, "TESTMODE", true).await.unwrap();
        config.put(&batch[..1], "token-123", false).await.unwrap();
        let sent = sent.lock().unwrap();
        assert_eq!(
            sent[0],
            SentPut {
                size: 2,
                token: Some("TESTMODE".into()),
                test_mode: Some(true),
                results: vec![
                    (
                        "i-1".into(),
                        "NON_COMPLIANT".into(),
                        Some("not managed".into())
                    ),
                    ("i-2".into(), "COMPLIANT".into(), None),
                ],
            }
        );
        assert_eq!(
            (sent[1].token.as_deref(), sent[1].test_mode),
            (Some("token-123"), Some(false))
        );
    }

    #[tokio::test]
    async fn access_denied_on_put_is_classified_and_names_the_action() {
        let denied = mock!(Client::put_evaluations).then_error(|| {
            PutEvaluationsError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("no")
                    .build(),
            )
        });
        let config = Config::new(config_client(&[denied]));
        let batch = [evaluation("i-1", Verdict::compliant("fine"))];
        let err = config.put(&batch, "t", false).await.unwrap_err();
        assert_eq!(err.class, FailureClass::AccessDenied);
        assert_eq!(err.operation, "config:PutEvaluations");
    }

    #[tokio::test]
    async fn evaluations_config_refuses_are_a_failure_naming_them() {
        let partial = mock!(Client::put_evaluations).then_output(|| {
            PutEvaluationsOutput::builder()
                .failed_evaluations(
                    SdkEvaluation::builder()
                        .compliance_resource_type("AWS::EC2::Instance")
                        .compliance_resource_id("i-2")
                        .compliance_type(ComplianceType::Compliant)
                        .ordering_timestamp(DateTime::from_secs(CAPTURED))
                        .build()
                        .unwrap(),
                )
                .build()
        });
        let config = Config::new(config_client(&[partial]));
        let batch = [
            evaluation("i-1", Verdict::compliant("fine")),
            evaluation("i-2", Verdict::compliant("fine")),
        ];
        let err = config.put(&batch, "t", false).await.unwrap_err();
        assert_eq!(err.class, FailureClass::Rejected);
        assert!(
            err.message.contains("1 evaluations: i-2"),
            "{}",
            err.message
        );
    }
}
