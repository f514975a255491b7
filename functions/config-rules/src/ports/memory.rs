//! In-memory ports with the semantics of the SDK adapters, for testing the handler's behaviour:
//! one account's Config and SSM, and the accounts reached through roles.

use crate::evaluate::{BATCH_SIZE, Evaluation};
use crate::item::{ConfigurationItem, is_gone};
use crate::ports::{Accounts, ConfigApi, ManagedInstances, actions};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use ferrops::sts::RoleSpec;
use ferrops::{AwsFailure, FailureClass};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// One `PutEvaluations` call as the account received it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Put {
    pub(crate) evaluations: Vec<Evaluation>,
    pub(crate) token: String,
    pub(crate) test_mode: bool,
}

impl Put {
    /// (resource ID, result) per evaluation, in order.
    pub(crate) fn results(&self) -> Vec<(String, String)> {
        self.evaluations
            .iter()
            .map(|e| (e.resource_id.clone(), e.compliance.as_str().to_string()))
            .collect()
    }
}

#[derive(Debug, Default)]
struct State {
    /// Every recorded item, oldest first; several per resource make its history.
    items: Vec<ConfigurationItem>,
    /// Previous results per Config rule name.
    previous: BTreeMap<String, Vec<(String, String)>>,
    managed: BTreeSet<String>,
    /// Actions that fail, and how.
    refused: BTreeMap<&'static str, FailureClass>,
    /// Calls per action.
    calls: BTreeMap<&'static str, usize>,
    /// `item_at` requests: type, ID, time.
    item_requests: Vec<(String, String, DateTime)>,
    puts: Vec<Put>,
}

/// One account's Config and SSM. Clones share the account.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemoryAccount(Arc<Mutex<State>>);

impl MemoryAccount {
    /// Records `item` in Config (its inventory and its history).
    pub(crate) fn record(&self, item: ConfigurationItem) -> &Self {
        self.0.lock().unwrap().items.push(item);
        self
    }

    /// Sets the resources `rule_name` last reported COMPLIANT or NON_COMPLIANT.
    pub(crate) fn previous_results(&self, rule_name: &str, resources: &[(&str, &str)]) -> &Self {
        let list = resources
            .iter()
            .map(|(t, id)| (t.to_string(), id.to_string()))
            .collect();
        self.0
            .lock()
            .unwrap()
            .previous
            .insert(rule_name.to_string(), list);
        self
    }

    /// Registers managed instances in SSM.
    pub(crate) fn managed(&self, ids: impl IntoIterator<Item = String>) -> &Self {
        self.0.lock().unwrap().managed.extend(ids);
        self
    }

    /// Makes every call of `action` fail with a failure of `class`.
    pub(crate) fn refuse(&self, action: &'static str, class: FailureClass) -> &Self {
        self.0.lock().unwrap().refused.insert(action, class);
        self
    }

    /// The `PutEvaluations` calls received.
    pub(crate) fn puts(&self) -> Vec<Put> {
        self.0.lock().unwrap().puts.clone()
    }

    /// The `item_at` requests received: type, ID, time.
    pub(crate) fn item_requests(&self) -> Vec<(String, String, DateTime)> {
        self.0.lock().unwrap().item_requests.clone()
    }

    /// How often `action` was called.
    pub(crate) fn calls(&self, action: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .calls
            .get(action)
            .copied()
            .unwrap_or(0)
    }

    /// Counts a call of `action`; its failure when the account refuses it.
    fn call(&self, action: &'static str) -> Result<std::sync::MutexGuard<'_, State>, AwsFailure> {
        let mut state = self.0.lock().unwrap();
        *state.calls.entry(action).or_default() += 1;
        match state.refused.get(action) {
            Some(class) => Err(failure(action, *class)),
            None => Ok(state),
        }
    }
}

/// The failure AWS would return for a refused `action`.
fn failure(action: &'static str, class: FailureClass) -> AwsFailure {
    let code = match class {
        FailureClass::AccessDenied => "AccessDeniedException",
        FailureClass::Rejected => "ValidationException",
        FailureClass::Unavailable => "ThrottlingException",
    };
    let message = format!("{code}: refused by the in-memory account");
    AwsFailure {
        operation: action,
        class,
        code: Some(code.to_string()),
        source: message.clone().into(),
        message,
    }
}

fn captured_by(item: &ConfigurationItem, at: DateTime) -> bool {
    item.capture_time
        .as_deref()
        .and_then(|t| DateTime::from_str(t, Format::DateTime).ok())
        .is_none_or(|t| t <= at)
}

impl ConfigApi for MemoryAccount {
    async fn item_at(
        &self,
        resource_type: &str,
        resource_id: &str,
        capture_time: DateTime,
    ) -> Result<Option<ConfigurationItem>, AwsFailure> {
        let mut state = self.call(actions::GET_RESOURCE_CONFIG_HISTORY)?;
        state.item_requests.push((
            resource_type.to_string(),
            resource_id.to_string(),
            capture_time,
        ));
        Ok(state
            .items
            .iter()
            .rev()
            .find(|i| {
                i.resource_type == resource_type
                    && i.resource_id == resource_id
                    && captured_by(i, capture_time)
            })
            .cloned())
    }

