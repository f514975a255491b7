//! Attributes per user in DynamoDB: one item per user, partition key `id` = the Alexa user ID,
//! the attributes as one JSON document in `attributes`, and `updated_at` in epoch seconds.

use crate::ports::AttributeStore;
use aws_sdk_dynamodb::Client;
use ferrops::dynamodb::{n, s, string};
use ferrops::{AwsFailure, SdkResultExt};
use serde_json::{Map, Value};

/// The table named by `SKILL_TABLE`.
pub struct SkillTable {
    client: Client,
    table: String,
}

impl SkillTable {
    /// The table `table`, through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl AttributeStore for SkillTable {
    async fn load(&self, user_id: &str) -> Result<Map<String, Value>, AwsFailure> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", s(user_id))
            .send()
            .await
            .or_failure("dynamodb:GetItem")?;
        let text = out.item().and_then(|item| string(item, "attributes"));
        Ok(match text.map(serde_json::from_str::<Value>) {
            Some(Ok(Value::Object(attributes))) => attributes,
            // A damaged document costs the user their history, not every future fact.
            Some(_) => {
                tracing::warn!("stored attributes are not a JSON object; starting afresh");
                Map::new()
            }
            None => Map::new(),
        })
    }

    async fn save(
        &self,
        user_id: &str,
        attributes: &Map<String, Value>,
        now: u64,
    ) -> Result<(), AwsFailure> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("id", s(user_id))
            .item(
                "attributes",
                s(Value::Object(attributes.clone()).to_string()),
            )
            .item("updated_at", n(now))
            .send()
            .await
            .or_failure("dynamodb:PutItem")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;
    use ferrops::FailureClass;
    use serde_json::json;

    const USER: &str = "amzn1.ask.account.A";

    fn table(rules: &[&Rule]) -> SkillTable {
        SkillTable::new(
            mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules),
            "skill-attributes",
        )
    }

    fn stored(attributes: &str) -> Rule {
        let attributes = attributes.to_string();
        mock!(Client::get_item)
            .match_requests(|r| {
                r.table_name() == Some("skill-attributes")
                    && r.key().and_then(|k| k.get("id")) == Some(&AttributeValue::S(USER.into()))
            })
            .then_output(move || {
                GetItemOutput::builder()
                    .item("id", s(USER))
                    .item("attributes", s(attributes.clone()))
                    .build()
            })
    }

    #[tokio::test]
    async fn the_users_document_is_read_by_their_user_id() {
        let rule = stored(r#"{"heard": {"en-US": [1, 4]}}"#);
        let attributes = table(&[&rule]).load(USER).await.unwrap();
        assert_eq!(rule.num_calls(), 1);
        assert_eq!(
            Value::Object(attributes),
            json!({"heard": {"en-US": [1, 4]}})
        );
    }

    #[tokio::test]
    async fn a_new_user_and_a_damaged_document_both_start_empty() {
        let none = mock!(Client::get_item).then_output(|| GetItemOutput::builder().build());
        assert!(table(&[&none]).load(USER).await.unwrap().is_empty());
        let damaged = stored("[1, 2]");
        assert!(table(&[&damaged]).load(USER).await.unwrap().is_empty());
        let broken = stored("{");
        assert!(table(&[&broken]).load(USER).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn saving_writes_the_document_stamped_with_the_given_time() {
        let put = mock!(Client::put_item)
            .match_requests(|r| {
                let item = r.item().unwrap();
                let document: Value =
                    serde_json::from_str(item["attributes"].as_s().unwrap()).unwrap();
                r.table_name() == Some("skill-attributes")
                    && item["id"] == AttributeValue::S(USER.into())
                    && document == json!({"heard": {"de-DE": [3]}})
                    && item["updated_at"] == AttributeValue::N("1767225600".into())
            })
            .then_output(|| PutItemOutput::builder().build());
        let attributes = json!({"heard": {"de-DE": [3]}})
            .as_object()
            .unwrap()
            .clone();
        table(&[&put])
            .save(USER, &attributes, 1_767_225_600)
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_refused_write_is_an_access_denied_failure_of_put_item() {
        let denied = mock!(Client::put_item).then_error(|| {
            PutItemError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("not allowed")
                    .build(),
            )
        });
        let err = table(&[&denied])
            .save(USER, &Map::new(), 1)
            .await
            .unwrap_err();
        assert_eq!(err.operation, "dynamodb:PutItem");
        assert_eq!(err.class, FailureClass::AccessDenied);
    }
}
