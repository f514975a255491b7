//! `config-rules`: custom AWS Config rules in one binary.
//!
//! [`rules`] holds the rules, each a small unit; [`evaluate`] the generic, pure evaluation;
//! [`item`] and [`event`] the event shapes; [`handler`] the invocation, over the ports in
//! [`ports`] implemented by [`adapters`].

pub mod adapters;
pub mod error;
pub mod evaluate;
pub mod event;
pub mod handler;
pub mod item;
pub mod ports;
pub mod rules;

use adapters::SdkAccounts;
use ferrops::sdk::SdkConfig;
use ferrops::sts::{AssumeRoleProvider, CrossAccount};

/// The evaluator wired to the SDK adapters.
pub type SdkEvaluator = handler::Evaluator<SdkAccounts>;

/// Builds every client once from `sdk`.
pub fn evaluator(
    sdk: &SdkConfig,
    function_name: &str,
    settings: handler::Settings,
) -> SdkEvaluator {
    let roles = AssumeRoleProvider::new(sdk, function_name);
    handler::Evaluator {
        accounts: SdkAccounts {
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
        },
        settings,
    }
}

/// The account in a Lambda function ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`).
pub fn account_of_arn(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| a.len() == 12)
}
