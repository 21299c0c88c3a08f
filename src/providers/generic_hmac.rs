//! Any HMAC-signed sender, described by the route's `scheme` object instead of code.
//!
//! The scheme names the signature header, its digest (`sha256`, `sha512`, `sha1`) and wire
//! encoding (`hex`, `base64`), an optional prefix (`sha256=`), the signed content as a
//! template over `{body}`, `{timestamp}` and `{id}`, where the timestamp and id come from
//! (headers or `k=v` parameters of the signature header, as in
//! `Paddle-Signature: ts=...;h1=...`), and how the secret is encoded. That covers GitHub,
//! Shopify, Paddle Billing and most senders that sign with a shared secret. A configured
//! timestamp must be signed (the template must use it) and is checked against the route
//! tolerance. Acks with 200. The body is mapped with the Standard Webhooks conventions
//! (`type`, `data`), best effort; non-JSON bodies pass through with an unknown status.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{
    raw_checked, raw_json, rfc3339_from_ms, stable_id, Draft, PaymentData, Subject,
};
use crate::providers::convention::{payment_data, rfc3339_at, Envelope, POINTERS};
use crate::providers::{ok_ack, Accepted, Auth, Check, Provider, SignInput, Signed};
use crate::request::Request;
use crate::verify::header_params;
use crate::verify::{decode_b64, Algorithm, CryptoBackend, Encoding, MacCheck};

const NAME: &str = "generic-hmac";
const PLACEHOLDERS: &str = "{body}, {timestamp}, {id}";

/// The `scheme` object as written in the route (all optional here so each field can be
/// read alone and its error located; `header` is checked afterwards).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemeSpec {
    #[serde(default)]
    header: Option<String>,
    #[serde(default)]
    algorithm: Option<HashName>,
    #[serde(default)]
    encoding: Option<Encoding>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    timestamp_header: Option<String>,
    #[serde(default)]
    timestamp_unit: Option<TimeUnit>,
    #[serde(default)]
    id_header: Option<String>,
    #[serde(default)]
    event_header: Option<String>,
    #[serde(default)]
    secret_encoding: Option<SecretEncoding>,
    #[serde(default)]
    params: Option<Value>,
    #[serde(default)]
    signature_separator: Option<String>,
}

/// `scheme.params`: the signature header is a `k=v` list.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsSpec {
    #[serde(default)]
    separator: Option<String>,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum HashName {
    #[serde(alias = "sha-256", alias = "hmac-sha256")]
    Sha256,
    #[serde(alias = "sha-512", alias = "hmac-sha512")]
    Sha512,
    #[serde(alias = "sha-1", alias = "hmac-sha1")]
    Sha1,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum TimeUnit {
    #[default]
    #[serde(alias = "seconds")]
    S,
    #[serde(alias = "milliseconds")]
    Ms,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SecretEncoding {
    #[default]
    #[serde(alias = "utf-8")]
    Utf8,
    Base64,
    Hex,
}

/// One piece of the signed-content template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Lit(String),
    Body,
    Timestamp,
    Id,
}

#[derive(Debug, Clone)]
struct Params {
    separator: char,
    signature: String,
    timestamp: Option<String>,
}

/// The validated scheme. Header names are interned (`&'static`) because rejections and
/// header lookups name headers statically.
#[derive(Debug, Clone)]
struct Scheme {
    header: &'static str,
    algorithm: Algorithm,
    encoding: Encoding,
    prefix: Option<String>,
    template: Vec<Piece>,
    template_text: String,
    timestamp_header: Option<&'static str>,
    unit: TimeUnit,
    id_header: Option<&'static str>,
    event_header: Option<&'static str>,
    params: Option<Params>,
    signature_separator: Option<String>,
}

/// A configured generic-hmac route.
pub struct GenericHmac {
    scheme: Scheme,
    keys: Vec<Vec<u8>>,
    tolerance_s: u64,
}

impl std::fmt::Debug for GenericHmac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "GenericHmac {{ scheme: {:?}, keys: {}, secrets: [redacted] }}",
            self.scheme,
            self.keys.len()
        )
    }
}

