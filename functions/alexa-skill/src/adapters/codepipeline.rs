//! CodePipeline through `aws-sdk-codepipeline`, in the home account or through a role.

use crate::pipeline::{ActionView, PendingApproval, PipelineView, StageView};
use crate::ports::{Decided, Pipelines};
use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus};
use ferrops::sts::{CrossAccount, RoleSpec};
use ferrops::{AwsFailure, FailureClass};

/// CodePipeline, acting as `role` when one is set.
pub struct CodePipeline {
    clients: CrossAccount<Client>,
    role: Option<RoleSpec>,
}

impl CodePipeline {
    /// `role`: the role to assume for pipelines in another account (`PIPELINE_ROLE_ARN`).
    pub fn new(clients: CrossAccount<Client>, role: Option<RoleSpec>) -> Self {
        Self { clients, role }
    }

    async fn client(&self) -> Result<Client, AwsFailure> {
        self.clients
            .client(self.role.as_ref(), "alexa")
            .await
            .map_err(|e| AwsFailure {
                operation: "sts:AssumeRole",
                class: if e.is_access_denied() {
                    FailureClass::AccessDenied
                } else {
                    FailureClass::Unavailable
                },
                code: None,
                message: e.to_string(),
                source: Box::new(e),
            })
    }
}

impl Pipelines for CodePipeline {
    async fn state(&self, name: &str) -> Result<Option<PipelineView>, AwsFailure> {
        let res = self
            .client()
            .await?
            .get_pipeline_state()
            .name(name)
            .send()
            .await;
        let out = match res {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_pipeline_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(AwsFailure::from_sdk("codepipeline:GetPipelineState", e)),
        };
        let stages = out
            .stage_states()
            .iter()
            .map(|s| StageView {
                name: s.stage_name().unwrap_or_default().to_string(),
                status: s
                    .latest_execution()
                    .map(|e| e.status().as_str().to_string()),
                actions: s
                    .action_states()
                    .iter()
                    .map(|a| {
                        let latest = a.latest_execution();
                        ActionView {
                            name: a.action_name().unwrap_or_default().to_string(),
                            status: latest
                                .and_then(|l| l.status())
                                .map(|s| s.as_str().to_string()),
                            error: latest
                                .and_then(|l| l.error_details())
                                .and_then(|d| d.message())
                                .map(str::to_string),
                            token: latest.and_then(|l| l.token()).map(str::to_string),
                        }
                    })
                    .collect(),
            })
            .collect();
        Ok(Some(PipelineView {
            name: out.pipeline_name().unwrap_or(name).to_string(),
            stages,
        }))
    }

    async fn decide(
        &self,
        a: &PendingApproval,
        approve: bool,
        summary: &str,
    ) -> Result<Decided, AwsFailure> {
        let result = ApprovalResult::builder()
            .summary(ferrops::text::truncate_end(summary, 512))
            .status(if approve {
                ApprovalStatus::Approved
            } else {
                ApprovalStatus::Rejected
            })
            .build()
            .map_err(|e| AwsFailure::unbuildable("codepipeline:PutApprovalResult", e))?;
        let res = self
            .client()
            .await?
            .put_approval_result()
            .pipeline_name(&a.pipeline)
            .stage_name(&a.stage)
            .action_name(&a.action)
            .token(&a.token)
            .result(result)
            .send()
            .await;
        match res {
            Ok(_) => Ok(Decided::Recorded),
            Err(e)
                if e.as_service_error().is_some_and(|se| {
                    se.is_invalid_approval_token_exception()
                        || se.is_approval_already_completed_exception()
                }) =>
            {
                Ok(Decided::NoLongerPending)
            }
            Err(e) => Err(AwsFailure::from_sdk("codepipeline:PutApprovalResult", e)),
        }
    }
}
