//! The pure core: what SSM reports about a command → the result CodePipeline gets.

use crate::command::output_variables;
use crate::messages;
use crate::token::Token;
use ferrops::text::{truncate_end, truncate_start};

/// `executionDetails.summary` is 1..=2048 characters.
pub(crate) const SUMMARY_MAX: usize = 2048;
/// `failureDetails.message` is 1..=5000 characters.
pub(crate) const MESSAGE_MAX: usize = 5000;
/// All output variables of an action together may not exceed this many bytes.
pub(crate) const OUTPUT_VARIABLES_MAX_BYTES: usize = 122_880;

/// An `executionDetails.summary`: never empty, never over [`SUMMARY_MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary(String);

impl Summary {
    /// Trims `text` and fits it to the limit, cutting the end if needed.
    pub(crate) fn new(text: impl AsRef<str>) -> Self {
        let t = text.as_ref().trim();
        Self(if t.is_empty() {
            messages::NO_DETAILS.to_string()
        } else {
            truncate_end(t, SUMMARY_MAX)
        })
    }

    /// The summary as CodePipeline receives it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A `failureDetails.message`: never empty, never over [`MESSAGE_MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureMessage(String);

impl FailureMessage {
    /// Trims `text` and fits it to the limit, cutting the end if needed.
    pub(crate) fn new(text: impl AsRef<str>) -> Self {
        let t = text.as_ref().trim();
        Self(if t.is_empty() {
            messages::ACTION_FAILED.to_string()
        } else {
            truncate_end(t, MESSAGE_MAX)
        })
    }

    /// The message as CodePipeline receives it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `failureDetails.type` values this function reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The command ran and failed, timed out or was cancelled.
    JobFailed,
    /// UserParameters or the action's configuration are wrong.
    ConfigurationError,
    /// STS or SSM refused access.
    PermissionError,
    /// AWS could not be reached or kept failing.
    SystemUnavailable,
}

/// What the job is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Still running: `PutJobSuccessResult` with a continuation token.
    InProgress {
        /// The token for the next invocation.
        token: Token,
        /// Progress for the console.
        summary: Summary,
        /// Share of instances finished, 0..=100.
        percent: u8,
    },
    /// Done on every instance: `PutJobSuccessResult` without a token.
    Succeeded {
        /// The SSM command ID, reported as `externalExecutionId`.
        command_id: String,
        /// The stdout tail.
        summary: Summary,
        /// `commandId` plus the `ferrops-output` variables.
        variables: Vec<(String, String)>,
    },
    /// `PutJobFailureResult`.
    Failed {
        /// The failure type.
        kind: FailureKind,
        /// What went wrong, for the console.
        message: FailureMessage,
        /// The SSM command ID, when a command was sent.
        command_id: Option<String>,
    },
}

impl Outcome {
    /// A failure outcome; `message` is fitted to [`MESSAGE_MAX`].
    pub(crate) fn failed(
        kind: FailureKind,
        message: impl AsRef<str>,
        command_id: Option<&str>,
    ) -> Self {
        Outcome::Failed {
            kind,
            message: FailureMessage::new(message),
            command_id: command_id.map(str::to_string),
        }
    }

    /// A short word for logs and the handler's response.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Outcome::InProgress { .. } => "in_progress",
            Outcome::Succeeded { .. } => "succeeded",
            Outcome::Failed { .. } => "failed",
        }
    }
}

/// `GetCommandInvocation` status values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Not yet delivered.
    Pending,
    /// The command is running on the instance.
    InProgress,
    /// Delivery is being retried after a transient problem.
    Delayed,
    /// Cancel requested, not yet done.
    Cancelling,
    /// Exit code 0.
    Success,
    /// Someone cancelled the command.
    Cancelled,
    /// Delivery or execution timed out.
    TimedOut,
    /// Non-zero exit, or the instance could not run it (Undeliverable, Terminated).
    Failed,
    /// A value newer than this code; treated as still running until the deadline.
    Other(String),
}

