//! scripts/deploy into moto server: the whole path a user runs (cargo-lambda build, cfn-lint,
//! package, change set, execute), then the result checked through the SDK.
// Test code: a failed step should stop the test at once and say where.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use ferrops_tests::emulator;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::Command;

const STAGE: &str = "local";
const FUNCTIONS: &[&str] = &[
    "pipeline-runner",
    "config-rules",
    "compliance-notifier",
    "alexa-skill",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn deploy(endpoint: &str) -> String {
    run(
        "scripts/deploy",
        &["--stage", STAGE, "--endpoint-url", endpoint, "--yes"],
    )
}

fn run(script: &str, args: &[&str]) -> String {
    let out = Command::new(root().join(script))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("{script}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{text}");
    text
}

fn actions(statement: &serde_json::Value) -> Vec<String> {
    match &statement["Action"] {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// A policy document as JSON. moto stores the inline policies CloudFormation gives it as Python
/// reprs (`{'Version': ...}`); those are read by swapping the quotes, which is exact for these
/// documents (they contain no apostrophes).
fn policy_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| {
        assert!(
            text.starts_with("{'") && !text.contains("\\'"),
            "unreadable policy: {text}"
        );
        serde_json::from_str(
            &text
                .replace('\'', "\"")
                .replace("True", "true")
                .replace("False", "false")
                .replace("None", "null"),
        )
        .unwrap_or_else(|e| panic!("unreadable policy ({e}): {text}"))
    })
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = b
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn deploy_builds_lints_packages_and_creates_the_stack_then_redeploys_dry_runs_and_destroys() {
    let sdk = emulator().await;
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let first = deploy(&endpoint);
    assert!(
        first.contains(&format!("stack ferrops-{STAGE} is CREATE_COMPLETE")),
        "{first}"
    );
    assert!(
        first.contains(&format!("ferrops-{STAGE}-alexa-skill")),
        "outputs (or, under moto, the resources) are printed: {first}"
    );

    let lambda = aws_sdk_lambda::Client::new(&sdk);
    for f in FUNCTIONS {
        let zip =
            std::fs::read(root().join(format!("target/lambda-arm64/{f}/bootstrap.zip"))).unwrap();
        let sha = aws_smithy_types::base64::encode(Sha256::digest(&zip));
        let got = lambda
            .get_function()
            .function_name(format!("ferrops-{STAGE}-{f}"))
            .send()
            .await
            .unwrap();
        let c = got.configuration().unwrap();
        assert_eq!(
            c.runtime().map(|r| r.as_str()),
            Some("provided.al2023"),
            "{f}"
        );
        // moto's CloudFormation ignores `Architectures`, so the architecture is checked on the
        // binary the zip was built from: an AArch64 ELF (e_machine 0xB7).
        let elf = std::fs::read(root().join(format!(
            "target/lambda-build/aarch64-unknown-linux-gnu/release/{f}"
        )))
        .unwrap();
        assert_eq!(
            (&elf[..4], u16::from_le_bytes([elf[18], elf[19]])),
            (&b"\x7fELF"[..], 0xB7),
            "{f} is built for arm64"
        );
        assert_eq!(c.handler(), Some("bootstrap"), "{f}");
        assert_eq!(
            c.code_sha256(),
            Some(sha.as_str()),
            "{f} runs the zip this build produced"
        );
    }

    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    for t in ["job-ledger", "findings", "skill-attributes"] {
        let d = ddb
            .describe_table()
            .table_name(format!("ferrops-{STAGE}-{t}"))
            .send()
            .await
            .unwrap();
        assert!(d.table().is_some(), "{t}");
    }
    let topics = aws_sdk_sns::Client::new(&sdk)
        .list_topics()
        .send()
        .await
        .unwrap();
    assert!(topics.topics().iter().any(|t| {
        t.topic_arn()
            .is_some_and(|a| a.ends_with(&format!(":ferrops-{STAGE}-findings")))
    }));

    let iam = aws_sdk_iam::Client::new(&sdk);
    for f in FUNCTIONS {
        let role = format!("ferrops-{STAGE}-{f}");
        let names = iam
            .list_role_policies()
            .role_name(&role)
            .send()
            .await
            .unwrap();
        assert!(!names.policy_names().is_empty(), "{role} has policies");
        for name in names.policy_names() {
            let doc = iam
                .get_role_policy()
                .role_name(&role)
                .policy_name(name)
                .send()
                .await
                .unwrap();
            let doc = policy_json(&url_decode(doc.policy_document()));
            let statements = match &doc["Statement"] {
                serde_json::Value::Array(a) => a.clone(),
                s => vec![s.clone()],
            };
            for st in statements {
                for a in actions(&st) {
                    assert!(
                        !a.contains('*'),
                        "{role}/{name} grants the wildcard action {a}"
                    );
                }
            }
        }
    }

    let second = deploy(&endpoint);
    assert!(
        second.contains("no changes"),
        "a second deploy changes nothing:\n{second}"
    );

    let gone = run(
        "scripts/destroy",
        &["--stage", STAGE, "--endpoint-url", &endpoint, "--yes"],
    );
    assert!(gone.contains(&format!("deleted ferrops-{STAGE}")), "{gone}");
    assert!(
        lambda
            .get_function()
            .function_name(format!("ferrops-{STAGE}-pipeline-runner"))
            .send()
            .await
            .is_err()
    );

    // A dry run on the now absent stack shows what would be added and leaves nothing behind.
    let dry = run(
        "scripts/deploy",
        &["--stage", STAGE, "--endpoint-url", &endpoint, "--dry-run"],
    );
    assert!(
        dry.contains("dry run: change set shown and discarded"),
        "{dry}"
    );
    assert!(dry.contains("Add      AlexaSkillFunction"), "{dry}");
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let left = cfn
        .describe_stacks()
        .stack_name(format!("ferrops-{STAGE}"))
        .send()
        .await;
    let status = left.ok().and_then(|o| {
        o.stacks()
            .first()
            .and_then(|s| s.stack_status().map(|s| s.as_str().to_string()))
    });
    assert!(
        status.is_none() || status.as_deref() == Some("DELETE_COMPLETE"),
        "dry run left {status:?}"
    );
    assert!(
        lambda
            .get_function()
            .function_name(format!("ferrops-{STAGE}-pipeline-runner"))
            .send()
            .await
            .is_err()
    );
}
