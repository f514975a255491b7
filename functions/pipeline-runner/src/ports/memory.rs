//! In-memory implementations of the ports, for testing the handler's behaviour without AWS.
//!
//! Each keeps the contract the handler relies on: the ledger lets one delivery claim a job and
//! records a command only on an unsent claim; CodePipeline takes one final result per job.
//! A test seeds what AWS would hold (ledger entries, SSM invocations), makes any call fail with a
//! [`Fault`], and reads back what the handler did. Clones share their state, so a test keeps a
//! clone of each port it hands to the handler.

use crate::decide::{Invocation, Outcome};
use crate::ports::{
    Claim, CommandService, CommandServices, JobLedger, JobResults, LedgerEntry, ReportError,
    Reported, SendRequest, TargetedInstances,
};
use ferrops::sts::RoleSpec;
use ferrops::{AwsFailure, FailureClass};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock has already failed; the state is still
    // worth reading.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A failure a memory port answers with in place of AWS: its class, and the code and message
/// AWS would send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    /// What the caller should make of it.
    pub class: FailureClass,
    /// The AWS error code, such as `AccessDeniedException`.
    pub code: String,
    /// The AWS error message.
    pub message: String,
}

impl Fault {
    /// A fault of `class` with AWS's `code` and `message`.
    pub(crate) fn new(class: FailureClass, code: &str, message: &str) -> Self {
        Self {
            class,
            code: code.to_string(),
            message: message.to_string(),
        }
    }

    /// The caller lacks an IAM permission.
    pub(crate) fn access_denied() -> Self {
        Self::new(
            FailureClass::AccessDenied,
            "AccessDeniedException",
            "not allowed",
        )
    }

    /// The service is throttling or down.
    pub(crate) fn unavailable() -> Self {
        Self::new(
            FailureClass::Unavailable,
            "ServiceUnavailable",
            "try again later",
        )
    }

    /// The failure of `operation`, worded as [`AwsFailure::from_sdk`] words a service error.
    fn failure(&self, operation: &'static str) -> AwsFailure {
        let mut f = AwsFailure::incomplete(operation, format!("{}: {}", self.code, self.message));
        f.class = self.class;
        f.code = Some(self.code.clone());
        f
    }
}

/// Builds the error a role that cannot be assumed gives.
type RoleRefusal = Arc<dyn Fn(&RoleSpec) -> AwsFailure + Send + Sync>;

/// SSM Run Command in memory, for the home account and every role.
///
/// Sent commands are kept with the account they went to; invocations and target resolutions
/// are what the test says SSM reports.
#[derive(Clone, Default)]
pub(crate) struct MemorySsm {
    state: Arc<Mutex<SsmState>>,
    refuse_roles: Option<RoleRefusal>,
}

#[derive(Default)]
struct SsmState {
    sent: Vec<SentCommand>,
    invocations: HashMap<(String, String), Invocation>,
    targeted: HashMap<String, TargetedInstances>,
    checks: Vec<Check>,
    sessions: Vec<(Option<String>, String)>,
    send_fault: Option<Fault>,
    check_fault: Option<Fault>,
}

/// A command the memory SSM received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SentCommand {
    /// The ID it was given: `cmd-1`, `cmd-2`, … in the order sent.
    pub command_id: String,
    /// The account of the role it was sent as; `None` for the home account.
    pub account: Option<String>,
    /// The request as the handler made it.
    pub request: SendRequest,
}

/// One status-check call the memory SSM answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    /// The account of the role it was made as; `None` for the home account.
    pub account: Option<String>,
    /// The command checked.
    pub command_id: String,
    /// The instance checked; `None` when the call listed the instances a target-based command
    /// reached.
    pub instance_id: Option<String>,
}

impl MemorySsm {
    /// SSM that accepts every command and knows no invocation yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Refuses to hand out SSM for any role, with the error `refusal` builds (STS denying
    /// `AssumeRole`, say). The home account stays reachable.
    pub(crate) fn refusing_roles(
        mut self,
        refusal: impl Fn(&RoleSpec) -> AwsFailure + Send + Sync + 'static,
    ) -> Self {
        self.refuse_roles = Some(Arc::new(refusal));
        self
    }

