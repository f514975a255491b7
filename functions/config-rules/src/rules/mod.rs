//! The rules: each is a declaration ([`Rule`]: name, resource types, parameters, IAM actions,
//! trigger) plus a plain function from one configuration item and its parameters to a verdict.
//! The generic work lives in [`crate::evaluate`].

mod iam;
mod instances;
mod s3;
mod security_groups;
mod tags;
mod volumes;

use crate::item::ConfigurationItem;
use crate::ports::actions;
use std::collections::{BTreeMap, BTreeSet};

pub use ferrops::compliance::Compliance;

/// A rule's answer for one resource. Its constructors make only the results a rule may report:
/// `INSUFFICIENT_DATA` is Config's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The result.
    pub compliance: Compliance,
    /// Why, in words an admin can act on.
    pub annotation: String,
}

impl Verdict {
    /// A compliant verdict.
    pub(crate) fn compliant(annotation: impl Into<String>) -> Self {
        Self {
            compliance: Compliance::Compliant,
            annotation: annotation.into(),
        }
    }
    /// A non-compliant verdict.
    pub(crate) fn non_compliant(annotation: impl Into<String>) -> Self {
        Self {
            compliance: Compliance::NonCompliant,
            annotation: annotation.into(),
        }
    }
    /// A not-applicable verdict.
    pub(crate) fn not_applicable(annotation: impl Into<String>) -> Self {
        Self {
            compliance: Compliance::NotApplicable,
            annotation: annotation.into(),
        }
    }
}

/// How a rule is triggered in the templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TriggerKind {
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
    /// What it means; a missing required key's error quotes it.
    pub description: &'static str,
    /// Checks a value; the error says what is expected.
    pub(crate) check: fn(&str) -> Result<(), String>,
}

/// Accepts any value.
pub(crate) fn any_value(_: &str) -> Result<(), String> {
    Ok(())
}

/// Accepts a TCP port number.
pub(crate) fn port_number(v: &str) -> Result<(), String> {
    v.trim()
        .parse::<u16>()
        .map(|_| ())
        .map_err(|_| format!("{v:?} is not a port number (0-65535)"))
}

/// Validated parameters, defaults filled in: what [`Rule::validate`] returns and a rule reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// A parameter's value; a blank value counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// What an evaluation needs besides the item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Needs {
    /// The IDs of the account's SSM managed instances.
    pub(crate) managed_instances: bool,
}

impl Needs {
    /// Nothing besides the item.
    pub(crate) const NOTHING: Needs = Needs {
        managed_instances: false,
    };
}

/// Data gathered for the rules that declared [`Needs`].
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// SSM managed instance IDs, when a rule needs them.
    pub managed_instances: Option<BTreeSet<String>>,
}

/// Parameter keys the evaluator reads itself, allowed next to every rule's own.
const EVALUATOR_PARAMS: &[&str] = &["rule", "executionRoleName"];

/// IAM actions every rule needs in the evaluated account: the put, and the read of an oversized
/// item.
const BASE_IAM_ACTIONS: &[&str] = &[
    actions::PUT_EVALUATIONS,
    actions::GET_RESOURCE_CONFIG_HISTORY,
];

/// A custom Config rule: a declaration of what it checks, and the plain function that checks one
/// item. Everything generic (scope, deleted resources, inventories, batches) is the evaluator's.
#[derive(Debug)]
pub struct Rule {
    /// Kebab-case name, after the AWS managed rule it mirrors.
    pub(crate) name: &'static str,
    /// One line: what is checked.
    pub(crate) description: &'static str,
    /// The resource types it evaluates; empty means every type.
    pub(crate) resource_types: &'static [&'static str],
    /// Its parameters.
    pub(crate) parameters: &'static [ParamSpec],
    /// IAM actions it needs in the evaluated account beyond [`BASE_IAM_ACTIONS`].
    pub(crate) iam_actions: &'static [&'static str],
    /// How the templates trigger it.
    pub(crate) trigger: TriggerKind,
    /// Extra data it needs.
    pub(crate) needs: Needs,
    /// The verdict for one in-scope, existing resource.
    pub(crate) check: fn(&ConfigurationItem, &Params, &Context) -> Verdict,
}

