//! `compliance-notifier`: records AWS Config compliance changes per (account, region, rule,
//! resource) and tells admins about the ones that matter: a resource newly NON_COMPLIANT, or
//! fixed. A scheduled digest summarises each account.
//!
//! [`change`] and [`notice`] are the pure core; [`handler`] ties them to the ports in [`ports`],
//! implemented by [`adapters`].

pub mod adapters;
pub mod change;
pub mod error;
pub mod handler;
pub mod notice;
pub mod ports;

use adapters::{dynamodb::Table, sns::Topic};
use ferrops::sdk::SdkConfig;

/// The handler wired to the SDK adapters.
pub type SdkNotifications = handler::Notifications<Table, Topic>;

/// The function's settings, read from the environment once at start-up.
#[derive(Debug, Clone)]
pub struct Config {
    /// `FINDINGS_TABLE`: the DynamoDB findings ledger.
    pub findings_table: String,
    /// `FINDINGS_TOPIC_ARN`: the SNS topic admins subscribe to.
    pub topic_arn: String,
}

impl Config {
    /// Reads the settings; a missing variable is named with what it is for.
    pub fn from_env() -> Result<Self, ferrops::env::EnvError> {
        Ok(Self {
            findings_table: ferrops::env::required(
                "FINDINGS_TABLE",
                "the DynamoDB findings ledger (partition key pk)",
            )?,
            topic_arn: ferrops::env::required(
                "FINDINGS_TOPIC_ARN",
                "the SNS topic admins subscribe to",
            )?,
        })
    }
}

/// Builds every client once from `sdk`.
pub fn notifications(sdk: &SdkConfig, config: Config) -> SdkNotifications {
    handler::Notifications {
        findings: Table::new(aws_sdk_dynamodb::Client::new(sdk), config.findings_table),
        notifier: Topic::new(aws_sdk_sns::Client::new(sdk), config.topic_arn),
    }
}
