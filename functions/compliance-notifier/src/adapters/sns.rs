//! SNS through `aws-sdk-sns`.

use crate::notice::Notice;
use crate::ports::Notifier;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use ferrops::{AwsFailure, SdkResultExt};

/// Publishes to one topic.
#[derive(Debug, Clone)]
pub struct Topic {
    client: Client,
    arn: String,
}

impl Topic {
    /// The topic `arn`.
    pub fn new(client: Client, arn: impl Into<String>) -> Self {
        Self {
            client,
            arn: arn.into(),
        }
    }
}

impl Notifier for Topic {
    async fn publish(&self, notice: &Notice) -> Result<String, AwsFailure> {
        let mut call = self
            .client
            .publish()
            .topic_arn(&self.arn)
            .subject(&notice.subject)
            .message(&notice.body);
        for (k, v) in &notice.attributes {
            let attr = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .map_err(|e| AwsFailure::unbuildable("sns:Publish", e))?;
            call = call.message_attributes(k, attr);
        }
        let out = call.send().await.or_failure("sns:Publish")?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}
