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

    /// The document wrapped in `<speak>`.
    pub fn render(&self) -> String {
        format!("<speak>{}</speak>", self.body)
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
            .render();
        assert_eq!(
            s,
            "<speak>&lt;/speak&gt;&lt;audio src=&quot;x&quot;/&gt;<break time=\"200ms\"/></speak>"
        );
    }

    #[test]
    fn pauses_are_capped_at_what_alexa_allows() {
        assert_eq!(
            Ssml::new().pause(60_000).render(),
            "<speak><break time=\"10000ms\"/></speak>"
        );
    }
}
