//! The handler's behaviour against the in-memory ports: what is evaluated, where, and what is put.
//! What the adapters send to AWS is tested next to them.

use super::*;
use crate::item::ConfigurationItem;
use crate::ports::actions;
use crate::ports::memory::{MemoryAccount, MemoryAccounts};
use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;
use ferrops::FailureClass;
use ferrops::sts::RoleSpec;
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";
const MEMBER: &str = "111122223333";
const NOW: i64 = 1_763_633_730;
const MEMBER_ROLE: &str = "arn:aws:iam::111122223333:role/ferrops-config";

fn now() -> DateTime {
    DateTime::from_secs(NOW)
}

fn evaluator(accounts: MemoryAccounts, settings: Settings) -> Evaluator<MemoryAccounts> {
    Evaluator { accounts, settings }
}

fn with_external_id() -> Settings {
    Settings {
        default_rule: None,
        external_id: Some("ext-1234".into()),
    }
}

fn rule_event(invoking: Value, params: Value, token: &str) -> Value {
    json!({
        "version": "1.0", "invokingEvent": invoking.to_string(), "ruleParameters": params.to_string(),
        "resultToken": token, "eventLeftScope": false,
        "executionRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"),
        "configRuleArn": format!("arn:aws:config:us-east-1:{ACCOUNT}:config-rule/config-rule-1"),
        "configRuleName": "managed-by-ssm", "configRuleId": "config-rule-1", "accountId": ACCOUNT
    })
}

fn scheduled(params: Value, token: &str) -> Value {
    rule_event(
        json!({"awsAccountId": ACCOUNT, "notificationCreationTime": "2026-11-20T10:00:00.000Z",
        "messageType": "ScheduledNotification", "recordVersion": "1.0"}),
        params,
        token,
    )
}

fn oversized(status: &str) -> Value {
    rule_event(
        json!({"messageType": "OversizedConfigurationItemChangeNotification", "notificationCreationTime": "2026-11-20T10:00:00.000Z",
            "configurationItemSummary": {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-big",
                "configurationItemCaptureTime": "2026-11-20T09:59:00.000Z", "configurationItemStatus": status, "awsAccountId": ACCOUNT}}),
        json!({"rule": "incoming-ssh-disabled"}),
        "TESTMODE",
    )
}

fn member_event(params: Value) -> Value {
    let mut ev = oversized("ResourceDeleted");
    ev["accountId"] = json!(MEMBER);
    ev["ruleParameters"] = json!(params.to_string());
    ev
}

fn instance_id(n: usize) -> String {
    format!("i-{n:017x}")
}

/// `n` running instances in Config's inventory, every even-numbered one managed by SSM.
fn instances(account: &MemoryAccount, n: usize) {
    for i in 0..n {
        account.record(
            ConfigurationItem::from_json(&json!({
                "resourceType": "AWS::EC2::Instance", "resourceId": instance_id(i), "configurationItemStatus": "OK",
                "configuration": {"instanceId": instance_id(i), "state": {"name": "running"}}
            }))
            .unwrap(),
        );
    }
    account.managed((0..n).filter(|i| i % 2 == 0).map(instance_id));
}

fn security_group(id: &str, captured: &str, open: bool) -> ConfigurationItem {
    let cidr = if open { "::/0" } else { "10.0.0.0/8" };
    ConfigurationItem::from_json(&json!({
        "resourceType": "AWS::EC2::SecurityGroup", "resourceId": id, "configurationItemStatus": "OK",
        "configurationItemCaptureTime": captured,
        "configuration": {"ipPermissions": [{"ipProtocol": "-1", "ipv6Ranges": [{"cidrIpv6": cidr}]}]}
    }))
    .unwrap()
}

/// What STS's refusal becomes in the shared library, for the role the handler asked for.
fn assume_role_denied(role: &RoleSpec) -> AwsFailure {
    let refusal = AssumeRoleError::generic(
        ErrorMetadata::builder()
            .code("AccessDenied")
            .message("not authorized")
            .build(),
    );
    let response = HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::empty());
    ferrops::sts::assume_role_failure(role, SdkError::service_error(refusal, response))
}