/// Builds the route: parses and validates `scheme`, then decodes each secret with
/// `scheme.secret_encoding`.
pub fn configure(spec: &RouteSpec, secrets: &Secrets) -> Result<Box<dyn Provider>, ConfigError> {
    let at = secrets.at("scheme");
    let value = spec.scheme.as_ref().ok_or_else(|| {
        ConfigError::new(
            &at,
            r#"generic-hmac needs a scheme object, at least {"header": "<signature header>"}"#,
        )
    })?;
    let (scheme, secret_encoding) = parse_scheme(value, &at)?;
    let requirement = format!(
        "is not valid {} (scheme.secret_encoding)",
        match secret_encoding {
            SecretEncoding::Utf8 => "text",
            SecretEncoding::Base64 => "base64",
            SecretEncoding::Hex => "hex",
        }
    );
    let keys =
        secrets.resolve_keys("secrets", &spec.secrets, "secret #", &requirement, |line| {
            match secret_encoding {
                SecretEncoding::Utf8 => Some(line.as_bytes().to_vec()),
                SecretEncoding::Base64 => decode_b64(line),
                SecretEncoding::Hex => hex::decode(line.trim()).ok(),
            }
            .filter(|k| !k.is_empty())
        })?;
    Ok(Box::new(GenericHmac {
        scheme,
        keys,
        tolerance_s: spec.tolerance(),
    }))
}

/// Deserializes `T` from a JSON object with errors located at `at.<field>`: each field is
/// first read alone (serde's own message does not say which field held a bad value).
fn located<T: DeserializeOwned>(v: &Value, at: &str) -> Result<T, ConfigError> {
    let obj = v
        .as_object()
        .ok_or_else(|| ConfigError::new(at, "must be a JSON object"))?;
    for (k, val) in obj {
        // insert, not `Map::from_iter`: collecting a BTreeMap links a stable sort for it.
        let mut one = Map::new();
        one.insert(k.clone(), val.clone());
        serde_json::from_value::<T>(Value::Object(one))
            .map_err(|e| ConfigError::new(format!("{at}.{k}"), e.to_string()))?;
    }
    serde_json::from_value(v.clone()).map_err(|e| ConfigError::new(at, e.to_string()))
}

