//! The job ledger in DynamoDB: one item per job, `pk` = `job#<job id>`, TTL on `expires_at`.

use crate::ports::{Claim, JobLedger, LedgerEntry};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use ferrops::dynamodb::{Item, n, number, s, string};
use ferrops::{AwsFailure, SdkResultExt};

/// How long ledger items live: a Lambda action lasts at most 24 h and Lambda retries an async
/// event for up to 6 h, so two days covers every redelivery.
pub const TTL_SECONDS: u64 = 2 * 24 * 3600;

/// The `state` of a claim whose command is not recorded yet; only such a claim may record a
/// command or be released.
const SENDING: &str = "sending";
/// The `state` once the command is recorded.
const SENT: &str = "sent";

/// The DynamoDB-backed ledger. Conditional writes make the claim, the record and the release
/// safe against concurrent deliveries of the same job.
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
        s(format!("job#{job_id}"))
    }
}

/// Reads an entry; a malformed number reads as absent rather than failing the job.
fn read_entry(item: &Item) -> LedgerEntry {
    LedgerEntry {
        command_id: string(item, "command_id").map(str::to_string),
        claimed_at: number(item, "claimed_at").unwrap_or(0),
        sent_at: number(item, "sent_at"),
    }
}

impl JobLedger for Ledger {
    async fn claim(&self, job_id: &str, now: u64) -> Result<Claim, AwsFailure> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", Self::key(job_id))
            .item("state", s(SENDING))
            .item("claimed_at", n(now))
            .item("expires_at", n(now + TTL_SECONDS))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .unless("dynamodb:PutItem", |e| {
                e.is_conditional_check_failed_exception()
            })?;
        if put.is_some() {
            return Ok(Claim::Won);
        }
        let entry = self.lookup(job_id).await?.unwrap_or(LedgerEntry {
            command_id: None,
            claimed_at: now,
            sent_at: None,
        });
        Ok(Claim::Taken(entry))
    }

    async fn record(&self, job_id: &str, command_id: &str, now: u64) -> Result<(), AwsFailure> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", Self::key(job_id))
            .update_expression("SET #state = :sent, command_id = :cmd, sent_at = :now")
            .condition_expression("#state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sent", s(SENT))
            .expression_attribute_values(":sending", s(SENDING))
            .expression_attribute_values(":cmd", s(command_id))
            .expression_attribute_values(":now", n(now))
            .send()
            .await
            .or_failure("dynamodb:UpdateItem")?;
        Ok(())
    }

    async fn release(&self, job_id: &str) -> Result<(), AwsFailure> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", Self::key(job_id))
            .condition_expression("#state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sending", s(SENDING))
            .send()
            .await
            // Already sent or already gone: nothing to give up.
            .unless("dynamodb:DeleteItem", |e| {
                e.is_conditional_check_failed_exception()
            })?;
        Ok(())
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
            .or_failure("dynamodb:GetItem")?;
        Ok(out.item().map(read_entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::delete_item::{DeleteItemError, DeleteItemOutput};
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use ferrops::FailureClass;

    const JOB: &str = "11111111-abcd-1111-abcd-111111abcdef";
    const CMD: &str = "0b2f8a1c-1234-4abc-9def-0123456789ab";
    const NOW: u64 = 1_700_000_000;

    fn key() -> AttributeValue {
        AttributeValue::S(format!("job#{JOB}"))
    }

    #[tokio::test]
    async fn a_claim_is_a_put_only_if_the_job_has_no_item() {
        let put = mock!(Client::put_item)
            .match_requests(|r| {
                let item = r.item().unwrap();
                r.table_name() == Some("ledger")
                    && r.condition_expression() == Some("attribute_not_exists(pk)")
                    && item["pk"] == key()
                    && item["state"] == AttributeValue::S("sending".into())
                    && item["claimed_at"] == AttributeValue::N(NOW.to_string())
                    && item["expires_at"] == AttributeValue::N((NOW + TTL_SECONDS).to_string())
            })
            .then_output(|| PutItemOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, [&put]);
        let claim = Ledger::new(client, "ledger").claim(JOB, NOW).await.unwrap();
        assert_eq!(claim, Claim::Won);
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_taken_claim_reads_the_entry_with_a_consistent_read() {
        let taken = mock!(Client::put_item).then_error(|| {
            PutItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder().build(),
            )
        });
        let get = mock!(Client::get_item)
            .match_requests(|r| {
                r.table_name() == Some("ledger")
                    && r.consistent_read() == Some(true)
                    && r.key().unwrap()["pk"] == key()
            })
            .then_output(|| {
                GetItemOutput::builder()
                    .item("pk", key())
                    .item("command_id", AttributeValue::S(CMD.into()))
                    .item("claimed_at", AttributeValue::N((NOW - 10).to_string()))
                    .item("sent_at", AttributeValue::N((NOW - 9).to_string()))
                    .build()
            });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&taken, &get]);
        let claim = Ledger::new(client, "ledger").claim(JOB, NOW).await.unwrap();
        assert_eq!(
            claim,
            Claim::Taken(LedgerEntry {
                command_id: Some(CMD.into()),
                claimed_at: NOW - 10,
                sent_at: Some(NOW - 9),
            })
        );
        assert_eq!(get.num_calls(), 1);
    }

    #[tokio::test]
    async fn recording_sets_the_command_only_on_an_unsent_claim() {
        let update = mock!(Client::update_item)
            .match_requests(|r| {
                let values = r.expression_attribute_values().unwrap();
                r.key().unwrap()["pk"] == key()
                    && r.condition_expression() == Some("#state = :sending")
                    && r.expression_attribute_names().unwrap()["#state"] == "state"
                    && values[":sending"] == AttributeValue::S("sending".into())
                    && values[":sent"] == AttributeValue::S("sent".into())
                    && values[":cmd"] == AttributeValue::S(CMD.into())
                    && values[":now"] == AttributeValue::N(NOW.to_string())
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, [&update]);
        Ledger::new(client, "ledger")
            .record(JOB, CMD, NOW)
            .await
            .unwrap();
        assert_eq!(update.num_calls(), 1);
    }

    #[tokio::test]
    async fn releasing_deletes_only_an_unsent_claim_and_a_failed_condition_is_no_error() {
        let delete = mock!(Client::delete_item)
            .match_requests(|r| {
                r.key().unwrap()["pk"] == key()
                    && r.condition_expression() == Some("#state = :sending")
                    && r.expression_attribute_values().unwrap()[":sending"]
                        == AttributeValue::S("sending".into())
            })
            .then_output(|| DeleteItemOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, [&delete]);
        Ledger::new(client, "ledger").release(JOB).await.unwrap();
        assert_eq!(delete.num_calls(), 1);

        let sent = mock!(Client::delete_item).then_error(|| {
            DeleteItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder().build(),
            )
        });
        let client = mock_client!(aws_sdk_dynamodb, [&sent]);
        Ledger::new(client, "ledger").release(JOB).await.unwrap();
    }

    #[tokio::test]
    async fn other_claim_failures_are_aws_failures_of_the_put() {
        let down = mock!(Client::put_item).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(503).unwrap(),
                aws_smithy_types::body::SdkBody::from("{}"),
            )
        });
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&down]);
        let err = Ledger::new(client, "ledger")
            .claim(JOB, NOW)
            .await
            .unwrap_err();
        assert_eq!(err.operation, "dynamodb:PutItem");
        assert_eq!(err.class, FailureClass::Unavailable);
    }
}
