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

use crate::error::Rejection;
use crate::gateway::{Decision, Gateway, Pending, Verified};
use crate::providers::{Check, Reply};
use crate::request::Request;
use crate::verify::{Algorithm, CryptoBackend, MacCheck, RustCrypto};

/// First byte of every input buffer: an entry and a wasm of different layouts refuse each
/// other instead of misreading fields.
pub const INPUT_VERSION: u8 = 1;

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

/// A buffer the entry wrote wrongly. Never caused by sender input (the entry copies
/// that verbatim), so the adapter answers an internal error, not a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputError {
    /// The first byte is not [`INPUT_VERSION`].
    Version(u8),
    /// A length runs past the end of the buffer.
    Truncated,
    /// Method, path, origin or a header is not UTF-8.
    NotUtf8,
    /// Bytes left after the body.
    Trailing,
}

/// The input buffer for `input`: the layout the JS entry writes (little-endian):
/// version u8, flags u8, now_ms f64, method/path/origin as u16 length + bytes, header
/// count u16, each header as u16 name length, name, u32 value length, value, then the body
/// as u32 length + bytes. Strings longer than their length field allows are cut, as the
/// runtime never hands over such values (workerd bounds URLs and headers far lower).
pub fn encode(input: &Input) -> Vec<u8> {
    let r = &input.request;
    let mut out = Vec::with_capacity(
        32 + r.method.len()
            + r.path.len()
            + input.origin.len()
            + r.headers
                .iter()
                .map(|(k, v)| 6 + k.len() + v.len())
                .sum::<usize>()
            + r.body.len(),
    );
    out.push(INPUT_VERSION);
    out.push(input.flags);
    out.extend_from_slice(&(r.now_ms as f64).to_le_bytes());
    put16(&mut out, r.method.as_bytes());
    put16(&mut out, r.path.as_bytes());
    put16(&mut out, input.origin.as_bytes());
    let count = r.headers.len().min(usize::from(u16::MAX));
    out.extend_from_slice(&u16::try_from(count).unwrap_or(u16::MAX).to_le_bytes());
    for (k, v) in r.headers.iter().take(count) {
        put16(&mut out, k.as_bytes());
        put32(&mut out, v.as_bytes());
    }
    put32(&mut out, &r.body);
    out
}

fn put16(out: &mut Vec<u8>, b: &[u8]) {
    let b = b.get(..usize::from(u16::MAX)).unwrap_or(b);
    out.extend_from_slice(&u16::try_from(b.len()).unwrap_or(u16::MAX).to_le_bytes());
    out.extend_from_slice(b);
}

fn put32(out: &mut Vec<u8>, b: &[u8]) {
    let max = usize::try_from(u32::MAX).unwrap_or(usize::MAX);
    let b = b.get(..max).unwrap_or(b);
    out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(b);
}

/// Bounds-checked reads over the input buffer.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], InputError> {
        if n > self.0.len() {
            return Err(InputError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], InputError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn len16(&mut self) -> Result<usize, InputError> {
        Ok(usize::from(u16::from_le_bytes(self.array()?)))
    }

    fn len32(&mut self) -> Result<usize, InputError> {
        usize::try_from(u32::from_le_bytes(self.array()?)).map_err(|_| InputError::Truncated)
    }

    fn text(&mut self, len: usize) -> Result<String, InputError> {
        std::str::from_utf8(self.take(len)?)
            .map(str::to_owned)
            .map_err(|_| InputError::NotUtf8)
    }
}

/// Reads a buffer [`encode`] (or the JS entry) wrote.
pub fn decode(buf: &[u8]) -> Result<Input, InputError> {
    let mut r = Reader(buf);
    let [version] = r.array()?;
    if version != INPUT_VERSION {
        return Err(InputError::Version(version));
    }
    let [flags] = r.array()?;
    let now = f64::from_le_bytes(r.array()?);
    let len = r.len16()?;
    let method = r.text(len)?.to_ascii_uppercase();
    let len = r.len16()?;
    let path = r.text(len)?;
    let len = r.len16()?;
    let origin = r.text(len)?;
    let count = r.len16()?;
    let mut headers = Vec::with_capacity(count.min(crate::gateway::MAX_HEADERS + 1));
    for _ in 0..count {
        let len = r.len16()?;
        let name = r.text(len)?;
        let len = r.len32()?;
        headers.push((name, r.text(len)?));
    }
    let len = r.len32()?;
    let body = r.take(len)?.to_vec();
    if !r.0.is_empty() {
        return Err(InputError::Trailing);
    }
    Ok(Input {
        flags,
        origin,
        request: Request {
            method,
            path,
            headers,
            body,
            // A clock value JS could not have produced (NaN, beyond i64) reads as 0, which
            // every timestamped scheme then refuses as stale: fails closed.
            now_ms: if now.is_finite() { now as i64 } else { 0 },
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
    if let Some(rej) = refused_unread(gw, input) {
        return rejection(rej);
    }
    let pending = match gw.begin(&input.request) {
        Ok(p) => p,
        Err(d) => return output(d, &input.origin),
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
    if let Some(rej) = refused_unread(gw, input) {
        return rejection(rej);
    }
    let pending = match gw.begin(&input.request) {
        Ok(p) => p,
        Err(d) => return output(d, &input.origin),
    };
    let outcome = replay(&pending, results);
    output(pending.finish(outcome), &input.origin)
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

    #[test]
    fn encode_decode_round_trip() {
        let (_, mut input) = stripe();
        input.flags = ALL_HEADERS;
        input
            .request
            .headers
            .push(("x-ünïcode".into(), "välue".into()));
        assert_eq!(decode(&encode(&input)), Ok(input));
    }

    #[test]
    fn every_truncation_and_trailing_byte_is_refused() {
        let (_, input) = standard_webhooks();
        let buf = encode(&input);
        for cut in 0..buf.len() {
            let prefix = buf.get(..cut).expect("prefix");
            assert!(decode(prefix).is_err(), "cut at {cut}");
        }
        let mut longer = buf.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(InputError::Trailing));
        let mut other = buf;
        if let Some(v) = other.first_mut() {
            *v = 9;
        }
        assert_eq!(decode(&other), Err(InputError::Version(9)));
    }

    #[test]
    fn non_utf8_header_is_an_input_error() {
        let (_, input) = stripe();
        let mut buf = encode(&input);
        // The method's first byte (version, flags, f64 clock, u16 length precede it).
        if let Some(b) = buf.get_mut(12) {
            *b = 0xff;
        }
        assert_eq!(decode(&buf), Err(InputError::NotUtf8));
    }

    #[test]
    fn wasm_only_matches_the_gateway_on_both_providers() {
        for (gw, input) in [standard_webhooks(), stripe()] {
            let decoded = decode(&encode(&input)).expect("decode");
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
