//! The Lambda entry point: settings, SDK clients and locale strings built once, then one
//! `Skill::handle` per invocation, at the time the invocation starts.

// The SDK futures nest deeper than rustc's default layout limit.
#![recursion_limit = "256"]

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrops::telemetry::init();
    let config = alexa_skill::Config::from_env()?;
    let sdk = ferrops::sdk::load().await;
    let skill = alexa_skill::skill(&sdk, config)?;
    let skill = &skill;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            skill
                .handle(event.payload, ferrops::clock::epoch_seconds())
                .await
        },
    ))
    .await
}
