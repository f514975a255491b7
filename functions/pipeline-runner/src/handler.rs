//! One invocation: read the job, decide, report. Every path that has a job ID reports a result.

use crate::command::{self, ssm_working_directory};
use crate::decide::{FailureKind, Observation, Outcome, Summary, decide};
use crate::error::RunnerError;
use crate::job::Job;
use crate::params::{self, Plan, Targets};
use crate::ports::{
    Claim, CommandService, CommandServices, JobLedger, JobResults, Reported, SendRequest,
};
use crate::token::Token;
use ferrops::{AwsFailure, FailureClass};
use serde::Serialize;

/// A claim this old without a recorded command means its delivery died mid-send.
pub const STALE_CLAIM_SECONDS: u64 = 300;

/// Settings read once from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The function's name, used in STS session names.
    pub function_name: String,
    /// The region the instances' `aws` CLI uses.
    pub region: String,
    /// `SendCommand`'s `TimeoutSeconds`: how long delivery may take.
    pub delivery_timeout: u32,
}

impl Settings {
    /// Reads `DELIVERY_TIMEOUT_SECONDS` (30..=2592000, default 600).
    pub fn from_env(function_name: String, region: String) -> Result<Self, ferrops::Error> {
        let delivery_timeout: u32 = ferrops::env::parse_or("DELIVERY_TIMEOUT_SECONDS", 600)?;
        if !(30..=2_592_000).contains(&delivery_timeout) {
            return Err(ferrops::Error::InvalidEnv {
                name: "DELIVERY_TIMEOUT_SECONDS",
                reason: format!("{delivery_timeout} is outside 30..=2592000"),
            });
        }
        Ok(Self {
            function_name,
            region,
            delivery_timeout,
        })
    }
}

/// What the invocation returns (CodePipeline ignores it; it helps logs and local runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The job.
    pub job_id: String,
    /// `in_progress`, `succeeded` or `failed`.
    pub result: &'static str,
    /// False when an earlier delivery had already reported the job.
    pub reported: bool,
}

/// The handler, over its ports.
pub struct Runner<S, L, R> {
    /// SSM, per account.
    pub ssm: S,
    /// The job ledger.
    pub ledger: L,
    /// CodePipeline job results.
    pub results: R,
    /// Settings.
    pub settings: Settings,
}

fn class_kind(class: FailureClass) -> FailureKind {
    match class {
        FailureClass::AccessDenied => FailureKind::PermissionError,
        FailureClass::Rejected => FailureKind::ConfigurationError,
        FailureClass::Unavailable => FailureKind::SystemUnavailable,
    }
}

