//! The synchronous core entry (issue 15, docs/design-js-entry.md): one contiguous input
//! buffer in, one [`Output`] out, no future and no runtime type.
//!
//! A hand-written JS entry reads the request, writes it into wasm memory in the layout
//! [`encode`] produces and calls [`run`] once; every `await` (WebCrypto, KV, the queue)
//! happens in JS. When the check is cheaper in the runtime's WebCrypto, [`run`] answers
//! [`Output::Crypto`] with exactly what to compute, and [`resume`] replays the results
//! into the core's own comparison ([`Replay`]), so the constant-time and any-key rules are
//! never a second copy in JS. Not wired into the worker yet.

use std::ops::Range;

use crate::config::ForwardMode;
use crate::error::Rejection;
use crate::gateway::Delivery;
use crate::gateway::{Decision, Gateway, Pending, Verified};
use crate::providers::{Check, Reply};
use crate::request::Request;
use crate::verify::{Algorithm, CryptoBackend, MacCheck, RustCrypto};
use serde::Serialize;

/// First line of every request head: an entry and a wasm of different layouts refuse
/// each other instead of misreading fields.
pub const INPUT_VERSION: &str = "edgehook-in-2";

/// The entry refused the body unread: its declared length passes the route's limit.
pub const BODY_OVER_LIMIT: u8 = 1;
/// Reading the body failed in the runtime.
pub const BODY_UNREADABLE: u8 = 2;
/// Every header was read (passthrough routes), not only the ones the provider names.
pub const ALL_HEADERS: u8 = 4;

/// A request as the JS entry read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    /// [`BODY_OVER_LIMIT`], [`BODY_UNREADABLE`], [`ALL_HEADERS`].
    pub flags: u8,
    /// `scheme://host[:port]` of the request, for origins configured as a path.
    pub origin: String,
    /// Method, path, the headers read, the body, the clock.
    pub request: Request,
}

/// A head or a result buffer the entry wrote wrongly. Never caused by sender input (the
/// entry copies that verbatim), so the adapter answers an internal error, not a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputError {
    /// The first line is not [`INPUT_VERSION`].
    Version,
    /// A field is missing or does not parse.
    Truncated,
    /// A header name without its value.
    Unpaired,
}

/// The request head as the JS entry writes it: one string of `\n`-separated lines,
/// [`INPUT_VERSION`], flags, `Date.now()`, method, path, origin, then each header read as a
/// name line and a value line; the body travels beside it as bytes. Text, because the
/// runtime's strings cross into wasm with one `encodeInto`, and lines, because neither a
/// serialized URL path nor a header name or value can hold a line break (the Fetch
/// standard forbids CR, LF and NUL in values; the runtime refuses them).
pub fn encode(input: &Input) -> String {
    let r = &input.request;
    let mut head = format!(
        "{INPUT_VERSION}\n{}\n{}\n{}\n{}\n{}",
        input.flags, r.now_ms, r.method, r.path, input.origin
    );
    for (k, v) in &r.headers {
        head.push('\n');
        head.push_str(k);
        head.push('\n');
        head.push_str(v);
    }
    head
}

/// Reads a head [`encode`] (or the JS entry) wrote, with the body it came with.
pub fn decode(head: &str, body: Vec<u8>) -> Result<Input, InputError> {
    let mut lines = head.split('\n');
    if lines.next() != Some(INPUT_VERSION) {
        return Err(InputError::Version);
    }
    let mut next = || lines.next().ok_or(InputError::Truncated);
    let flags = next()?.parse::<u8>().map_err(|_| InputError::Truncated)?;
    // A clock JS could not have produced reads as 0, which every timestamped scheme then
    // refuses as stale: fails closed.
    // `Date.now()` is a whole number of milliseconds: read as an integer (no float parser
    // linked into the wasm for it).
    let now_ms = next()?.parse::<i64>().unwrap_or(0);
    let method = next()?.to_ascii_uppercase();
    let path = next()?.to_owned();
    let origin = next()?.to_owned();
    let mut headers = Vec::new();
    while let Some(name) = lines.next() {
        let value = lines.next().ok_or(InputError::Unpaired)?;
        headers.push((name.to_owned(), value.to_owned()));
    }
    Ok(Input {
        flags,
        origin,
        request: Request {
            method,
            path,
            headers,
            body,
            now_ms,
        },
    })
}

/// Which checks the runtime's WebCrypto computes instead of wasm (the measured crossover;
/// BENCHMARKS.md, "crypto backend").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// HMACs over at least this many content bytes; `None`: every HMAC stays in wasm.
    pub mac_min_bytes: Option<usize>,
    /// Every AES-GCM decryption.
    pub aes_gcm: bool,
}

impl Policy {
    /// Everything in wasm (native tests, the browser).
    pub const WASM_ONLY: Policy = Policy {
        mac_min_bytes: None,
        aes_gcm: false,
    };
}

/// Bytes a WebCrypto call reads: a literal, or a range of the body the entry already holds
/// (so a large body is not copied back out of wasm to be signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Bytes only the core has (a timestamp prefix, a rewritten piece).
    Bytes(Vec<u8>),
    /// `body[range]`.
    Body(Range<usize>),
}

/// One WebCrypto call to make. Key bytes go to `importKey` (non-extractable) only; the
/// entry never compares, decodes or logs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoOp {
    /// `crypto.subtle.sign("HMAC", key, data)`.
    Hmac {
        /// WebCrypto's hash name.
        hash: &'static str,
        /// The key's position among the check's candidate keys.
        key_index: usize,
        /// Raw key bytes.
        key: Vec<u8>,
        /// The data, joined in order.
        data: Vec<Part>,
    },
    /// `crypto.subtle.decrypt({name: "AES-GCM", iv, tagLength: 128}, key, ct ‖ tag)`; the
    /// entry runs these in order and stops at the first that opens.
    AesGcm {
        /// The key's position among the check's candidate keys.
        key_index: usize,
        /// Raw key bytes (32).
        key: Vec<u8>,
        /// Initialization vector.
        iv: Vec<u8>,
        /// Ciphertext followed by the 16-byte tag.
        data: Vec<u8>,
    },
}

