//! The operators allow-list from Parameter Store, cached briefly.

use crate::operators::Operators;
use crate::ports::OperatorDirectory;
use aws_sdk_ssm::Client;
use ferrops::AwsFailure;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a read list is trusted: an operator removed from the list loses access within this.
pub const CACHE_TTL: Duration = Duration::from_secs(60);

/// The parameter named by `OPERATORS_PARAM`.
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
        let res = self
            .client
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await;
        let ops = match res {
            Ok(out) => {
                Operators::parse(out.parameter().and_then(|p| p.value()).unwrap_or_default())
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_parameter_not_found()) =>
            {
                tracing::warn!(parameter = %name, "operators parameter does not exist; nobody may operate");
                Operators::default()
            }
            Err(e) => return Err(AwsFailure::from_sdk("ssm:GetParameter", e)),
        };
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), ops.clone()));
        Ok(ops)
    }
}