fn parse_scheme(v: &Value, at: &str) -> Result<(Scheme, SecretEncoding), ConfigError> {
    let s: SchemeSpec = located(v, at)?;
    let field = |f: &str| format!("{at}.{f}");
    let header_name =
        |f: &str, name: Option<String>| -> Result<Option<&'static str>, ConfigError> {
            match name {
                None => Ok(None),
                Some(n) if is_token(&n) => Ok(Some(intern(&n))),
                Some(_) => Err(ConfigError::new(
                    field(f),
                    "must be an HTTP header name (letters, digits, - and _)",
                )),
            }
        };
    let header = header_name("header", s.header)?.ok_or_else(|| {
        ConfigError::new(
            field("header"),
            "is required: the name of the header carrying the signature",
        )
    })?;
    let timestamp_header = header_name("timestamp_header", s.timestamp_header)?;
    let id_header = header_name("id_header", s.id_header)?;
    let event_header = header_name("event_header", s.event_header)?;
    if s.prefix.as_deref() == Some("") {
        return Err(ConfigError::new(
            field("prefix"),
            "must not be empty (omit it)",
        ));
    }
    let params = match &s.params {
        None => None,
        Some(p) => Some(parse_params(p, &field("params"))?),
    };
    if let Some(sep) = &s.signature_separator {
        if params.is_some() {
            return Err(ConfigError::new(
                field("signature_separator"),
                "cannot be combined with params (use params.signature, which may repeat)",
            ));
        }
        if sep.is_empty() {
            return Err(ConfigError::new(
                field("signature_separator"),
                "must not be empty",
            ));
        }
    }
    let param_ts = params.as_ref().is_some_and(|p| p.timestamp.is_some());
    if timestamp_header.is_some() && param_ts {
        return Err(ConfigError::new(
            field("timestamp_header"),
            "conflicts with params.timestamp: the timestamp comes from one place",
        ));
    }
    let has_ts = timestamp_header.is_some() || param_ts;
    if s.timestamp_unit.is_some() && !has_ts {
        return Err(ConfigError::new(
            field("timestamp_unit"),
            "needs timestamp_header or params.timestamp",
        ));
    }
    let template_text = s.template.unwrap_or_else(|| "{body}".to_owned());
    let template =
        parse_template(&template_text).map_err(|e| ConfigError::new(field("template"), e))?;
    let uses = |p: &Piece| template.contains(p);
    if uses(&Piece::Timestamp) && !has_ts {
        return Err(ConfigError::new(
            field("template"),
            "uses {timestamp} but neither timestamp_header nor params.timestamp is configured",
        ));
    }
    if has_ts && !uses(&Piece::Timestamp) {
        // Checking the age of a timestamp the signature does not cover stops no replay.
        return Err(ConfigError::new(
            field("template"),
            "a timestamp is configured but the template does not sign it (add {timestamp})",
        ));
    }
    if uses(&Piece::Id) && id_header.is_none() {
        return Err(ConfigError::new(
            field("template"),
            "uses {id} but no id_header is configured",
        ));
    }
    let scheme = Scheme {
        header,
        algorithm: match s.algorithm.unwrap_or(HashName::Sha256) {
            HashName::Sha256 => Algorithm::HmacSha256,
            HashName::Sha512 => Algorithm::HmacSha512,
            HashName::Sha1 => Algorithm::HmacSha1,
        },
        encoding: s.encoding.unwrap_or(Encoding::Hex),
        prefix: s.prefix,
        template,
        template_text,
        timestamp_header,
        unit: s.timestamp_unit.unwrap_or_default(),
        id_header,
        event_header,
        params,
        signature_separator: s.signature_separator,
    };
    Ok((scheme, s.secret_encoding.unwrap_or_default()))
}

fn parse_params(v: &Value, at: &str) -> Result<Params, ConfigError> {
    let p: ParamsSpec = located(v, at)?;
    let separator = match p.separator.as_deref() {
        Some(";") => ';',
        Some(",") => ',',
        Some(_) => {
            return Err(ConfigError::new(
                format!("{at}.separator"),
                r#"must be ";" or ",""#,
            ))
        }
        None => {
            return Err(ConfigError::new(
                format!("{at}.separator"),
                r#"is required: ";" or ",""#,
            ))
        }
    };
    let key = |f: &str, k: Option<String>| -> Result<Option<String>, ConfigError> {
        match k {
            Some(k) if k.is_empty() || k.contains(['=', ';', ',', ' ']) => Err(ConfigError::new(
                format!("{at}.{f}"),
                "must be a non-empty key without =, ;, , or spaces",
            )),
            k => Ok(k),
        }
    };
    let signature = key("signature", p.signature)?.ok_or_else(|| {
        ConfigError::new(
            format!("{at}.signature"),
            "is required: the key of the signature item (e.g. h1)",
        )
    })?;
    let timestamp = key("timestamp", p.timestamp)?;
    if timestamp.as_deref() == Some(signature.as_str()) {
        return Err(ConfigError::new(
            format!("{at}.timestamp"),
            "must differ from params.signature",
        ));
    }
    Ok(Params {
        separator,
        signature,
        timestamp,
    })
}

