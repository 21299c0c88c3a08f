//! Standard Webhooks (standardwebhooks.com), the scheme Svix extracted from its own.
//!
//! Reads `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, a
//! space-separated list of `v1,<base64 HMAC-SHA-256>` entries (`v1a,` ed25519 entries and
//! unknown versions are skipped: a sender may add them next to `v1`). Signed content is
//! `<id>.<timestamp>.<body>`. Svix's branded `svix-id` / `svix-timestamp` / `svix-signature`
//! are accepted when the `webhook-*` set is incomplete, as Svix's libraries do. Secrets are
//! `whsec_<base64>` (the prefix optional, as in the reference libraries); the key is the
//! decoded bytes. The timestamp is checked against the route tolerance in both directions.
//! Acks with 200.
//!
//! The payload is read with the shared JSON convention (`type`, `timestamp`, `data`) of
//! [`crate::providers::convention`], as `generic-hmac` reads its JSON bodies.

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{raw_checked, rfc3339_from_ms, Draft, Subject};
use crate::providers::convention::{payment_data, rfc3339_at, Envelope, POINTERS};
use crate::providers::{ok_ack, Accepted, Auth, Check, Provider, SignInput, Signed};
use crate::request::Request;
use crate::verify::header_params::prefixed_body;
use crate::verify::{decode_b64, parse_unix_seconds, Algorithm, CryptoBackend, Encoding, MacCheck};

const ID: &str = "webhook-id";
const TIMESTAMP: &str = "webhook-timestamp";
const SIGNATURE: &str = "webhook-signature";
const STANDARD: [&str; 3] = [ID, TIMESTAMP, SIGNATURE];
/// Svix's branded names for the same three headers.
const SVIX: [&str; 3] = ["svix-id", "svix-timestamp", "svix-signature"];
const SECRET_PREFIX: &str = "whsec_";
/// The symmetric (HMAC-SHA-256) signature version; `v1a` is ed25519.
const VERSION: &str = "v1";

/// A configured Standard Webhooks route.
pub struct StandardWebhooks {
    keys: Vec<Vec<u8>>,
    tolerance_s: u64,
}

impl std::fmt::Debug for StandardWebhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "StandardWebhooks {{ keys: {}, tolerance_s: {}, secrets: [redacted] }}",
            self.keys.len(),
            self.tolerance_s
        )
    }
}

/// Builds the route from `whsec_...` secrets, one per line (several during a rotation).
pub fn configure(spec: &RouteSpec, secrets: &Secrets) -> Result<Box<dyn Provider>, ConfigError> {
    let keys = secrets.resolve_keys(
        "secrets",
        &spec.secrets,
        "secret #",
        "must be whsec_ followed by non-empty base64, as the sender shows it",
        decode_secret,
    )?;
    Ok(Box::new(StandardWebhooks {
        keys,
        tolerance_s: spec.tolerance(),
    }))
}

/// The key bytes of a secret: `whsec_` is optional and the rest is base64, padded or not,
/// exactly as the reference libraries read it (a secret that merely looks like text is
/// still base64-decoded, never used as-is).
pub fn decode_secret(s: &str) -> Option<Vec<u8>> {
    let b64 = s.trim();
    let b64 = b64.strip_prefix(SECRET_PREFIX).unwrap_or(b64);
    decode_b64(b64).filter(|k| !k.is_empty())
}

/// The header set in use: `webhook-*` when complete, else `svix-*` when complete, else the
/// set the sender started to use, so the rejection names the header it forgot.
fn header_set(req: &Request) -> Result<[&'static str; 3], Rejection> {
    let present = |h: &'static str| -> Result<bool, Rejection> {
        Ok(req.single(h)?.is_some_and(|v| !v.trim().is_empty()))
    };
    let mut standard = 0;
    for h in STANDARD {
        standard += usize::from(present(h)?);
    }
    if standard == STANDARD.len() {
        return Ok(STANDARD);
    }
    let mut svix = 0;
    for h in SVIX {
        svix += usize::from(present(h)?);
    }
    if svix == SVIX.len() || (svix > 0 && standard == 0) {
        Ok(SVIX)
    } else {
        Ok(STANDARD)
    }
}

/// The decoded `v1` signatures, and how many `v1` entries were not base64.
fn v1_signatures(header: &str) -> (Vec<Vec<u8>>, usize) {
    let mut out = Vec::new();
    let mut undecodable = 0;
    // `v1a` (ed25519), future versions and stray text are not ours to check.
    for entry in header.split_whitespace() {
        if let Some((VERSION, sig)) = entry.split_once(',') {
            match decode_b64(sig) {
                Some(bytes) => out.push(bytes),
                None => undecodable += 1,
            }
        }
    }
    (out, undecodable)
}

/// `v1,<base64 HMAC-SHA-256 of "<id>.<ts>.<body>">`: the signature header's value, for a test
/// payload (`sign`) and for a passthrough attempt re-signed with a fresh timestamp (`resign`).
fn signature(
    crypto: &dyn CryptoBackend,
    key: &[u8],
    id: &str,
    ts: impl std::fmt::Display,
    body: &[u8],
) -> String {
    let mac = crypto.mac(
        Algorithm::HmacSha256,
        key,
        &[format!("{id}.{ts}.").as_bytes(), body],
    );
    format!("{VERSION},{}", Encoding::Base64.encode(&mac))
}

