//! The ports, implemented with the AWS SDK. Each adapter's tests check what it sends to AWS and
//! how it reads the answers, on the real client with `aws-smithy-mocks`.

pub mod codepipeline;
pub mod dynamodb;
pub mod ssm;