impl Status {
    /// Parses the API's status string.
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "Pending" => Status::Pending,
            "InProgress" => Status::InProgress,
            "Delayed" => Status::Delayed,
            "Cancelling" => Status::Cancelling,
            "Success" => Status::Success,
            "Cancelled" => Status::Cancelled,
            "TimedOut" => Status::TimedOut,
            "Failed" => Status::Failed,
            other => Status::Other(other.to_string()),
        }
    }

    /// Whether this status ends the invocation in failure.
    pub(crate) fn is_failure(&self) -> bool {
        matches!(self, Status::Cancelled | Status::TimedOut | Status::Failed)
    }

    fn name(&self) -> &str {
        match self {
            Status::Pending => "Pending",
            Status::InProgress => "InProgress",
            Status::Delayed => "Delayed",
            Status::Cancelling => "Cancelling",
            Status::Success => "Success",
            Status::Cancelled => "Cancelled",
            Status::TimedOut => "TimedOut",
            Status::Failed => "Failed",
            Status::Other(s) => s,
        }
    }
}

/// One instance's invocation, as `GetCommandInvocation` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The instance it ran on.
    pub instance_id: String,
    /// Where the invocation stands.
    pub status: Status,
    /// `StatusDetails`, such as "Undeliverable" or "Execution Timed Out".
    pub details: String,
    /// The exit code, or -1 when the command never ran.
    pub exit_code: i32,
    /// First 24,000 characters of stdout.
    pub stdout: String,
    /// First 8,000 characters of stderr.
    pub stderr: String,
    /// Where the full stdout is, when output goes to S3.
    pub stdout_url: Option<String>,
    /// Where the full stderr is, when output goes to S3.
    pub stderr_url: Option<String>,
}

/// Everything one status check learned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Observation {
    /// Invocations SSM reports.
    pub(crate) visible: Vec<Invocation>,
    /// Instances SSM does not know yet (`InvocationDoesNotExist` right after sending).
    pub(crate) not_visible: Vec<String>,
    /// How many instances the command targets, when known.
    pub(crate) expected: Option<usize>,
    /// The command finished without any instance matching its targets.
    pub(crate) no_targets_matched: bool,
}

/// Decides the job result from one status check. `now` is Unix seconds.
pub(crate) fn decide(token: &Token, obs: &Observation, now: u64) -> Outcome {
    let cmd = token.cmd.as_deref().unwrap_or(messages::UNKNOWN_COMMAND);
    let total = obs
        .expected
        .unwrap_or(obs.visible.len() + obs.not_visible.len());

    let failed: Vec<&Invocation> = obs
        .visible
        .iter()
        .filter(|i| i.status.is_failure())
        .collect();
    if !failed.is_empty() {
        return Outcome::failed(
            FailureKind::JobFailed,
            failure_message(cmd, &failed, total),
            Some(cmd),
        );
    }

    if obs.no_targets_matched {
        return Outcome::failed(
            FailureKind::JobFailed,
            messages::no_targets_matched(cmd),
            Some(cmd),
        );
    }

    let succeeded: Vec<&Invocation> = obs
        .visible
        .iter()
        .filter(|i| i.status == Status::Success)
        .collect();
    if total > 0 && succeeded.len() == total && obs.not_visible.is_empty() {
        return success(cmd, &succeeded);
    }

    let unfinished: Vec<String> = obs
        .visible
        .iter()
        .filter(|i| i.status != Status::Success)
        .map(|i| messages::instance_status(&i.instance_id, i.status.name()))
        .chain(obs.not_visible.iter().map(|i| messages::not_visible(i)))
        .collect();

    if now > token.deadline() {
        return Outcome::failed(
            FailureKind::JobFailed,
            messages::deadline_passed(cmd, token.exec, token.dlv, &unfinished),
            Some(cmd),
        );
    }

    let percent = (succeeded.len() * 100)
        .checked_div(total)
        .unwrap_or(0)
        .min(100) as u8;
    Outcome::InProgress {
        token: token.next(),
        summary: Summary::new(messages::running(
            cmd,
            now.saturating_sub(token.start),
            succeeded.len(),
            total,
            &unfinished,
        )),
        percent,
    }
}

