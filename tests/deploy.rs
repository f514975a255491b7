//! scripts/deploy into moto server: the whole path a user runs (cargo-lambda build, cfn-lint,
//! package, change set, execute), then the result checked through the SDK.

use ferrops_tests::emulator;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::Command;

const STAGE: &str = "local";
const FUNCTIONS: &[&str] = &["pipeline-runner", "config-rules", "compliance-notifier", "alexa-skill"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn deploy(endpoint: &str) -> String {
    let out = Command::new(root().join("scripts/deploy"))
        .args(["--stage", STAGE, "--endpoint-url", endpoint, "--yes"])
        .current_dir(root())
        .output()
        .expect("scripts/deploy runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "scripts/deploy failed:\n{text}");
    text
}

fn actions(statement: &serde_json::Value) -> Vec<String> {
    match &statement["Action"] {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => vec![],
    }
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn deploy_creates_the_stack_from_the_built_zips_with_least_privilege_and_a_redeploy_changes_nothing() {
    let sdk = emulator().await;
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let first = deploy(&endpoint);
    assert!(first.contains(&format!("stack ferrops-{STAGE} is CREATE_COMPLETE")), "{first}");
    assert!(first.contains("AlexaSkillFunctionArn"), "outputs are printed: {first}");

    let lambda = aws_sdk_lambda::Client::new(&sdk);
    for f in FUNCTIONS {
        let zip = std::fs::read(root().join(format!("target/lambda-arm64/{f}/bootstrap.zip"))).unwrap();
        let sha = aws_smithy_types::base64::encode(Sha256::digest(&zip));
        let got = lambda.get_function().function_name(format!("ferrops-{STAGE}-{f}")).send().await.unwrap();
        let c = got.configuration().unwrap();
        assert_eq!(c.runtime().map(|r| r.as_str()), Some("provided.al2023"), "{f}");
        assert_eq!(c.architectures().iter().map(|a| a.as_str()).collect::<Vec<_>>(), ["arm64"], "{f}");
        assert_eq!(c.handler(), Some("bootstrap"), "{f}");
        assert_eq!(c.code_sha256(), Some(sha.as_str()), "{f} runs the zip this build produced");
    }

    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    for t in ["job-ledger", "findings", "skill-attributes"] {
        let d = ddb.describe_table().table_name(format!("ferrops-{STAGE}-{t}")).send().await.unwrap();
        assert!(d.table().is_some(), "{t}");
    }
    let topics = aws_sdk_sns::Client::new(&sdk).list_topics().send().await.unwrap();
    assert!(topics.topics().iter().any(|t| t.topic_arn().is_some_and(|a| a.ends_with(&format!(":ferrops-{STAGE}-findings")))));

    let iam = aws_sdk_iam::Client::new(&sdk);
    for f in FUNCTIONS {
        let role = format!("ferrops-{STAGE}-{f}");
        let names = iam.list_role_policies().role_name(&role).send().await.unwrap();
        assert!(!names.policy_names().is_empty(), "{role} has policies");
        for name in names.policy_names() {
            let doc = iam.get_role_policy().role_name(&role).policy_name(name).send().await.unwrap();
            let doc: serde_json::Value = serde_json::from_str(&url_decode(doc.policy_document())).unwrap();
            let statements = match &doc["Statement"] {
                serde_json::Value::Array(a) => a.clone(),
                s => vec![s.clone()],
            };
            for st in statements {
                for a in actions(&st) {
                    assert!(!a.contains('*'), "{role}/{name} grants the wildcard action {a}");
                }
            }
        }
    }

    let second = deploy(&endpoint);
    assert!(second.contains("no changes"), "a second deploy changes nothing:\n{second}");
}
