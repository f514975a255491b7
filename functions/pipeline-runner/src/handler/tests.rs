//! The handler's behaviour against the in-memory ports. What each adapter sends to AWS is
//! tested next to the adapter.

use super::*;
use crate::decide::{Invocation, Status};
use crate::params::TagTarget;
use crate::ports::memory::{Fault, LedgerCall, MemoryLedger, MemoryResults, MemorySsm};
use crate::ports::{LedgerEntry, TargetedInstances};
use ferrops::FailureClass;
use ferrops::sts::RoleSpec;
use serde_json::json;

const JOB: &str = "11111111-abcd-1111-abcd-111111abcdef";
const CMD: &str = "0b2f8a1c-1234-4abc-9def-0123456789ab";
const INSTANCE: &str = "i-0123456789abcdef0";
const PARAMS: &str =
    r#"{"commands":["make test"],"instanceIds":["i-0123456789abcdef0"],"executionTimeout":900}"#;
const TAG_PARAMS: &str =
    r#"{"commands":["uptime"],"targets":[{"Key":"tag:Role","Values":["build"]}]}"#;
const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/runner";
const ROLE_PARAMS: &str = r#"{"commands":["x"],"instanceIds":["i-0123456789abcdef0"],"roleArn":"arn:aws:iam::111122223333:role/runner","externalId":"ext-secret-42"}"#;
const NOW: u64 = 1_700_000_000;
const SECRET_KEY: &str = "wJalrXUtnFEMIsecretkey";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luSESSIONTOKEN";

fn event(params: &str, token: Option<&Token>) -> serde_json::Value {
    let mut data = json!({
        "actionConfiguration": {"configuration": {"FunctionName": "pipeline-runner", "UserParameters": params}},
        "inputArtifacts": [{"location": {"s3Location": {"bucketName": "artifacts", "objectKey": "app/src.zip"}, "type": "S3"}, "revision": null, "name": "Src"}],
        "outputArtifacts": [],
        "artifactCredentials": {"secretAccessKey": SECRET_KEY, "sessionToken": SESSION_TOKEN, "accessKeyId": "AKIA"}
    });
    if let Some(t) = token {
        data["continuationToken"] = json!(t.encode());
    }
    json!({"CodePipeline.job": {"id": JOB, "accountId": "123456789012", "data": data}})
}

/// The handler over memory ports, and a handle on each port's state.
struct World {
    ssm: MemorySsm,
    ledger: MemoryLedger,
    results: MemoryResults,
    runner: Runner<MemorySsm, MemoryLedger, MemoryResults>,
}

fn world() -> World {
    world_with(MemorySsm::new())
}

fn world_with(ssm: MemorySsm) -> World {
    let (ledger, results) = (MemoryLedger::new(), MemoryResults::new());
    World {
        runner: Runner {
            ssm: ssm.clone(),
            ledger: ledger.clone(),
            results: results.clone(),
            settings: Settings {
                function_name: "pipeline-runner".into(),
                region: "eu-west-1".into(),
                delivery_timeout: 600,
            },
        },
        ssm,
        ledger,
        results,
    }
}

impl World {
    async fn invoke(&self, params: &str, token: Option<&Token>, now: u64) -> Response {
        self.runner
            .handle(event(params, token), now)
            .await
            .expect("a job with an ID is reported, not a Lambda error")
    }

    /// The one result reported for the job.
    fn outcome(&self) -> Outcome {
        let reports = self.results.reports();
        assert_eq!(
            reports.len(),
            1,
            "exactly one result per invocation: {reports:?}"
        );
        let (job, outcome) = reports.into_iter().next().unwrap();
        assert_eq!(job, JOB);
        outcome
    }
}

fn token_with_cmd() -> Token {
    Token {
        v: 1,
        job: JOB.into(),
        cmd: Some(CMD.into()),
        start: NOW - 30,
        exec: 900,
        dlv: 600,
        checks: 0,
    }
}

