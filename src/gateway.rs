//! The pipeline: route → handshake → verify → decrypt → normalize → decision.
//!
//! Pure: a plain request and the configured routes in, a decision out. The platform
//! adapter enqueues the delivery and only then sends the ack.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::config::{self, ConfigError, ForwardMode, Lookup, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::Event;
use crate::providers::{self, Auth, Check, Provider, Reply};
use crate::request::Request;
use crate::verify::{self, CryptoBackend};

/// Header count limit: real providers send a few dozen at most.
pub const MAX_HEADERS: usize = 100;
/// Total header bytes limit (names + values).
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// A configured route, its provider and its forwarding settings.
#[derive(Debug)]
pub struct Route {
    /// The route as configured.
    pub spec: RouteSpec,
    /// The provider module, holding its secrets.
    pub provider: Box<dyn Provider>,
    /// Decoded `whsec_` key that signs forwards to the origin.
    pub origin_key: Option<OriginKey>,
}

/// The origin signing key; redacted in `Debug`.
#[derive(Clone)]
pub struct OriginKey(pub Vec<u8>);

impl std::fmt::Debug for OriginKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OriginKey([redacted])")
    }
}

impl Route {
    /// The body size limit in bytes.
    pub fn max_body(&self) -> usize {
        self.spec.max_body_bytes.unwrap_or(config::DEFAULT_MAX_BODY)
    }
}

/// All routes, indexed by path.
#[derive(Debug)]
pub struct Gateway {
    routes: Vec<Route>,
    index: HashMap<String, usize>,
}

/// An accepted event on its way to the origin: what the queue carries. Holds no secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Delivery {
    /// The route path it arrived on (to find the signing key at forward time).
    pub route: String,
    /// The event id: the idempotency key (`webhook-id`).
    pub id: String,
    /// Provider name.
    pub provider: String,
    /// Where to forward; a leading `/` means a path on the gateway's own host.
    pub origin: String,
    /// Forward mode.
    pub forward: ForwardMode,
    /// The CloudEvent JSON.
    pub event: EventJson,
    /// The verified (decrypted) payload, UTF-8 or base64 per `payload_base64`.
    pub payload: String,
    /// Whether `payload` is base64 (non-UTF-8 bodies).
    #[serde(default)]
    pub payload_base64: bool,
    /// The payload's content type.
    pub payload_type: String,
    /// When the gateway accepted it (Unix ms).
    pub accepted_at_ms: i64,
    /// Origin request timeout.
    pub timeout_ms: u64,
    /// Attempts before dead-lettering.
    pub max_retries: u32,
    /// First retry delay (seconds).
    #[serde(default = "default_retry_base")]
    pub retry_base_s: u32,
    /// Retry delay cap (seconds).
    #[serde(default = "default_retry_max")]
    pub retry_max_s: u32,
    /// Delivery attempts made so far.
    #[serde(default)]
    pub attempt: u32,
    /// `event` and `payload` are kept in the KV store (too large for a queue message).
    #[serde(default)]
    pub spilled: bool,
    /// The delay (seconds) before each retry; empty for the exponential schedule of
    /// `max_retries`, `retry_base_s` and `retry_max_s` (and in an older build's messages).
    #[serde(default)]
    pub schedule: Vec<u32>,
    /// Whether the route signed its forwards when the event was accepted; `None` in an
    /// older build's messages (the route at delivery time then decides). A forward that
    /// should be signed is never sent unsigned.
    #[serde(default)]
    pub signed: Option<bool>,
    /// How many times an operator replayed this event from the dead-letter store: a
    /// replayed chain that dies again is stored under a new key, so the replay's delete of
    /// the letter it read cannot remove the fresh one.
    #[serde(default)]
    pub replays: u32,
    /// Set once the delivery is given up: the reason, while the dead-letter store has not
    /// yet taken it (every consumer then only retries the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_reason: Option<String>,
    /// Failed writes to the dead-letter store so far (their backoff).
    #[serde(default)]
    pub store_attempts: u32,
    /// Times a spilled body was not yet readable (KV is eventually consistent).
    #[serde(default)]
    pub body_waits: u32,
    /// Passthrough: the provider's headers as received, less hop-by-hop and platform ones
    /// (`forward::passthrough_headers`); `payload` is then the body as received.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_headers: Vec<(String, String)>,
    /// Which configured key verified the request (an index, never the key): passthrough
    /// re-signs timestamped schemes with it.
    #[serde(default)]
    pub key_index: usize,
}

