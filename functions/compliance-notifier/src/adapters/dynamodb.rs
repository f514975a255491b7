//! The findings ledger in DynamoDB: `pk` = `finding#<account>#<region>#<rule>#<type>#<id>` for
//! findings, `digest#<account>` for digest bookkeeping.

use crate::change::{Finding, Transition};
use crate::ports::{Findings, Stored};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use ferrops::AwsFailure;
use std::collections::HashMap;

/// The DynamoDB-backed ledger.
#[derive(Debug, Clone)]
pub struct Table {
    client: Client,
    name: String,
}

impl Table {
    /// The table `name`.
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn read(item: &HashMap<String, AttributeValue>) -> Option<Finding> {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    let num = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
    };
    Some(Finding {
        account: text("account")?,
        region: text("region")?,
        rule: text("rule")?,
        resource_type: text("resource_type")?,
        resource_id: text("resource_id")?,
        compliance: text("compliance")?,
        previous: text("previous"),
        annotation: text("annotation").unwrap_or_default(),
        ordering_ms: num("ordering_ms")?,
        changed_at: num("changed_at").unwrap_or(0),
        pending: text("pending").as_deref().and_then(Transition::parse),
    })
}

impl Findings for Table {
    async fn get(&self, key: &str) -> Result<Option<Finding>, AwsFailure> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("dynamodb:GetItem", e))?;
        Ok(out.item().and_then(read))
    }

    async fn put_newer(&self, f: &Finding) -> Result<Stored, AwsFailure> {
        let mut call = self
            .client
            .put_item()
            .table_name(&self.name)
            .item("pk", s(&f.key()))
            .item("account", s(&f.account))
            .item("region", s(&f.region))
            .item("rule", s(&f.rule))
            .item("resource_type", s(&f.resource_type))
            .item("resource_id", s(&f.resource_id))
            .item("compliance", s(&f.compliance))
            .item("annotation", s(&f.annotation))
            .item("ordering_ms", n(f.ordering_ms))
            .item("changed_at", n(f.changed_at))
            .condition_expression("attribute_not_exists(pk) OR ordering_ms < :o")
            .expression_attribute_values(":o", n(f.ordering_ms));
        if let Some(p) = &f.previous {
            call = call.item("previous", s(p));
        }
        if let Some(t) = f.pending {
            call = call.item("pending", s(t.as_str()));
        }
        match call.send().await {
            Ok(_) => Ok(Stored::Written),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(Stored::Stale)
            }
            Err(e) => Err(AwsFailure::from_sdk("dynamodb:PutItem", e)),
        }
    }

    async fn clear_pending(&self, key: &str, ordering_ms: i64) -> Result<(), AwsFailure> {
        let res = self
            .client
            .update_item()
            .table_name(&self.name)
            .key("pk", s(key))
            .update_expression("REMOVE pending")
            .condition_expression("ordering_ms = :o")
            .expression_attribute_values(":o", n(ordering_ms))
            .send()
            .await;
        match res {
            // A newer result replaced this one; its own pending mark is not ours to clear.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(AwsFailure::from_sdk("dynamodb:UpdateItem", e)),
            Ok(_) => Ok(()),
        }
    }

    async fn all(&self) -> Result<Vec<Finding>, AwsFailure> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.name)
                .filter_expression("begins_with(pk, :p)")
                .expression_attribute_values(":p", s("finding#"))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk("dynamodb:Scan", e))?;
            out.extend(page.items().iter().filter_map(read));
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn last_digest(&self, account: &str) -> Result<Option<i64>, AwsFailure> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", s(&format!("digest#{account}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("dynamodb:GetItem", e))?;
        Ok(out
            .item()
            .and_then(|i| i.get("sent_at"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok()))
    }

    async fn record_digest(&self, account: &str, at: i64) -> Result<(), AwsFailure> {
        self.client
            .put_item()
            .table_name(&self.name)
            .item("pk", s(&format!("digest#{account}")))
            .item("sent_at", n(at))
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk("dynamodb:PutItem", e))?;
        Ok(())
    }
}
