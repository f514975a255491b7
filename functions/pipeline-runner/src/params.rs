//! The action's public contract: UserParameters (a JSON object) → a validated [`Plan`].

use ferrops::sts::RoleSpec;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// Shown with every configuration error, so the fix is one look away.
pub const EXPECTED_SHAPE: &str = r#"UserParameters must be a JSON object: {"commands": ["make test"] OR "script": "ci/build.sh", "instanceIds": ["i-0123456789abcdef0"] OR "targets": [{"Key": "tag:Role", "Values": ["build"]}], optional "workingDirectory": "/srv/app", "executionTimeout": 3600, "roleArn": "arn:aws:iam::123456789012:role/NAME", "externalId": "...", "env": {"NAME": "ssm:/parameter/path"}, "outputS3BucketName": "bucket", "outputS3KeyPrefix": "logs/"}"#;

/// Default run-time limit of `AWS-RunShellScript`, in seconds.
pub(crate) const DEFAULT_EXECUTION_TIMEOUT: u32 = 3600;
/// The largest `executionTimeout` `AWS-RunShellScript` accepts (48 h).
pub(crate) const MAX_EXECUTION_TIMEOUT: u32 = 172_800;
/// `SendCommand` takes at most this many instance IDs.
pub(crate) const MAX_INSTANCE_IDS: usize = 50;
/// `SendCommand` takes at most this many targets.
pub(crate) const MAX_TARGETS: usize = 5;

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Shell lines, run in order.
    Commands(Vec<String>),
    /// A script inside the first input artifact, given by its relative path.
    Script(String),
}

/// An SSM target such as `tag:Role = build`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagTarget {
    /// `tag:NAME`, `tag-key`, `InstanceIds` or a resource-groups key.
    pub key: String,
    /// The values to match.
    pub values: Vec<String>,
}

/// Where the command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    /// Explicit instance IDs (1..=50).
    Instances(Vec<String>),
    /// SSM targets (1..=5), resolved by SSM when the command is sent.
    Tags(Vec<TagTarget>),
}

/// Where SSM stores the full output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLocation {
    /// The bucket SSM writes stdout and stderr to.
    pub bucket: String,
    /// The key prefix, if any.
    pub prefix: Option<String>,
}

/// A validated UserParameters object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// What to run.
    pub work: Work,
    /// Where to run it.
    pub targets: Targets,
    /// The directory the command starts in.
    pub working_directory: Option<String>,
    /// Run-time limit in seconds.
    pub execution_timeout: u32,
    /// The role to assume to reach the instances' account.
    pub role: Option<RoleSpec>,
    /// Environment variable name → Parameter Store parameter name, resolved on the instance.
    pub env: BTreeMap<String, String>,
    /// Where the full output goes.
    pub output: Option<OutputLocation>,
}

/// Why UserParameters were refused: every problem found, then the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// One line per problem.
    pub problems: Vec<String>,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Invalid UserParameters: {}. {EXPECTED_SHAPE}",
            self.problems.join("; ")
        )
    }
}

impl std::error::Error for ParamError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Raw {
    commands: Option<Vec<String>>,
    script: Option<String>,
    instance_ids: Option<Vec<String>>,
    targets: Option<Vec<RawTarget>>,
    working_directory: Option<String>,
    execution_timeout: Option<i64>,
    role_arn: Option<String>,
    external_id: Option<String>,
    env: Option<BTreeMap<String, String>>,
    #[serde(rename = "outputS3BucketName")]
    output_s3_bucket_name: Option<String>,
    #[serde(rename = "outputS3KeyPrefix")]
    output_s3_key_prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Values")]
    values: Vec<String>,
}

