//! One invocation: read the job, decide, report. Every path that has a job ID reports exactly one
//! result, and only an event without a job or an undeliverable report is a Lambda error.

use crate::command::{self, ssm_working_directory};
use crate::decide::{FailureKind, Observation, Outcome, Summary, decide};
use crate::error::RunnerError;
use crate::job::Job;
use crate::messages;
use crate::params::{self, Plan, Targets};
use crate::ports::{
    Claim, CommandService, CommandServices, JobLedger, JobResults, Reported, SendRequest,
};
use crate::token::Token;
use ferrops::{AwsFailure, FailureClass};
use serde::Serialize;

/// A claim this old without a recorded command means its delivery died mid-send.
pub(crate) const STALE_CLAIM_SECONDS: u64 = 300;

/// What the handler needs besides its ports, fixed for the container's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The function's name, which STS session names start with.
    pub function_name: String,
    /// The region the instances' `aws` CLI reads parameters and artifacts in.
    pub region: String,
    /// `SendCommand`'s `TimeoutSeconds`: how long delivery may take.
    pub delivery_timeout: u32,
}

/// What the invocation returns (CodePipeline ignores it; it helps logs and local runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The job that was reported.
    pub job_id: String,
    /// `in_progress`, `succeeded` or `failed`.
    pub result: &'static str,
    /// False when an earlier delivery had already reported the job.
    pub reported: bool,
}

/// The handler, generic over its ports so that its behaviour can be tested against the
/// in-memory ones and run against the SDK adapters.
pub struct Runner<S, L, R> {
    /// SSM Run Command, in the home account or through a role.
    pub ssm: S,
    /// The ledger that keeps a redelivered job from sending a second command.
    pub ledger: L,
    /// CodePipeline's job result calls.
    pub results: R,
    /// The function's settings.
    pub settings: Settings,
}

/// The failure type for an AWS failure of `class`.
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

    /// What the job is told: a first invocation sends, a continuation checks.
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

    /// SSM in the plan's account; a role that cannot be assumed fails the job.
    async fn service(&self, plan: &Plan, job_id: &str) -> Result<S::Service, Outcome> {
        self.ssm
            .for_role(plan.role.as_ref(), job_id)
            .await
            .map_err(|e| {
                let kind = if e.class == FailureClass::AccessDenied {
                    FailureKind::PermissionError
                } else {
                    FailureKind::SystemUnavailable
                };
                Outcome::failed(kind, e.to_string(), None)
            })
    }

    /// The first token of a job whose command `command_id` (if known) was sent at `start`.
    fn token(&self, job_id: &str, plan: &Plan, command_id: Option<String>, start: u64) -> Token {
        Token {
            v: Token::VERSION,
            job: job_id.to_string(),
            cmd: command_id,
            start,
            exec: u64::from(plan.execution_timeout),
            dlv: u64::from(self.settings.delivery_timeout),
            checks: 0,
        }
    }

    /// The first invocation: claim the job, send the command, record it, and hand out the
    /// token; a redelivery finds the claim and waits for the command already sent.
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
                    Some(c) => messages::already_sent(c),
                    None => messages::ANOTHER_DELIVERY_SENDING.to_string(),
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
                    messages::ledger_unwritable(&e),
                    None,
                );
            }
        }

        let targets_text = match &plan.targets {
            Targets::Instances(ids) => messages::instance_count(ids.len()),
            Targets::Tags(tags) => {
                messages::tag_targets(tags.iter().map(|t| (t.key.as_str(), &t.values[..])))
            }
        };
        let request = SendRequest {
            targets: plan.targets.clone(),
            lines,
            working_directory: ssm_working_directory(plan).map(str::to_string),
            execution_timeout: plan.execution_timeout,
            delivery_timeout: self.settings.delivery_timeout,
            comment: ferrops::text::truncate_end(&messages::command_comment(&job.id), 100),
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
                    summary: Summary::new(messages::sent(&command_id, &targets_text)),
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

    /// A continuation: find the command (in the token, else the ledger), observe it, decide.
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
                        messages::unconfirmed_send(&token.job),
                        None,
                    );
                }
                Ok(_) => {
                    return Outcome::InProgress {
                        token: token.next(),
                        summary: Summary::new(messages::WAITING_FOR_RECORD),
                        percent: 0,
                    };
                }
                Err(e) => return self.retry_later(&token, &e, now),
            },
        };
        let Some(command_id) = token.cmd.clone() else {
            return Outcome::failed(
                FailureKind::JobFailed,
                messages::TOKEN_WITHOUT_COMMAND,
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

    /// A status check that may pass later keeps the job running until its deadline.
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
            summary: Summary::new(messages::status_check_failed(e)),
            percent: 0,
        }
    }

    /// Every targeted instance's invocation, as SSM shows it now.
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
mod tests;
