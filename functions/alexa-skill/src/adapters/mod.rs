//! SDK adapters behind the ports.

pub mod codepipeline;
pub mod dynamodb;
pub mod ssm;
