//! The reply envelope, and the size limits Alexa enforces on it.
//!
//! Alexa answers a reply over its limits with a generic error of its own, in English, and ends
//! the session; [`ResponseEnvelope::check`] finds such a reply before it leaves, so the skill can
//! apologise in the user's language instead.

use crate::Error;
use crate::ssml::Ssml;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Longest `outputSpeech` or reprompt, in characters; SSML tags count.
const MAX_SPEECH_CHARS: usize = 8000;
/// Longest card, title and content together, in characters.
const MAX_CARD_CHARS: usize = 8000;
/// Largest serialised reply, in bytes.
const MAX_RESPONSE_BYTES: usize = 24 * 1024;

/// Speech: plain text or SSML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Speech {
    /// Plain text, which Alexa reads as it is.
    PlainText {
        /// The text.
        text: String,
    },
    /// SSML, `<speak>` included.
    #[serde(rename = "SSML")]
    Ssml {
        /// The document.
        ssml: String,
    },
}

impl Speech {
    fn as_str(&self) -> &str {
        match self {
            Speech::PlainText { text } => text,
            Speech::Ssml { ssml } => ssml,
        }
    }
}

/// A card in the Alexa app, shown next to what was said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Card {
    /// Title and plain-text content.
    Simple {
        /// The title.
        title: String,
        /// The content.
        content: String,
    },
}

impl Card {
    fn chars(&self) -> usize {
        match self {
            Card::Simple { title, content } => title.chars().count() + content.chars().count(),
        }
    }
}

/// Dialog directives: Alexa asks the question, and the next request carries the answer in the
/// same intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Directive {
    /// Ask for a slot value the user left out.
    #[serde(rename = "Dialog.ElicitSlot", rename_all = "camelCase")]
    ElicitSlot {
        /// The slot to ask for.
        slot_to_elicit: String,
    },
    /// Ask the user to confirm the whole intent; the answer arrives as its
    /// `confirmationStatus`.
    #[serde(rename = "Dialog.ConfirmIntent")]
    ConfirmIntent,
}

/// `response` inside the envelope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// What Alexa says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_speech: Option<Speech>,
    /// Shown in the Alexa app next to the speech.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    /// What Alexa says if the user stays silent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reprompt: Option<Reprompt>,
    /// Dialog directives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub directives: Vec<Directive>,
    /// Whether the session ends; unset leaves it to the device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub should_end_session: Option<bool>,
    /// The answer to a `CanFulfillIntentRequest`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_fulfill_intent: Option<CanFulfill>,
}

/// Whether the skill can fulfil an intent, and how well it understands each slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanFulfill {
    /// `YES`, `NO` or `MAYBE`.
    pub can_fulfill: String,
    /// Per slot name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub slots: BTreeMap<String, CanFulfillSlot>,
}

/// One slot's answer to a `CanFulfillIntentRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanFulfillSlot {
    /// `YES`, `NO` or `MAYBE`: whether the value is one the skill recognises.
    pub can_understand: String,
    /// `YES` or `NO`: whether the skill can act on that value.
    pub can_fulfill: String,
}

/// What Alexa says when the user does not answer; without one, the session ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reprompt {
    /// The question, usually shorter than the speech it follows.
    pub output_speech: Speech,
}

/// The whole reply to one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseEnvelope {
    /// Always `1.0`.
    pub version: String,
    /// Attributes Alexa sends back on the session's next request.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub session_attributes: Map<String, Value>,
    /// What Alexa says, shows and does next.
    pub response: Response,
}

impl ResponseEnvelope {
    /// The spoken text (plain text, or SSML with its tags), if any.
    pub fn speech(&self) -> Option<&str> {
        self.response.output_speech.as_ref().map(Speech::as_str)
    }

    /// The reprompt's text, if any.
    pub fn reprompt_text(&self) -> Option<&str> {
        self.response
            .reprompt
            .as_ref()
            .map(|r| r.output_speech.as_str())
    }

    /// Whether Alexa would accept the reply: speech and reprompt up to 8,000 characters each,
    /// the card up to 8,000, the whole reply up to 24 KB.
    pub fn check(&self) -> Result<(), Error> {
        let spoken = self.response.output_speech.iter();
        let reprompted = self.response.reprompt.iter().map(|r| &r.output_speech);
        for s in spoken.chain(reprompted) {
            let chars = s.as_str().chars().count();
            if chars > MAX_SPEECH_CHARS {
                return Err(Error::SpeechTooLong {
                    chars,
                    max: MAX_SPEECH_CHARS,
                });
            }
        }
        if let Some(chars) = self.response.card.as_ref().map(Card::chars)
            && chars > MAX_CARD_CHARS
        {
            return Err(Error::CardTooLong {
                chars,
                max: MAX_CARD_CHARS,
            });
        }
        // A reply that cannot be serialised could not be sent either.
        let bytes = serde_json::to_vec(self).map_or(usize::MAX, |v| v.len());
        if bytes > MAX_RESPONSE_BYTES {
            return Err(Error::ResponseTooLarge {
                bytes,
                max: MAX_RESPONSE_BYTES,
            });
        }
        Ok(())
    }
}

/// Builds a [`ResponseEnvelope`].
#[derive(Debug, Clone, Default)]
pub struct ResponseBuilder {
    response: Response,
}