fn invocation(instance: &str, status: Status, code: i32, out: &str, err: &str) -> Invocation {
    Invocation {
        instance_id: instance.into(),
        details: format!("{status:?}"),
        status,
        exit_code: code,
        stdout: out.into(),
        stderr: err.into(),
        stdout_url: None,
        stderr_url: None,
    }
}

fn in_progress(outcome: &Outcome) -> (&Token, &str) {
    match outcome {
        Outcome::InProgress { token, summary, .. } => (token, summary.as_str()),
        other => panic!("expected a job in progress, got {other:?}"),
    }
}

fn failure(outcome: &Outcome) -> (FailureKind, &str, Option<&str>) {
    match outcome {
        Outcome::Failed {
            kind,
            message,
            command_id,
        } => (*kind, message.as_str(), command_id.as_deref()),
        other => panic!("expected a failed job, got {other:?}"),
    }
}

fn access_denied_assuming(role: &RoleSpec) -> AwsFailure {
    use aws_sdk_sts::error::SdkError;
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;
    let sts = AssumeRoleError::generic(
        ErrorMetadata::builder()
            .code("AccessDenied")
            .message("no")
            .build(),
    );
    ferrops::sts::assume_role_failure(
        role,
        SdkError::service_error(
            sts,
            Response::new(StatusCode::try_from(403).unwrap(), SdkBody::empty()),
        ),
    )
}

// First invocations.

#[tokio::test]
async fn first_invocation_claims_sends_records_and_reports_a_continuation_token() {
    let w = world();
    let resp = w.invoke(PARAMS, None, NOW).await;
    assert_eq!(resp.result, "in_progress");
    assert!(resp.reported);

    let sent = w.ssm.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].account, None, "no role: the home account");
    assert_eq!(
        sent[0].request,
        SendRequest {
            targets: Targets::Instances(vec![INSTANCE.into()]),
            lines: vec!["set -e".into(), "make test".into()],
            working_directory: None,
            execution_timeout: 900,
            delivery_timeout: 600,
            comment: format!("ferrops job {JOB}"),
            output: None,
        }
    );
    let cmd = sent[0].command_id.clone();
    assert_eq!(
        w.ledger.entry(JOB),
        Some(LedgerEntry {
            command_id: Some(cmd.clone()),
            claimed_at: NOW,
            sent_at: Some(NOW),
        })
    );
    assert_eq!(
        (
            w.ledger.calls(LedgerCall::Claim),
            w.ledger.calls(LedgerCall::Record)
        ),
        (1, 1)
    );

    let outcome = w.outcome();
    let (token, summary) = in_progress(&outcome);
    assert_eq!(
        token,
        &Token {
            v: Token::VERSION,
            job: JOB.into(),
            cmd: Some(cmd.clone()),
            start: NOW,
            exec: 900,
            dlv: 600,
            checks: 0,
        }
    );
    assert!(
        summary.contains(&cmd) && summary.contains("1 instance"),
        "{summary}"
    );
}

#[tokio::test]
async fn redelivered_first_invocation_reuses_the_recorded_command() {
    let w = world();
    w.ledger.insert(
        JOB,
        LedgerEntry {
            command_id: Some(CMD.into()),
            claimed_at: NOW - 10,
            sent_at: Some(NOW - 9),
        },
    );
    let resp = w.invoke(PARAMS, None, NOW).await;
    assert_eq!(resp.result, "in_progress");
    assert!(
        w.ssm.sent().is_empty(),
        "a redelivery must not send a second command"
    );
    let outcome = w.outcome();
    let (token, summary) = in_progress(&outcome);
    assert_eq!(token.cmd.as_deref(), Some(CMD));
    assert_eq!(token.start, NOW - 9);
    assert!(summary.contains("already sent"), "{summary}");
}

#[tokio::test]
async fn a_redelivery_while_the_first_is_still_sending_waits_for_it() {
    let w = world();
    w.ledger.insert(
        JOB,
        LedgerEntry {
            command_id: None,
            claimed_at: NOW - 2,
            sent_at: None,
        },
    );
    w.invoke(PARAMS, None, NOW).await;
    assert!(w.ssm.sent().is_empty());
    let outcome = w.outcome();
    let (token, summary) = in_progress(&outcome);
    assert_eq!((token.cmd.as_deref(), token.start), (None, NOW - 2));
    assert!(summary.contains("Another delivery"), "{summary}");
}