fn is_instance_id(id: &str) -> bool {
    let word = |s: &str, n: usize| {
        s.len() == n && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if let Some(rest) = id.strip_prefix("i-") {
        word(rest, 8) || word(rest, 17)
    } else if let Some(rest) = id.strip_prefix("mi-") {
        word(rest, 17)
    } else {
        false
    }
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_parameter_name(name: &str) -> bool {
    name.starts_with('/')
        && name.len() > 1
        && name.len() <= 2048
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-/".contains(&b))
}

fn is_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

fn is_safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\0')
        && !path.contains('\n')
        && path.split('/').all(|part| part != "..")
}

/// Parses and validates UserParameters. Every problem is reported at once.
pub fn parse(user_parameters: Option<&str>) -> Result<Plan, ParamError> {
    let raw = decode(user_parameters)?;
    let mut problems = Problems::default();
    let work = work(raw.commands, raw.script, &mut problems);
    let targets = targets(raw.instance_ids, raw.targets, &mut problems);
    let working_directory = working_directory(raw.working_directory, &mut problems);
    let execution_timeout = execution_timeout(raw.execution_timeout, &mut problems);
    let role = role(
        raw.role_arn.as_deref(),
        raw.external_id.as_deref(),
        &mut problems,
    );
    let env = env(raw.env.unwrap_or_default(), &mut problems);
    let output = output(
        raw.output_s3_bucket_name,
        raw.output_s3_key_prefix,
        &mut problems,
    );
    match (work, targets) {
        (Some(work), Some(targets)) if problems.0.is_empty() => Ok(Plan {
            work,
            targets,
            working_directory,
            execution_timeout,
            role,
            env,
            output,
        }),
        _ => Err(ParamError {
            problems: problems.0,
        }),
    }
}

/// The problems found so far. Each field group adds its own and carries on, so that one
/// reply lists everything to fix.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    /// Adds `problem` and gives up on the field.
    fn refuse<T>(&mut self, problem: impl Into<String>) -> Option<T> {
        self.add(problem);
        None
    }
}

/// The JSON object, with unknown keys refused by serde.
fn decode(user_parameters: Option<&str>) -> Result<Raw, ParamError> {
    let fail = |p: String| ParamError { problems: vec![p] };
    let text = user_parameters
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| fail("UserParameters is empty".to_string()))?;
    // serde quotes the value it could not use, and UserParameters may hold an external ID.
    serde_json::from_str(text).map_err(|e| {
        fail(format!(
            "not valid: {}",
            ferrops::event::redacted_serde_error(&e)
        ))
    })
}

/// `commands` or `script`: exactly one.
fn work(commands: Option<Vec<String>>, script: Option<String>, p: &mut Problems) -> Option<Work> {
    match (commands, script) {
        (Some(_), Some(_)) => p.refuse("give either \"commands\" or \"script\", not both"),
        (None, None) => p.refuse("one of \"commands\" or \"script\" is required"),
        (Some(cmds), None) => {
            if cmds.is_empty() || cmds.iter().all(|c| c.trim().is_empty()) {
                p.refuse("\"commands\" must hold at least one non-empty line")
            } else if cmds.iter().any(|c| c.contains('\0')) {
                p.refuse("\"commands\" must not contain NUL characters")
            } else {
                Some(Work::Commands(cmds))
            }
        }
        (None, Some(script)) => {
            if is_safe_relative_path(&script) {
                Some(Work::Script(script))
            } else {
                p.refuse(format!(
                    "\"script\" must be a relative path inside the input artifact without \"..\", got {script:?}"
                ))
            }
        }
    }
}

/// `instanceIds` or `targets`: exactly one.
fn targets(
    instance_ids: Option<Vec<String>>,
    targets: Option<Vec<RawTarget>>,
    p: &mut Problems,
) -> Option<Targets> {
    match (instance_ids, targets) {
        (Some(_), Some(_)) => p.refuse("give either \"instanceIds\" or \"targets\", not both"),
        (None, None) => p.refuse("one of \"instanceIds\" or \"targets\" is required"),
        (Some(ids), None) => instances(ids, p),
        (None, Some(ts)) => tag_targets(ts, p),
    }
}

