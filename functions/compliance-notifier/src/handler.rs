//! One invocation: a compliance change, or the scheduled digest.

use crate::change::{ComplianceChangeDetail, Transition, transition};
use crate::error::NotifierError;
use crate::notice::{digest_notice, transition_notice};
use crate::ports::{Findings, Notifier, Stored};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use ferrops::event::decode;
use serde::Serialize;
use std::collections::BTreeMap;

/// The `detail-type` of Config's compliance change events.
pub const COMPLIANCE_CHANGE: &str = "Config Rules Compliance Change";
/// The `detail-type` of EventBridge schedules.
pub const SCHEDULED: &str = "Scheduled Event";

/// What `InvalidEvent` errors call a payload that is not an EventBridge event.
const EVENTBRIDGE_EVENT: &str = "EventBridge event";
/// What they call a compliance change whose `detail` has the wrong shape.
const COMPLIANCE_CHANGE_DETAIL: &str = "compliance change detail";

/// What an invocation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Response {
    /// A transition was recorded and published.
    Notified {
        /// `newly_non_compliant` or `fixed`.
        transition: &'static str,
        /// The SNS message ID.
        message_id: String,
    },
    /// The change was recorded; it is not one admins are told about.
    Recorded,
    /// A result at least as new was already recorded (a redelivery or an out-of-order event).
    Stale,
    /// Digests went out.
    Digest {
        /// One entry per account: account → message ID.
        messages: BTreeMap<String, String>,
    },
}

/// The handler, over its ports.
pub struct Notifications<F, N> {
    /// The findings ledger.
    pub findings: F,
    /// The findings topic.
    pub notifier: N,
}

impl<F: Findings + Sync, N: Notifier + Sync> Notifications<F, N> {
    /// Handles one EventBridge event; `now` is seconds since the epoch.
    pub async fn handle(
        &self,
        event: serde_json::Value,
        now: i64,
    ) -> Result<Response, NotifierError> {
        let ev: EventBridgeEvent<serde_json::Value> = decode(EVENTBRIDGE_EVENT, event)?;
        match (ev.detail_type.as_str(), ev.source.as_str()) {
            (COMPLIANCE_CHANGE, "aws.config") => {
                let detail: ComplianceChangeDetail = decode(COMPLIANCE_CHANGE_DETAIL, ev.detail)?;
                self.change(&detail, now).await
            }
            (SCHEDULED, "aws.events") => self.digest(now).await,
            _ => Err(NotifierError::Unsupported {
                detail_type: ev.detail_type,
                source_name: ev.source,
            }),
        }
    }

    async fn notify(
        &self,
        f: &crate::change::Finding,
        t: Transition,
    ) -> Result<Response, NotifierError> {
        let notice = transition_notice(f, t, f.previous);
        let message_id = self.notifier.publish(&notice).await?;
        self.findings.clear_pending(&f.key(), f.ordering_ms).await?;
        tracing::info!(rule = %f.rule, resource = %f.resource_id, account = %f.account, transition = t.as_str(), message_id, "notified");
        Ok(Response::Notified {
            transition: t.as_str(),
            message_id,
        })
    }

    async fn change(
        &self,
        detail: &ComplianceChangeDetail,
        now: i64,
    ) -> Result<Response, NotifierError> {
        let mut new = detail.finding(now);
        let old = self.findings.get(&new.key()).await?;
        if let Some(old) = &old
            && old.ordering_ms >= new.ordering_ms
        {
            // The same result delivered again: finish a notification an earlier attempt left.
            if old.ordering_ms == new.ordering_ms
                && let Some(t) = old.pending
            {
                return self.notify(old, t).await;
            }
            return Ok(Response::Stale);
        }
        let previous = old
            .as_ref()
            .map(|o| o.compliance)
            .or_else(|| detail.old_compliance());
        let t = transition(previous, new.compliance);
        new.changed_at = match &old {
            Some(o) if previous == Some(new.compliance) => o.changed_at,
            _ => now,
        };
        new.previous = previous;
        new.pending = t;
        if self.findings.put_newer(&new).await? == Stored::Stale {
            return Ok(Response::Stale);
        }
        match t {
            Some(t) => self.notify(&new, t).await,
            None => Ok(Response::Recorded),
        }
    }

    async fn digest(&self, now: i64) -> Result<Response, NotifierError> {
        let all = self.findings.all().await?;
        let mut per_account: BTreeMap<&str, Vec<&crate::change::Finding>> = BTreeMap::new();
        for f in &all {
            per_account.entry(f.account.as_str()).or_default().push(f);
        }
        let mut messages = BTreeMap::new();
        for (account, findings) in per_account {
            let since = self.findings.last_digest(account).await?;
            let id = self
                .notifier
                .publish(&digest_notice(account, &findings, since, now))
                .await?;
            self.findings.record_digest(account, now).await?;
            messages.insert(account.to_string(), id);
        }
        tracing::info!(accounts = messages.len(), "digests sent");
        Ok(Response::Digest { messages })
    }
}

#[cfg(test)]
mod tests;
