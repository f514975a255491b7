//! The job ledger in DynamoDB: one item per job, `pk` = `job#<job id>`, TTL on `expires_at`.

use crate::ports::{Claim, JobLedger, LedgerEntry};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use ferrops::AwsFailure;
use std::collections::HashMap;

/// How long ledger items live: a Lambda action lasts at most 24 h and Lambda retries an async
/// event for up to 6 h, so two days covers every redelivery.
pub const TTL_SECONDS: u64 = 2 * 24 * 3600;

const SENDING: &str = "sending";
const SENT: &str = "sent";

/// The DynamoDB-backed ledger.
#[derive(Debug, Clone)]
pub struct Ledger {
    client: Client,
    table: String,
}

impl Ledger {
    /// A ledger in `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn key(job_id: &str) -> AttributeValue {
        AttributeValue::S(format!("job#{job_id}"))
    }
}

fn num(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn read_entry(item: &HashMap<String, AttributeValue>) -> LedgerEntry {
    let n = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_n().ok())
            .and_then(|s| s.parse().ok())
    };
    LedgerEntry {
        command_id: item.get("command_id").and_then(|v| v.as_s().ok()).cloned(),
        claimed_at: n("claimed_at").unwrap_or(0),
        sent_at: n("sent_at"),
    }
}

impl JobLedger for Ledger {
    async fn claim(&self, job_id: &str, now: u64) -> Result<Claim, AwsFailure> {
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", Self::key(job_id))
            .item("state", AttributeValue::S(SENDING.into()))
            .item("claimed_at", num(now))
            .item("expires_at", num(now + TTL_SECONDS))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match res {
            Ok(_) => Ok(Claim::Won),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                let entry = self.lookup(job_id).await?.unwrap_or(LedgerEntry {
                    command_id: None,
                    claimed_at: now,
                    sent_at: None,
                });
                Ok(Claim::Taken(entry))
            }
            Err(e) => Err(AwsFailure::from_sdk("dynamodb:PutItem", e)),
        }
    }

    async fn record(&self, job_id: &str, command_id: &str, now: u64) -> Result<(), AwsFailure> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", Self::key(job_id))
            .update_expression("SET #state = :sent, command_id = :cmd, sent_at = :now")
            .condition_expression("#state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sent", AttributeValue::S(SENT.into()))
            .expression_attribute_values(":sending", AttributeValue::S(SENDING.into()))
            .expression_attribute_values(":cmd", AttributeValue::S(command_id.into()))
            .expression_attribute_values(":now", num(now))
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("dynamodb:UpdateItem", e))?;
        Ok(())
    }

    async fn release(&self, job_id: &str) -> Result<(), AwsFailure> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", Self::key(job_id))
            .condition_expression("#state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sending", AttributeValue::S(SENDING.into()))
            .send()
            .await;
        match res {
            // Already sent or already gone: nothing to give up.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(AwsFailure::from_sdk("dynamodb:DeleteItem", e)),
            Ok(_) => Ok(()),
        }
    }

    async fn lookup(&self, job_id: &str) -> Result<Option<LedgerEntry>, AwsFailure> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", Self::key(job_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("dynamodb:GetItem", e))?;
        Ok(out.item().map(read_entry))
    }
}
