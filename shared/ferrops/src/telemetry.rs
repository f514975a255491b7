//! Tracing setup: JSON logs, `RUST_LOG` honoured, secrets kept out.

use tracing_subscriber::EnvFilter;

/// Targets whose most verbose levels print secrets, with the most verbose level we allow them.
///
/// - `lambda_runtime` traces the raw event body, which for CodePipeline holds
///   `artifactCredentials`.
/// - `aws_sigv4` prints canonical requests, which include `x-amz-security-token`.
/// - the smithy runtime and HTTP stack trace whole requests and responses, including STS
///   `AssumeRole` responses that carry credentials.
///
/// These caps win over `RUST_LOG`: any directive aimed at or below one of these targets is dropped.
pub const SECRET_SAFE_CAPS: &[(&str, &str)] = &[
    ("lambda_runtime::layers::api_response", "debug"),
    ("aws_sigv4", "info"),
    ("aws_smithy_runtime", "debug"),
    ("aws_smithy_runtime_api", "debug"),
    ("aws_smithy_http_client", "debug"),
    ("aws_smithy_http", "debug"),
    ("aws_config", "debug"),
    ("hyper", "info"),
    ("hyper_util", "info"),
    ("h2", "info"),
    ("rustls", "info"),
];

/// Builds the log filter from a `RUST_LOG`-style spec (`None` means `info`), with
/// [`SECRET_SAFE_CAPS`] applied on top.
pub fn filter_from(spec: Option<&str>) -> EnvFilter {
    let kept: Vec<&str> = spec
        .unwrap_or("info")
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .filter(|d| {
            let target = d.split(['=', '[']).next().unwrap_or("");
            !SECRET_SAFE_CAPS.iter().any(|(guarded, _)| {
                target == *guarded || target.starts_with(&format!("{guarded}::"))
            })
        })
        .collect();
    let mut filter = EnvFilter::builder().parse_lossy(kept.join(","));
    for (target, level) in SECRET_SAFE_CAPS {
        if let Ok(directive) = format!("{target}={level}").parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// Installs the global subscriber: one JSON object per line on stdout, which CloudWatch Logs
/// indexes. The level comes from `RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`.
///
/// Calling it twice is harmless: the second call leaves the first subscriber in place.
pub fn init() {
    let spec = std::env::var("RUST_LOG").ok().or_else(|| {
        std::env::var("AWS_LAMBDA_LOG_LEVEL")
            .ok()
            .map(|l| l.to_lowercase())
    });
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter_from(spec.as_deref()))
        .with_current_span(false)
        .with_span_list(false)
        .with_target(true)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn capture(spec: &str, emit: impl FnOnce()) -> String {
        let buf = Buf::default();
        let out = buf.clone();
        let sub = tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter_from(Some(spec)))
            .with_writer(move || out.clone())
            .finish();
        tracing::subscriber::with_default(sub, emit);
        String::from_utf8(buf.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn runtime_body_trace_is_suppressed_even_when_rust_log_asks_for_it() {
        let logs = capture("trace,lambda_runtime::layers::api_response=trace", || {
            tracing::trace!(target: "lambda_runtime::layers::api_response", body = "SECRETKEY", "raw JSON event");
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "SECRETREQ");
            tracing::debug!(target: "aws_sigv4::http_request::sign", "SECRETSIG");
            tracing::trace!(target: "pipeline_runner", "ours");
        });
        assert!(!logs.contains("SECRETKEY"), "{logs}");
        assert!(!logs.contains("SECRETREQ"), "{logs}");
        assert!(!logs.contains("SECRETSIG"), "{logs}");
        assert!(
            logs.contains("ours"),
            "our own trace output must still pass: {logs}"
        );
    }

    #[test]
    fn logs_are_json_lines_and_default_to_info() {
        let logs = capture("info", || {
            tracing::info!(target: "pipeline_runner", job = "j-1", "reported");
            tracing::debug!(target: "pipeline_runner", "hidden");
        });
        let line = logs.lines().next().unwrap();
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["fields"]["job"], "j-1");
        assert!(!logs.contains("hidden"));
    }
}
