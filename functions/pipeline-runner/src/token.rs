//! The continuation token CodePipeline hands back on each re-invocation.

use serde::{Deserialize, Serialize};

/// Extra time after the delivery and execution timeouts before a silent command counts as lost:
/// SSM reports a timed-out invocation a little after the limit passes.
pub(crate) const GRACE_SECONDS: u64 = 120;

/// The state carried between invocations. CodePipeline limits tokens to 2048 characters; this
/// encodes to about 150.
///
/// The account and role are not carried: every invocation parses UserParameters again and
/// reaches the same account through the same role. Tokens written when they were carried
/// (`acct`, `role`) still decode, because unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Format version; a token of another version is refused rather than misread.
    pub v: u8,
    /// The job that sent the command: the ledger key.
    pub job: String,
    /// The SSM command ID. `None` means another delivery of the first invocation is still
    /// sending, and the ledger holds the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<String>,
    /// When the command was sent (Unix seconds).
    pub start: u64,
    /// The command's execution timeout, seconds.
    pub exec: u64,
    /// The command's delivery timeout, seconds.
    pub dlv: u64,
    /// How many status checks came before this one.
    #[serde(default)]
    pub checks: u32,
}

/// The token could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the continuation token is not one this function wrote: {0}")]
pub struct TokenError(String);

impl Token {
    /// Current format version.
    pub const VERSION: u8 = 1;

    /// The moment after which an unfinished command fails the job (Unix seconds).
    pub(crate) fn deadline(&self) -> u64 {
        self.start + self.dlv + self.exec + GRACE_SECONDS
    }

    /// Serialises the token.
    pub fn encode(&self) -> String {
        // Serialising plain strings and integers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a token written by [`Token::encode`].
    pub fn decode(s: &str) -> Result<Self, TokenError> {
        let t: Token = serde_json::from_str(s)
            .map_err(|e| TokenError(ferrops::event::redacted_serde_error(&e)))?;
        if t.v != Self::VERSION {
            return Err(TokenError(format!(
                "version {} is not {}",
                t.v,
                Self::VERSION
            )));
        }
        Ok(t)
    }

    /// The same token, one check later.
    pub(crate) fn next(&self) -> Self {
        Self {
            checks: self.checks + 1,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Token {
        Token {
            v: 1,
            job: "11111111-abcd-1111-abcd-111111abcdef".into(),
            cmd: Some("0b2f8a1c-1234-4abc-9def-0123456789ab".into()),
            start: 1_700_000_000,
            exec: 172_800,
            dlv: 600,
            checks: 3,
        }
    }

    #[test]
    fn round_trips_and_stays_far_below_the_2048_limit() {
        let t = sample();
        let s = t.encode();
        assert!(s.len() < 400, "{}", s.len());
        assert_eq!(Token::decode(&s).unwrap(), t);
    }

    #[test]
    fn tokens_that_still_carry_the_account_and_role_decode() {
        let old = r#"{"v":1,"job":"11111111-abcd-1111-abcd-111111abcdef","cmd":"0b2f8a1c-1234-4abc-9def-0123456789ab","acct":"111122223333","role":"arn:aws:iam::111122223333:role/ferrops-runner","start":1700000000,"exec":172800,"dlv":600,"checks":3}"#;
        assert_eq!(Token::decode(old).unwrap(), sample());
    }

    #[test]
    fn foreign_tokens_are_refused() {
        assert!(Token::decode("A continuation token if continuing job").is_err());
        let mut t = sample();
        t.v = 9;
        assert!(Token::decode(&t.encode()).is_err());
    }

    #[test]
    fn deadline_is_delivery_plus_execution_plus_grace() {
        let t = Token {
            exec: 100,
            dlv: 30,
            start: 1000,
            ..sample()
        };
        assert_eq!(t.deadline(), 1000 + 130 + GRACE_SECONDS);
    }
}
