//! One module per provider, all of the same shape, and the registry that names them.
//!
//! Each module says: what it reads (headers, body form), what it checks (builds a
//! [`MacCheck`] or [`DecryptCheck`]; the computation happens elsewhere), what it
//! acknowledges, and how the payload maps to the normalized event.

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::Draft;
use crate::request::Request;
use crate::verify::{CryptoBackend, DecryptCheck, MacCheck};

pub mod convention;
pub mod everifin;
pub mod fedapay;
pub mod form;
pub mod generic_hmac;
pub mod lyra_form;
pub mod lyra_rest;
pub mod lyra_statuses;
pub mod sibs;
pub mod stamped;
pub mod standard_webhooks;
pub mod stripe;
pub mod tables;
pub mod worldline;

/// A response the gateway sends now (handshake, ack or rejection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Content type of `body`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: u16, body: String) -> Self {
        Self {
            status,
            content_type: "application/json",
            body,
        }
    }
    /// A plain-text reply.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
        }
    }
    /// The JSON rejection body.
    pub fn rejection(r: &Rejection) -> Self {
        Self::json(r.status(), r.body())
    }
}

/// What must be checked before the payload is trusted.
#[derive(Debug, Clone)]
pub enum Check<'a> {
    /// A signature over (part of) the request.
    Mac(MacCheck<'a>),
    /// An authenticated encryption to open; the plaintext is the payload.
    Decrypt(DecryptCheck<'a>),
}

/// The result of reading a request's authentication material.
#[derive(Debug, Clone)]
pub struct Auth<'a> {
    /// The check to run.
    pub check: Check<'a>,
    /// The signed timestamp (Unix seconds), checked against the route's tolerance only
    /// after the signature verified, so an unsigned sender learns nothing about the clock.
    pub signed_at: Option<i64>,
    /// A label for each candidate key (key id, binding index), for logs and the explainer.
    pub key_labels: Vec<String>,
    /// What was read and how it parsed, step by step, for the browser explainer
    /// (`("X-GCS-KeyId", "dummy-key-id")`, `("Signature ts", "2024-05-07T14:49:55.887Z")`).
    /// Never secrets; received signatures are fine (the sender already has them).
    pub parsed: Vec<(String, String)>,
}

/// Input to [`Provider::sign`]: what a test request should carry.
#[derive(Debug, Clone)]
pub struct SignInput<'a> {
    /// The payload: JSON body (Lyra REST: the `kr-answer`; Lyra form: the
    /// form-encoded `vads_` fields without `signature`; SIBS: the plaintext).
    pub payload: &'a [u8],
    /// Signing time (Unix seconds).
    pub now_s: i64,
    /// Random bytes for schemes that need them (SIBS IV: first 12 bytes; message ids).
    pub nonce: [u8; 12],
}

/// A request built by [`Provider::sign`]: headers and body to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// Headers, including `content-type`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// An authenticated payload accepted by the provider module.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The normalized fields.
    pub draft: Draft,
    /// The acknowledgement the provider expects, sent once the event is queued.
    pub ack: Reply,
    /// What a `raw` forward carries when it is not the whole verified payload: a form
    /// sender signs only some fields, so its raw forward is rebuilt from those alone.
    pub raw_forward: Option<Vec<u8>>,
}