    /// Makes every `SendCommand` fail with `fault`.
    pub(crate) fn fail_sends(&self, fault: Fault) {
        lock(&self.state).send_fault = Some(fault);
    }

    /// Makes every status check (an invocation, or the instances targets reached) fail with
    /// `fault`.
    pub(crate) fn fail_checks(&self, fault: Fault) {
        lock(&self.state).check_fault = Some(fault);
    }

    /// Makes sends and status checks succeed again.
    pub(crate) fn heal(&self) {
        let mut state = lock(&self.state);
        state.send_fault = None;
        state.check_fault = None;
    }

    /// SSM reports `invocation` for `command_id` on its instance from now on.
    pub(crate) fn set_invocation(&self, command_id: &str, invocation: Invocation) {
        lock(&self.state).invocations.insert(
            (command_id.to_string(), invocation.instance_id.clone()),
            invocation,
        );
    }

    /// SSM reports `targeted` as the instances target-based command `command_id` reached.
    pub(crate) fn set_targeted(&self, command_id: &str, targeted: TargetedInstances) {
        lock(&self.state)
            .targeted
            .insert(command_id.to_string(), targeted);
    }

    /// The commands sent so far, in order.
    pub(crate) fn sent(&self) -> Vec<SentCommand> {
        lock(&self.state).sent.clone()
    }

    /// The status checks made so far, in order.
    pub(crate) fn checks(&self) -> Vec<Check> {
        lock(&self.state).checks.clone()
    }

    /// Every service handed out so far: the role's ARN (`None` for the home account) and the
    /// job that named the session.
    pub(crate) fn sessions(&self) -> Vec<(Option<String>, String)> {
        lock(&self.state).sessions.clone()
    }
}

impl CommandServices for MemorySsm {
    type Service = MemorySsmAccount;

    async fn for_role(
        &self,
        role: Option<&RoleSpec>,
        job: &str,
    ) -> Result<MemorySsmAccount, AwsFailure> {
        lock(&self.state)
            .sessions
            .push((role.map(|r| r.role_arn().to_string()), job.to_string()));
        if let (Some(role), Some(refuse)) = (role, &self.refuse_roles) {
            return Err(refuse(role));
        }
        Ok(MemorySsmAccount {
            state: Arc::clone(&self.state),
            account: role.map(|r| r.account().to_string()),
        })
    }
}

/// The memory SSM as seen from one account.
#[derive(Clone)]
pub(crate) struct MemorySsmAccount {
    state: Arc<Mutex<SsmState>>,
    account: Option<String>,
}

impl MemorySsmAccount {
    fn check(&self, state: &mut SsmState, command_id: &str, instance_id: Option<&str>) {
        state.checks.push(Check {
            account: self.account.clone(),
            command_id: command_id.to_string(),
            instance_id: instance_id.map(str::to_string),
        });
    }
}

impl CommandService for MemorySsmAccount {
    async fn send(&self, req: &SendRequest) -> Result<String, AwsFailure> {
        let mut state = lock(&self.state);
        if let Some(f) = &state.send_fault {
            return Err(f.failure("ssm:SendCommand"));
        }
        let command_id = format!("cmd-{}", state.sent.len() + 1);
        state.sent.push(SentCommand {
            command_id: command_id.clone(),
            account: self.account.clone(),
            request: req.clone(),
        });
        Ok(command_id)
    }

    async fn invocation(
        &self,
        command_id: &str,
        instance_id: &str,
    ) -> Result<Option<Invocation>, AwsFailure> {
        let mut state = lock(&self.state);
        self.check(&mut state, command_id, Some(instance_id));
        if let Some(f) = &state.check_fault {
            return Err(f.failure("ssm:GetCommandInvocation"));
        }
        Ok(state
            .invocations
            .get(&(command_id.to_string(), instance_id.to_string()))
            .cloned())
    }

    async fn targeted_instances(&self, command_id: &str) -> Result<TargetedInstances, AwsFailure> {
        let mut state = lock(&self.state);
        self.check(&mut state, command_id, None);
        if let Some(f) = &state.check_fault {
            return Err(f.failure("ssm:ListCommands"));
        }
        Ok(state.targeted.get(command_id).cloned().unwrap_or_default())
    }
}

