//! Lyra form API V2 IPN (`vads_*` fields; PayZen, Systempay, Sogecommerce, Lyra Collect).
//!
//! The signature covers the values of every received `vads_` field, sorted by field name,
//! joined with `+`, followed by `+` and the key: base64 HMAC-SHA-256 keyed with the same key
//! (default) or, on shops still configured for it, hex SHA-1 of the string (route option
//! `signature: "sha1"`). A shop has a TEST and a PRODUCTION key; `vads_ctx_mode` says which
//! one signed, so key lines may be tagged `TEST:`/`PRODUCTION:`. Acked with `200 OK` text.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{content_id, normalize_time, raw_from, Draft, PaymentData, Subject};
use crate::money::alpha_from_numeric;
use crate::providers::form::{self, clip, single};
use crate::providers::lyra_statuses::map_status;
use crate::providers::{Accepted, Auth, Check, Provider, Reply, SignInput, Signed};
use crate::request::Request;
use crate::verify::{decode_b64, Algorithm, CryptoBackend, Encoding, MacCheck};

const SIGNATURE: &str = "signature";
const CTX_MODE: &str = "vads_ctx_mode";
const PREFIX: &str = "vads_";
const FORM: &str = "application/x-www-form-urlencoded";
/// Fields the mapping reads, required under these names: the signature covers the values
/// but not the names, so a renamed field keeps a valid signature (`vads_trans_uuid` renamed
/// to a name of the same sort position) and would silently change the event.
const REQUIRED: [&str; 6] = [
    "vads_trans_uuid",
    "vads_trans_status",
    "vads_operation_type",
    "vads_amount",
    "vads_currency",
    CTX_MODE,
];
/// Signed fields that differ between deliveries of one notification (`RETRY` on a replay
/// of a failed IPN, the notification's own key), left out of the event id.
const PER_DELIVERY: [&str; 2] = ["vads_url_check_src", "vads_hash"];

/// The shop context a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Test,
    Production,
}

impl Mode {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "TEST" => Some(Self::Test),
            "PRODUCTION" => Some(Self::Production),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Test => "TEST",
            Self::Production => "PRODUCTION",
        }
    }
}

/// A configured Lyra form route.
pub struct LyraForm {
    /// Keys and the mode each is bound to (`None`: any mode).
    keys: Vec<(Option<Mode>, String)>,
    algorithm: Algorithm,
    encoding: Encoding,
}

impl std::fmt::Debug for LyraForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let modes: Vec<&str> = self
            .keys
            .iter()
            .map(|(m, _)| m.map_or("any", Mode::name))
            .collect();
        write!(
            f,
            "LyraForm {{ key_modes: {modes:?}, keys: [redacted], algorithm: {} }}",
            self.algorithm.name()
        )
    }
}

/// Builds the route from key lines (`KEY`, `TEST:KEY` or `PRODUCTION:KEY`) and the
/// `signature` option.
pub fn configure(spec: &RouteSpec, secrets: &Secrets) -> Result<Box<dyn Provider>, ConfigError> {
    let mut keys = Vec::new();
    for line in secrets.resolve("secrets", &spec.secrets, true)? {
        let (mode, key) = match line.split_once(':') {
            Some((m, k)) if Mode::parse(m.trim()).is_some() => {
                (Mode::parse(m.trim()), k.trim().to_owned())
            }
            _ => (None, line),
        };
        if key.is_empty() {
            return Err(ConfigError::new(
                secrets.at("secrets"),
                "a Lyra key line is TEST:KEY, PRODUCTION:KEY or KEY; the key is empty",
            ));
        }
        keys.push((mode, key));
    }
    let (algorithm, encoding) = match spec.signature.as_deref() {
        None | Some("hmac-sha256") => (Algorithm::HmacSha256, Encoding::Base64),
        Some("sha1") => (Algorithm::Sha1, Encoding::Hex),
        Some(other) => {
            return Err(ConfigError::new(
                secrets.at("signature"),
                format!(
                    "must be \"hmac-sha256\" (default) or \"sha1\" (deprecated), not {other:?}"
                ),
            ))
        }
    };
    Ok(Box::new(LyraForm {
        keys,
        algorithm,
        encoding,
    }))
}

/// The `vads_` fields sorted by name (byte order); a repeated one is ambiguous.
fn vads_fields<'f>(
    fields: &'f [(Cow<'_, str>, Cow<'_, str>)],
) -> Result<BTreeMap<&'f str, &'f str>, Rejection> {
    let mut out = BTreeMap::new();
    for (k, v) in fields {
        if k.starts_with(PREFIX) && out.insert(k.as_ref(), v.as_ref()).is_some() {
            return Err(Rejection::AmbiguousField(clip(k).to_owned()));
        }
    }
    Ok(out)
}

/// Whether a received field name is covered by the signature (its value is), or is the
/// signature; a folded name in that namespace read from any other field is refused.
fn signed_name(name: &str) -> bool {
    name.starts_with(PREFIX) || name == SIGNATURE
}