/// What a [`CryptoOp`] gave, in op order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoResult {
    /// The MAC, or the plaintext.
    Done(Vec<u8>),
    /// AES-GCM: the tag did not verify under this key.
    NotOpened,
    /// The runtime refused the call itself (e.g. an empty HMAC key): RustCrypto decides
    /// for that key, as the worker does today.
    Failed,
}

/// The core's answer to one input.
#[derive(Debug, Clone)]
pub enum Output {
    /// Send this and stop: a handshake or a rejection.
    Reply {
        /// The response.
        reply: Reply,
        /// `Allow` for a 405.
        allow: Option<&'static str>,
        /// `handshake` or the rejection code (log line, rejection counts).
        outcome: &'static str,
    },
    /// Compute these, then call [`resume`] with the results.
    Crypto(Vec<CryptoOp>),
    /// Enqueue `delivery` (its origin resolved), then send `ack`.
    Accepted {
        /// The provider's expected acknowledgement.
        ack: Reply,
        /// The event to enqueue.
        delivery: Box<crate::gateway::Delivery>,
        /// Label of the key that matched, for the log.
        key: String,
    },
}

/// The first call for a request: a final answer, or the crypto to run.
pub fn run(gw: &Gateway, input: &Input, policy: &Policy) -> Output {
    let pending = match begin(gw, input) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let ops = crypto_ops(pending.check(), &input.request.body, policy);
    if !ops.is_empty() {
        return Output::Crypto(ops);
    }
    let outcome = pending.verify(&RustCrypto);
    output(pending.finish(outcome), &input.origin)
}

/// The second call, with the results of [`Output::Crypto`]'s ops in order. The request is
/// read again rather than kept half-done between the calls: `begin` does no crypto, and
/// a stateless core has nothing to leak when the entry's `await` fails.
pub fn resume(gw: &Gateway, input: &Input, results: &[CryptoResult]) -> Output {
    let pending = match begin(gw, input) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let outcome = replay(&pending, results);
    output(pending.finish(outcome), &input.origin)
}

/// What both calls start with: a body the entry refused unread, then `Gateway::begin`;
/// `Err` is the final answer (a rejection or a handshake).
fn begin<'a>(gw: &'a Gateway, input: &'a Input) -> Result<Pending<'a>, Output> {
    if let Some(rej) = refused_unread(gw, input) {
        return Err(rejection(rej));
    }
    gw.begin(&input.request)
        .map_err(|d| output(d, &input.origin))
}

/// The rejection for a body the entry did not read, as the worker's reader decides it
/// today: only a configured route has a limit to pass.
fn refused_unread(gw: &Gateway, input: &Input) -> Option<Rejection> {
    if input.flags & BODY_UNREADABLE != 0 {
        return Some(Rejection::MalformedBody("body could not be read".into()));
    }
    if input.flags & BODY_OVER_LIMIT != 0 {
        let route = gw.route(&input.request.path)?;
        return Some(Rejection::BodyTooLarge(route.max_body()));
    }
    None
}

fn rejection(r: Rejection) -> Output {
    let allow = match &r {
        Rejection::MethodNotAllowed(_, allow) => Some(*allow),
        _ => None,
    };
    Output::Reply {
        reply: Reply::rejection(&r),
        allow,
        outcome: r.code(),
    }
}

fn output(d: Decision, request_origin: &str) -> Output {
    match d {
        Decision::Handshake(reply) => Output::Reply {
            reply,
            allow: None,
            outcome: "handshake",
        },
        Decision::Reject(r) => rejection(r),
        Decision::Accept {
            ack,
            mut delivery,
            key,
        } => {
            if delivery.origin.starts_with('/') && !request_origin.is_empty() {
                delivery.origin = crate::forward::resolve(&delivery.origin, Some(request_origin));
            }
            Output::Accepted { ack, delivery, key }
        }
    }
}

/// WebCrypto's name for a keyed hash; unkeyed SHA-1 (Lyra's legacy form signature, tiny
/// bodies) always stays in wasm.
fn hash_name(alg: Algorithm) -> Option<&'static str> {
    match alg {
        Algorithm::HmacSha256 => Some("SHA-256"),
        Algorithm::HmacSha512 => Some("SHA-512"),
        Algorithm::HmacSha1 => Some("SHA-1"),
        Algorithm::Sha1 => None,
    }
}

/// `piece` as a range of `body` when it borrows from it (by address: a piece the scheme
/// rewrote is its own allocation and stays literal).
fn part(piece: &[u8], body: &[u8]) -> Part {
    let (b, p) = (body.as_ptr() as usize, piece.as_ptr() as usize);
    if !piece.is_empty() && p >= b && p + piece.len() <= b + body.len() {
        Part::Body(p - b..p - b + piece.len())
    } else {
        Part::Bytes(piece.to_vec())
    }
}