#[tokio::test]
async fn targets_are_sent_as_ssm_targets() {
    let w = world();
    w.invoke(TAG_PARAMS, None, NOW).await;
    let sent = w.ssm.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].request.targets,
        Targets::Tags(vec![TagTarget {
            key: "tag:Role".into(),
            values: vec!["build".into()],
        }])
    );
    let outcome = w.outcome();
    let (token, summary) = in_progress(&outcome);
    assert_eq!(token.cmd.as_deref(), Some(sent[0].command_id.as_str()));
    assert!(summary.contains("tag:Role=build"), "{summary}");
}

#[tokio::test]
async fn invalid_user_parameters_report_a_configuration_error_and_touch_nothing() {
    let w = world();
    let resp = w.invoke(r#"{"commands":["x"]}"#, None, NOW).await;
    assert_eq!(resp.result, "failed");
    let outcome = w.outcome();
    let (kind, message, _) = failure(&outcome);
    assert_eq!(kind, FailureKind::ConfigurationError);
    assert!(
        message.contains("UserParameters must be a JSON object"),
        "{message}"
    );
    assert!(w.ssm.sent().is_empty());
    assert_eq!(w.ledger.calls(LedgerCall::Claim), 0);
}

#[tokio::test]
async fn a_script_without_an_input_artifact_is_a_configuration_error_and_claims_nothing() {
    let w = world();
    let mut e = event(
        r#"{"script":"ci/build.sh","instanceIds":["i-0123456789abcdef0"]}"#,
        None,
    );
    e["CodePipeline.job"]["data"]["inputArtifacts"] = json!([]);
    w.runner.handle(e, NOW).await.unwrap();
    let outcome = w.outcome();
    let (kind, message, _) = failure(&outcome);
    assert_eq!(kind, FailureKind::ConfigurationError);
    assert!(message.contains("input artifact"), "{message}");
    assert_eq!(w.ledger.calls(LedgerCall::Claim), 0);
}

#[tokio::test]
async fn a_ledger_that_cannot_be_written_sends_nothing_and_fails_the_job() {
    let w = world();
    w.ledger.fail(LedgerCall::Claim, Fault::unavailable());
    w.invoke(PARAMS, None, NOW).await;
    assert!(w.ssm.sent().is_empty());
    let outcome = w.outcome();
    let (kind, message, command_id) = failure(&outcome);
    assert_eq!(kind, FailureKind::SystemUnavailable);
    assert!(message.starts_with("No command was sent"), "{message}");
    assert_eq!(command_id, None);
}

#[tokio::test]
async fn access_denied_on_send_is_a_permission_error_and_releases_the_claim() {
    let w = world();
    w.ssm.fail_sends(Fault::access_denied());
    w.invoke(PARAMS, None, NOW).await;
    let outcome = w.outcome();
    let (kind, message, _) = failure(&outcome);
    assert_eq!(kind, FailureKind::PermissionError);
    assert!(message.contains("ssm:SendCommand"), "{message}");
    assert_eq!(w.ledger.calls(LedgerCall::Release), 1);
    assert_eq!(w.ledger.entry(JOB), None, "the claim is given up");
}

#[tokio::test]
async fn unknown_instance_is_a_configuration_error() {
    let w = world();
    w.ssm.fail_sends(Fault::new(
        FailureClass::Rejected,
        "InvalidInstanceId",
        "Instances not in a valid state",
    ));
    w.invoke(PARAMS, None, NOW).await;
    let outcome = w.outcome();
    let (kind, message, _) = failure(&outcome);
    assert_eq!(kind, FailureKind::ConfigurationError);
    assert!(
        message.contains("Instances not in a valid state"),
        "{message}"
    );
    assert_eq!(w.ledger.entry(JOB), None);
}

#[tokio::test]
async fn a_released_claim_lets_the_retry_send() {
    let w = world();
    w.ssm.fail_sends(Fault::unavailable());
    w.invoke(PARAMS, None, NOW).await;
    assert_eq!(w.ledger.entry(JOB), None);

    w.ssm.heal();
    let resp = w.invoke(PARAMS, None, NOW + 60).await;
    assert_eq!(resp.result, "in_progress");
    assert_eq!(w.ssm.sent().len(), 1);
    assert_eq!(
        w.ledger.entry(JOB).and_then(|e| e.command_id),
        Some(w.ssm.sent()[0].command_id.clone())
    );
}

#[tokio::test]
async fn a_command_sent_but_not_recorded_still_reaches_the_token() {
    let w = world();
    w.ledger.fail(LedgerCall::Record, Fault::unavailable());
    let resp = w.invoke(PARAMS, None, NOW).await;
    assert_eq!(resp.result, "in_progress");
    assert_eq!(w.ssm.sent().len(), 1);
    assert_eq!(
        w.ledger.calls(LedgerCall::Release),
        0,
        "a sent command keeps its claim"
    );
    let outcome = w.outcome();
    let (token, _) = in_progress(&outcome);
    assert_eq!(
        token.cmd.as_deref(),
        Some(w.ssm.sent()[0].command_id.as_str())
    );
}

#[tokio::test]
async fn sts_access_denied_is_a_permission_error_naming_the_role() {
    let w = world_with(MemorySsm::new().refusing_roles(access_denied_assuming));
    w.invoke(ROLE_PARAMS, None, NOW).await;
    let outcome = w.outcome();
    let (kind, message, _) = failure(&outcome);
    assert_eq!(kind, FailureKind::PermissionError);
    assert!(message.contains(ROLE_ARN), "{message}");
    assert_eq!(w.ledger.calls(LedgerCall::Claim), 0);
    assert!(w.ssm.sent().is_empty());
}

#[tokio::test]
async fn other_sts_failures_are_system_unavailable() {
    let w = world_with(MemorySsm::new().refusing_roles(|r| {
        AwsFailure::incomplete(
            "sts:AssumeRole",
            format!("STS returned no credentials for role {}", r.role_arn()),
        )
    }));
    w.invoke(ROLE_PARAMS, None, NOW).await;
    let outcome = w.outcome();
    let (kind, message, _) = failure(&outcome);
    assert_eq!(kind, FailureKind::SystemUnavailable);
    assert!(message.contains(ROLE_ARN), "{message}");
}

#[tokio::test]
async fn a_role_sends_and_checks_in_the_role_account() {
    let w = world();
    w.invoke(ROLE_PARAMS, None, NOW).await;
    let sent = w.ssm.sent();
    assert_eq!(sent[0].account.as_deref(), Some("111122223333"));
    let token = in_progress(&w.outcome()).0.clone();

    w.invoke(ROLE_PARAMS, Some(&token), NOW + 30).await;
    let checks = w.ssm.checks();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].account.as_deref(), Some("111122223333"));
    assert_eq!(checks[0].command_id, sent[0].command_id);
    assert!(
        w.ssm
            .sessions()
            .iter()
            .all(|(role, job)| role.as_deref() == Some(ROLE_ARN) && job == JOB),
        "{:?}",
        w.ssm.sessions()
    );
}

