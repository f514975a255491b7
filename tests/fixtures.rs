//! Event fixtures in the shapes AWS sends, and their round trips through our types.

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
