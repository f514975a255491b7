//! The operators allow-list from Parameter Store, cached briefly.

use crate::operators::Operators;
use crate::ports::OperatorDirectory;
use aws_sdk_ssm::Client;
use ferrops::{AwsFailure, SdkResultExt};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a list read is trusted: an operator removed from the list loses access within this.
const CACHE_TTL: Duration = Duration::from_secs(60);

/// The parameter named by `OPERATORS_PARAM`: a JSON object of user ID → name, or user IDs
/// separated by commas or new lines (a `String`, `StringList` or `SecureString`).
pub struct OperatorsParameter {
    client: Client,
    name: Option<String>,
    cache: Mutex<Option<(Instant, Operators)>>,
}

impl OperatorsParameter {
    /// `name`: the parameter; `None` means nobody may operate.
    pub fn new(client: Client, name: Option<String>) -> Self {
        Self {
            client,
            name,
            cache: Mutex::new(None),
        }
    }
}

impl OperatorDirectory for OperatorsParameter {
    async fn operators(&self) -> Result<Operators, AwsFailure> {
        let Some(name) = &self.name else {
            return Ok(Operators::default());
        };
        if let Some((at, ops)) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && at.elapsed() < CACHE_TTL
        {
            return Ok(ops.clone());
        }
        let out = self
            .client
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .unless("ssm:GetParameter", |e| e.is_parameter_not_found())?;
        let ops = match out {
            Some(out) => {
                Operators::parse(out.parameter().and_then(|p| p.value()).unwrap_or_default())
            }
            None => {
                tracing::warn!(parameter = %name, "operators parameter does not exist; nobody may operate");
                Operators::default()
            }
        };
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), ops.clone()));
        Ok(ops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ssm::operation::get_parameter::{GetParameterError, GetParameterOutput};
    use aws_sdk_ssm::types::Parameter;
    use aws_sdk_ssm::types::error::ParameterNotFound;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    const NAME: &str = "/ferrops/alexa/operators";

    fn parameter(rules: &[&Rule], name: Option<&str>) -> OperatorsParameter {
        OperatorsParameter::new(
            mock_client!(aws_sdk_ssm, RuleMode::MatchAny, rules),
            name.map(str::to_string),
        )
    }

    fn listing(value: &'static str) -> Rule {
        mock!(Client::get_parameter)
            .match_requests(|r| r.name() == Some(NAME) && r.with_decryption() == Some(true))
            .then_output(move || {
                GetParameterOutput::builder()
                    .parameter(Parameter::builder().name(NAME).value(value).build())
                    .build()
            })
    }

    #[tokio::test]
    async fn the_list_is_read_decrypted_and_then_served_from_the_cache() {
        let rule = listing(r#"{"amzn1.ask.account.A": "Ada Lovelace"}"#);
        let directory = parameter(&[&rule], Some(NAME));
        for _ in 0..3 {
            let ops = directory.operators().await.unwrap();
            assert!(ops.allows(Some("amzn1.ask.account.A")));
            assert!(!ops.allows(Some("amzn1.ask.account.B")));
        }
        assert_eq!(rule.num_calls(), 1, "read once within {CACHE_TTL:?}");
    }

    #[tokio::test]
    async fn a_missing_parameter_allows_nobody() {
        let rule = mock!(Client::get_parameter).then_error(|| {
            GetParameterError::ParameterNotFound(ParameterNotFound::builder().build())
        });
        let ops = parameter(&[&rule], Some(NAME)).operators().await.unwrap();
        assert!(!ops.allows(Some("amzn1.ask.account.A")));
    }

    #[tokio::test]
    async fn without_a_parameter_nobody_may_operate_and_nothing_is_read() {
        let rule = listing("amzn1.ask.account.A");
        let ops = parameter(&[&rule], None).operators().await.unwrap();
        assert!(!ops.allows(Some("amzn1.ask.account.A")));
        assert_eq!(rule.num_calls(), 0);
    }
}