// Continuations.

#[tokio::test]
async fn continuation_with_success_reports_output_and_variables_without_a_token() {
    let w = world();
    w.ssm.set_invocation(
        CMD,
        invocation(
            INSTANCE,
            Status::Success,
            0,
            "ok\nferrops-output VERSION=2.0\ndone",
            "",
        ),
    );
    let resp = w.invoke(PARAMS, Some(&token_with_cmd()), NOW).await;
    assert_eq!(resp.result, "succeeded");
    let Outcome::Succeeded {
        command_id,
        summary,
        variables,
    } = w.outcome()
    else {
        panic!("expected success")
    };
    assert_eq!(command_id, CMD);
    assert!(summary.as_str().ends_with("done"), "{}", summary.as_str());
    assert_eq!(
        variables,
        vec![
            ("commandId".into(), CMD.into()),
            ("VERSION".into(), "2.0".into())
        ]
    );
    let checks = w.ssm.checks();
    assert_eq!(checks.len(), 1);
    assert_eq!(
        (
            checks[0].command_id.as_str(),
            checks[0].instance_id.as_deref()
        ),
        (CMD, Some(INSTANCE))
    );
}

#[tokio::test]
async fn continuation_with_failure_reports_job_failed_with_stderr() {
    let w = world();
    w.ssm.set_invocation(
        CMD,
        invocation(INSTANCE, Status::Failed, 2, "", "tests failed: 3"),
    );
    w.invoke(PARAMS, Some(&token_with_cmd()), NOW).await;
    let outcome = w.outcome();
    let (kind, message, command_id) = failure(&outcome);
    assert_eq!(kind, FailureKind::JobFailed);
    assert!(message.contains("tests failed: 3"), "{message}");
    assert_eq!(command_id, Some(CMD));
}