impl<S, L, R> Runner<S, L, R>
where
    S: CommandServices + Sync,
    L: JobLedger + Sync,
    R: JobResults + Sync,
{
    /// Handles one invocation payload. `now` is Unix seconds.
    pub async fn handle(
        &self,
        event: serde_json::Value,
        now: u64,
    ) -> Result<Response, RunnerError> {
        let job = Job::from_event(event)?;
        let outcome = self.outcome(&job, now).await;
        match &outcome {
            Outcome::Failed { kind, message, .. } => {
                tracing::warn!(job_id = %job.id, kind = ?kind, message = message.as_str(), "job failed");
            }
            other => tracing::info!(job_id = %job.id, result = other.label(), "job result"),
        }
        let reported = self.results.report(&job.id, &outcome).await?;
        if reported == Reported::AlreadyReported {
            tracing::info!(job_id = %job.id, "job already had a result; this was a redelivery");
        }
        Ok(Response {
            job_id: job.id,
            result: outcome.label(),
            reported: reported == Reported::Accepted,
        })
    }

    async fn outcome(&self, job: &Job, now: u64) -> Outcome {
        let plan = match params::parse(job.user_parameters.as_deref()) {
            Ok(p) => p,
            Err(e) => return Outcome::failed(FailureKind::ConfigurationError, e.to_string(), None),
        };
        match job.continuation_token.as_deref() {
            None => self.start(job, &plan, now).await,
            Some(t) => match Token::decode(t) {
                Ok(token) => self.check(&plan, token, now).await,
                Err(e) => Outcome::failed(FailureKind::JobFailed, e.to_string(), None),
            },
        }
    }

    async fn service(&self, plan: &Plan, job_id: &str) -> Result<S::Service, Outcome> {
        self.ssm
            .for_role(plan.role.as_ref(), job_id)
            .await
            .map_err(|e| {
                let kind = if e.is_access_denied() {
                    FailureKind::PermissionError
                } else {
                    FailureKind::SystemUnavailable
                };
                Outcome::failed(kind, e.to_string(), None)
            })
    }

    fn token(&self, job_id: &str, plan: &Plan, command_id: Option<String>, start: u64) -> Token {
        Token {
            v: Token::VERSION,
            job: job_id.to_string(),
            cmd: command_id,
            acct: plan.role.as_ref().map(|r| r.account().to_string()),
            role: plan.role.as_ref().map(|r| r.role_arn().to_string()),
            start,
            exec: u64::from(plan.execution_timeout),
            dlv: u64::from(self.settings.delivery_timeout),
            checks: 0,
        }
    }

    async fn start(&self, job: &Job, plan: &Plan, now: u64) -> Outcome {
        let lines =
            match command::shell_lines(plan, job.input_artifact.as_ref(), &self.settings.region) {
                Ok(l) => l,
                Err(e) => {
                    return Outcome::failed(FailureKind::ConfigurationError, e.to_string(), None);
                }
            };
        let ssm = match self.service(plan, &job.id).await {
            Ok(s) => s,
            Err(outcome) => return outcome,
        };

        match self.ledger.claim(&job.id, now).await {
            Ok(Claim::Won) => {}
            Ok(Claim::Taken(entry)) => {
                tracing::info!(job_id = %job.id, command_id = ?entry.command_id, "job already claimed; not sending again");
                let start = entry.sent_at.unwrap_or(entry.claimed_at);
                let token = self.token(&job.id, plan, entry.command_id.clone(), start);
                let summary = match &entry.command_id {
                    Some(c) => {
                        format!("Command {c} was already sent for this job; waiting for it.")
                    }
                    None => "Another delivery of this job is sending its command; waiting for it."
                        .to_string(),
                };
                return Outcome::InProgress {
                    token,
                    summary: Summary::new(summary),
                    percent: 0,
                };
            }
            Err(e) => {
                return Outcome::failed(
                    FailureKind::SystemUnavailable,
                    format!("No command was sent: the job ledger could not be written ({e})."),
                    None,
                );
            }
        }

        let targets_text = match &plan.targets {
            Targets::Instances(ids) => format!(
                "{} instance{}",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" }
            ),
            Targets::Tags(tags) => tags
                .iter()
                .map(|t| format!("{}={}", t.key, t.values.join(",")))
                .collect::<Vec<_>>()
                .join(" "),
        };
        let request = SendRequest {
            targets: plan.targets.clone(),
            lines,
            working_directory: ssm_working_directory(plan).map(str::to_string),
            execution_timeout: plan.execution_timeout,
            delivery_timeout: self.settings.delivery_timeout,
            comment: ferrops::text::truncate_end(&format!("ferrops job {}", job.id), 100),
            output: plan.output.clone(),
        };
        match ssm.send(&request).await {
            Ok(command_id) => {
                if let Err(e) = self.ledger.record(&job.id, &command_id, now).await {
                    // The token carries the command ID, so this job proceeds; only a redelivery
                    // of the first invocation would lack it, and it then waits and times out
                    // rather than sending twice.
                    tracing::error!(job_id = %job.id, command_id, error = %e, "command sent but not recorded in the ledger");
                }
                tracing::info!(job_id = %job.id, command_id, "command sent");
                Outcome::InProgress {
                    summary: Summary::new(format!(
                        "Sent command {command_id} to {targets_text}; waiting for it to finish."
                    )),
                    token: self.token(&job.id, plan, Some(command_id), now),
                    percent: 0,
                }
            }
            Err(e) => {
                if let Err(release) = self.ledger.release(&job.id).await {
                    tracing::error!(job_id = %job.id, error = %release, "could not release the ledger claim");
                }
                Outcome::failed(class_kind(e.class), e.to_string(), None)
            }
        }
    }

    async fn check(&self, plan: &Plan, token: Token, now: u64) -> Outcome {
        let token = match token.cmd {
            Some(_) => token,
            None => match self.ledger.lookup(&token.job).await {
                Ok(Some(entry)) if entry.command_id.is_some() => Token {
                    cmd: entry.command_id,
                    start: entry.sent_at.unwrap_or(token.start),
                    ..token
                },
                Ok(_) if now > token.start + STALE_CLAIM_SECONDS => {
                    return Outcome::failed(
                        FailureKind::JobFailed,
                        format!(
                            "Could not confirm that the command for job {} was sent: its first delivery stopped between claiming the job and recording the command. Look for the comment \"ferrops job {}\" in the Run Command history before retrying the stage.",
                            token.job, token.job
                        ),
                        None,
                    );
                }
                Ok(_) => {
                    return Outcome::InProgress {
                        token: token.next(),
                        summary: Summary::new(
                            "Waiting for the command of this job to be recorded.",
                        ),
                        percent: 0,
                    };
                }
                Err(e) => return self.retry_later(&token, &e, now),
            },
        };
        let Some(command_id) = token.cmd.clone() else {
            return Outcome::failed(
                FailureKind::JobFailed,
                "The continuation token names no command.",
                None,
            );
        };

        let ssm = match self.service(plan, &token.job).await {
            Ok(s) => s,
            Err(outcome) => return outcome,
        };
        match self.observe(&ssm, plan, &command_id).await {
            Ok(obs) => decide(&token, &obs, now),
            Err(e) if e.class == FailureClass::Unavailable => self.retry_later(&token, &e, now),
            Err(e) => Outcome::failed(class_kind(e.class), e.to_string(), Some(&command_id)),
        }
    }

    fn retry_later(&self, token: &Token, e: &AwsFailure, now: u64) -> Outcome {
        if now > token.deadline() {
            return Outcome::failed(
                FailureKind::SystemUnavailable,
                e.to_string(),
                token.cmd.as_deref(),
            );
        }
        tracing::warn!(error = %e, "status check failed; retrying on the next invocation");
        Outcome::InProgress {
            token: token.next(),
            summary: Summary::new(format!(
                "Status check failed ({e}); checking again shortly."
            )),
            percent: 0,
        }
    }

    async fn observe(
        &self,
        ssm: &S::Service,
        plan: &Plan,
        command_id: &str,
    ) -> Result<Observation, AwsFailure> {
        let mut obs = Observation::default();
        let ids = match &plan.targets {
            Targets::Instances(ids) => {
                obs.expected = Some(ids.len());
                ids.clone()
            }
            Targets::Tags(_) => {
                let t = ssm.targeted_instances(command_id).await?;
                obs.expected = t.target_count;
                obs.no_targets_matched =
                    t.finished && t.target_count == Some(0) && t.instance_ids.is_empty();
                t.instance_ids
            }
        };
        for id in ids {
            match ssm.invocation(command_id, &id).await? {
                Some(inv) => obs.visible.push(inv),
                None => obs.not_visible.push(id),
            }
        }
        Ok(obs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::{codepipeline::Results, ledger::Ledger, ssm::SsmClients};
    use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultOutput;
    use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultOutput;
    use aws_sdk_codepipeline::types::FailureType;
    use aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput;
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_sdk_ssm::operation::get_command_invocation::{
        GetCommandInvocationError, GetCommandInvocationOutput,
    };
    use aws_sdk_ssm::operation::send_command::{SendCommandError, SendCommandOutput};
    use aws_sdk_ssm::types::error::InvocationDoesNotExist;
    use aws_sdk_ssm::types::{Command, CommandInvocationStatus};
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;
    use ferrops::sts::{AssumeRoleProvider, CrossAccount};
    use serde_json::json;

    const JOB: &str = "11111111-abcd-1111-abcd-111111abcdef";
    const CMD: &str = "0b2f8a1c-1234-4abc-9def-0123456789ab";
    const INSTANCE: &str = "i-0123456789abcdef0";
    const PARAMS: &str = r#"{"commands":["make test"],"instanceIds":["i-0123456789abcdef0"],"executionTimeout":900}"#;
    const NOW: u64 = 1_700_000_000;

    fn event(params: &str, token: Option<&str>) -> serde_json::Value {
        let mut data = json!({
            "actionConfiguration": {"configuration": {"FunctionName": "pipeline-runner", "UserParameters": params}},
            "inputArtifacts": [{"location": {"s3Location": {"bucketName": "artifacts", "objectKey": "app/src.zip"}, "type": "S3"}, "revision": null, "name": "Src"}],
            "outputArtifacts": [],
            "artifactCredentials": {"secretAccessKey": "SECRET", "sessionToken": "TOKEN", "accessKeyId": "AKIA"}
        });
        if let Some(t) = token {
            data["continuationToken"] = json!(t);
        }
        json!({"CodePipeline.job": {"id": JOB, "accountId": "123456789012", "data": data}})
    }

    struct Mocks {
        ssm: Vec<Rule>,
        ddb: Vec<Rule>,
        cp: Vec<Rule>,
        sts: Vec<Rule>,
    }

    impl Mocks {
        fn runner(&self) -> SdkRunner {
            let ssm = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, &self.ssm);
            let ddb = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &self.ddb);
            let cp = mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, &self.cp);
            let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, &self.sts);
            let base = aws_config::SdkConfig::builder()
                .region(aws_config::Region::new("eu-west-1"))
                .build();
            let roles = AssumeRoleProvider::with_sts_client(sts, &base, "pipeline-runner");
            let role_client = ssm.clone();
            Runner {
                ssm: SsmClients(CrossAccount::new(ssm, roles, move |_| role_client.clone())),
                ledger: Ledger::new(ddb, "ledger"),
                results: Results::new(cp),
                settings: Settings {
                    function_name: "pipeline-runner".into(),
                    region: "eu-west-1".into(),
                    delivery_timeout: 600,
                },
            }
        }
    }

    type SdkRunner = Runner<SsmClients, Ledger, Results>;

    fn send_ok() -> Rule {
        mock!(aws_sdk_ssm::Client::send_command)
            .match_requests(|r| {
                let p = r.parameters().unwrap();
                r.document_name() == Some("AWS-RunShellScript")
                    && r.instance_ids() == [INSTANCE]
                    && p["commands"] == ["set -e", "make test"]
                    && p["executionTimeout"] == ["900"]
                    && r.timeout_seconds() == Some(600)
                    && r.comment() == Some(&format!("ferrops job {JOB}")[..])
            })
            .then_output(|| {
                SendCommandOutput::builder()
                    .command(Command::builder().command_id(CMD).build())
                    .build()
            })
    }

    fn claim_ok() -> Rule {
        mock!(aws_sdk_dynamodb::Client::put_item)
            .match_requests(|r| {
                r.table_name() == Some("ledger")
                    && r.condition_expression() == Some("attribute_not_exists(pk)")
                    && r.item().unwrap()["pk"] == AttributeValue::S(format!("job#{JOB}"))
            })
            .then_output(|| PutItemOutput::builder().build())
    }

    fn record_ok() -> Rule {
        mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|r| {
                r.expression_attribute_values().unwrap()[":cmd"] == AttributeValue::S(CMD.into())
            })
            .then_output(|| UpdateItemOutput::builder().build())
    }

    fn token_with_cmd() -> Token {
        Token {
            v: 1,
            job: JOB.into(),
            cmd: Some(CMD.into()),
            acct: None,
            role: None,
            start: NOW - 30,
            exec: 900,
            dlv: 600,
            checks: 0,
        }
    }

    fn invocation(status: CommandInvocationStatus, code: i32, out: &str, err: &str) -> Rule {
        let (out, err) = (out.to_string(), err.to_string());
        mock!(aws_sdk_ssm::Client::get_command_invocation)
            .match_requests(|r| r.command_id() == Some(CMD) && r.instance_id() == Some(INSTANCE))
            .then_output(move || {
                GetCommandInvocationOutput::builder()
                    .status(status.clone())
                    .status_details(status.as_str())
                    .response_code(code)
                    .standard_output_content(&out)
                    .standard_error_content(&err)
                    .build()
            })
    }

    fn success_report(
        check: impl Fn(
            &aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultInput,
        ) -> bool
        + Send
        + Sync
        + 'static,
    ) -> Rule {
        mock!(aws_sdk_codepipeline::Client::put_job_success_result)
            .match_requests(move |r| r.job_id() == Some(JOB) && check(r))
            .then_output(|| PutJobSuccessResultOutput::builder().build())
    }

    fn failure_report(kind: FailureType, needle: &'static str) -> Rule {
        mock!(aws_sdk_codepipeline::Client::put_job_failure_result)
            .match_requests(move |r| {
                let f = r.failure_details().unwrap();
                r.job_id() == Some(JOB) && f.r#type() == &kind && f.message().contains(needle)
            })
            .then_output(|| PutJobFailureResultOutput::builder().build())
    }

    fn token_of(
        r: &aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultInput,
    ) -> Option<Token> {
        r.continuation_token().and_then(|t| Token::decode(t).ok())
    }

    #[tokio::test]
    async fn first_invocation_claims_sends_records_and_reports_a_continuation_token() {
        let (send, claim, record) = (send_ok(), claim_ok(), record_ok());
        let report = success_report(|r| {
            token_of(r)
                .is_some_and(|t| t.cmd.as_deref() == Some(CMD) && t.start == NOW && t.exec == 900)
                && r.execution_details()
                    .and_then(|d| d.summary())
                    .is_some_and(|s| s.contains(CMD))
        });
        let m = Mocks {
            ssm: vec![send.clone()],
            ddb: vec![claim.clone(), record.clone()],
            cp: vec![report.clone()],
            sts: vec![],
        };
        let resp = m.runner().handle(event(PARAMS, None), NOW).await.unwrap();
        assert_eq!(resp.result, "in_progress");
        assert!(resp.reported);
        assert_eq!(
            (
                send.num_calls(),
                claim.num_calls(),
                record.num_calls(),
                report.num_calls()
            ),
            (1, 1, 1, 1)
        );
    }

    #[tokio::test]
    async fn redelivered_first_invocation_reuses_the_recorded_command() {
        let send = send_ok();
        let taken = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
            PutItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder().build(),
            )
        });
        let lookup = mock!(aws_sdk_dynamodb::Client::get_item)
            .match_requests(|r| r.consistent_read() == Some(true))
            .then_output(|| {
                GetItemOutput::builder()
                    .item("pk", AttributeValue::S(format!("job#{JOB}")))
                    .item("command_id", AttributeValue::S(CMD.into()))
                    .item("claimed_at", AttributeValue::N((NOW - 10).to_string()))
                    .item("sent_at", AttributeValue::N((NOW - 9).to_string()))
                    .build()
            });
        let report = success_report(|r| {
            token_of(r).is_some_and(|t| t.cmd.as_deref() == Some(CMD) && t.start == NOW - 9)
        });
        let m = Mocks {
            ssm: vec![send.clone()],
            ddb: vec![taken, lookup.clone()],
            cp: vec![report.clone()],
            sts: vec![],
        };
        let resp = m.runner().handle(event(PARAMS, None), NOW).await.unwrap();
        assert_eq!(resp.result, "in_progress");
        assert_eq!(
            send.num_calls(),
            0,
            "a redelivery must not send a second command"
        );
        assert_eq!(report.num_calls(), 1);
    }

    #[tokio::test]
    async fn invalid_user_parameters_report_a_configuration_error_and_touch_nothing() {
        let (send, claim) = (send_ok(), claim_ok());
        let report = failure_report(
            FailureType::ConfigurationError,
            "UserParameters must be a JSON object",
        );
        let m = Mocks {
            ssm: vec![send.clone()],
            ddb: vec![claim.clone()],
            cp: vec![report.clone()],
            sts: vec![],
        };
        let resp = m
            .runner()
            .handle(event(r#"{"commands":["x"]}"#, None), NOW)
            .await
            .unwrap();
        assert_eq!(resp.result, "failed");
        assert_eq!(
            (send.num_calls(), claim.num_calls(), report.num_calls()),
            (0, 0, 1)
        );
    }

    #[tokio::test]
    async fn access_denied_on_send_is_a_permission_error_and_releases_the_claim() {
        let denied = mock!(aws_sdk_ssm::Client::send_command).then_error(|| {
            SendCommandError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("not allowed")
                    .build(),
            )
        });
        let release = mock!(aws_sdk_dynamodb::Client::delete_item)
            .match_requests(|r| r.condition_expression() == Some("#state = :sending"))
            .then_output(|| DeleteItemOutput::builder().build());
        let report = failure_report(FailureType::PermissionError, "ssm:SendCommand");
        let m = Mocks {
            ssm: vec![denied],
            ddb: vec![claim_ok(), release.clone()],
            cp: vec![report.clone()],
            sts: vec![],
        };
        m.runner().handle(event(PARAMS, None), NOW).await.unwrap();
        assert_eq!((release.num_calls(), report.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn unknown_instance_is_a_configuration_error() {
        let invalid = mock!(aws_sdk_ssm::Client::send_command).then_error(|| {
            SendCommandError::InvalidInstanceId(
                aws_sdk_ssm::types::error::InvalidInstanceId::builder()
                    .message("Instances not in a valid state")
                    .build(),
            )
        });
        let release = mock!(aws_sdk_dynamodb::Client::delete_item)
            .then_output(|| DeleteItemOutput::builder().build());
        let report = failure_report(
            FailureType::ConfigurationError,
            "Instances not in a valid state",
        );
        let m = Mocks {
            ssm: vec![invalid],
            ddb: vec![claim_ok(), release],
            cp: vec![report.clone()],
            sts: vec![],
        };
        m.runner().handle(event(PARAMS, None), NOW).await.unwrap();
        assert_eq!(report.num_calls(), 1);
    }

    #[tokio::test]
    async fn sts_access_denied_is_a_permission_error_naming_the_role() {
        let denied = mock!(aws_sdk_sts::Client::assume_role).then_error(|| {
            AssumeRoleError::generic(
                ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("no")
                    .build(),
            )
        });
        let claim = claim_ok();
        let report = failure_report(
            FailureType::PermissionError,
            "arn:aws:iam::111122223333:role/runner",
        );
        let params = r#"{"commands":["x"],"instanceIds":["i-0123456789abcdef0"],"roleArn":"arn:aws:iam::111122223333:role/runner","externalId":"ext-42"}"#;
        let m = Mocks {
            ssm: vec![send_ok()],
            ddb: vec![claim.clone()],
            cp: vec![report.clone()],
            sts: vec![denied],
        };
        m.runner().handle(event(params, None), NOW).await.unwrap();
        assert_eq!((claim.num_calls(), report.num_calls()), (0, 1));
    }

    #[tokio::test]
    async fn continuation_with_success_reports_output_and_variables_without_a_token() {
        let get = invocation(
            CommandInvocationStatus::Success,
            0,
            "ok\nferrops-output VERSION=2.0\ndone",
            "",
        );
        let report = success_report(|r| {
            let vars = r.output_variables().unwrap();
            r.continuation_token().is_none()
                && vars["commandId"] == CMD
                && vars["VERSION"] == "2.0"
                && r.execution_details()
                    .unwrap()
                    .summary()
                    .unwrap()
                    .ends_with("done")
        });
        let m = Mocks {
            ssm: vec![get],
            ddb: vec![],
            cp: vec![report.clone()],
            sts: vec![],
        };
        let resp = m
            .runner()
            .handle(event(PARAMS, Some(&token_with_cmd().encode())), NOW)
            .await
            .unwrap();
        assert_eq!(resp.result, "succeeded");
        assert_eq!(report.num_calls(), 1);
    }

    #[tokio::test]
    async fn continuation_with_failure_reports_job_failed_with_stderr() {
        let get = invocation(CommandInvocationStatus::Failed, 2, "", "tests failed: 3");
        let report = failure_report(FailureType::JobFailed, "tests failed: 3");
        let m = Mocks {
            ssm: vec![get],
            ddb: vec![],
            cp: vec![report.clone()],
            sts: vec![],
        };
        m.runner()
            .handle(event(PARAMS, Some(&token_with_cmd().encode())), NOW)
            .await
            .unwrap();
        assert_eq!(report.num_calls(), 1);
    }

    #[tokio::test]
    async fn invocation_not_yet_visible_keeps_waiting() {
        let get = mock!(aws_sdk_ssm::Client::get_command_invocation).then_error(|| {
            GetCommandInvocationError::InvocationDoesNotExist(
                InvocationDoesNotExist::builder().build(),
            )
        });
        let report = success_report(|r| token_of(r).is_some_and(|t| t.checks == 1));
        let m = Mocks {
            ssm: vec![get.clone()],
            ddb: vec![],
            cp: vec![report.clone()],
            sts: vec![],
        };
        let resp = m
            .runner()
            .handle(event(PARAMS, Some(&token_with_cmd().encode())), NOW)
            .await
            .unwrap();
        assert_eq!(resp.result, "in_progress");
        assert_eq!((get.num_calls(), report.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_failing_status_check_retries_on_the_next_invocation() {
        let get = mock!(aws_sdk_ssm::Client::get_command_invocation).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(503).unwrap(),
                aws_smithy_types::body::SdkBody::from("{}"),
            )
        });
        let report = success_report(|r| {
            r.execution_details()
                .unwrap()
                .summary()
                .unwrap()
                .contains("Status check failed")
                && token_of(r).is_some()
        });
        let m = Mocks {
            ssm: vec![get],
            ddb: vec![],
            cp: vec![report.clone()],
            sts: vec![],
        };
        m.runner()
            .handle(event(PARAMS, Some(&token_with_cmd().encode())), NOW)
            .await
            .unwrap();
        assert_eq!(report.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_token_without_a_command_reads_the_ledger_first() {
        let lookup = mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| {
            GetItemOutput::builder()
                .item("command_id", AttributeValue::S(CMD.into()))
                .item("claimed_at", AttributeValue::N(NOW.to_string()))
                .item("sent_at", AttributeValue::N(NOW.to_string()))
                .build()
        });
        let get = invocation(CommandInvocationStatus::InProgress, -1, "", "");
        let report = success_report(|r| token_of(r).is_some_and(|t| t.cmd.as_deref() == Some(CMD)));
        let token = Token {
            cmd: None,
            ..token_with_cmd()
        };
        let m = Mocks {
            ssm: vec![get.clone()],
            ddb: vec![lookup],
            cp: vec![report.clone()],
            sts: vec![],
        };
        m.runner()
            .handle(event(PARAMS, Some(&token.encode())), NOW)
            .await
            .unwrap();
        assert_eq!((get.num_calls(), report.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_foreign_continuation_token_fails_the_job() {
        let report = failure_report(FailureType::JobFailed, "not one this function wrote");
        let m = Mocks {
            ssm: vec![],
            ddb: vec![],
            cp: vec![report.clone()],
            sts: vec![],
        };
        m.runner()
            .handle(
                event(PARAMS, Some("A continuation token if continuing job")),
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(report.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_malformed_event_is_a_lambda_error_without_any_call() {
        let report = failure_report(FailureType::JobFailed, "");
        let m = Mocks {
            ssm: vec![],
            ddb: vec![],
            cp: vec![report.clone()],
            sts: vec![],
        };
        let err = m
            .runner()
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
        assert_eq!(report.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_report_that_cannot_be_delivered_is_a_lambda_error_for_retry() {
        let get = invocation(CommandInvocationStatus::Success, 0, "fine", "");
        let report = mock!(aws_sdk_codepipeline::Client::put_job_success_result)
            .then_http_response(|| {
                aws_smithy_runtime_api::http::Response::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(500).unwrap(),
                    aws_smithy_types::body::SdkBody::from("{}"),
                )
            });
        let m = Mocks {
            ssm: vec![get],
            ddb: vec![],
            cp: vec![report],
            sts: vec![],
        };
        let err = m
            .runner()
            .handle(event(PARAMS, Some(&token_with_cmd().encode())), NOW)
            .await
            .unwrap_err();
        assert_eq!(
            lambda_runtime::Diagnostic::from(err).error_type,
            "ReportFailed"
        );
    }

    const TAG_PARAMS: &str =
        r#"{"commands":["uptime"],"targets":[{"Key":"tag:Role","Values":["build"]}]}"#;

    fn list_commands(status: aws_sdk_ssm::types::CommandStatus, count: i32) -> Rule {
        mock!(aws_sdk_ssm::Client::list_commands)
            .match_requests(|r| r.command_id() == Some(CMD))
            .then_output(move || {
                aws_sdk_ssm::operation::list_commands::ListCommandsOutput::builder()
                    .commands(
                        Command::builder()
                            .command_id(CMD)
                            .status(status.clone())
                            .target_count(count)
                            .build(),
                    )
                    .build()
            })
    }

    fn list_invocations(pages: Vec<(Vec<&'static str>, Option<&'static str>)>) -> Rule {
        let mut seq = mock!(aws_sdk_ssm::Client::list_command_invocations).sequence();
        for (ids, next) in pages {
            seq = seq.output(move || {
                aws_sdk_ssm::operation::list_command_invocations::ListCommandInvocationsOutput::builder()
                    .set_command_invocations(Some(
                        ids.iter()
                            .map(|i| aws_sdk_ssm::types::CommandInvocation::builder().command_id(CMD).instance_id(*i).build())
                            .collect(),
                    ))
                    .set_next_token(next.map(str::to_string))
                    .build()
            });
        }
        seq.build()
    }

    #[tokio::test]
    async fn targets_are_sent_as_ssm_targets() {
        let send = mock!(aws_sdk_ssm::Client::send_command)
            .match_requests(|r| {
                let t = &r.targets()[0];
                r.instance_ids().is_empty()
                    && t.key() == Some("tag:Role")
                    && t.values() == ["build"]
            })
            .then_output(|| {
                SendCommandOutput::builder()
                    .command(Command::builder().command_id(CMD).build())
                    .build()
            });
        let report = success_report(|r| token_of(r).is_some());
        let m = Mocks {
            ssm: vec![send.clone()],
            ddb: vec![claim_ok(), record_ok()],
            cp: vec![report.clone()],
            sts: vec![],
        };
        m.runner()
            .handle(event(TAG_PARAMS, None), NOW)
            .await
            .unwrap();
        assert_eq!((send.num_calls(), report.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn targets_follow_every_page_of_invocations_and_check_each_instance() {
        let list = list_commands(aws_sdk_ssm::types::CommandStatus::Success, 2);
        let pages = list_invocations(vec![
            (vec!["i-aaaaaaaa"], Some("next")),
            (vec!["i-bbbbbbbb"], None),
        ]);
        let get = mock!(aws_sdk_ssm::Client::get_command_invocation).then_compute_output(|r| {
            GetCommandInvocationOutput::builder()
                .status(CommandInvocationStatus::Success)
                .response_code(0)
                .standard_output_content(format!("hello from {}", r.instance_id().unwrap()))
                .build()
        });
        let report = success_report(|r| {
            let s = r.execution_details().unwrap().summary().unwrap();
            r.continuation_token().is_none()
                && s.contains("hello from i-aaaaaaaa")
                && s.contains("hello from i-bbbbbbbb")
        });
        let m = Mocks {
            ssm: vec![list, pages.clone(), get.clone()],
            ddb: vec![],
            cp: vec![report.clone()],
            sts: vec![],
        };
        let resp = m
            .runner()
            .handle(event(TAG_PARAMS, Some(&token_with_cmd().encode())), NOW)
            .await
            .unwrap();
        assert_eq!(resp.result, "succeeded");
        assert_eq!(
            (pages.num_calls(), get.num_calls(), report.num_calls()),
            (2, 2, 1)
        );
    }

    #[tokio::test]
    async fn targets_with_an_empty_invocation_list_are_not_read_as_index_zero() {
        let list = list_commands(aws_sdk_ssm::types::CommandStatus::Pending, 0);
        let pages = list_invocations(vec![(vec![], None)]);
        let report = success_report(|r| token_of(r).is_some());
        let m = Mocks {
            ssm: vec![list, pages],
            ddb: vec![],
            cp: vec![report.clone()],
            sts: vec![],
        };
        let resp = m
            .runner()
            .handle(event(TAG_PARAMS, Some(&token_with_cmd().encode())), NOW)
            .await
            .unwrap();
        assert_eq!(resp.result, "in_progress");
    }

    #[tokio::test]
    async fn targets_that_matched_nothing_fail_the_job() {
        let list = list_commands(aws_sdk_ssm::types::CommandStatus::Success, 0);
        let pages = list_invocations(vec![(vec![], None)]);
        let report = failure_report(FailureType::JobFailed, "no SSM managed instance matched");
        let m = Mocks {
            ssm: vec![list, pages],
            ddb: vec![],
            cp: vec![report.clone()],
            sts: vec![],
        };
        m.runner()
            .handle(event(TAG_PARAMS, Some(&token_with_cmd().encode())), NOW)
            .await
            .unwrap();
        assert_eq!(report.num_calls(), 1);
    }
}