impl ResponseBuilder {
    /// An empty reply: what a `SessionEndedRequest` or a `CanFulfillIntentRequest` gets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Speaks plain text.
    pub fn speak(mut self, text: impl Into<String>) -> Self {
        self.response.output_speech = Some(Speech::PlainText { text: text.into() });
        self
    }

    /// Speaks SSML.
    pub fn speak_ssml(mut self, ssml: &Ssml) -> Self {
        self.response.output_speech = Some(Speech::Ssml {
            ssml: ssml.render(),
        });
        self
    }

    /// Reprompts with plain text, which keeps the session open.
    pub fn reprompt(mut self, text: impl Into<String>) -> Self {
        self.response.reprompt = Some(Reprompt {
            output_speech: Speech::PlainText { text: text.into() },
        });
        self.response.should_end_session = Some(false);
        self
    }

    /// Adds a Simple card.
    pub fn simple_card(mut self, title: impl Into<String>, content: impl Into<String>) -> Self {
        self.response.card = Some(Card::Simple {
            title: title.into(),
            content: content.into(),
        });
        self
    }

    /// Adds a dialog directive, which keeps the session open for the answer.
    pub fn directive(mut self, d: Directive) -> Self {
        self.response.directives.push(d);
        self.response.should_end_session = Some(false);
        self
    }

    /// Answers a `CanFulfillIntentRequest`.
    pub fn can_fulfill(mut self, answer: CanFulfill) -> Self {
        self.response.can_fulfill_intent = Some(answer);
        self
    }

    /// Sets whether the session ends.
    pub fn end_session(mut self, end: bool) -> Self {
        self.response.should_end_session = Some(end);
        self
    }

    /// The envelope, with no session attributes; not yet checked against the limits.
    pub fn build(self) -> ResponseEnvelope {
        ResponseEnvelope {
            version: "1.0".to_string(),
            session_attributes: Map::new(),
            response: self.response,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_in_the_wire_shape() {
        let mut r = ResponseBuilder::new()
            .speak_ssml(&Ssml::new().text("Hi & bye"))
            .reprompt("Anything else?")
            .simple_card("Space Facts", "A year on Mercury is 88 days.")
            .build();
        r.session_attributes.insert("heard".to_string(), json!([1]));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["version"], "1.0");
        assert_eq!(
            v["response"]["outputSpeech"],
            json!({"type": "SSML", "ssml": "<speak>Hi &amp; bye</speak>"})
        );
        assert_eq!(
            v["response"]["reprompt"]["outputSpeech"],
            json!({"type": "PlainText", "text": "Anything else?"})
        );
        assert_eq!(v["response"]["card"]["type"], "Simple");
        assert_eq!(v["response"]["shouldEndSession"], false);
        assert_eq!(v["sessionAttributes"]["heard"], json!([1]));
    }

    #[test]
    fn directives_serialise_with_their_types() {
        let r = ResponseBuilder::new()
            .directive(Directive::ElicitSlot {
                slot_to_elicit: "pipeline".into(),
            })
            .directive(Directive::ConfirmIntent)
            .build();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v["response"]["directives"],
            json!([
                {"type": "Dialog.ElicitSlot", "slotToElicit": "pipeline"},
                {"type": "Dialog.ConfirmIntent"}
            ])
        );
        assert_eq!(v["response"]["shouldEndSession"], false);
    }

    #[test]
    fn empty_reply_has_no_speech() {
        let v = serde_json::to_value(ResponseBuilder::new().build()).unwrap();
        assert_eq!(v, json!({"version": "1.0", "response": {}}));
    }

    #[test]
    fn speech_at_the_limit_passes_and_one_more_fails() {
        let ok = ResponseBuilder::new().speak("a".repeat(8000)).build();
        assert!(ok.check().is_ok());
        let long = ResponseBuilder::new().speak("a".repeat(8001)).build();
        assert!(matches!(
            long.check(),
            Err(Error::SpeechTooLong {
                chars: 8001,
                max: 8000
            })
        ));
        let ssml = ResponseBuilder::new()
            .speak_ssml(&Ssml::new().text(&"a".repeat(7990)))
            .build();
        assert!(
            matches!(ssml.check(), Err(Error::SpeechTooLong { chars: 8005, .. })),
            "tags count"
        );
        let reprompt = ResponseBuilder::new()
            .speak("x")
            .reprompt("r".repeat(8001))
            .build();
        assert!(matches!(reprompt.check(), Err(Error::SpeechTooLong { .. })));
    }

    #[test]
    fn card_title_and_content_share_8000() {
        let ok = ResponseBuilder::new()
            .simple_card("t".repeat(4000), "c".repeat(4000))
            .build();
        assert!(ok.check().is_ok());
        let long = ResponseBuilder::new()
            .simple_card("t".repeat(4000), "c".repeat(4001))
            .build();
        assert!(matches!(
            long.check(),
            Err(Error::CardTooLong {
                chars: 8001,
                max: 8000
            })
        ));
    }

    #[test]
    fn the_whole_response_is_capped_at_24_kb() {
        let mut big = ResponseBuilder::new()
            .speak("s".repeat(8000))
            .simple_card("t", "c".repeat(7990))
            .build();
        big.session_attributes
            .insert("blob".to_string(), json!("b".repeat(9000)));
        assert!(matches!(
            big.check(),
            Err(Error::ResponseTooLarge { max: 24576, .. })
        ));
    }
}
