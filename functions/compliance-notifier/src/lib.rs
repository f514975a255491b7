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

/// Builds every client once from `sdk`.
pub fn notifications(sdk: &SdkConfig, table: String, topic_arn: String) -> SdkNotifications {
    handler::Notifications {
        findings: Table::new(aws_sdk_dynamodb::Client::new(sdk), table),
        notifier: Topic::new(aws_sdk_sns::Client::new(sdk), topic_arn),
    }
}