/// Splits a template into literal text and placeholders; `{body}` must appear exactly once.
fn parse_template(t: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let (lit, tail) = rest.split_at(open);
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit.to_owned()));
        }
        let close = tail
            .find('}')
            .ok_or_else(|| format!("unclosed {{ (placeholders: {PLACEHOLDERS})"))?;
        let name = tail.get(1..close).unwrap_or_default();
        pieces.push(match name {
            "body" => Piece::Body,
            "timestamp" => Piece::Timestamp,
            "id" => Piece::Id,
            other => {
                return Err(format!(
                    "unknown placeholder {{{other}}} (placeholders: {PLACEHOLDERS})"
                ))
            }
        });
        rest = tail.get(close + 1..).unwrap_or_default();
    }
    if !rest.is_empty() {
        pieces.push(Piece::Lit(rest.to_owned()));
    }
    match pieces.iter().filter(|p| **p == Piece::Body).count() {
        1 => Ok(pieces),
        0 => Err(
            "must contain {body}: a signature that does not cover the body proves nothing about it"
                .into(),
        ),
        _ => Err("must contain {body} exactly once".into()),
    }
}

/// RFC 9110 token characters (header names).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A `&'static` copy of a configured header name, leaked once per distinct name (the set of
/// names is the configuration's, so this stays bounded).
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut names = match NAMES.get_or_init(Default::default).lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(leaked);
    leaked
}

fn output_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HmacSha512 => 64,
        Algorithm::HmacSha1 | Algorithm::Sha1 => 20,
        Algorithm::HmacSha256 => 32,
    }
}

impl GenericHmac {
    /// The signed timestamp as sent (for the content) and as Unix seconds (for the
    /// tolerance), when the scheme has one.
    fn timestamp<'a>(&self, req: &'a Request) -> Result<Option<(&'a str, i64)>, Rejection> {
        let s = &self.scheme;
        let (text, from) = match (&s.params, s.timestamp_header) {
            (
                Some(Params {
                    separator,
                    timestamp: Some(key),
                    ..
                }),
                _,
            ) => {
                let value = req.required(s.header)?;
                let text = header_params::single(value, *separator, key)
                    .map_err(|_| {
                        Rejection::MalformedHeader(
                            s.header,
                            "the timestamp item appears more than once",
                        )
                    })?
                    .ok_or(Rejection::MalformedHeader(
                        s.header,
                        "the timestamp item is missing",
                    ))?;
                (text, s.header)
            }
            (_, Some(h)) => (req.required(h)?, h),
            _ => return Ok(None),
        };
        let (max_digits, why) = match s.unit {
            TimeUnit::S => (12, "timestamp must be Unix seconds"),
            TimeUnit::Ms => (15, "timestamp must be Unix milliseconds"),
        };
        if text.is_empty() || text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Rejection::MalformedHeader(from, why));
        }
        let n: i64 = text
            .parse()
            .map_err(|_| Rejection::MalformedHeader(from, why))?;
        let secs = match s.unit {
            TimeUnit::S => n,
            TimeUnit::Ms => n.div_euclid(1000),
        };
        Ok(Some((text, secs)))
    }

    /// The received signatures as sent (prefix included), in order.
    fn raw_signatures<'a>(&'a self, value: &'a str) -> Result<Vec<&'a str>, Rejection> {
        let s = &self.scheme;
        Ok(match (&s.params, &s.signature_separator) {
            (Some(p), _) => {
                let sigs = header_params::values(value, p.separator, &p.signature);
                if sigs.is_empty() {
                    return Err(Rejection::MalformedSignature(
                        s.header,
                        "the signature item is missing",
                    ));
                }
                sigs
            }
            (None, Some(sep)) => value
                .split(sep.as_str())
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .collect(),
            (None, None) => vec![value],
        })
    }

    fn decode_signature(&self, sig: &str) -> Result<Vec<u8>, Rejection> {
        let s = &self.scheme;
        let sig = match &s.prefix {
            Some(p) => sig
                .strip_prefix(p.as_str())
                .ok_or(Rejection::MalformedSignature(
                    s.header,
                    "the configured prefix is missing",
                ))?,
            None => sig,
        };
        let bytes = s.encoding.decode(sig).ok_or(Rejection::MalformedSignature(
            s.header,
            match s.encoding {
                Encoding::Hex => "not hex",
                Encoding::Base64 => "not base64",
            },
        ))?;
        if bytes.len() != output_len(s.algorithm) {
            return Err(Rejection::MalformedSignature(
                s.header,
                "wrong length for the configured algorithm",
            ));
        }
        Ok(bytes)
    }

    /// A header's trimmed non-empty value, if present once.
    fn optional(req: &Request, name: Option<&'static str>) -> Option<String> {
        let v = req.single(name?).ok()??.trim();
        (!v.is_empty()).then(|| v.to_owned())
    }
}