/// `value+value+...+value+`: the signed string before the key, built in one allocation of
/// its final size. One piece rather than one per value: in the Workers build each piece
/// of a MAC sent to WebCrypto is its own copy across the JS boundary.
fn signed_content(vads: &BTreeMap<&str, &str>) -> String {
    let len = vads.values().map(|v| v.len() + 1).sum();
    let mut s = String::with_capacity(len);
    for v in vads.values() {
        s.push_str(v);
        s.push('+');
    }
    s
}

fn ctx_mode(vads: &BTreeMap<&str, &str>) -> Result<Mode, Rejection> {
    let raw = vads
        .get(CTX_MODE)
        .ok_or_else(|| Rejection::MalformedBody("missing form field vads_ctx_mode".into()))?;
    Mode::parse(raw.trim()).ok_or_else(|| {
        Rejection::MalformedBody(format!(
            "vads_ctx_mode {:?} is not TEST or PRODUCTION",
            clip(raw)
        ))
    })
}

impl LyraForm {
    fn keys_for(&self, mode: Mode) -> impl Iterator<Item = (usize, &(Option<Mode>, String))> {
        self.keys
            .iter()
            .enumerate()
            .filter(move |(_, (m, _))| m.is_none_or(|m| m == mode))
    }

    fn decode_signature(&self, sig: &str) -> Option<Vec<u8>> {
        let (decoded, len) = match self.encoding {
            // A `+` the sender forgot to percent-encode arrives as a space.
            Encoding::Base64 => (
                decode_b64(sig).or_else(|| decode_b64(&sig.replace(' ', "+"))),
                32,
            ),
            Encoding::Hex => (Encoding::Hex.decode(sig), 20),
        };
        decoded.filter(|d| d.len() == len)
    }
}