fn success(cmd: &str, done: &[&Invocation]) -> Outcome {
    let mut variables = vec![("commandId".to_string(), cmd.to_string())];
    let mut refused = Vec::new();
    for inv in done {
        let (vars, bad) = output_variables(&inv.stdout);
        for (name, value) in vars {
            variables.retain(|(n, _)| *n != name);
            variables.push((name, value));
        }
        refused.extend(bad);
    }
    let bytes: usize = variables.iter().map(|(n, v)| n.len() + v.len()).sum();
    if bytes > OUTPUT_VARIABLES_MAX_BYTES {
        return Outcome::failed(
            FailureKind::JobFailed,
            messages::variables_too_large(cmd, bytes, OUTPUT_VARIABLES_MAX_BYTES),
            Some(cmd),
        );
    }

    let mut notes = String::new();
    if !refused.is_empty() {
        notes.push_str(&messages::ignored_variable_names(&refused));
    }
    let urls: Vec<&str> = done
        .iter()
        .filter_map(|i| i.stdout_url.as_deref())
        .collect();
    if !urls.is_empty() {
        notes.push_str(&messages::full_output(&urls));
    }
    let budget = SUMMARY_MAX.saturating_sub(notes.chars().count());

    let body = if done.len() == 1 {
        let out = done[0].stdout.trim_end();
        if out.trim().is_empty() {
            messages::printed_nothing(cmd, &done[0].instance_id)
        } else {
            truncate_start(out, budget)
        }
    } else {
        let header = messages::succeeded_on(cmd, done.len());
        let share = budget.saturating_sub(header.chars().count()) / done.len();
        let mut s = header;
        for inv in done {
            let label = messages::instance_label(&inv.instance_id);
            let room = share.saturating_sub(label.chars().count());
            s.push_str(&label);
            s.push_str(&truncate_start(inv.stdout.trim_end(), room));
        }
        s
    };
    Outcome::Succeeded {
        command_id: cmd.to_string(),
        summary: Summary::new(format!("{body}{notes}")),
        variables,
    }
}

