//! In-memory implementations of the ports, for testing the handler's behaviour without AWS.

use crate::operators::Operators;
use crate::pipeline::{PendingApproval, PipelineView};
use crate::ports::{AttributeStore, Decided, OperatorDirectory, Pipelines};
use ferrops::AwsFailure;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A failure like an unreachable service's.
fn outage(operation: &'static str) -> AwsFailure {
    AwsFailure::incomplete(operation, "the service is unreachable")
}

/// One decision, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) approval: PendingApproval,
    pub(crate) approve: bool,
    pub(crate) summary: String,
}

/// Pipelines by name. A decision on an approval that waits in the stored state is recorded;
/// any other is no longer pending.
#[derive(Default)]
pub(crate) struct MemoryPipelines {
    pub(crate) pipelines: BTreeMap<String, PipelineView>,
    /// Approval tokens CodePipeline no longer accepts, although the state still shows them
    /// waiting: decided by someone else between the read and the decision.
    pub(crate) decided_elsewhere: BTreeSet<String>,
    /// Every call fails.
    pub(crate) down: bool,
    pub(crate) reads: AtomicUsize,
    pub(crate) decisions: Mutex<Vec<Decision>>,
}

impl MemoryPipelines {
    pub(crate) fn with(view: PipelineView) -> Self {
        Self {
            pipelines: BTreeMap::from([(view.name.clone(), view)]),
            ..Self::default()
        }
    }

    pub(crate) fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    pub(crate) fn decisions(&self) -> Vec<Decision> {
        self.decisions.lock().unwrap().clone()
    }
}

impl Pipelines for MemoryPipelines {
    async fn state(&self, name: &str) -> Result<Option<PipelineView>, AwsFailure> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if self.down {
            return Err(outage("codepipeline:GetPipelineState"));
        }
        Ok(self.pipelines.get(name).cloned())
    }

    async fn decide(
        &self,
        approval: &PendingApproval,
        approve: bool,
        summary: &str,
    ) -> Result<Decided, AwsFailure> {
        if self.down {
            return Err(outage("codepipeline:PutApprovalResult"));
        }
        let waiting = self
            .pipelines
            .get(&approval.pipeline)
            .is_some_and(|view| crate::pipeline::pending_approvals(view).contains(approval));
        if !waiting || self.decided_elsewhere.contains(&approval.token) {
            return Ok(Decided::NoLongerPending);
        }
        self.decisions.lock().unwrap().push(Decision {
            approval: approval.clone(),
            approve,
            summary: summary.to_string(),
        });
        Ok(Decided::Recorded)
    }
}

/// A fixed operators list.
#[derive(Default)]
pub(crate) struct MemoryOperators {
    pub(crate) operators: Operators,
    /// Every read fails.
    pub(crate) down: bool,
}

impl OperatorDirectory for MemoryOperators {
    async fn operators(&self) -> Result<Operators, AwsFailure> {
        if self.down {
            return Err(outage("ssm:GetParameter"));
        }
        Ok(self.operators.clone())
    }
}

/// A user's attributes and when they were last saved (seconds since the epoch).
type Saved = (Map<String, Value>, u64);

/// Attributes per user.
#[derive(Default)]
pub(crate) struct MemoryAttributes {
    pub(crate) users: Mutex<BTreeMap<String, Saved>>,
    /// Every call fails.
    pub(crate) down: bool,
    pub(crate) loads: AtomicUsize,
    pub(crate) saves: AtomicUsize,
}

impl MemoryAttributes {
    /// The user's attributes and when they were saved.
    pub(crate) fn stored(&self, user_id: &str) -> Option<Saved> {
        self.users.lock().unwrap().get(user_id).cloned()
    }

    /// How many loads and saves were made.
    pub(crate) fn calls(&self) -> (usize, usize) {
        (
            self.loads.load(Ordering::SeqCst),
            self.saves.load(Ordering::SeqCst),
        )
    }
}

impl AttributeStore for MemoryAttributes {
    async fn load(&self, user_id: &str) -> Result<Map<String, Value>, AwsFailure> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        if self.down {
            return Err(outage("dynamodb:GetItem"));
        }
        Ok(self.stored(user_id).map(|(a, _)| a).unwrap_or_default())
    }

    async fn save(
        &self,
        user_id: &str,
        attributes: &Map<String, Value>,
        now: u64,
    ) -> Result<(), AwsFailure> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        if self.down {
            return Err(outage("dynamodb:PutItem"));
        }
        self.users
            .lock()
            .unwrap()
            .insert(user_id.to_string(), (attributes.clone(), now));
        Ok(())
    }
}
