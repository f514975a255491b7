//! Event fixtures in the shapes AWS sends, and their round trips through our types.
// Test code: a failed step should stop the test at once and say where.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use aws_lambda_events::event::codepipeline_job::CodePipelineJobEvent;
use ferrops_tests::fixture;
use pipeline_runner::job::Job;

const CODEPIPELINE: &[&str] = &[
    "codepipeline-job.json",
    "codepipeline-job-continuation.json",
    "codepipeline-job-script.json",
];

#[test]
fn codepipeline_fixtures_round_trip_through_aws_lambda_events() {
    for name in CODEPIPELINE {
        let raw = fixture(name);
        let parsed: CodePipelineJobEvent = serde_json::from_value(raw.clone()).unwrap();
        let again: CodePipelineJobEvent =
            serde_json::from_value(serde_json::to_value(&parsed).unwrap()).unwrap();
        assert_eq!(parsed, again, "{name}");
        assert_eq!(
            parsed.code_pipeline_job.id.as_deref(),
            raw["CodePipeline.job"]["id"].as_str()
        );
    }
}

#[test]
fn codepipeline_fixtures_become_jobs_without_credentials() {
    for name in CODEPIPELINE {
        let job = Job::from_event(fixture(name)).unwrap();
        let printed = format!("{job:?}");
        assert!(!printed.contains("wJalrXUtnFEMI"), "{name}: {printed}");
        assert!(
            !printed.contains("IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"),
            "{name}"
        );
        assert_eq!(
            job.input_artifact.unwrap().bucket,
            "us-west-2-123456789012-my-pipeline"
        );
    }
}

