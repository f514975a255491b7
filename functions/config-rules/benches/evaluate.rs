//! Configuration items evaluated per second on one core, through the same code the Lambda runs:
//! event decoding plus the generic checks plus the rule, for every fixture; and a periodic run
//! over a large inventory.
//!
//! Run with `cargo bench -p config-rules`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use config_rules::evaluate::{evaluate_inventory, verdict_for};
use config_rules::event::{RuleEvent, Trigger};
use config_rules::item::ConfigurationItem;
use config_rules::rules::{self, Context};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A fixture event, its rule, raw parameters and context.
type Case = (
    Value,
    &'static rules::Rule,
    BTreeMap<String, String>,
    Context,
);
/// A decoded item, its rule, validated parameters and context.
type Decoded = (
    ConfigurationItem,
    &'static rules::Rule,
    rules::Params,
    Context,
);

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/config")
}

/// Runs `f` repeatedly for at least `budget`; returns calls per second, best of five rounds.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    let mut best = 0.0f64;
    for _ in 0..5 {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < budget {
            f();
            n += 1;
        }
        best = best.max(n as f64 / start.elapsed().as_secs_f64());
    }
    best
}

fn main() {
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("cases.json")).unwrap())
            .unwrap();
    let events: Vec<Case> = cases
        .iter()
        .map(|c| {
            let ev: Value = serde_json::from_str(
                &std::fs::read_to_string(fixtures().join(c["event"].as_str().unwrap())).unwrap(),
            )
            .unwrap();
            let rule = rules::find(c["rule"].as_str().unwrap()).unwrap();
            let params = match c.get("parameters") {
                Some(Value::Object(m)) => m
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect(),
                _ => RuleEvent::from_event(ev.clone())
                    .unwrap()
                    .parameters
                    .into_iter()
                    .filter(|(k, _)| k != "rule")
                    .collect(),
            };
            let ctx = Context {
                managed_instances: c
                    .get("managedInstances")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect()),
            };
            (ev, rule, params, ctx)
        })
        .collect();

    // Whole path per event: decode the Config event (including its invokingEvent JSON string),
    // validate parameters, and evaluate.
    let per_event = rate(Duration::from_millis(400), || {
        for (ev, rule, raw, ctx) in &events {
            let decoded = RuleEvent::from_event(black_box(ev.clone())).unwrap();
            let Trigger::Change { item, .. } = &decoded.trigger else {
                unreachable!()
            };
            let params = rule.validate(raw).unwrap();
            black_box(verdict_for(
                rule,
                &params,
                item,
                decoded.event_left_scope,
                ctx,
            ));
        }
    }) * events.len() as f64;

    // Rule logic alone, items already decoded.
    let decoded: Vec<Decoded> = events
        .iter()
        .map(|(ev, rule, raw, ctx)| {
            let d = RuleEvent::from_event(ev.clone()).unwrap();
            let Trigger::Change { item, .. } = d.trigger else {
                unreachable!()
            };
            (*item, *rule, rule.validate(raw).unwrap(), ctx.clone())
        })
        .collect();
    let per_item = rate(Duration::from_millis(400), || {
        for (item, rule, params, ctx) in &decoded {
            black_box(verdict_for(rule, params, black_box(item), false, ctx));
        }
    }) * decoded.len() as f64;

    // A periodic run: 10,000 running instances, half managed, 100 vanished.
    let n = 10_000;
    let items: Vec<ConfigurationItem> = (0..n)
        .map(|i| {
            ConfigurationItem::from_json(&json!({"resourceType": "AWS::EC2::Instance", "resourceId": format!("i-{i:017x}"),
                "configuration": {"instanceId": format!("i-{i:017x}"), "state": {"code": 16, "name": "running"}}}))
            .unwrap()
        })
        .collect();
    let previous: Vec<(String, String)> = (n..n + 100)
        .map(|i| ("AWS::EC2::Instance".to_string(), format!("i-{i:017x}")))
        .collect();
    let ctx = Context {
        managed_instances: Some((0..n).step_by(2).map(|i| format!("i-{i:017x}")).collect()),
    };
    let rule = rules::find("ec2-instance-managed-by-ssm").unwrap();
    let params = rule.validate(&BTreeMap::new()).unwrap();
    let t = aws_smithy_types::DateTime::from_secs(0);
    let periodic = rate(Duration::from_millis(400), || {
        black_box(evaluate_inventory(
            rule,
            &params,
            black_box(&items),
            &previous,
            &ctx,
            t,
        ));
    }) * (n + 100) as f64;

    println!(
        "config-rules evaluation, one core ({} fixture cases, {} rules):",
        events.len(),
        rules::RULES.len()
    );
    println!("  change events, decode + validate + evaluate: {per_event:>12.0} items/s");
    println!("  rule evaluation of decoded items:            {per_item:>12.0} items/s");
    println!("  periodic inventory (10,100 resources):       {periodic:>12.0} items/s");
}
