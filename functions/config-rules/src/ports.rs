//! The narrow ports the handler talks through, implemented against AWS by [`crate::adapters`]
//! and in memory, for the handler's tests, by `memory`.

#[cfg(test)]
pub(crate) mod memory;

use crate::evaluate::Evaluation;
use crate::item::ConfigurationItem;
use ferrops::AwsFailure;
use ferrops::sts::RoleSpec;
use std::collections::BTreeSet;

/// The IAM actions behind the ports. A failure names the one that failed, so an access-denied
/// message says what to grant; the rules' declarations list the ones they need.
pub(crate) mod actions {
    /// [`super::ConfigApi::item_at`].
    pub(crate) const GET_RESOURCE_CONFIG_HISTORY: &str = "config:GetResourceConfigHistory";
    /// [`super::ConfigApi::inventory`]: the listing.
    pub(crate) const LIST_DISCOVERED_RESOURCES: &str = "config:ListDiscoveredResources";
    /// [`super::ConfigApi::inventory`]: the configurations.
    pub(crate) const BATCH_GET_RESOURCE_CONFIG: &str = "config:BatchGetResourceConfig";
    /// [`super::ConfigApi::previous_results`].
    pub(crate) const GET_COMPLIANCE_DETAILS_BY_CONFIG_RULE: &str =
        "config:GetComplianceDetailsByConfigRule";
    /// [`super::ConfigApi::put`].
    pub(crate) const PUT_EVALUATIONS: &str = "config:PutEvaluations";
    /// [`super::ManagedInstances::managed_instance_ids`].
    pub(crate) const DESCRIBE_INSTANCE_INFORMATION: &str = "ssm:DescribeInstanceInformation";
}

/// AWS Config in the evaluated account.
pub trait ConfigApi {
    /// The item as it was at `capture_time`: the latest one captured at or before it, `None`
    /// when Config has none.
    fn item_at(
        &self,
        resource_type: &str,
        resource_id: &str,
        capture_time: aws_smithy_types::DateTime,
    ) -> impl Future<Output = Result<Option<ConfigurationItem>, AwsFailure>> + Send;

    /// Every recorded resource of a type, with its configuration.
    fn inventory(
        &self,
        resource_type: &str,
    ) -> impl Future<Output = Result<Vec<ConfigurationItem>, AwsFailure>> + Send;

    /// The resources (type, ID) the rule last reported COMPLIANT or NON_COMPLIANT.
    fn previous_results(
        &self,
        rule_name: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, AwsFailure>> + Send;

    /// Puts one batch of at most [`crate::evaluate::BATCH_SIZE`] evaluations under the event's
    /// result token; `test_mode` asks Config to check them without recording them.
    fn put(
        &self,
        batch: &[Evaluation],
        token: &str,
        test_mode: bool,
    ) -> impl Future<Output = Result<(), AwsFailure>> + Send;
}

/// SSM's registry of managed instances in the evaluated account.
pub trait ManagedInstances {
    /// The IDs of every managed instance.
    fn managed_instance_ids(
        &self,
    ) -> impl Future<Output = Result<BTreeSet<String>, AwsFailure>> + Send;
}

/// The ports of the function's own account, or of another account through an assumed role.
pub trait Accounts {
    /// Config in that account.
    type Config: ConfigApi + Send + Sync;
    /// SSM in that account.
    type Ssm: ManagedInstances + Send + Sync;
    /// The ports acting as `role` (the home account when `None`); `context` names the session
    /// in the evaluated account's CloudTrail.
    fn for_role(
        &self,
        role: Option<&RoleSpec>,
        context: &str,
    ) -> impl Future<Output = Result<(Self::Config, Self::Ssm), AwsFailure>> + Send;
}
