//! compliance-notifier against moto server: the findings ledger in DynamoDB, and what an admin
//! receives through SNS, read back from an SQS queue subscribed to the topic.
// Test code: a failed step should stop the test at once and say where.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_sns::operation::publish::PublishOutput;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use compliance_notifier::adapters::{dynamodb::Table, sns::Topic};
use compliance_notifier::handler::{Notifications, Response};
use ferrops_tests::{create_table, emulator, fixture, unique};
use serde_json::{Value, json};

struct Inbox {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl Inbox {
    /// Every message delivered so far, as (subject, body) pairs.
    async fn drain(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        loop {
            let got = self
                .sqs
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            if got.messages().is_empty() {
                return out;
            }
            for m in got.messages() {
                let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
                out.push((
                    envelope["Subject"].as_str().unwrap_or_default().to_string(),
                    envelope["Message"].as_str().unwrap().to_string(),
                ));
                self.sqs
                    .delete_message()
                    .queue_url(&self.url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

async fn setup() -> (Notifications<Table, Topic>, Inbox, String) {
    let sdk = emulator().await;
    let table = unique("findings");
    create_table(&sdk, &table, "pk").await.unwrap();
    let sns = aws_sdk_sns::Client::new(&sdk);
    let topic = sns
        .create_topic()
        .name(unique("findings"))
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = sqs
        .create_queue()
        .queue_name(unique("admin"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let queue_arn =
        attrs.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .unwrap();
    let config = compliance_notifier::Config {
        findings_table: table.clone(),
        topic_arn: topic,
    };
    let n = compliance_notifier::notifications(&sdk, config);
    (n, Inbox { sqs, url }, table)
}

fn change(compliance: &str, ordering: &str, resource: &str, account: &str) -> Value {
    let mut ev = fixture("eventbridge-compliance-change.json");
    let d = &mut ev["detail"];
    d["resourceId"] = json!(resource);
    d["awsAccountId"] = json!(account);
    d["newEvaluationResult"]["complianceType"] = json!(compliance);
    d["newEvaluationResult"]["evaluationResultIdentifier"]["orderingTimestamp"] = json!(ordering);
    d["newEvaluationResult"]["evaluationResultIdentifier"]["evaluationResultQualifier"]["resourceId"] =
        json!(resource);
    if compliance != "NON_COMPLIANT" {
        d["newEvaluationResult"]["annotation"] =
            json!("No ingress rule opens TCP 22 to the internet.");
    }
    ev
}

const NOW: i64 = 1_795_170_000;

#[tokio::test]
async fn admins_hear_about_new_findings_and_fixes_once_each() {
    let (n, inbox, _) = setup().await;
    let bad = change(
        "NON_COMPLIANT",
        "2026-11-20T10:15:30.123Z",
        "sg-0a1b2c3d4e5f60001",
        "123456789012",
    );

    let r = n.handle(bad.clone(), NOW).await.unwrap();
    assert!(
        matches!(
            r,
            Response::Notified {
                transition: "newly_non_compliant",
                ..
            }
        ),
        "{r:?}"
    );
    let msgs = inbox.drain().await;
    assert_eq!(msgs.len(), 1);
    let (subject, body) = &msgs[0];
    assert_eq!(
        subject,
        "[NON_COMPLIANT] ferrops-incoming-ssh-disabled: sg-0a1b2c3d4e5f60001 (123456789012/us-east-1)"
    );
    for needle in [
        "port 22 open to 0.0.0.0/0",
        "Account:  123456789012",
        "Region:   us-east-1",
        "(was COMPLIANT)",
        "2026-11-20T10:15:30Z",
        "https://us-east-1.console.aws.amazon.com/config/",
    ] {
        assert!(body.contains(needle), "{needle:?} missing from\n{body}");
    }

    assert_eq!(
        n.handle(bad.clone(), NOW + 1).await.unwrap(),
        Response::Stale,
        "a redelivery is not news"
    );
    let still_bad = change(
        "NON_COMPLIANT",
        "2026-11-20T11:00:00.000Z",
        "sg-0a1b2c3d4e5f60001",
        "123456789012",
    );
    assert_eq!(
        n.handle(still_bad, NOW + 2).await.unwrap(),
        Response::Recorded,
        "still non-compliant is not news"
    );
    assert!(inbox.drain().await.is_empty());

    let older = change(
        "COMPLIANT",
        "2026-11-20T09:00:00.000Z",
        "sg-0a1b2c3d4e5f60001",
        "123456789012",
    );
    assert_eq!(
        n.handle(older, NOW + 3).await.unwrap(),
        Response::Stale,
        "an out-of-order older result changes nothing"
    );

    let fixed = change(
        "COMPLIANT",
        "2026-11-20T12:00:00.000Z",
        "sg-0a1b2c3d4e5f60001",
        "123456789012",
    );
    assert!(matches!(
        n.handle(fixed, NOW + 4).await.unwrap(),
        Response::Notified {
            transition: "fixed",
            ..
        }
    ));
    let msgs = inbox.drain().await;
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].0.starts_with("[FIXED] "), "{}", msgs[0].0);
    assert!(msgs[0].1.contains("(was NON_COMPLIANT)"), "{}", msgs[0].1);
}

#[tokio::test]
async fn a_first_compliant_result_is_recorded_silently() {
    let (n, inbox, _) = setup().await;
    let mut ok = change(
        "COMPLIANT",
        "2026-11-20T10:15:30.123Z",
        "sg-0a1b2c3d4e5f60009",
        "123456789012",
    );
    ok["detail"]
        .as_object_mut()
        .unwrap()
        .remove("oldEvaluationResult");
    assert_eq!(n.handle(ok, NOW).await.unwrap(), Response::Recorded);
    assert!(inbox.drain().await.is_empty());
}

#[tokio::test]
async fn the_digest_summarises_each_account_and_what_changed_since_the_last_one() {
    let (n, inbox, _) = setup().await;
    for (res, acct, comp) in [
        ("sg-a", "123456789012", "NON_COMPLIANT"),
        ("sg-b", "123456789012", "COMPLIANT"),
        ("sg-c", "111122223333", "NON_COMPLIANT"),
    ] {
        n.handle(change(comp, "2026-11-20T10:15:30.123Z", res, acct), NOW)
            .await
            .unwrap();
    }
    inbox.drain().await;

    let Response::Digest { messages } = n
        .handle(fixture("eventbridge-scheduled.json"), NOW + 100)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(messages.len(), 2, "one digest per account");
    let mut digests = inbox.drain().await;
    digests.sort();
    assert_eq!(
        digests[0].0,
        "Compliance digest 111122223333: 1 non-compliant"
    );
    assert_eq!(
        digests[1].0,
        "Compliance digest 123456789012: 1 non-compliant"
    );
    assert!(
        digests[1]
            .1
            .contains("ferrops-incoming-ssh-disabled: 1 / 2"),
        "{}",
        digests[1].1
    );
    assert!(
        digests[1]
            .1
            .contains("AWS::EC2::SecurityGroup sg-a (us-east-1): 1 rule"),
        "{}",
        digests[1].1
    );
    assert!(digests[1].1.contains("(first digest)"), "{}", digests[1].1);

    n.handle(
        change(
            "COMPLIANT",
            "2026-11-20T12:00:00.000Z",
            "sg-a",
            "123456789012",
        ),
        NOW + 200,
    )
    .await
    .unwrap();
    inbox.drain().await;
    n.handle(fixture("eventbridge-scheduled.json"), NOW + 300)
        .await
        .unwrap();
    let digests = inbox.drain().await;
    let home = digests
        .iter()
        .find(|d| d.0.contains("123456789012"))
        .unwrap();
    assert_eq!(home.0, "Compliance digest 123456789012: 0 non-compliant");
    let changed = home.1.split("Changed since").nth(1).unwrap();
    assert!(
        changed.contains("sg-a under ferrops-incoming-ssh-disabled: now COMPLIANT"),
        "{}",
        home.1
    );
    assert!(
        !changed.contains("sg-b"),
        "sg-b did not change since the last digest: {}",
        home.1
    );
}

#[tokio::test]
async fn a_notice_that_failed_to_publish_goes_out_on_the_retry() {
    let sdk = emulator().await;
    let table = unique("findings");
    create_table(&sdk, &table, "pk").await.unwrap();
    let publish = mock!(aws_sdk_sns::Client::publish)
        .sequence()
        .http_status(500, None)
        .times(3)
        .output(|| PublishOutput::builder().message_id("msg-1").build())
        .build();
    let sns = mock_client!(aws_sdk_sns, RuleMode::Sequential, [&publish]);
    let n = Notifications {
        findings: Table::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone()),
        notifier: Topic::new(sns, "arn:aws:sns:us-east-1:123456789012:findings"),
    };
    let bad = change(
        "NON_COMPLIANT",
        "2026-11-20T10:15:30.123Z",
        "sg-retry",
        "123456789012",
    );
    let err = n.handle(bad.clone(), NOW).await.unwrap_err();
    assert!(err.to_string().contains("sns:Publish"), "{err}");

    let retried = n.handle(bad.clone(), NOW + 60).await.unwrap();
    assert_eq!(
        retried,
        Response::Notified {
            transition: "newly_non_compliant",
            message_id: "msg-1".into()
        }
    );
    assert_eq!(
        n.handle(bad, NOW + 120).await.unwrap(),
        Response::Stale,
        "published once, then done"
    );
}

#[tokio::test]
async fn other_events_are_refused_clearly() {
    let (n, _, _) = setup().await;
    let mut ev = fixture("eventbridge-scheduled.json");
    ev["detail-type"] = json!("EC2 Instance State-change Notification");
    ev["source"] = json!("aws.ec2");
    let err = n.handle(ev, NOW).await.unwrap_err();
    assert!(err.to_string().contains("unsupported event"), "{err}");
    let err = n.handle(json!({"detail": {}}), NOW).await.unwrap_err();
    assert!(
        err.to_string().contains("malformed EventBridge event"),
        "{err}"
    );
}