fn crypto_ops(check: &Check<'_>, body: &[u8], policy: &Policy) -> Vec<CryptoOp> {
    match check {
        Check::Mac(mac) => {
            let len: usize = mac.content.iter().map(|c| c.len()).sum();
            let (Some(hash), Some(min)) = (hash_name(mac.algorithm), policy.mac_min_bytes) else {
                return Vec::new();
            };
            if len < min {
                return Vec::new();
            }
            let content: Vec<Part> = mac.content.iter().map(|c| part(c, body)).collect();
            mac.keys
                .iter()
                .enumerate()
                .map(|(key_index, key)| {
                    let mut data = content.clone();
                    if mac.append_key {
                        data.push(Part::Bytes(key.to_vec()));
                    }
                    CryptoOp::Hmac {
                        hash,
                        key_index,
                        key: key.to_vec(),
                        data,
                    }
                })
                .collect()
        }
        Check::Decrypt(d) if policy.aes_gcm => d
            .keys
            .iter()
            .enumerate()
            .map(|(key_index, key)| CryptoOp::AesGcm {
                key_index,
                key: key.to_vec(),
                iv: d.iv.clone(),
                data: [d.ciphertext.as_slice(), d.tag.as_slice()].concat(),
            })
            .collect(),
        Check::Decrypt(_) => Vec::new(),
    }
}

/// Results computed ahead by WebCrypto, replayed to the core's own check logic, by key.
/// A key with no result falls through to RustCrypto.
struct Replay<'k> {
    macs: Vec<(&'k [u8], Vec<u8>)>,
    opened: Vec<(&'k [u8], Option<Vec<u8>>)>,
}

impl CryptoBackend for Replay<'_> {
    fn mac(&self, alg: Algorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        match self.macs.iter().find(|(k, _)| *k == key) {
            Some((_, m)) => m.clone(),
            None => RustCrypto.mac(alg, key, parts),
        }
    }

    fn aes256gcm_decrypt(&self, key: &[u8], iv: &[u8], ct: &[u8], tag: &[u8]) -> Option<Vec<u8>> {
        match self.opened.iter().find(|(k, _)| *k == key) {
            Some((_, p)) => p.clone(),
            None => RustCrypto.aes256gcm_decrypt(key, iv, ct, tag),
        }
    }

    fn aes256gcm_encrypt(&self, key: &[u8], iv: &[u8], pt: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        RustCrypto.aes256gcm_encrypt(key, iv, pt)
    }
}

fn replay(pending: &Pending<'_>, results: &[CryptoResult]) -> Result<Verified, Rejection> {
    let mut r = Replay {
        macs: Vec::new(),
        opened: Vec::new(),
    };
    match pending.check() {
        Check::Mac(mac) => {
            r.macs = keyed(&mac.keys, results)
                .filter_map(|(k, res)| match res {
                    CryptoResult::Done(m) => Some((k, m.clone())),
                    _ => None,
                })
                .collect();
            verify_mac(mac, &r)
        }
        Check::Decrypt(d) => {
            r.opened = keyed(&d.keys, results)
                .filter_map(|(k, res)| match res {
                    CryptoResult::Done(p) => Some((k, Some(p.clone()))),
                    CryptoResult::NotOpened => Some((k, None)),
                    CryptoResult::Failed => None,
                })
                .collect();
            d.decrypt(&r).map(|(key_index, p)| Verified {
                key_index,
                plaintext: Some(p),
            })
        }
    }
}

/// Each candidate key beside its result (fewer results than keys: the entry stopped at
/// the first key that opened; the rest are never consulted before it).
fn keyed<'k, 'r>(
    keys: &'r [&'k [u8]],
    results: &'r [CryptoResult],
) -> impl Iterator<Item = (&'k [u8], &'r CryptoResult)> + 'r {
    keys.iter().copied().zip(results.iter())
}

fn verify_mac(mac: &MacCheck<'_>, crypto: &dyn CryptoBackend) -> Result<Verified, Rejection> {
    mac.verify(crypto).map(|key_index| Verified {
        key_index,
        plaintext: None,
    })
}

/// Cloudflare Queues take messages up to 128 KB; a bigger delivery keeps its event and
/// payload in KV and travels as a reference ([`Message::spill`]).
pub const QUEUE_MESSAGE_LIMIT: usize = 120 * 1024;

/// A delivery as the queue carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The queue message (JSON).
    pub body: Vec<u8>,
    /// `(KV key, value)` to store before the message is sent, when the delivery would pass
    /// [`QUEUE_MESSAGE_LIMIT`]: the message is then a stub naming it.
    pub spill: Option<(String, Vec<u8>)>,
}

/// The queue message for `d`. Only raw and passthrough forwarding send the payload as
/// received; the other modes send the event, which already carries it (`data.raw`), so
/// the payload is left out and the message stays half the size.
pub fn queue_message(mut d: Delivery) -> Result<Message, Rejection> {
    if !matches!(d.forward, ForwardMode::Raw | ForwardMode::Passthrough) {
        d.payload.clear();
    }
    let body = serde_json::to_vec(&d).map_err(|_| Rejection::QueueUnavailable)?;
    if body.len() <= QUEUE_MESSAGE_LIMIT {
        return Ok(Message { body, spill: None });
    }
    let key = body_key(&d);
    let mut stub = d;
    stub.event.clear();
    stub.payload.clear();
    stub.spilled = true;
    Ok(Message {
        body: serde_json::to_vec(&stub).map_err(|_| Rejection::QueueUnavailable)?,
        spill: Some((key, body)),
    })
}

/// Where a spilled delivery's event and payload are kept.
pub fn body_key(d: &Delivery) -> String {
    crate::forward::store_key("body", &d.route, &d.id)
}

/// The dedup record's key for an event on a route (within KV's key limit whatever the id).
pub fn seen_key(d: &Delivery) -> String {
    crate::forward::store_key("seen", &d.route, &d.id)
}

/// The answer to a request the entry could not describe (a JS bug or a trapped instance).
pub const INTERNAL: &str = r#"{"error":{"code":"internal","message":"internal error"}}"#;

