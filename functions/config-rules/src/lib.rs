//! `config-rules`: custom AWS Config rules in one binary.
//!
//! The pure core: [`event`] decodes the Config rule event and [`item`] its configuration items;
//! `plan` decides what an event needs; [`rules`] declares the rules, each with a plain
//! function from an item to a verdict; [`evaluate`] does the generic evaluation. [`handler`]
//! runs one invocation over the ports in [`ports`], which [`adapters`] implement with the SDK.

pub mod adapters;
pub mod error;
pub mod evaluate;
pub mod event;
pub mod handler;
pub mod item;
mod plan;
pub mod ports;
pub mod rules;

use adapters::SdkAccounts;
use ferrops::sdk::SdkConfig;

/// The evaluator over the SDK adapters, every client built once from `sdk`; assumed-role
/// sessions are named after `function_name`.
pub fn evaluator(
    sdk: &SdkConfig,
    function_name: &str,
    settings: handler::Settings,
) -> handler::Evaluator<SdkAccounts> {
    handler::Evaluator {
        accounts: SdkAccounts::new(sdk, function_name),
        settings,
    }
}