#[tokio::test]
async fn periodic_run_puts_250_results_in_3_batches_and_clears_vanished_resources() {
    let accounts = MemoryAccounts::default();
    instances(accounts.home(), 249);
    accounts.home().previous_results(
        "managed-by-ssm",
        &[("AWS::EC2::Instance", "i-gone000000000001")],
    );
    let e = evaluator(accounts, Settings::default());
    let s = e
        .handle(
            scheduled(json!({"rule": "ec2-instance-managed-by-ssm"}), "token-123"),
            Some(ACCOUNT),
            now(),
        )
        .await
        .unwrap();
    let puts = e.accounts.home().puts();
    assert_eq!(
        puts.iter().map(|p| p.evaluations.len()).collect::<Vec<_>>(),
        vec![100, 100, 50]
    );
    assert!(
        puts.iter().all(|p| !p.test_mode && p.token == "token-123"),
        "a real token is not test mode"
    );
    assert_eq!((s.evaluations, s.put_calls), (250, 3));
    assert_eq!(s.tally.compliant, 125);
    assert_eq!(s.tally.non_compliant, 124);
    let all: Vec<(String, String)> = puts.iter().flat_map(|p| p.results()).collect();
    assert!(all.contains(&(
        "i-gone000000000001".to_string(),
        "NOT_APPLICABLE".to_string()
    )));
    assert!(all.contains(&(instance_id(1), "NON_COMPLIANT".to_string())));
    assert!(all.contains(&(instance_id(2), "COMPLIANT".to_string())));
}

#[tokio::test]
async fn testmode_token_sets_test_mode() {
    let e = evaluator(MemoryAccounts::default(), Settings::default());
    let ev = rule_event(
        json!({"messageType": "ConfigurationItemChangeNotification", "notificationCreationTime": "2026-11-20T10:00:00.000Z",
            "configurationItem": {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configurationItemStatus": "OK",
                "configurationItemCaptureTime": "2026-11-20T09:59:00.000Z",
                "configuration": {"ipPermissions": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]}]}}}),
        json!({"rule": "incoming-ssh-disabled"}),
        "TESTMODE",
    );
    let s = e.handle(ev, Some(ACCOUNT), now()).await.unwrap();
    assert!(s.test_mode);
    let puts = e.accounts.home().puts();
    assert!(puts[0].test_mode);
    assert_eq!(
        puts[0].results(),
        vec![("sg-1".to_string(), "NON_COMPLIANT".to_string())]
    );
}

#[tokio::test]
async fn oversized_items_are_fetched_at_their_capture_time() {
    let accounts = MemoryAccounts::default();
    // Open when the event was captured, closed a minute later: the verdict is the captured one.
    accounts
        .home()
        .record(security_group("sg-big", "2026-11-20T09:59:00.000Z", true))
        .record(security_group("sg-big", "2026-11-20T10:00:00.000Z", false));
    let e = evaluator(accounts, Settings::default());
    e.handle(oversized("OK"), Some(ACCOUNT), now())
        .await
        .unwrap();
    let home = e.accounts.home();
    assert_eq!(
        home.item_requests(),
        vec![(
            "AWS::EC2::SecurityGroup".to_string(),
            "sg-big".to_string(),
            DateTime::from_secs(1_795_168_740)
        )]
    );
    assert_eq!(
        home.puts()[0].results(),
        vec![("sg-big".to_string(), "NON_COMPLIANT".to_string())]
    );
}

#[tokio::test]
async fn deleted_oversized_items_are_not_applicable_without_a_fetch() {
    let e = evaluator(MemoryAccounts::default(), Settings::default());
    e.handle(oversized("ResourceDeleted"), Some(ACCOUNT), now())
        .await
        .unwrap();
    let home = e.accounts.home();
    assert_eq!(home.calls(actions::GET_RESOURCE_CONFIG_HISTORY), 0);
    assert_eq!(home.puts()[0].results()[0].1, "NOT_APPLICABLE");
}