/// 1 to [`MAX_INSTANCE_IDS`] distinct instance IDs, sorted.
fn instances(mut ids: Vec<String>, p: &mut Problems) -> Option<Targets> {
    let bad: Vec<&String> = ids.iter().filter(|i| !is_instance_id(i)).collect();
    if ids.is_empty() || ids.len() > MAX_INSTANCE_IDS {
        return p.refuse(format!(
            "\"instanceIds\" must hold 1 to {MAX_INSTANCE_IDS} IDs, got {}",
            ids.len()
        ));
    }
    if !bad.is_empty() {
        return p.refuse(format!(
            "\"instanceIds\" must look like i-0123456789abcdef0 or mi-…; refused {bad:?}"
        ));
    }
    let before = ids.len();
    ids.sort();
    ids.dedup();
    if ids.len() != before {
        p.add("\"instanceIds\" lists an instance twice");
    }
    Some(Targets::Instances(ids))
}

/// 1 to [`MAX_TARGETS`] SSM targets, each with a key and 1 to 50 values.
fn tag_targets(ts: Vec<RawTarget>, p: &mut Problems) -> Option<Targets> {
    if ts.is_empty() || ts.len() > MAX_TARGETS {
        return p.refuse(format!(
            "\"targets\" must hold 1 to {MAX_TARGETS} entries, got {}",
            ts.len()
        ));
    }
    let mut out = Vec::new();
    for t in ts {
        let key_ok = (1..=163).contains(&t.key.chars().count());
        let values_ok =
            !t.values.is_empty() && t.values.len() <= 50 && t.values.iter().all(|v| !v.is_empty());
        if key_ok && values_ok {
            out.push(TagTarget {
                key: t.key,
                values: t.values,
            });
        } else {
            p.add(format!(
                "each target needs a \"Key\" (1-163 chars) and 1 to 50 non-empty \"Values\"; refused Key {:?}",
                t.key
            ));
        }
    }
    Some(Targets::Tags(out))
}

/// An optional single-line directory.
fn working_directory(dir: Option<String>, p: &mut Problems) -> Option<String> {
    if let Some(d) = &dir
        && (d.trim().is_empty() || d.contains('\n') || d.contains('\0'))
    {
        p.add("\"workingDirectory\" must be a non-empty single-line path");
    }
    dir
}

/// 1 to [`MAX_EXECUTION_TIMEOUT`] seconds, [`DEFAULT_EXECUTION_TIMEOUT`] when absent.
fn execution_timeout(seconds: Option<i64>, p: &mut Problems) -> u32 {
    match seconds {
        None => DEFAULT_EXECUTION_TIMEOUT,
        Some(t) => match u32::try_from(t) {
            Ok(t) if (1..=MAX_EXECUTION_TIMEOUT).contains(&t) => t,
            _ => {
                p.add(format!(
                    "\"executionTimeout\" must be 1 to {MAX_EXECUTION_TIMEOUT} seconds, got {t}"
                ));
                DEFAULT_EXECUTION_TIMEOUT
            }
        },
    }
}

/// The cross-account role: `roleArn`, and `externalId` only with it.
fn role(role_arn: Option<&str>, external_id: Option<&str>, p: &mut Problems) -> Option<RoleSpec> {
    match (role_arn, external_id) {
        (None, Some(_)) => p.refuse("\"externalId\" needs a \"roleArn\""),
        (None, None) => None,
        (Some(arn), ext) => match RoleSpec::new(arn, ext) {
            Ok(r) => Some(r),
            Err(e) => p.refuse(format!("\"roleArn\"/\"externalId\": {e}")),
        },
    }
}

/// Environment variables, each a Parameter Store reference resolved on the instance: a value
/// given here would be a secret in the command text.
fn env(raw: BTreeMap<String, String>, p: &mut Problems) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for (name, value) in raw {
        if !is_env_name(&name) {
            p.add(format!(
                "\"env\" name {name:?} is not a valid shell variable name"
            ));
            continue;
        }
        match value.strip_prefix("ssm:") {
            Some(param) if is_parameter_name(param) => {
                env.insert(name, param.to_string());
            }
            _ => p.add(format!(
                "\"env\".{name} must be a Parameter Store reference such as \"ssm:/app/db-password\": values are resolved on the instance so that secrets never enter the command text"
            )),
        }
    }
    env
}

