//! Builds the request to the merchant's origin: CloudEvents, raw or form, signed with
//! Standard Webhooks headers so any Standard Webhooks library can verify it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use sha2::{Digest, Sha256};

use crate::config::{self, ForwardMode};
use crate::gateway::Delivery;
use crate::verify::{Algorithm, CryptoBackend};

/// An HTTP request to send to the origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginRequest {
    /// Absolute URL.
    pub url: String,
    /// Headers to set.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Builds the origin request for `delivery`. `base` resolves a relative origin;
/// `key` is the decoded `whsec_` origin key; `now_s` is the signing time (each attempt is
/// signed afresh so the origin's tolerance window applies to the attempt, not the event).
pub fn build(
    delivery: &Delivery,
    base: Option<&str>,
    key: Option<&[u8]>,
    now_s: i64,
    crypto: &dyn CryptoBackend,
) -> OriginRequest {
    let url = resolve(&delivery.origin, base);
    let (body, content_type) = match delivery.forward {
        ForwardMode::Cloudevents => (
            delivery.event.as_bytes().to_vec(),
            "application/cloudevents+json".to_owned(),
        ),
        ForwardMode::Raw => (delivery.payload_bytes(), delivery.payload_type.clone()),
        ForwardMode::Form => (
            form_body(&delivery.event).into_bytes(),
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ForwardMode::Passthrough => (delivery.payload_bytes(), delivery.payload_type.clone()),
    };
    let mut headers = Vec::new();
    if delivery.forward == ForwardMode::Passthrough {
        headers.extend(delivery.request_headers.iter().cloned());
    }
    // Never over a provider header: where the provider's own headers hold a name
    // edgehook signs with (a Standard Webhooks sender's `webhook-*`), edgehook's goes
    // under `x-edgehook-<name>`.
    let mut add = |name: &str, value: String| {
        if headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name)) {
            if !name.starts_with("webhook-") {
                return; // content-type, user-agent: the provider's as received
            }
            headers.push((format!("x-edgehook-{name}"), value));
        } else {
            headers.push((name.to_owned(), value));
        }
    };
    add("content-type", content_type);
    add("user-agent", "edgehook/0.1".to_owned());
    add("x-edgehook-provider", delivery.provider.clone());
    add("x-edgehook-event-id", delivery.id.clone());
    if let Some(key) = key {
        let ts = now_s.to_string();
        let signature = sign(key, &delivery.id, &ts, &body, crypto);
        add("webhook-id", delivery.id.clone());
        add("webhook-timestamp", ts);
        add("webhook-signature", signature);
    }
    OriginRequest { url, headers, body }
}

/// Headers a passthrough forward never replays: hop-by-hop ones (RFC 9110 §7.6.1, and
/// any a `Connection` header names), those the platform adds on the way in (Cloudflare's
/// `cf-*`, `x-forwarded-*`, `cdn-loop`...), those the outgoing fetch sets itself (`host`,
/// `content-length`, `accept-encoding`), and edgehook's own `x-edgehook-*` namespace: a
/// sender's copy would pass for edgehook's.
const NOT_REPLAYED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "accept-encoding",
    "cdn-loop",
    "true-client-ip",
    "x-real-ip",
];

/// The provider's headers a passthrough forward replays, in arrival order, as received.
pub fn passthrough_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    let named: Vec<String> = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_ascii_lowercase()))
        .collect();
    headers
        .iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !NOT_REPLAYED.contains(&k.as_str())
                && !named.contains(&k)
                && !k.starts_with("cf-")
                && !k.starts_with("x-forwarded-")
                && !k.starts_with("x-edgehook-")
        })
        .cloned()
        .collect()
}

/// A passthrough delivery as the request the provider sent, at the attempt's time
/// `now_ms`: what its provider re-signs ([`crate::providers::Provider::resign`]).
pub fn passthrough_request(delivery: &Delivery, now_ms: i64) -> crate::Request {
    crate::Request {
        method: "POST".into(),
        path: delivery.route.clone(),
        headers: delivery.request_headers.clone(),
        body: delivery.payload_bytes(),
        now_ms,
    }
}

/// Replaces each header of `fresh` in `headers` (names case-insensitive), in place.
pub fn replace_headers(headers: &mut Vec<(String, String)>, fresh: Vec<(String, String)>) {
    for (name, value) in fresh {
        match headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&name))
        {
            Some(slot) => slot.1 = value,
            None => headers.push((name, value)),
        }
    }
}

