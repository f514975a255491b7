//! SSM's managed-instance registry through `aws-sdk-ssm`.

use crate::ports::ManagedInstances;
use aws_sdk_ssm::Client;
use ferrops::AwsFailure;
use std::collections::BTreeSet;

/// SSM in one account.
#[derive(Debug, Clone)]
pub struct Ssm {
    client: Client,
}

impl Ssm {
    /// Wraps a client.
    pub fn new(client: Client) -> Self {
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
            .map_err(|e| AwsFailure::from_sdk("ssm:DescribeInstanceInformation", e))?;
        let ids = list
            .iter()
            .filter_map(|i| i.instance_id())
            .map(str::to_string)
            .collect();
        Ok(ids)
    }
}
