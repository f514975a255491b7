//! Persistent attributes in DynamoDB: one item per user, partition key `id` = the Alexa user ID,
//! the attributes as a JSON document in `attributes`.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use ferrops::AwsFailure;
use ferrops_alexa::skill::{BoxFuture, PersistenceAdapter, SkillError};
use serde_json::{Map, Value};

/// The `SKILL_TABLE` table.
pub struct SkillTable {
    client: Client,
    table: String,
}

impl SkillTable {
    /// The table `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl PersistenceAdapter for SkillTable {
    fn load<'a>(
        &'a self,
        user_id: &'a str,
    ) -> BoxFuture<'a, Result<Map<String, Value>, SkillError>> {
        Box::pin(async move {
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("id", AttributeValue::S(user_id.to_string()))
                .send()
                .await
                .map_err(|e| {
                    SkillError::failed(
                        "loading persistent attributes",
                        AwsFailure::from_sdk("dynamodb:GetItem", e),
                    )
                })?;
            let text = out
                .item()
                .and_then(|i| i.get("attributes"))
                .and_then(|v| v.as_s().ok());
            Ok(match text.map(|t| serde_json::from_str::<Value>(t)) {
                Some(Ok(Value::Object(m))) => m,
                Some(_) => {
                    tracing::warn!("stored attributes are not a JSON object; starting afresh");
                    Map::new()
                }
                None => Map::new(),
            })
        })
    }

    fn save<'a>(
        &'a self,
        user_id: &'a str,
        attributes: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), SkillError>> {
        Box::pin(async move {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            self.client
                .put_item()
                .table_name(&self.table)
                .item("id", AttributeValue::S(user_id.to_string()))
                .item(
                    "attributes",
                    AttributeValue::S(Value::Object(attributes.clone()).to_string()),
                )
                .item("updated_at", AttributeValue::N(now.to_string()))
                .send()
                .await
                .map_err(|e| {
                    SkillError::failed(
                        "saving persistent attributes",
                        AwsFailure::from_sdk("dynamodb:PutItem", e),
                    )
                })?;
            Ok(())
        })
    }
}
