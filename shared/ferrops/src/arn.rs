//! Amazon Resource Names, split into their parts.

use std::fmt;

/// The parts of `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`. The resource keeps any `:` or
/// `/` it contains (`function:NAME`, `role/path/NAME`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: &'a str,
    /// The service namespace, such as `iam` or `lambda`.
    pub service: &'a str,
    /// The region; empty for global services such as IAM.
    pub region: &'a str,
    /// The owning account; empty for resources that have none (S3 buckets).
    pub account: &'a str,
    /// Everything after the account.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `text`, or `None` when it does not have the six parts of an ARN or its partition
    /// is not an AWS one.
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        let (arn, partition, service, region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        (arn == "arn" && partition.starts_with("aws") && !service.is_empty()).then_some(Self {
            partition,
            service,
            region,
            account,
            resource,
        })
    }

    /// The account, when it is the 12 digits AWS account IDs have.
    pub fn account_id(&self) -> Option<&'a str> {
        is_account_id(self.account).then_some(self.account)
    }
}

/// True for a 12-digit AWS account ID.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account that owns the resource `arn` names, when it names one.
pub fn account_of(arn: &str) -> Option<&str> {
    Arn::parse(arn)?.account_id()
}

impl fmt::Debug for Arn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_arn_splits_into_its_parts() {
        let a = Arn::parse("arn:aws:lambda:eu-west-1:111122223333:function:config-rules").unwrap();
        assert_eq!(a.service, "lambda");
        assert_eq!(a.region, "eu-west-1");
        assert_eq!(a.account_id(), Some("111122223333"));
        assert_eq!(a.resource, "function:config-rules");
    }

    #[test]
    fn global_and_accountless_resources_parse_with_empty_parts() {
        let role = Arn::parse("arn:aws-cn:iam::111122223333:role/path/x").unwrap();
        assert_eq!((role.region, role.resource), ("", "role/path/x"));
        let bucket = Arn::parse("arn:aws:s3:::my-bucket").unwrap();
        assert_eq!(bucket.account_id(), None);
    }

    #[test]
    fn text_that_is_not_an_arn_is_refused() {
        for bad in [
            "",
            "not an arn",
            "arn:aws:iam",
            "urn:aws:iam::1:role/x",
            "arn:foo:iam::1:r",
        ] {
            assert!(Arn::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(account_of("arn:aws:lambda:us-east-1:1234:function:f"), None);
    }
}
