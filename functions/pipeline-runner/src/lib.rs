//! `pipeline-runner`: a CodePipeline Lambda-invoke action that runs shell commands on EC2
//! instances through SSM Run Command, waiting with continuation tokens rather than sleeping.
//!
//! The pure core is [`params`] (UserParameters → plan), [`command`] (plan → shell text) and
//! [`decide`] (SSM statuses → job result). I/O goes through the traits in [`ports`], implemented
//! by the SDK adapters in [`adapters`]; [`handler`] ties them together.

pub mod adapters;
pub mod command;
pub mod decide;
pub mod error;
pub mod handler;
pub mod job;
pub mod params;
pub mod ports;
pub mod token;

use adapters::{codepipeline::Results, ledger::Ledger, ssm::SsmClients};
use ferrops::sdk::SdkConfig;
use ferrops::sts::{AssumeRoleProvider, CrossAccount};

/// The handler wired to the SDK adapters.
pub type SdkRunner = handler::Runner<SsmClients, Ledger, Results>;

/// Builds every client once from `sdk`. `ledger_table` is the DynamoDB job ledger.
pub fn runner(sdk: &SdkConfig, ledger_table: String, settings: handler::Settings) -> SdkRunner {
    let roles = AssumeRoleProvider::new(sdk, settings.function_name.clone());
    handler::Runner {
        ssm: SsmClients(CrossAccount::new(
            aws_sdk_ssm::Client::new(sdk),
            roles,
            aws_sdk_ssm::Client::new,
        )),
        ledger: Ledger::new(aws_sdk_dynamodb::Client::new(sdk), ledger_table),
        results: Results::new(aws_sdk_codepipeline::Client::new(sdk)),
        settings,
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
