//! Text as AWS APIs take it: length limits counted in characters as the APIs count them, and
//! percent-encoding for console links and URL-encoded policy documents.

/// Marks where text was cut.
pub const ELLIPSIS: &str = "…";

/// Returns `s` unchanged when it has at most `max` characters; otherwise its first characters
/// followed by [`ELLIPSIS`], `max` characters in all.
///
/// Cuts fall on character boundaries, so multi-byte text never panics or splits a character.
pub fn truncate_end(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let keep: String = s.chars().take(max - 1).collect();
    keep + ELLIPSIS
}

/// Returns `s` unchanged when it has at most `max` characters; otherwise [`ELLIPSIS`] followed by
/// its last characters, `max` characters in all. Used for output tails, where the end matters.
pub fn truncate_start(s: &str, max: usize) -> String {
    let count = s.chars().count();
    if count <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let skip = count - (max - 1);
    let tail: String = s.chars().skip(skip).collect();
    format!("{ELLIPSIS}{tail}")
}

/// Percent-encodes every byte of `s` outside RFC 3986's unreserved set (letters, digits,
/// `-_.~`), as console URLs and IAM's URL-encoded policy documents expect.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(
            percent_encode("AWS::EC2::Instance"),
            "AWS%3A%3AEC2%3A%3AInstance"
        );
        assert_eq!(percent_encode("a-b_c.d~é"), "a-b_c.d~%C3%A9");
    }

    #[test]
    fn short_text_is_unchanged() {
        assert_eq!(truncate_end("abc", 3), "abc");
        assert_eq!(truncate_start("abc", 3), "abc");
    }

    #[test]
    fn truncate_end_keeps_the_head_and_marks_the_cut() {
        let out = truncate_end("abcdef", 4);
        assert_eq!(out, "abc…");
        assert_eq!(out.chars().count(), 4);
    }

    #[test]
    fn truncate_start_keeps_the_tail_and_marks_the_cut() {
        let out = truncate_start("abcdef", 4);
        assert_eq!(out, "…def");
        assert_eq!(out.chars().count(), 4);
    }

    #[test]
    fn multibyte_text_is_cut_on_character_boundaries() {
        let s = "ééééé";
        assert_eq!(truncate_end(s, 3), "éé…");
        assert_eq!(truncate_start(s, 3), "…éé");
    }

    #[test]
    fn zero_budget_gives_empty_text() {
        assert_eq!(truncate_end("abc", 0), "");
        assert_eq!(truncate_start("abc", 0), "");
    }
}