    async fn inventory(&self, resource_type: &str) -> Result<Vec<ConfigurationItem>, AwsFailure> {
        let state = self.call(actions::LIST_DISCOVERED_RESOURCES)?;
        // The latest item per resource; deleted resources are not discovered ones.
        let mut latest: BTreeMap<&str, &ConfigurationItem> = BTreeMap::new();
        for i in state
            .items
            .iter()
            .filter(|i| i.resource_type == resource_type)
        {
            latest.insert(&i.resource_id, i);
        }
        Ok(latest
            .into_values()
            .filter(|i| !is_gone(&i.status))
            .cloned()
            .collect())
    }

    async fn previous_results(&self, rule_name: &str) -> Result<Vec<(String, String)>, AwsFailure> {
        let state = self.call(actions::GET_COMPLIANCE_DETAILS_BY_CONFIG_RULE)?;
        Ok(state.previous.get(rule_name).cloned().unwrap_or_default())
    }

    async fn put(
        &self,
        batch: &[Evaluation],
        token: &str,
        test_mode: bool,
    ) -> Result<(), AwsFailure> {
        let mut state = self.call(actions::PUT_EVALUATIONS)?;
        if batch.is_empty() || batch.len() > BATCH_SIZE {
            return Err(failure(actions::PUT_EVALUATIONS, FailureClass::Rejected));
        }
        state.puts.push(Put {
            evaluations: batch.to_vec(),
            token: token.to_string(),
            test_mode,
        });
        Ok(())
    }
}

impl ManagedInstances for MemoryAccount {
    async fn managed_instance_ids(&self) -> Result<BTreeSet<String>, AwsFailure> {
        Ok(self
            .call(actions::DESCRIBE_INSTANCE_INFORMATION)?
            .managed
            .clone())
    }
}

/// How assuming a role fails: builds the error STS's refusal becomes.
type Refusal = Box<dyn Fn(&RoleSpec) -> AwsFailure + Send + Sync>;

/// The function's own account, and the accounts its roles reach, by account ID.
#[derive(Default)]
pub(crate) struct MemoryAccounts {
    home: MemoryAccount,
    others: Mutex<BTreeMap<String, MemoryAccount>>,
    /// Roles assumed: ARN and external ID.
    assumed: Mutex<Vec<(String, Option<String>)>>,
    refusal: Option<Refusal>,
}

impl MemoryAccounts {
    /// Accounts where assuming any role fails with the error `refusal` builds.
    pub(crate) fn refusing_roles(
        refusal: impl Fn(&RoleSpec) -> AwsFailure + Send + Sync + 'static,
    ) -> Self {
        Self {
            refusal: Some(Box::new(refusal)),
            ..Self::default()
        }
    }

    /// The function's own account.
    pub(crate) fn home(&self) -> &MemoryAccount {
        &self.home
    }

    /// The account `id`, reached through a role.
    pub(crate) fn account(&self, id: &str) -> MemoryAccount {
        self.others
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_default()
            .clone()
    }

    /// The roles assumed, in order: ARN and external ID.
    pub(crate) fn assumed(&self) -> Vec<(String, Option<String>)> {
        self.assumed.lock().unwrap().clone()
    }
}

impl Accounts for MemoryAccounts {
    type Config = MemoryAccount;
    type Ssm = MemoryAccount;

    async fn for_role(
        &self,
        role: Option<&RoleSpec>,
        _context: &str,
    ) -> Result<(MemoryAccount, MemoryAccount), AwsFailure> {
        let Some(role) = role else {
            return Ok((self.home.clone(), self.home.clone()));
        };
        self.assumed.lock().unwrap().push((
            role.role_arn().to_string(),
            role.external_id().map(|x| x.expose().clone()),
        ));
        if let Some(refusal) = &self.refusal {
            return Err(refusal(role));
        }
        let account = self.account(role.account());
        Ok((account.clone(), account))
    }
}