impl Provider for LyraForm {
    fn name(&self) -> &'static str {
        "lyra-form"
    }

    fn headers(&self) -> Vec<&'static str> {
        Vec::new()
    }

    fn media_types(&self) -> &'static [&'static str] {
        &[FORM]
    }

    fn authenticate<'a>(&'a self, req: &'a Request) -> Result<Auth<'a>, Rejection> {
        let fields = form::fields(&req.body);
        form::refuse_collisions(&fields, signed_name, signed_name)?;
        let sig = single(&fields, SIGNATURE)?
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(Rejection::MissingField(SIGNATURE))?;
        let vads = vads_fields(&fields)?;
        let mode = ctx_mode(&vads)?;
        let received = self
            .decode_signature(sig)
            .ok_or(Rejection::MalformedSignature(
                SIGNATURE,
                match self.encoding {
                    Encoding::Base64 => "must be base64 of 32 bytes (HMAC-SHA-256)",
                    Encoding::Hex => "must be 40 hex digits (SHA-1)",
                },
            ))?;
        let (labels, keys): (Vec<String>, Vec<&[u8]>) = self
            .keys_for(mode)
            .map(|(i, (m, k))| {
                (
                    format!("{} key {}", m.map_or("any-mode", Mode::name), i + 1),
                    k.as_bytes(),
                )
            })
            .unzip();
        if keys.is_empty() {
            return Err(Rejection::UnknownKeyId);
        }
        let names: Vec<&str> = vads.keys().copied().collect();
        let parsed = vec![
            (CTX_MODE.to_owned(), mode.name().to_owned()),
            ("signed fields (sorted)".to_owned(), names.join(", ")),
            (
                SIGNATURE.to_owned(),
                format!("{sig} ({} of content+key)", self.algorithm.name()),
            ),
        ];
        Ok(Auth {
            key_labels: labels,
            check: Check::Mac(MacCheck {
                algorithm: self.algorithm,
                content: vec![Cow::Owned(signed_content(&vads).into_bytes())],
                append_key: true,
                keys,
                received: vec![received],
            }),
            signed_at: None,
            parsed,
        })
    }

    fn sign(&self, input: &SignInput<'_>, crypto: &dyn CryptoBackend) -> Result<Signed, Rejection> {
        let fields = form::fields(input.payload);
        if single(&fields, SIGNATURE)?.is_some() {
            return Err(Rejection::MalformedBody(
                "the payload to sign must not carry a signature field".into(),
            ));
        }
        let vads = vads_fields(&fields)?;
        let mode = ctx_mode(&vads)?;
        let (_, (_, key)) = self.keys_for(mode).next().ok_or(Rejection::UnknownKeyId)?;
        let content = signed_content(&vads);
        let mac = crypto.mac(
            self.algorithm,
            key.as_bytes(),
            &[content.as_bytes(), key.as_bytes()],
        );
        let mut body = input.payload.to_vec();
        if !body.is_empty() && !body.ends_with(b"&") {
            body.push(b'&');
        }
        let pair = form_urlencoded::Serializer::new(String::new())
            .append_pair(SIGNATURE, &self.encoding.encode(&mac))
            .finish();
        body.extend_from_slice(pair.as_bytes());
        Ok(Signed {
            headers: vec![("content-type".into(), FORM.into())],
            body,
        })
    }

    fn accept(&self, payload: &[u8], _req: &Request) -> Result<Accepted, Rejection> {
        let fields = form::fields(payload);
        // Only the signed fields: an unsigned one shapes neither the event nor a forward.
        let vads = vads_fields(&fields)?;
        let signature = single(&fields, SIGNATURE)?.unwrap_or_default();
        for name in REQUIRED {
            if !vads.contains_key(name) {
                return Err(Rejection::MalformedBody(format!(
                    "missing signed field {name} (required: the event is built on it)"
                )));
            }
        }
        let get = |name: &str| {
            vads.get(name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let status_text = get("vads_trans_status");
        let operation = get("vads_operation_type");
        let status = map_status(
            None,
            None,
            status_text.as_deref(),
            operation.as_deref() == Some("CREDIT"),
        );
        let uuid = get("vads_trans_uuid").ok_or_else(|| {
            Rejection::MalformedBody("signed field vads_trans_uuid is empty".into())
        })?;
        // The transaction and a digest of its signed fields (names and values, as a JSON
        // object: unambiguous whatever the values hold) but for the per-delivery ones: a retry
        // is the same event, any other change a new one.
        let stable: BTreeMap<&str, &str> = vads
            .iter()
            .filter(|(k, _)| !PER_DELIVERY.contains(k))
            .map(|(k, v)| (*k, *v))
            .collect();
        let id = content_id(
            &uuid,
            serde_json::to_string(&stable)
                .unwrap_or_default()
                .as_bytes(),
        );
        let amount_minor = get("vads_amount")
            .filter(|a| a.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|a| a.parse::<i64>().ok());
        let provider_event_type = match (&operation, &status_text) {
            (Some(o), Some(s)) => Some(format!("{o}/{s}")),
            _ => status_text.clone(),
        };
        let livemode = ctx_mode(&vads).ok().map(|m| m == Mode::Production);
        let mut raw = vads.clone();
        raw.insert(SIGNATURE, signature);
        // The raw forward: the verified fields in the order received, re-encoded.
        let forward = fields
            .iter()
            .filter(|(k, _)| signed_name(k))
            .map(|(k, v)| (k.as_ref(), v.as_ref()));
        let draft = Draft {
            id: Some(id),
            time: get("vads_effective_creation_date")
                .or_else(|| get("vads_trans_date"))
                .and_then(|t| normalize_time(&t)),
            data: PaymentData {
                livemode,
                unverified: None,
                payment_id: Some(uuid),
                merchant_reference: get("vads_order_id"),
                status,
                amount_minor,
                currency: get("vads_currency")
                    .and_then(|c| alpha_from_numeric(&c))
                    .map(str::to_owned),
                method: get("vads_card_brand").map(|b| b.to_ascii_lowercase()),
                provider_event_type,
                raw: raw_from(&raw),
            },
            subject: Subject::Payment,
        };
        Ok(Accepted {
            raw_forward: Some(form::rebuild(forward)),
            draft,
            ack: Reply::text(200, "OK"),
        })
    }

    fn tells_livemode(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_sorted_values_with_trailing_plus() {
        let f = form::fields(b"vads_b=2&signature=x&vads_a=1&other=9&vads_c=");
        let vads = vads_fields(&f).expect("fields");
        assert_eq!(signed_content(&vads), "1+2++");
        let dup = form::fields(b"vads_a=1&vads_a=2");
        assert!(matches!(
            vads_fields(&dup),
            Err(Rejection::AmbiguousField(_))
        ));
    }

    #[test]
    fn sorting_is_by_bytes() {
        // `_` (0x5F) sorts after upper case and before lower case letters.
        let f = form::fields(b"vads_ab=2&vads_a_b=1&vads_aB=0");
        let vads = vads_fields(&f).expect("fields");
        assert_eq!(signed_content(&vads), "0+1+2+");
    }

    /// The mapping reads these by name; every one is signed by value only, so each must be
    /// there under its documented name, and the signed namespace is exactly `vads_*` plus
    /// the signature.
    #[test]
    fn required_fields_and_signed_names() {
        for name in REQUIRED {
            assert!(signed_name(name), "{name}");
        }
        assert!(signed_name("signature") && signed_name("vads_x"));
        assert!(!signed_name("vads.x") && !signed_name("VADS_X") && !signed_name("other"));
        assert!(PER_DELIVERY.iter().all(|f| !REQUIRED.contains(f)));
    }

    #[test]
    fn ctx_mode_is_required() {
        let f = form::fields(b"vads_ctx_mode=LIVE");
        assert!(ctx_mode(&vads_fields(&f).expect("f")).is_err());
        let f = form::fields(b"vads_amount=1");
        assert!(ctx_mode(&vads_fields(&f).expect("f")).is_err());
        let f = form::fields(b"vads_ctx_mode=PRODUCTION");
        assert_eq!(ctx_mode(&vads_fields(&f).expect("f")), Ok(Mode::Production));
    }
}
