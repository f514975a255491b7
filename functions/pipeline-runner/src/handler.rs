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
