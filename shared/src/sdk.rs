//! Loading the AWS SDK configuration, once per container.

use aws_config::BehaviorVersion;
pub use aws_config::SdkConfig;

/// Loads the SDK configuration from the environment.
///
/// This is `aws_config`'s default chain, so it honours `AWS_REGION`, the Lambda-provided
/// credentials, `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_<SERVICE>` variables
/// (for example `AWS_ENDPOINT_URL_CODEPIPELINE`), and `AWS_MAX_ATTEMPTS`. Call it once in
/// `main` and build every client from the result; credentials are resolved lazily on first use.
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// The region of a loaded configuration, or `us-east-1` when none is configured.
pub fn region_of(config: &SdkConfig) -> String {
    config
        .region()
        .map(|r| r.as_ref().to_string())
        .unwrap_or_else(|| "us-east-1".to_string())
}
