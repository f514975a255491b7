//! The rules: each is a small unit that declares what it checks and maps one configuration item
//! plus parameters to a verdict. The generic work lives in [`crate::evaluate`].

mod iam;
mod instances;
mod s3;
mod security_groups;
mod tags;
mod volumes;

use crate::item::ConfigurationItem;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A compliance result a rule may report. Config accepts no other value from a rule
/// (`INSUFFICIENT_DATA` is Config's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Compliance {
    /// The resource complies.
    Compliant,
    /// The resource does not comply.
    NonCompliant,
    /// The rule does not apply to the resource.
    NotApplicable,
}

impl Compliance {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Compliant => "COMPLIANT",
            Compliance::NonCompliant => "NON_COMPLIANT",
            Compliance::NotApplicable => "NOT_APPLICABLE",
        }
    }

    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "COMPLIANT" => Some(Compliance::Compliant),
            "NON_COMPLIANT" => Some(Compliance::NonCompliant),
            "NOT_APPLICABLE" => Some(Compliance::NotApplicable),
            _ => None,
        }
    }
}

impl fmt::Display for Compliance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's answer for one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The result.
    pub compliance: Compliance,
    /// Why, in words an admin can act on.
    pub annotation: String,
}

impl Verdict {
    /// A compliant verdict.
    pub fn compliant(annotation: impl Into<String>) -> Self {
        Self {
            compliance: Compliance::Compliant,
            annotation: annotation.into(),
        }
    }
    /// A non-compliant verdict.
    pub fn non_compliant(annotation: impl Into<String>) -> Self {
        Self {
            compliance: Compliance::NonCompliant,
            annotation: annotation.into(),
        }
    }
    /// A not-applicable verdict.
    pub fn not_applicable(annotation: impl Into<String>) -> Self {
        Self {
            compliance: Compliance::NotApplicable,
            annotation: annotation.into(),
        }
    }
}

/// How a rule is triggered in the templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// On configuration changes of its resource types.
    Change,
    /// On a schedule, over the whole inventory of its resource types.
    Periodic,
}

/// One rule parameter.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// The key in the rule's input parameters.
    pub name: &'static str,
    /// Used when the key is absent.
    pub default: Option<&'static str>,
    /// Whether the key must be given.
    pub required: bool,
    /// What it means.
    pub description: &'static str,
    /// Checks a value; the error says what is expected.
    pub check: fn(&str) -> Result<(), String>,
}

/// Accepts any value.
pub fn any_value(_: &str) -> Result<(), String> {
    Ok(())
}

/// Accepts a TCP port number.
pub fn port_number(v: &str) -> Result<(), String> {
    v.trim()
        .parse::<u16>()
        .map(|_| ())
        .map_err(|_| format!("{v:?} is not a port number (0-65535)"))
}

/// Validated parameters, defaults filled in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// What an evaluation needs besides the item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// The IDs of the account's SSM managed instances.
    pub managed_instances: bool,
}

/// Data gathered for the rules that declared [`Needs`].
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// SSM managed instance IDs, when a rule needs them.
    pub managed_instances: Option<BTreeSet<String>>,
}

/// Parameter keys the evaluator reads itself, allowed next to every rule's own.
pub const EVALUATOR_PARAMS: &[&str] = &["rule", "executionRoleName"];

