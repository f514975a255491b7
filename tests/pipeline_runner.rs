//! pipeline-runner against moto server: the SSM and DynamoDB adapters, cross-account role
//! assumption, and whole invocations with CodePipeline's result calls on the SDK's mock tools
//! (moto does not implement them).
// Test code: a failed step should stop the test at once and say where.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultOutput;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use ferrops::sts::{AssumeRoleProvider, CrossAccount, RoleSpec};
use ferrops_tests::{create_table, emulator, fixture, managed_instance, unique};
use pipeline_runner::adapters::{codepipeline::Results, ledger::Ledger, ssm::Ssm, ssm::SsmClients};
use pipeline_runner::decide::Status;
use pipeline_runner::handler::{Runner, Settings};
use pipeline_runner::params::Targets;
use pipeline_runner::ports::{Claim, CommandService, CommandServices, JobLedger, SendRequest};
use std::sync::{Arc, Mutex};

const INSTANCE: &str = "i-0123456789abcdef0";
const HOME: &str = "123456789012";
const MEMBER: &str = "111122223333";

/// Polls until the command's invocation on `instance` has finished, as a caller of SSM must: an
/// invocation is invisible for a moment after SendCommand, then pending, then running.
async fn finished(client: &aws_sdk_ssm::Client, command_id: &str, instance: &str) -> String {
    for _ in 0..100 {
        let status = client
            .get_command_invocation()
            .command_id(command_id)
            .instance_id(instance)
            .send()
            .await
            .ok()
            .and_then(|o| o.status().map(|s| s.as_str().to_string()));
        match status.as_deref() {
            None | Some("Pending" | "InProgress" | "Delayed") => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Some(done) => return done.to_string(),
        }
    }
    panic!("command {command_id} did not finish on {instance} within 20 s");
}

fn request(lines: &[&str]) -> SendRequest {
    SendRequest {
        targets: Targets::Instances(vec![INSTANCE.into()]),
        lines: lines.iter().map(|l| l.to_string()).collect(),
        working_directory: None,
        execution_timeout: 60,
        delivery_timeout: 600,
        comment: "ferrops integration test".into(),
        output: None,
    }
}

async fn commands_in(ssm: &aws_sdk_ssm::Client, comment: &str) -> usize {
    let out = ssm.list_commands().send().await.unwrap();
    out.commands()
        .iter()
        .filter(|c| c.comment() == Some(comment))
        .count()
}

#[tokio::test]
async fn ledger_claims_once_records_and_releases() {
    let sdk = emulator().await;
    let table = unique("ledger");
    create_table(&sdk, &table, "pk").await.unwrap();
    let ledger = Ledger::new(aws_sdk_dynamodb::Client::new(&sdk), &table);

    assert_eq!(ledger.claim("job-1", 100).await.unwrap(), Claim::Won);
    let Claim::Taken(entry) = ledger.claim("job-1", 101).await.unwrap() else {
        panic!("claimed twice")
    };
    assert_eq!((entry.command_id, entry.claimed_at), (None, 100));

    ledger.record("job-1", "cmd-1", 102).await.unwrap();
    let Claim::Taken(entry) = ledger.claim("job-1", 103).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        (entry.command_id.as_deref(), entry.sent_at),
        (Some("cmd-1"), Some(102))
    );

    // A recorded job keeps its entry: release only gives up unsent claims.
    ledger.release("job-1").await.unwrap();
    assert!(
        ledger
            .lookup("job-1")
            .await
            .unwrap()
            .unwrap()
            .command_id
            .is_some()
    );

    assert_eq!(ledger.claim("job-2", 200).await.unwrap(), Claim::Won);
    ledger.release("job-2").await.unwrap();
    assert_eq!(ledger.lookup("job-2").await.unwrap(), None);
    assert_eq!(
        ledger.claim("job-2", 201).await.unwrap(),
        Claim::Won,
        "a released job can be claimed again"
    );

    let item = aws_sdk_dynamodb::Client::new(&sdk)
        .get_item()
        .table_name(&table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("job#job-1".into()),
        )
        .send()
        .await
        .unwrap();
    let expires: u64 = item.item().unwrap()["expires_at"]
        .as_n()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        expires,
        100 + pipeline_runner::adapters::ledger::TTL_SECONDS
    );
}

