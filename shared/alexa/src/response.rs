//! The response envelope, built and checked against Alexa's limits before it is returned.

use crate::ssml::Ssml;
use serde::Serialize;
use serde_json::{Map, Value};

/// Alexa's response limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `outputSpeech` text or SSML, characters.
    pub speech_chars: usize,
    /// Card title plus content, characters.
    pub card_chars: usize,
    /// The whole serialised response, bytes.
    pub response_bytes: usize,
}

/// The documented limits: 8,000 characters of speech, 8,000 of card, 24 KB of response.
pub const LIMITS: Limits = Limits {
    speech_chars: 8000,
    card_chars: 8000,
    response_bytes: 24 * 1024,
};

/// Speech: plain text or SSML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Speech {
    /// Plain text.
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
    fn chars(&self) -> usize {
        match self {
            Speech::PlainText { text } => text.chars().count(),
            Speech::Ssml { ssml } => ssml.chars().count(),
        }
    }
}

/// A card in the Alexa app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Card {
    /// Title and content.
    Simple {
        /// The title.
        title: String,
        /// The content.
        content: String,
    },
    /// Title, text and an optional image.
    Standard {
        /// The title.
        title: String,
        /// The text.
        text: String,
        /// Image URLs (HTTPS).
        #[serde(skip_serializing_if = "Option::is_none")]
        image: Option<CardImage>,
    },
}

/// A Standard card's image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CardImage {
    /// 720×480.
    pub small_image_url: String,
    /// 1200×800.
    pub large_image_url: String,
}

impl Card {
    fn chars(&self) -> usize {
        match self {
            Card::Simple { title, content } => title.chars().count() + content.chars().count(),
            Card::Standard { title, text, .. } => title.chars().count() + text.chars().count(),
        }
    }
}

/// Dialog directives.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum Directive {
    /// Let Alexa drive the dialog.
    #[serde(rename = "Dialog.Delegate", rename_all = "camelCase")]
    Delegate {
        /// The intent with updated slots.
        #[serde(skip_serializing_if = "Option::is_none")]
        updated_intent: Option<Value>,
    },
    /// Ask for a slot value.
    #[serde(rename = "Dialog.ElicitSlot", rename_all = "camelCase")]
    ElicitSlot {
        /// The slot to ask for.
        slot_to_elicit: String,
        /// The intent with updated slots.
        #[serde(skip_serializing_if = "Option::is_none")]
        updated_intent: Option<Value>,
    },
    /// Ask the user to confirm a slot value.
    #[serde(rename = "Dialog.ConfirmSlot", rename_all = "camelCase")]
    ConfirmSlot {
        /// The slot to confirm.
        slot_to_confirm: String,
        /// The intent with updated slots.
        #[serde(skip_serializing_if = "Option::is_none")]
        updated_intent: Option<Value>,
    },
    /// Ask the user to confirm the whole intent.
    #[serde(rename = "Dialog.ConfirmIntent", rename_all = "camelCase")]
    ConfirmIntent {
        /// The intent with updated slots.
        #[serde(skip_serializing_if = "Option::is_none")]
        updated_intent: Option<Value>,
    },
}

/// `response` inside the envelope.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// What Alexa says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_speech: Option<Speech>,
    /// The card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    /// What Alexa says if the user is silent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reprompt: Option<Reprompt>,
    /// Dialog directives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub directives: Vec<Directive>,
    /// Whether the session ends.
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
    /// Per slot.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub slots: std::collections::BTreeMap<String, CanFulfillSlot>,
}

/// One slot's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanFulfillSlot {
    /// `YES`, `NO` or `MAYBE`.
    pub can_understand: String,
    /// `YES` or `NO`.
    pub can_fulfill: String,
}

/// A reprompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reprompt {
    /// The speech.
    pub output_speech: Speech,
}

/// The whole reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseEnvelope {
    /// Always `1.0`.
    pub version: String,
    /// Attributes Alexa sends back on the session's next request.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub session_attributes: Map<String, Value>,
    /// The response.
    pub response: Response,
}

impl ResponseEnvelope {
    /// The spoken text (plain text, or SSML with tags), if any.
    pub fn speech(&self) -> Option<&str> {
        match self.response.output_speech.as_ref()? {
            Speech::PlainText { text } => Some(text),
            Speech::Ssml { ssml } => Some(ssml),
        }
    }

    /// The reprompt's text, if any.
    pub fn reprompt_text(&self) -> Option<&str> {
        match &self.response.reprompt.as_ref()?.output_speech {
            Speech::PlainText { text } => Some(text),
            Speech::Ssml { ssml } => Some(ssml),
        }
    }

    /// Checks the response against `limits`.
    pub fn check(&self, limits: &Limits) -> Result<(), LimitError> {
        for s in self
            .response
            .output_speech
            .iter()
            .chain(self.response.reprompt.iter().map(|r| &r.output_speech))
        {
            if s.chars() > limits.speech_chars {
                return Err(LimitError::Speech {
                    chars: s.chars(),
                    max: limits.speech_chars,
                });
            }
        }
        if let Some(c) = &self.response.card
            && c.chars() > limits.card_chars
        {
            return Err(LimitError::Card {
                chars: c.chars(),
                max: limits.card_chars,
            });
        }
        let bytes = serde_json::to_vec(self)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if bytes > limits.response_bytes {
            return Err(LimitError::Response {
                bytes,
                max: limits.response_bytes,
            });
        }
        Ok(())
    }
}

