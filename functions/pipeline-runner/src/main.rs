// The SDK futures nest deeper than rustc's default layout limit.
#![recursion_limit = "256"]

use lambda_runtime::{LambdaEvent, service_fn};
use pipeline_runner::Config;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrops::telemetry::init();
    let config = Config::from_env()?;
    let sdk = ferrops::sdk::load().await;
    let runner = &pipeline_runner::runner(&sdk, config);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            runner
                .handle(event.payload, ferrops::clock::epoch_seconds())
                .await
        },
    ))
    .await
}
