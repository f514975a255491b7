//! CodePipeline through `aws-sdk-codepipeline`, in the function's own account or through a
//! role in another.

use crate::pipeline::{ActionView, PendingApproval, PipelineView, StageView};
use crate::ports::{Decided, Pipelines};
use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::operation::get_pipeline_state::GetPipelineStateOutput;
use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus};
use ferrops::sts::{CrossAccount, RoleSpec};
use ferrops::{AwsFailure, SdkResultExt};

/// Longest approval summary CodePipeline accepts, in characters.
const SUMMARY_MAX: usize = 512;

/// CodePipeline, acting as `role` when one is set.
pub struct CodePipeline {
    clients: CrossAccount<Client>,
    role: Option<RoleSpec>,
}

impl CodePipeline {
    /// `role`: the role to assume for pipelines in another account; `None` works in the
    /// function's own.
    pub fn new(clients: CrossAccount<Client>, role: Option<RoleSpec>) -> Self {
        Self { clients, role }
    }

    async fn client(&self) -> Result<Client, AwsFailure> {
        self.clients.client(self.role.as_ref(), "alexa").await
    }
}

/// What `GetPipelineState` says, as the core reads it.
fn view(out: &GetPipelineStateOutput, name: &str) -> PipelineView {
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
    PipelineView {
        name: out.pipeline_name().unwrap_or(name).to_string(),
        stages,
    }
}

impl Pipelines for CodePipeline {
    async fn state(&self, name: &str) -> Result<Option<PipelineView>, AwsFailure> {
        let out = self
            .client()
            .await?
            .get_pipeline_state()
            .name(name)
            .send()
            .await
            .unless("codepipeline:GetPipelineState", |e| {
                e.is_pipeline_not_found_exception()
            })?;
        Ok(out.map(|out| view(&out, name)))
    }

