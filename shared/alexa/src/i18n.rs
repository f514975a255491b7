//! Per-locale strings with an explicit fallback chain: `de-DE` → `de` → the default locale.
//!
//! Each locale is a JSON object of keys to strings (or arrays of strings). A key missing from
//! the user's locale comes from the next locale in the chain, and that fallback is logged rather
//! than silent.

use crate::Error;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Every locale's strings, and the default locale that ends each fallback chain.
#[derive(Debug, Clone)]
pub struct Catalog {
    locales: BTreeMap<String, Map<String, Value>>,
    default: String,
}

/// `de-de`, `DE_de` → `de-DE`: Alexa sends one spelling, but locale files may use another.
fn normalise(locale: &str) -> String {
    let mut parts = locale.trim().split(['-', '_']);
    let lang = parts.next().unwrap_or_default().to_ascii_lowercase();
    match parts.next() {
        Some(region) if !region.is_empty() => format!("{lang}-{}", region.to_ascii_uppercase()),
        _ => lang,
    }
}

impl Catalog {
    /// Builds a catalog from `(locale, JSON text)` pairs; `default` ends every fallback chain and
    /// must be among them.
    pub fn from_json(files: &[(&str, &str)], default: &str) -> Result<Self, Error> {
        let mut locales = BTreeMap::new();
        for (locale, text) in files {
            let parsed =
                serde_json::from_str::<Value>(text).map_err(|source| Error::LocaleJson {
                    locale: locale.to_string(),
                    source,
                })?;
            let Value::Object(strings) = parsed else {
                return Err(Error::LocaleNotAnObject {
                    locale: locale.to_string(),
                });
            };
            locales.insert(normalise(locale), strings);
        }
        let default = normalise(default);
        if !locales.contains_key(&default) {
            return Err(Error::DefaultLocaleMissing { locale: default });
        }
        Ok(Self { locales, default })
    }

    /// The locales, in order of preference, that serve `locale`.
    fn chain(&self, locale: Option<&str>) -> Vec<String> {
        let mut chain = Vec::new();
        if let Some(l) = locale.map(normalise).filter(|l| !l.is_empty()) {
            let lang = l.split('-').next().unwrap_or_default().to_string();
            chain.push(l);
            chain.push(lang);
        }
        chain.push(self.default.clone());
        chain.dedup();
        chain.retain(|l| self.locales.contains_key(l));
        chain
    }

    /// The strings for a request in `locale` (`None` when it names none); a locale served by a
    /// fallback is logged.
    pub fn strings(&self, locale: Option<&str>) -> Strings<'_> {
        let chain = self.chain(locale);
        let requested = locale
            .map(normalise)
            .unwrap_or_else(|| self.default.clone());
        if chain.first() != Some(&requested) {
            tracing::warn!(requested = %requested, served = ?chain.first(), "locale not supported; falling back");
        }
        Strings {
            catalog: self,
            chain,
            requested,
        }
    }

    /// Keys of the default locale missing from `locale` (for completeness tests).
    pub fn missing_keys(&self, locale: &str) -> Vec<String> {
        let Some(l) = self.locales.get(&normalise(locale)) else {
            return vec!["(locale missing)".into()];
        };
        let default = &self.locales[&self.default];
        default
            .keys()
            .filter(|k| !l.contains_key(*k))
            .cloned()
            .collect()
    }
}

/// The strings one request is answered in: its locale's, then those along the fallback chain.
#[derive(Debug, Clone)]
pub struct Strings<'a> {
    catalog: &'a Catalog,
    chain: Vec<String>,
    requested: String,
}

impl Strings<'_> {
    /// The locale that serves the request first.
    pub fn locale(&self) -> &str {
        self.chain
            .first()
            .map(String::as_str)
            .unwrap_or(&self.catalog.default)
    }

    fn lookup(&self, key: &str) -> Option<&Value> {
        for (i, l) in self.chain.iter().enumerate() {
            if let Some(v) = self.catalog.locales.get(l).and_then(|m| m.get(key)) {
                if i > 0 {
                    tracing::warn!(key, requested = %self.requested, served = %l, "string missing; using a fallback locale");
                }
                return Some(v);
            }
        }
        tracing::error!(key, "string missing from every locale");
        None
    }

    /// A string; the key itself when no locale has it (and an error is logged).
    pub fn get(&self, key: &str) -> String {
        match self.lookup(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(a)) => a.first().and_then(Value::as_str).unwrap_or(key).to_string(),
            _ => key.to_string(),
        }
    }

    /// A string with `{name}` placeholders filled.
    pub fn format(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.get(key);
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// A list of strings (an empty list when missing).
    pub fn list(&self, key: &str) -> Vec<String> {
        match self.lookup(key) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::from_json(
            &[
                ("en-US", r#"{"HELLO": "Hello", "BYE": "Goodbye", "FACTS": ["a", "b"], "NAMED": "Hi {name}!"}"#),
                ("en-GB", r#"{"HELLO": "Hello, mate"}"#),
                ("de", r#"{"HELLO": "Hallo", "BYE": "Tschüss"}"#),
            ],
            "en-US",
        )
        .unwrap()
    }

    #[test]
    fn chain_is_locale_then_language_then_default() {
        let c = catalog();
        assert_eq!(c.chain(Some("de-DE")), vec!["de", "en-US"]);
        assert_eq!(c.chain(Some("en-GB")), vec!["en-GB", "en-US"]);
        assert_eq!(c.chain(Some("fr-FR")), vec!["en-US"]);
        assert_eq!(c.chain(None), vec!["en-US"]);
    }

    #[test]
    fn keys_fall_back_along_the_chain() {
        let c = catalog();
        let de = c.strings(Some("de-DE"));
        assert_eq!(de.get("HELLO"), "Hallo");
        assert_eq!(
            de.list("FACTS"),
            vec!["a", "b"],
            "missing in de, served by en-US"
        );
        let gb = c.strings(Some("en-gb"));
        assert_eq!(
            (gb.get("HELLO"), gb.get("BYE")),
            ("Hello, mate".into(), "Goodbye".into())
        );
        assert_eq!(gb.locale(), "en-GB");
        assert_eq!(c.strings(Some("fr-FR")).locale(), "en-US");
    }

    #[test]
    fn formatting_and_missing_keys() {
        let c = catalog();
        assert_eq!(
            c.strings(None).format("NAMED", &[("name", "Ada")]),
            "Hi Ada!"
        );
        assert_eq!(c.strings(None).get("NOPE"), "NOPE");
        assert_eq!(c.missing_keys("de"), vec!["FACTS", "NAMED"]);
    }

    #[test]
    fn bad_files_and_a_missing_default_are_errors() {
        assert!(matches!(
            Catalog::from_json(&[("en-US", "[1]")], "en-US"),
            Err(Error::LocaleNotAnObject { locale }) if locale == "en-US"
        ));
        assert!(matches!(
            Catalog::from_json(&[("en-US", "{")], "en-US"),
            Err(Error::LocaleJson { locale, .. }) if locale == "en-US"
        ));
        assert!(matches!(
            Catalog::from_json(&[("de-DE", "{}")], "en-US"),
            Err(Error::DefaultLocaleMissing { locale }) if locale == "en-US"
        ));
    }

    #[test]
    fn locales_are_normalised() {
        assert_eq!(normalise("de_de"), "de-DE");
        assert_eq!(normalise("EN"), "en");
    }
}
