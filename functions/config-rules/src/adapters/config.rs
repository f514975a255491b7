//! AWS Config through `aws-sdk-config`.

use crate::evaluate::Evaluation;
use crate::item::{ConfigurationItem, parse_nested};
use crate::ports::ConfigApi;
use aws_sdk_config::Client;
use aws_sdk_config::types::{
    BaseConfigurationItem, ComplianceType, ConfigurationItem as SdkItem,
    Evaluation as SdkEvaluation, ResourceKey, ResourceType,
};
use ferrops::{AwsFailure, FailureClass};
use serde_json::Value;
use std::collections::BTreeMap;

/// `BatchGetResourceConfig` takes at most 100 keys.
const BATCH_GET_MAX: usize = 100;
/// Page size for listing calls.
const PAGE: i32 = 100;

/// Config in one account.
#[derive(Debug, Clone)]
pub struct Config {
    client: Client,
}

impl Config {
    /// Wraps a client.
    pub fn new(client: Client) -> Self {
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
pub fn from_sdk_item(i: &SdkItem) -> Option<ConfigurationItem> {
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
pub fn from_base_item(i: &BaseConfigurationItem) -> Option<ConfigurationItem> {
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
            .map_err(|e| AwsFailure::from_sdk("config:GetResourceConfigHistory", e))?;
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
            .map_err(|e| AwsFailure::from_sdk("config:ListDiscoveredResources", e))?;
        let mut keys = Vec::with_capacity(identifiers.len());
        for r in &identifiers {
            if let (Some(t), Some(id)) = (r.resource_type(), r.resource_id()) {
                keys.push(
                    ResourceKey::builder()
                        .resource_type(t.clone())
                        .resource_id(id)
                        .build()
                        .map_err(|e| AwsFailure::unbuildable("config:BatchGetResourceConfig", e))?,
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
                    .map_err(|e| AwsFailure::from_sdk("config:BatchGetResourceConfig", e))?;
                items.extend(
                    out.base_configuration_items()
                        .iter()
                        .filter_map(from_base_item),
                );
                pending = out.unprocessed_resource_keys().to_vec();
            }
            if !pending.is_empty() {
                return Err(AwsFailure::incomplete(
                    "config:BatchGetResourceConfig",
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
            .map_err(|e| AwsFailure::from_sdk("config:GetComplianceDetailsByConfigRule", e))?;
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
                    .map_err(|err| AwsFailure::unbuildable("config:PutEvaluations", err))?,
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
            .map_err(|e| AwsFailure::from_sdk("config:PutEvaluations", e))?;
        let failed = out.failed_evaluations();
        if failed.is_empty() {
            Ok(())
        } else {
            let ids: Vec<&str> = failed.iter().map(|f| f.compliance_resource_id()).collect();
            Err(AwsFailure {
                operation: "config:PutEvaluations",
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
