//! The Config rule event: the outer shape from `aws_lambda_events`, the `invokingEvent` and
//! `ruleParameters` JSON strings decoded here.

use crate::item::ConfigurationItem;
use aws_lambda_events::event::config::ConfigEvent;
use ferrops::event::MalformedEvent;
use serde_json::Value;
use std::collections::BTreeMap;

/// What triggered the evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// `ConfigurationItemChangeNotification`: the item is in the event.
    Change {
        /// The item.
        item: Box<ConfigurationItem>,
        /// When Config sent the notification.
        notification_time: Option<String>,
    },
    /// `OversizedConfigurationItemChangeNotification`: only a summary is in the event.
    Oversized {
        /// The resource type.
        resource_type: String,
        /// The resource ID.
        resource_id: String,
        /// The capture time to fetch the item at.
        capture_time: String,
        /// The item's status.
        status: String,
        /// When Config sent the notification.
        notification_time: Option<String>,
    },
    /// `ScheduledNotification`: a periodic run over the inventory.
    Scheduled {
        /// When Config sent the notification.
        notification_time: Option<String>,
    },
}

impl Trigger {
    /// The `messageType` it came from.
    pub(crate) fn message_type(&self) -> &'static str {
        match self {
            Trigger::Change { .. } => "ConfigurationItemChangeNotification",
            Trigger::Oversized { .. } => "OversizedConfigurationItemChangeNotification",
            Trigger::Scheduled { .. } => "ScheduledNotification",
        }
    }
}

/// A decoded rule event.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleEvent {
    /// What triggered it.
    pub trigger: Trigger,
    /// `ruleParameters`, every value as a string.
    pub parameters: BTreeMap<String, String>,
    /// The token `PutEvaluations` needs.
    pub(crate) result_token: String,
    /// The resource left the rule's scope.
    pub event_left_scope: bool,
    /// The role Config runs the rule with.
    pub(crate) execution_role_arn: Option<String>,
    /// The rule's name.
    pub(crate) rule_name: String,
    /// The rule's ARN.
    pub(crate) rule_arn: Option<String>,
    /// The evaluated account.
    pub(crate) account_id: String,
}

/// What a payload that is not a Config rule event is reported as.
const KIND: &str = "Config rule event";

fn bad(msg: impl Into<String>) -> MalformedEvent {
    MalformedEvent::new(KIND, msg)
}