#[test]
fn fixture_user_parameters_follow_the_contract() {
    for name in CODEPIPELINE {
        let job = Job::from_event(fixture(name)).unwrap();
        pipeline_runner::params::parse(job.user_parameters.as_deref())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn continuation_fixture_carries_a_token_this_function_reads() {
    let job = Job::from_event(fixture("codepipeline-job-continuation.json")).unwrap();
    let token =
        pipeline_runner::token::Token::decode(job.continuation_token.as_deref().unwrap()).unwrap();
    assert_eq!(
        token.cmd.as_deref(),
        Some("0b2f8a1c-1234-4abc-9def-0123456789ab")
    );
}

mod config {
    use aws_lambda_events::event::config::ConfigEvent;
    use config_rules::evaluate::verdict_for;
    use config_rules::event::{RuleEvent, Trigger};
    use config_rules::item::ConfigurationItem;
    use config_rules::rules::{self, Compliance, Context};
    use ferrops_tests::fixture;
    use serde_json::Value;
    use std::collections::{BTreeMap, BTreeSet};

    fn cases() -> Vec<Value> {
        fixture("config/cases.json").as_array().unwrap().clone()
    }

    fn event_files() -> BTreeSet<String> {
        cases()
            .iter()
            .map(|c| c["event"].as_str().unwrap().to_string())
            .chain(["sg-oversized.json".into(), "scheduled.json".into()])
            .collect()
    }

    #[test]
    fn config_events_round_trip_through_aws_lambda_events() {
        for name in event_files() {
            let raw = fixture(&format!("config/{name}"));
            let parsed: ConfigEvent = serde_json::from_value(raw.clone()).unwrap();
            let again: ConfigEvent =
                serde_json::from_value(serde_json::to_value(&parsed).unwrap()).unwrap();
            assert_eq!(parsed, again, "{name}");
            RuleEvent::from_event(raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn every_rule_case_gets_its_expected_result() {
        for case in cases() {
            let file = case["event"].as_str().unwrap();
            let ev = RuleEvent::from_event(fixture(&format!("config/{file}"))).unwrap();
            let Trigger::Change { item, .. } = &ev.trigger else {
                panic!("{file} is not a change event")
            };
            let rule = rules::find(case["rule"].as_str().unwrap()).unwrap();
            let raw: BTreeMap<String, String> = match case.get("parameters") {
                Some(Value::Object(m)) => m
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect(),
                _ => ev
                    .parameters
                    .iter()
                    .filter(|(k, _)| *k != "rule")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            };
            let params = rule
                .validate(&raw)
                .unwrap_or_else(|e| panic!("{file}: {e:?}"));
            let ctx = Context {
                managed_instances: case
                    .get("managedInstances")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect()),
            };
            let v = verdict_for(rule, &params, item, ev.event_left_scope, &ctx);
            assert_eq!(
                v.compliance.as_str(),
                case["expected"].as_str().unwrap(),
                "{file} with {}: {}",
                rule.name(),
                v.annotation
            );
            assert!(
                !v.annotation.is_empty(),
                "{file}: every verdict explains itself"
            );
        }
    }

    #[test]
    fn every_rule_has_compliant_non_compliant_and_not_applicable_fixtures() {
        let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for c in cases() {
            seen.entry(c["rule"].as_str().unwrap().into())
                .or_default()
                .insert(c["expected"].as_str().unwrap().into());
        }
        for r in rules::RULES {
            let got = seen.get(r.name()).cloned().unwrap_or_default();
            for want in [
                Compliance::Compliant,
                Compliance::NonCompliant,
                Compliance::NotApplicable,
            ] {
                assert!(
                    got.contains(want.as_str()),
                    "{} has no {want} fixture",
                    r.name()
                );
            }
        }
    }

    #[test]
    fn oversized_item_from_history_matches_the_change_form_and_is_evaluated() {
        let ev = RuleEvent::from_event(fixture("config/sg-oversized.json")).unwrap();
        let Trigger::Oversized {
            resource_id,
            capture_time,
            ..
        } = &ev.trigger
        else {
            panic!()
        };
        let history = fixture("config/sg-oversized-history.json");
        let item = ConfigurationItem::from_json(&history["configurationItems"][0]).unwrap();
        assert_eq!(&item.resource_id, resource_id);
        assert_eq!(item.capture_time.as_deref(), Some(capture_time.as_str()));
        assert_eq!(
            item.account_id.as_deref(),
            Some("123456789012"),
            "accountId (API) reads like awsAccountId (event)"
        );
        assert!(item.arn.is_some(), "arn (API) reads like ARN (event)");
        assert!(
            item.configuration["ipPermissions"]
                .as_array()
                .unwrap()
                .len()
                > 400,
            "configuration string is parsed"
        );
        let rule = rules::find("incoming-ssh-disabled").unwrap();
        let v = verdict_for(
            rule,
            &rule.validate(&BTreeMap::new()).unwrap(),
            &item,
            false,
            &Context::default(),
        );
        assert_eq!(v.compliance, Compliance::NonCompliant, "{}", v.annotation);
    }
}

#[test]
fn eventbridge_fixtures_round_trip_through_aws_lambda_events() {
    use aws_lambda_events::event::eventbridge::EventBridgeEvent;
    for name in [
        "eventbridge-compliance-change.json",
        "eventbridge-scheduled.json",
    ] {
        let raw = fixture(name);
        let parsed: EventBridgeEvent<serde_json::Value> =
            serde_json::from_value(raw.clone()).unwrap();
        let again: EventBridgeEvent<serde_json::Value> =
            serde_json::from_value(serde_json::to_value(&parsed).unwrap()).unwrap();
        assert_eq!(parsed, again, "{name}");
        assert_eq!(parsed.detail, raw["detail"], "{name}");
    }
    let detail: compliance_notifier::change::ComplianceChangeDetail =
        serde_json::from_value(fixture("eventbridge-compliance-change.json")["detail"].clone())
            .unwrap();
    let f = detail.finding(0);
    assert_eq!(
        (f.resource_type.as_str(), f.compliance.as_str()),
        ("AWS::EC2::SecurityGroup", "NON_COMPLIANT")
    );
    assert_eq!(
        detail.old_compliance().map(|c| c.as_str()),
        Some("COMPLIANT")
    );
}
