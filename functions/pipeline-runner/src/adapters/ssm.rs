//! SSM Run Command through `aws-sdk-ssm`.

use crate::decide::{Invocation, Status};
use crate::params::Targets;
use crate::ports::{CommandService, CommandServices, SendRequest, TargetedInstances};
use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{CommandStatus, Target};
use ferrops::sts::{CrossAccount, RoleSpec};
use ferrops::{AwsFailure, SdkResultExt};

/// The document every command uses.
pub(crate) const DOCUMENT: &str = "AWS-RunShellScript";

/// SSM Run Command in the account `client`'s credentials belong to.
#[derive(Debug, Clone)]
pub struct Ssm {
    client: Client,
}

impl Ssm {
    /// SSM through `client`, whose credentials pick the account.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

impl CommandService for Ssm {
    async fn send(&self, req: &SendRequest) -> Result<String, AwsFailure> {
        let mut call = self
            .client
            .send_command()
            .document_name(DOCUMENT)
            .comment(&req.comment)
            .timeout_seconds(req.delivery_timeout as i32)
            .parameters("commands", req.lines.clone())
            .parameters("executionTimeout", vec![req.execution_timeout.to_string()]);
        if let Some(dir) = &req.working_directory {
            call = call.parameters("workingDirectory", vec![dir.clone()]);
        }
        call = match &req.targets {
            Targets::Instances(ids) => call.set_instance_ids(Some(ids.clone())),
            Targets::Tags(tags) => call.set_targets(Some(
                tags.iter()
                    .map(|t| {
                        Target::builder()
                            .key(&t.key)
                            .set_values(Some(t.values.clone()))
                            .build()
                    })
                    .collect(),
            )),
        };
        if let Some(out) = &req.output {
            call = call
                .output_s3_bucket_name(&out.bucket)
                .set_output_s3_key_prefix(out.prefix.clone());
        }
        let out = call.send().await.or_failure("ssm:SendCommand")?;
        out.command()
            .and_then(|c| c.command_id())
            .map(str::to_string)
            .ok_or_else(|| AwsFailure::incomplete("ssm:SendCommand", "SSM returned no command ID"))
    }

    async fn invocation(
        &self,
        command_id: &str,
        instance_id: &str,
    ) -> Result<Option<Invocation>, AwsFailure> {
        let Some(out) = self
            .client
            .get_command_invocation()
            .command_id(command_id)
            .instance_id(instance_id)
            .send()
            .await
            // Right after sending, SSM may not know the invocation yet.
            .unless("ssm:GetCommandInvocation", |e| {
                e.is_invocation_does_not_exist()
            })?
        else {
            return Ok(None);
        };
        let status = out.status().map(|s| s.as_str()).unwrap_or("Pending");
        Ok(Some(Invocation {
            instance_id: instance_id.to_string(),
            status: Status::parse(status),
            details: out.status_details().unwrap_or(status).to_string(),
            exit_code: out.response_code(),
            stdout: out
                .standard_output_content()
                .unwrap_or_default()
                .to_string(),
            stderr: out.standard_error_content().unwrap_or_default().to_string(),
            stdout_url: out
                .standard_output_url()
                .filter(|u| !u.is_empty())
                .map(str::to_string),
            stderr_url: out
                .standard_error_url()
                .filter(|u| !u.is_empty())
                .map(str::to_string),
        }))
    }