/// The CloudEvent's JSON text. A message embeds it as JSON, verbatim: as a string holding
/// JSON (what older builds wrote, and still read) every quote of the payload in `data.raw`
/// was escaped once more, a 1 MiB body cost a second pass and the message grew past the
/// queue's limit sooner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventJson(String);

impl EventJson {
    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Drops the text (a message whose event is kept in the KV store).
    pub fn clear(&mut self) {
        self.0.clear();
    }
    /// The JSON text's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0.into_bytes()
    }
}

impl std::ops::Deref for EventJson {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for EventJson {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for EventJson {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl Serialize for EventJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The text is this build's own serialization, JSON by construction; a cleared one
        // (or anything else) goes as a string, as before.
        match serde_json::from_str::<&RawValue>(&self.0) {
            Ok(raw) if !self.0.is_empty() => raw.serialize(s),
            _ => s.serialize_str(&self.0),
        }
    }
}

impl<'de> Deserialize<'de> for EventJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        if raw.get().starts_with('"') {
            // An older build's message: the event JSON as a string.
            serde_json::from_str::<String>(raw.get())
                .map(Self)
                .map_err(serde::de::Error::custom)
        } else {
            Ok(Self(String::from(Box::<str>::from(raw))))
        }
    }
}

fn default_retry_base() -> u32 {
    config::DEFAULT_RETRY_BASE_S
}

fn default_retry_max() -> u32 {
    config::DEFAULT_RETRY_MAX_S
}

impl Delivery {
    /// The payload bytes.
    pub fn payload_bytes(&self) -> Vec<u8> {
        if self.payload_base64 {
            STANDARD.decode(&self.payload).unwrap_or_default()
        } else {
            self.payload.as_bytes().to_vec()
        }
    }
}

/// What to do with a request.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Answer the provider's endpoint verification.
    Handshake(Reply),
    /// Enqueue `delivery`, then send `ack`.
    Accept {
        /// The provider's expected acknowledgement.
        ack: Reply,
        /// The event to enqueue.
        delivery: Box<Delivery>,
        /// Label of the key that matched (key id or position), for the log.
        key: String,
    },
    /// Turn the request away.
    Reject(Rejection),
}

impl Decision {
    /// The response to send (for `Accept`, once the event is queued).
    pub fn reply(&self) -> Reply {
        match self {
            Self::Handshake(r) => r.clone(),
            Self::Accept { ack, .. } => ack.clone(),
            Self::Reject(r) => Reply::rejection(r),
        }
    }

    /// Stable outcome code for the log line.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Handshake(_) => "handshake",
            Self::Accept { .. } => "accepted",
            Self::Reject(r) => r.code(),
        }
    }
}

impl Gateway {
    /// Parses `EDGEHOOK_ROUTES` and resolves every secret binding through `lookup`.
    pub fn from_config(routes_json: &str, lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let specs = config::parse_routes(routes_json, &providers::names())?;
        let mut routes = Vec::with_capacity(specs.len());
        let mut index = HashMap::with_capacity(specs.len());
        for (i, spec) in specs.into_iter().enumerate() {
            let secrets = Secrets::new(i, lookup);
            let factory = providers::factory(&spec.provider).ok_or_else(|| {
                ConfigError::new(format!("routes[{i}].provider"), "unknown provider")
            })?;
            let provider = factory(&spec, &secrets)?;
            if spec.live_only && !provider.tells_livemode() {
                return Err(ConfigError::new(
                    format!("routes[{i}].live_only"),
                    format!(
                        "{} events carry nothing signed that tells test from live, so test events cannot be refused on this route",
                        provider.name()
                    ),
                ));
            }
            let origin_key = match &spec.origin_secret {
                None => None,
                Some(name) => {
                    let lines =
                        secrets.resolve("origin_secret", std::slice::from_ref(name), true)?;
                    let key = lines.first().and_then(|l| decode_whsec(l)).ok_or_else(|| {
                        ConfigError::new(
                            secrets.at("origin_secret"),
                            format!(
                                "{} must be whsec_ followed by base64",
                                config::binding_label(name)
                            ),
                        )
                    })?;
                    Some(OriginKey(key))
                }
            };
            index.insert(spec.path.clone(), i);
            routes.push(Route {
                spec,
                provider,
                origin_key,
            });
        }
        Ok(Self { routes, index })
    }