impl Provider for GenericHmac {
    fn name(&self) -> &'static str {
        NAME
    }

    fn headers(&self) -> Vec<&'static str> {
        let s = &self.scheme;
        [
            Some(s.header),
            s.timestamp_header,
            s.id_header,
            s.event_header,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn media_types(&self) -> &'static [&'static str] {
        &[
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
        ]
    }

    fn authenticate<'a>(&'a self, req: &'a Request) -> Result<Auth<'a>, Rejection> {
        let s = &self.scheme;
        let value = req.required(s.header)?;
        let received = self
            .raw_signatures(value)?
            .into_iter()
            .map(|sig| self.decode_signature(sig))
            .collect::<Result<Vec<_>, _>>()?;
        let ts = self.timestamp(req)?;
        let id = match s.id_header {
            Some(h) if s.template.contains(&Piece::Id) => Some(req.required(h)?),
            _ => None,
        };
        let content = s
            .template
            .iter()
            .map(|p| match p {
                Piece::Lit(l) => Cow::Borrowed(l.as_bytes()),
                Piece::Body => Cow::Borrowed(req.body.as_slice()),
                Piece::Timestamp => Cow::Borrowed(ts.map(|t| t.0).unwrap_or_default().as_bytes()),
                Piece::Id => Cow::Borrowed(id.unwrap_or_default().as_bytes()),
            })
            .collect();
        let mut parsed = vec![
            (s.header.to_owned(), value.to_owned()),
            ("signed content".to_owned(), s.template_text.clone()),
            ("algorithm".to_owned(), s.algorithm.name().to_owned()),
        ];
        if let Some((text, _)) = ts {
            parsed.push(("timestamp".to_owned(), text.to_owned()));
        }
        if let (Some(h), Some(v)) = (s.id_header, id) {
            parsed.push((h.to_owned(), v.to_owned()));
        }
        Ok(Auth {
            check: Check::Mac(MacCheck {
                algorithm: s.algorithm,
                content,
                append_key: false,
                keys: self.keys.iter().map(Vec::as_slice).collect(),
                received,
            }),
            signed_at: ts.map(|t| t.1),
            key_labels: (1..=self.keys.len())
                .map(|i| format!("secret #{i}"))
                .collect(),
            parsed,
        })
    }

    fn sign(&self, input: &SignInput<'_>, crypto: &dyn CryptoBackend) -> Result<Signed, Rejection> {
        let s = &self.scheme;
        let key = self
            .keys
            .first()
            .ok_or_else(|| Rejection::ConfigInvalid("no secret configured".into()))?;
        let ts = match s.unit {
            TimeUnit::S => input.now_s.to_string(),
            TimeUnit::Ms => input.now_s.saturating_mul(1000).to_string(),
        };
        let id = hex::encode(input.nonce);
        let parts: Vec<&[u8]> = s
            .template
            .iter()
            .map(|p| match p {
                Piece::Lit(l) => l.as_bytes(),
                Piece::Body => input.payload,
                Piece::Timestamp => ts.as_bytes(),
                Piece::Id => id.as_bytes(),
            })
            .collect();
        let mac = crypto.mac(s.algorithm, key, &parts);
        let sig = format!(
            "{}{}",
            s.prefix.as_deref().unwrap_or_default(),
            s.encoding.encode(&mac)
        );
        let value = match &s.params {
            Some(Params {
                separator,
                signature,
                timestamp: Some(t),
            }) => format!("{t}={ts}{separator}{signature}={sig}"),
            Some(p) => format!("{}={sig}", p.signature),
            None => sig,
        };
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            (s.header.to_owned(), value),
        ];
        if let Some(h) = s.timestamp_header {
            headers.push((h.to_owned(), ts));
        }
        if let Some(h) = s.id_header {
            headers.push((h.to_owned(), id));
        }
        Ok(Signed {
            headers,
            body: input.payload.to_vec(),
        })
    }

    fn accept(&self, payload: &[u8], req: &Request) -> Result<Accepted, Rejection> {
        let s = &self.scheme;
        // Form and text bodies pass through; JSON must be unambiguous (no key twice).
        let json = crate::json::pick_if_json(payload, POINTERS)?;
        let is_json = json.is_some();
        let v = json.map_or_else(Envelope::default, |(_, values)| Envelope::of(values));
        // The template can sign the id header; nothing signs the event header. What the
        // signature does not cover travels as `data.unverified`, and nothing is derived
        // from it: the id then comes from the signed body (its event id, or a stable hash
        // of it, so a captured body replayed with a fresh id header is the same event) and
        // the type from the body or nowhere (`unknown`).
        let id_signed = s.template.contains(&Piece::Id);
        let header_id = Self::optional(req, s.id_header);
        let header_kind = Self::optional(req, s.event_header);
        // Body fields naming the event type, in order of preference (Paddle: `event_type`).
        let kind = [&v.event_type, &v.kind, &v.event]
            .iter()
            .find_map(|f| f.text());
        // A body `id` is the event's only in an event envelope; in a resource payload
        // (a Shopify order) it names the resource, shared by all its events.
        let body_id = v
            .event_id
            .text()
            .or_else(|| kind.is_some().then(|| v.id.text()).flatten());
        let id = header_id
            .as_ref()
            .filter(|_| id_signed)
            .cloned()
            .or(body_id)
            .unwrap_or_else(|| stable_id(NAME, payload));
        let mut unverified = std::collections::BTreeMap::new();
        if let (Some(h), Some(v)) = (s.id_header, header_id.filter(|_| !id_signed)) {
            unverified.insert(h.to_ascii_lowercase(), v);
        }
        if let (Some(h), Some(v)) = (s.event_header, header_kind) {
            unverified.insert(h.to_ascii_lowercase(), v);
        }
        let signed_time = self
            .timestamp(req)
            .ok()
            .flatten()
            .map(|(_, secs)| rfc3339_from_ms(secs.saturating_mul(1000)));
        let text = String::from_utf8_lossy(payload);
        let raw = if is_json {
            raw_checked(&text)
        } else {
            raw_json(&text)
        };
        Ok(Accepted {
            raw_forward: None,
            draft: Draft {
                id: Some(id.clone()),
                // Paddle: `occurred_at`.
                time: rfc3339_at(&[&v.occurred_at, &v.timestamp, &v.time]).or(signed_time),
                data: PaymentData {
                    unverified: (!unverified.is_empty()).then_some(unverified),
                    ..payment_data(&v, kind, raw)
                },
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

    fn scheme(v: &str) -> Result<Scheme, ConfigError> {
        let value: Value = serde_json::from_str(v).expect("json");
        parse_scheme(&value, "routes[0].scheme").map(|(s, _)| s)
    }

    fn err_at(v: &str) -> String {
        scheme(v).expect_err("must fail").at
    }

    fn github(template: &str) -> GenericHmac {
        let v: Value = serde_json::from_str(&format!(
            r#"{{"header":"X-Sig","id_header":"X-Id","event_header":"X-Event","template":"{template}"}}"#
        ))
        .expect("json");
        let (scheme, _) = parse_scheme(&v, "routes[0].scheme").expect("scheme");
        GenericHmac {
            scheme,
            keys: vec![b"k".to_vec()],
            tolerance_s: 300,
        }
    }

    /// Headers the template does not sign never become the id or the type: they travel as
    /// `unverified`. An id header the template signs is the id.
    #[test]
    fn unsigned_headers_are_kept_apart() {
        let req = Request::new("POST", "/h", 0)
            .header("X-Id", "delivery-1")
            .header("X-Event", "orders/paid");
        let body = br#"{"order":1}"#;
        let a = github("{body}").accept(body, &req).expect("accepted");
        let id = a.draft.id.expect("id");
        assert_eq!(id, stable_id(NAME, body));
        assert_eq!(a.draft.data.status, crate::event::Status::Unknown);
        let unverified = a.draft.data.unverified.expect("unverified");
        assert_eq!(
            unverified.get("x-id").map(String::as_str),
            Some("delivery-1")
        );
        assert_eq!(
            unverified.get("x-event").map(String::as_str),
            Some("orders/paid")
        );
        let signed = github("{id}.{body}").accept(body, &req).expect("accepted");
        assert_eq!(signed.draft.id.as_deref(), Some("delivery-1"));
        let unverified = signed.draft.data.unverified.expect("event header");
        assert!(!unverified.contains_key("x-id"));
    }

    #[test]
    fn templates() {
        assert_eq!(parse_template("{body}"), Ok(vec![Piece::Body]));
        assert_eq!(
            parse_template("{timestamp}:{body}"),
            Ok(vec![Piece::Timestamp, Piece::Lit(":".into()), Piece::Body])
        );
        assert_eq!(
            parse_template("v0:{id}.{body}!"),
            Ok(vec![
                Piece::Lit("v0:".into()),
                Piece::Id,
                Piece::Lit(".".into()),
                Piece::Body,
                Piece::Lit("!".into())
            ])
        );
        assert!(parse_template("{timestamp}").is_err());
        assert!(parse_template("{body}{body}").is_err());
        assert!(parse_template("{body").is_err());
        assert!(parse_template("{nope}{body}").is_err());
    }

    #[test]
    fn defaults_and_presets() {
        let s = scheme(r#"{"header":"X-Hub-Signature-256","prefix":"sha256="}"#).expect("ok");
        assert_eq!(s.algorithm, Algorithm::HmacSha256);
        assert_eq!(s.encoding, Encoding::Hex);
        assert_eq!(s.template, vec![Piece::Body]);
        let s = scheme(
            r#"{"header":"Paddle-Signature","template":"{timestamp}:{body}","params":{"separator":";","signature":"h1","timestamp":"ts"}}"#,
        )
        .expect("paddle");
        assert_eq!(s.params.map(|p| p.separator), Some(';'));
        assert_eq!(s.header, "Paddle-Signature");
        let s = scheme(
            r#"{"header":"X","algorithm":"hmac-sha512","template":"{timestamp}{body}","timestamp_header":"T","timestamp_unit":"milliseconds"}"#,
        )
        .expect("aliases");
        assert_eq!((s.algorithm, s.unit), (Algorithm::HmacSha512, TimeUnit::Ms));
    }

    #[test]
    fn config_errors_are_located() {
        assert_eq!(err_at(r#"{}"#), "routes[0].scheme.header");
        assert_eq!(err_at(r#"[]"#), "routes[0].scheme");
        assert_eq!(
            err_at(r#"{"header":"X","bogus":1}"#),
            "routes[0].scheme.bogus"
        );
        assert_eq!(
            err_at(r#"{"header":"X","algorithm":"md5"}"#),
            "routes[0].scheme.algorithm"
        );
        assert_eq!(
            err_at(r#"{"header":"X","encoding":"b32"}"#),
            "routes[0].scheme.encoding"
        );
        assert_eq!(err_at(r#"{"header":"X Y"}"#), "routes[0].scheme.header");
        assert_eq!(err_at(r#"{"header":7}"#), "routes[0].scheme.header");
        assert_eq!(
            err_at(r#"{"header":"X","prefix":""}"#),
            "routes[0].scheme.prefix"
        );
        assert_eq!(
            err_at(r#"{"header":"X","template":"{ts}{body}"}"#),
            "routes[0].scheme.template"
        );
        assert_eq!(
            err_at(r#"{"header":"X","template":"{timestamp}.{body}"}"#),
            "routes[0].scheme.template"
        );
        assert_eq!(
            err_at(r#"{"header":"X","timestamp_header":"T"}"#),
            "routes[0].scheme.template"
        );
        assert_eq!(
            err_at(r#"{"header":"X","template":"{id}.{body}"}"#),
            "routes[0].scheme.template"
        );
        assert_eq!(
            err_at(r#"{"header":"X","timestamp_unit":"ms"}"#),
            "routes[0].scheme.timestamp_unit"
        );
        assert_eq!(
            err_at(r#"{"header":"X","timestamp_unit":"us"}"#),
            "routes[0].scheme.timestamp_unit"
        );
        assert_eq!(
            err_at(r#"{"header":"X","secret_encoding":"latin1"}"#),
            "routes[0].scheme.secret_encoding"
        );
        assert_eq!(
            err_at(r#"{"header":"X","params":{"separator":"|","signature":"h1"}}"#),
            "routes[0].scheme.params.separator"
        );
        assert_eq!(
            err_at(r#"{"header":"X","params":{"separator":";"}}"#),
            "routes[0].scheme.params.signature"
        );
        assert_eq!(
            err_at(r#"{"header":"X","params":{"separator":";","signature":"h1","extra":1}}"#),
            "routes[0].scheme.params.extra"
        );
        assert_eq!(
            err_at(
                r#"{"header":"X","params":{"separator":";","signature":"h1"},"signature_separator":","}"#
            ),
            "routes[0].scheme.signature_separator"
        );
        assert_eq!(
            err_at(
                r#"{"header":"X","template":"{timestamp}{body}","timestamp_header":"T","params":{"separator":";","signature":"h1","timestamp":"ts"}}"#
            ),
            "routes[0].scheme.timestamp_header"
        );
    }

    /// Regression (issue 8): `accept` parsed JSON leniently, so a validly signed body with
    /// a key twice was forwarded and the origin could read the other copy.
    #[test]
    fn signed_json_with_a_duplicate_key_is_refused_non_json_passes() {
        use crate::verify::RustCrypto;
        let routes = r#"[{"path":"/g","provider":"generic-hmac","secrets":["S"],"origin":"/o","scheme":{"header":"X-Sig"}}]"#;
        let lookup = |_: &str| Some("k".to_owned());
        let gw = crate::Gateway::from_config(routes, &lookup).expect("config");
        let send = |body: &[u8], media: &str| {
            let sig = hex::encode(RustCrypto.mac(Algorithm::HmacSha256, b"k", &[body]));
            let req = Request::new("POST", "/g", 0)
                .header("content-type", media)
                .header("X-Sig", &sig)
                .body(body.to_vec());
            gw.handle(&req, &RustCrypto)
        };
        let dup = send(
            br#"{"type":"payment.succeeded","type":"payment.failed"}"#,
            "application/json",
        );
        assert_eq!(dup.outcome(), "malformed_body");
        assert_eq!(dup.reply().status, 400);
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(
            send(deep.as_bytes(), "application/json").outcome(),
            "malformed_body"
        );
        assert_eq!(
            send(b"Hello, World!", "application/json").outcome(),
            "accepted"
        );
        assert_eq!(
            send(b"a=1&a=2", "application/x-www-form-urlencoded").outcome(),
            "accepted"
        );
        assert_eq!(
            send(br#"{"type":"payment.succeeded"}"#, "application/json").outcome(),
            "accepted"
        );
    }

    #[test]
    fn interned_names_are_shared() {
        let a = intern("X-Interned-Test");
        let b = intern("X-Interned-Test");
        assert!(std::ptr::eq(a, b));
    }
}