/// A reply over Alexa's limits; Alexa would refuse it and say nothing useful.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// Speech too long.
    #[error("output speech has {chars} characters; Alexa allows {max}")]
    Speech {
        /// Its length.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Card too long.
    #[error("card title and content have {chars} characters; Alexa allows {max}")]
    Card {
        /// Its length.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Response too large.
    #[error("the response is {bytes} bytes; Alexa allows {max}")]
    Response {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
}

/// Builds a [`ResponseEnvelope`].
#[derive(Debug, Clone, Default)]
pub struct ResponseBuilder {
    response: Response,
    session_attributes: Map<String, Value>,
}

impl ResponseBuilder {
    /// An empty reply (what a `SessionEndedRequest` gets).
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

    /// Reprompts with plain text and keeps the session open.
    pub fn reprompt(mut self, text: impl Into<String>) -> Self {
        self.response.reprompt = Some(Reprompt {
            output_speech: Speech::PlainText { text: text.into() },
        });
        self.response.should_end_session = Some(false);
        self
    }

    /// Reprompts with SSML and keeps the session open.
    pub fn reprompt_ssml(mut self, ssml: &Ssml) -> Self {
        self.response.reprompt = Some(Reprompt {
            output_speech: Speech::Ssml {
                ssml: ssml.render(),
            },
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

    /// Adds a Standard card.
    pub fn standard_card(
        mut self,
        title: impl Into<String>,
        text: impl Into<String>,
        image: Option<CardImage>,
    ) -> Self {
        self.response.card = Some(Card::Standard {
            title: title.into(),
            text: text.into(),
            image,
        });
        self
    }

    /// Adds a dialog directive; the session stays open for the answer.
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

    /// Sets the session attributes returned to Alexa.
    pub fn session_attributes(mut self, attrs: Map<String, Value>) -> Self {
        self.session_attributes = attrs;
        self
    }

    /// The envelope; not yet checked against the limits (the skill checks every reply).
    pub fn build(self) -> ResponseEnvelope {
        ResponseEnvelope {
            version: "1.0".to_string(),
            session_attributes: self.session_attributes,
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
        let r = ResponseBuilder::new()
            .speak_ssml(&Ssml::new().text("Hi & bye"))
            .reprompt("Anything else?")
            .simple_card("Space Facts", "A year on Mercury is 88 days.")
            .session_attributes(Map::from_iter([("heard".to_string(), json!([1]))]))
            .build();
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
                updated_intent: None,
            })
            .directive(Directive::ConfirmIntent {
                updated_intent: Some(json!({"name": "ApprovePipelineIntent"})),
            })
            .directive(Directive::Delegate {
                updated_intent: None,
            })
            .build();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v["response"]["directives"][0],
            json!({"type": "Dialog.ElicitSlot", "slotToElicit": "pipeline"})
        );
        assert_eq!(
            v["response"]["directives"][1]["type"],
            "Dialog.ConfirmIntent"
        );
        assert_eq!(
            v["response"]["directives"][1]["updatedIntent"]["name"],
            "ApprovePipelineIntent"
        );
        assert_eq!(
            v["response"]["directives"][2],
            json!({"type": "Dialog.Delegate"})
        );
    }

    #[test]
    fn empty_reply_has_no_speech() {
        let v = serde_json::to_value(ResponseBuilder::new().build()).unwrap();
        assert_eq!(v, json!({"version": "1.0", "response": {}}));
    }

    #[test]
    fn speech_at_the_limit_passes_and_one_more_fails() {
        let ok = ResponseBuilder::new().speak("a".repeat(8000)).build();
        assert!(ok.check(&LIMITS).is_ok());
        let long = ResponseBuilder::new().speak("a".repeat(8001)).build();
        assert_eq!(
            long.check(&LIMITS),
            Err(LimitError::Speech {
                chars: 8001,
                max: 8000
            })
        );
        let ssml = ResponseBuilder::new()
            .speak_ssml(&Ssml::new().text(&"a".repeat(7990)))
            .build();
        assert!(
            matches!(
                ssml.check(&LIMITS),
                Err(LimitError::Speech { chars: 8005, .. })
            ),
            "tags count"
        );
        let reprompt = ResponseBuilder::new()
            .speak("x")
            .reprompt("r".repeat(8001))
            .build();
        assert!(matches!(
            reprompt.check(&LIMITS),
            Err(LimitError::Speech { .. })
        ));
    }

    #[test]
    fn card_title_and_content_share_8000() {
        let ok = ResponseBuilder::new()
            .simple_card("t".repeat(4000), "c".repeat(4000))
            .build();
        assert!(ok.check(&LIMITS).is_ok());
        let long = ResponseBuilder::new()
            .simple_card("t".repeat(4000), "c".repeat(4001))
            .build();
        assert_eq!(
            long.check(&LIMITS),
            Err(LimitError::Card {
                chars: 8001,
                max: 8000
            })
        );
    }

    #[test]
    fn the_whole_response_is_capped_at_24_kb() {
        let big = ResponseBuilder::new()
            .speak("s".repeat(8000))
            .simple_card("t", "c".repeat(7990))
            .session_attributes(Map::from_iter([(
                "blob".to_string(),
                json!("b".repeat(9000)),
            )]))
            .build();
        assert!(matches!(
            big.check(&LIMITS),
            Err(LimitError::Response { max: 24576, .. })
        ));
    }
}