impl Rule {
    /// Kebab-case name, after the AWS managed rule it mirrors.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The resource types it evaluates; empty means every type.
    pub fn resource_types(&self) -> &'static [&'static str] {
        self.resource_types
    }

    /// Its parameters.
    pub fn parameters(&self) -> &'static [ParamSpec] {
        self.parameters
    }

    /// IAM actions it needs in the evaluated account, beyond `config:PutEvaluations` and
    /// `config:GetResourceConfigHistory`.
    pub fn iam_actions(&self) -> &'static [&'static str] {
        self.iam_actions
    }

    /// The verdict for one in-scope, existing resource; [`crate::evaluate::verdict_for`] decides
    /// the generic cases first.
    pub fn evaluate(&self, item: &ConfigurationItem, params: &Params, ctx: &Context) -> Verdict {
        (self.check)(item, params, ctx)
    }

    /// Whether `resource_type` is in scope.
    pub(crate) fn applies_to(&self, resource_type: &str) -> bool {
        self.resource_types.is_empty() || self.resource_types.contains(&resource_type)
    }

    /// Checks raw parameters against [`Rule::parameters`]: unknown keys, missing required keys
    /// and bad values are all reported at once.
    pub fn validate(&self, raw: &BTreeMap<String, String>) -> Result<Params, Vec<String>> {
        let specs = self.parameters;
        let mut problems = Vec::new();
        for key in raw.keys() {
            if !EVALUATOR_PARAMS.contains(&key.as_str()) && !specs.iter().any(|s| s.name == key) {
                let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
                problems.push(if known.is_empty() {
                    format!(
                        "unknown parameter {key:?}: {} takes no parameters",
                        self.name
                    )
                } else {
                    format!(
                        "unknown parameter {key:?}; {} takes {}",
                        self.name,
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
pub static RULES: &[&Rule] = &[
    &security_groups::INCOMING_SSH_DISABLED,
    &security_groups::RESTRICTED_COMMON_PORTS,
    &s3::PUBLIC_READ_PROHIBITED,
    &s3::PUBLIC_WRITE_PROHIBITED,
    &volumes::ENCRYPTED_VOLUMES,
    &tags::REQUIRED_TAGS,
    &instances::MANAGED_BY_SSM,
    &iam::NO_ADMIN_ACCESS,
];

/// The rule named `name`.
pub fn find(name: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.name == name)
}

/// The names of every rule, for error messages.
pub(crate) fn names() -> Vec<&'static str> {
    RULES.iter().map(|r| r.name).collect()
}

/// A human-readable listing of every rule, from the rules' declarations: what
/// `config-rules --list` prints.
pub fn listing() -> String {
    let mut out = String::new();
    for r in RULES {
        let types = if r.resource_types.is_empty() {
            "any".to_string()
        } else {
            r.resource_types.join(", ")
        };
        let trigger = match r.trigger {
            TriggerKind::Change => "configuration changes",
            TriggerKind::Periodic => "periodic",
        };
        out.push_str(&format!(
            "{}\n  {}\n  resource types: {types}\n  trigger: {trigger}\n",
            r.name, r.description
        ));
        if r.parameters.is_empty() {
            out.push_str("  parameters: none\n");
        } else {
            out.push_str("  parameters:\n");
            for p in r.parameters {
                let note = match (p.required, p.default) {
                    (true, _) => " (required)".to_string(),
                    (false, Some(d)) => format!(" (default {d})"),
                    (false, None) => " (optional)".to_string(),
                };
                out.push_str(&format!("    {}{note}: {}\n", p.name, p.description));
            }
        }
        let actions: Vec<&str> = BASE_IAM_ACTIONS
            .iter()
            .chain(r.iam_actions)
            .copied()
            .collect();
        out.push_str(&format!("  IAM actions: {}\n\n", actions.join(", ")));
    }
    out
}

#[cfg(test)]
pub(crate) mod testkit {
    use super::*;
    use serde_json::{Value, json};

    pub(crate) fn item(resource_type: &str, id: &str, configuration: Value) -> ConfigurationItem {
        ConfigurationItem::from_json(&json!({
            "resourceType": resource_type, "resourceId": id, "configurationItemStatus": "OK",
            "configuration": configuration,
        }))
        .unwrap()
    }

    pub(crate) fn params(rule: &Rule, pairs: &[(&str, &str)]) -> Params {
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
