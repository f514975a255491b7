//! SDK clients answered by `aws-smithy-mocks` rules that play Config and SSM, shared by the
//! adapters' tests. A request a rule does not match fails the call, so each `match_requests`
//! is an assertion on what the adapter sends.

use aws_sdk_config::operation::batch_get_resource_config::BatchGetResourceConfigOutput;
use aws_sdk_config::operation::get_compliance_details_by_config_rule::GetComplianceDetailsByConfigRuleOutput;
use aws_sdk_config::operation::list_discovered_resources::ListDiscoveredResourcesOutput;
use aws_sdk_config::operation::put_evaluations::PutEvaluationsOutput;
use aws_sdk_config::types::{
    BaseConfigurationItem, ComplianceType, ConfigurationItemStatus, EvaluationResult,
    EvaluationResultIdentifier, EvaluationResultQualifier, ResourceIdentifier, ResourceType,
};
use aws_sdk_ssm::operation::describe_instance_information::DescribeInstanceInformationOutput;
use aws_sdk_ssm::types::InstanceInformation;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use serde_json::json;
use std::sync::{Arc, Mutex};

/// The Config rule name the mocks answer for.
pub(crate) const RULE_NAME: &str = "managed-by-ssm";

pub(crate) fn config_client(rules: &[Rule]) -> aws_sdk_config::Client {
    mock_client!(aws_sdk_config, RuleMode::MatchAny, rules)
}

pub(crate) fn ssm_client(rules: &[Rule]) -> aws_sdk_ssm::Client {
    mock_client!(aws_sdk_ssm, RuleMode::MatchAny, rules)
}

pub(crate) fn instance_id(n: usize) -> String {
    format!("i-{n:017x}")
}

/// Config's inventory of `n` running instances: the listing paged 100 at a time as the API
/// does, and their configurations read at most 100 keys per call.
pub(crate) fn inventory(n: usize) -> (Rule, Rule) {
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
                                .configuration_item_status(ConfigurationItemStatus::Ok)
                                .configuration(
                                    json!({"instanceId": k.resource_id(), "state": {"name": "running"}})
                                        .to_string(),
                                )
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    (list, batch)
}

/// The instances [`RULE_NAME`] last reported NON_COMPLIANT.
pub(crate) fn previous(ids: &'static [&'static str]) -> Rule {
    mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .match_requests(|r| {
            r.config_rule_name() == Some(RULE_NAME)
                && r.compliance_types() == [ComplianceType::Compliant, ComplianceType::NonCompliant]
                && r.limit() == Some(100)
        })
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
                                                .config_rule_name(RULE_NAME)
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

/// SSM's registry of the even-numbered of `n` instances, paged 50 at a time.
pub(crate) fn managed(n: usize) -> Rule {
    mock!(aws_sdk_ssm::Client::describe_instance_information)
        .match_requests(|r| r.max_results() == Some(50))
        .then_compute_output(move |r| {
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

/// One `PutEvaluations` request: its size, result token, test mode, and per evaluation the
/// resource ID, result and annotation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SentPut {
    pub(crate) size: usize,
    pub(crate) token: Option<String>,
    pub(crate) test_mode: Option<bool>,
    pub(crate) results: Vec<(String, String, Option<String>)>,
}

/// Accepts every `PutEvaluations` and records what was sent in `sent`.
pub(crate) fn put_recorder(sent: Arc<Mutex<Vec<SentPut>>>) -> Rule {
    mock!(aws_sdk_config::Client::put_evaluations).then_compute_output(move |r| {
        let evs = r.evaluations();
        sent.lock().unwrap().push(SentPut {
            size: evs.len(),
            token: r.result_token().map(str::to_string),
            test_mode: r.test_mode(),
            results: evs
                .iter()
                .map(|e| {
                    (
                        e.compliance_resource_id().to_string(),
                        e.compliance_type().as_str().to_string(),
                        e.annotation().map(str::to_string),
                    )
                })
                .collect(),
        });
        PutEvaluationsOutput::builder().build()
    })
}
