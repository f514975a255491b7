//! Helpers for the integration tests: the local AWS's SDK configuration, and fixtures.
// Test support: a broken set-up should stop the test at once and say where.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use anyhow::Context;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// The local AWS's endpoint for `variable`, which `scripts/test` sets: `AWS_ENDPOINT_URL` (AWS,
/// over HTTPS with the local AWS's CA in `SSL_CERT_FILE`) or `LOCAL_AWS_CONTROL` (its control
/// API, plain HTTP).
///
/// Fails loudly when it does not point at 127.0.0.1: these tests must never run against a real
/// account.
fn endpoint(variable: &str) -> String {
    let endpoint = std::env::var(variable).unwrap_or_default();
    assert!(
        endpoint.starts_with("https://127.0.0.1:") || endpoint.starts_with("http://127.0.0.1:"),
        "integration tests need the local AWS (tests/emulator): run them through scripts/test ({variable}={endpoint:?})"
    );
    endpoint
}

/// SDK configuration pointing at the local AWS that `scripts/test` started.
pub async fn emulator() -> SdkConfig {
    endpoint("AWS_ENDPOINT_URL");
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// Makes `instance_id` a managed instance of `account` in the local AWS, with an online SSM agent,
/// so commands sent to it run (in a sandbox of its own) as on a real instance. AWS refuses
/// commands for an instance it does not manage, and so does the local AWS.
///
/// This is the local AWS's control API (`POST /_ferrops/instances`), not an AWS call: AWS has no
/// call that makes an instance managed.
pub fn managed_instance(sdk: &SdkConfig, account: &str, instance_id: &str) -> anyhow::Result<()> {
    let control = endpoint("LOCAL_AWS_CONTROL");
    let address = control.trim_start_matches("http://").to_string();
    let region = sdk.region().map_or("us-east-1", |r| r.as_ref());
    let body = serde_json::json!({
        "instanceId": instance_id, "accountId": account, "region": region, "tags": {}
    })
    .to_string();
    let mut stream = TcpStream::connect(&address)
        .with_context(|| format!("connecting to the local AWS on {address}"))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(std::time::Duration::from_secs(30)))?;
    write!(
        stream,
        "POST /_ferrops/instances HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    let status = reply.lines().next().unwrap_or_default();
    anyhow::ensure!(
        status.split_whitespace().nth(1) == Some("200"),
        "the local AWS did not register {instance_id}: {status}"
    );
    Ok(())
}

/// A name no other test in this run uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Creates a table with a string partition key `key`.
pub async fn create_table(sdk: &SdkConfig, name: &str, key: &str) -> anyhow::Result<()> {
    aws_sdk_dynamodb::Client::new(sdk)
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()?,
        )
        .send()
        .await?;
    Ok(())
}

/// Path of a file under `tests/fixtures/`.
pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A fixture parsed as JSON.
pub fn fixture(name: &str) -> serde_json::Value {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