/// A configured provider on one route.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// The registry name (`worldline`, `sibs`...).
    fn name(&self) -> &'static str;
    /// Media types accepted on event POSTs (parameters ignored). A missing
    /// `Content-Type` is tolerated; a different one is rejected with 415.
    fn media_types(&self) -> &'static [&'static str];
    /// The request headers this provider reads (`content-type` is read for every route).
    /// The worker's JS entry reads only these from the runtime (issue 15: iterating every
    /// header cost more than the rest of the verify), so a header left out here is a header
    /// the provider never sees on the edge; each provider's e2e test goes through the entry.
    fn headers(&self) -> Vec<&'static str>;
    /// Answers an endpoint-verification request (GET), if the provider has one.
    fn handshake(&self, _req: &Request) -> Option<Result<Reply, Rejection>> {
        None
    }
    /// Reads the signature material and prepares the check.
    fn authenticate<'a>(&'a self, req: &'a Request) -> Result<Auth<'a>, Rejection>;
    /// Parses the authenticated payload (the body, or the SIBS plaintext), validates
    /// it and maps it to the normalized event and the ack.
    fn accept(&self, payload: &[u8], req: &Request) -> Result<Accepted, Rejection>;
    /// Builds the request this provider would send for `input`, signed (or encrypted)
    /// with the route's first configured secret. Serves the browser signer, the demo and
    /// the sign-then-verify round-trip tests.
    fn sign(&self, input: &SignInput<'_>, crypto: &dyn CryptoBackend) -> Result<Signed, Rejection>;
    /// The route's replay tolerance in seconds, for schemes with signed timestamps.
    fn tolerance_s(&self) -> u64 {
        0
    }
    /// For `forward: "passthrough"`: fresh signature headers for the original request
    /// `req` (headers and body as received; `now_ms` is the attempt's time), made with the
    /// configured key `key_index`, the one that verified it. Schemes whose signature covers
    /// a timestamp the receiver holds to a tolerance re-sign, so a retry hours later still
    /// verifies in the shop's own plugin; the default `None` replays the original
    /// signature, which stays valid as the body is unchanged.
    fn resign(
        &self,
        _key_index: usize,
        _req: &Request,
        _crypto: &dyn CryptoBackend,
    ) -> Option<Vec<(String, String)>> {
        None
    }
    /// Whether this scheme can tell a test event from a live one from signed input (a
    /// signed field or a labelled key), so a route may refuse test events
    /// (`live_only`). Where it cannot, that option is a config error, not a silent no-op.
    fn tells_livemode(&self) -> bool {
        false
    }
    /// Live (`true`) or test (`false`), as told by the key that verified the request, for
    /// schemes whose test and live secrets are labelled (FedaPay's `wh_live_`/`wh_sandbox_`).
    /// Consulted only when the payload itself says nothing (`data.livemode` is `None`).
    fn key_livemode(&self, _key_index: usize) -> Option<bool> {
        None
    }
}

/// Builds a provider from its route spec and resolved secrets.
pub type Factory = fn(&RouteSpec, &Secrets) -> Result<Box<dyn Provider>, ConfigError>;

/// The registry: one line per provider.
pub const REGISTRY: &[(&str, Factory)] = &[
    ("worldline", worldline::configure),
    ("sibs", sibs::configure),
    ("lyra-rest", lyra_rest::configure),
    ("lyra-form", lyra_form::configure),
    ("standard-webhooks", standard_webhooks::configure),
    ("generic-hmac", generic_hmac::configure),
    ("everifin", everifin::configure),
    ("fedapay", fedapay::configure),
    ("stripe", stripe::configure),
];

/// The registry's names, in order: what a route's `provider` may say.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|(n, _)| *n).collect()
}

/// Looks a provider up by its config name.
pub fn factory(name: &str) -> Option<Factory> {
    REGISTRY.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Parses a JSON payload strictly (no duplicate keys, bounded depth: see [`crate::json`]),
/// with a rejection naming what is wrong.
pub fn parse_json(payload: &[u8]) -> Result<serde_json::Value, Rejection> {
    crate::json::parse(payload)
}

/// A string field at a JSON pointer, if present and a string (numbers are stringified).
pub fn str_at(v: &serde_json::Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The default JSON ack for providers that accept any 2xx.
pub fn ok_ack(event_id: &str) -> Reply {
    Reply::json(
        200,
        // Built as text: a `json!` value tree per accepted event costs more than the ack.
        format!(
            "{{\"status\":\"accepted\",\"id\":{}}}",
            serde_json::to_string(event_id).unwrap_or_else(|_| "null".into())
        ),
    )
}

#[cfg(test)]
mod tests {
    /// The registry names the providers the config tests (and, through them, the shipped
    /// JSON Schema) know.
    #[test]
    fn registry_matches_the_config_tests_and_schema() {
        let mut registry = super::names();
        let mut known = crate::config::tests::PROVIDERS.to_vec();
        registry.sort_unstable();
        known.sort_unstable();
        assert_eq!(registry, known);
    }
}
