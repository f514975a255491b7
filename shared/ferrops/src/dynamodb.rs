//! Reading and writing DynamoDB item attributes.
//!
//! Our tables hold strings and numbers only. An attribute of another type, or a number that
//! does not parse, reads as absent: a reader decides what a missing value means, and no
//! malformed item can fail an invocation.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::str::FromStr;

/// A DynamoDB item, as the SDK hands it over.
pub type Item = HashMap<String, AttributeValue>;

/// The string attribute `name`.
pub fn string<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

/// The number attribute `name`, parsed as a `T`.
pub fn number<T: FromStr>(item: &Item, name: &str) -> Option<T> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// A string attribute value.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute value.
pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_of_the_expected_type_are_read() {
        let item: Item = [
            ("name".to_string(), s("job#1")),
            ("at".to_string(), n(1_700_000_000_u64)),
        ]
        .into();
        assert_eq!(string(&item, "name"), Some("job#1"));
        assert_eq!(number::<u64>(&item, "at"), Some(1_700_000_000));
    }

    #[test]
    fn missing_mistyped_and_unparsable_attributes_read_as_absent() {
        let item: Item = [
            ("name".to_string(), n(5)),
            ("at".to_string(), s("soon")),
            ("big".to_string(), n("-1")),
        ]
        .into();
        assert_eq!(string(&item, "name"), None);
        assert_eq!(number::<u64>(&item, "at"), None);
        assert_eq!(number::<u64>(&item, "big"), None);
        assert_eq!(string(&item, "absent"), None);
    }
}
