//! The narrow ports the evaluator talks through, implemented by [`crate::adapters`].

use crate::evaluate::Evaluation;
use crate::item::ConfigurationItem;
use ferrops::AwsFailure;
use ferrops::sts::RoleSpec;
use std::collections::BTreeSet;

/// AWS Config in the evaluated account.
pub trait ConfigApi {
    /// The item as it was at `capture_time` (`GetResourceConfigHistory`, limit 1).
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

    /// The resources the rule last reported COMPLIANT or NON_COMPLIANT.
    fn previous_results(
        &self,
        rule_name: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, AwsFailure>> + Send;

    /// Puts one batch of at most 100 evaluations.
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

/// Clients for the home account or an assumed role.
pub trait Accounts {
    /// Config.
    type Config: ConfigApi + Send + Sync;
    /// SSM.
    type Ssm: ManagedInstances + Send + Sync;
    /// The clients acting as `role` (the home account when `None`); `context` names the session.
    fn for_role(
        &self,
        role: Option<&RoleSpec>,
        context: &str,
    ) -> impl Future<Output = Result<(Self::Config, Self::Ssm), ferrops::Error>> + Send;
}
