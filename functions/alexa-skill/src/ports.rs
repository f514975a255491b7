//! The narrow ports the handler talks through, implemented against AWS by [`crate::adapters`].

#[cfg(test)]
pub(crate) mod memory;

use crate::operators::Operators;
use crate::pipeline::{PendingApproval, PipelineView};
use ferrops::AwsFailure;
use serde_json::{Map, Value};

/// How an approval decision landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// CodePipeline recorded it.
    Recorded,
    /// Someone decided the approval first, or it expired: nothing was recorded.
    NoLongerPending,
}

/// The pipelines the skill reports on and decides approvals in.
pub trait Pipelines: Send + Sync {
    /// A pipeline's state, or `None` when there is no such pipeline.
    fn state(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<PipelineView>, AwsFailure>> + Send;
    /// Approves (`approve`) or rejects a waiting approval, recording `summary` with it.
    fn decide(
        &self,
        approval: &PendingApproval,
        approve: bool,
        summary: &str,
    ) -> impl Future<Output = Result<Decided, AwsFailure>> + Send;
}

/// Who may use the pipeline intents.
pub trait OperatorDirectory: Send + Sync {
    /// The current allow-list; empty when none is configured.
    fn operators(&self) -> impl Future<Output = Result<Operators, AwsFailure>> + Send;
}

/// Attributes kept per Alexa user across sessions: the facts each user has heard.
pub trait AttributeStore: Send + Sync {
    /// The user's attributes; empty for a user never seen.
    fn load(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Map<String, Value>, AwsFailure>> + Send;
    /// Replaces the user's attributes; `now` (seconds since the epoch) records when.
    fn save(
        &self,
        user_id: &str,
        attributes: &Map<String, Value>,
        now: u64,
    ) -> impl Future<Output = Result<(), AwsFailure>> + Send;
}
