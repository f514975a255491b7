//! Helpers for decoding Lambda events without echoing their contents.

/// Describes a `serde_json` error without quoting the offending value.
///
/// serde's messages quote the value it could not use ("invalid type: string \"…\", expected
/// u64"). When the value sits next to credentials, as in a CodePipeline job event, the quote
/// alone could leak a secret into a log or an error reply, so only its kind is kept.
pub fn redacted_serde_error(err: &serde_json::Error) -> String {
    let msg = err.to_string();
    for marker in ["invalid type: ", "invalid value: "] {
        if let Some(start) = msg.find(marker) {
            let after = &msg[start + marker.len()..];
            let kind = after.split([' ', ',']).next().unwrap_or("value");
            let rest = after.find(", expected").map(|i| &after[i..]).unwrap_or("");
            return format!("{}{marker}{kind}{rest}", &msg[..start]);
        }
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