    async fn decide(
        &self,
        a: &PendingApproval,
        approve: bool,
        summary: &str,
    ) -> Result<Decided, AwsFailure> {
        let result = ApprovalResult::builder()
            .summary(ferrops::text::truncate_end(summary, SUMMARY_MAX))
            .status(if approve {
                ApprovalStatus::Approved
            } else {
                ApprovalStatus::Rejected
            })
            .build()
            .map_err(|e| AwsFailure::unbuildable("codepipeline:PutApprovalResult", e))?;
        let out = self
            .client()
            .await?
            .put_approval_result()
            .pipeline_name(&a.pipeline)
            .stage_name(&a.stage)
            .action_name(&a.action)
            .token(&a.token)
            .result(result)
            .send()
            .await
            .unless("codepipeline:PutApprovalResult", |e| {
                e.is_invalid_approval_token_exception()
                    || e.is_approval_already_completed_exception()
            })?;
        Ok(match out {
            Some(_) => Decided::Recorded,
            None => Decided::NoLongerPending,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codepipeline::operation::get_pipeline_state::GetPipelineStateError;
    use aws_sdk_codepipeline::operation::put_approval_result::{
        PutApprovalResultError, PutApprovalResultOutput,
    };
    use aws_sdk_codepipeline::types::error::{
        ApprovalAlreadyCompletedException, InvalidApprovalTokenException, PipelineNotFoundException,
    };
    use aws_sdk_codepipeline::types::{
        ActionExecution, ActionExecutionStatus, ActionState, ErrorDetails, StageExecution,
        StageExecutionStatus, StageState,
    };
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;
    use ferrops::sts::AssumeRoleProvider;

    const TOKEN: &str = "11111111-2222-4333-8444-555555555555";

    fn pipelines(rules: &[&Rule], sts: &[&Rule], role: Option<RoleSpec>) -> CodePipeline {
        let client = mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, rules);
        let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, sts);
        let base = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .build();
        let roles = AssumeRoleProvider::with_sts_client(sts, &base, "alexa-skill");
        let for_role = client.clone();
        CodePipeline::new(
            CrossAccount::new(client, roles, move |_| for_role.clone()),
            role,
        )
    }

    fn approval() -> PendingApproval {
        PendingApproval {
            pipeline: "my-app".into(),
            stage: "Approve".into(),
            action: "ManualApproval".into(),
            token: TOKEN.into(),
        }
    }

    fn recorded() -> Rule {
        mock!(Client::put_approval_result)
            .then_output(|| PutApprovalResultOutput::builder().build())
    }

    #[tokio::test]
    async fn the_state_is_read_stage_by_stage_with_errors_and_tokens() {
        let rule = mock!(Client::get_pipeline_state)
            .match_requests(|r| r.name() == Some("my-app"))
            .then_output(|| {
                GetPipelineStateOutput::builder()
                    .pipeline_name("my-app")
                    .stage_states(
                        StageState::builder()
                            .stage_name("Commit")
                            .latest_execution(
                                StageExecution::builder()
                                    .pipeline_execution_id("e1")
                                    .status(StageExecutionStatus::Failed)
                                    .build()
                                    .unwrap(),
                            )
                            .action_states(
                                ActionState::builder()
                                    .action_name("Build")
                                    .latest_execution(
                                        ActionExecution::builder()
                                            .status(ActionExecutionStatus::Failed)
                                            .error_details(
                                                ErrorDetails::builder()
                                                    .message("exit code 2")
                                                    .build(),
                                            )
                                            .build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .stage_states(
                        StageState::builder()
                            .stage_name("Approve")
                            .action_states(
                                ActionState::builder()
                                    .action_name("ManualApproval")
                                    .latest_execution(
                                        ActionExecution::builder()
                                            .status(ActionExecutionStatus::InProgress)
                                            .token(TOKEN)
                                            .build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let view = pipelines(&[&rule], &[], None)
            .state("my-app")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.name, "my-app");
        assert_eq!(view.stages[0].status.as_deref(), Some("Failed"));
        assert_eq!(
            view.stages[0].actions[0].error.as_deref(),
            Some("exit code 2")
        );
        assert_eq!(view.stages[1].status, None, "a stage that never ran");
        let waiting = &view.stages[1].actions[0];
        assert_eq!(
            (waiting.status.as_deref(), waiting.token.as_deref()),
            (Some("InProgress"), Some(TOKEN))
        );
    }

    #[tokio::test]
    async fn an_unknown_pipeline_reads_as_none() {
        let rule = mock!(Client::get_pipeline_state).then_error(|| {
            GetPipelineStateError::PipelineNotFoundException(
                PipelineNotFoundException::builder().build(),
            )
        });
        let state = pipelines(&[&rule], &[], None).state("nope").await.unwrap();
        assert!(state.is_none());
    }

    #[tokio::test]
    async fn a_decision_names_the_approval_and_carries_verdict_and_summary() {
        let long = "x".repeat(600);
        let approve = mock!(Client::put_approval_result)
            .match_requests(|r| {
                let result = r.result().unwrap();
                r.pipeline_name() == Some("my-app")
                    && r.stage_name() == Some("Approve")
                    && r.action_name() == Some("ManualApproval")
                    && r.token() == Some(TOKEN)
                    && result.status() == &ApprovalStatus::Approved
                    && result.summary().chars().count() <= SUMMARY_MAX
            })
            .then_output(|| PutApprovalResultOutput::builder().build());
        let decided = pipelines(&[&approve], &[], None)
            .decide(&approval(), true, &long)
            .await
            .unwrap();
        assert_eq!((decided, approve.num_calls()), (Decided::Recorded, 1));

        let reject = mock!(Client::put_approval_result)
            .match_requests(|r| r.result().unwrap().status() == &ApprovalStatus::Rejected)
            .then_output(|| PutApprovalResultOutput::builder().build());
        pipelines(&[&reject], &[], None)
            .decide(&approval(), false, "Rejected by voice")
            .await
            .unwrap();
        assert_eq!(reject.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_approval_decided_or_expired_meanwhile_is_no_longer_pending() {
        let completed = mock!(Client::put_approval_result).then_error(|| {
            PutApprovalResultError::ApprovalAlreadyCompletedException(
                ApprovalAlreadyCompletedException::builder().build(),
            )
        });
        let expired = mock!(Client::put_approval_result).then_error(|| {
            PutApprovalResultError::InvalidApprovalTokenException(
                InvalidApprovalTokenException::builder().build(),
            )
        });
        for rule in [completed, expired] {
            let decided = pipelines(&[&rule], &[], None)
                .decide(&approval(), true, "s")
                .await
                .unwrap();
            assert_eq!(decided, Decided::NoLongerPending);
        }
    }

    #[tokio::test]
    async fn a_role_that_cannot_be_assumed_is_an_access_denied_failure_and_nothing_is_decided() {
        let denied = mock!(aws_sdk_sts::Client::assume_role).then_error(|| {
            AssumeRoleError::generic(
                ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("not authorized to perform sts:AssumeRole")
                    .build(),
            )
        });
        let put = recorded();
        let role = RoleSpec::new("arn:aws:iam::123456789012:role/pipelines", None).unwrap();
        let err = pipelines(&[&put], &[&denied], Some(role))
            .decide(&approval(), true, "s")
            .await
            .unwrap_err();
        assert_eq!(
            (err.operation, err.class),
            ("sts:AssumeRole", ferrops::FailureClass::AccessDenied)
        );
        assert_eq!(put.num_calls(), 0);
    }
}
