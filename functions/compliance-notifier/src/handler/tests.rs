//! The handler's behaviour, against the in-memory ports.

use super::*;
use crate::ports::memory::{MemoryFindings, MemoryTopic};
use serde_json::{Value, json};

const NOW: i64 = 1_795_170_000;
const HOME: &str = "123456789012";

fn notifications() -> Notifications<MemoryFindings, MemoryTopic> {
    Notifications {
        findings: MemoryFindings::default(),
        notifier: MemoryTopic::default(),
    }
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn change(compliance: &str, ordering: &str, resource: &str, account: &str) -> Value {
    let mut ev = fixture("eventbridge-compliance-change.json");
    let d = &mut ev["detail"];
    d["resourceId"] = json!(resource);
    d["awsAccountId"] = json!(account);
    d["newEvaluationResult"]["complianceType"] = json!(compliance);
    d["newEvaluationResult"]["evaluationResultIdentifier"]["orderingTimestamp"] = json!(ordering);
    ev
}

fn scheduled() -> Value {
    fixture("eventbridge-scheduled.json")
}

fn notified(transition: &'static str, message_id: &str) -> Response {
    Response::Notified {
        transition,
        message_id: message_id.into(),
    }
}

#[tokio::test]
async fn a_new_finding_and_its_fix_are_each_told_once() {
    let n = notifications();
    let bad = change("NON_COMPLIANT", "2026-11-20T10:15:30.123Z", "sg-1", HOME);
    assert_eq!(
        n.handle(bad.clone(), NOW).await.unwrap(),
        notified("newly_non_compliant", "msg-1")
    );
    assert_eq!(n.handle(bad, NOW + 5).await.unwrap(), Response::Stale);

    let still_bad = change("NON_COMPLIANT", "2026-11-20T11:00:00Z", "sg-1", HOME);
    assert_eq!(
        n.handle(still_bad, NOW + 10).await.unwrap(),
        Response::Recorded
    );

    let fixed = change("COMPLIANT", "2026-11-20T12:00:00Z", "sg-1", HOME);
    assert_eq!(
        n.handle(fixed, NOW + 20).await.unwrap(),
        notified("fixed", "msg-2")
    );
    let subjects: Vec<String> = n
        .notifier
        .published()
        .into_iter()
        .map(|m| m.subject)
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects[0].starts_with("[NON_COMPLIANT] "), "{subjects:?}");
    assert!(subjects[1].starts_with("[FIXED] "), "{subjects:?}");
}

#[tokio::test]
async fn a_first_compliant_result_is_recorded_silently() {
    let n = notifications();
    let ok = change("COMPLIANT", "2026-11-20T10:15:30Z", "sg-2", HOME);
    assert_eq!(n.handle(ok, NOW).await.unwrap(), Response::Recorded);
    assert!(n.notifier.published().is_empty());
}

#[tokio::test]
async fn an_older_result_arriving_late_changes_nothing() {
    let n = notifications();
    let newer = change("COMPLIANT", "2026-11-20T12:00:00Z", "sg-3", HOME);
    let older = change("NON_COMPLIANT", "2026-11-20T10:00:00Z", "sg-3", HOME);
    n.handle(newer, NOW).await.unwrap();
    assert_eq!(n.handle(older, NOW + 1).await.unwrap(), Response::Stale);
    assert!(n.notifier.published().is_empty());
}

#[tokio::test]
async fn compliance_kept_across_results_keeps_its_change_time() {
    let n = notifications();
    let first = change("NON_COMPLIANT", "2026-11-20T10:00:00Z", "sg-4", HOME);
    let again = change("NON_COMPLIANT", "2026-11-20T11:00:00Z", "sg-4", HOME);
    n.handle(first.clone(), NOW).await.unwrap();
    n.handle(again, NOW + 3600).await.unwrap();
    let detail: ComplianceChangeDetail = serde_json::from_value(first["detail"].clone()).unwrap();
    let stored = n.findings.stored(&detail.finding(NOW).key()).unwrap();
    assert_eq!(
        stored.changed_at, NOW,
        "still NON_COMPLIANT since the first result"
    );
}

#[tokio::test]
async fn a_notice_that_failed_to_publish_goes_out_on_the_retry_and_only_then() {
    let n = notifications();
    n.notifier.fail_next(1);
    let bad = change(
        "NON_COMPLIANT",
        "2026-11-20T10:15:30.123Z",
        "sg-retry",
        HOME,
    );
    let err = n.handle(bad.clone(), NOW).await.unwrap_err();
    assert!(err.to_string().contains("sns:Publish"), "{err}");
    assert_eq!(err.error_type(), "AwsError");

    assert_eq!(
        n.handle(bad.clone(), NOW + 60).await.unwrap(),
        notified("newly_non_compliant", "msg-1")
    );
    assert_eq!(n.handle(bad, NOW + 120).await.unwrap(), Response::Stale);
    assert_eq!(n.notifier.published().len(), 1);
}

#[tokio::test]
async fn the_digest_goes_to_each_account_once_per_run() {
    let n = notifications();
    for (resource, account) in [("sg-a", HOME), ("sg-b", HOME), ("sg-c", "111122223333")] {
        let ev = change("NON_COMPLIANT", "2026-11-20T10:00:00Z", resource, account);
        n.handle(ev, NOW).await.unwrap();
    }
    let told = n.notifier.published().len();
    let Response::Digest { messages } = n.handle(scheduled(), NOW + 86_400).await.unwrap() else {
        panic!("a scheduled event sends digests");
    };
    assert_eq!(
        messages.keys().collect::<Vec<_>>(),
        ["111122223333", HOME],
        "one digest per account"
    );
    let digests = &n.notifier.published()[told..];
    assert_eq!(digests.len(), 2);
    let home = digests
        .iter()
        .find(|d| d.body.contains("sg-a"))
        .expect("the home account's digest names its offenders");
    assert!(
        home.body.contains("sg-b") && !home.body.contains("sg-c"),
        "{}",
        home.body
    );
}

#[tokio::test]
async fn other_events_are_refused_by_name_and_malformed_ones_without_their_values() {
    let n = notifications();
    let mut ev = scheduled();
    ev["detail-type"] = json!("EC2 Instance State-change Notification");
    ev["source"] = json!("aws.ec2");
    let err = n.handle(ev, NOW).await.unwrap_err();
    assert_eq!(err.error_type(), "UnsupportedEvent");
    assert!(err.to_string().contains("unsupported event"), "{err}");

    let err = n
        .handle(json!({"detail": {}, "source": ["hunter2"]}), NOW)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidEvent");
    let msg = err.to_string();
    assert!(msg.starts_with("malformed EventBridge event"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");

    let mut bad_detail = change("NON_COMPLIANT", "2026-11-20T10:00:00Z", "sg-1", HOME);
    bad_detail["detail"]["newEvaluationResult"]["complianceType"] = json!("SECRETLY_FINE");
    let err = n.handle(bad_detail, NOW).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("malformed compliance change detail"),
        "{msg}"
    );
    assert!(!msg.contains("SECRETLY_FINE"), "{msg}");
}