/// A custom Config rule.
pub trait Rule: Send + Sync {
    /// Kebab-case name, after the AWS managed rule it mirrors.
    fn name(&self) -> &'static str;
    /// One line: what is checked.
    fn description(&self) -> &'static str;
    /// The resource types it evaluates; empty means every type.
    fn resource_types(&self) -> &'static [&'static str];
    /// Its parameters.
    fn parameters(&self) -> &'static [ParamSpec] {
        &[]
    }
    /// IAM actions it needs in the evaluated account, beyond `config:PutEvaluations`.
    fn iam_actions(&self) -> &'static [&'static str] {
        &[]
    }
    /// How it is triggered.
    fn trigger(&self) -> Trigger {
        Trigger::Change
    }
    /// Extra data it needs.
    fn needs(&self) -> Needs {
        Needs::default()
    }
    /// The verdict for one in-scope, existing resource.
    fn evaluate(&self, item: &ConfigurationItem, params: &Params, ctx: &Context) -> Verdict;

    /// Whether `resource_type` is in scope.
    fn applies_to(&self, resource_type: &str) -> bool {
        self.resource_types().is_empty() || self.resource_types().contains(&resource_type)
    }

    /// Checks raw parameters against [`Rule::parameters`]: unknown keys, missing required keys
    /// and bad values are all reported at once.
    fn validate(&self, raw: &BTreeMap<String, String>) -> Result<Params, Vec<String>> {
        let specs = self.parameters();
        let mut problems = Vec::new();
        for key in raw.keys() {
            if !EVALUATOR_PARAMS.contains(&key.as_str()) && !specs.iter().any(|s| s.name == key) {
                let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
                problems.push(if known.is_empty() {
                    format!(
                        "unknown parameter {key:?}: {} takes no parameters",
                        self.name()
                    )
                } else {
                    format!(
                        "unknown parameter {key:?}; {} takes {}",
                        self.name(),
                        known.join(", ")
                    )
                });
            }
        }
        let mut values = BTreeMap::new();
        for spec in specs {
            match raw
                .get(spec.name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
            {
                Some(v) => match (spec.check)(v) {
                    Ok(()) => {
                        values.insert(spec.name.to_string(), v.to_string());
                    }
                    Err(e) => problems.push(format!("parameter {}: {e}", spec.name)),
                },
                None if spec.required => problems.push(format!(
                    "parameter {} is required: {}",
                    spec.name, spec.description
                )),
                None => {
                    if let Some(d) = spec.default {
                        values.insert(spec.name.to_string(), d.to_string());
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(Params(values))
        } else {
            Err(problems)
        }
    }
}

/// Every shipped rule, in the order `--list` prints them.
pub static RULES: &[&dyn Rule] = &[
    &security_groups::IncomingSshDisabled,
    &security_groups::RestrictedCommonPorts,
    &s3::PublicReadProhibited,
    &s3::PublicWriteProhibited,
    &volumes::EncryptedVolumes,
    &tags::RequiredTags,
    &instances::ManagedBySsm,
    &iam::NoAdminAccess,
];

/// The rule named `name`.
pub fn find(name: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.name() == name)
}

/// The names of every rule, for error messages.
pub fn names() -> Vec<&'static str> {
    RULES.iter().map(|r| r.name()).collect()
}

/// A human-readable listing of every rule: what `config-rules --list` prints.
pub fn listing() -> String {
    let mut out = String::new();
    for r in RULES {
        let types = if r.resource_types().is_empty() {
            "any".to_string()
        } else {
            r.resource_types().join(", ")
        };
        let trigger = match r.trigger() {
            Trigger::Change => "configuration changes",
            Trigger::Periodic => "periodic",
        };
        out.push_str(&format!(
            "{}\n  {}\n  resource types: {types}\n  trigger: {trigger}\n",
            r.name(),
            r.description()
        ));
        if r.parameters().is_empty() {
            out.push_str("  parameters: none\n");
        } else {
            out.push_str("  parameters:\n");
            for p in r.parameters() {
                let note = match (p.required, p.default) {
                    (true, _) => " (required)".to_string(),
                    (false, Some(d)) => format!(" (default {d})"),
                    (false, None) => " (optional)".to_string(),
                };
                out.push_str(&format!("    {}{note}: {}\n", p.name, p.description));
            }
        }
        let mut actions = vec!["config:PutEvaluations", "config:GetResourceConfigHistory"];
        actions.extend(r.iam_actions());
        out.push_str(&format!("  IAM actions: {}\n\n", actions.join(", ")));
    }
    out
}

#[cfg(test)]
pub(crate) mod testkit {
    use super::*;
    use serde_json::{Value, json};

    pub fn item(resource_type: &str, id: &str, configuration: Value) -> ConfigurationItem {
        ConfigurationItem::from_json(&json!({
            "resourceType": resource_type, "resourceId": id, "configurationItemStatus": "OK",
            "configuration": configuration,
        }))
        .unwrap()
    }

    pub fn params(rule: &dyn Rule, pairs: &[(&str, &str)]) -> Params {
        let raw = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        rule.validate(&raw).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_are_unique_kebab_case() {
        let names = names();
        let unique: BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        for n in names {
            assert!(
                n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{n}"
            );
            assert!(find(n).is_some());
        }
        assert!(find("no-such-rule").is_none());
    }

    #[test]
    fn unknown_and_missing_parameters_are_all_reported() {
        let rule = find("required-tags").unwrap();
        let raw = [("colour".to_string(), "x".to_string())]
            .into_iter()
            .collect();
        let problems = rule.validate(&raw).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("unknown parameter \"colour\"")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("tag1Key is required")),
            "{problems:?}"
        );
    }

    #[test]
    fn evaluator_keys_are_allowed_and_defaults_filled() {
        let rule = find("restricted-common-ports").unwrap();
        let raw = [("rule".to_string(), "restricted-common-ports".to_string())]
            .into_iter()
            .collect();
        let p = rule.validate(&raw).unwrap();
        assert_eq!(p.get("blockedPort3"), Some("3389"));
    }

    #[test]
    fn bad_values_are_refused() {
        let rule = find("restricted-common-ports").unwrap();
        let raw = [("blockedPort1".to_string(), "http".to_string())]
            .into_iter()
            .collect();
        assert!(rule.validate(&raw).unwrap_err()[0].contains("not a port number"));
    }

    #[test]
    fn listing_names_every_rule_type_parameter_and_action() {
        let l = listing();
        for r in RULES {
            assert!(l.contains(r.name()));
            for t in r.resource_types() {
                assert!(l.contains(t));
            }
            for p in r.parameters() {
                assert!(l.contains(p.name));
            }
            for a in r.iam_actions() {
                assert!(l.contains(a));
            }
        }
    }
}
