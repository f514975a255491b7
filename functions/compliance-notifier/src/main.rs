// The SDK futures nest deeper than rustc's default layout limit.
#![recursion_limit = "256"]

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrops::telemetry::init();
    let table = ferrops::env::required(
        "FINDINGS_TABLE",
        "the DynamoDB findings ledger (partition key pk)",
    )?;
    let topic = ferrops::env::required("FINDINGS_TOPIC_ARN", "the SNS topic admins subscribe to")?;
    let sdk = ferrops::sdk::load().await;
    let handler = compliance_notifier::notifications(&sdk, table, topic);
    let handler = &handler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            handler.handle(event.payload, now).await
        },
    ))
    .await
}