/// The Standard Webhooks `v1,<base64>` signature over `id.timestamp.body`.
pub fn sign(key: &[u8], id: &str, ts: &str, body: &[u8], crypto: &dyn CryptoBackend) -> String {
    let mac = crypto.mac(
        Algorithm::HmacSha256,
        key,
        &[id.as_bytes(), b".", ts.as_bytes(), b".", body],
    );
    format!("v1,{}", STANDARD.encode(mac))
}

/// Resolves a relative origin (`/path`) against the gateway's own base URL.
pub fn resolve(origin: &str, base: Option<&str>) -> String {
    match (origin.starts_with('/'), base) {
        (true, Some(b)) => format!("{}{}", b.trim_end_matches('/'), origin),
        _ => origin.to_owned(),
    }
}

/// Flattens the CloudEvent into form fields for legacy backends (`$_POST['status']`).
pub fn form_body(event_json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(event_json).unwrap_or_default();
    let mut form = form_urlencoded::Serializer::new(String::new());
    for k in ["id", "type", "source", "time", "provider"] {
        if let Some(s) = v.get(k).and_then(|x| x.as_str()) {
            form.append_pair(k, s);
        }
    }
    if let Some(data) = v.get("data").and_then(|d| d.as_object()) {
        for k in [
            "payment_id",
            "merchant_reference",
            "status",
            "amount_minor",
            "currency",
            "method",
            "provider_event_type",
        ] {
            match data.get(k) {
                Some(serde_json::Value::String(s)) => {
                    form.append_pair(k, s);
                }
                Some(serde_json::Value::Number(n)) => {
                    form.append_pair(k, &n.to_string());
                }
                _ => {}
            }
        }
        if let Some(raw) = data.get("raw") {
            form.append_pair("raw", &raw.to_string());
        }
    }
    form.finish()
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The origin answered with this status; `retry_after_s` from its `Retry-After`.
    Status {
        /// HTTP status.
        status: u16,
        /// Parsed `Retry-After` seconds, if any.
        retry_after_s: Option<u32>,
    },
    /// No answer within the route's timeout.
    Timeout,
    /// The connection failed.
    NetworkError,
}

/// What to do after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The origin has it.
    Delivered,
    /// Try again after this many seconds.
    Retry(u32),
    /// Give up and keep it in the dead-letter store, with the reason.
    Dead(String),
}

/// Classifies an attempt (`delivery.attempt` is the number of attempts made, this one
/// included). 2xx: delivered. 4xx other than 408/429 will never succeed: dead at once.
/// 5xx, 408, 429, timeouts and network errors: retry after the delivery's schedule entry
/// (or exponential backoff for a delivery without one), jittered by `jitter` in `[0, 1)`,
/// honouring `Retry-After`, until the schedule is spent.
pub fn judge(delivery: &Delivery, attempt: Attempt, jitter: f64) -> Verdict {
    let (retryable, what, retry_after) = match attempt {
        Attempt::Status { status, .. } if (200..300).contains(&status) => {
            return Verdict::Delivered
        }
        Attempt::Status {
            status,
            retry_after_s,
        } => (
            status >= 500 || status == 408 || status == 429,
            format!("origin answered {status}"),
            retry_after_s,
        ),
        Attempt::Timeout => (
            true,
            format!("origin did not answer within {} ms", delivery.timeout_ms),
            None,
        ),
        Attempt::NetworkError => (true, "origin unreachable".to_owned(), None),
    };
    if !retryable {
        return Verdict::Dead(what);
    }
    retry_or_give_up(delivery, what, retry_after, jitter)
}

/// The verdict for an attempt that may succeed later (`what` says why this one did not):
/// the next delay of the schedule, or dead once it is spent.
pub fn retry_or_give_up(
    delivery: &Delivery,
    what: String,
    retry_after: Option<u32>,
    jitter: f64,
) -> Verdict {
    let delay = if delivery.schedule.is_empty() {
        (delivery.attempt < delivery.max_retries.max(1)).then(|| backoff(delivery, jitter))
    } else {
        let n = delivery.attempt.max(1) as usize;
        delivery
            .schedule
            .get(n - 1)
            .map(|&d| (f64::from(d) * (0.9 + 0.2 * jitter.clamp(0.0, 1.0))).round() as u32)
    };
    match delay {
        Some(d) => Verdict::Retry(
            d.max(retry_after.unwrap_or(0))
                .min(config::MAX_RETRY_DELAY_S),
        ),
        None => Verdict::Dead(format!(
            "{what}; gave up after {} attempts",
            delivery.attempt
        )),
    }
}

/// Exponential backoff: `base * 2^(attempt-1)`, capped, times a jitter factor in [0.8, 1.2).
pub fn backoff(delivery: &Delivery, jitter: f64) -> u32 {
    let exp = delivery.attempt.saturating_sub(1).min(20);
    let raw = u64::from(delivery.retry_base_s).saturating_mul(1u64 << exp);
    let capped = raw.min(u64::from(delivery.retry_max_s)) as f64;
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    (capped * factor).round() as u32
}

