//! SSM's managed-instance registry through `aws-sdk-ssm`.

use crate::ports::{ManagedInstances, actions};
use aws_sdk_ssm::Client;
use ferrops::{AwsFailure, SdkResultExt};
use std::collections::BTreeSet;

/// SSM in one account, through a client built for it (the home account's, or one acting as an
/// assumed role).
#[derive(Debug, Clone)]
pub struct Ssm {
    client: Client,
}

impl Ssm {
    /// SSM as `client`'s credentials reach it.
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }
}

impl ManagedInstances for Ssm {
    async fn managed_instance_ids(&self) -> Result<BTreeSet<String>, AwsFailure> {
        let list = self
            .client
            .describe_instance_information()
            .max_results(50)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .or_failure(actions::DESCRIBE_INSTANCE_INFORMATION)?;
        let ids = list
            .iter()
            .filter_map(|i| i.instance_id())
            .map(str::to_string)
            .collect();
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::mocks::{instance_id, managed, ssm_client};

    #[tokio::test]
    async fn managed_instances_are_read_50_at_a_time() {
        let registry = managed(1000);
        let ssm = Ssm::new(ssm_client(std::slice::from_ref(&registry)));
        let ids = ssm.managed_instance_ids().await.unwrap();
        assert_eq!(ids.len(), 500);
        assert!(ids.contains(&instance_id(998)) && !ids.contains(&instance_id(999)));
        assert_eq!(registry.num_calls(), 10);
    }
}
