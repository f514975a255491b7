//! The CodePipeline job event, reduced to what this function needs.
//!
//! `aws_lambda_events`' types derive `Debug` over `artifactCredentials`, so the raw event must
//! never be logged or kept. [`Job::from_event`] copies out the fields we use and drops the rest,
//! credentials included: the instance downloads artifacts with its own role.

use crate::command::ArtifactLocation;
use aws_lambda_events::event::codepipeline_job::CodePipelineJobEvent;
use ferrops::event::redacted_serde_error;

/// One CodePipeline job, without its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The job ID, which every result call names.
    pub id: String,
    /// The pipeline's account.
    pub account_id: Option<String>,
    /// The action's UserParameters string.
    pub user_parameters: Option<String>,
    /// Present on re-invocations.
    pub continuation_token: Option<String>,
    /// The first input artifact's S3 location, if any.
    pub input_artifact: Option<ArtifactLocation>,
}

/// The event is not a CodePipeline job.
#[derive(Debug, thiserror::Error)]
#[error("malformed CodePipeline job event: {0}")]
pub struct EventError(pub String);

impl Job {
    /// Reads the job from the raw invocation payload.
    pub fn from_event(event: serde_json::Value) -> Result<Self, EventError> {
        let parsed: CodePipelineJobEvent = serde_json::from_value(event).map_err(|e| {
            EventError(format!(
                "{}; expected {{\"CodePipeline.job\": {{\"id\": ..., \"data\": {{...}}}}}}",
                redacted_serde_error(&e)
            ))
        })?;
        let job = parsed.code_pipeline_job;
        let id = job
            .id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| EventError("CodePipeline.job.id is missing".to_string()))?;
        let data = job.data;
        let input_artifact = data.input_artifacts.into_iter().next().and_then(|a| {
            let s3 = a.location.s3_location;
            Some(ArtifactLocation {
                bucket: s3.bucket_name?,
                key: s3.object_key?,
            })
        });
        Ok(Job {
            id,
            account_id: job.account_id,
            user_parameters: data.action_configuration.configuration.user_parameters,
            continuation_token: data.continuation_token.filter(|t| !t.is_empty()),
            input_artifact,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> serde_json::Value {
        json!({"CodePipeline.job": {
            "id": "11111111-abcd-1111-abcd-111111abcdef",
            "accountId": "111111111111",
            "data": {
                "actionConfiguration": {"configuration": {"FunctionName": "runner", "UserParameters": "{}"}},
                "inputArtifacts": [{"location": {"s3Location": {"bucketName": "b", "objectKey": "k.zip"}, "type": "S3"}, "revision": null, "name": "Src"}],
                "outputArtifacts": [],
                "artifactCredentials": {"secretAccessKey": "SECRETKEY", "sessionToken": "SESSIONTOKEN", "accessKeyId": "AKIA"}
            }
        }})
    }

    #[test]
    fn reads_the_fields_and_keeps_no_credentials() {
        let job = Job::from_event(event()).unwrap();
        assert_eq!(job.id, "11111111-abcd-1111-abcd-111111abcdef");
        assert_eq!(job.user_parameters.as_deref(), Some("{}"));
        assert_eq!(job.input_artifact.as_ref().unwrap().key, "k.zip");
        assert!(job.continuation_token.is_none());
        let printed = format!("{job:?}");
        assert!(!printed.contains("SECRETKEY") && !printed.contains("SESSIONTOKEN"));
    }

    #[test]
    fn missing_id_is_a_clear_error() {
        let mut e = event();
        e["CodePipeline.job"].as_object_mut().unwrap().remove("id");
        let err = Job::from_event(e).unwrap_err().to_string();
        assert!(err.contains("CodePipeline.job.id is missing"), "{err}");
    }

    #[test]
    fn wrong_shapes_are_clear_errors_that_do_not_echo_values() {
        let mut e = event();
        e["CodePipeline.job"]["data"]["artifactCredentials"]["secretAccessKey"] =
            json!(["SECRETKEY"]);
        let err = Job::from_event(e).unwrap_err().to_string();
        assert!(err.starts_with("malformed CodePipeline job event"), "{err}");
        assert!(!err.contains("SECRETKEY"), "{err}");
        for bad in [
            json!({}),
            json!("text"),
            json!({"CodePipeline.job": {"id": "x"}}),
        ] {
            assert!(Job::from_event(bad).is_err());
        }
    }
}
