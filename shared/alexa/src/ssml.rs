//! SSML built only from escaped text, so user or AWS data can never break the markup.

/// Escapes `& < > " '` for SSML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// An SSML document under construction. Text goes in only through escaping methods.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ssml {
    body: String,
}

impl Ssml {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends text, escaped.
    pub fn text(mut self, text: &str) -> Self {
        self.body.push_str(&escape(text));
        self
    }

    /// Appends a pause of `ms` milliseconds (Alexa allows up to 10 s).
    pub fn pause(mut self, ms: u32) -> Self {
        self.body
            .push_str(&format!("<break time=\"{}ms\"/>", ms.min(10_000)));
        self
    }

    /// Appends text read character by character (IDs, codes).
    pub fn spell(mut self, text: &str) -> Self {
        self.body.push_str(&format!(
            "<say-as interpret-as=\"characters\">{}</say-as>",
            escape(text)
        ));
        self
    }

    /// Appends text in another language, such as a pipeline name spoken in English in German.
    pub fn lang(mut self, lang: &str, text: &str) -> Self {
        let lang: String = lang
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        self.body.push_str(&format!(
            "<lang xml:lang=\"{lang}\">{}</lang>",
            escape(text)
        ));
        self
    }

    /// The document wrapped in `<speak>`.
    pub fn render(&self) -> String {
        format!("<speak>{}</speak>", self.body)
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_special_character_is_escaped() {
        assert_eq!(
            escape(r#"R&D <b> "q" 'a'"#),
            "R&amp;D &lt;b&gt; &quot;q&quot; &apos;a&apos;"
        );
    }

    #[test]
    fn text_cannot_inject_markup() {
        let s = Ssml::new()
            .text("</speak><audio src=\"x\"/>")
            .pause(200)
            .spell("i-0a&b")
            .render();
        assert_eq!(
            s,
            "<speak>&lt;/speak&gt;&lt;audio src=&quot;x&quot;/&gt;<break time=\"200ms\"/><say-as interpret-as=\"characters\">i-0a&amp;b</say-as></speak>"
        );
        assert!(
            Ssml::new()
                .lang("en-US\"><x", "a")
                .render()
                .contains("xml:lang=\"en-USx\"")
        );
    }
}
