// The SDK futures nest deeper than rustc's default layout limit.
#![recursion_limit = "256"]

use lambda_runtime::{LambdaEvent, service_fn};
use pipeline_runner::handler::Settings;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrops::telemetry::init();
    let ledger_table =
        ferrops::env::required("LEDGER_TABLE", "the DynamoDB job ledger (partition key pk)")?;
    let sdk = ferrops::sdk::load().await;
    let settings = Settings::from_env(
        ferrops::env::function_name("pipeline-runner"),
        ferrops::sdk::region_of(&sdk),
    )?;
    let runner = pipeline_runner::runner(&sdk, ledger_table, settings);
    let runner = &runner;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            runner.handle(event.payload, pipeline_runner::now()).await
        },
    ))
    .await
}
