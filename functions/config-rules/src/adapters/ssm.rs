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
        let mut ids = BTreeSet::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .describe_instance_information()
                .max_results(50)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("ssm:DescribeInstanceInformation", e))?;
            ids.extend(
                page.instance_information_list()
                    .iter()
                    .filter_map(|i| i.instance_id())
                    .map(str::to_string),
            );
            match page.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(ids)
    }
}
