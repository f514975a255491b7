//! The baseline: a bare `lambda_runtime` function that returns its event. Nothing can start or
//! answer faster on this runtime, so the functions' figures are compared with it.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(
        |e: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            Ok::<_, lambda_runtime::Error>(e.payload)
        },
    ))
    .await
}
