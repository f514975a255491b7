//! The narrow ports the handler talks through, implemented by [`crate::adapters`].

use crate::change::Finding;
use crate::notice::Notice;
use ferrops::AwsFailure;

/// Whether a conditional write landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The finding was written.
    Written,
    /// A result at least as new was already there.
    Stale,
}

/// The findings ledger.
pub trait Findings {
    /// The finding stored under `key`.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Finding>, AwsFailure>> + Send;
    /// Writes `f` unless a result at least as new is stored.
    fn put_newer(&self, f: &Finding) -> impl Future<Output = Result<Stored, AwsFailure>> + Send;
    /// Marks the notification for the result at `ordering_ms` as published.
    fn clear_pending(
        &self,
        key: &str,
        ordering_ms: i64,
    ) -> impl Future<Output = Result<(), AwsFailure>> + Send;
    /// Every finding.
    fn all(&self) -> impl Future<Output = Result<Vec<Finding>, AwsFailure>> + Send;
    /// When the account's last digest went out (seconds).
    fn last_digest(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<Option<i64>, AwsFailure>> + Send;
    /// Records that a digest went out at `at` (seconds).
    fn record_digest(
        &self,
        account: &str,
        at: i64,
    ) -> impl Future<Output = Result<(), AwsFailure>> + Send;
}

/// Where admins read findings.
pub trait Notifier {
    /// Publishes a notice; returns the message ID.
    fn publish(&self, notice: &Notice) -> impl Future<Output = Result<String, AwsFailure>> + Send;
}

#[cfg(test)]
pub(crate) mod memory;