#[tokio::test]
async fn record_without_a_claim_is_refused() {
    let sdk = emulator().await;
    let table = unique("ledger");
    create_table(&sdk, &table, "pk").await.unwrap();
    let ledger = Ledger::new(aws_sdk_dynamodb::Client::new(&sdk), &table);
    let err = ledger.record("never-claimed", "cmd", 1).await.unwrap_err();
    assert!(err.message.contains("ConditionalCheckFailed"), "{err}");
}

#[tokio::test]
async fn ssm_adapter_sends_run_shell_script_and_reads_the_invocation() {
    let sdk = emulator().await;
    managed_instance(&sdk, HOME, INSTANCE).unwrap();
    let client = aws_sdk_ssm::Client::new(&sdk);
    let ssm = Ssm::new(client.clone());
    let comment = unique("send");
    let mut req = request(&["set -e", "echo hello"]);
    req.comment = comment.clone();
    let id = ssm.send(&req).await.unwrap();

    let listed = client.list_commands().command_id(&id).send().await.unwrap();
    let cmd = &listed.commands()[0];
    assert_eq!(cmd.document_name(), Some("AWS-RunShellScript"));
    assert_eq!(cmd.instance_ids(), [INSTANCE]);
    assert_eq!(cmd.comment(), Some(comment.as_str()));
    assert_eq!(cmd.timeout_seconds(), Some(600));
    let params = cmd.parameters().unwrap();
    assert_eq!(params["commands"], ["set -e", "echo hello"]);
    assert_eq!(params["executionTimeout"], ["60"]);

    assert_eq!(finished(&client, &id, INSTANCE).await, "Success");
    let inv = ssm
        .invocation(&id, INSTANCE)
        .await
        .unwrap()
        .expect("visible invocation");
    assert_eq!(inv.status, Status::Success);
    assert_eq!(inv.exit_code, 0);
}

#[tokio::test]
async fn ssm_adapter_reads_an_unknown_invocation_as_not_yet_visible() {
    let sdk = emulator().await;
    managed_instance(&sdk, HOME, INSTANCE).unwrap();
    let ssm = Ssm::new(aws_sdk_ssm::Client::new(&sdk));
    let id = ssm.send(&request(&["true"])).await.unwrap();
    assert_eq!(
        ssm.invocation(&id, "i-0000000000000000a").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn commands_for_a_role_run_in_the_role_account() {
    let sdk = emulator().await;
    managed_instance(&sdk, MEMBER, INSTANCE).unwrap();
    let home = aws_sdk_ssm::Client::new(&sdk);
    let clients = SsmClients(CrossAccount::new(
        home.clone(),
        AssumeRoleProvider::new(&sdk, "pipeline-runner"),
        aws_sdk_ssm::Client::new,
    ));
    let role = RoleSpec::new(
        "arn:aws:iam::111122223333:role/ferrops-runner",
        Some("ext-123456"),
    )
    .unwrap();
    let member = clients.for_role(Some(&role), "job-x").await.unwrap();
    let comment = unique("xacct");
    let mut req = request(&["uptime"]);
    req.comment = comment.clone();
    member.send(&req).await.unwrap();

    let sts = aws_sdk_sts::Client::new(&sdk);
    let creds = sts
        .assume_role()
        .role_arn(role.role_arn())
        .role_session_name("verify")
        .send()
        .await
        .unwrap();
    let c = creds.credentials().unwrap();
    let member_cfg = sdk
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(
            aws_sdk_sts::config::Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_string()),
                None,
                "verify",
            ),
        ))
        .build();
    let member_client = aws_sdk_ssm::Client::new(&member_cfg);
    assert_eq!(
        commands_in(&member_client, &comment).await,
        1,
        "the command runs in the member account"
    );
    assert_eq!(
        commands_in(&home, &comment).await,
        0,
        "and not in the home account"
    );
}

/// A runner on moto for SSM and DynamoDB; CodePipeline results are captured by a mock.
struct Harness {
    runner: Runner<SsmClients, Ledger, Results>,
    ssm: aws_sdk_ssm::Client,
    tokens: Arc<Mutex<Vec<Option<String>>>>,
    summaries: Arc<Mutex<Vec<String>>>,
}

