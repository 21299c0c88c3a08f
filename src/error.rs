//! Every way a request can be turned away, with a stable code and an HTTP status.
//!
//! The code is a contract: providers' support teams, merchants' alerting and the browser
//! tester all key on it, so variants may be added but codes never change meaning. Messages
//! say what was wrong with the input, never the expected value or a secret.

use serde::Serialize;

/// A rejection of an incoming request. `Display` is the human message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// No route is configured for this path.
    #[error("no webhook route is configured for this path")]
    UnknownRoute,
    /// The route exists but does not take this method.
    #[error("method {0} is not allowed on this route (use {1})")]
    MethodNotAllowed(String, &'static str),
    /// A header the scheme needs is absent.
    #[error("missing required header {0}")]
    MissingHeader(&'static str),
    /// A form field carrying the signature or its key selector is absent (Lyra's `signature`,
    /// `kr-hash`). Same code as a missing header: the authentication material is missing,
    /// only it travels in the body.
    #[error("missing required form field {0}")]
    MissingField(&'static str),
    /// A header is present more than once where exactly one is allowed.
    #[error("header {0} must appear exactly once")]
    DuplicateHeader(&'static str),
    /// A header is present but cannot be parsed.
    #[error("header {0} is malformed: {1}")]
    MalformedHeader(&'static str, &'static str),
    /// A signature header is present but not in the scheme's encoding (a bad signature,
    /// reported apart so a sender sees it is a formatting problem, not a wrong secret).
    #[error("signature in {0} is malformed: {1}")]
    MalformedSignature(&'static str, &'static str),
    /// A signature (or key id) is present but no configured secret matches.
    #[error("signature does not match any configured secret")]
    SignatureMismatch,
    /// The key id named by the sender is not configured.
    #[error("key id is not configured on this route")]
    UnknownKeyId,
    /// The signed timestamp is outside the route's tolerance.
    #[error("timestamp is outside the allowed tolerance of {0} s")]
    StaleTimestamp(u64),
    /// The payload could not be decrypted with any configured key.
    #[error("payload could not be decrypted with any configured key (wrong key, IV, tag or body)")]
    DecryptionFailed,
    /// The body is not what the scheme expects (JSON, form, base64...).
    #[error("body is malformed: {0}")]
    MalformedBody(String),
    /// The payload is authentic but describes something we refuse (e.g. API version).
    #[error("payload is not supported: {0}")]
    UnsupportedPayload(String),
    /// A form field whose name a common web framework would read as a signed field's (a
    /// repeated signed name, ` kr-answer`, `vads.trans_status`, `vads_amount[]`): the origin
    /// could act on a copy the signature does not cover.
    #[error("form field {0} collides with a signed field under common framework name rules (PHP, Rails/Rack, Java servlet, Python): the origin could read an unsigned copy")]
    AmbiguousField(String),
    /// An authentic test-mode event on a route configured to take live events only.
    #[error("test-mode event refused: this route accepts live events only")]
    TestEventRefused,
    /// The body exceeds the route's size limit.
    #[error("body exceeds the limit of {0} bytes")]
    BodyTooLarge(usize),
    /// The content type is not one the scheme accepts.
    #[error("content type must be {0}")]
    UnsupportedMediaType(&'static str),
    /// The request's headers exceed the count or size limit.
    #[error("request headers exceed the limit ({0})")]
    HeadersTooLarge(&'static str),
    /// The gateway's configuration is broken; nothing is accepted until it is fixed.
    #[error("gateway configuration is invalid: {0}")]
    ConfigInvalid(String),
    /// The durable queue refused the event; the provider should retry.
    #[error("the event queue is unavailable; retry later")]
    QueueUnavailable,
    /// Admin API: missing or wrong bearer token.
    #[error("missing or invalid admin token")]
    Unauthorized,
    /// Admin API: no such item.
    #[error("not found")]
    NotFound,
    /// Admin API: a query parameter is unknown or malformed.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// Admin API: the event log (D1) is bound but could not be read; nothing is lost (the
    /// queue is the truth), the operator should look at the worker's log.
    #[error("the event log is unavailable; retry later")]
    LogUnavailable,
    /// Admin API: the deployment has no event log (no D1 binding). A 404, not a 500: the
    /// worker is configured as intended, the operator asked for a feature it does not run.
    #[error("the event log is off: bind a D1 database as EDGEHOOK_DB (README, \"Event log\")")]
    LogOff,
}

impl Rejection {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownRoute => "unknown_route",
            Self::MethodNotAllowed(..) => "method_not_allowed",
            Self::MissingHeader(_) | Self::MissingField(_) => "missing_header",
            Self::DuplicateHeader(_) => "duplicate_header",
            Self::MalformedHeader(..) => "malformed_header",
            Self::MalformedSignature(..) => "malformed_signature",
            Self::SignatureMismatch => "signature_mismatch",
            Self::UnknownKeyId => "unknown_key_id",
            Self::StaleTimestamp(_) => "stale_timestamp",
            Self::DecryptionFailed => "decryption_failed",
            Self::MalformedBody(_) => "malformed_body",
            Self::UnsupportedPayload(_) => "unsupported_payload",
            Self::AmbiguousField(_) => "ambiguous_form_field",
            Self::TestEventRefused => "test_event_refused",
            Self::BodyTooLarge(_) => "body_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::HeadersTooLarge(_) => "headers_too_large",
            Self::ConfigInvalid(_) => "config_invalid",
            Self::QueueUnavailable => "queue_unavailable",
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not_found",
            Self::InvalidQuery(_) => "invalid_query",
            Self::LogUnavailable => "eventlog_unavailable",
            Self::LogOff => "eventlog_off",
        }
    }

    /// The HTTP status. 4xx tells providers not to retry a hopeless request (Everifin
    /// stops on 4xx); 5xx only where a retry can succeed or the operator must act.
    pub fn status(&self) -> u16 {
        match self {
            Self::UnknownRoute | Self::NotFound => 404,
            Self::MethodNotAllowed(..) => 405,
            Self::MissingHeader(_)
            | Self::MissingField(_)
            | Self::SignatureMismatch
            | Self::MalformedSignature(..)
            | Self::UnknownKeyId
            | Self::DecryptionFailed
            | Self::Unauthorized => 401,
            Self::DuplicateHeader(_)
            | Self::MalformedHeader(..)
            | Self::MalformedBody(_)
            | Self::UnsupportedPayload(_)
            | Self::AmbiguousField(_)
            | Self::InvalidQuery(_) => 400,
            Self::TestEventRefused => 403,
            Self::LogOff => 404,
            Self::StaleTimestamp(_) => 408,
            Self::BodyTooLarge(_) => 413,
            Self::UnsupportedMediaType(_) => 415,
            Self::HeadersTooLarge(_) => 431,
            Self::ConfigInvalid(_) => 500,
            Self::QueueUnavailable | Self::LogUnavailable => 503,
        }
    }

    /// The JSON error body `{"error":{"code","message"}}`.
    pub fn body(&self) -> String {
        #[derive(Serialize)]
        struct Inner<'a> {
            code: &'a str,
            message: String,
        }
        #[derive(Serialize)]
        struct Outer<'a> {
            error: Inner<'a>,
        }
        serde_json::to_string(&Outer {
            error: Inner {
                code: self.code(),
                message: self.to_string(),
            },
        })
        .unwrap_or_else(|_| String::from(r#"{"error":{"code":"internal","message":"internal"}}"#))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_stable_json() {
        let body = Rejection::SignatureMismatch.body();
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["error"]["code"], "signature_mismatch");
        assert_eq!(Rejection::SignatureMismatch.status(), 401);
        assert_eq!(Rejection::StaleTimestamp(300).status(), 408);
        assert_eq!(Rejection::BodyTooLarge(10).status(), 413);
    }
}
