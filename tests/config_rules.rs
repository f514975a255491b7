//! config-rules against moto server: whole invocations ending in a real PutEvaluations.
//!
//! moto renders Config timestamps as "2026-11-22 02:46:10+00:00" strings where the service model
//! has epoch numbers, which the Rust SDK rightly refuses; the GetResourceConfigHistory path is
//! therefore tested with the SDK's mock tools in config-rules itself.
// Test code: a failed step should stop the test at once and say where.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use config_rules::handler::Settings;
use ferrops_tests::{emulator, fixture};
use serde_json::json;

const HOME: &str = "123456789012";

fn now() -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from(ferrops::clock::now())
}

#[tokio::test]
async fn change_event_is_evaluated_and_put_in_test_mode() {
    let sdk = emulator().await;
    let evaluator = config_rules::evaluator(&sdk, "config-rules", Settings::default());
    let s = evaluator
        .handle(fixture("config/sg-ssh-open.json"), Some(HOME), now())
        .await
        .unwrap();
    assert_eq!(
        (s.evaluations, s.tally.non_compliant, s.put_calls),
        (1, 1, 1)
    );
    assert!(s.test_mode);
}

#[tokio::test]
async fn put_without_test_mode_reaches_config() {
    // moto accepts PutEvaluations only in test mode; a real token reaches it and is refused, which
    // shows the token decides the mode.
    let sdk = emulator().await;
    let evaluator = config_rules::evaluator(&sdk, "config-rules", Settings::default());
    let mut ev = fixture("config/sg-ssh-open.json");
    ev["resultToken"] = json!("real-token-from-config");
    let err = evaluator.handle(ev, Some(HOME), now()).await.unwrap_err();
    assert!(err.to_string().contains("config:PutEvaluations"), "{err}");
}
