//! Warm handler time for a fact request: the payload as Lambda hands it over, parsed, routed,
//! answered and checked against Alexa's limits. No AWS call is involved in a fact without a
//! persistence table, so this is the skill's own cost.
//!
//! Run with `cargo bench -p alexa-skill`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use alexa_skill::adapters::{codepipeline::CodePipeline, ssm::OperatorsParameter};
use alexa_skill::ports::Services;
use ferrops_alexa::skill::SkillIds;
use ferrops::sts::{AssumeRoleProvider, CrossAccount};
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
    let services = Services {
        pipelines: CodePipeline::new(
            CrossAccount::new(
                aws_sdk_codepipeline::Client::new(&sdk),
                AssumeRoleProvider::new(&sdk, "bench"),
                aws_sdk_codepipeline::Client::new,
            ),
            None,
        ),
        operators: OperatorsParameter::new(aws_sdk_ssm::Client::new(&sdk), None),
    };
    let skill = alexa_skill::skill(alexa_skill::catalog().unwrap(), SkillIds::parse(None));
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/alexa/en-US/get-new-fact.json");
    let payload: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();

    for _ in 0..1_000 {
        rt.block_on(alexa_skill::handle(&skill, &services, payload.clone()))
            .unwrap();
    }
    let mut samples = Vec::with_capacity(20_000);
    for n in 0..20_000 {
        let mut p = payload.clone();
        p["request"]["requestId"] = serde_json::json!(format!("amzn1.echo-api.request.{n}"));
        let start = Instant::now();
        let r = rt
            .block_on(alexa_skill::handle(&skill, &services, p))
            .unwrap();
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
