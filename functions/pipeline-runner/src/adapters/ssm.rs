//! SSM Run Command through `aws-sdk-ssm`.

use crate::decide::{Invocation, Status};
use crate::params::Targets;
use crate::ports::{CommandService, CommandServices, SendRequest, TargetedInstances};
use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{CommandStatus, Target};
use ferrops::AwsFailure;
use ferrops::sts::{CrossAccount, RoleSpec};

/// The document every command uses.
pub const DOCUMENT: &str = "AWS-RunShellScript";

/// SSM in one account.
#[derive(Debug, Clone)]
pub struct Ssm {
    client: Client,
}

impl Ssm {
    /// Wraps a client.
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
        let out = call
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("ssm:SendCommand", e))?;
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
        let res = self
            .client
            .get_command_invocation()
            .command_id(command_id)
            .instance_id(instance_id)
            .send()
            .await;
        let out = match res {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_invocation_does_not_exist()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(AwsFailure::from_sdk("ssm:GetCommandInvocation", e)),
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
            .map_err(|e| AwsFailure::from_sdk("ssm:ListCommands", e))?;
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
            .map_err(|e| AwsFailure::from_sdk("ssm:ListCommandInvocations", e))?;
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

/// SSM clients for the home account and for assumed roles, each built once.
pub struct SsmClients(pub CrossAccount<Client>);

impl CommandServices for SsmClients {
    type Service = Ssm;

    async fn for_role(&self, role: Option<&RoleSpec>, job: &str) -> Result<Ssm, ferrops::Error> {
        self.0.client(role, job).await.map(Ssm::new)
    }
}
