//! Loading the AWS SDK configuration, once per container.

use aws_config::BehaviorVersion;
pub use aws_config::SdkConfig;
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// Loads the SDK configuration from the environment.
///
/// This is `aws_config`'s default loader, so it honours `AWS_REGION`, `AWS_ENDPOINT_URL` and the
/// per-service `AWS_ENDPOINT_URL_<SERVICE>` variables (for example
/// `AWS_ENDPOINT_URL_CODEPIPELINE`), and `AWS_MAX_ATTEMPTS`. Call it once in `main` and build
/// every client from the result.
///
/// The HTTPS client is the SDK's own (hyper, rustls with aws-lc) but sets up TLS on its first
/// request rather than when a client is built: see [`DeferredTlsClient`].
///
/// When the environment holds credentials, as Lambda's always does, they are read from there
/// directly: building the default credentials chain would set up profile, SSO, web-identity, ECS
/// and IMDS providers with their HTTPS clients at start-up, only to use the first. Elsewhere
/// the default chain applies.
pub async fn load() -> SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(DeferredTlsClient::new());
    if has_env_credentials(|k| std::env::var_os(k).is_some()) {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    loader.load().await
}

/// The SDK's HTTPS client, with its TLS set-up (loading the platform's root certificates) left to
/// the first request.
///
/// The SDK builds the connector as soon as a client is created, so that the certificates load
/// during initialisation. A function that may answer without calling AWS at all (an Alexa fact,
/// a help prompt) should not pay for that, and one that does pays it once on its first call either
/// way; so the eager validation step is skipped and everything else delegated.
#[derive(Debug, Clone)]
pub struct DeferredTlsClient(SharedHttpClient);

impl DeferredTlsClient {
    /// The SDK's default HTTPS client: hyper 1.x with rustls on aws-lc.
    pub fn new() -> Self {
        Self(
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::AwsLc,
                ))
                .build_https(),
        )
    }
}

impl Default for DeferredTlsClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient for DeferredTlsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// Whether the variables the environment credentials provider needs are set.
fn has_env_credentials(is_set: impl Fn(&str) -> bool) -> bool {
    is_set("AWS_ACCESS_KEY_ID") && is_set("AWS_SECRET_ACCESS_KEY")
}

/// The region of a loaded configuration, or `us-east-1` when none is configured.
pub fn region_of(config: &SdkConfig) -> String {
    config
        .region()
        .map(|r| r.as_ref().to_string())
        .unwrap_or_else(|| "us-east-1".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_credentials_need_both_keys() {
        assert!(has_env_credentials(
            |k| k == "AWS_ACCESS_KEY_ID" || k == "AWS_SECRET_ACCESS_KEY"
        ));
        assert!(!has_env_credentials(|k| k == "AWS_ACCESS_KEY_ID"));
        assert!(!has_env_credentials(|_| false));
    }
}
