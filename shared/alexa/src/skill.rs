//! The skill framework: verification, routing, interceptors, attributes and error handling.
//!
//! A [`Skill`] checks the skill ID, resolves the locale, runs request interceptors, hands the
//! request to the first [`Handler`] that can handle it, runs response interceptors, saves
//! persistent attributes (awaited, before the reply leaves), and checks the reply against
//! Alexa's limits. Anything that fails on the way becomes a spoken apology; only a request for
//! another skill is refused outright.

use crate::i18n::{Catalog, Strings};
use crate::request::{Request, RequestEnvelope};
use crate::response::{LIMITS, LimitError, Limits, ResponseBuilder, ResponseEnvelope};
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future: what handlers and interceptors return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a request could not be answered normally.
#[derive(Debug, thiserror::Error)]
pub enum SkillError {
    /// No handler accepts the request.
    #[error("no handler for {0}")]
    NoHandler(String),
    /// The reply exceeds Alexa's limits.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// A handler, interceptor or adapter failed.
    #[error("{context}: {source}")]
    Failed {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl SkillError {
    /// Wraps a failure with what was being done.
    pub fn failed(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        SkillError::Failed {
            context: context.into(),
            source: source.into(),
        }
    }
}

/// Loads and saves persistent attributes per user.
pub trait PersistenceAdapter: Send + Sync {
    /// The user's attributes (empty for a new user).
    fn load<'a>(
        &'a self,
        user_id: &'a str,
    ) -> BoxFuture<'a, Result<Map<String, Value>, SkillError>>;
    /// Stores the user's attributes.
    fn save<'a>(
        &'a self,
        user_id: &'a str,
        attributes: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), SkillError>>;
}

/// One request on its way through the skill.
pub struct Input<'a> {
    /// The request.
    pub envelope: &'a RequestEnvelope,
    /// Strings in the user's locale.
    pub strings: Strings<'a>,
    /// Attributes for this request only.
    pub request_attributes: Map<String, Value>,
    /// Attributes for the session; returned to Alexa while the session stays open.
    pub session_attributes: Map<String, Value>,
    persistence: Option<&'a dyn PersistenceAdapter>,
    persistent: Option<(Map<String, Value>, Map<String, Value>)>,
}

impl<'a> Input<'a> {
    /// The request.
    pub fn request(&self) -> &'a Request {
        &self.envelope.request
    }

    /// The intent's name, for intent requests.
    pub fn intent_name(&self) -> Option<&'a str> {
        self.envelope.request.intent().map(|i| i.name.as_str())
    }

    /// Whether this is an intent request for `name`.
    pub fn is_intent(&self, name: &str) -> bool {
        self.intent_name() == Some(name)
    }

    /// The user's persistent attributes, loaded on first use.
    pub async fn persistent(&mut self) -> Result<&mut Map<String, Value>, SkillError> {
        if self.persistent.is_none() {
            let loaded = match (self.persistence, self.envelope.user_id()) {
                (Some(p), Some(user)) => p.load(user).await?,
                _ => Map::new(),
            };
            self.persistent = Some((loaded.clone(), loaded));
        }
        match &mut self.persistent {
            Some((_, current)) => Ok(current),
            None => Err(SkillError::failed("persistent attributes", "not loaded")),
        }
    }

    async fn save_persistent(&self) -> Result<(), SkillError> {
        if let (Some(p), Some(user), Some((original, current))) =
            (self.persistence, self.envelope.user_id(), &self.persistent)
            && original != current
        {
            p.save(user, current).await?;
        }
        Ok(())
    }
}

/// Handles the requests it declares it can handle.
pub trait Handler<C>: Send + Sync {
    /// Whether this handler answers the request.
    fn can_handle(&self, input: &Input<'_>) -> bool;
    /// Answers it.
    fn handle<'a, 'b: 'a>(
        &'a self,
        input: &'a mut Input<'b>,
        ctx: &'a C,
    ) -> BoxFuture<'a, Result<ResponseEnvelope, SkillError>>;
}