#[tokio::test]
async fn invocation_not_yet_visible_keeps_waiting() {
    let w = world();
    let resp = w.invoke(PARAMS, Some(&token_with_cmd()), NOW).await;
    assert_eq!(resp.result, "in_progress");
    assert_eq!(w.ssm.checks().len(), 1);
    let outcome = w.outcome();
    let (token, _) = in_progress(&outcome);
    assert_eq!(token.checks, 1);
    assert_eq!(token.cmd.as_deref(), Some(CMD));
}

#[tokio::test]
async fn a_failing_status_check_retries_on_the_next_invocation() {
    let w = world();
    w.ssm.fail_checks(Fault::unavailable());
    w.invoke(PARAMS, Some(&token_with_cmd()), NOW).await;
    let outcome = w.outcome();
    let (token, summary) = in_progress(&outcome);
    assert!(summary.contains("Status check failed"), "{summary}");
    assert_eq!(token.checks, 1);
}

#[tokio::test]
async fn a_status_check_failing_past_the_deadline_fails_the_job() {
    let w = world();
    w.ssm.fail_checks(Fault::unavailable());
    let token = token_with_cmd();
    w.invoke(PARAMS, Some(&token), token.deadline() + 1).await;
    let outcome = w.outcome();
    let (kind, _, command_id) = failure(&outcome);
    assert_eq!(kind, FailureKind::SystemUnavailable);
    assert_eq!(command_id, Some(CMD));
}

#[tokio::test]
async fn a_status_check_denied_is_a_permission_error_at_once() {
    let w = world();
    w.ssm.fail_checks(Fault::access_denied());
    w.invoke(PARAMS, Some(&token_with_cmd()), NOW).await;
    let outcome = w.outcome();
    let (kind, message, command_id) = failure(&outcome);
    assert_eq!(kind, FailureKind::PermissionError);
    assert!(message.contains("ssm:GetCommandInvocation"), "{message}");
    assert_eq!(command_id, Some(CMD));
}

#[tokio::test]
async fn a_token_without_a_command_reads_the_ledger_first() {
    let w = world();
    w.ledger.insert(
        JOB,
        LedgerEntry {
            command_id: Some(CMD.into()),
            claimed_at: NOW,
            sent_at: Some(NOW),
        },
    );
    w.ssm
        .set_invocation(CMD, invocation(INSTANCE, Status::InProgress, -1, "", ""));
    let token = Token {
        cmd: None,
        ..token_with_cmd()
    };
    w.invoke(PARAMS, Some(&token), NOW).await;
    assert_eq!(w.ledger.calls(LedgerCall::Lookup), 1);
    let checks = w.ssm.checks();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].command_id, CMD);
    let outcome = w.outcome();
    let (token, _) = in_progress(&outcome);
    assert_eq!(token.cmd.as_deref(), Some(CMD));
}

