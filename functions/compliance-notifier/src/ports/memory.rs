//! In-memory ports with the semantics of the SDK adapters, for testing the handler's behaviour.

use crate::change::Finding;
use crate::notice::Notice;
use crate::ports::{Findings, Notifier, Stored};
use ferrops::AwsFailure;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// A findings ledger in a map, with the adapter's conditions: newer results win, and a pending
/// mark is cleared only for the result it belongs to.
#[derive(Debug, Default)]
pub(crate) struct MemoryFindings {
    findings: Mutex<BTreeMap<String, Finding>>,
    digests: Mutex<HashMap<String, i64>>,
}

impl MemoryFindings {
    pub(crate) fn stored(&self, key: &str) -> Option<Finding> {
        self.findings.lock().unwrap().get(key).cloned()
    }
}

impl Findings for MemoryFindings {
    async fn get(&self, key: &str) -> Result<Option<Finding>, AwsFailure> {
        Ok(self.stored(key))
    }

    async fn put_newer(&self, f: &Finding) -> Result<Stored, AwsFailure> {
        let mut all = self.findings.lock().unwrap();
        if all
            .get(&f.key())
            .is_some_and(|old| old.ordering_ms >= f.ordering_ms)
        {
            return Ok(Stored::Stale);
        }
        all.insert(f.key(), f.clone());
        Ok(Stored::Written)
    }

    async fn clear_pending(&self, key: &str, ordering_ms: i64) -> Result<(), AwsFailure> {
        if let Some(f) = self.findings.lock().unwrap().get_mut(key)
            && f.ordering_ms == ordering_ms
        {
            f.pending = None;
        }
        Ok(())
    }

    async fn all(&self) -> Result<Vec<Finding>, AwsFailure> {
        Ok(self.findings.lock().unwrap().values().cloned().collect())
    }

    async fn last_digest(&self, account: &str) -> Result<Option<i64>, AwsFailure> {
        Ok(self.digests.lock().unwrap().get(account).copied())
    }

    async fn record_digest(&self, account: &str, at: i64) -> Result<(), AwsFailure> {
        self.digests.lock().unwrap().insert(account.to_string(), at);
        Ok(())
    }
}

/// A topic that keeps what was published, and can be told to fail the next publishes.
#[derive(Debug, Default)]
pub(crate) struct MemoryTopic {
    published: Mutex<Vec<Notice>>,
    failures_left: Mutex<u32>,
}

impl MemoryTopic {
    pub(crate) fn fail_next(&self, times: u32) {
        *self.failures_left.lock().unwrap() = times;
    }

    pub(crate) fn published(&self) -> Vec<Notice> {
        self.published.lock().unwrap().clone()
    }
}

impl Notifier for MemoryTopic {
    async fn publish(&self, notice: &Notice) -> Result<String, AwsFailure> {
        let mut failures = self.failures_left.lock().unwrap();
        if *failures > 0 {
            *failures -= 1;
            return Err(AwsFailure::incomplete(
                "sns:Publish",
                "the topic is unavailable",
            ));
        }
        let mut published = self.published.lock().unwrap();
        published.push(notice.clone());
        Ok(format!("msg-{}", published.len()))
    }
}
