//! CodePipeline job results through `aws-sdk-codepipeline`.

use crate::decide::{FailureKind, Outcome};
use crate::ports::{JobResults, ReportError, Reported};
use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::error::SdkError;
use aws_sdk_codepipeline::types::{ExecutionDetails, FailureDetails, FailureType};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use ferrops::AwsFailure;

/// Reports job results.
#[derive(Debug, Clone)]
pub struct Results {
    client: Client,
}

impl Results {
    /// Wraps a client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn failure_type(kind: FailureKind) -> FailureType {
    match kind {
        FailureKind::JobFailed => FailureType::JobFailed,
        FailureKind::ConfigurationError => FailureType::ConfigurationError,
        FailureKind::PermissionError => FailureType::PermissionError,
        FailureKind::SystemUnavailable => FailureType::SystemUnavailable,
    }
}

fn settle<E>(
    job_id: &str,
    operation: &'static str,
    res: Result<(), SdkError<E>>,
) -> Result<Reported, ReportError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match res {
        Ok(()) => Ok(Reported::Accepted),
        Err(e) => {
            let f = AwsFailure::from_sdk(operation, e);
            if f.has_code("InvalidJobStateException") {
                Ok(Reported::AlreadyReported)
            } else if f.has_code("JobNotFoundException") {
                Err(ReportError::JobNotFound {
                    job_id: job_id.to_string(),
                    source: f,
                })
            } else {
                Err(ReportError::Failed {
                    job_id: job_id.to_string(),
                    source: f,
                })
            }
        }
    }
}

impl JobResults for Results {
    async fn report(&self, job_id: &str, outcome: &Outcome) -> Result<Reported, ReportError> {
        match outcome {
            Outcome::InProgress {
                token,
                summary,
                percent,
            } => {
                let mut details = ExecutionDetails::builder()
                    .summary(summary.as_str())
                    .percent_complete(i32::from(*percent));
                if let Some(cmd) = &token.cmd {
                    details = details.external_execution_id(cmd);
                }
                let res = self
                    .client
                    .put_job_success_result()
                    .job_id(job_id)
                    .continuation_token(token.encode())
                    .execution_details(details.build())
                    .send()
                    .await
                    .map(|_| ());
                settle(job_id, "codepipeline:PutJobSuccessResult", res)
            }
            Outcome::Succeeded {
                command_id,
                summary,
                variables,
            } => {
                let mut call = self
                    .client
                    .put_job_success_result()
                    .job_id(job_id)
                    .execution_details(
                        ExecutionDetails::builder()
                            .summary(summary.as_str())
                            .external_execution_id(command_id)
                            .percent_complete(100)
                            .build(),
                    );
                for (name, value) in variables {
                    call = call.output_variables(name, value);
                }
                let res = call.send().await.map(|_| ());
                settle(job_id, "codepipeline:PutJobSuccessResult", res)
            }
            Outcome::Failed {
                kind,
                message,
                command_id,
            } => {
                let details = FailureDetails::builder()
                    .r#type(failure_type(*kind))
                    .message(message.as_str())
                    .set_external_execution_id(command_id.clone())
                    .build()
                    .map_err(|e| ReportError::Failed {
                        job_id: job_id.to_string(),
                        source: AwsFailure {
                            operation: "codepipeline:PutJobFailureResult",
                            class: ferrops::FailureClass::Rejected,
                            code: None,
                            message: e.to_string(),
                            source: Box::new(e),
                        },
                    })?;
                let res = self
                    .client
                    .put_job_failure_result()
                    .job_id(job_id)
                    .failure_details(details)
                    .send()
                    .await
                    .map(|_| ());
                settle(job_id, "codepipeline:PutJobFailureResult", res)
            }
        }
    }
}
