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
    let sdk = ferrops::sdk::load().await;
    let evaluator = config_rules::evaluator(
        &sdk,
        &ferrops::env::function_name("config-rules"),
        config_rules::handler::Settings::from_env(),
    );
    let evaluator = &evaluator;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let home = config_rules::account_of_arn(&event.context.invoked_function_arn)
                .map(str::to_string);
            evaluator
                .handle(
                    event.payload,
                    home.as_deref(),
                    aws_smithy_types::DateTime::from(std::time::SystemTime::now()),
                )
                .await
        },
    ))
    .await
}