/// The longest wait between two tries of a store write (dead letter, spilled body read).
pub const STORE_RETRY_MAX_S: u32 = 3600;

/// The wait before the next try of a store operation that failed `failures` times: the
/// delivery's first retry delay (at least 1 s), doubling, capped at an hour. The store is
/// retried for as long as it takes: an event given up on is never dropped.
pub fn store_backoff(delivery: &Delivery, failures: u32) -> u32 {
    let base = delivery
        .schedule
        .first()
        .copied()
        .unwrap_or(delivery.retry_base_s)
        .max(1);
    base.saturating_mul(1u32 << failures.saturating_sub(1).min(20))
        .min(STORE_RETRY_MAX_S)
}

/// KV's limit on a key's length in bytes.
pub const KV_KEY_LIMIT: usize = 512;

/// The store key of `kind` (`seen`, `body`, `dead`) for event `id` on `route`:
/// `kind:route:id` with `%` and `:` escaped in both, so no two (route, id) pairs share a
/// key; when that passes KV's 512-byte limit (ids are whatever the provider sent), the
/// SHA-256 of route and id instead (`kind:#<hex>`; a route path never contains `#`).
pub fn store_key(kind: &str, route: &str, id: &str) -> String {
    fn esc(s: &str) -> String {
        s.replace('%', "%25").replace(':', "%3A")
    }
    let plain = format!("{kind}:{}:{}", esc(route), esc(id));
    // Room for the `:<n>` suffix a dead letter adds.
    if plain.len() <= KV_KEY_LIMIT - 12 {
        return plain;
    }
    let digest = Sha256::new()
        .chain_update(route.as_bytes())
        .chain_update([0u8])
        .chain_update(id.as_bytes())
        .finalize();
    format!("{kind}:#{}", hex::encode(digest))
}