/// Ids for the keys WebCrypto is asked to use, by content, so the entry can keep one
/// imported `CryptoKey` per key without holding or comparing key bytes itself. The ids
/// live as long as the wasm instance; the entry drops its keys when the instance is
/// rebuilt (after a trap), so an id never names a different key.
#[derive(Debug, Default)]
pub struct KeyIds(Vec<Vec<u8>>);

impl KeyIds {
    fn id(&mut self, key: &[u8]) -> usize {
        if let Some(i) = self.0.iter().position(|k| k.as_slice() == key) {
            return i;
        }
        self.0.push(key.to_vec());
        self.0.len() - 1
    }
}

#[derive(Serialize)]
struct Head<'a> {
    /// `reply`, `crypto` or `accepted`.
    t: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<ReplyHead<'a>>,
    log: LogHead<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ops: Vec<OpHead>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accepted: Option<AcceptedHead>,
}

#[derive(Serialize)]
struct ReplyHead<'a> {
    status: u16,
    ct: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    allow: Option<&'static str>,
    body: &'a str,
}

impl<'a> ReplyHead<'a> {
    fn of(r: &'a Reply, allow: Option<&'static str>) -> Self {
        ReplyHead {
            status: r.status,
            ct: r.content_type,
            allow,
            body: &r.body,
        }
    }
}

/// The request's log line, less its duration (the entry adds `ms` when it logs).
#[derive(Serialize)]
struct LogHead<'a> {
    edgehook: &'static str,
    route: &'a str,
    provider: &'static str,
    method: &'a str,
    outcome: &'static str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
}

/// A WebCrypto call; `[offset, length]` pairs point into the output's bytes, `data`
/// pieces are `[0, offset, length]` (output bytes) or `[1, start, end]` (the body).
#[derive(Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum OpHead {
    Hmac {
        hash: &'static str,
        kid: usize,
        key: [usize; 2],
        data: Vec<[usize; 3]>,
    },
    Aes {
        kid: usize,
        key: [usize; 2],
        iv: [usize; 2],
        data: [usize; 2],
    },
}

#[derive(Serialize)]
struct AcceptedHead {
    /// The dedup record's key and TTL, and what it records.
    seen: String,
    ttl: u64,
    at: i64,
    /// Length of the queue message at the start of the output's bytes; a spill's value
    /// follows it.
    msg: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    spill: Option<String>,
    /// The route forwards inline when no queue is bound.
    inline: bool,
}

/// The bytes the entry reads: a little-endian u32 length, that much JSON ([`Head`]), then
/// the bytes the head points into (the queue message, key and data for WebCrypto).
pub fn encode_output(
    gw: Option<&Gateway>,
    input: &Input,
    out: Output,
    keys: &mut KeyIds,
) -> Vec<u8> {
    let req = &input.request;
    let route = gw.and_then(|g| g.route(&req.path));
    let mut log = LogHead {
        edgehook: "request",
        route: route.map_or(req.path.as_str(), |r| r.spec.path.as_str()),
        provider: route.map_or("", |r| r.provider.name()),
        method: &req.method,
        outcome: "",
        status: 0,
        event_id: None,
        key: None,
    };
    match out {
        Output::Reply {
            reply,
            allow,
            outcome,
        } => {
            log.outcome = outcome;
            reply_output(&reply, allow, log)
        }
        Output::Crypto(ops) => {
            log.outcome = "crypto";
            let mut bytes = Vec::new();
            let mut put = |b: &[u8]| {
                let at = bytes.len();
                bytes.extend_from_slice(b);
                [at, b.len()]
            };
            let ops = ops
                .iter()
                .map(|op| match op {
                    CryptoOp::Hmac {
                        hash, key, data, ..
                    } => OpHead::Hmac {
                        hash,
                        kid: keys.id(key),
                        key: put(key),
                        data: data
                            .iter()
                            .map(|p| match p {
                                Part::Bytes(b) => {
                                    let [at, len] = put(b);
                                    [0, at, len]
                                }
                                Part::Body(r) => [1, r.start, r.end],
                            })
                            .collect(),
                    },
                    CryptoOp::AesGcm { key, iv, data, .. } => OpHead::Aes {
                        kid: keys.id(key),
                        key: put(key),
                        iv: put(iv),
                        data: put(data),
                    },
                })
                .collect();
            let head = Head {
                t: "crypto",
                reply: None,
                log,
                ops,
                accepted: None,
            };
            finish(&head, &bytes)
        }
        Output::Accepted { ack, delivery, key } => {
            // The delivery moves into its queue message; what the head names is taken first.
            let id = delivery.id.clone();
            let seen = seen_key(&delivery);
            let at = delivery.accepted_at_ms;
            let message = queue_message(*delivery);
            log.event_id = Some(&id);
            log.key = Some(&key);
            let message = match message {
                Ok(m) => m,
                Err(rej) => {
                    log.outcome = rej.code();
                    return reply_output(&Reply::rejection(&rej), None, log);
                }
            };
            log.outcome = "accepted";
            log.status = ack.status;
            let mut bytes = message.body;
            let msg = bytes.len();
            let spill = message.spill.map(|(k, v)| {
                bytes.extend_from_slice(&v);
                k
            });
            let head = Head {
                t: "accepted",
                reply: Some(ReplyHead::of(&ack, None)),
                log,
                ops: Vec::new(),
                accepted: Some(AcceptedHead {
                    seen,
                    ttl: route.map_or(crate::config::MIN_DEFAULT_DEDUP_TTL_S, |r| {
                        r.spec.dedup_ttl()
                    }),
                    at,
                    msg,
                    spill,
                    inline: route.is_some_and(|r| r.spec.inline_delivery),
                }),
            };
            finish(&head, &bytes)
        }
    }
}