impl RuleEvent {
    /// Decodes the raw invocation payload.
    pub fn from_event(event: Value) -> Result<Self, MalformedEvent> {
        let outer: ConfigEvent = ferrops::event::decode(KIND, event)?;
        let invoking_text = outer
            .invoking_event
            .ok_or_else(|| bad("invokingEvent is missing"))?;
        let invoking: Value = serde_json::from_str(&invoking_text)
            .map_err(|e| bad(format!("invokingEvent is not JSON: {e}")))?;
        let parameters = match outer.rule_parameters.as_deref().map(str::trim) {
            None | Some("") => BTreeMap::new(),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(m)) => m
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            k,
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect(),
                Ok(_) => return Err(bad("ruleParameters must be a JSON object")),
                Err(e) => return Err(bad(format!("ruleParameters is not JSON: {e}"))),
            },
        };
        let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let notification_time = str_of(&invoking, "notificationCreationTime");
        let message_type = str_of(&invoking, "messageType")
            .ok_or_else(|| bad("invokingEvent.messageType is missing"))?;
        let trigger = match message_type.as_str() {
            "ConfigurationItemChangeNotification" => {
                let item = invoking
                    .get("configurationItem")
                    .filter(|v| v.is_object())
                    .ok_or_else(|| bad("invokingEvent.configurationItem is missing"))?;
                let item = ConfigurationItem::from_json(item).map_err(bad)?;
                Trigger::Change {
                    item: Box::new(item),
                    notification_time,
                }
            }
            "OversizedConfigurationItemChangeNotification" => {
                let s = invoking
                    .get("configurationItemSummary")
                    .ok_or_else(|| bad("invokingEvent.configurationItemSummary is missing"))?;
                let field = |k: &str| {
                    str_of(s, k)
                        .ok_or_else(|| bad(format!("configurationItemSummary.{k} is missing")))
                };
                Trigger::Oversized {
                    resource_type: field("resourceType")?,
                    resource_id: field("resourceId")?,
                    capture_time: field("configurationItemCaptureTime")?,
                    status: str_of(s, "configurationItemStatus")
                        .unwrap_or_else(|| "OK".to_string()),
                    notification_time,
                }
            }
            "ScheduledNotification" => Trigger::Scheduled { notification_time },
            other => {
                return Err(bad(format!(
                    "messageType {other:?} is not one a rule handles (ConfigurationItemChangeNotification, OversizedConfigurationItemChangeNotification, ScheduledNotification)"
                )));
            }
        };
        Ok(RuleEvent {
            trigger,
            parameters,
            result_token: outer
                .result_token
                .filter(|t| !t.is_empty())
                .ok_or_else(|| bad("resultToken is missing"))?,
            event_left_scope: outer.event_left_scope,
            execution_role_arn: outer.execution_role_arn.filter(|a| !a.is_empty()),
            rule_name: outer
                .config_rule_name
                .filter(|n| !n.is_empty())
                .ok_or_else(|| bad("configRuleName is missing"))?,
            rule_arn: outer.config_rule_arn,
            account_id: outer
                .account_id
                .filter(|a| !a.is_empty())
                .or_else(|| str_of(&invoking, "awsAccountId"))
                .ok_or_else(|| bad("accountId is missing"))?,
        })
    }

    /// Whether `PutEvaluations` must run in test mode: the conventional test token.
    pub(crate) fn test_mode(&self) -> bool {
        self.result_token == "TESTMODE"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outer(invoking: Value, params: &str) -> Value {
        json!({
            "version": "1.0", "configRuleName": "ssh", "configRuleArn": "arn:aws:config:us-east-1:123456789012:config-rule/config-rule-1",
            "configRuleId": "config-rule-1", "accountId": "123456789012", "resultToken": "TESTMODE",
            "eventLeftScope": false, "executionRoleArn": "arn:aws:iam::123456789012:role/config-role",
            "invokingEvent": invoking.to_string(), "ruleParameters": params
        })
    }

    #[test]
    fn change_notification_carries_the_item() {
        let ev = RuleEvent::from_event(outer(json!({"messageType": "ConfigurationItemChangeNotification",
            "configurationItem": {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configurationItemStatus": "OK"},
            "notificationCreationTime": "2026-01-01T00:00:00.000Z"}), r#"{"rule":"incoming-ssh-disabled","port":22}"#)).unwrap();
        let Trigger::Change { item, .. } = &ev.trigger else {
            panic!()
        };
        assert_eq!(item.resource_id, "sg-1");
        assert_eq!(ev.parameters["rule"], "incoming-ssh-disabled");
        assert_eq!(
            ev.parameters["port"], "22",
            "non-string values become strings"
        );
        assert!(ev.test_mode());
    }

    #[test]
    fn oversized_notification_carries_the_summary() {
        let ev = RuleEvent::from_event(outer(json!({"messageType": "OversizedConfigurationItemChangeNotification",
            "configurationItemSummary": {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
                "configurationItemCaptureTime": "2026-01-01T00:00:00.000Z", "configurationItemStatus": "OK"}}), "{}")).unwrap();
        assert!(
            matches!(ev.trigger, Trigger::Oversized { ref resource_id, .. } if resource_id == "sg-1")
        );
    }

    #[test]
    fn malformed_events_get_clear_errors() {
        let cases = [
            (json!({"hello": 1}), "eventLeftScope"),
            (
                outer(
                    json!({"messageType": "ConfigurationSnapshotDeliveryCompleted"}),
                    "{}",
                ),
                "is not one a rule handles",
            ),
            (
                outer(
                    json!({"messageType": "ConfigurationItemChangeNotification"}),
                    "{}",
                ),
                "configurationItem is missing",
            ),
            (
                outer(json!({"messageType": "ScheduledNotification"}), "[1]"),
                "ruleParameters must be a JSON object",
            ),
            (
                outer(json!({"messageType": "ScheduledNotification"}), "{oops"),
                "ruleParameters is not JSON",
            ),
        ];
        for (ev, needle) in cases {
            let err = RuleEvent::from_event(ev).unwrap_err().to_string();
            assert!(err.contains(needle), "{err} lacks {needle}");
        }
        let mut ev = outer(json!({"messageType": "ScheduledNotification"}), "{}");
        ev["invokingEvent"] = json!("not json");
        assert!(
            RuleEvent::from_event(ev)
                .unwrap_err()
                .to_string()
                .contains("invokingEvent is not JSON")
        );
    }
}