    async fn targeted_instances(&self, command_id: &str) -> Result<TargetedInstances, AwsFailure> {
        let listed = self
            .client
            .list_commands()
            .command_id(command_id)
            .send()
            .await
            .or_failure("ssm:ListCommands")?;
        let (target_count, finished) = match listed.commands().first() {
            Some(c) => {
                let finished = matches!(
                    c.status(),
                    Some(
                        CommandStatus::Success
                            | CommandStatus::Failed
                            | CommandStatus::TimedOut
                            | CommandStatus::Cancelled
                    )
                );
                let pending = matches!(c.status(), Some(CommandStatus::Pending) | None);
                // SSM counts targets once it has resolved them; a pending command's zero means "not yet".
                let count = if pending && c.target_count() == 0 {
                    None
                } else {
                    Some(c.target_count().max(0) as usize)
                };
                (count, finished)
            }
            None => (None, false),
        };

        let invocations = self
            .client
            .list_command_invocations()
            .command_id(command_id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .or_failure("ssm:ListCommandInvocations")?;
        let mut instance_ids: Vec<String> = invocations
            .iter()
            .filter_map(|i| i.instance_id())
            .map(str::to_string)
            .collect();
        instance_ids.sort();
        instance_ids.dedup();
        Ok(TargetedInstances {
            instance_ids,
            target_count,
            finished,
        })
    }
}

/// SSM clients for the home account and for assumed roles, each built once and kept for the
/// container's life.
pub struct SsmClients(pub CrossAccount<Client>);

impl CommandServices for SsmClients {
    type Service = Ssm;

