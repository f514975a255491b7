//! Warm handler time for a fact request: the payload as Lambda hands it over, parsed, routed,
//! answered and checked against Alexa's limits. No AWS call is involved in a fact without a
//! persistence table, so this is the skill's own cost.
//!
//! Run with `cargo bench -p alexa-skill`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use alexa_skill::Config;
use std::time::Instant;

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("us-east-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let skill = alexa_skill::skill(&sdk, Config::default()).unwrap();
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/alexa/en-US/get-new-fact.json");
    let payload: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();

    for _ in 0..1_000 {
        rt.block_on(skill.handle(payload.clone(), 0)).unwrap();
    }
    let mut samples = Vec::with_capacity(20_000);
    for n in 0..20_000 {
        let mut p = payload.clone();
        p["request"]["requestId"] = serde_json::json!(format!("amzn1.echo-api.request.{n}"));
        let start = Instant::now();
        let r = rt.block_on(skill.handle(p, 0)).unwrap();
        samples.push(start.elapsed());
        std::hint::black_box(r);
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "alexa-skill warm fact request ({} requests):",
        samples.len()
    );
    println!(
        "  min {:?}  median {:?}  p99 {:?}  max {:?}",
        samples[0],
        at(0.5),
        at(0.99),
        samples[samples.len() - 1]
    );
}
