//! The ports against AWS, through the SDK clients.

pub mod config;
pub mod ssm;

use crate::ports::Accounts;
use ferrops::sdk::SdkConfig;
use ferrops::sts::{AssumeRoleProvider, CrossAccount, RoleSpec};

/// Config and SSM clients for the home account and per assumed role, each built once.
pub struct SdkAccounts {
    config: CrossAccount<aws_sdk_config::Client>,
    ssm: CrossAccount<aws_sdk_ssm::Client>,
}

impl SdkAccounts {
    /// The home account's clients from `sdk`; roles are assumed with sessions named after
    /// `function_name`.
    pub(crate) fn new(sdk: &SdkConfig, function_name: &str) -> Self {
        let roles = AssumeRoleProvider::new(sdk, function_name);
        Self {
            config: CrossAccount::new(
                aws_sdk_config::Client::new(sdk),
                roles.clone(),
                aws_sdk_config::Client::new,
            ),
            ssm: CrossAccount::new(
                aws_sdk_ssm::Client::new(sdk),
                roles,
                aws_sdk_ssm::Client::new,
            ),
        }
    }
}

impl Accounts for SdkAccounts {
    type Config = config::Config;
    type Ssm = ssm::Ssm;

    async fn for_role(
        &self,
        role: Option<&RoleSpec>,
        context: &str,
    ) -> Result<(config::Config, ssm::Ssm), ferrops::AwsFailure> {
        let c = self.config.client(role, context).await?;
        let s = self.ssm.client(role, context).await?;
        Ok((config::Config::new(c), ssm::Ssm::new(s)))
    }
}

#[cfg(test)]
mod mocks;
#[cfg(test)]
mod tests;
