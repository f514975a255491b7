//! Which skills may call the function.
//!
//! A Lambda function's Alexa trigger can be restricted to one skill, but the function cannot
//! tell whether it was; checking the application ID on every request makes a misconfigured
//! trigger harmless.

/// The skill IDs the function answers; empty answers every skill.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkillIds(Vec<String>);

impl SkillIds {
    /// Parses a comma-separated list, such as the `SKILL_IDS` variable; blanks are ignored.
    pub fn parse(list: Option<&str>) -> Self {
        Self(
            list.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    /// Whether every skill is answered.
    pub fn is_open(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a request for the skill `id` is answered; a request naming no skill is only
    /// answered when the list is open.
    pub fn allows(&self, id: Option<&str>) -> bool {
        self.is_open() || id.is_some_and(|id| self.0.iter().any(|a| a == id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_skills_are_answered() {
        let ids = SkillIds::parse(Some("amzn1.ask.skill.1, amzn1.ask.skill.2"));
        assert!(ids.allows(Some("amzn1.ask.skill.2")));
        assert!(!ids.allows(Some("amzn1.ask.skill.9")));
        assert!(!ids.allows(None), "a request naming no skill is refused");
    }

    #[test]
    fn an_empty_list_answers_every_skill() {
        let ids = SkillIds::parse(Some(" , "));
        assert!(ids.is_open());
        assert!(ids.allows(Some("whatever")) && ids.allows(None));
        assert!(SkillIds::parse(None).is_open());
    }
}