/// A ledger call, for [`MemoryLedger::fail`] and [`MemoryLedger::calls`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum LedgerCall {
    /// [`JobLedger::claim`].
    Claim,
    /// [`JobLedger::record`].
    Record,
    /// [`JobLedger::release`].
    Release,
    /// [`JobLedger::lookup`].
    Lookup,
}

impl LedgerCall {
    /// The DynamoDB operation the adapter makes for it.
    fn operation(self) -> &'static str {
        match self {
            LedgerCall::Claim => "dynamodb:PutItem",
            LedgerCall::Record => "dynamodb:UpdateItem",
            LedgerCall::Release => "dynamodb:DeleteItem",
            LedgerCall::Lookup => "dynamodb:GetItem",
        }
    }
}

/// The job ledger in memory, with the DynamoDB ledger's conditions.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemoryLedger {
    state: Arc<Mutex<LedgerState>>,
}

#[derive(Debug, Default)]
struct LedgerState {
    entries: BTreeMap<String, LedgerEntry>,
    faults: HashMap<LedgerCall, Fault>,
    calls: BTreeMap<LedgerCall, usize>,
}

impl LedgerState {
    fn call(&mut self, call: LedgerCall) -> Result<(), AwsFailure> {
        *self.calls.entry(call).or_default() += 1;
        match self.faults.get(&call) {
            Some(f) => Err(f.failure(call.operation())),
            None => Ok(()),
        }
    }
}

impl MemoryLedger {
    /// An empty ledger.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Stores `entry` for `job_id`, as an earlier delivery would have left it.
    pub(crate) fn insert(&self, job_id: &str, entry: LedgerEntry) {
        lock(&self.state).entries.insert(job_id.to_string(), entry);
    }

    /// The entry for `job_id`.
    pub(crate) fn entry(&self, job_id: &str) -> Option<LedgerEntry> {
        lock(&self.state).entries.get(job_id).cloned()
    }

    /// Makes every `call` fail with `fault`.
    pub(crate) fn fail(&self, call: LedgerCall, fault: Fault) {
        lock(&self.state).faults.insert(call, fault);
    }

    /// How many times `call` was made.
    pub(crate) fn calls(&self, call: LedgerCall) -> usize {
        lock(&self.state).calls.get(&call).copied().unwrap_or(0)
    }
}

impl JobLedger for MemoryLedger {
    async fn claim(&self, job_id: &str, now: u64) -> Result<Claim, AwsFailure> {
        let mut state = lock(&self.state);
        state.call(LedgerCall::Claim)?;
        if let Some(entry) = state.entries.get(job_id) {
            return Ok(Claim::Taken(entry.clone()));
        }
        state.entries.insert(
            job_id.to_string(),
            LedgerEntry {
                command_id: None,
                claimed_at: now,
                sent_at: None,
            },
        );
        Ok(Claim::Won)
    }

    async fn record(&self, job_id: &str, command_id: &str, now: u64) -> Result<(), AwsFailure> {
        let mut state = lock(&self.state);
        state.call(LedgerCall::Record)?;
        match state.entries.get_mut(job_id) {
            Some(entry) if entry.command_id.is_none() => {
                entry.command_id = Some(command_id.to_string());
                entry.sent_at = Some(now);
                Ok(())
            }
            _ => Err(Fault::new(
                FailureClass::Rejected,
                "ConditionalCheckFailedException",
                "The conditional request failed",
            )
            .failure(LedgerCall::Record.operation())),
        }
    }

    async fn release(&self, job_id: &str) -> Result<(), AwsFailure> {
        let mut state = lock(&self.state);
        state.call(LedgerCall::Release)?;
        if state
            .entries
            .get(job_id)
            .is_some_and(|e| e.command_id.is_none())
        {
            state.entries.remove(job_id);
        }
        Ok(())
    }

    async fn lookup(&self, job_id: &str) -> Result<Option<LedgerEntry>, AwsFailure> {
        let mut state = lock(&self.state);
        state.call(LedgerCall::Lookup)?;
        Ok(state.entries.get(job_id).cloned())
    }
}