/// Runs before the handler.
pub trait RequestInterceptor<C>: Send + Sync {
    /// Inspects or prepares the request.
    fn process<'a, 'b: 'a>(
        &'a self,
        input: &'a mut Input<'b>,
        ctx: &'a C,
    ) -> BoxFuture<'a, Result<(), SkillError>>;
}

/// Runs after the handler, before attributes are saved.
pub trait ResponseInterceptor<C>: Send + Sync {
    /// Inspects or adjusts the reply.
    fn process<'a, 'b: 'a>(
        &'a self,
        input: &'a mut Input<'b>,
        response: &'a mut ResponseEnvelope,
        ctx: &'a C,
    ) -> BoxFuture<'a, Result<(), SkillError>>;
}

/// Turns an error into a spoken reply.
pub trait ErrorHandler: Send + Sync {
    /// The apology for `error`.
    fn handle(&self, input: &Input<'_>, error: &SkillError) -> ResponseEnvelope;
}

/// The default error handler: speaks the locale's `ERROR` string and reprompts with
/// `ERROR_REPROMPT`.
#[derive(Debug, Default)]
pub struct SpokenApology;

impl ErrorHandler for SpokenApology {
    fn handle(&self, input: &Input<'_>, _: &SkillError) -> ResponseEnvelope {
        ResponseBuilder::new()
            .speak(input.strings.get("ERROR"))
            .reprompt(input.strings.get("ERROR_REPROMPT"))
            .build()
    }
}

/// Said when even the error handler's reply cannot be used.
pub const LAST_RESORT: &str = "Sorry, something went wrong. Please try again later.";

/// Which skills may call this function.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkillIds(Vec<String>);

impl SkillIds {
    /// Parses a comma-separated list, such as the `SKILL_IDS` variable. Empty allows every skill.
    pub fn parse(list: Option<&str>) -> Self {
        Self(
            list.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    /// Whether every skill ID is allowed.
    pub fn is_open(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `id` may call.
    pub fn allows(&self, id: Option<&str>) -> bool {
        self.is_open() || id.is_some_and(|id| self.0.iter().any(|a| a == id))
    }
}

/// A request for another skill, refused without a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("request for skill {0:?} refused: it is not in SKILL_IDS")]
pub struct Refused(pub Option<String>);

/// A skill: handlers, interceptors and the rest.
pub struct Skill<C> {
    handlers: Vec<Box<dyn Handler<C>>>,
    request_interceptors: Vec<Box<dyn RequestInterceptor<C>>>,
    response_interceptors: Vec<Box<dyn ResponseInterceptor<C>>>,
    error_handler: Box<dyn ErrorHandler>,
    persistence: Option<Box<dyn PersistenceAdapter>>,
    catalog: Catalog,
    skill_ids: SkillIds,
    limits: Limits,
}

impl<C: Sync> Skill<C> {
    /// A skill with `catalog`'s strings, answering `skill_ids`.
    pub fn new(catalog: Catalog, skill_ids: SkillIds) -> Self {
        if skill_ids.is_open() {
            tracing::warn!("SKILL_IDS is empty: requests for any skill ID are answered");
        }
        Self {
            handlers: Vec::new(),
            request_interceptors: Vec::new(),
            response_interceptors: Vec::new(),
            error_handler: Box::new(SpokenApology),
            persistence: None,
            catalog,
            skill_ids,
            limits: LIMITS,
        }
    }

    /// Adds a handler; earlier handlers are asked first.
    pub fn handler(mut self, h: impl Handler<C> + 'static) -> Self {
        self.handlers.push(Box::new(h));
        self
    }

    /// Adds a request interceptor.
    pub fn request_interceptor(mut self, i: impl RequestInterceptor<C> + 'static) -> Self {
        self.request_interceptors.push(Box::new(i));
        self
    }

    /// Adds a response interceptor.
    pub fn response_interceptor(mut self, i: impl ResponseInterceptor<C> + 'static) -> Self {
        self.response_interceptors.push(Box::new(i));
        self
    }

    /// Replaces the error handler.
    pub fn error_handler(mut self, e: impl ErrorHandler + 'static) -> Self {
        self.error_handler = Box::new(e);
        self
    }

    /// Keeps persistent attributes with `p`.
    pub fn persistence(mut self, p: impl PersistenceAdapter + 'static) -> Self {
        self.persistence = Some(Box::new(p));
        self
    }

    /// Overrides the response limits (tests use small ones).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Answers one request. Only a request for another skill is an error.
    pub async fn dispatch(
        &self,
        envelope: &RequestEnvelope,
        ctx: &C,
    ) -> Result<ResponseEnvelope, Refused> {
        let app = envelope.application_id();
        if !self.skill_ids.allows(app) {
            tracing::warn!(application_id = ?app, "request for another skill refused");
            return Err(Refused(app.map(str::to_string)));
        }
        let locale = envelope.request.common().locale.as_deref();
        let mut input = Input {
            envelope,
            strings: self.catalog.strings(locale),
            request_attributes: Map::new(),
            session_attributes: envelope.session_attributes(),
            persistence: self.persistence.as_deref(),
            persistent: None,
        };
        let session_ended = matches!(envelope.request, Request::SessionEnded(_));
        match self.run(&mut input, ctx).await {
            Ok(r) => Ok(r),
            Err(e) => {
                tracing::error!(request_type = envelope.request.type_name(), intent = ?input.intent_name(), error = %e, "request failed");
                if session_ended {
                    // Alexa ignores speech on a SessionEndedRequest; an empty reply is the answer.
                    return Ok(ResponseBuilder::new().build());
                }
                let apology = self.error_handler.handle(&input, &e);
                Ok(match apology.check(&self.limits) {
                    Ok(()) if apology.speech().is_some() => apology,
                    _ => ResponseBuilder::new()
                        .speak(LAST_RESORT)
                        .end_session(true)
                        .build(),
                })
            }
        }
    }

    async fn run(&self, input: &mut Input<'_>, ctx: &C) -> Result<ResponseEnvelope, SkillError> {
        for i in &self.request_interceptors {
            i.process(input, ctx).await?;
        }
        let handler = self
            .handlers
            .iter()
            .find(|h| h.can_handle(input))
            .ok_or_else(|| {
                SkillError::NoHandler(match input.intent_name() {
                    Some(i) => format!("intent {i}"),
                    None => input.request().type_name().to_string(),
                })
            })?;
        let mut response = handler.handle(input, ctx).await?;
        for i in &self.response_interceptors {
            i.process(input, &mut response, ctx).await?;
        }
        if response.response.should_end_session != Some(true)
            && response.session_attributes.is_empty()
        {
            response.session_attributes = input.session_attributes.clone();
        }
        input.save_persistent().await?;
        response.check(&self.limits)?;
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::{Arc, Mutex};

    struct Ctx;

    fn catalog() -> Catalog {
        Catalog::from_json(
            &[
                ("en-US", r#"{"ERROR": "Sorry, that went wrong.", "ERROR_REPROMPT": "Try again?", "HI": "Hello"}"#),
                ("de-DE", r#"{"ERROR": "Entschuldigung, das ging schief.", "ERROR_REPROMPT": "Nochmal?", "HI": "Hallo"}"#),
            ],
            "en-US",
        )
        .unwrap()
    }

    fn envelope(app: &str, request: Value) -> RequestEnvelope {
        serde_json::from_value(json!({
            "version": "1.0",
            "session": {"new": false, "sessionId": "s", "application": {"applicationId": app}, "attributes": {"count": 1}, "user": {"userId": "u1"}},
            "context": {"System": {"application": {"applicationId": app}, "user": {"userId": "u1"}}},
            "request": request
        }))
        .unwrap()
    }

    fn intent(name: &str, locale: &str) -> Value {
        json!({"type": "IntentRequest", "requestId": "r", "locale": locale, "intent": {"name": name}})
    }

    struct Hello;
    impl Handler<Ctx> for Hello {
        fn can_handle(&self, input: &Input<'_>) -> bool {
            input.is_intent("HelloIntent")
        }
        fn handle<'a, 'b: 'a>(
            &'a self,
            input: &'a mut Input<'b>,
            _: &'a Ctx,
        ) -> BoxFuture<'a, Result<ResponseEnvelope, SkillError>> {
            Box::pin(async move {
                let n = input
                    .session_attributes
                    .get("count")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                input
                    .session_attributes
                    .insert("count".into(), json!(n + 1));
                let p = input.persistent().await?;
                p.insert("greeted".into(), json!(true));
                Ok(ResponseBuilder::new()
                    .speak(input.strings.get("HI"))
                    .reprompt("More?")
                    .build())
            })
        }
    }

    struct Broken;
    impl Handler<Ctx> for Broken {
        fn can_handle(&self, input: &Input<'_>) -> bool {
            input.is_intent("BrokenIntent") || matches!(input.request(), Request::SessionEnded(_))
        }
        fn handle<'a, 'b: 'a>(
            &'a self,
            _: &'a mut Input<'b>,
            _: &'a Ctx,
        ) -> BoxFuture<'a, Result<ResponseEnvelope, SkillError>> {
            Box::pin(async { Err(SkillError::failed("pipeline lookup", "boom")) })
        }
    }

    struct Huge;
    impl Handler<Ctx> for Huge {
        fn can_handle(&self, input: &Input<'_>) -> bool {
            input.is_intent("HugeIntent")
        }
        fn handle<'a, 'b: 'a>(
            &'a self,
            _: &'a mut Input<'b>,
            _: &'a Ctx,
        ) -> BoxFuture<'a, Result<ResponseEnvelope, SkillError>> {
            Box::pin(async { Ok(ResponseBuilder::new().speak("x".repeat(9000)).build()) })
        }
    }

