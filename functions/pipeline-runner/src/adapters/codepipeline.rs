//! CodePipeline job results through `aws-sdk-codepipeline`.

use crate::decide::{FailureKind, Outcome};
use crate::ports::{JobResults, ReportError, Reported};
use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::error::SdkError;
use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultError;
use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultError;
use aws_sdk_codepipeline::types::{ExecutionDetails, FailureDetails, FailureType};
use ferrops::AwsFailure;

/// Reports job results with `PutJobSuccessResult` and `PutJobFailureResult`.
#[derive(Debug, Clone)]
pub struct Results {
    client: Client,
}

impl Results {
    /// Results reported through `client`, in the pipeline's account and region.
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

/// What a failed result call means for the job.
enum Refusal {
    AlreadyReported,
    JobNotFound(AwsFailure),
    Other(AwsFailure),
}

fn settle(job_id: &str, res: Result<(), Refusal>) -> Result<Reported, ReportError> {
    match res {
        Ok(()) => Ok(Reported::Accepted),
        Err(Refusal::AlreadyReported) => Ok(Reported::AlreadyReported),
        Err(Refusal::JobNotFound(source)) => Err(ReportError::JobNotFound {
            job_id: job_id.to_string(),
            source,
        }),
        Err(Refusal::Other(source)) => Err(ReportError::Failed {
            job_id: job_id.to_string(),
            source,
        }),
    }
}

fn success_refusal(e: SdkError<PutJobSuccessResultError>) -> Refusal {
    match e.as_service_error() {
        Some(se) if se.is_invalid_job_state_exception() => Refusal::AlreadyReported,
        Some(se) if se.is_job_not_found_exception() => {
            Refusal::JobNotFound(AwsFailure::from_sdk(SUCCESS_OP, e))
        }
        _ => Refusal::Other(AwsFailure::from_sdk(SUCCESS_OP, e)),
    }
}

fn failure_refusal(e: SdkError<PutJobFailureResultError>) -> Refusal {
    match e.as_service_error() {
        Some(se) if se.is_invalid_job_state_exception() => Refusal::AlreadyReported,
        Some(se) if se.is_job_not_found_exception() => {
            Refusal::JobNotFound(AwsFailure::from_sdk(FAILURE_OP, e))
        }
        _ => Refusal::Other(AwsFailure::from_sdk(FAILURE_OP, e)),
    }
}

const SUCCESS_OP: &str = "codepipeline:PutJobSuccessResult";
const FAILURE_OP: &str = "codepipeline:PutJobFailureResult";

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
                    .map(|_| ())
                    .map_err(success_refusal);
                settle(job_id, res)
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
                let res = call.send().await.map(|_| ()).map_err(success_refusal);
                settle(job_id, res)
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
                        source: AwsFailure::unbuildable(FAILURE_OP, e),
                    })?;
                let res = self
                    .client
                    .put_job_failure_result()
                    .job_id(job_id)
                    .failure_details(details)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(failure_refusal);
                settle(job_id, res)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::{FailureMessage, Summary};
    use crate::token::Token;
    use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultOutput;
    use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultOutput;
    use aws_sdk_codepipeline::types::error::{InvalidJobStateException, JobNotFoundException};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    const JOB: &str = "11111111-abcd-1111-abcd-111111abcdef";
    const CMD: &str = "0b2f8a1c-1234-4abc-9def-0123456789ab";

    fn token() -> Token {
        Token {
            v: 1,
            job: JOB.into(),
            cmd: Some(CMD.into()),
            start: 1,
            exec: 3600,
            dlv: 600,
            checks: 2,
        }
    }

    #[tokio::test]
    async fn in_progress_sends_a_continuation_token_and_no_output_variables() {
        let expected = token().encode();
        let rule = mock!(Client::put_job_success_result)
            .match_requests(move |r| {
                let d = r.execution_details().unwrap();
                r.job_id() == Some(JOB)
                    && r.continuation_token() == Some(expected.as_str())
                    && r.output_variables().is_none()
                    && d.summary() == Some("running")
                    && d.percent_complete() == Some(50)
                    && d.external_execution_id() == Some(CMD)
            })
            .then_output(|| PutJobSuccessResultOutput::builder().build());
        let client = mock_client!(aws_sdk_codepipeline, [&rule]);
        let outcome = Outcome::InProgress {
            token: token(),
            summary: Summary::new("running"),
            percent: 50,
        };
        let r = Results::new(client).report(JOB, &outcome).await.unwrap();
        assert_eq!(r, Reported::Accepted);
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn success_sends_no_token_with_summary_and_variables() {
        let rule = mock!(Client::put_job_success_result)
            .match_requests(|r| {
                let vars = r.output_variables().unwrap();
                let d = r.execution_details().unwrap();
                r.continuation_token().is_none()
                    && vars.get("commandId").map(String::as_str) == Some(CMD)
                    && vars.get("VERSION").map(String::as_str) == Some("1.2.3")
                    && d.summary() == Some("all tests passed")
                    && d.external_execution_id() == Some(CMD)
            })
            .then_output(|| PutJobSuccessResultOutput::builder().build());
        let client = mock_client!(aws_sdk_codepipeline, [&rule]);
        let outcome = Outcome::Succeeded {
            command_id: CMD.into(),
            summary: Summary::new("all tests passed"),
            variables: vec![
                ("commandId".into(), CMD.into()),
                ("VERSION".into(), "1.2.3".into()),
            ],
        };
        Results::new(client).report(JOB, &outcome).await.unwrap();
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn failure_sends_the_type_and_message() {
        for (kind, wire) in [
            (FailureKind::JobFailed, FailureType::JobFailed),
            (
                FailureKind::ConfigurationError,
                FailureType::ConfigurationError,
            ),
            (FailureKind::PermissionError, FailureType::PermissionError),
            (
                FailureKind::SystemUnavailable,
                FailureType::SystemUnavailable,
            ),
        ] {
            let w = wire.clone();
            let rule = mock!(Client::put_job_failure_result)
                .match_requests(move |r| {
                    let f = r.failure_details().unwrap();
                    r.job_id() == Some(JOB)
                        && f.r#type() == &w
                        && f.message() == "exit code 2"
                        && f.external_execution_id() == Some(CMD)
                })
                .then_output(|| PutJobFailureResultOutput::builder().build());
            let client = mock_client!(aws_sdk_codepipeline, [&rule]);
            let outcome = Outcome::Failed {
                kind,
                message: FailureMessage::new("exit code 2"),
                command_id: Some(CMD.into()),
            };
            Results::new(client).report(JOB, &outcome).await.unwrap();
            assert_eq!(rule.num_calls(), 1, "{wire:?}");
        }
    }

    #[tokio::test]
    async fn invalid_job_state_means_already_reported() {
        let rule = mock!(Client::put_job_failure_result).then_error(|| {
            PutJobFailureResultError::InvalidJobStateException(
                InvalidJobStateException::builder()
                    .message("job is completed")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_codepipeline, [&rule]);
        let outcome = Outcome::failed(FailureKind::JobFailed, "x", None);
        assert_eq!(
            Results::new(client).report(JOB, &outcome).await.unwrap(),
            Reported::AlreadyReported
        );
    }

    #[tokio::test]
    async fn job_not_found_is_an_error_naming_the_job() {
        let rule = mock!(Client::put_job_success_result).then_error(|| {
            PutJobSuccessResultError::JobNotFoundException(JobNotFoundException::builder().build())
        });
        let client = mock_client!(aws_sdk_codepipeline, [&rule]);
        let outcome = Outcome::InProgress {
            token: token(),
            summary: Summary::new("x"),
            percent: 0,
        };
        let err = Results::new(client)
            .report(JOB, &outcome)
            .await
            .unwrap_err();
        assert!(matches!(err, ReportError::JobNotFound { .. }));
        assert!(err.to_string().contains(JOB));
    }

    #[tokio::test]
    async fn server_errors_are_report_failures() {
        let rule = mock!(Client::put_job_success_result).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(500).unwrap(),
                aws_smithy_types::body::SdkBody::from("{}"),
            )
        });
        let client = mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, [&rule]);
        let outcome = Outcome::InProgress {
            token: token(),
            summary: Summary::new("x"),
            percent: 0,
        };
        let err = Results::new(client)
            .report(JOB, &outcome)
            .await
            .unwrap_err();
        let ReportError::Failed { source, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(source.class, ferrops::FailureClass::Unavailable);
    }
}
