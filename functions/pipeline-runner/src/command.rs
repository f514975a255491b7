//! The shell text sent to `AWS-RunShellScript`, built from a [`Plan`].
//!
//! Nothing secret is ever written here: environment values are fetched from Parameter Store by
//! the instance itself, with its own role, and the artifact is downloaded with the instance's
//! role rather than the event's `artifactCredentials`.

use crate::job::ArtifactLocation;
use crate::params::{Plan, Work};

/// Lines the script prints as `ferrops-output NAME=VALUE` become CodePipeline output variables.
pub(crate) const OUTPUT_PREFIX: &str = "ferrops-output ";

/// Quotes a string for POSIX `sh`.
pub(crate) fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Why the command text could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CommandError {
    /// A `script` plan needs an input artifact to download.
    #[error(
        "\"script\" needs an input artifact, but this action has none; add the source artifact to the action's input artifacts"
    )]
    NoInputArtifact,
}

/// The command lines for `plan`.
///
/// The lines run under `set -e`, so the first failing line fails the command, as a build step
/// should. `region` is where the instance's `aws` CLI reads parameters and the artifact.
pub(crate) fn shell_lines(
    plan: &Plan,
    artifact: Option<&ArtifactLocation>,
    region: &str,
) -> Result<Vec<String>, CommandError> {
    let region = sh_quote(region);
    let mut lines = vec!["set -e".to_string()];
    for (name, param) in &plan.env {
        lines.push(format!(
            "{name}=\"$(aws ssm get-parameter --region {region} --with-decryption --name {} --query Parameter.Value --output text)\"",
            sh_quote(param)
        ));
        lines.push(format!("export {name}"));
    }
    match &plan.work {
        Work::Commands(cmds) => lines.extend(cmds.iter().cloned()),
        Work::Script(path) => {
            let artifact = artifact.ok_or(CommandError::NoInputArtifact)?;
            let source = sh_quote(&format!("s3://{}/{}", artifact.bucket, artifact.key));
            lines
                .push(r#"ferrops_tmp="$(mktemp -d "${TMPDIR:-/tmp}/ferrops.XXXXXX")""#.to_string());
            lines.push(r#"trap 'rm -rf "$ferrops_tmp"' EXIT"#.to_string());
            match &plan.working_directory {
                // A working directory is where the source is staged, so later actions can use it.
                Some(dir) => {
                    let dir = sh_quote(dir);
                    lines.push(format!("mkdir -p {dir}"));
                    lines.push(format!("ferrops_src={dir}"));
                }
                None => lines.push(r#"ferrops_src="$ferrops_tmp/src""#.to_string()),
            }
            lines.push(format!(
                r#"aws s3 cp --region {region} --only-show-errors {source} "$ferrops_tmp/artifact.zip""#
            ));
            lines.push(
                r#"if command -v unzip >/dev/null 2>&1; then unzip -o -q "$ferrops_tmp/artifact.zip" -d "$ferrops_src"; else python3 -m zipfile -e "$ferrops_tmp/artifact.zip" "$ferrops_src"; fi"#
                    .to_string(),
            );
            lines.push(r#"cd "$ferrops_src""#.to_string());
            let script = sh_quote(&format!("./{path}"));
            lines.push(format!("chmod +x {script}"));
            lines.push(script);
        }
    }
    Ok(lines)
}

/// The SSM `workingDirectory` parameter: only for `commands`, because a `script` plan stages
/// into the directory itself and SSM refuses a directory that does not exist yet.
pub(crate) fn ssm_working_directory(plan: &Plan) -> Option<&str> {
    match plan.work {
        Work::Commands(_) => plan.working_directory.as_deref(),
        Work::Script(_) => None,
    }
}

/// Collects `ferrops-output NAME=VALUE` lines; a later line for the same name wins.
/// Returns the variables and the names refused because CodePipeline would reject them.
pub(crate) fn output_variables(stdout: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut refused = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.trim_end_matches('\r').strip_prefix(OUTPUT_PREFIX) else {
            continue;
        };
        let Some((name, value)) = rest.split_once('=') else {
            refused.push(rest.to_string());
            continue;
        };
        let name = name.trim();
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"@-_".contains(&b));
        if !valid {
            refused.push(name.to_string());
            continue;
        }
        vars.retain(|(n, _)| n != name);
        vars.push((name.to_string(), value.to_string()));
    }
    (vars, refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::parse;

    fn plan(json: &str) -> Plan {
        parse(Some(json)).unwrap()
    }

    #[test]
    fn commands_run_after_set_e() {
        let p = plan(r#"{"commands":["make","make test"],"instanceIds":["i-12345678"]}"#);
        let lines = shell_lines(&p, None, "eu-west-1").unwrap();
        assert_eq!(lines, vec!["set -e", "make", "make test"]);
    }

    #[test]
    fn env_is_resolved_on_the_instance_and_never_inlined() {
        let p = plan(
            r#"{"commands":["deploy"],"instanceIds":["i-12345678"],"env":{"DB_PASSWORD":"ssm:/app/db"}}"#,
        );
        let lines = shell_lines(&p, None, "eu-west-1").unwrap();
        assert_eq!(
            lines[1],
            "DB_PASSWORD=\"$(aws ssm get-parameter --region 'eu-west-1' --with-decryption --name '/app/db' --query Parameter.Value --output text)\""
        );
        assert_eq!(lines[2], "export DB_PASSWORD");
        assert_eq!(lines[3], "deploy");
    }

    #[test]
    fn script_downloads_unpacks_and_runs_from_the_source_root() {
        let p = plan(r#"{"script":"ci/build.sh","instanceIds":["i-12345678"]}"#);
        let art = ArtifactLocation {
            bucket: "artifacts".into(),
            key: "app/Source/abc.zip".into(),
        };
        let text = shell_lines(&p, Some(&art), "eu-west-1").unwrap().join("\n");
        assert!(text.contains("aws s3 cp --region 'eu-west-1' --only-show-errors 's3://artifacts/app/Source/abc.zip'"), "{text}");
        assert!(text.contains(r#"cd "$ferrops_src""#));
        assert!(text.ends_with("'./ci/build.sh'"), "{text}");
        assert!(text.contains("trap 'rm -rf"));
    }

    #[test]
    fn script_with_working_directory_stages_there() {
        let p =
            plan(r#"{"script":"b.sh","instanceIds":["i-12345678"],"workingDirectory":"/srv/app"}"#);
        let art = ArtifactLocation {
            bucket: "b".into(),
            key: "k".into(),
        };
        let lines = shell_lines(&p, Some(&art), "us-east-1").unwrap();
        assert!(lines.contains(&"mkdir -p '/srv/app'".to_string()));
        assert!(lines.contains(&"ferrops_src='/srv/app'".to_string()));
        assert_eq!(ssm_working_directory(&p), None);
    }

    #[test]
    fn script_without_an_input_artifact_is_a_configuration_problem() {
        let p = plan(r#"{"script":"b.sh","instanceIds":["i-12345678"]}"#);
        assert_eq!(
            shell_lines(&p, None, "us-east-1"),
            Err(CommandError::NoInputArtifact)
        );
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn output_variables_are_parsed_and_bad_names_reported() {
        let out = "building\nferrops-output VERSION=1.2.3\nferrops-output bad name=x\nferrops-output URL=http://x/?a=b\nferrops-output VERSION=1.2.4\r\n";
        let (vars, refused) = output_variables(out);
        assert_eq!(
            vars,
            vec![
                ("URL".into(), "http://x/?a=b".into()),
                ("VERSION".into(), "1.2.4".into())
            ]
        );
        assert_eq!(refused, vec!["bad name".to_string()]);
    }
}