    /// Stored attributes, loads, saves.
    type Stored = (Map<String, Value>, usize, usize);

    #[derive(Default, Clone)]
    struct Memory(Arc<Mutex<Stored>>);
    impl PersistenceAdapter for Memory {
        fn load<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Map<String, Value>, SkillError>> {
            Box::pin(async move {
                let mut g = self.0.lock().unwrap();
                g.1 += 1;
                Ok(g.0.clone())
            })
        }
        fn save<'a>(
            &'a self,
            _: &'a str,
            a: &'a Map<String, Value>,
        ) -> BoxFuture<'a, Result<(), SkillError>> {
            Box::pin(async move {
                let mut g = self.0.lock().unwrap();
                g.0 = a.clone();
                g.2 += 1;
                Ok(())
            })
        }
    }

    struct Tag;
    impl ResponseInterceptor<Ctx> for Tag {
        fn process<'a, 'b: 'a>(
            &'a self,
            input: &'a mut Input<'b>,
            _: &'a mut ResponseEnvelope,
            _: &'a Ctx,
        ) -> BoxFuture<'a, Result<(), SkillError>> {
            Box::pin(async move {
                input
                    .session_attributes
                    .insert("seen_by_interceptor".into(), json!(true));
                Ok(())
            })
        }
    }

    fn skill(ids: &str, mem: Memory) -> Skill<Ctx> {
        Skill::new(catalog(), SkillIds::parse(Some(ids)))
            .handler(Hello)
            .handler(Broken)
            .handler(Huge)
            .response_interceptor(Tag)
            .persistence(mem)
    }

    #[tokio::test]
    async fn routes_localises_keeps_session_and_saves_persistent_attributes() {
        let mem = Memory::default();
        let s = skill("amzn1.ask.skill.1", mem.clone());
        let r = s
            .dispatch(
                &envelope("amzn1.ask.skill.1", intent("HelloIntent", "de-DE")),
                &Ctx,
            )
            .await
            .unwrap();
        assert_eq!(r.speech(), Some("Hallo"));
        assert_eq!(r.session_attributes["count"], json!(2));
        assert_eq!(r.session_attributes["seen_by_interceptor"], json!(true));
        let g = mem.0.lock().unwrap();
        assert_eq!(
            (g.0.get("greeted"), g.1, g.2),
            (Some(&json!(true)), 1, 1),
            "loaded once, saved once"
        );
    }

    #[tokio::test]
    async fn persistent_attributes_are_neither_read_nor_written_when_unused() {
        let mem = Memory::default();
        let s = skill("", mem.clone());
        s.dispatch(&envelope("any", intent("BrokenIntent", "en-US")), &Ctx)
            .await
            .unwrap();
        let g = mem.0.lock().unwrap();
        assert_eq!((g.1, g.2), (0, 0));
    }

    #[tokio::test]
    async fn requests_for_other_skills_are_refused() {
        let s = skill("amzn1.ask.skill.1, amzn1.ask.skill.2", Memory::default());
        let err = s
            .dispatch(
                &envelope("amzn1.ask.skill.9", intent("HelloIntent", "en-US")),
                &Ctx,
            )
            .await
            .unwrap_err();
        assert_eq!(err, Refused(Some("amzn1.ask.skill.9".into())));
        assert!(
            s.dispatch(
                &envelope("amzn1.ask.skill.2", intent("HelloIntent", "en-US")),
                &Ctx
            )
            .await
            .is_ok()
        );
    }

    #[tokio::test]
    async fn empty_skill_ids_allow_every_skill() {
        assert!(SkillIds::parse(Some(" , ")).is_open());
        let s = skill("", Memory::default());
        assert!(
            s.dispatch(&envelope("whatever", intent("HelloIntent", "en-US")), &Ctx)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn failures_and_unhandled_requests_become_a_spoken_apology_in_the_locale() {
        let s = skill("", Memory::default());
        let r = s
            .dispatch(&envelope("a", intent("BrokenIntent", "de-DE")), &Ctx)
            .await
            .unwrap();
        assert_eq!(r.speech(), Some("Entschuldigung, das ging schief."));
        assert_eq!(r.reprompt_text(), Some("Nochmal?"));
        let r = s
            .dispatch(&envelope("a", intent("NobodyHandlesThis", "en-US")), &Ctx)
            .await
            .unwrap();
        assert_eq!(r.speech(), Some("Sorry, that went wrong."));
        let other = json!({"type": "Connections.Response", "requestId": "r", "locale": "en-US"});
        assert!(
            s.dispatch(&envelope("a", other), &Ctx)
                .await
                .unwrap()
                .speech()
                .is_some()
        );
    }

    #[tokio::test]
    async fn replies_over_the_limits_are_replaced_by_an_apology() {
        let s = skill("", Memory::default());
        let r = s
            .dispatch(&envelope("a", intent("HugeIntent", "en-US")), &Ctx)
            .await
            .unwrap();
        assert_eq!(r.speech(), Some("Sorry, that went wrong."));
    }

    #[tokio::test]
    async fn an_apology_that_breaks_the_limits_falls_back_to_the_last_resort() {
        let s = skill("", Memory::default()).limits(Limits {
            speech_chars: 5,
            card_chars: 5,
            response_bytes: 1000,
        });
        let r = s
            .dispatch(&envelope("a", intent("BrokenIntent", "en-US")), &Ctx)
            .await
            .unwrap();
        assert_eq!(r.speech(), Some(LAST_RESORT));
    }

    #[tokio::test]
    async fn a_failing_session_end_still_gets_an_empty_reply() {
        let s = skill("", Memory::default());
        let ended = json!({"type": "SessionEndedRequest", "requestId": "r", "locale": "en-US", "reason": "USER_INITIATED"});
        let r = s.dispatch(&envelope("a", ended), &Ctx).await.unwrap();
        assert_eq!(r.speech(), None);
    }
}
