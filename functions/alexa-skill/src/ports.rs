//! The narrow ports the handlers talk through, implemented by [`crate::adapters`].

use crate::operators::Operators;
use crate::pipeline::{PendingApproval, PipelineView};
use ferrops::AwsFailure;

/// How an approval decision landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// CodePipeline recorded it.
    Recorded,
    /// The approval was already decided or expired.
    NoLongerPending,
}

/// CodePipeline.
pub trait Pipelines: Send + Sync {
    /// A pipeline's state, or `None` when there is no such pipeline.
    fn state(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<PipelineView>, AwsFailure>> + Send;
    /// Approves or rejects a waiting approval.
    fn decide(
        &self,
        approval: &PendingApproval,
        approve: bool,
        summary: &str,
    ) -> impl Future<Output = Result<Decided, AwsFailure>> + Send;
}

/// The operators allow-list.
pub trait OperatorDirectory: Send + Sync {
    /// The current list.
    fn operators(&self) -> impl Future<Output = Result<Operators, AwsFailure>> + Send;
}

/// What the handlers use.
pub struct Services<P, O> {
    /// CodePipeline.
    pub pipelines: P,
    /// The allow-list.
    pub operators: O,
}