#[tokio::test]
async fn an_oversized_item_config_cannot_find_is_a_clear_error() {
    let err = evaluator(MemoryAccounts::default(), Settings::default())
        .handle(oversized("OK"), Some(ACCOUNT), now())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "ItemNotFound");
    assert!(err.to_string().contains("sg-big"));
}

#[tokio::test]
async fn managed_instances_are_read_only_when_the_rule_will_be_asked() {
    let e = evaluator(MemoryAccounts::default(), Settings::default());
    let deleted = rule_event(
        json!({"messageType": "ConfigurationItemChangeNotification",
            "configurationItem": {"resourceType": "AWS::EC2::Instance", "resourceId": "i-1",
                "configurationItemStatus": "ResourceDeleted"}}),
        json!({"rule": "ec2-instance-managed-by-ssm"}),
        "TESTMODE",
    );
    e.handle(deleted.clone(), Some(ACCOUNT), now())
        .await
        .unwrap();
    assert_eq!(
        e.accounts
            .home()
            .calls(actions::DESCRIBE_INSTANCE_INFORMATION),
        0
    );
    let mut running = deleted;
    running["invokingEvent"] = json!(
        json!({"messageType": "ConfigurationItemChangeNotification",
            "configurationItem": {"resourceType": "AWS::EC2::Instance", "resourceId": "i-1",
                "configurationItemStatus": "OK", "configuration": {"state": {"name": "running"}}}})
        .to_string()
    );
    e.accounts.home().managed(["i-1".to_string()]);
    e.handle(running, Some(ACCOUNT), now()).await.unwrap();
    let home = e.accounts.home();
    assert_eq!(home.calls(actions::DESCRIBE_INSTANCE_INFORMATION), 1);
    assert_eq!(home.puts()[1].results()[0].1, "COMPLIANT");
}

