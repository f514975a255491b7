//! `alexa-skill`: the classic space-facts skill, done properly, plus voice operations for
//! CodePipeline: pipeline status, and manual approvals with confirmation.
//!
//! - [`handler`]: one invocation, routed with a `match` on the request.
//! - `facts`, [`pipeline`] and [`operators`]: the pure core.
//! - [`ports`]: what the handler needs from AWS, implemented by [`adapters`].
//! - [`config`]: the settings, read once at start-up.

pub mod adapters;
pub mod config;
pub mod error;
pub(crate) mod facts;
pub mod handler;
pub mod operators;
pub mod pipeline;
pub mod ports;

pub use config::Config;
pub use error::SkillError;
pub use handler::Skill;

use adapters::{codepipeline::CodePipeline, dynamodb::SkillTable, ssm::OperatorsParameter};
use ferrops::sdk::SdkConfig;
use ferrops::sts::{AssumeRoleProvider, CrossAccount};
use ferrops_alexa::i18n::Catalog;

/// The locales the skill speaks, with their strings.
pub const LOCALES: &[(&str, &str)] = &[
    ("en-US", include_str!("../locales/en-US.json")),
    ("en-GB", include_str!("../locales/en-GB.json")),
    ("de-DE", include_str!("../locales/de-DE.json")),
];

/// The locale every other one falls back to.
const DEFAULT_LOCALE: &str = "en-US";

/// The strings of every locale.
pub fn catalog() -> Result<Catalog, ferrops_alexa::Error> {
    Catalog::from_json(LOCALES, DEFAULT_LOCALE)
}

/// The skill on the AWS adapters.
pub type SdkSkill = Skill<CodePipeline, OperatorsParameter, SkillTable>;

/// The skill as `config` describes it, with every SDK client built once from `sdk`.
pub fn skill(sdk: &SdkConfig, config: Config) -> Result<SdkSkill, ferrops_alexa::Error> {
    let roles = AssumeRoleProvider::new(sdk, config.function_name);
    let codepipeline = CrossAccount::new(
        aws_sdk_codepipeline::Client::new(sdk),
        roles,
        aws_sdk_codepipeline::Client::new,
    );
    Ok(Skill {
        pipelines: CodePipeline::new(codepipeline, config.pipeline_role),
        operators: OperatorsParameter::new(aws_sdk_ssm::Client::new(sdk), config.operators_param),
        attributes: config
            .skill_table
            .map(|table| SkillTable::new(aws_sdk_dynamodb::Client::new(sdk), table)),
        catalog: catalog()?,
        skill_ids: config.skill_ids,
    })
}
