// The SDK futures nest deeper than rustc's default layout limit.
#![recursion_limit = "256"]

use alexa_skill::adapters::{
    codepipeline::CodePipeline, dynamodb::SkillTable, ssm::OperatorsParameter,
};
use alexa_skill::ports::Services;
use ferrops_alexa::skill::SkillIds;
use ferrops::env::optional;
use ferrops::sts::{AssumeRoleProvider, CrossAccount, RoleSpec};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrops::telemetry::init();
    let sdk = ferrops::sdk::load().await;
    let role = match optional("PIPELINE_ROLE_ARN") {
        Some(arn) => Some(RoleSpec::new(
            &arn,
            optional("PIPELINE_EXTERNAL_ID").as_deref(),
        )?),
        None => None,
    };
    let operators = optional("OPERATORS_PARAM");
    if operators.is_none() {
        tracing::warn!("OPERATORS_PARAM is not set: nobody may use the pipeline intents");
    }
    let mut skill = alexa_skill::skill(
        alexa_skill::catalog()?,
        SkillIds::parse(optional("SKILL_IDS").as_deref()),
    );
    match optional("SKILL_TABLE") {
        Some(table) => {
            skill = skill.persistence(SkillTable::new(aws_sdk_dynamodb::Client::new(&sdk), table))
        }
        None => tracing::warn!(
            "SKILL_TABLE is not set: facts heard are remembered for the session only"
        ),
    }
    let roles = AssumeRoleProvider::new(&sdk, ferrops::env::function_name("alexa-skill"));
    let services = Services {
        pipelines: CodePipeline::new(
            CrossAccount::new(
                aws_sdk_codepipeline::Client::new(&sdk),
                roles,
                aws_sdk_codepipeline::Client::new,
            ),
            role,
        ),
        operators: OperatorsParameter::new(aws_sdk_ssm::Client::new(&sdk), operators),
    };
    let (skill, services) = (&skill, &services);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            alexa_skill::handle(skill, services, event.payload).await
        },
    ))
    .await
}
