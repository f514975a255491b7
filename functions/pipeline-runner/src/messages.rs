//! Every text a job result shows in the CodePipeline console: the summaries of running and
//! finished jobs and the failure messages. The handler and [`crate::decide`] choose *which*
//! text applies and fit it to CodePipeline's limits; the wording lives here.
//!
//! UserParameters problems stay with their checks in [`crate::params`], next to the contract
//! they explain.

use std::fmt::Display;

/// The SSM command comment that names the job, so an operator can find its command in the Run
/// Command history.
pub(crate) fn command_comment(job_id: &str) -> String {
    format!("ferrops job {job_id}")
}

/// `"s"` unless there is exactly one.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A duration as `42s`, `3m05s` or `2h07m`.
pub(crate) fn elapsed(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

// Starting a job.

/// The summary after sending command `command_id` to `targets`, described by
/// [`instance_count`] or [`tag_targets`].
pub(crate) fn sent(command_id: &str, targets: &str) -> String {
    format!("Sent command {command_id} to {targets}; waiting for it to finish.")
}

/// "3 instances".
pub(crate) fn instance_count(n: usize) -> String {
    format!("{n} instance{}", plural(n))
}

/// "tag:Role=build,test tag:Env=ci".
pub(crate) fn tag_targets<'a>(targets: impl Iterator<Item = (&'a str, &'a [String])>) -> String {
    targets
        .map(|(key, values)| format!("{key}={}", values.join(",")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The summary of a redelivered first invocation whose job already has command `command_id`.
pub(crate) fn already_sent(command_id: &str) -> String {
    format!("Command {command_id} was already sent for this job; waiting for it.")
}

/// The summary of a redelivered first invocation while the first delivery is still sending.
pub(crate) const ANOTHER_DELIVERY_SENDING: &str =
    "Another delivery of this job is sending its command; waiting for it.";

/// The failure when the ledger refused the claim, so nothing was sent.
pub(crate) fn ledger_unwritable(error: &impl Display) -> String {
    format!("No command was sent: the job ledger could not be written ({error}).")
}

// Checking a job.

/// The summary while the ledger does not yet show the command of a claimed job.
pub(crate) const WAITING_FOR_RECORD: &str = "Waiting for the command of this job to be recorded.";

/// The failure when a claim never got its command recorded: the send may or may not have
/// happened, so the operator must look before retrying.
pub(crate) fn unconfirmed_send(job_id: &str) -> String {
    format!(
        "Could not confirm that the command for job {job_id} was sent: its first delivery stopped between claiming the job and recording the command. Look for the comment \"{}\" in the Run Command history before retrying the stage.",
        command_comment(job_id)
    )
}

/// The failure for a token that carries no command.
pub(crate) const TOKEN_WITHOUT_COMMAND: &str = "The continuation token names no command.";

/// The summary after a status check failed in a way that may pass.
pub(crate) fn status_check_failed(error: &impl Display) -> String {
    format!("Status check failed ({error}); checking again shortly.")
}

/// The command ID shown when a token lost it.
pub(crate) const UNKNOWN_COMMAND: &str = "(unknown)";

/// One unfinished instance: "i-0abc InProgress".
pub(crate) fn instance_status(instance_id: &str, status: &str) -> String {
    format!("{instance_id} {status}")
}

/// One instance SSM does not show yet.
pub(crate) fn not_visible(instance_id: &str) -> String {
    format!("{instance_id} not visible yet")
}

/// The summary of a running command: `done` of `total` instances finished, `unfinished` lists
/// the others.
pub(crate) fn running(
    cmd: &str,
    seconds: u64,
    done: usize,
    total: usize,
    unfinished: &[String],
) -> String {
    let status = if unfinished.is_empty() {
        "waiting for SSM".to_string()
    } else {
        unfinished.join(", ")
    };
    format!(
        "Command {cmd} running for {}: {done} of {total} instance{} done; {status}.",
        elapsed(seconds),
        plural(total),
    )
}

/// The failure of a command still unfinished (`unfinished`) past its deadline.
pub(crate) fn deadline_passed(
    cmd: &str,
    execution_timeout: u64,
    delivery_timeout: u64,
    unfinished: &[String],
) -> String {
    let still = if unfinished.is_empty() {
        "no instance reported a result".to_string()
    } else {
        format!("still unfinished: {}", unfinished.join(", "))
    };
    format!(
        "Command {cmd} did not finish within its executionTimeout ({execution_timeout}s) plus the delivery timeout ({delivery_timeout}s); {still}."
    )
}

/// The failure of a target-based command that reached no instance.
pub(crate) fn no_targets_matched(cmd: &str) -> String {
    format!(
        "Command {cmd} ran on no instance: no SSM managed instance matched the targets. Check the tags, and that the instances are online in Systems Manager (the SSM agent runs and the instance profile includes AmazonSSMManagedInstanceCore)."
    )
}

// Finished jobs.

/// The summary of a success on one instance whose stdout is empty.
pub(crate) fn printed_nothing(cmd: &str, instance_id: &str) -> String {
    format!("Command {cmd} succeeded on {instance_id}; it printed nothing.")
}

/// The first line of the summary of a success on several instances.
pub(crate) fn succeeded_on(cmd: &str, instances: usize) -> String {
    format!("Command {cmd} succeeded on {instances} instances.")
}

/// The label before one instance's stdout in a success on several instances.
pub(crate) fn instance_label(instance_id: &str) -> String {
    format!("\n[{instance_id}] ")
}

/// The note listing output variable names CodePipeline would refuse.
pub(crate) fn ignored_variable_names(names: &[String]) -> String {
    format!(
        "\n(ignored output variable names {names:?}: names may use only letters, digits, @, - and _)"
    )
}

/// The note pointing at the full stdout in S3.
pub(crate) fn full_output(urls: &[&str]) -> String {
    format!("\nFull output: {}", urls.join(" "))
}

/// The failure of a success whose output variables exceed CodePipeline's `limit`.
pub(crate) fn variables_too_large(cmd: &str, bytes: usize, limit: usize) -> String {
    format!(
        "Command {cmd} succeeded, but its output variables total {bytes} bytes and CodePipeline accepts at most {limit}. Print fewer or shorter ferrops-output lines."
    )
}

/// The first line of a failure on `failed` of `total` instances.
pub(crate) fn failed_on(cmd: &str, failed: usize, total: usize) -> String {
    format!(
        "Command {cmd} failed on {failed} of {total} instance{}.",
        plural(total)
    )
}

/// One failed instance: its status, SSM's details when they add something, and the exit code.
pub(crate) fn instance_failure(
    instance_id: &str,
    status: &str,
    details: &str,
    exit_code: i32,
) -> String {
    let details = if details.is_empty() || details == status {
        String::new()
    } else {
        format!(" ({details})")
    };
    format!("\n{instance_id}: {status}{details}, exit code {exit_code}.")
}

/// The line before the tail of `stream` ("stderr" or "stdout").
pub(crate) fn last_lines(stream: &str) -> String {
    format!("\n{stream} (last lines):\n")
}

/// The note pointing at the full stderr in S3.
pub(crate) fn full_stderr(url: &str) -> String {
    format!("\nFull stderr: {url}")
}

/// The summary shown when there is nothing to say.
pub(crate) const NO_DETAILS: &str = "(no details)";

/// The failure message shown when there is nothing to say.
pub(crate) const ACTION_FAILED: &str = "The action failed.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_time_reads_in_the_largest_sensible_units() {
        assert_eq!(elapsed(42), "42s");
        assert_eq!(elapsed(185), "3m05s");
        assert_eq!(elapsed(7620), "2h07m");
    }

    #[test]
    fn targets_are_described_by_count_or_by_tags() {
        assert_eq!(instance_count(1), "1 instance");
        assert_eq!(instance_count(3), "3 instances");
        let values = ["build".to_string(), "test".to_string()];
        assert_eq!(
            tag_targets([("tag:Role", &values[..])].into_iter()),
            "tag:Role=build,test"
        );
    }

    #[test]
    fn unconfirmed_send_names_the_comment_the_command_carries() {
        let job = "11111111-abcd-1111-abcd-111111abcdef";
        assert!(unconfirmed_send(job).contains(&format!("\"{}\"", command_comment(job))));
    }

    #[test]
    fn instance_failure_shows_details_only_when_they_add_something() {
        assert_eq!(
            instance_failure("i-1", "Failed", "Failed", 2),
            "\ni-1: Failed, exit code 2."
        );
        assert_eq!(
            instance_failure("i-1", "Failed", "Undeliverable", -1),
            "\ni-1: Failed (Undeliverable), exit code -1."
        );
    }
}
