// The SDK futures nest deeper than rustc's default layout limit.
#![recursion_limit = "256"]

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrops::telemetry::init();
    let config = compliance_notifier::Config::from_env()?;
    let sdk = ferrops::sdk::load().await;
    let handler = &compliance_notifier::notifications(&sdk, config);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let now = ferrops::clock::epoch_seconds() as i64;
            handler.handle(event.payload, now).await
        },
    ))
    .await
}