/// Where SSM writes the full output: a bucket, and a key prefix only with it.
fn output(
    bucket: Option<String>,
    prefix: Option<String>,
    p: &mut Problems,
) -> Option<OutputLocation> {
    match (bucket, prefix) {
        (None, Some(_)) => p.refuse("\"outputS3KeyPrefix\" needs \"outputS3BucketName\""),
        (None, None) => None,
        (Some(bucket), prefix) => {
            if !is_bucket_name(&bucket) {
                p.add(format!(
                    "\"outputS3BucketName\" {bucket:?} is not a valid bucket name"
                ));
            }
            if prefix.as_ref().is_some_and(|k| k.len() > 500) {
                p.add("\"outputS3KeyPrefix\" must be at most 500 characters");
            }
            Some(OutputLocation {
                bucket,
                prefix: prefix.filter(|k| !k.is_empty()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(json: &str) -> Plan {
        parse(Some(json)).unwrap_or_else(|e| panic!("{json} refused: {e}"))
    }

    fn problems(json: &str) -> String {
        parse(Some(json)).unwrap_err().to_string()
    }

    #[test]
    fn minimal_commands_on_instances() {
        let p = ok(r#"{"commands":["make test"],"instanceIds":["i-0123456789abcdef0"]}"#);
        assert_eq!(p.work, Work::Commands(vec!["make test".into()]));
        assert_eq!(
            p.targets,
            Targets::Instances(vec!["i-0123456789abcdef0".into()])
        );
        assert_eq!(p.execution_timeout, DEFAULT_EXECUTION_TIMEOUT);
        assert!(p.role.is_none() && p.env.is_empty() && p.output.is_none());
    }

    #[test]
    fn full_contract_is_accepted() {
        let p = ok(
            r#"{"script":"ci/build.sh","targets":[{"Key":"tag:Role","Values":["build"]}],
            "workingDirectory":"/srv/app","executionTimeout":900,
            "roleArn":"arn:aws:iam::111122223333:role/ferrops-runner","externalId":"ext-123",
            "env":{"DB_PASSWORD":"ssm:/app/db-password"},
            "outputS3BucketName":"ci-logs","outputS3KeyPrefix":"runner/"}"#,
        );
        assert_eq!(p.work, Work::Script("ci/build.sh".into()));
        assert_eq!(
            p.targets,
            Targets::Tags(vec![TagTarget {
                key: "tag:Role".into(),
                values: vec!["build".into()]
            }])
        );
        assert_eq!(p.execution_timeout, 900);
        assert_eq!(p.role.as_ref().unwrap().account(), "111122223333");
        assert_eq!(p.env["DB_PASSWORD"], "/app/db-password");
        assert_eq!(p.output.unwrap().prefix.as_deref(), Some("runner/"));
    }

    #[test]
    fn empty_or_non_json_parameters_are_configuration_errors_that_show_the_shape() {
        for bad in [
            None,
            Some(""),
            Some("   "),
            Some("make test"),
            Some("[1,2]"),
        ] {
            let msg = parse(bad).unwrap_err().to_string();
            assert!(
                msg.contains("UserParameters must be a JSON object"),
                "{msg}"
            );
        }
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let msg =
            problems(r#"{"commands":["x"],"instanceIds":["i-0123456789abcdef0"],"token":"abc"}"#);
        assert!(msg.contains("unknown field `token`"), "{msg}");
    }

    #[test]
    fn both_or_neither_of_the_pairs_are_refused_together() {
        let msg = problems(r#"{"commands":["x"],"script":"a.sh"}"#);
        assert!(msg.contains("not both"), "{msg}");
        assert!(
            msg.contains("\"instanceIds\" or \"targets\" is required"),
            "{msg}"
        );
        let msg = problems(
            r#"{"instanceIds":["i-0123456789abcdef0"],"targets":[{"Key":"tag:a","Values":["b"]}]}"#,
        );
        assert!(
            msg.contains("\"commands\" or \"script\" is required"),
            "{msg}"
        );
        assert!(msg.contains("not both"), "{msg}");
    }

    #[test]
    fn instance_ids_are_checked_for_count_and_shape() {
        assert!(problems(r#"{"commands":["x"],"instanceIds":[]}"#).contains("1 to 50"));
        let many: Vec<String> = (0..51).map(|i| format!("\"i-{i:017x}\"")).collect();
        let json = format!(r#"{{"commands":["x"],"instanceIds":[{}]}}"#, many.join(","));
        assert!(problems(&json).contains("got 51"));
        assert!(problems(r#"{"commands":["x"],"instanceIds":["web-1"]}"#).contains("web-1"));
        assert!(
            problems(
                r#"{"commands":["x"],"instanceIds":["i-0123456789abcdef0","i-0123456789abcdef0"]}"#
            )
            .contains("twice")
        );
        ok(r#"{"commands":["x"],"instanceIds":["i-12345678","mi-0123456789abcdef0"]}"#);
    }

    #[test]
    fn timeouts_outside_the_document_range_are_refused() {
        for t in ["0", "-5", "172801"] {
            let json = format!(
                r#"{{"commands":["x"],"instanceIds":["i-12345678"],"executionTimeout":{t}}}"#
            );
            assert!(problems(&json).contains("executionTimeout"), "{t}");
        }
        let json = r#"{"commands":["x"],"instanceIds":["i-12345678"],"executionTimeout":"60"}"#;
        assert!(problems(json).contains("invalid type"));
    }

    #[test]
    fn env_values_must_be_parameter_store_references() {
        let msg = problems(
            r#"{"commands":["x"],"instanceIds":["i-12345678"],"env":{"TOKEN":"ghp_literal_secret"}}"#,
        );
        assert!(msg.contains("Parameter Store reference"), "{msg}");
        assert!(
            !msg.contains("ghp_literal_secret"),
            "the refused value must not be echoed: {msg}"
        );
        assert!(
            problems(r#"{"commands":["x"],"instanceIds":["i-12345678"],"env":{"1BAD":"ssm:/a"}}"#)
                .contains("1BAD")
        );
        assert!(
            problems(r#"{"commands":["x"],"instanceIds":["i-12345678"],"env":{"A":"ssm:a b"}}"#)
                .contains("env")
        );
    }

    #[test]
    fn external_id_needs_a_role_and_roles_must_be_arns() {
        assert!(
            problems(r#"{"commands":["x"],"instanceIds":["i-12345678"],"externalId":"abc"}"#)
                .contains("needs a \"roleArn\"")
        );
        assert!(
            problems(
                r#"{"commands":["x"],"instanceIds":["i-12345678"],"roleArn":"ferrops-runner"}"#
            )
            .contains("not a role ARN")
        );
    }

    #[test]
    fn scripts_must_stay_inside_the_artifact() {
        for bad in ["/etc/passwd", "../x.sh", "a/../../b.sh", ""] {
            let json = format!(r#"{{"script":{bad:?},"instanceIds":["i-12345678"]}}"#);
            assert!(problems(&json).contains("relative path"), "{bad}");
        }
    }

    #[test]
    fn output_prefix_needs_a_bucket_and_buckets_are_checked() {
        assert!(
            problems(r#"{"commands":["x"],"instanceIds":["i-12345678"],"outputS3KeyPrefix":"p"}"#)
                .contains("needs \"outputS3BucketName\"")
        );
        assert!(problems(r#"{"commands":["x"],"instanceIds":["i-12345678"],"outputS3BucketName":"Bad_Bucket"}"#).contains("not a valid bucket"));
    }

    #[test]
    fn target_entries_are_validated() {
        assert!(problems(r#"{"commands":["x"],"targets":[]}"#).contains("1 to 5"));
        assert!(
            problems(r#"{"commands":["x"],"targets":[{"Key":"tag:Role","Values":[]}]}"#)
                .contains("Values")
        );
        assert!(
            problems(
                r#"{"commands":["x"],"targets":[{"Key":"tag:Role","Values":["a"],"Extra":1}]}"#
            )
            .contains("unknown field")
        );
    }

    #[test]
    fn blank_commands_are_refused() {
        assert!(
            problems(r#"{"commands":[],"instanceIds":["i-12345678"]}"#).contains("at least one")
        );
        assert!(
            problems(r#"{"commands":["  "],"instanceIds":["i-12345678"]}"#)
                .contains("at least one")
        );
    }
}
