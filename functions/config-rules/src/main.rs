//! The `config-rules` Lambda; `config-rules --list` prints the rules instead.
// The SDK futures nest deeper than rustc's default layout limit.
#![recursion_limit = "256"]

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    if std::env::args().nth(1).as_deref() == Some("--list") {
        #[allow(clippy::print_stdout)]
        {
            print!("{}", config_rules::rules::listing());
        }
        return Ok(());
    }
    ferrops::telemetry::init();
    let settings = config_rules::handler::Settings::from_env();
    let sdk = ferrops::sdk::load().await;
    let function_name = ferrops::env::function_name("config-rules");
    let evaluator = &config_rules::evaluator(&sdk, &function_name, settings);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let home = ferrops::arn::account_of(&event.context.invoked_function_arn);
            let now = aws_smithy_types::DateTime::from(ferrops::clock::now());
            evaluator.handle(event.payload, home, now).await
        },
    ))
    .await
}
