//! SDK adapters behind the ports.

pub mod codepipeline;
pub mod ledger;
pub mod ssm;
