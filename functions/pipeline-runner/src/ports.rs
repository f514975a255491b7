//! The narrow ports the handler talks through: SSM Run Command per account, the job ledger, and
//! CodePipeline's result calls. The SDK adapters in [`crate::adapters`] implement them against
//! AWS; the in-memory versions in `memory` (built for the crate's tests) implement the same
//! contracts for testing the handler's behaviour.

use crate::decide::{Invocation, Outcome};
use crate::params::{OutputLocation, Targets};
use ferrops::AwsFailure;
use ferrops::sts::RoleSpec;

#[cfg(test)]
pub(crate) mod memory;

/// A `SendCommand` request for `AWS-RunShellScript`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// Where to run.
    pub targets: Targets,
    /// The shell lines, the first of them `set -e`.
    pub lines: Vec<String>,
    /// The SSM `workingDirectory` parameter.
    pub working_directory: Option<String>,
    /// The document's `executionTimeout` parameter: how long the lines may run, in seconds.
    pub execution_timeout: u32,
    /// `TimeoutSeconds`: how long SSM may take to deliver the command.
    pub delivery_timeout: u32,
    /// The command's comment (≤ 100 characters): names the job for the SSM console.
    pub comment: String,
    /// Where SSM writes the full output, beyond the 24,000 characters it keeps itself.
    pub output: Option<OutputLocation>,
}

/// What SSM knows about the instances a target-based command reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetedInstances {
    /// Instances with a visible invocation.
    pub instance_ids: Vec<String>,
    /// How many instances the targets resolved to, once SSM knows.
    pub target_count: Option<usize>,
    /// The command as a whole has finished.
    pub finished: bool,
}

/// SSM Run Command in one account.
pub trait CommandService {
    /// Sends the command; returns its ID.
    fn send(&self, req: &SendRequest) -> impl Future<Output = Result<String, AwsFailure>> + Send;

    /// One instance's invocation, or `None` while SSM does not know it yet.
    fn invocation(
        &self,
        command_id: &str,
        instance_id: &str,
    ) -> impl Future<Output = Result<Option<Invocation>, AwsFailure>> + Send;

    /// The instances a target-based command reached so far.
    fn targeted_instances(
        &self,
        command_id: &str,
    ) -> impl Future<Output = Result<TargetedInstances, AwsFailure>> + Send;
}

/// Hands out a [`CommandService`] for the home account or an assumed role.
pub trait CommandServices {
    /// SSM in the account one role reaches.
    type Service: CommandService + Send + Sync;

    /// The service acting as `role` (home account when `None`); `job` names the STS session.
    fn for_role(
        &self,
        role: Option<&RoleSpec>,
        job: &str,
    ) -> impl Future<Output = Result<Self::Service, AwsFailure>> + Send;
}

/// A job's ledger entry. An entry without a command is a claim whose delivery is still
/// sending, or died while sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The command sent for the job, once recorded.
    pub command_id: Option<String>,
    /// When the first delivery claimed the job (Unix seconds).
    pub claimed_at: u64,
    /// When the command was sent (Unix seconds).
    pub sent_at: Option<u64>,
}

/// The result of claiming a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This delivery owns the job and must send the command.
    Won,
    /// An earlier delivery claimed it.
    Taken(LedgerEntry),
}

/// Job ID → command ID, written with conditions so that one job sends one command.
pub trait JobLedger {
    /// Claims the job for this delivery, unless an earlier delivery holds it.
    fn claim(
        &self,
        job_id: &str,
        now: u64,
    ) -> impl Future<Output = Result<Claim, AwsFailure>> + Send;
    /// Records the command sent for a claimed job; refused when the job holds no unsent claim.
    fn record(
        &self,
        job_id: &str,
        command_id: &str,
        now: u64,
    ) -> impl Future<Output = Result<(), AwsFailure>> + Send;
    /// Gives up a claim whose command was never sent, so a redelivery may try again.
    fn release(&self, job_id: &str) -> impl Future<Output = Result<(), AwsFailure>> + Send;
    /// Reads a job's entry, as of the latest write.
    fn lookup(
        &self,
        job_id: &str,
    ) -> impl Future<Output = Result<Option<LedgerEntry>, AwsFailure>> + Send;
}

/// How a report landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    /// CodePipeline took the result.
    Accepted,
    /// The job already had its result (`InvalidJobStateException`): an earlier delivery reported.
    AlreadyReported,
}

/// Why a job result could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// CodePipeline does not know the job: wrong account or region, or a forged event.
    #[error("CodePipeline does not know job {job_id}: {source}")]
    JobNotFound {
        /// The job that was reported.
        job_id: String,
        /// The call's failure.
        #[source]
        source: AwsFailure,
    },
    /// The call failed; a Lambda retry may succeed.
    #[error("reporting job {job_id} failed: {source}")]
    Failed {
        /// The job that was reported.
        job_id: String,
        /// The call's failure.
        #[source]
        source: AwsFailure,
    },
}

/// CodePipeline's job result calls.
pub trait JobResults {
    /// Reports `outcome` for `job_id`: a final result, or progress with a continuation token.
    fn report(
        &self,
        job_id: &str,
        outcome: &Outcome,
    ) -> impl Future<Output = Result<Reported, ReportError>> + Send;
}
