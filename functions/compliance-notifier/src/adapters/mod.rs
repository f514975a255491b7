//! SDK adapters behind the ports.

pub mod dynamodb;
pub mod sns;