#[tokio::test]
async fn a_claim_never_recorded_waits_and_then_fails_naming_the_comment_to_look_for() {
    let w = world();
    w.ledger.insert(
        JOB,
        LedgerEntry {
            command_id: None,
            claimed_at: NOW - 10,
            sent_at: None,
        },
    );
    let token = Token {
        cmd: None,
        start: NOW - 10,
        ..token_with_cmd()
    };
    w.invoke(PARAMS, Some(&token), NOW).await;
    let outcome = w.outcome();
    let (waiting, summary) = in_progress(&outcome);
    assert!(summary.contains("Waiting for the command"), "{summary}");
    assert_eq!((waiting.cmd.as_deref(), waiting.checks), (None, 1));

    let w = world();
    w.invoke(PARAMS, Some(&token), NOW - 10 + STALE_CLAIM_SECONDS + 1)
        .await;
    let outcome = w.outcome();
    let (kind, message, _) = failure(&outcome);
    assert_eq!(kind, FailureKind::JobFailed);
    assert!(
        message.contains(&format!("\"ferrops job {JOB}\"")),
        "{message}"
    );
    assert!(w.ssm.checks().is_empty());
}

#[tokio::test]
async fn a_foreign_continuation_token_fails_the_job() {
    let w = world();
    let mut e = event(PARAMS, None);
    e["CodePipeline.job"]["data"]["continuationToken"] =
        json!("A continuation token if continuing job");
    w.runner.handle(e, NOW).await.unwrap();
    let outcome = w.outcome();
    let (kind, message, _) = failure(&outcome);
    assert_eq!(kind, FailureKind::JobFailed);
    assert!(message.contains("not one this function wrote"), "{message}");
}

#[tokio::test]
async fn targets_follow_every_instance_they_reached() {
    let w = world();
    w.ssm.set_targeted(
        CMD,
        TargetedInstances {
            instance_ids: vec!["i-aaaaaaaa".into(), "i-bbbbbbbb".into()],
            target_count: Some(2),
            finished: true,
        },
    );
    for id in ["i-aaaaaaaa", "i-bbbbbbbb"] {
        w.ssm.set_invocation(
            CMD,
            invocation(id, Status::Success, 0, &format!("hello from {id}"), ""),
        );
    }
    let resp = w.invoke(TAG_PARAMS, Some(&token_with_cmd()), NOW).await;
    assert_eq!(resp.result, "succeeded");
    let Outcome::Succeeded { summary, .. } = w.outcome() else {
        panic!("expected success")
    };
    let s = summary.as_str();
    assert!(
        s.contains("hello from i-aaaaaaaa") && s.contains("hello from i-bbbbbbbb"),
        "{s}"
    );
    let checked: Vec<Option<String>> = w.ssm.checks().into_iter().map(|c| c.instance_id).collect();
    assert_eq!(
        checked,
        vec![
            None,
            Some("i-aaaaaaaa".to_string()),
            Some("i-bbbbbbbb".to_string())
        ]
    );
}

#[tokio::test]
async fn targets_not_yet_resolved_keep_waiting() {
    let w = world();
    let resp = w.invoke(TAG_PARAMS, Some(&token_with_cmd()), NOW).await;
    assert_eq!(resp.result, "in_progress");
    in_progress(&w.outcome());
}

#[tokio::test]
async fn targets_that_matched_nothing_fail_the_job() {
    let w = world();
    w.ssm.set_targeted(
        CMD,
        TargetedInstances {
            instance_ids: vec![],
            target_count: Some(0),
            finished: true,
        },
    );
    w.invoke(TAG_PARAMS, Some(&token_with_cmd()), NOW).await;
    let outcome = w.outcome();
    let (kind, message, _) = failure(&outcome);
    assert_eq!(kind, FailureKind::JobFailed);
    assert!(
        message.contains("no SSM managed instance matched"),
        "{message}"
    );
}

// A whole job.

