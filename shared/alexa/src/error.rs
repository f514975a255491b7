//! The framework's one error type.

/// Locale strings that cannot be used, or a reply Alexa would refuse.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A locale's strings are not valid JSON.
    #[error("locale {locale}: the strings are not valid JSON: {source}")]
    LocaleJson {
        /// The locale, as given.
        locale: String,
        /// Where the JSON breaks.
        #[source]
        source: serde_json::Error,
    },
    /// A locale's strings are JSON, but not an object.
    #[error("locale {locale}: the strings must be a JSON object of keys to strings")]
    LocaleNotAnObject {
        /// The locale, as given.
        locale: String,
    },
    /// The default locale, which ends every fallback chain, has no strings.
    #[error("locale {locale}: the default locale has no strings")]
    DefaultLocaleMissing {
        /// The default locale.
        locale: String,
    },
    /// Speech or reprompt longer than Alexa speaks.
    #[error("output speech has {chars} characters; Alexa allows {max}")]
    SpeechTooLong {
        /// Its length.
        chars: usize,
        /// Alexa's limit.
        max: usize,
    },
    /// A card longer than Alexa shows.
    #[error("card title and content have {chars} characters; Alexa allows {max}")]
    CardTooLong {
        /// Title and content, together.
        chars: usize,
        /// Alexa's limit.
        max: usize,
    },
    /// A reply larger than Alexa accepts.
    #[error("the response is {bytes} bytes; Alexa allows {max}")]
    ResponseTooLarge {
        /// Its serialised size.
        bytes: usize,
        /// Alexa's limit.
        max: usize,
    },
}
