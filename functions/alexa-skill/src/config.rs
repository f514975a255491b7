//! The function's settings, read from the environment once, at start-up.

use ferrops::sts::RoleSpec;
use ferrops_alexa::SkillIds;

/// Where the skill finds its pipelines, operators and stored attributes.
///
/// The default configures nothing: every skill is answered, nobody may use the pipeline
/// intents, and facts heard are remembered for the session only.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The skills answered (`SKILL_IDS`, comma-separated); empty answers every skill.
    pub skill_ids: SkillIds,
    /// The DynamoDB table of attributes per user (`SKILL_TABLE`, partition key `id`).
    pub skill_table: Option<String>,
    /// The SSM parameter that lists the operators (`OPERATORS_PARAM`).
    pub operators_param: Option<String>,
    /// The role to assume for pipelines in another account (`PIPELINE_ROLE_ARN` and
    /// `PIPELINE_EXTERNAL_ID`); `None` operates the function's own account.
    pub pipeline_role: Option<RoleSpec>,
    /// The function's name, which names the sessions of assumed roles in CloudTrail.
    pub function_name: String,
}

impl Config {
    /// Reads the settings from the environment, and warns about each one left out that
    /// narrows what the skill can do.
    pub fn from_env() -> Result<Self, ferrops::env::EnvError> {
        let config = Self::from_vars(ferrops::env::optional)?;
        if config.skill_ids.is_open() {
            tracing::warn!("SKILL_IDS is empty: requests for any skill ID are answered");
        }
        if config.operators_param.is_none() {
            tracing::warn!("OPERATORS_PARAM is not set: nobody may use the pipeline intents");
        }
        if config.skill_table.is_none() {
            tracing::warn!(
                "SKILL_TABLE is not set: facts heard are remembered for the session only"
            );
        }
        Ok(config)
    }

    /// The settings from `var`, which reads one variable (unset and blank both as `None`).
    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ferrops::env::EnvError> {
        let pipeline_role = var("PIPELINE_ROLE_ARN")
            .map(|arn| RoleSpec::new(&arn, var("PIPELINE_EXTERNAL_ID").as_deref()))
            .transpose()
            .map_err(|e| ferrops::env::EnvError::Invalid {
                name: "PIPELINE_ROLE_ARN",
                reason: e.to_string(),
            })?;
        Ok(Self {
            skill_ids: SkillIds::parse(var("SKILL_IDS").as_deref()),
            skill_table: var("SKILL_TABLE"),
            operators_param: var("OPERATORS_PARAM"),
            pipeline_role,
            function_name: var("AWS_LAMBDA_FUNCTION_NAME")
                .unwrap_or_else(|| "alexa-skill".to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ferrops::env::EnvError> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn every_setting_is_read() {
        let c = config(&[
            ("SKILL_IDS", "amzn1.ask.skill.1,amzn1.ask.skill.2"),
            ("SKILL_TABLE", "skill-attributes"),
            ("OPERATORS_PARAM", "/ferrops/alexa/operators"),
            (
                "PIPELINE_ROLE_ARN",
                "arn:aws:iam::123456789012:role/pipelines",
            ),
            ("PIPELINE_EXTERNAL_ID", "ext-id-1"),
            ("AWS_LAMBDA_FUNCTION_NAME", "ferrops-alexa-skill"),
        ])
        .unwrap();
        assert!(c.skill_ids.allows(Some("amzn1.ask.skill.2")));
        assert!(!c.skill_ids.allows(Some("amzn1.ask.skill.3")));
        assert_eq!(c.skill_table.as_deref(), Some("skill-attributes"));
        assert_eq!(
            c.operators_param.as_deref(),
            Some("/ferrops/alexa/operators")
        );
        let role = c.pipeline_role.unwrap();
        assert_eq!(role.account(), "123456789012");
        assert!(role.external_id().is_some());
        assert_eq!(c.function_name, "ferrops-alexa-skill");
    }

    #[test]
    fn nothing_set_answers_every_skill_in_the_home_account() {
        let c = config(&[]).unwrap();
        assert!(c.skill_ids.is_open());
        assert!(c.skill_table.is_none() && c.operators_param.is_none());
        assert!(c.pipeline_role.is_none());
        assert_eq!(c.function_name, "alexa-skill");
    }

    #[test]
    fn a_malformed_role_is_refused_at_start_up() {
        let err = config(&[("PIPELINE_ROLE_ARN", "pipelines")]).unwrap_err();
        assert!(err.to_string().contains("not a role ARN"), "{err}");
    }
}