#[tokio::test]
async fn execution_role_name_assumes_the_role_in_the_event_account() {
    let e = evaluator(MemoryAccounts::default(), with_external_id());
    let s = e
        .handle(
            member_event(
                json!({"rule": "incoming-ssh-disabled", "executionRoleName": "ferrops-config"}),
            ),
            Some(ACCOUNT),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(
        e.accounts.assumed(),
        vec![(MEMBER_ROLE.to_string(), Some("ext-1234".to_string()))]
    );
    assert_eq!(s.account, MEMBER);
    assert_eq!(e.accounts.account(MEMBER).puts().len(), 1);
    assert!(e.accounts.home().puts().is_empty());
}

#[tokio::test]
async fn access_denied_on_assume_role_names_role_account_and_permission() {
    let err = evaluator(
        MemoryAccounts::refusing_roles(assume_role_denied),
        Settings::default(),
    )
    .handle(
        member_event(
            json!({"rule": "incoming-ssh-disabled", "executionRoleName": "ferrops-config"}),
        ),
        Some(ACCOUNT),
        now(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "AccessDenied");
    let msg = err.to_string();
    assert!(
        msg.contains(MEMBER_ROLE) && msg.contains(MEMBER) && msg.contains("sts:AssumeRole"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_service_linked_role_that_cannot_be_assumed_gets_advice() {
    let mut ev = member_event(json!({"rule": "incoming-ssh-disabled"}));
    ev["executionRoleArn"] = json!(format!(
        "arn:aws:iam::{MEMBER}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
    ));
    let err = evaluator(
        MemoryAccounts::refusing_roles(assume_role_denied),
        Settings::default(),
    )
    .handle(ev, Some(ACCOUNT), now())
    .await
    .unwrap_err();
    assert!(err.to_string().contains("executionRoleName"), "{err}");
}

#[tokio::test]
async fn access_denied_on_put_names_role_account_and_action() {
    let accounts = MemoryAccounts::default();
    accounts
        .account(MEMBER)
        .refuse(actions::PUT_EVALUATIONS, FailureClass::AccessDenied);
    let err = evaluator(accounts, with_external_id())
        .handle(
            member_event(
                json!({"rule": "incoming-ssh-disabled", "executionRoleName": "ferrops-config"}),
            ),
            Some(ACCOUNT),
            now(),
        )
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert_eq!(err.error_type(), "AccessDenied");
    assert!(
        msg.contains("role arn:aws:iam::111122223333:role/ferrops-config")
            && msg.contains("account 111122223333")
            && msg.contains("config:PutEvaluations"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_foreign_execution_role_arn_is_assumed_and_a_home_one_is_not() {
    let mut ev = member_event(json!({"rule": "incoming-ssh-disabled"}));
    ev["executionRoleArn"] = json!(MEMBER_ROLE);

    let e = evaluator(MemoryAccounts::default(), with_external_id());
    e.handle(ev.clone(), Some(ACCOUNT), now()).await.unwrap();
    assert_eq!(e.accounts.assumed().len(), 1);

    let e = evaluator(MemoryAccounts::default(), with_external_id());
    e.handle(ev, Some(MEMBER), now()).await.unwrap();
    assert!(
        e.accounts.assumed().is_empty(),
        "a role in the function's own account is not assumed"
    );
    assert_eq!(e.accounts.home().puts().len(), 1);
}

#[tokio::test]
async fn unknown_or_missing_rules_and_bad_parameters_are_clear_errors() {
    let e = evaluator(MemoryAccounts::default(), Settings::default());
    let err = e
        .handle(
            oversized("OK").tap(|v| v["ruleParameters"] = json!("{\"rule\":\"no-such\"}")),
            Some(ACCOUNT),
            now(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "UnknownRule");
    assert!(err.to_string().contains("incoming-ssh-disabled"), "{err}");
    let err = e
        .handle(
            oversized("OK").tap(|v| v["ruleParameters"] = json!("{}")),
            Some(ACCOUNT),
            now(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("RULE"), "{err}");
    let err = e
        .handle(
            oversized("OK").tap(|v| {
                v["ruleParameters"] =
                    json!("{\"rule\":\"incoming-ssh-disabled\",\"sshPort\":\"ssh\"}");
            }),
            Some(ACCOUNT),
            now(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidParameters");
    assert!(e.accounts.home().puts().is_empty());
    let with_env = evaluator(
        MemoryAccounts::default(),
        Settings {
            default_rule: Some("incoming-ssh-disabled".into()),
            external_id: None,
        },
    );
    let ok = with_env
        .handle(
            oversized("ResourceDeleted").tap(|v| v["ruleParameters"] = json!("{}")),
            Some(ACCOUNT),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(ok.rule, "incoming-ssh-disabled", "RULE is the fallback");
}

#[tokio::test]
async fn a_periodic_run_of_an_any_type_rule_is_refused() {
    let e = evaluator(MemoryAccounts::default(), Settings::default());
    let err = e
        .handle(
            scheduled(
                json!({"rule": "required-tags", "tag1Key": "owner"}),
                "TESTMODE",
            ),
            Some(ACCOUNT),
            now(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidParameters");
    assert_eq!(
        e.accounts.home().calls(actions::LIST_DISCOVERED_RESOURCES),
        0
    );
}

#[tokio::test]
async fn failing_to_read_previous_results_is_a_warning_not_a_lost_evaluation() {
    let accounts = MemoryAccounts::default();
    instances(accounts.home(), 3);
    accounts.home().refuse(
        actions::GET_COMPLIANCE_DETAILS_BY_CONFIG_RULE,
        FailureClass::AccessDenied,
    );
    let e = evaluator(accounts, Settings::default());
    let s = e
        .handle(
            scheduled(json!({"rule": "ec2-instance-managed-by-ssm"}), "TESTMODE"),
            Some(ACCOUNT),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(s.evaluations, 3);
    assert_eq!(e.accounts.home().puts()[0].evaluations.len(), 3);
    assert!(
        s.warnings[0].contains("config:GetComplianceDetailsByConfigRule"),
        "{:?}",
        s.warnings
    );
}

trait Tap: Sized {
    fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
}
impl Tap for Value {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}