fn failure_message(cmd: &str, failed: &[&Invocation], total: usize) -> String {
    let header = messages::failed_on(cmd, failed.len(), total);
    let share = MESSAGE_MAX.saturating_sub(header.chars().count()) / failed.len();
    let mut msg = header;
    for inv in failed {
        let head = messages::instance_failure(
            &inv.instance_id,
            inv.status.name(),
            &inv.details,
            inv.exit_code,
        );
        let url = inv
            .stderr_url
            .as_deref()
            .map(messages::full_stderr)
            .unwrap_or_default();
        let (label, text) = if inv.stderr.trim().is_empty() {
            ("stdout", inv.stdout.trim_end())
        } else {
            ("stderr", inv.stderr.trim_end())
        };
        let intro = messages::last_lines(label);
        let room = share
            .saturating_sub(head.chars().count() + url.chars().count() + intro.chars().count());
        msg.push_str(&head);
        if !text.trim().is_empty() {
            msg.push_str(&intro);
            msg.push_str(&truncate_start(text, room));
        }
        msg.push_str(&url);
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    const CMD: &str = "0b2f8a1c-1234-4abc-9def-0123456789ab";

    fn token() -> Token {
        Token {
            v: 1,
            job: "11111111-abcd-1111-abcd-111111abcdef".into(),
            cmd: Some(CMD.into()),
            start: 1_000,
            exec: 3600,
            dlv: 600,
            checks: 0,
        }
    }

    fn inv(id: &str, status: &str) -> Invocation {
        Invocation {
            instance_id: id.into(),
            status: Status::parse(status),
            details: status.into(),
            exit_code: if status == "Success" { 0 } else { -1 },
            stdout: String::new(),
            stderr: String::new(),
            stdout_url: None,
            stderr_url: None,
        }
    }

    fn obs(visible: Vec<Invocation>) -> Observation {
        let n = visible.len();
        Observation {
            visible,
            expected: Some(n),
            ..Default::default()
        }
    }

    #[test]
    fn every_running_status_keeps_the_job_in_progress_with_a_fresh_token() {
        for status in [
            "Pending",
            "InProgress",
            "Delayed",
            "Cancelling",
            "SomethingNew",
        ] {
            let out = decide(&token(), &obs(vec![inv("i-1", status)]), 1_100);
            match out {
                Outcome::InProgress {
                    token: t,
                    summary,
                    percent,
                } => {
                    assert_eq!(t.checks, 1, "{status}");
                    assert_eq!(t.cmd.as_deref(), Some(CMD));
                    assert_eq!(percent, 0);
                    assert!(
                        summary.as_str().contains(status),
                        "{status}: {}",
                        summary.as_str()
                    );
                }
                other => panic!("{status} gave {other:?}"),
            }
        }
    }

    #[test]
    fn every_failing_status_fails_the_job_with_instance_status_and_code() {
        for (status, details) in [
            ("Failed", "Failed"),
            ("Failed", "Undeliverable"),
            ("Failed", "Terminated"),
            ("TimedOut", "Execution Timed Out"),
            ("TimedOut", "Delivery Timed Out"),
            ("Cancelled", "Cancelled"),
        ] {
            let mut i = inv("i-0abc", status);
            i.details = details.into();
            i.exit_code = 2;
            i.stderr = "make: *** [test] Error 2".into();
            match decide(&token(), &obs(vec![i]), 1_100) {
                Outcome::Failed {
                    kind,
                    message,
                    command_id,
                } => {
                    assert_eq!(kind, FailureKind::JobFailed);
                    let m = message.as_str();
                    assert!(m.contains("i-0abc") && m.contains(status), "{m}");
                    assert!(m.contains("exit code 2"), "{m}");
                    assert!(m.contains("make: *** [test] Error 2"), "{m}");
                    if details != status {
                        assert!(m.contains(details), "{m}");
                    }
                    assert_eq!(command_id.as_deref(), Some(CMD));
                }
                other => panic!("{status} gave {other:?}"),
            }
        }
    }

    #[test]
    fn success_reports_the_stdout_tail_and_output_variables() {
        let mut i = inv("i-1", "Success");
        i.stdout = "compiling\nferrops-output VERSION=1.4.2\nall tests passed\n".into();
        match decide(&token(), &obs(vec![i]), 1_100) {
            Outcome::Succeeded {
                command_id,
                summary,
                variables,
            } => {
                assert_eq!(command_id, CMD);
                assert!(
                    summary.as_str().ends_with("all tests passed"),
                    "{}",
                    summary.as_str()
                );
                assert_eq!(
                    variables,
                    vec![
                        ("commandId".into(), CMD.into()),
                        ("VERSION".into(), "1.4.2".into())
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn long_stdout_is_cut_to_its_last_2048_characters() {
        let mut i = inv("i-1", "Success");
        i.stdout = format!("{}THE END", "x".repeat(30_000));
        let Outcome::Succeeded { summary, .. } = decide(&token(), &obs(vec![i]), 1_100) else {
            panic!()
        };
        assert_eq!(summary.as_str().chars().count(), SUMMARY_MAX);
        assert!(summary.as_str().ends_with("THE END"));
    }

    #[test]
    fn silent_success_still_has_a_non_empty_summary() {
        let Outcome::Succeeded { summary, .. } =
            decide(&token(), &obs(vec![inv("i-1", "Success")]), 1_100)
        else {
            panic!()
        };
        assert!(summary.as_str().contains("printed nothing"));
    }

    #[test]
    fn partial_success_is_still_in_progress_with_percent() {
        let o = obs(vec![inv("i-1", "Success"), inv("i-2", "InProgress")]);
        let Outcome::InProgress { percent, .. } = decide(&token(), &o, 1_100) else {
            panic!()
        };
        assert_eq!(percent, 50);
    }

    #[test]
    fn one_failure_fails_the_job_even_while_others_run() {
        let o = obs(vec![inv("i-1", "InProgress"), inv("i-2", "Failed")]);
        let Outcome::Failed { message, .. } = decide(&token(), &o, 1_100) else {
            panic!()
        };
        assert!(
            message.as_str().contains("failed on 1 of 2 instances"),
            "{}",
            message.as_str()
        );
    }

    #[test]
    fn invocation_not_yet_visible_is_not_a_failure() {
        let o = Observation {
            not_visible: vec!["i-1".into()],
            expected: Some(1),
            ..Default::default()
        };
        let out = decide(&token(), &o, 1_005);
        assert!(matches!(out, Outcome::InProgress { .. }), "{out:?}");
    }

    #[test]
    fn passing_the_deadline_fails_with_the_reason() {
        let t = token();
        let o = obs(vec![inv("i-1", "InProgress")]);
        assert!(matches!(
            decide(&t, &o, t.deadline()),
            Outcome::InProgress { .. }
        ));
        let Outcome::Failed { message, kind, .. } = decide(&t, &o, t.deadline() + 1) else {
            panic!()
        };
        assert_eq!(kind, FailureKind::JobFailed);
        let m = message.as_str();
        assert!(
            m.contains("executionTimeout (3600s)") && m.contains("delivery timeout (600s)"),
            "{m}"
        );
        assert!(m.contains("i-1 InProgress"), "{m}");
    }

    #[test]
    fn never_visible_past_the_deadline_fails() {
        let t = token();
        let o = Observation {
            not_visible: vec!["i-1".into()],
            expected: Some(1),
            ..Default::default()
        };
        let Outcome::Failed { message, .. } = decide(&t, &o, t.deadline() + 1) else {
            panic!()
        };
        assert!(message.as_str().contains("i-1 not visible yet"));
    }

    #[test]
    fn targets_that_match_nothing_fail_clearly() {
        let o = Observation {
            expected: Some(0),
            no_targets_matched: true,
            ..Default::default()
        };
        let Outcome::Failed { message, .. } = decide(&token(), &o, 1_100) else {
            panic!()
        };
        assert!(message.as_str().contains("no SSM managed instance matched"));
    }

    #[test]
    fn targets_not_yet_resolved_wait() {
        let o = Observation {
            expected: None,
            ..Default::default()
        };
        assert!(matches!(
            decide(&token(), &o, 1_100),
            Outcome::InProgress { .. }
        ));
    }

    #[test]
    fn failure_message_fits_5000_chars_with_many_instances_and_huge_stderr() {
        let invs: Vec<Invocation> = (0..50)
            .map(|n| {
                let mut i = inv(&format!("i-{n:017}"), "Failed");
                i.stderr = format!("{}END{n}", "e".repeat(8000));
                i
            })
            .collect();
        let Outcome::Failed { message, .. } = decide(&token(), &obs(invs), 1_100) else {
            panic!()
        };
        assert!(message.as_str().chars().count() <= MESSAGE_MAX);
        assert!(message.as_str().contains("i-00000000000000049"));
        assert!(message.as_str().contains("END49"));
    }

    #[test]
    fn empty_stderr_falls_back_to_the_stdout_tail() {
        let mut i = inv("i-1", "Failed");
        i.exit_code = 1;
        i.stdout = "FAIL: test_login".into();
        let Outcome::Failed { message, .. } = decide(&token(), &obs(vec![i]), 1_100) else {
            panic!()
        };
        assert!(
            message
                .as_str()
                .contains("stdout (last lines):\nFAIL: test_login")
        );
    }

    #[test]
    fn oversized_output_variables_fail_instead_of_being_rejected_by_codepipeline() {
        let mut a = inv("i-1", "Success");
        a.stdout = format!(
            "ferrops-output BIG={}\n",
            "v".repeat(OUTPUT_VARIABLES_MAX_BYTES)
        );
        let Outcome::Failed { message, .. } = decide(&token(), &obs(vec![a]), 1_100) else {
            panic!()
        };
        assert!(message.as_str().contains("output variables total"));
    }

    #[test]
    fn several_instances_share_the_summary() {
        let mut a = inv("i-1", "Success");
        a.stdout = "a".repeat(5000);
        let mut b = inv("i-2", "Success");
        b.stdout = "b".repeat(5000);
        b.stdout_url = Some("https://s3.amazonaws.com/logs/x/stdout".into());
        let Outcome::Succeeded { summary, .. } = decide(&token(), &obs(vec![a, b]), 1_100) else {
            panic!()
        };
        let s = summary.as_str();
        assert!(s.chars().count() <= SUMMARY_MAX);
        assert!(s.contains("[i-1]") && s.contains("[i-2]") && s.contains("Full output: https://"));
    }

    #[test]
    fn summary_and_message_are_never_empty() {
        assert_eq!(Summary::new("  ").as_str(), "(no details)");
        assert!(!FailureMessage::new("").as_str().is_empty());
    }
}