    async fn for_role(&self, role: Option<&RoleSpec>, job: &str) -> Result<Ssm, AwsFailure> {
        self.0.client(role, job).await.map(Ssm::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{OutputLocation, TagTarget};
    use aws_sdk_ssm::operation::get_command_invocation::{
        GetCommandInvocationError, GetCommandInvocationOutput,
    };
    use aws_sdk_ssm::operation::list_command_invocations::ListCommandInvocationsOutput;
    use aws_sdk_ssm::operation::list_commands::ListCommandsOutput;
    use aws_sdk_ssm::operation::send_command::{SendCommandError, SendCommandOutput};
    use aws_sdk_ssm::types::error::{InvalidInstanceId, InvocationDoesNotExist};
    use aws_sdk_ssm::types::{Command, CommandInvocation, CommandInvocationStatus};
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;
    use ferrops::FailureClass;
    use ferrops::sts::AssumeRoleProvider;

    const JOB: &str = "11111111-abcd-1111-abcd-111111abcdef";
    const CMD: &str = "0b2f8a1c-1234-4abc-9def-0123456789ab";
    const INSTANCE: &str = "i-0123456789abcdef0";

    fn request(targets: Targets) -> SendRequest {
        SendRequest {
            targets,
            lines: vec!["set -e".into(), "make test".into()],
            working_directory: None,
            execution_timeout: 900,
            delivery_timeout: 600,
            comment: format!("ferrops job {JOB}"),
            output: None,
        }
    }

    fn sent() -> SendCommandOutput {
        SendCommandOutput::builder()
            .command(Command::builder().command_id(CMD).build())
            .build()
    }

    async fn send(rule: &Rule, req: &SendRequest) -> Result<String, AwsFailure> {
        let client = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [rule]);
        Ssm::new(client).send(req).await
    }

    #[tokio::test]
    async fn commands_for_instances_are_sent_as_run_shell_script_with_their_timeouts() {
        let rule = mock!(Client::send_command)
            .match_requests(|r| {
                let p = r.parameters().unwrap();
                r.document_name() == Some("AWS-RunShellScript")
                    && r.instance_ids() == [INSTANCE]
                    && r.targets().is_empty()
                    && p["commands"] == ["set -e", "make test"]
                    && p["executionTimeout"] == ["900"]
                    && !p.contains_key("workingDirectory")
                    && r.timeout_seconds() == Some(600)
                    && r.comment() == Some(format!("ferrops job {JOB}").as_str())
                    && r.output_s3_bucket_name().is_none()
            })
            .then_output(sent);
        let id = send(&rule, &request(Targets::Instances(vec![INSTANCE.into()])))
            .await
            .unwrap();
        assert_eq!(id, CMD);
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn targets_are_sent_as_ssm_targets_with_the_directory_and_output_location() {
        let rule = mock!(Client::send_command)
            .match_requests(|r| {
                let t = &r.targets()[0];
                r.instance_ids().is_empty()
                    && t.key() == Some("tag:Role")
                    && t.values() == ["build"]
                    && r.parameters().unwrap()["workingDirectory"] == ["/srv/app"]
                    && r.output_s3_bucket_name() == Some("ci-logs")
                    && r.output_s3_key_prefix() == Some("runner/")
            })
            .then_output(sent);
        let mut req = request(Targets::Tags(vec![TagTarget {
            key: "tag:Role".into(),
            values: vec!["build".into()],
        }]));
        req.working_directory = Some("/srv/app".into());
        req.output = Some(OutputLocation {
            bucket: "ci-logs".into(),
            prefix: Some("runner/".into()),
        });
        send(&rule, &req).await.unwrap();
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn refused_sends_are_classified_for_the_job_result() {
        let denied = mock!(Client::send_command).then_error(|| {
            SendCommandError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("not allowed")
                    .build(),
            )
        });
        let req = request(Targets::Instances(vec![INSTANCE.into()]));
        let err = send(&denied, &req).await.unwrap_err();
        assert_eq!(err.class, FailureClass::AccessDenied);
        assert!(err.to_string().contains("ssm:SendCommand"), "{err}");

        let invalid = mock!(Client::send_command).then_error(|| {
            SendCommandError::InvalidInstanceId(
                InvalidInstanceId::builder()
                    .message("Instances not in a valid state")
                    .build(),
            )
        });
        let err = send(&invalid, &req).await.unwrap_err();
        assert_eq!(err.class, FailureClass::Rejected);
        assert!(
            err.to_string().contains("Instances not in a valid state"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_invocation_is_read_for_its_command_and_instance() {
        let rule = mock!(Client::get_command_invocation)
            .match_requests(|r| r.command_id() == Some(CMD) && r.instance_id() == Some(INSTANCE))
            .then_output(|| {
                GetCommandInvocationOutput::builder()
                    .status(CommandInvocationStatus::Failed)
                    .status_details("Failed")
                    .response_code(2)
                    .standard_output_content("building")
                    .standard_error_content("tests failed: 3")
                    .standard_output_url("")
                    .standard_error_url("https://s3.amazonaws.com/logs/stderr")
                    .build()
            });
        let client = mock_client!(aws_sdk_ssm, [&rule]);
        let inv = Ssm::new(client)
            .invocation(CMD, INSTANCE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            inv,
            Invocation {
                instance_id: INSTANCE.into(),
                status: Status::Failed,
                details: "Failed".into(),
                exit_code: 2,
                stdout: "building".into(),
                stderr: "tests failed: 3".into(),
                stdout_url: None,
                stderr_url: Some("https://s3.amazonaws.com/logs/stderr".into()),
            }
        );
    }

    #[tokio::test]
    async fn an_invocation_ssm_does_not_know_yet_is_none() {
        let rule = mock!(Client::get_command_invocation).then_error(|| {
            GetCommandInvocationError::InvocationDoesNotExist(
                InvocationDoesNotExist::builder().build(),
            )
        });
        let client = mock_client!(aws_sdk_ssm, [&rule]);
        let inv = Ssm::new(client).invocation(CMD, INSTANCE).await.unwrap();
        assert_eq!(inv, None);
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_failing_status_check_is_unavailable() {
        let rule = mock!(Client::get_command_invocation).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(503).unwrap(),
                aws_smithy_types::body::SdkBody::from("{}"),
            )
        });
        let client = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&rule]);
        let err = Ssm::new(client)
            .invocation(CMD, INSTANCE)
            .await
            .unwrap_err();
        assert_eq!(err.class, FailureClass::Unavailable);
        assert_eq!(err.operation, "ssm:GetCommandInvocation");
    }

    fn list_commands(status: CommandStatus, count: i32) -> Rule {
        mock!(Client::list_commands)
            .match_requests(|r| r.command_id() == Some(CMD))
            .then_output(move || {
                ListCommandsOutput::builder()
                    .commands(
                        Command::builder()
                            .command_id(CMD)
                            .status(status.clone())
                            .target_count(count)
                            .build(),
                    )
                    .build()
            })
    }

    fn list_invocations(pages: Vec<(Vec<&'static str>, Option<&'static str>)>) -> Rule {
        let mut seq = mock!(Client::list_command_invocations)
            .match_requests(|r| r.command_id() == Some(CMD))
            .sequence();
        for (ids, next) in pages {
            seq = seq.output(move || {
                ListCommandInvocationsOutput::builder()
                    .set_command_invocations(Some(
                        ids.iter()
                            .map(|i| {
                                CommandInvocation::builder()
                                    .command_id(CMD)
                                    .instance_id(*i)
                                    .build()
                            })
                            .collect(),
                    ))
                    .set_next_token(next.map(str::to_string))
                    .build()
            });
        }
        seq.build()
    }

    async fn targeted(list: &Rule, pages: &Rule) -> TargetedInstances {
        let client = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [list, pages]);
        Ssm::new(client).targeted_instances(CMD).await.unwrap()
    }