/// CodePipeline's job results in memory: every accepted report, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemoryResults {
    state: Arc<Mutex<ResultsState>>,
}

#[derive(Debug, Default)]
struct ResultsState {
    reports: Vec<(String, Outcome)>,
    unknown_jobs: BTreeSet<String>,
    fault: Option<Fault>,
}

impl MemoryResults {
    /// CodePipeline that knows every job.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The reports CodePipeline accepted: job ID and outcome, in order.
    pub(crate) fn reports(&self) -> Vec<(String, Outcome)> {
        lock(&self.state).reports.clone()
    }

    /// Makes CodePipeline answer reports for `job_id` with `JobNotFoundException`.
    pub(crate) fn forget_job(&self, job_id: &str) {
        lock(&self.state).unknown_jobs.insert(job_id.to_string());
    }

    /// Makes every report fail with `fault`.
    pub(crate) fn fail(&self, fault: Fault) {
        lock(&self.state).fault = Some(fault);
    }
}

impl JobResults for MemoryResults {
    async fn report(&self, job_id: &str, outcome: &Outcome) -> Result<Reported, ReportError> {
        let operation = match outcome {
            Outcome::Failed { .. } => "codepipeline:PutJobFailureResult",
            _ => "codepipeline:PutJobSuccessResult",
        };
        let mut state = lock(&self.state);
        if let Some(f) = &state.fault {
            return Err(ReportError::Failed {
                job_id: job_id.to_string(),
                source: f.failure(operation),
            });
        }
        if state.unknown_jobs.contains(job_id) {
            return Err(ReportError::JobNotFound {
                job_id: job_id.to_string(),
                source: Fault::new(
                    FailureClass::Rejected,
                    "JobNotFoundException",
                    "The job was specified in an invalid format or cannot be found.",
                )
                .failure(operation),
            });
        }
        let finished = state
            .reports
            .iter()
            .any(|(j, o)| j == job_id && !matches!(o, Outcome::InProgress { .. }));
        if finished {
            return Ok(Reported::AlreadyReported);
        }
        state.reports.push((job_id.to_string(), outcome.clone()));
        Ok(Reported::Accepted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps of the DynamoDB ledger's test against the local AWS, so the two cannot drift.
    #[tokio::test]
    async fn the_memory_ledger_keeps_the_dynamodb_ledgers_contract() {
        let ledger = MemoryLedger::new();
        assert_eq!(ledger.claim("job-1", 100).await.unwrap(), Claim::Won);
        let Claim::Taken(entry) = ledger.claim("job-1", 101).await.unwrap() else {
            panic!("claimed twice")
        };
        assert_eq!((entry.command_id, entry.claimed_at), (None, 100));

        ledger.record("job-1", "cmd-1", 102).await.unwrap();
        let Claim::Taken(entry) = ledger.claim("job-1", 103).await.unwrap() else {
            panic!("claimed twice")
        };
        assert_eq!(
            (entry.command_id.as_deref(), entry.sent_at),
            (Some("cmd-1"), Some(102))
        );
        ledger.release("job-1").await.unwrap();
        assert!(ledger.lookup("job-1").await.unwrap().is_some());

        assert_eq!(ledger.claim("job-2", 200).await.unwrap(), Claim::Won);
        ledger.release("job-2").await.unwrap();
        assert_eq!(ledger.lookup("job-2").await.unwrap(), None);
        assert_eq!(ledger.claim("job-2", 201).await.unwrap(), Claim::Won);

        let err = ledger.record("never-claimed", "cmd", 1).await.unwrap_err();
        assert!(err.message.contains("ConditionalCheckFailed"), "{err}");
    }

    #[tokio::test]
    async fn codepipeline_in_memory_takes_one_final_result_per_job() {
        let results = MemoryResults::new();
        let failed = Outcome::failed(crate::decide::FailureKind::JobFailed, "boom", None);
        assert_eq!(
            results.report("job-1", &failed).await.unwrap(),
            Reported::Accepted
        );
        assert_eq!(
            results.report("job-1", &failed).await.unwrap(),
            Reported::AlreadyReported
        );
        assert_eq!(results.reports().len(), 1);
    }
}
