//! The findings ledger in DynamoDB: `pk` = `finding#<account>#<region>#<rule>#<type>#<id>` for
//! findings, `digest#<account>` for digest bookkeeping.

use crate::change::{Finding, Transition};
use crate::ports::{Findings, Stored};
use aws_sdk_dynamodb::Client;
use ferrops::compliance::Compliance;
use ferrops::dynamodb::{Item, n, number, s, string};
use ferrops::{AwsFailure, SdkResultExt};

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

/// The finding an item holds; `None` for an item that is not one we wrote.
fn read(item: &Item) -> Option<Finding> {
    let text = |k: &str| string(item, k).map(str::to_string);
    Some(Finding {
        account: text("account")?,
        region: text("region")?,
        rule: text("rule")?,
        resource_type: text("resource_type")?,
        resource_id: text("resource_id")?,
        compliance: string(item, "compliance").and_then(Compliance::parse)?,
        previous: string(item, "previous").and_then(Compliance::parse),
        annotation: text("annotation").unwrap_or_default(),
        ordering_ms: number(item, "ordering_ms")?,
        changed_at: number(item, "changed_at").unwrap_or(0),
        pending: string(item, "pending").and_then(Transition::parse),
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
            .or_failure("dynamodb:GetItem")?;
        Ok(out.item().and_then(read))
    }

    async fn put_newer(&self, f: &Finding) -> Result<Stored, AwsFailure> {
        let mut call = self
            .client
            .put_item()
            .table_name(&self.name)
            .item("pk", s(f.key()))
            .item("account", s(&f.account))
            .item("region", s(&f.region))
            .item("rule", s(&f.rule))
            .item("resource_type", s(&f.resource_type))
            .item("resource_id", s(&f.resource_id))
            .item("compliance", s(f.compliance.as_str()))
            .item("annotation", s(&f.annotation))
            .item("ordering_ms", n(f.ordering_ms))
            .item("changed_at", n(f.changed_at))
            .condition_expression("attribute_not_exists(pk) OR ordering_ms < :o")
            .expression_attribute_values(":o", n(f.ordering_ms));
        if let Some(p) = &f.previous {
            call = call.item("previous", s(p.as_str()));
        }
        if let Some(t) = f.pending {
            call = call.item("pending", s(t.as_str()));
        }
        let written = call.send().await.unless("dynamodb:PutItem", |e| {
            e.is_conditional_check_failed_exception()
        })?;
        Ok(if written.is_some() {
            Stored::Written
        } else {
            Stored::Stale
        })
    }

    async fn clear_pending(&self, key: &str, ordering_ms: i64) -> Result<(), AwsFailure> {
        // A failed condition means a newer result replaced this one; its own pending mark is
        // not ours to clear.
        self.client
            .update_item()
            .table_name(&self.name)
            .key("pk", s(key))
            .update_expression("REMOVE pending")
            .condition_expression("ordering_ms = :o")
            .expression_attribute_values(":o", n(ordering_ms))
            .send()
            .await
            .unless("dynamodb:UpdateItem", |e| {
                e.is_conditional_check_failed_exception()
            })?;
        Ok(())
    }

    async fn all(&self) -> Result<Vec<Finding>, AwsFailure> {
        let mut pages = self
            .client
            .scan()
            .table_name(&self.name)
            .filter_expression("begins_with(pk, :p)")
            .expression_attribute_values(":p", s("finding#"))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            out.extend(
                page.or_failure("dynamodb:Scan")?
                    .items()
                    .iter()
                    .filter_map(read),
            );
        }
        Ok(out)
    }

    async fn last_digest(&self, account: &str) -> Result<Option<i64>, AwsFailure> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", s(format!("digest#{account}")))
            .consistent_read(true)
            .send()
            .await
            .or_failure("dynamodb:GetItem")?;
        Ok(out.item().and_then(|i| number(i, "sent_at")))
    }

    async fn record_digest(&self, account: &str, at: i64) -> Result<(), AwsFailure> {
        self.client
            .put_item()
            .table_name(&self.name)
            .item("pk", s(format!("digest#{account}")))
            .item("sent_at", n(at))
            .send()
            .await
            .or_failure("dynamodb:PutItem")?;
        Ok(())
    }
}