#[tokio::test]
async fn a_job_delivered_twice_sends_one_command_and_gets_one_final_result() {
    let w = world();
    w.invoke(PARAMS, None, NOW).await;
    w.invoke(PARAMS, None, NOW + 5).await;
    let sent = w.ssm.sent();
    assert_eq!(
        sent.len(),
        1,
        "the redelivery must not send a second command"
    );

    let reports = w.results.reports();
    let tokens: Vec<Token> = reports
        .iter()
        .map(|(_, o)| in_progress(o).0.clone())
        .collect();
    assert_eq!(tokens.len(), 2);
    assert_eq!(
        tokens[0].cmd, tokens[1].cmd,
        "both deliveries point at the same command"
    );

    w.ssm.set_invocation(
        &sent[0].command_id,
        invocation(INSTANCE, Status::Success, 0, "all green", ""),
    );
    let done = w.invoke(PARAMS, Some(&tokens[0]), NOW + 60).await;
    assert_eq!((done.result, done.reported), ("succeeded", true));

    let again = w.invoke(PARAMS, Some(&tokens[0]), NOW + 61).await;
    assert_eq!(
        (again.result, again.reported),
        ("succeeded", false),
        "a redelivered continuation finds the job already reported"
    );
    let finals = w
        .results
        .reports()
        .into_iter()
        .filter(|(_, o)| !matches!(o, Outcome::InProgress { .. }))
        .count();
    assert_eq!(finals, 1);
}

#[tokio::test]
async fn secrets_never_reach_the_results_or_the_command() {
    let w = world();
    let params = r#"{"commands":["deploy"],"instanceIds":["i-0123456789abcdef0"],"roleArn":"arn:aws:iam::111122223333:role/runner","externalId":"ext-secret-42","env":{"DB_PASSWORD":"ssm:/app/db-password"}}"#;
    w.invoke(params, None, NOW).await;
    let token = in_progress(&w.outcome()).0.clone();
    w.ssm.set_invocation(
        token.cmd.as_deref().unwrap(),
        invocation(INSTANCE, Status::Failed, 1, "", "boom"),
    );
    w.invoke(params, Some(&token), NOW + 30).await;

    let seen = format!("{:?} {:?}", w.results.reports(), w.ssm.sent());
    for secret in [SECRET_KEY, SESSION_TOKEN, "ext-secret-42"] {
        assert!(!seen.contains(secret), "{secret} leaked: {seen}");
    }
    assert!(
        seen.contains("--name '/app/db-password'"),
        "the instance resolves the parameter itself: {seen}"
    );
}

// Lambda errors.

#[tokio::test]
async fn a_malformed_event_is_a_lambda_error_without_any_call() {
    let w = world();
    let err = w
        .runner
        .handle(json!({"hello": "world"}), NOW)
        .await
        .unwrap_err();
    let diag = lambda_runtime::Diagnostic::from(err);
    assert_eq!(diag.error_type, "InvalidEvent");
    assert!(
        diag.error_message.contains("CodePipeline"),
        "{}",
        diag.error_message
    );
    assert!(w.results.reports().is_empty());
    assert!(w.ssm.sessions().is_empty());
    assert_eq!(w.ledger.calls(LedgerCall::Claim), 0);
}

#[tokio::test]
async fn a_report_that_cannot_be_delivered_is_a_lambda_error_for_retry() {
    let w = world();
    w.results.fail(Fault::unavailable());
    w.ssm
        .set_invocation(CMD, invocation(INSTANCE, Status::Success, 0, "fine", ""));
    let err = w
        .runner
        .handle(event(PARAMS, Some(&token_with_cmd())), NOW)
        .await
        .unwrap_err();
    assert_eq!(
        lambda_runtime::Diagnostic::from(err).error_type,
        "ReportFailed"
    );
}

#[tokio::test]
async fn a_job_codepipeline_does_not_know_is_a_job_not_found_lambda_error() {
    let w = world();
    w.results.forget_job(JOB);
    let err = w
        .runner
        .handle(event(PARAMS, Some(&token_with_cmd())), NOW)
        .await
        .unwrap_err();
    let diag = lambda_runtime::Diagnostic::from(err);
    assert_eq!(diag.error_type, "JobNotFound");
    assert!(diag.error_message.contains(JOB), "{}", diag.error_message);
}
