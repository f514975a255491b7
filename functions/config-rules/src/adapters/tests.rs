//! What a whole invocation sends to AWS through the SDK adapters: the API calls a periodic rule
//! costs, and the role assumed for another account.

use super::*;
use crate::adapters::mocks::{
    config_client, inventory, managed, previous, put_recorder, ssm_client,
};
use crate::handler::{Evaluator, Settings};
use aws_sdk_sts::operation::assume_role::{AssumeRoleError, AssumeRoleOutput};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use aws_smithy_types::error::ErrorMetadata;
use serde_json::json;
use std::sync::Arc;

const ACCOUNT: &str = "123456789012";
const MEMBER_ROLE: &str = "arn:aws:iam::111122223333:role/ferrops-config";

/// SDK adapters over mocked Config, SSM and STS clients; an assumed role gets the same mocks.
fn accounts(config: &[Rule], ssm: &[Rule], sts: &[Rule]) -> SdkAccounts {
    let (config, ssm) = (config_client(config), ssm_client(ssm));
    let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, sts);
    let base = SdkConfig::builder()
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let roles = AssumeRoleProvider::with_sts_client(sts, &base, "config-rules");
    let (c2, s2) = (config.clone(), ssm.clone());
    SdkAccounts {
        config: CrossAccount::new(config, roles.clone(), move |_| c2.clone()),
        ssm: CrossAccount::new(ssm, roles, move |_| s2.clone()),
    }
}

fn sts_ok() -> Rule {
    mock!(aws_sdk_sts::Client::assume_role)
        .match_requests(|r| {
            r.role_arn() == Some(MEMBER_ROLE) && r.external_id() == Some("ext-1234")
        })
        .then_output(|| {
            AssumeRoleOutput::builder()
                .credentials(
                    aws_sdk_sts::types::Credentials::builder()
                        .access_key_id("AKIA")
                        .secret_access_key("s")
                        .session_token("t")
                        .expiration(DateTime::from_secs(4_000_000_000))
                        .build()
                        .unwrap(),
                )
                .build()
        })
}

fn member_role() -> RoleSpec {
    RoleSpec::new(MEMBER_ROLE, Some("ext-1234")).unwrap()
}

#[tokio::test]
async fn api_calls_per_1000_resources_for_a_periodic_rule() {
    let (list, batch) = inventory(1000);
    let (prev, put) = (previous(&[]), put_recorder(Arc::default()));
    let ssm = managed(1000);
    let evaluator = Evaluator {
        accounts: accounts(
            &[list.clone(), batch.clone(), prev.clone(), put.clone()],
            std::slice::from_ref(&ssm),
            &[],
        ),
        settings: Settings::default(),
    };
    let event = json!({
        "version": "1.0", "resultToken": "TESTMODE", "eventLeftScope": false,
        "invokingEvent": json!({"awsAccountId": ACCOUNT, "notificationCreationTime": "2026-11-20T10:00:00.000Z",
            "messageType": "ScheduledNotification", "recordVersion": "1.0"}).to_string(),
        "ruleParameters": json!({"rule": "ec2-instance-managed-by-ssm"}).to_string(),
        "configRuleArn": format!("arn:aws:config:us-east-1:{ACCOUNT}:config-rule/config-rule-1"),
        "configRuleName": mocks::RULE_NAME, "configRuleId": "config-rule-1", "accountId": ACCOUNT
    });
    evaluator
        .handle(event, Some(ACCOUNT), DateTime::from_secs(0))
        .await
        .unwrap();
    let calls = [
        list.num_calls(),
        batch.num_calls(),
        prev.num_calls(),
        ssm.num_calls(),
        put.num_calls(),
    ];
    println!(
        "API calls per 1000 resources: ListDiscoveredResources {}, BatchGetResourceConfig {}, GetComplianceDetailsByConfigRule {}, DescribeInstanceInformation {}, PutEvaluations {}; total {}",
        calls[0],
        calls[1],
        calls[2],
        calls[3],
        calls[4],
        calls.iter().sum::<usize>()
    );
    // 10 pages of 100, 10 batch reads, 1 page of previous results, 10 pages of 50 managed
    // instances (500 of the 1000 are managed), 10 puts of 100.
    assert_eq!(calls, [10, 10, 1, 10, 10]);
}

#[tokio::test]
async fn a_role_is_assumed_with_the_external_id_and_the_home_account_needs_none() {
    let sts = sts_ok();
    let accounts = accounts(&[], &[], std::slice::from_ref(&sts));
    accounts.for_role(None, "managed-by-ssm").await.unwrap();
    assert_eq!(sts.num_calls(), 0);
    accounts
        .for_role(Some(&member_role()), "managed-by-ssm")
        .await
        .unwrap();
    assert_eq!(sts.num_calls(), 1);
}

#[tokio::test]
async fn a_denied_assume_role_names_role_account_and_permission() {
    let denied = mock!(aws_sdk_sts::Client::assume_role).then_error(|| {
        AssumeRoleError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("not authorized")
                .build(),
        )
    });
    let Err(err) = accounts(&[], &[], &[denied])
        .for_role(Some(&member_role()), "managed-by-ssm")
        .await
    else {
        panic!("the role was assumed")
    };
    assert_eq!(err.class, ferrops::FailureClass::AccessDenied);
    let msg = err.to_string();
    assert!(
        msg.contains(MEMBER_ROLE) && msg.contains("111122223333") && msg.contains("sts:AssumeRole"),
        "{msg}"
    );
}
