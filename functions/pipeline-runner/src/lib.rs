//! `pipeline-runner`: a CodePipeline Lambda-invoke action that runs shell commands on EC2
//! instances through SSM Run Command, waiting with continuation tokens rather than sleeping.
//!
//! The pure core is [`params`] (UserParameters → plan), `command` (plan → shell text),
//! [`decide`] (SSM statuses → job result) and [`token`] (the state between invocations), with
//! the console's wording in `messages`. I/O goes through the traits in [`ports`], implemented
//! by the SDK adapters in [`adapters`]; [`handler`] ties them together, and [`runner`] wires it
//! to AWS once per container.

pub mod adapters;
mod command;
pub mod decide;
pub mod error;
pub mod handler;
pub mod job;
mod messages;
pub mod params;
pub mod ports;
pub mod token;

use adapters::{codepipeline::Results, ledger::Ledger, ssm::SsmClients};
use ferrops::sdk::SdkConfig;
use ferrops::sts::{AssumeRoleProvider, CrossAccount};
use handler::{Runner, Settings};

/// The function's configuration, read from the environment once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `LEDGER_TABLE`: the DynamoDB job ledger (partition key `pk`).
    pub ledger_table: String,
    /// `DELIVERY_TIMEOUT_SECONDS` (30..=2592000, default 600): `SendCommand`'s
    /// `TimeoutSeconds`.
    pub delivery_timeout: u32,
    /// The Lambda function's name, which STS session names start with.
    pub function_name: String,
}

impl Config {
    /// Reads the configuration; the error names the variable to fix.
    pub fn from_env() -> Result<Self, ferrops::env::EnvError> {
        let ledger_table =
            ferrops::env::required("LEDGER_TABLE", "the DynamoDB job ledger (partition key pk)")?;
        let delivery_timeout: u32 = ferrops::env::parse_or("DELIVERY_TIMEOUT_SECONDS", 600)?;
        if !(30..=2_592_000).contains(&delivery_timeout) {
            return Err(ferrops::env::EnvError::Invalid {
                name: "DELIVERY_TIMEOUT_SECONDS",
                reason: format!("{delivery_timeout} is outside 30..=2592000"),
            });
        }
        Ok(Self {
            ledger_table,
            delivery_timeout,
            function_name: ferrops::env::function_name("pipeline-runner"),
        })
    }
}

/// The handler wired to the SDK adapters.
pub type SdkRunner = Runner<SsmClients, Ledger, Results>;

/// Builds every client once from `sdk`, for the container's life.
pub fn runner(sdk: &SdkConfig, config: Config) -> SdkRunner {
    let roles = AssumeRoleProvider::new(sdk, config.function_name.clone());
    Runner {
        ssm: SsmClients(CrossAccount::new(
            aws_sdk_ssm::Client::new(sdk),
            roles,
            aws_sdk_ssm::Client::new,
        )),
        ledger: Ledger::new(aws_sdk_dynamodb::Client::new(sdk), config.ledger_table),
        results: Results::new(aws_sdk_codepipeline::Client::new(sdk)),
        settings: Settings {
            function_name: config.function_name,
            region: ferrops::sdk::region_of(sdk),
            delivery_timeout: config.delivery_timeout,
        },
    }
}
