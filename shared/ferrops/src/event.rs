//! Decoding Lambda events without echoing their contents.
//!
//! Every function decodes its payload through [`decode`], so a payload of the wrong shape gets
//! the same kind of error everywhere: a [`MalformedEvent`] that says what was expected and
//! where, and never quotes a value (events carry credentials and tokens).

use serde::de::DeserializeOwned;

/// A payload that is not the event a function handles. Lambda reports it with the
/// `errorType` `InvalidEvent`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {kind}: {detail}")]
pub struct MalformedEvent {
    /// What the payload should have been, such as "CodePipeline job event".
    pub kind: &'static str,
    /// What is wrong, with no value quoted.
    pub detail: String,
}

impl MalformedEvent {
    /// A payload of kind `kind` that decoded but cannot be used, for the reason `detail`.
    pub fn new(kind: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

/// Decodes `payload` as a `T`, an event of kind `kind`.
pub fn decode<T: DeserializeOwned>(
    kind: &'static str,
    payload: serde_json::Value,
) -> Result<T, MalformedEvent> {
    serde_json::from_value(payload).map_err(|e| MalformedEvent::new(kind, redacted_serde_error(&e)))
}

/// Decodes the JSON text an event carries in the string field `field` (Config's
/// `invokingEvent` and `ruleParameters` are such strings).
pub fn decode_embedded<T: DeserializeOwned>(
    kind: &'static str,
    field: &str,
    text: &str,
) -> Result<T, MalformedEvent> {
    serde_json::from_str(text)
        .map_err(|e| MalformedEvent::new(kind, format!("{field}: {}", redacted_serde_error(&e))))
}

/// Describes a `serde_json` error without quoting the offending value.
///
/// serde's messages quote the value it could not use ("invalid type: string \"…\", expected
/// u64"). When the value sits next to credentials, as in a CodePipeline job event, the quote
/// alone could leak a secret into a log or an error reply, so only its kind is kept.
pub fn redacted_serde_error(err: &serde_json::Error) -> String {
    let msg = err.to_string();
    let expected = |after: &str| {
        after
            .split_once(", expected")
            .map_or(String::new(), |(_, r)| format!(", expected{r}"))
    };
    for marker in ["invalid type: ", "invalid value: "] {
        if let Some((before, after)) = msg.split_once(marker) {
            let kind = after.split([' ', ',']).next().unwrap_or("value");
            return format!("{before}{marker}{kind}{}", expected(after));
        }
    }
    // "unknown variant `VALUE`, expected one of ...": the variant is the value itself.
    if let Some((before, after)) = msg.split_once("unknown variant `") {
        let rest = after
            .split_once("`, expected")
            .map_or(String::new(), |(_, r)| format!(", expected{r}"));
        return format!("{before}unknown variant{rest}");
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_type_errors_keep_the_kind_but_not_the_value() {
        let err = serde_json::from_str::<u64>("\"wJalrXUtnFEMI\"").unwrap_err();
        let out = redacted_serde_error(&err);
        assert!(!out.contains("wJalrXUtnFEMI"), "{out}");
        assert!(out.contains("invalid type: string"), "{out}");
        assert!(out.contains("expected u64"), "{out}");
    }

    #[test]
    fn unknown_variant_errors_drop_the_variant() {
        #[derive(serde::Deserialize, Debug)]
        enum Mode {
            #[allow(dead_code)]
            Fast,
        }
        let err = serde_json::from_str::<Mode>("\"Bearer abc123\"").unwrap_err();
        let out = redacted_serde_error(&err);
        assert!(!out.contains("abc123"), "{out}");
        assert!(out.contains("unknown variant, expected `Fast`"), "{out}");
    }

    #[test]
    fn decode_names_the_event_kind_and_hides_the_value() {
        let err = decode::<u64>("test event", serde_json::json!("hunter2")).unwrap_err();
        assert_eq!(err.kind, "test event");
        let msg = err.to_string();
        assert!(msg.starts_with("malformed test event: "), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    #[test]
    fn embedded_json_errors_name_the_field_and_hide_the_value() {
        let err = decode_embedded::<Vec<u8>>(
            "Config rule event",
            "invokingEvent",
            "{\"a\": \"tok-123\"}",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("invokingEvent"), "{msg}");
        assert!(!msg.contains("tok-123"), "{msg}");
    }

    #[test]
    fn missing_field_errors_are_kept_whole() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct S {
            id: String,
        }
        let err = serde_json::from_str::<S>("{}").unwrap_err();
        assert!(redacted_serde_error(&err).contains("missing field `id`"));
    }
}