/// Parses `Retry-After` as delay-seconds (HTTP dates are ignored: origins behind
/// edgehook almost always send seconds, and a bad date must not stall delivery).
pub fn parse_retry_after(v: &str) -> Option<u32> {
    v.trim().parse::<u32>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::RustCrypto;

    /// Published Standard Webhooks vector (standard-webhooks libraries' tests).
    #[test]
    fn standard_webhooks_signature_vector() {
        let key = STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .expect("b64");
        let sig = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            br#"{"test": 2432232314}"#,
            &RustCrypto,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    fn delivery(attempt: u32) -> Delivery {
        Delivery {
            route: "/h".into(),
            id: "e1".into(),
            provider: "worldline".into(),
            origin: "https://o".into(),
            forward: ForwardMode::Cloudevents,
            event: "{}".into(),
            payload: "{}".into(),
            payload_base64: false,
            payload_type: "application/json".into(),
            accepted_at_ms: 0,
            timeout_ms: 1000,
            max_retries: 5,
            retry_base_s: 10,
            retry_max_s: 3600,
            attempt,
            spilled: false,
            schedule: Vec::new(),
            signed: Some(true),
            replays: 0,
            dead_reason: None,
            store_attempts: 0,
            body_waits: 0,
            request_headers: Vec::new(),
            key_index: 0,
        }
    }

    #[test]
    fn the_default_schedule_spans_more_than_a_day_then_dead_letters() {
        let mut d = delivery(0);
        d.schedule = config::DEFAULT_RETRY_SCHEDULE_S.to_vec();
        let st = Attempt::Status {
            status: 503,
            retry_after_s: None,
        };
        let mut total = 0u64;
        for n in 1..=7 {
            d.attempt = n;
            let Verdict::Retry(delay) = judge(&d, st, 0.5) else {
                panic!("attempt {n} retries");
            };
            assert_eq!(delay, config::DEFAULT_RETRY_SCHEDULE_S[n as usize - 1]);
            total += u64::from(delay);
        }
        assert!(total >= 86_400, "{total} s");
        d.attempt = 8;
        assert_eq!(
            judge(&d, st, 0.5),
            Verdict::Dead("origin answered 503; gave up after 8 attempts".into())
        );
        // Jitter stays within ±10 % and never passes the queue's delay limit.
        d.attempt = 6;
        assert_eq!(judge(&d, st, 0.0), Verdict::Retry(32_400));
        assert_eq!(judge(&d, st, 0.999_999), Verdict::Retry(39_600));
        d.schedule = vec![86_400];
        d.attempt = 1;
        assert_eq!(judge(&d, st, 0.99), Verdict::Retry(86_400));
        // Retry-After lengthens a short entry.
        d.schedule = vec![5];
        let ra = Attempt::Status {
            status: 429,
            retry_after_s: Some(60),
        };
        assert_eq!(judge(&d, ra, 0.5), Verdict::Retry(60));
    }

    #[test]
    fn store_retries_grow_to_an_hour() {
        let mut d = delivery(3);
        d.schedule = vec![5, 300];
        let waits: Vec<u32> = (1..=12).map(|n| store_backoff(&d, n)).collect();
        assert_eq!(
            waits,
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        );
        assert_eq!(store_backoff(&d, u32::MAX), 3600);
        d.schedule.clear();
        d.retry_base_s = 0;
        assert_eq!(store_backoff(&d, 1), 1);
    }

    #[test]
    fn store_keys_fit_kv_and_keep_pairs_apart() {
        assert_eq!(store_key("dead", "/h", "e1"), "dead:/h:e1");
        // Escaping keeps (route, id) pairs that would concatenate alike apart.
        assert_ne!(
            store_key("dead", "/a", "b:c"),
            store_key("dead", "/a:b", "c")
        );
        assert_eq!(store_key("seen", "/a", "50%:x"), "seen:/a:50%25%3Ax");
        let long = "i".repeat(10_000);
        let k = store_key("dead", "/h", &long);
        assert!(k.len() <= KV_KEY_LIMIT - 12, "{}", k.len());
        assert!(k.starts_with("dead:#"));
        assert_ne!(k, store_key("dead", "/g", &long), "the route is hashed too");
        assert_ne!(k, store_key("dead", "/h", &long[1..]));
        // Multi-byte ids count in bytes, not chars.
        let wide = "é".repeat(300);
        assert!(store_key("seen", "/h", &wide).len() <= KV_KEY_LIMIT);
    }

    /// A message sent by the previous build (no schedule, no `signed`): it still decodes
    /// and retries on its exponential parameters.
    #[test]
    fn an_older_builds_message_decodes_and_retries_as_before() {
        let old = r#"{"route":"/hooks/worldline","id":"evt_1","provider":"worldline","origin":"https://o.example/in","forward":"cloudevents","event":"{}","payload":"","payload_base64":false,"payload_type":"application/json","accepted_at_ms":1,"timeout_ms":1000,"max_retries":8,"retry_base_s":10,"retry_max_s":3600,"attempt":2,"spilled":false}"#;
        let d: Delivery = serde_json::from_str(old).expect("decodes");
        assert!(d.schedule.is_empty());
        assert_eq!(d.signed, None);
        assert_eq!(d.dead_reason, None);
        let st = Attempt::Status {
            status: 500,
            retry_after_s: None,
        };
        assert_eq!(judge(&d, st, 0.5), Verdict::Retry(20));
    }

    #[test]
    fn verdicts() {
        let st = |status| Attempt::Status {
            status,
            retry_after_s: None,
        };
        assert_eq!(judge(&delivery(1), st(204), 0.5), Verdict::Delivered);
        assert!(matches!(
            judge(&delivery(1), st(410), 0.5),
            Verdict::Dead(_)
        ));
        assert!(matches!(
            judge(&delivery(1), st(400), 0.5),
            Verdict::Dead(_)
        ));
        assert_eq!(judge(&delivery(1), st(500), 0.5), Verdict::Retry(10));
        assert_eq!(judge(&delivery(3), st(503), 0.5), Verdict::Retry(40));
        assert_eq!(judge(&delivery(2), st(408), 0.0), Verdict::Retry(16));
        assert_eq!(
            judge(&delivery(1), Attempt::Timeout, 0.5),
            Verdict::Retry(10)
        );
        assert_eq!(
            judge(&delivery(1), Attempt::NetworkError, 0.5),
            Verdict::Retry(10)
        );
        let ra = Attempt::Status {
            status: 429,
            retry_after_s: Some(120),
        };
        assert_eq!(judge(&delivery(1), ra, 0.5), Verdict::Retry(120));
        assert!(matches!(
            judge(&delivery(5), st(500), 0.5),
            Verdict::Dead(_)
        ));
        assert_eq!(
            judge(&delivery(30), st(500), 0.5),
            Verdict::Dead("origin answered 500; gave up after 30 attempts".into())
        );
        let mut d = delivery(20);
        d.max_retries = 100;
        assert_eq!(backoff(&d, 0.5), 3600);
    }

    #[test]
    fn relative_origins_resolve() {
        assert_eq!(
            resolve("/__demo/origin", Some("http://127.0.0.1:8787/")),
            "http://127.0.0.1:8787/__demo/origin"
        );
        assert_eq!(resolve("https://a/b", Some("http://x")), "https://a/b");
    }
}