/// A final reply (handshake or rejection); the log line's status is the reply's.
fn reply_output(reply: &Reply, allow: Option<&'static str>, mut log: LogHead<'_>) -> Vec<u8> {
    log.status = reply.status;
    let head = Head {
        t: "reply",
        reply: Some(ReplyHead::of(reply, allow)),
        log,
        ops: Vec::new(),
        accepted: None,
    };
    finish(&head, &[])
}

/// The output for a head the entry wrote wrongly: the stable internal error.
pub fn internal_output() -> Vec<u8> {
    let log = LogHead {
        edgehook: "request",
        route: "",
        provider: "",
        method: "",
        outcome: "internal",
        status: 0,
        event_id: None,
        key: None,
    };
    reply_output(&Reply::json(500, INTERNAL.to_owned()), None, log)
}

fn finish(head: &Head<'_>, bytes: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(head).unwrap_or_default();
    let len = u32::try_from(json.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(4 + json.len() + bytes.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(bytes);
    out
}

/// Reads the results buffer of `resume`: per op, a tag byte (0 computed, 1 did not open,
/// 2 the runtime refused the call), a little-endian u32 length and that many bytes.
pub fn decode_results(mut buf: &[u8]) -> Result<Vec<CryptoResult>, InputError> {
    let mut out = Vec::new();
    while let Some((&tag, rest)) = buf.split_first() {
        let (len, rest) = rest.split_at_checked(4).ok_or(InputError::Truncated)?;
        let mut n = [0u8; 4];
        n.copy_from_slice(len);
        let n = usize::try_from(u32::from_le_bytes(n)).map_err(|_| InputError::Truncated)?;
        let (bytes, rest) = rest.split_at_checked(n).ok_or(InputError::Truncated)?;
        out.push(match tag {
            0 => CryptoResult::Done(bytes.to_vec()),
            1 => CryptoResult::NotOpened,
            _ => CryptoResult::Failed,
        });
        buf = rest;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(rel: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/vectors")
            .join(rel);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn gateway(provider: &str, secret: &str, extra: &str) -> Gateway {
        let routes = format!(
            r#"[{{"path":"/h","provider":"{provider}","secrets":["S"],"origin":"/__demo/origin"{extra}}}]"#
        );
        let secret = secret.to_owned();
        let lookup = move |n: &str| (n == "S").then(|| secret.clone());
        Gateway::from_config(&routes, &lookup).expect("config")
    }

    /// Standard Webhooks' published vector (standard-webhooks/standard-webhooks,
    /// libraries/javascript/src/index.test.ts; tests/vectors/standard-webhooks/vectors.json).
    fn standard_webhooks() -> (Gateway, Input) {
        let gw = gateway(
            "standard-webhooks",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "",
        );
        let request = Request::new("POST", "/h", 1_614_265_330_000)
            .header("content-type", "application/json")
            .header("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
            .header("webhook-timestamp", "1614265330")
            .header(
                "webhook-signature",
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            )
            .body(vector("standard-webhooks/js-sign-body.json"));
        let input = Input {
            flags: 0,
            origin: "https://gw.example".into(),
            request,
        };
        (gw, input)
    }

    /// Stripe's computed vector (tests/vectors/stripe/vectors.json: Python hmac,
    /// cross-checked with node:crypto and stripe-node's generateTestHeaderString).
    fn stripe() -> (Gateway, Input) {
        let gw = gateway("stripe", "whsec_test_secret", "");
        let request = Request::new("POST", "/h", 12_345_000)
            .header("content-type", "application/json")
            .header(
                "stripe-signature",
                "t=12345,v1=2672d138c9a412830f3bfe2ecc5bfb3277cf6f5b49d0119d77dd6cb64da1257e",
            )
            .body(vector("stripe/test-webhook-event.json"));
        let input = Input {
            flags: 0,
            origin: "https://gw.example".into(),
            request,
        };
        (gw, input)
    }

    /// What the entry would compute with WebCrypto, computed here with RustCrypto.
    fn compute(ops: &[CryptoOp], body: &[u8]) -> Vec<CryptoResult> {
        ops.iter()
            .map(|op| match op {
                CryptoOp::Hmac {
                    hash, key, data, ..
                } => {
                    let alg = match *hash {
                        "SHA-256" => Algorithm::HmacSha256,
                        "SHA-512" => Algorithm::HmacSha512,
                        _ => Algorithm::HmacSha1,
                    };
                    let parts: Vec<&[u8]> = data
                        .iter()
                        .map(|p| match p {
                            Part::Bytes(b) => b.as_slice(),
                            Part::Body(r) => body.get(r.clone()).expect("range in body"),
                        })
                        .collect();
                    CryptoResult::Done(RustCrypto.mac(alg, key, &parts))
                }
                CryptoOp::AesGcm { key, iv, data, .. } => {
                    let (ct, tag) = data.split_at(data.len().saturating_sub(16));
                    match RustCrypto.aes256gcm_decrypt(key, iv, ct, tag) {
                        Some(p) => CryptoResult::Done(p),
                        None => CryptoResult::NotOpened,
                    }
                }
            })
            .collect()
    }

    fn accepted(o: Output) -> (Reply, crate::gateway::Delivery) {
        match o {
            Output::Accepted { ack, delivery, .. } => (ack, *delivery),
            other => panic!("not accepted: {other:?}"),
        }
    }

    fn outcome(o: &Output) -> &'static str {
        match o {
            Output::Reply { outcome, .. } => outcome,
            Output::Crypto(_) => "crypto",
            Output::Accepted { .. } => "accepted",
        }
    }

    fn round_trip(input: &Input) -> Input {
        decode(&encode(input), input.request.body.clone()).expect("decode")
    }

    #[test]
    fn encode_decode_round_trip() {
        let (_, mut input) = stripe();
        input.flags = ALL_HEADERS;
        input
            .request
            .headers
            .push(("x-ünïcode".into(), "välue, with: colons".into()));
        input
            .request
            .headers
            .push(("x-empty".into(), String::new()));
        assert_eq!(round_trip(&input), input);
        let (_, mut bare) = stripe();
        bare.request.headers.clear();
        bare.origin.clear();
        assert_eq!(round_trip(&bare), bare);
    }

    #[test]
    fn a_short_head_or_a_stale_entry_is_refused() {
        let (_, input) = standard_webhooks();
        let head = encode(&input);
        let lines: Vec<&str> = head.split('\n').collect();
        for cut in 1..6 {
            let prefix = lines.get(..cut).expect("prefix").join("\n");
            assert_eq!(
                decode(&prefix, Vec::new()),
                Err(InputError::Truncated),
                "{cut}"
            );
        }
        let unpaired = lines.get(..7).expect("prefix").join("\n");
        assert_eq!(decode(&unpaired, Vec::new()), Err(InputError::Unpaired));
        let stale = head.replacen(INPUT_VERSION, "edgehook-in-1", 1);
        assert_eq!(decode(&stale, Vec::new()), Err(InputError::Version));
        let flags = head.replacen("\n0\n", "\nx\n", 1);
        assert_eq!(decode(&flags, Vec::new()), Err(InputError::Truncated));
    }

    #[test]
    fn a_clock_js_cannot_produce_fails_closed() {
        let (gw, input) = stripe();
        let head = encode(&input).replacen("\n12345000\n", "\nNaN\n", 1);
        let odd = decode(&head, input.request.body.clone()).expect("decode");
        assert_eq!(odd.request.now_ms, 0);
        assert_eq!(
            outcome(&run(&gw, &odd, &Policy::WASM_ONLY)),
            "stale_timestamp"
        );
    }

    #[test]
    fn wasm_only_matches_the_gateway_on_both_providers() {
        for (gw, input) in [standard_webhooks(), stripe()] {
            let decoded = round_trip(&input);
            let (ack, delivery) = accepted(run(&gw, &decoded, &Policy::WASM_ONLY));
            let Decision::Accept {
                ack: want_ack,
                delivery: want,
                ..
            } = gw.handle(&input.request, &RustCrypto)
            else {
                panic!("gateway did not accept")
            };
            assert_eq!(ack, want_ack);
            assert_eq!(delivery.event, want.event);
            assert_eq!(delivery.id, want.id);
            // A path origin is resolved against the request's own origin.
            assert_eq!(delivery.origin, "https://gw.example/__demo/origin");
        }
    }

    #[test]
    fn webcrypto_round_trip_accepts_and_signs_the_body_in_place() {
        let policy = Policy {
            mac_min_bytes: Some(0),
            aes_gcm: true,
        };
        for (gw, input) in [standard_webhooks(), stripe()] {
            let Output::Crypto(ops) = run(&gw, &input, &policy) else {
                panic!("no crypto asked for")
            };
            assert_eq!(ops.len(), 1);
            let CryptoOp::Hmac { data, .. } = &ops[0] else {
                panic!("not an HMAC")
            };
            // The body goes by range, whole; only the scheme's prefix is literal.
            assert!(data.contains(&Part::Body(0..input.request.body.len())));
            let results = compute(&ops, &input.request.body);
            let (_, delivery) = accepted(resume(&gw, &input, &results));
            let (_, want) = accepted(run(&gw, &input, &Policy::WASM_ONLY));
            assert_eq!(delivery, want);
        }
    }

    #[test]
    fn a_wrong_or_missing_webcrypto_result_is_decided_by_the_core() {
        let policy = Policy {
            mac_min_bytes: Some(0),
            aes_gcm: true,
        };
        let (gw, input) = stripe();
        let wrong = [CryptoResult::Done(vec![0; 32])];
        assert_eq!(outcome(&resume(&gw, &input, &wrong)), "signature_mismatch");
        // A refused call leaves the key to RustCrypto: still accepted.
        assert_eq!(
            outcome(&resume(&gw, &input, &[CryptoResult::Failed])),
            "accepted"
        );
        // A body changed after the first call is checked against what was signed.
        let mut tampered = input.clone();
        if let Some(b) = tampered.request.body.first_mut() {
            *b ^= 1;
        }
        let Output::Crypto(ops) = run(&gw, &tampered, &policy) else {
            panic!("no crypto asked for")
        };
        let results = compute(&ops, &tampered.request.body);
        assert_eq!(
            outcome(&resume(&gw, &tampered, &results)),
            "signature_mismatch"
        );
    }

    #[test]
    fn threshold_keeps_small_macs_in_wasm() {
        let policy = Policy {
            mac_min_bytes: Some(2048),
            aes_gcm: true,
        };
        let (gw, input) = stripe();
        assert_eq!(outcome(&run(&gw, &input, &policy)), "accepted");
    }

    /// SIBS's published decryption sample (SIBS Gateway docs, "Webhooks examples";
    /// tests/vectors/sibs/vectors.json), behind a second, wrong key first (a key roll).
    #[test]
    fn sibs_decrypts_through_webcrypto_ops_in_key_order() {
        let v: serde_json::Value =
            serde_json::from_slice(&vector("sibs/vectors.json")).expect("json");
        let body = v["cases"][0]["body"].as_str().expect("body").to_owned();
        let right = "6fNDiYU0T0/evFpmfycNai/AqF24i+rT0OmuVw0/sGQ=";
        let wrong = "fRwMOptV4vBKbY4Twrf5oBZeTTwrGgn459bFtKOSgXA=";
        let request = Request::new("POST", "/h", 1_700_000_000_000)
            .header("content-type", "text/plain")
            .header("x-initialization-vector", "RYjpCMtUmK54T6Lk")
            .header("x-authentication-tag", "FUajWHmZjP4A5qaa1G0kxw==")
            .body(body.into_bytes());
        let input = Input {
            flags: 0,
            origin: String::new(),
            request,
        };
        let policy = Policy {
            mac_min_bytes: None,
            aes_gcm: true,
        };
        let gw = gateway("sibs", &format!("{wrong}\n{right}"), "");
        let Output::Crypto(ops) = run(&gw, &input, &policy) else {
            panic!("no crypto asked for")
        };
        assert_eq!(ops.len(), 2);
        let results = compute(&ops, &input.request.body);
        assert_eq!(results.first(), Some(&CryptoResult::NotOpened));
        let Output::Accepted { delivery, key, .. } = resume(&gw, &input, &results) else {
            panic!("not accepted")
        };
        assert_eq!(key, "key 2");
        let (_, want) = accepted(run(&gw, &input, &Policy::WASM_ONLY));
        assert_eq!(*delivery, want);
        assert!(delivery.event.contains("8vfDedn6RvmEC3WNZTRm"));
        // Right key first: the entry stops after it, one result for two keys.
        let gw = gateway("sibs", &format!("{right}\n{wrong}"), "");
        let Output::Crypto(ops) = run(&gw, &input, &policy) else {
            panic!("no crypto asked for")
        };
        let first = compute(&ops, &input.request.body);
        let first = first.get(..1).expect("one result");
        assert_eq!(outcome(&resume(&gw, &input, first)), "accepted");
        // Nothing opened: the core's rejection, nothing of the plaintext in it.
        let out = resume(
            &gw,
            &input,
            &[CryptoResult::NotOpened, CryptoResult::NotOpened],
        );
        assert_eq!(outcome(&out), "decryption_failed");
    }

    /// The JS entry reads only `content-type` and the provider's `headers()`: for every
    /// provider, a request signed by its own `sign()` and cut down to those headers (plus
    /// padding the entry would not read) is decided exactly as the full request.
    #[test]
    fn the_headers_a_provider_names_are_all_it_reads() {
        let cases: [(&str, &str, Vec<u8>, &str); 9] = [
            ("worldline", "dummy-key-id:hello+world", vector("worldline/worldline-payment-valid-body.json"), ""),
            ("sibs", "6fNDiYU0T0/evFpmfycNai/AqF24i+rT0OmuVw0/sGQ=", vector("sibs/docs-plaintext.json"), ""),
            ("lyra-rest", "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M", vector("lyra-rest/ipn-kr-answer.json"), ""),
            ("lyra-form", "TEST:1122334455667788", b"vads_amount=5124&vads_ctx_mode=TEST&vads_currency=978&vads_trans_id=123456&vads_trans_date=20170129130025&vads_site_id=12345678&vads_trans_uuid=0f8ce5d9a3c24e2f9b6f2bd5a8e3c101&vads_trans_status=CAPTURED&vads_operation_type=DEBIT".to_vec(), ""),
            ("everifin", "abcd", vector("everifin/everifin-payment-booked.json"), ""),
            ("fedapay", "whsec_test_secret", vector("fedapay/test-webhook-event.json"), ""),
            ("stripe", "whsec_test_secret", vector("stripe/test-webhook-event.json"), ""),
            ("standard-webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", vector("standard-webhooks/js-sign-body.json"), ""),
            ("generic-hmac", "s3cret", br#"{"id":"e1","type":"payment.succeeded"}"#.to_vec(),
             r#","scheme":{"header":"X-Sig","template":"{id}.{timestamp}.{body}","timestamp_header":"X-Ts","id_header":"X-Id","event_header":"X-Event"}"#),
        ];
        for (provider, secret, payload, extra) in cases {
            let gw = gateway(provider, secret, extra);
            let route = gw.route("/h").expect("route");
            let signed = route
                .provider
                .sign(
                    &crate::providers::SignInput {
                        payload: &payload,
                        now_s: 1_700_000_000,
                        nonce: [7; 12],
                    },
                    &RustCrypto,
                )
                .unwrap_or_else(|e| panic!("{provider}: {e}"));
            let mut full = Request::new("POST", "/h", 1_700_000_000_000).body(signed.body);
            full.headers = signed.headers;
            full.headers.push(("x-unread".into(), "padding".into()));
            let named: Vec<String> = std::iter::once("content-type")
                .chain(route.provider.headers())
                .map(str::to_ascii_lowercase)
                .collect();
            let mut cut = full.clone();
            cut.headers
                .retain(|(k, _)| named.contains(&k.to_ascii_lowercase()));
            assert!(cut.headers.len() < full.headers.len(), "{provider}");
            let input = Input {
                flags: 0,
                origin: "https://gw.example".into(),
                request: cut,
            };
            let (_, got) = accepted(run(&gw, &input, &Policy::WASM_ONLY));
            let Decision::Accept { delivery: want, .. } = gw.handle(&full, &RustCrypto) else {
                panic!("{provider}: the full request was not accepted")
            };
            assert_eq!(got.event, want.event, "{provider}");
        }
    }

    /// Splits an output as the entry does: u32 length, JSON head, bytes.
    fn split(out: &[u8]) -> (serde_json::Value, Vec<u8>) {
        let (len, rest) = out.split_at(4);
        let n = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
        let (head, bytes) = rest.split_at(n);
        (
            serde_json::from_slice(head).expect("head json"),
            bytes.to_vec(),
        )
    }

    #[test]
    fn an_accepted_output_carries_the_queue_message_and_the_ack() {
        let (gw, input) = stripe();
        let out = run(&gw, &input, &Policy::WASM_ONLY);
        let (_, want) = accepted(run(&gw, &input, &Policy::WASM_ONLY));
        let (head, bytes) = split(&encode_output(
            Some(&gw),
            &input,
            out,
            &mut KeyIds::default(),
        ));
        assert_eq!(head["t"], "accepted");
        assert_eq!(head["reply"]["status"], 200);
        assert_eq!(head["log"]["outcome"], "accepted");
        assert_eq!(head["log"]["event_id"], want.id.as_str());
        let a = &head["accepted"];
        assert_eq!(a["seen"], seen_key(&want).as_str());
        assert!(a["spill"].is_null());
        let msg = a["msg"].as_u64().expect("msg") as usize;
        assert_eq!(msg, bytes.len());
        let queued: Delivery = serde_json::from_slice(&bytes).expect("a delivery");
        assert_eq!(queued.id, want.id);
        assert_eq!(queued.event, want.event);
        assert!(queued.payload.is_empty(), "the event carries the payload");
    }

    #[test]
    fn a_delivery_over_the_queue_limit_is_spilled_with_a_stub_message() {
        let (gw, mut input) = stripe();
        // A large event: the signed vector padded inside its JSON, signed again.
        let body = String::from_utf8(input.request.body.clone()).expect("utf8");
        let padded = body.replacen(
            '{',
            &format!("{{\"pad\":\"{}\",", "x".repeat(200 * 1024)),
            1,
        );
        let ts = 12_345;
        let sig = RustCrypto.mac(
            Algorithm::HmacSha256,
            b"whsec_test_secret",
            &[format!("{ts}.").as_bytes(), padded.as_bytes()],
        );
        input
            .request
            .headers
            .retain(|(k, _)| k != "stripe-signature");
        input.request.headers.push((
            "stripe-signature".into(),
            format!("t={ts},v1={}", hex::encode(sig)),
        ));
        input.request.body = padded.into_bytes();
        let out = run(&gw, &input, &Policy::WASM_ONLY);
        assert_eq!(outcome(&out), "accepted");
        let (head, bytes) = split(&encode_output(
            Some(&gw),
            &input,
            out,
            &mut KeyIds::default(),
        ));
        let a = &head["accepted"];
        let msg = a["msg"].as_u64().expect("msg") as usize;
        assert!(msg <= QUEUE_MESSAGE_LIMIT);
        let stub: Delivery = serde_json::from_slice(&bytes[..msg]).expect("stub");
        assert!(stub.spilled && stub.event.is_empty());
        assert_eq!(a["spill"], body_key(&stub).as_str());
        let full: Delivery = serde_json::from_slice(&bytes[msg..]).expect("spilled delivery");
        assert!(full.event.len() > 200 * 1024);
        assert_eq!(full.id, stub.id);
    }

    #[test]
    fn crypto_ops_point_at_their_key_and_the_body_and_results_round_trip() {
        let policy = Policy {
            mac_min_bytes: Some(0),
            aes_gcm: true,
        };
        let (gw, input) = stripe();
        let mut keys = KeyIds::default();
        let out = run(&gw, &input, &policy);
        let (head, bytes) = split(&encode_output(Some(&gw), &input, out, &mut keys));
        assert_eq!(head["t"], "crypto");
        let op = &head["ops"][0];
        assert_eq!(op["op"], "hmac");
        assert_eq!(op["hash"], "SHA-256");
        let [at, len] = [&op["key"][0], &op["key"][1]].map(|v| v.as_u64().expect("n") as usize);
        assert_eq!(&bytes[at..at + len], b"whsec_test_secret");
        // The same key keeps its id on the next request.
        let again = run(&gw, &input, &policy);
        let (head2, _) = split(&encode_output(Some(&gw), &input, again, &mut keys));
        assert_eq!(head2["ops"][0]["kid"], op["kid"]);
        let data: Vec<[u64; 3]> = serde_json::from_value(op["data"].clone()).expect("data");
        assert_eq!(data.last(), Some(&[1, 0, input.request.body.len() as u64]));
        // Results as the entry writes them.
        let mut buf = vec![0u8];
        buf.extend_from_slice(&3u32.to_le_bytes());
        buf.extend_from_slice(b"mac");
        buf.extend_from_slice(&[1, 0, 0, 0, 0, 2, 0, 0, 0, 0]);
        assert_eq!(
            decode_results(&buf),
            Ok(vec![
                CryptoResult::Done(b"mac".to_vec()),
                CryptoResult::NotOpened,
                CryptoResult::Failed
            ])
        );
        for cut in 1..buf.len() {
            let ok = matches!(cut, 8 | 13);
            assert_eq!(decode_results(&buf[..cut]).is_ok(), ok, "cut at {cut}");
        }
    }

    #[test]
    fn unread_bodies_and_unknown_routes() {
        let (gw, mut input) = stripe();
        input.flags = BODY_OVER_LIMIT;
        input.request.body.clear();
        assert_eq!(
            outcome(&run(&gw, &input, &Policy::WASM_ONLY)),
            "body_too_large"
        );
        input.flags = BODY_UNREADABLE;
        assert_eq!(
            outcome(&run(&gw, &input, &Policy::WASM_ONLY)),
            "malformed_body"
        );
        input.flags = BODY_OVER_LIMIT;
        input.request.path = "/nope".into();
        assert_eq!(
            outcome(&run(&gw, &input, &Policy::WASM_ONLY)),
            "unknown_route"
        );
        let (gw, mut input) = stripe();
        input.request.method = "PUT".into();
        match run(&gw, &input, &Policy::WASM_ONLY) {
            Output::Reply { reply, allow, .. } => {
                assert_eq!(reply.status, 405);
                assert_eq!(allow, Some("POST"));
            }
            o => panic!("{o:?}"),
        }
    }
}