    /// The route for a path (a trailing slash is tolerated).
    pub fn route(&self, path: &str) -> Option<&Route> {
        let p = if path.len() > 1 {
            path.strip_suffix('/').unwrap_or(path)
        } else {
            path
        };
        self.index.get(p).and_then(|&i| self.routes.get(i))
    }

    /// All routes.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Runs the pipeline on one request: [`Gateway::begin`], the check computed by `crypto`,
    /// then [`Pending::finish`].
    pub fn handle(&self, req: &Request, crypto: &dyn CryptoBackend) -> Decision {
        match self.begin(req) {
            Ok(pending) => {
                let outcome = pending.verify(crypto);
                pending.finish(outcome)
            }
            Err(d) => d,
        }
    }

    /// The first half of the pipeline, up to the check: route, method, limits, media type,
    /// and the provider's reading of the signature material. No crypto runs here, so an
    /// adapter may compute the check with an asynchronous backend (the Workers runtime's
    /// WebCrypto) before [`Pending::finish`]. `Err` is the final decision (handshake or
    /// rejection).
    pub fn begin<'a>(&'a self, req: &'a Request) -> Result<Pending<'a>, Decision> {
        self.try_begin(req).map_err(|e| match e {
            Early::Handshake(r) => Decision::Handshake(r),
            Early::Reject(r) => Decision::Reject(r),
        })
    }

    fn try_begin<'a>(&'a self, req: &'a Request) -> Result<Pending<'a>, Early> {
        let route = self.route(&req.path).ok_or(Rejection::UnknownRoute)?;
        check_header_limits(req)?;
        let provider = route.provider.as_ref();
        match req.method.as_str() {
            "POST" => {}
            "GET" | "HEAD" => {
                return match provider.handshake(req) {
                    Some(Ok(r)) => Err(Early::Handshake(r)),
                    Some(Err(r)) => Err(r.into()),
                    None => Err(Rejection::MethodNotAllowed(req.method.clone(), "POST").into()),
                };
            }
            _ => {
                let allow = if provider.handshake(req).is_some() {
                    "GET, POST"
                } else {
                    "POST"
                };
                return Err(Rejection::MethodNotAllowed(req.method.clone(), allow).into());
            }
        }
        if req.body.len() > route.max_body() {
            return Err(Rejection::BodyTooLarge(route.max_body()).into());
        }
        let media = req.media_type();
        let accepted_types = provider.media_types();
        if !media.is_empty() && !accepted_types.contains(&media.as_str()) {
            return Err(Rejection::UnsupportedMediaType(
                accepted_types
                    .first()
                    .copied()
                    .unwrap_or("application/json"),
            )
            .into());
        }
        let auth = provider.authenticate(req)?;
        Ok(Pending { route, req, auth })
    }
}

/// Why [`Gateway::begin`] stopped before a check.
enum Early {
    Handshake(Reply),
    Reject(Rejection),
}

impl From<Rejection> for Early {
    fn from(r: Rejection) -> Self {
        Self::Reject(r)
    }
}

/// A request authenticated up to its check: what [`Gateway::begin`] hands the adapter.
#[derive(Debug)]
pub struct Pending<'a> {
    route: &'a Route,
    req: &'a Request,
    auth: Auth<'a>,
}

/// A check that passed: which key, and the plaintext for decrypting schemes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Index of the candidate key that matched.
    pub key_index: usize,
    /// The decrypted payload (SIBS); `None` for signed schemes, whose payload is the body.
    pub plaintext: Option<Vec<u8>>,
}

