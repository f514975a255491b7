//! The CodePipeline job event, reduced to what this function needs.
//!
//! `aws_lambda_events`' types derive `Debug` over `artifactCredentials`, so the raw event must
//! never be logged or kept. [`Job::from_event`] copies out the fields we use and drops the rest,
//! credentials included: the instance downloads artifacts with its own role.

use aws_lambda_events::event::codepipeline_job::CodePipelineJobEvent;
use ferrops::event::MalformedEvent;

/// The event kind named in [`MalformedEvent`] errors.
const KIND: &str = "CodePipeline job event";

/// One CodePipeline job, without its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The job ID, which every result call names and the ledger is keyed by.
    pub id: String,
    /// The action's UserParameters string, parsed by [`crate::params::parse`].
    pub user_parameters: Option<String>,
    /// The token an earlier invocation reported; `None` on the job's first invocation.
    pub continuation_token: Option<String>,
    /// The first input artifact's S3 location, which a `script` plan downloads.
    pub input_artifact: Option<ArtifactLocation>,
}

/// Where the first input artifact of a job is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactLocation {
    /// Bucket of the pipeline's artifact store.
    pub bucket: String,
    /// Object key of the zipped artifact.
    pub key: String,
}

impl Job {
    /// Reads the job from the raw invocation payload. The error names what is missing or
    /// mistyped without quoting any value.
    pub fn from_event(event: serde_json::Value) -> Result<Self, MalformedEvent> {
        let parsed: CodePipelineJobEvent = ferrops::event::decode(KIND, event).map_err(|e| {
            MalformedEvent::new(
                KIND,
                format!(
                    "{}; expected {{\"CodePipeline.job\": {{\"id\": ..., \"data\": {{...}}}}}}",
                    e.detail
                ),
            )
        })?;
        let job = parsed.code_pipeline_job;
        let id = job
            .id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| MalformedEvent::new(KIND, "CodePipeline.job.id is missing"))?;
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