impl Provider for StandardWebhooks {
    fn name(&self) -> &'static str {
        "standard-webhooks"
    }

    fn headers(&self) -> Vec<&'static str> {
        STANDARD.iter().chain(SVIX.iter()).copied().collect()
    }

    fn media_types(&self) -> &'static [&'static str] {
        // CloudEvents JSON too, so one edgehook can forward to another.
        &["application/json", "application/cloudevents+json"]
    }

    fn authenticate<'a>(&'a self, req: &'a Request) -> Result<Auth<'a>, Rejection> {
        let [id_h, ts_h, sig_h] = header_set(req)?;
        let id = req.required(id_h)?;
        let ts_text = req.required(ts_h)?;
        let sig = req.required(sig_h)?;
        let ts = parse_unix_seconds(ts_text, ts_h)?;
        let (received, undecodable) = v1_signatures(sig);
        if received.is_empty() {
            return Err(if undecodable > 0 {
                Rejection::MalformedSignature(sig_h, "no v1 signature is valid base64")
            } else {
                // Only `v1a`/unknown versions, or no `v1,` at all: nothing we can verify.
                Rejection::SignatureMismatch
            });
        }
        Ok(Auth {
            // The libraries sign the parsed integer, so `0161...` signs as `161...`.
            check: Check::Mac(MacCheck {
                algorithm: Algorithm::HmacSha256,
                content: prefixed_body(format!("{id}.{ts}."), &req.body),
                append_key: false,
                keys: self.keys.iter().map(Vec::as_slice).collect(),
                received,
            }),
            signed_at: Some(ts),
            key_labels: (1..=self.keys.len())
                .map(|i| format!("secret #{i}"))
                .collect(),
            parsed: vec![
                (id_h.to_owned(), id.to_owned()),
                (ts_h.to_owned(), ts_text.to_owned()),
                (sig_h.to_owned(), sig.to_owned()),
                ("signed content".to_owned(), format!("{id}.{ts}.<body>")),
            ],
        })
    }

    fn sign(&self, input: &SignInput<'_>, crypto: &dyn CryptoBackend) -> Result<Signed, Rejection> {
        let key = self
            .keys
            .first()
            .ok_or_else(|| Rejection::ConfigInvalid("no secret configured".into()))?;
        let id = format!("msg_{}", hex::encode(input.nonce));
        let ts = input.now_s;
        let signature = signature(crypto, key, &id, ts, input.payload);
        Ok(Signed {
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (ID.into(), id),
                (TIMESTAMP.into(), ts.to_string()),
                (SIGNATURE.into(), signature),
            ],
            body: input.payload.to_vec(),
        })
    }

    fn resign(
        &self,
        key_index: usize,
        req: &Request,
        crypto: &dyn CryptoBackend,
    ) -> Option<Vec<(String, String)>> {
        let key = self.keys.get(key_index)?;
        let [id_h, ts_h, sig_h] = header_set(req).ok()?;
        let id = req.required(id_h).ok()?;
        let ts = req.now_s();
        Some(vec![
            (ts_h.to_owned(), ts.to_string()),
            (sig_h.to_owned(), signature(crypto, key, id, ts, &req.body)),
        ])
    }

    fn accept(&self, payload: &[u8], req: &Request) -> Result<Accepted, Rejection> {
        let (text, values) = crate::json::pick(payload, POINTERS)?;
        let v = Envelope::of(values);
        let [id_h, ts_h, _] = header_set(req)?;
        let id = req.required(id_h)?.to_owned();
        let header_time = req
            .required(ts_h)
            .ok()
            .and_then(|t| parse_unix_seconds(t, ts_h).ok())
            .map(|s| rfc3339_from_ms(s.saturating_mul(1000)));
        let kind = v.kind.text();
        let raw = raw_checked(text);
        Ok(Accepted {
            raw_forward: None,
            draft: Draft {
                id: Some(id.clone()),
                time: rfc3339_at(&[&v.timestamp]).or(header_time),
                data: payment_data(&v, kind, raw),
                subject: Subject::Payment,
            },
            ack: ok_ack(&id),
        })
    }

    fn tolerance_s(&self) -> u64 {
        self.tolerance_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_with_or_without_prefix() {
        let k = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key");
        assert_eq!(k.len(), 24);
        assert_eq!(decode_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Some(k));
        assert_eq!(decode_secret("whsec_"), None);
        assert_eq!(decode_secret("whsec_not base64!"), None);
        assert_eq!(decode_secret("It's a secret"), None);
    }

    #[test]
    fn signature_list_keeps_v1_only() {
        let (sigs, bad) = v1_signatures(
            "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== \
             v2,aGk= v1,aGk=  junk v1,%%% v1,",
        );
        assert_eq!(sigs, vec![b"hi".to_vec(), Vec::new()]);
        assert_eq!(bad, 1);
        assert_eq!(
            v1_signatures("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
            (vec![], 0)
        );
    }
}