impl<'a> Pending<'a> {
    /// What must be computed: a MAC over the content, or a decryption.
    pub fn check(&self) -> &Check<'a> {
        &self.auth.check
    }

    /// The route the request arrived on.
    pub fn route(&self) -> &'a Route {
        self.route
    }

    /// Runs the check with a synchronous backend (constant-time comparison included).
    pub fn verify(&self, crypto: &dyn CryptoBackend) -> Result<Verified, Rejection> {
        match &self.auth.check {
            Check::Mac(mac) => mac.verify(crypto).map(|key_index| Verified {
                key_index,
                plaintext: None,
            }),
            Check::Decrypt(d) => d.decrypt(crypto).map(|(key_index, p)| Verified {
                key_index,
                plaintext: Some(p),
            }),
        }
    }

    /// The second half of the pipeline, given the check's outcome: timestamp tolerance
    /// (only once the signature verified), the provider's mapping, the delivery.
    pub fn finish(self, outcome: Result<Verified, Rejection>) -> Decision {
        match outcome.and_then(|v| self.try_finish(v)) {
            Ok(d) => d,
            Err(r) => Decision::Reject(r),
        }
    }

    fn try_finish(self, verified: Verified) -> Result<Decision, Rejection> {
        let Pending { route, req, auth } = self;
        let provider = route.provider.as_ref();
        if let Some(ts) = auth.signed_at {
            verify::check_tolerance(ts, req.now_s(), provider.tolerance_s())?;
        }
        let key_index = verified.key_index;
        let key = auth
            .key_labels
            .get(key_index)
            .cloned()
            .unwrap_or_else(|| key_index.to_string());
        let plaintext = verified.plaintext;
        let payload: &[u8] = plaintext.as_deref().unwrap_or(&req.body);
        let passthrough = route.spec.forward == ForwardMode::Passthrough;
        let mut accepted = provider.accept(payload, req)?;
        let data = &mut accepted.draft.data;
        if data.livemode.is_none() {
            data.livemode = provider.key_livemode(key_index);
        }
        if route.spec.live_only && data.livemode != Some(true) {
            return Err(Rejection::TestEventRefused);
        }
        // Passthrough replays the request as received (SIBS: still encrypted; a form
        // sender's unsigned fields as sent, once the smuggling refusals let it through);
        // a raw forward carries the verified payload only.
        let forwarded: &[u8] = if passthrough {
            &req.body
        } else {
            accepted.raw_forward.as_deref().unwrap_or(payload)
        };
        let draft_id = accepted.draft.id.clone();
        let event = Event::from_draft(
            accepted.draft,
            provider.name(),
            &route.spec.path,
            payload,
            req.now_ms,
        );
        // An id made deliverable (encoded or hashed) is the event's id from here on; the
        // default JSON ack names it too. A provider's own ack (SIBS's notificationID) keeps
        // the provider's value: that is what the provider checks.
        let mut ack = accepted.ack;
        if let Some(raw_id) = draft_id.filter(|d| *d != event.id) {
            if ack == providers::ok_ack(&raw_id) {
                ack = providers::ok_ack(&event.id);
            }
        }
        // Sized for the payload it embeds verbatim (`data.raw`), so a large one is copied once.
        let mut event_json = Vec::with_capacity(event.data.raw.get().len() + 1024);
        serde_json::to_writer(&mut event_json, &event)
            .map_err(|e| Rejection::MalformedBody(format!("cannot serialize event: {e}")))?;
        let event_json = String::from_utf8(event_json)
            .map_err(|e| Rejection::MalformedBody(format!("cannot serialize event: {e}")))?;
        let (payload_text, payload_base64) = match std::str::from_utf8(forwarded) {
            Ok(s) => (s.to_owned(), false),
            Err(_) => (STANDARD.encode(forwarded), true),
        };
        let payload_type = if plaintext.is_some() && !passthrough {
            "application/json".to_owned()
        } else {
            req.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| "application/octet-stream".into())
        };
        let schedule = route.spec.schedule();
        let max_retries = if schedule.is_empty() {
            route
                .spec
                .max_retries
                .unwrap_or(config::DEFAULT_MAX_RETRIES)
        } else {
            u32::try_from(schedule.len() + 1).unwrap_or(u32::MAX)
        };
        let delivery = Delivery {
            route: route.spec.path.clone(),
            id: event.id,
            provider: provider.name().to_owned(),
            origin: route.spec.origin.clone(),
            forward: route.spec.forward,
            event: event_json.into(),
            payload: payload_text,
            payload_base64,
            payload_type,
            accepted_at_ms: req.now_ms,
            timeout_ms: route.spec.timeout_ms.unwrap_or(config::DEFAULT_TIMEOUT_MS),
            max_retries,
            retry_base_s: route
                .spec
                .retry_base_s
                .unwrap_or(config::DEFAULT_RETRY_BASE_S),
            retry_max_s: route
                .spec
                .retry_max_s
                .unwrap_or(config::DEFAULT_RETRY_MAX_S),
            attempt: 0,
            spilled: false,
            schedule,
            signed: Some(route.origin_key.is_some()),
            replays: 0,
            dead_reason: None,
            store_attempts: 0,
            body_waits: 0,
            request_headers: if passthrough {
                crate::forward::passthrough_headers(&req.headers)
            } else {
                Vec::new()
            },
            key_index,
        };
        Ok(Decision::Accept {
            ack,
            delivery: Box::new(delivery),
            key,
        })
    }
}

