//! SDK adapters behind the ports.

pub mod config;
pub mod ssm;

use crate::ports::Accounts;
use ferrops::sts::{CrossAccount, RoleSpec};

/// Config and SSM clients per account, each built once.
pub struct SdkAccounts {
    /// Config clients.
    pub config: CrossAccount<aws_sdk_config::Client>,
    /// SSM clients.
    pub ssm: CrossAccount<aws_sdk_ssm::Client>,
}

impl Accounts for SdkAccounts {
    type Config = config::Config;
    type Ssm = ssm::Ssm;

    async fn for_role(
        &self,
        role: Option<&RoleSpec>,
        context: &str,
    ) -> Result<(config::Config, ssm::Ssm), ferrops::Error> {
        let c = self.config.client(role, context).await?;
        let s = self.ssm.client(role, context).await?;
        Ok((config::Config::new(c), ssm::Ssm::new(s)))
    }
}
