//! The function's one error type.

use ferrops::AwsFailure;

/// Why a request was not answered as asked.
///
/// Only [`SkillError::SkillIdMismatch`] ends an invocation in a Lambda error; the skill turns
/// every other one into a spoken apology in the user's language, because Alexa meets a Lambda
/// error with a generic English message and a closed session.
#[derive(thiserror::Error)]
pub enum SkillError {
    /// A request for a skill not in `SKILL_IDS`: refused without a reply.
    #[error("request for skill {application_id:?} refused: it is not in SKILL_IDS")]
    SkillIdMismatch {
        /// The skill the request was for, if it named one.
        application_id: Option<String>,
    },
    /// An AWS call failed.
    #[error("{doing}: {source}")]
    Aws {
        /// What the skill was doing, such as "reading the pipeline state".
        doing: &'static str,
        /// The failed call, with AWS's code and message.
        #[source]
        source: AwsFailure,
    },
    /// The user's locale, and every locale it falls back to, has no facts to tell.
    #[error("locale {locale} has no facts")]
    NoFacts {
        /// The locale that served the request.
        locale: String,
    },
    /// The reply is one Alexa would refuse (over its size limits).
    #[error("the reply cannot be sent: {0}")]
    Reply(#[from] ferrops_alexa::Error),
}

impl SkillError {
    /// Wraps an AWS failure with what the skill was doing, for `map_err`.
    pub(crate) fn aws(doing: &'static str) -> impl FnOnce(AwsFailure) -> Self {
        move |source| SkillError::Aws { doing, source }
    }

    fn error_type(&self) -> &'static str {
        match self {
            SkillError::SkillIdMismatch { .. } => "SkillIdMismatch",
            SkillError::Aws { .. } => "AwsError",
            SkillError::NoFacts { .. } => "NoFacts",
            SkillError::Reply(_) => "InvalidReply",
        }
    }
}

ferrops::lambda_error!(SkillError);