fn check_header_limits(req: &Request) -> Result<(), Rejection> {
    if req.headers.len() > MAX_HEADERS {
        return Err(Rejection::HeadersTooLarge("too many headers"));
    }
    let total: usize = req.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > MAX_HEADER_BYTES {
        return Err(Rejection::HeadersTooLarge("headers too large"));
    }
    Ok(())
}

/// Decodes a Standard Webhooks `whsec_<base64>` secret to its key bytes.
pub fn decode_whsec(s: &str) -> Option<Vec<u8>> {
    let b64 = s.trim().strip_prefix("whsec_")?;
    verify::decode_b64(b64).filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(event: &str) -> String {
        let d = Delivery {
            route: "/h".into(),
            id: "evt_1".into(),
            provider: "stripe".into(),
            origin: "https://origin.example/in".into(),
            forward: ForwardMode::Cloudevents,
            event: event.into(),
            payload: String::new(),
            payload_base64: false,
            payload_type: "application/json".into(),
            accepted_at_ms: 1,
            timeout_ms: 2,
            max_retries: 3,
            retry_base_s: 4,
            retry_max_s: 5,
            attempt: 0,
            spilled: false,
            schedule: vec![],
            signed: Some(true),
            replays: 0,
            dead_reason: None,
            store_attempts: 0,
            body_waits: 0,
            request_headers: vec![],
            key_index: 0,
        };
        let text = serde_json::to_string(&d).expect("serializes");
        let back: Delivery = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back, d, "{text}");
        text
    }

    #[test]
    fn the_event_travels_as_json_not_as_a_string_of_json() {
        let event = r#"{"id":"evt_1","data":{"raw":{"a":"q\"uote","b":[1,2]}}}"#;
        let text = message(event);
        assert!(text.contains(&format!(r#""event":{event},"#)), "{text}");
        // A message whose event is kept in KV carries an empty string, as before.
        assert!(message("").contains(r#""event":"","#));
    }

    #[test]
    fn an_older_message_with_the_event_as_a_string_still_reads() {
        let event = r#"{"id":"evt_1","data":{"raw":{"a":"q\"uote"}}}"#;
        let new = message(event);
        let old = new.replace(
            &format!(r#""event":{event},"#),
            &format!(
                r#""event":{},"#,
                serde_json::to_string(event).expect("string")
            ),
        );
        assert_ne!(old, new);
        let d: Delivery = serde_json::from_str(&old).expect("reads");
        assert_eq!(d.event.as_str(), event);
        assert_eq!(serde_json::to_string(&d).expect("serializes"), new);
    }
}