async fn harness() -> Harness {
    let sdk = emulator().await;
    let table = unique("ledger");
    create_table(&sdk, &table, "pk").await.unwrap();
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let summaries = Arc::new(Mutex::new(Vec::new()));
    let (t, s) = (Arc::clone(&tokens), Arc::clone(&summaries));
    let report =
        mock!(aws_sdk_codepipeline::Client::put_job_success_result).then_compute_output(move |r| {
            t.lock()
                .unwrap()
                .push(r.continuation_token().map(str::to_string));
            s.lock().unwrap().push(
                r.execution_details()
                    .and_then(|d| d.summary())
                    .unwrap_or_default()
                    .to_string(),
            );
            PutJobSuccessResultOutput::builder().build()
        });
    let cp = mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, [&report]);
    let ssm = aws_sdk_ssm::Client::new(&sdk);
    let runner = Runner {
        ssm: SsmClients(CrossAccount::new(
            ssm.clone(),
            AssumeRoleProvider::new(&sdk, "pipeline-runner"),
            aws_sdk_ssm::Client::new,
        )),
        ledger: Ledger::new(aws_sdk_dynamodb::Client::new(&sdk), table),
        results: Results::new(cp),
        settings: Settings {
            function_name: "pipeline-runner".into(),
            region: "us-east-1".into(),
            delivery_timeout: 600,
        },
    };
    Harness {
        runner,
        ssm,
        tokens,
        summaries,
    }
}

/// The fixture's job under `id`, running `true`: the local AWS really runs what it is sent.
fn with_job_id(mut event: serde_json::Value, id: &str) -> serde_json::Value {
    event["CodePipeline.job"]["id"] = serde_json::json!(id);
    event["CodePipeline.job"]["data"]["actionConfiguration"]["configuration"]["UserParameters"] = serde_json::json!(
        format!(r#"{{"commands":["true"],"instanceIds":["{INSTANCE}"]}}"#)
    );
    event
}

#[tokio::test]
async fn a_job_sends_one_command_even_when_delivered_twice_then_succeeds_on_continuation() {
    let h = harness().await;
    managed_instance(&emulator().await, HOME, INSTANCE).unwrap();
    let job_id = format!("{:08x}-0000-4000-8000-{:012x}", std::process::id(), 1);
    let event = with_job_id(fixture("codepipeline-job.json"), &job_id);
    let now = ferrops::clock::epoch_seconds();
    let comment = format!("ferrops job {job_id}");

    let first = h.runner.handle(event.clone(), now).await.unwrap();
    assert_eq!(first.result, "in_progress");
    let again = h.runner.handle(event.clone(), now + 5).await.unwrap();
    assert_eq!(again.result, "in_progress");
    assert_eq!(
        commands_in(&h.ssm, &comment).await,
        1,
        "the redelivery must not send a second command"
    );

    let tokens = h.tokens.lock().unwrap().clone();
    let (t1, t2) = (tokens[0].clone().unwrap(), tokens[1].clone().unwrap());
    let (d1, d2) = (
        pipeline_runner::token::Token::decode(&t1).unwrap(),
        pipeline_runner::token::Token::decode(&t2).unwrap(),
    );
    assert_eq!(d1.cmd, d2.cmd, "both deliveries point at the same command");
    let command_id = d1.cmd.clone().expect("the token names the command");
    assert_eq!(finished(&h.ssm, &command_id, INSTANCE).await, "Success");

    let mut cont = event.clone();
    cont["CodePipeline.job"]["data"]["continuationToken"] = serde_json::json!(t1);
    let done = h.runner.handle(cont, now + 60).await.unwrap();
    assert_eq!(done.result, "succeeded");
    let tokens = h.tokens.lock().unwrap().clone();
    assert_eq!(
        tokens.last().unwrap(),
        &None,
        "the final success carries no continuation token"
    );
    let summary = h.summaries.lock().unwrap().last().unwrap().clone();
    assert!(
        summary.contains("printed nothing"),
        "`true` prints nothing: {summary}"
    );
}