    #[tokio::test]
    async fn targeted_instances_follow_every_page_of_invocations() {
        let list = list_commands(CommandStatus::Success, 2);
        let pages = list_invocations(vec![
            (vec!["i-bbbbbbbb"], Some("next")),
            (vec!["i-aaaaaaaa"], None),
        ]);
        let t = targeted(&list, &pages).await;
        assert_eq!(
            t,
            TargetedInstances {
                instance_ids: vec!["i-aaaaaaaa".into(), "i-bbbbbbbb".into()],
                target_count: Some(2),
                finished: true,
            }
        );
        assert_eq!(pages.num_calls(), 2);
    }

    #[tokio::test]
    async fn a_pending_command_with_no_targets_yet_has_an_unknown_count() {
        let list = list_commands(CommandStatus::Pending, 0);
        let pages = list_invocations(vec![(vec![], None)]);
        let t = targeted(&list, &pages).await;
        assert_eq!(t, TargetedInstances::default());
    }

    #[tokio::test]
    async fn a_finished_command_with_zero_targets_matched_nothing() {
        let list = list_commands(CommandStatus::Success, 0);
        let pages = list_invocations(vec![(vec![], None)]);
        let t = targeted(&list, &pages).await;
        assert_eq!(
            t,
            TargetedInstances {
                instance_ids: vec![],
                target_count: Some(0),
                finished: true,
            }
        );
    }

    #[tokio::test]
    async fn a_role_sts_refuses_is_an_access_denied_error_naming_the_role() {
        let denied = mock!(aws_sdk_sts::Client::assume_role)
            .match_requests(|r| {
                r.role_arn() == Some("arn:aws:iam::111122223333:role/runner")
                    && r.external_id() == Some("ext-42")
            })
            .then_error(|| {
                AssumeRoleError::generic(
                    ErrorMetadata::builder()
                        .code("AccessDenied")
                        .message("no")
                        .build(),
                )
            });
        let sts = mock_client!(aws_sdk_sts, [&denied]);
        let ssm = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, []);
        let base = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .build();
        let roles = AssumeRoleProvider::with_sts_client(sts, &base, "pipeline-runner");
        let clients = SsmClients(CrossAccount::new(ssm.clone(), roles, move |_| ssm.clone()));
        let role = RoleSpec::new("arn:aws:iam::111122223333:role/runner", Some("ext-42")).unwrap();
        let Err(err) = clients.for_role(Some(&role), JOB).await else {
            panic!("a refused role handed out SSM")
        };
        assert_eq!(err.class, FailureClass::AccessDenied, "{err}");
        assert!(
            err.to_string()
                .contains("arn:aws:iam::111122223333:role/runner"),
            "{err}"
        );
        assert_eq!(denied.num_calls(), 1);
    }
}
