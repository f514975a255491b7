//! A function whose every invocation makes one AWS call (STS `GetCallerIdentity`), built on
//! `ferrops::sdk` as our functions are. `scripts/bench` measures it twice, to decide where the
//! first call's TLS set-up and handshake belong: left to the first invocation (what
//! `DeferredTlsClient` does), or done during init by one call there (`CONNECT_AT_INIT` set).
// Test code: a failed step should stop the test at once and say where.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let sdk = ferrops::sdk::load().await;
    let sts = &aws_sdk_sts::Client::new(&sdk);
    if std::env::var_os("CONNECT_AT_INIT").is_some() {
        sts.get_caller_identity().send().await?;
    }
    lambda_runtime::run(service_fn(
        move |_event: LambdaEvent<serde_json::Value>| async move {
            let me = sts.get_caller_identity().send().await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "account": me.account() }))
        },
    ))
    .await
}
