//! The README documents what the code does: every rule, parameter and IAM action, and every
//! UserParameters key of pipeline-runner.
// Test code: a failed step should stop the test at once and say where.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

fn readme() -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap()
}

#[test]
fn readme_documents_every_rule_its_parameters_and_iam_actions() {
    let text = readme();
    for rule in config_rules::rules::RULES {
        assert!(
            text.contains(&format!("`{}`", rule.name())),
            "README lacks rule {}",
            rule.name()
        );
        for t in rule.resource_types() {
            assert!(
                text.contains(t),
                "README lacks resource type {t} of {}",
                rule.name()
            );
        }
        for p in rule.parameters() {
            // `blockedPort1`..`blockedPort5` and `tag1Key` … `tag6Value` are documented as ranges.
            let documented = text.contains(&format!("`{}`", p.name))
                || (p.name.starts_with("blockedPort")
                    && text.contains("`blockedPort1`..`blockedPort5`"))
                || (p.name.starts_with("tag")
                    && text
                        .contains("`tag1Key` (required), `tag1Value`, … `tag6Key`, `tag6Value`"));
            assert!(
                documented,
                "README lacks parameter {} of {}",
                p.name,
                rule.name()
            );
            if let Some(d) = p.default {
                assert!(text.contains(d), "README lacks default {d} of {}", p.name);
            }
        }
        for a in rule.iam_actions() {
            assert!(
                text.contains(&format!("`{a}`")),
                "README lacks IAM action {a} of {}",
                rule.name()
            );
        }
    }
}

#[test]
fn readme_documents_every_user_parameters_key() {
    let text = readme();
    for key in [
        "commands",
        "script",
        "instanceIds",
        "targets",
        "workingDirectory",
        "executionTimeout",
        "roleArn",
        "externalId",
        "env",
        "outputS3BucketName",
        "outputS3KeyPrefix",
    ] {
        assert!(
            text.contains(&format!("| `{key}` |")),
            "README's contract table lacks {key}"
        );
        assert!(
            pipeline_runner::params::EXPECTED_SHAPE.contains(&format!("\"{key}\"")),
            "the error message's shape lacks {key}"
        );
    }
}
