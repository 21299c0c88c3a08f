//! The payload explainer behind the browser tester (`www/`): the gateway's own steps on one
//! request, each recorded, plus the most likely reason when it fails.
//!
//! It runs on the user's machine with the user's own secrets, so it may show what the gateway
//! never does: the signed content, the signature each key computes, the decrypted body. The
//! verdict is always the gateway's own ([`Gateway::handle`]); the steps mirror that pipeline
//! to say *where* and *why*. Inputs and outputs are JSON so the browser glue stays a thin
//! string-in/string-out layer and everything here is tested natively.
//!
//! Every entry point answers `{"ok":true,...}` or `{"ok":false,"error":{"code","message"}}`;
//! codes are the gateway's ([`Rejection::code`], `config_invalid`) plus `invalid_input` for a
//! malformed call to the tester itself.

use std::collections::BTreeMap;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::config::ConfigError;
use crate::error::Rejection;
use crate::event::rfc3339_from_ms;
use crate::forward;
use crate::gateway::{self, Decision, Gateway, Route};
use crate::providers::{Auth, Check, Reply, SignInput, REGISTRY};
use crate::request::Request;
use crate::verify::{self, decode_b64, CryptoBackend, DecryptCheck, MacCheck, RustCrypto};

/// Binding that holds the quick-mode secrets (one per line).
const SECRETS: &str = "SECRETS";
/// Binding that holds the quick-mode `hmac_secrets` (Lyra REST's HMAC-SHA-256 key).
const HMAC_SECRETS: &str = "HMAC_SECRETS";
/// Where quick-mode routes forward (the dev server's demo sink); only shown, never called.
const DEMO_ORIGIN: &str = "/__demo/origin";
/// SIBS wire headers, for [`decrypt_sibs_json`].
const SIBS_IV: &str = "X-Initialization-Vector";
const SIBS_TAG: &str = "X-Authentication-Tag";

/// A failed call: a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// `invalid_input`, `config_invalid` or a rejection code.
    pub code: &'static str,
    /// What is wrong, in plain words.
    pub message: String,
}

impl ApiError {
    fn input(message: impl Into<String>) -> Self {
        Self {
            code: "invalid_input",
            message: message.into(),
        }
    }
}

/// Serializes `{"ok":true, ...value}` or `{"ok":false,"error":...}`. Written as text, not
/// through `serde_json::Value`, so key order and raw JSON (the event's `data.raw`) stay
/// exactly as the gateway produces them.
fn answer<T: Serialize>(r: Result<T, ApiError>) -> String {
    let fail = |e: &ApiError| serde_json::json!({ "ok": false, "error": e }).to_string();
    match r {
        Err(e) => fail(&e),
        Ok(t) => match serde_json::to_string(&t) {
            Ok(s) if s.starts_with("{}") => r#"{"ok":true}"#.to_owned(),
            Ok(s) if s.starts_with('{') => format!(r#"{{"ok":true,{}"#, s.get(1..).unwrap_or("}")),
            Ok(s) => format!(r#"{{"ok":true,"value":{s}}}"#),
            Err(e) => fail(&ApiError::input(format!("cannot serialize: {e}"))),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------

/// One string (possibly several lines) or a list of them.
#[derive(Debug, Clone)]
enum Lines {
    One(String),
    Many(Vec<String>),
}

// `Lines` and `HeadersIn` are what `#[serde(untagged)]` would make of them, written over a
// `Value` (every input here is one already): the derive buffers through serde's private
// `Content` tree, several KB of wasm for two small enums. Same variants, same order, same
// error message.

/// The strings of a JSON array, if every element is one.
fn all_strings(a: Vec<Value>) -> Option<Vec<String>> {
    a.into_iter()
        .map(|v| match v {
            Value::String(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn untagged<E: serde::de::Error>(name: &str) -> E {
    E::custom(format_args!(
        "data did not match any variant of untagged enum {name}"
    ))
}

impl<'de> Deserialize<'de> for Lines {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Some(Self::One(s)),
            Value::Array(a) => all_strings(a).map(Self::Many),
            _ => None,
        }
        .ok_or_else(|| untagged("Lines"))
    }
}

impl Lines {
    fn joined(&self) -> String {
        match self {
            Self::One(s) => s.clone(),
            Self::Many(v) => v.join("\n"),
        }
    }
}

/// Headers as `[[name, value]]`, `{name: value}` or `"Name: value"` lines.
#[derive(Debug, Clone)]
enum HeadersIn {
    List(Vec<(String, String)>),
    Map(BTreeMap<String, String>),
    Text(String),
}

impl<'de> Deserialize<'de> for HeadersIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(a) => a
                .into_iter()
                .map(|pair| match pair {
                    Value::Array(p) => match <[String; 2]>::try_from(all_strings(p)?) {
                        Ok([k, v]) => Some((k, v)),
                        Err(_) => None,
                    },
                    _ => None,
                })
                .collect::<Option<_>>()
                .map(Self::List),
            Value::Object(m) => {
                let mut out = BTreeMap::new();
                for (k, v) in m {
                    match v {
                        Value::String(v) => out.insert(k, v),
                        _ => return Err(untagged("HeadersIn")),
                    };
                }
                Some(Self::Map(out))
            }
            Value::String(s) => Some(Self::Text(s)),
            _ => None,
        }
        .ok_or_else(|| untagged("HeadersIn"))
    }
}

/// The route part shared by `explain` and `sign`: a provider with secret values
/// ("quick mode"), or a pasted route config with its secret bindings.
#[derive(Debug, Clone, Default, Deserialize)]
struct ConfigIn {
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    secrets: Option<Lines>,
    #[serde(default)]
    hmac_secrets: Option<Lines>,
    #[serde(default)]
    options: Option<Map<String, Value>>,
    #[serde(default)]
    route: Option<Value>,
    #[serde(default)]
    bindings: BTreeMap<String, Lines>,
}

const CONFIG_KEYS: &[&str] = &[
    "provider",
    "secrets",
    "hmac_secrets",
    "options",
    "route",
    "bindings",
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestIn {
    #[serde(default)]
    raw: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    headers: Option<HeadersIn>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
}

fn parse_input(text: &str, own_keys: &[&str]) -> Result<Value, ApiError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::input(format!("input is not valid JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| ApiError::input("input must be a JSON object"))?;
    for k in obj.keys() {
        if !own_keys.contains(&k.as_str()) && !CONFIG_KEYS.contains(&k.as_str()) {
            let mut all: Vec<&str> = own_keys.to_vec();
            all.extend_from_slice(CONFIG_KEYS);
            return Err(ApiError::input(format!(
                "unknown field {k:?} (expected one of: {})",
                all.join(", ")
            )));
        }
    }
    Ok(v)
}

fn field<T: for<'de> Deserialize<'de> + Default>(v: &Value, key: &str) -> Result<T, ApiError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(x) => serde_json::from_value(x.clone())
            .map_err(|e| ApiError::input(format!("field {key}: {e}"))),
    }
}

fn config_in(v: &Value) -> Result<ConfigIn, ApiError> {
    serde_json::from_value(v.clone()).map_err(|e| ApiError::input(format!("route fields: {e}")))
}

/// A route config ready for [`Gateway::from_config`], with the secret values behind it.
#[derive(Debug, Clone)]
struct Config {
    routes: Vec<Map<String, Value>>,
    bindings: BTreeMap<String, String>,
    /// Quick mode (provider + secrets) rather than a pasted route.
    quick: bool,
}

impl Config {
    fn from_input(c: &ConfigIn) -> Result<Self, ApiError> {
        if let Some(route) = &c.route {
            let parsed = match route {
                Value::String(s) => serde_json::from_str(s)
                    .map_err(|e| ApiError::input(format!("route is not valid JSON: {e}")))?,
                other => other.clone(),
            };
            let list = match parsed {
                Value::Object(m) => vec![m],
                Value::Array(a) => a
                    .into_iter()
                    .map(|x| match x {
                        Value::Object(m) => Ok(m),
                        _ => Err(ApiError::input("route: every entry must be an object")),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                _ => {
                    return Err(ApiError::input(
                        "route must be a route object or an EDGEHOOK_ROUTES array",
                    ))
                }
            };
            if list.is_empty() {
                return Err(ApiError::input("route: the array is empty"));
            }
            // A loop, not `collect()`: collecting a BTreeMap links a stable sort for it.
            let mut bindings = BTreeMap::new();
            for (k, v) in &c.bindings {
                bindings.insert(k.clone(), v.joined());
            }
            // Convenience: quick-mode secret fields also fill the conventional names.
            if let Some(s) = &c.secrets {
                bindings.entry(SECRETS.into()).or_insert_with(|| s.joined());
            }
            if let Some(s) = &c.hmac_secrets {
                bindings
                    .entry(HMAC_SECRETS.into())
                    .or_insert_with(|| s.joined());
            }
            return Ok(Self {
                routes: list,
                bindings,
                quick: false,
            });
        }
        let provider = c
            .provider
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| ApiError::input("give a provider (with secrets) or a route config"))?;
        let mut m = Map::new();
        m.insert("path".into(), Value::String(format!("/hooks/{provider}")));
        m.insert("origin".into(), Value::String(DEMO_ORIGIN.into()));
        if let Some(opts) = &c.options {
            for (k, v) in opts {
                if matches!(k.as_str(), "provider" | "secrets" | "hmac_secrets") {
                    return Err(ApiError::input(format!(
                        "options.{k}: set it with the {k} field instead"
                    )));
                }
                m.insert(k.clone(), v.clone());
            }
        }
        m.insert("provider".into(), Value::String(provider.to_owned()));
        let mut bindings = BTreeMap::new();
        let secrets = c.secrets.as_ref().map(Lines::joined).unwrap_or_default();
        let names: Vec<Value> = if secrets.trim().is_empty() {
            Vec::new()
        } else {
            bindings.insert(SECRETS.to_owned(), secrets);
            vec![Value::String(SECRETS.into())]
        };
        m.insert("secrets".into(), Value::Array(names));
        if let Some(h) = c.hmac_secrets.as_ref().map(Lines::joined) {
            if !h.trim().is_empty() {
                bindings.insert(HMAC_SECRETS.to_owned(), h);
                m.insert(
                    "hmac_secrets".into(),
                    Value::Array(vec![Value::String(HMAC_SECRETS.into())]),
                );
            }
        }
        Ok(Self {
            routes: vec![m],
            bindings,
            quick: true,
        })
    }

    fn json(&self) -> String {
        Value::Array(self.routes.iter().cloned().map(Value::Object).collect()).to_string()
    }

    fn gateway(&self) -> Result<Gateway, ConfigError> {
        let lookup = |n: &str| self.bindings.get(n).cloned();
        Gateway::from_config(&self.json(), &lookup)
    }

    /// Every secret value the user entered, with where it came from, for the "matches
    /// another of your secrets" hint (and the part after `ID:` for `KEY_ID:SECRET` lines).
    fn secret_values(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, value) in &self.bindings {
            let lines: Vec<&str> = value
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let many = lines.len() > 1;
            for (i, line) in lines.iter().enumerate() {
                let place = if many {
                    format!("{} (line {})", self.binding_label(name), i + 1)
                } else {
                    self.binding_label(name)
                };
                out.push((place.clone(), (*line).to_owned()));
                if let Some((_, after)) = line.split_once(':') {
                    if !after.is_empty() {
                        out.push((format!("{place}, after its `ID:`"), after.to_owned()));
                    }
                }
            }
        }
        out
    }

    fn binding_label(&self, name: &str) -> String {
        match (self.quick, name) {
            (true, SECRETS) => "the secrets field".into(),
            (true, HMAC_SECRETS) => "the hmac_secrets field".into(),
            _ => format!("binding {name}"),
        }
    }
}

fn build_request(r: &RequestIn, now_ms: i64, default_path: &str) -> Result<Request, ApiError> {
    let mut req = Request::new("POST", default_path, now_ms);
    if let Some(raw) = &r.raw {
        if r.headers.is_some() || r.body.is_some() || r.body_base64.is_some() {
            return Err(ApiError::input(
                "request: give either raw or headers/body, not both",
            ));
        }
        let p = parse_raw_http(raw).map_err(ApiError::input)?;
        req.method = p.method;
        if let Some(path) = p.path {
            req.path = path;
        }
        req.headers = p.headers;
        req.body = p.body.into_bytes();
    } else {
        req.headers = match &r.headers {
            None => Vec::new(),
            Some(HeadersIn::List(l)) => l.clone(),
            Some(HeadersIn::Map(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Some(HeadersIn::Text(t)) => parse_header_lines(t).map_err(ApiError::input)?,
        };
        req.body = match (&r.body, &r.body_base64) {
            (Some(_), Some(_)) => {
                return Err(ApiError::input(
                    "request: give body or body_base64, not both",
                ))
            }
            (Some(b), None) => b.clone().into_bytes(),
            (None, Some(b)) => {
                decode_b64(b).ok_or_else(|| ApiError::input("request.body_base64 is not base64"))?
            }
            (None, None) => Vec::new(),
        };
    }
    if let Some(m) = &r.method {
        req.method = m.trim().to_ascii_uppercase();
    }
    if let Some(p) = &r.path {
        req.path = p.trim().to_owned();
    }
    if req.path.is_empty() {
        req.path = default_path.to_owned();
    }
    Ok(req)
}

// ---------------------------------------------------------------------------------------
// Raw HTTP
// ---------------------------------------------------------------------------------------

/// A raw HTTP request, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawRequest {
    /// Upper-case method (`POST` when the request line is missing).
    pub method: String,
    /// The path without query string, when there was a request line.
    pub path: Option<String>,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// The body, exactly as pasted after the blank line (less bytes beyond `Content-Length`).
    pub body: String,
    /// What the parser noticed (trimmed trailing newline, length mismatch...).
    pub notes: Vec<String>,
}

/// Parses a pasted HTTP/1 request: request line (optional), headers, blank line, body.
/// Head lines may end in CRLF or LF; the body is kept byte for byte.
pub fn parse_raw_http(text: &str) -> Result<RawRequest, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.trim_start_matches(['\r', '\n']);
    let (head, body) = split_head(text);
    let mut notes = Vec::new();
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut method = "POST".to_owned();
    let mut path = None;
    let mut header_text = String::new();
    let first = lines.next().unwrap_or_default();
    if let Some((m, p)) = request_line(first) {
        method = m;
        path = Some(p);
    } else if first.contains(':') {
        notes.push("no request line: assuming POST to the route's path".into());
        header_text.push_str(first);
        header_text.push('\n');
    } else if !first.trim().is_empty() {
        return Err(format!(
            "line 1 is neither a request line (POST /path HTTP/1.1) nor a header: {:?}",
            clip(first, 60)
        ));
    }
    for l in lines {
        header_text.push_str(l);
        header_text.push('\n');
    }
    let mut headers = Vec::new();
    for (name, value) in parse_header_lines(&header_text)? {
        if let Some(pseudo) = name.strip_prefix(':') {
            match pseudo.to_ascii_lowercase().as_str() {
                "method" => method = value.to_ascii_uppercase(),
                "path" => path = Some(path_of(&value)),
                _ => {}
            }
            continue;
        }
        headers.push((name, value));
    }
    let mut body = body.to_owned();
    let len_header = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    if let Some(n) = len_header {
        let have = body.len();
        if have > n && body.get(n..).is_some_and(|rest| rest.trim().is_empty()) {
            body.truncate(n);
            notes.push(format!(
                "dropped {} byte(s) of whitespace after Content-Length ({n}): a paste added them",
                have - n
            ));
        } else if have != n {
            notes.push(format!(
                "Content-Length says {n} bytes but the body has {have}: line endings or characters may have changed in the copy (a text field turns CRLF into LF)"
            ));
        }
    }
    if headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    }) {
        notes.push(
            "Transfer-Encoding: chunked is not decoded here: paste the de-chunked body".into(),
        );
    }
    Ok(RawRequest {
        method,
        path,
        headers,
        body,
        notes,
    })
}

fn split_head(text: &str) -> (&str, &str) {
    let crlf = text.find("\r\n\r\n").map(|i| (i, 4));
    let lf = text.find("\n\n").map(|i| (i, 2));
    let cut = match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    match cut {
        Some((i, n)) => (
            text.get(..i).unwrap_or_default(),
            text.get(i + n..).unwrap_or_default(),
        ),
        None => (text, ""),
    }
}

fn request_line(line: &str) -> Option<(String, String)> {
    let mut parts = line.split_whitespace();
    let method = parts.next()?;
    let target = parts.next()?;
    let version = parts.next();
    if parts.next().is_some()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || version.is_some_and(|v| !v.starts_with("HTTP/"))
        || !(target.starts_with('/')
            || target.starts_with("http://")
            || target.starts_with("https://"))
    {
        return None;
    }
    Some((method.to_ascii_uppercase(), path_of(target)))
}

/// The path of a request target (origin-form or absolute-form), without query.
fn path_of(target: &str) -> String {
    let t = target.trim();
    let t = match t.find("://") {
        Some(i) => {
            let rest = t.get(i + 3..).unwrap_or_default();
            rest.find('/').and_then(|j| rest.get(j..)).unwrap_or("/")
        }
        None => t,
    };
    let end = t.find(['?', '#']).unwrap_or(t.len());
    let p = t.get(..end).unwrap_or(t);
    if p.is_empty() {
        "/".into()
    } else {
        p.into()
    }
}

/// `Name: value` lines (blank lines skipped; folded continuation lines joined).
fn parse_header_lines(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
                continue;
            }
        }
        // `:path: /x` (HTTP/2 pseudo-headers as browsers copy them) keeps its leading colon.
        let (pseudo, rest) = match line.strip_prefix(':') {
            Some(r) => (true, r),
            None => (false, line),
        };
        let (name, value) = rest.split_once(':').ok_or_else(|| {
            format!(
                "header line {} has no colon (expected Name: value): {:?}",
                i + 1,
                clip(line, 60)
            )
        })?;
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!(
                "header line {} has no valid name: {:?}",
                i + 1,
                clip(line, 60)
            ));
        }
        let name = if pseudo {
            format!(":{name}")
        } else {
            name.to_owned()
        };
        out.push((name, value.trim().to_owned()));
    }
    Ok(out)
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut c: String = s.chars().take(n).collect();
        c.push('…');
        c
    }
}

// ---------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------

/// The explainer's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// `valid` (accepted), `handshake` (answered) or `invalid` (rejected).
    pub verdict: &'static str,
    /// The rejection when invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorOut>,
    /// What the gateway answers the sender.
    pub response: ReplyOut,
    /// The route's provider, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The route path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The clock used (Unix ms).
    pub now_ms: i64,
    /// Each step, in pipeline order.
    pub steps: Vec<Step>,
    /// Most likely reasons for a failure, in plain words.
    pub hints: Vec<String>,
    /// The matched key's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The CloudEvent the gateway forwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Box<RawValue>>,
    /// The same CloudEvent as exact JSON text (numbers and key order as forwarded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_json: Option<String>,
    /// The ack the gateway sends once the event is queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack: Option<ReplyOut>,
    /// The request the queue consumer sends to the origin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward: Option<ForwardOut>,
    /// The decrypted payload (SIBS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<Bytes>,
}

/// A rejection: code, message and HTTP status.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorOut {
    /// Stable code.
    pub code: &'static str,
    /// Human message (never a secret or an expected value).
    pub message: String,
    /// HTTP status.
    pub status: u16,
}

impl From<&Rejection> for ErrorOut {
    fn from(r: &Rejection) -> Self {
        Self {
            code: r.code(),
            message: r.to_string(),
            status: r.status(),
        }
    }
}

/// A response.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyOut {
    /// HTTP status.
    pub status: u16,
    /// Content type.
    pub content_type: String,
    /// Body.
    pub body: String,
}

impl From<&Reply> for ReplyOut {
    fn from(r: &Reply) -> Self {
        Self {
            status: r.status,
            content_type: r.content_type.into(),
            body: r.body.clone(),
        }
    }
}

/// The origin request preview.
#[derive(Debug, Clone, Serialize)]
pub struct ForwardOut {
    /// Target (a leading `/` is a path on the gateway's own host).
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

/// Bytes as text (when UTF-8) and base64 (always), with what is invisible in them.
#[derive(Debug, Clone, Serialize)]
pub struct Bytes {
    /// UTF-8 text, or `null` when the bytes are not UTF-8.
    pub text: Option<String>,
    /// Exact bytes.
    pub base64: String,
    /// Length in bytes.
    pub length: usize,
    /// Invisible characters and other traps (CR, trailing newline, `\/`, BOM...).
    pub notes: Vec<String>,
}

impl Bytes {
    fn of(b: &[u8]) -> Self {
        Self {
            text: std::str::from_utf8(b).ok().map(str::to_owned),
            base64: STANDARD.encode(b),
            length: b.len(),
            notes: content_notes(b),
        }
    }
}

/// One pipeline step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `config`, `route`, `request`, `handshake`, `headers`, `signature`, `decrypt`,
    /// `timestamp`, `normalize`.
    pub id: &'static str,
    /// Heading.
    pub title: String,
    /// `ok`, `fail`, `skipped` or `info`.
    pub status: &'static str,
    /// One line.
    pub summary: String,
    /// Label/value pairs.
    pub fields: Vec<(String, String)>,
    /// Signature details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<MacOut>,
    /// Timestamp details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<TimeOut>,
    /// Decryption details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypt: Option<DecryptOut>,
}

impl Step {
    fn new(
        id: &'static str,
        title: &str,
        status: &'static str,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            id,
            title: title.into(),
            status,
            summary: summary.into(),
            fields: Vec::new(),
            mac: None,
            timestamp: None,
            decrypt: None,
        }
    }
    fn field(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((label.into(), value.into()));
        self
    }
}

/// A MAC check, shown in full.
#[derive(Debug, Clone, Serialize)]
pub struct MacOut {
    /// `HMAC-SHA-256`...
    pub algorithm: &'static str,
    /// How the received signature is written (`hex`, `base64`...).
    pub encoding: &'static str,
    /// The exact signed content.
    pub content: Bytes,
    /// The key is appended to the content before the digest (Lyra form).
    pub append_key: bool,
    /// Received signatures, re-encoded as on the wire.
    pub received: Vec<String>,
    /// What each candidate key computes.
    pub computed: Vec<KeyOut>,
    /// Index of the key that matched.
    pub matched: Option<usize>,
}

/// One candidate key's signature.
#[derive(Debug, Clone, Serialize)]
pub struct KeyOut {
    /// Key label (key id, position).
    pub label: String,
    /// Computed signature in the wire encoding.
    pub signature: String,
    /// Equals a received signature.
    pub matched: bool,
}

/// The timestamp check.
#[derive(Debug, Clone, Serialize)]
pub struct TimeOut {
    /// Signed time (Unix s).
    pub signed_at: i64,
    /// Signed time, RFC 3339.
    pub signed_at_iso: String,
    /// The clock (Unix s).
    pub now_s: i64,
    /// The clock, RFC 3339.
    pub now_iso: String,
    /// `now - signed_at`; negative when the timestamp is in the future.
    pub age_s: i64,
    /// The route's tolerance.
    pub tolerance_s: u64,
    /// Within tolerance.
    pub within: bool,
    /// The gateway got this far (the timestamp is checked only after the signature).
    pub checked: bool,
}

/// The decryption.
#[derive(Debug, Clone, Serialize)]
pub struct DecryptOut {
    /// IV length in bytes.
    pub iv_length: usize,
    /// Tag length in bytes.
    pub tag_length: usize,
    /// Ciphertext length in bytes.
    pub ciphertext_length: usize,
    /// Each key's label and length.
    pub keys: Vec<(String, usize)>,
    /// Index of the key that opened it.
    pub matched: Option<usize>,
}

// ---------------------------------------------------------------------------------------
// explain
// ---------------------------------------------------------------------------------------

/// `explain(input)`: JSON in, JSON out (see the module docs and `www/README` for fields).
pub fn explain_json(input: &str) -> String {
    answer(explain_value(input))
}

fn explain_value(input: &str) -> Result<Explanation, ApiError> {
    let v = parse_input(input, &["request", "now_ms"])?;
    let cfg = Config::from_input(&config_in(&v)?)?;
    let req_in: RequestIn = match v.get("request") {
        Some(r) => serde_json::from_value(r.clone())
            .map_err(|e| ApiError::input(format!("request: {e}")))?,
        None => return Err(ApiError::input("request is required")),
    };
    let now_ms: i64 = match v.get("now_ms") {
        Some(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .ok_or_else(|| ApiError::input("now_ms must be Unix milliseconds"))?,
        None => {
            return Err(ApiError::input(
                "now_ms is required (the core never reads the clock)",
            ))
        }
    };
    let default_path = cfg
        .routes
        .first()
        .and_then(|r| r.get("path"))
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_owned();
    let req = build_request(&req_in, now_ms, &default_path)?;
    Ok(explain(&cfg, req, &RustCrypto))
}

fn explain(cfg: &Config, mut req: Request, crypto: &dyn CryptoBackend) -> Explanation {
    let mut x = Explanation {
        verdict: "invalid",
        error: None,
        response: ReplyOut {
            status: 0,
            content_type: String::new(),
            body: String::new(),
        },
        provider: None,
        route: None,
        now_ms: req.now_ms,
        steps: Vec::new(),
        hints: Vec::new(),
        key: None,
        event: None,
        event_json: None,
        ack: None,
        forward: None,
        plaintext: None,
    };
    let gw = match cfg.gateway() {
        Ok(g) => g,
        Err(e) => {
            let r = Rejection::ConfigInvalid(e.to_string());
            x.steps.push(
                Step::new("config", "Route config", "fail", e.to_string())
                    .field("where", e.at.clone())
                    .field("problem", e.reason.clone()),
            );
            x.hints = config_hints(cfg, &e, &req, crypto);
            x.error = Some(ErrorOut::from(&r));
            x.response = ReplyOut::from(&Reply::rejection(&r));
            return x;
        }
    };
    // Lenient where the gateway is strict only about *which* route: with one route, a
    // request captured on another path is explained against it (and the step says so).
    let mut route_note = None;
    if gw.route(&req.path).is_none() {
        if let [only] = gw.routes() {
            route_note = Some(format!(
                "the request's path {} is not this route's; explained against the only route {}",
                req.path, only.spec.path
            ));
            req.path = only.spec.path.clone();
        }
    }
    let decision = gw.handle(&req, crypto);
    trace(&mut x, &gw, &req, route_note, crypto);
    match &decision {
        Decision::Accept { ack, delivery, key } => {
            x.verdict = "valid";
            x.key = Some(key.clone());
            x.ack = Some(ReplyOut::from(ack));
            x.event = RawValue::from_string(delivery.event.clone()).ok();
            x.event_json = Some(delivery.event.clone());
            let origin_key = gw
                .route(&req.path)
                .and_then(|r| r.origin_key.as_ref())
                .map(|k| k.0.as_slice());
            let f = forward::build(delivery, None, origin_key, req.now_s(), crypto);
            x.forward = Some(ForwardOut {
                url: f.url,
                headers: f.headers,
                body: Bytes::of(&f.body),
            });
        }
        Decision::Handshake(_) => x.verdict = "handshake",
        Decision::Reject(r) => {
            x.verdict = "invalid";
            x.error = Some(ErrorOut::from(r));
            x.hints = failure_hints(cfg, &gw, &req, r, crypto);
        }
    }
    x.response = ReplyOut::from(&decision.reply());
    x
}

/// Records the pipeline's steps, mirroring `Gateway::try_handle` in order.
fn trace(
    x: &mut Explanation,
    gw: &Gateway,
    req: &Request,
    route_note: Option<String>,
    crypto: &dyn CryptoBackend,
) {
    let Some(route) = gw.route(&req.path) else {
        let paths: Vec<&str> = gw.routes().iter().map(|r| r.spec.path.as_str()).collect();
        x.steps.push(
            Step::new(
                "route",
                "Route",
                "fail",
                format!("no route for {}", req.path),
            )
            .field("configured paths", paths.join(", ")),
        );
        return;
    };
    let provider = route.provider.as_ref();
    x.provider = Some(provider.name().into());
    x.route = Some(route.spec.path.clone());
    let mut step = Step::new(
        "route",
        "Route",
        "ok",
        format!("{} → provider {}", route.spec.path, provider.name()),
    )
    .field("path", route.spec.path.clone())
    .field("provider", provider.name())
    .field("forward", route.spec.forward.as_str())
    .field("origin", route.spec.origin.clone());
    if let Some(n) = route_note {
        step = step.field("note", n);
    }
    x.steps.push(step);

    // Request shape, in the gateway's order: header limits, method, body size, media type.
    let header_bytes: usize = req.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
    let media = req.media_type();
    let accepted = provider.media_types();
    let mut step = Step::new("request", "Request", "ok", "")
        .field("method", req.method.clone())
        .field(
            "headers",
            format!("{} ({} bytes)", req.headers.len(), header_bytes),
        )
        .field(
            "body",
            format!("{} bytes (limit {})", req.body.len(), route.max_body()),
        )
        .field(
            "media type",
            if media.is_empty() {
                "(none: tolerated)".to_owned()
            } else {
                media.clone()
            },
        )
        .field("provider sends", accepted.join(", "));
    let shape =
        if req.headers.len() > gateway::MAX_HEADERS || header_bytes > gateway::MAX_HEADER_BYTES {
            Err("headers exceed the gateway's limits".to_owned())
        } else if req.method != "POST" {
            Ok(false)
        } else if req.body.len() > route.max_body() {
            Err(format!(
                "body is larger than the route's limit of {} bytes",
                route.max_body()
            ))
        } else if !media.is_empty() && !accepted.contains(&media.as_str()) {
            Err(format!(
                "content type {media} is not one this provider sends"
            ))
        } else {
            Ok(true)
        };
    match shape {
        Err(why) => {
            step.status = "fail";
            step.summary = why;
            x.steps.push(step);
            return;
        }
        Ok(false) => {
            step.summary = format!("{}: not an event POST", req.method);
            x.steps.push(step);
            let hs = provider.handshake(req);
            let s = match (&hs, req.method.as_str()) {
                (Some(Ok(r)), "GET" | "HEAD") => Step::new(
                    "handshake",
                    "Endpoint verification",
                    "ok",
                    format!("answered with {} {}", r.status, r.content_type),
                )
                .field("body", r.body.clone()),
                (Some(Err(e)), "GET" | "HEAD") => {
                    Step::new("handshake", "Endpoint verification", "fail", e.to_string())
                }
                _ => Step::new(
                    "handshake",
                    "Endpoint verification",
                    "fail",
                    format!("{} is not accepted on this route", req.method),
                ),
            };
            x.steps.push(s);
            return;
        }
        Ok(true) => {
            step.summary = format!("POST, {} bytes", req.body.len());
            x.steps.push(step);
        }
    }

    let auth = match provider.authenticate(req) {
        Ok(a) => a,
        Err(e) => {
            x.steps.push(Step::new(
                "headers",
                "Signature material",
                "fail",
                e.to_string(),
            ));
            return;
        }
    };
    let mut step = Step::new(
        "headers",
        "Signature material",
        "ok",
        format!("read {} value(s)", auth.parsed.len()),
    );
    step.fields = auth.parsed.clone();
    x.steps.push(step);

    let (ok, payload) = match &auth.check {
        Check::Mac(mac) => (trace_mac(x, &auth, mac, crypto), None),
        Check::Decrypt(d) => match trace_decrypt(x, &auth, d, crypto) {
            Some(p) => (true, Some(p)),
            None => (false, None),
        },
    };

    if let Some(ts) = auth.signed_at {
        let tol = provider.tolerance_s();
        let now_s = req.now_s();
        let within = verify::check_tolerance(ts, now_s, tol).is_ok();
        let age = now_s.saturating_sub(ts);
        let status = match (ok, within) {
            (false, _) => "info",
            (true, true) => "ok",
            (true, false) => "fail",
        };
        let summary = format!(
            "{} {} (tolerance {tol} s){}",
            human_duration(age.unsigned_abs()),
            if age >= 0 { "old" } else { "in the future" },
            if ok {
                ""
            } else {
                ": not checked, the signature failed first"
            }
        );
        let mut s = Step::new("timestamp", "Timestamp", status, summary);
        s.timestamp = Some(TimeOut {
            signed_at: ts,
            signed_at_iso: chrono::DateTime::from_timestamp(ts, 0)
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_else(|| rfc3339_from_ms(ts.saturating_mul(1000))),
            now_s,
            now_iso: rfc3339_from_ms(req.now_ms),
            age_s: age,
            tolerance_s: tol,
            within,
            checked: ok,
        });
        x.steps.push(s);
        if !within && ok {
            return;
        }
    }
    if !ok {
        return;
    }
    let body = payload.as_deref().unwrap_or(&req.body);
    match provider.accept(body, req) {
        Ok(a) => {
            let d = &a.draft.data;
            let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "null".into());
            x.steps.push(
                Step::new(
                    "normalize",
                    "Normalize",
                    "ok",
                    format!(
                        "payment.{} ({})",
                        d.status.as_str(),
                        opt(&d.provider_event_type)
                    ),
                )
                .field(
                    "event id",
                    a.draft
                        .id
                        .clone()
                        .unwrap_or_else(|| "(stable hash of the payload)".into()),
                )
                .field("status", d.status.as_str())
                .field("payment_id", opt(&d.payment_id))
                .field("merchant_reference", opt(&d.merchant_reference))
                .field(
                    "amount_minor",
                    d.amount_minor
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "null".into()),
                )
                .field("currency", opt(&d.currency))
                .field("method", opt(&d.method))
                .field("ack", format!("{} {}", a.ack.status, a.ack.body)),
            );
        }
        Err(e) => x
            .steps
            .push(Step::new("normalize", "Normalize", "fail", e.to_string())),
    }
}

fn trace_mac(
    x: &mut Explanation,
    auth: &Auth<'_>,
    mac: &MacCheck<'_>,
    crypto: &dyn CryptoBackend,
) -> bool {
    let enc = detect_encoding(&mac.received, &auth.parsed);
    let matched = mac.verify(crypto).ok();
    let computed: Vec<KeyOut> = mac
        .computed(crypto)
        .into_iter()
        .enumerate()
        .map(|(i, c)| KeyOut {
            label: label_of(auth, i),
            matched: mac.received.iter().any(|r| r == &c),
            signature: enc.encode(&c),
        })
        .collect();
    let summary = match matched {
        Some(i) => format!(
            "{} matches with key {}",
            mac.algorithm.name(),
            label_of(auth, i)
        ),
        None => format!(
            "{}: no configured key produces a received signature",
            mac.algorithm.name()
        ),
    };
    let mut s = Step::new(
        "signature",
        "Signature",
        if matched.is_some() { "ok" } else { "fail" },
        summary,
    );
    s.mac = Some(MacOut {
        algorithm: mac.algorithm.name(),
        encoding: enc.name(),
        content: Bytes::of(&mac.content_bytes()),
        append_key: mac.append_key,
        received: mac.received.iter().map(|r| enc.encode(r)).collect(),
        computed,
        matched,
    });
    x.steps.push(s);
    matched.is_some()
}

fn trace_decrypt(
    x: &mut Explanation,
    auth: &Auth<'_>,
    d: &DecryptCheck<'_>,
    crypto: &dyn CryptoBackend,
) -> Option<Vec<u8>> {
    let result = d.decrypt(crypto).ok();
    let summary = match &result {
        Some((i, p)) => format!(
            "AES-256-GCM: opened with key {} ({} bytes of plaintext)",
            label_of(auth, *i),
            p.len()
        ),
        None => "AES-256-GCM: no configured key opens it (the tag does not verify)".into(),
    };
    let mut s = Step::new(
        "decrypt",
        "Decryption",
        if result.is_some() { "ok" } else { "fail" },
        summary,
    );
    s.decrypt = Some(DecryptOut {
        iv_length: d.iv.len(),
        tag_length: d.tag.len(),
        ciphertext_length: d.ciphertext.len(),
        keys: d
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| (label_of(auth, i), k.len()))
            .collect(),
        matched: result.as_ref().map(|(i, _)| *i),
    });
    x.steps.push(s);
    let (_, plain) = result?;
    x.plaintext = Some(Bytes::of(&plain));
    Some(plain)
}

fn label_of(auth: &Auth<'_>, i: usize) -> String {
    auth.key_labels
        .get(i)
        .cloned()
        .unwrap_or_else(|| format!("#{}", i + 1))
}

fn human_duration(s: u64) -> String {
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min {} s", s / 60, s % 60),
        7200..=172_799 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} days", s / 86_400),
    }
}

// ---------------------------------------------------------------------------------------
// Encodings and content notes
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enc {
    Hex,
    HexUpper,
    Base64,
    Base64NoPad,
    Base64Url,
    Base64UrlNoPad,
}

impl Enc {
    fn encode(self, b: &[u8]) -> String {
        match self {
            Self::Hex => hex::encode(b),
            Self::HexUpper => hex::encode_upper(b),
            Self::Base64 => STANDARD.encode(b),
            Self::Base64NoPad => STANDARD_NO_PAD.encode(b),
            Self::Base64Url => URL_SAFE.encode(b),
            Self::Base64UrlNoPad => URL_SAFE_NO_PAD.encode(b),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Self::Hex => "hex (lowercase)",
            Self::HexUpper => "hex (uppercase)",
            Self::Base64 => "base64",
            Self::Base64NoPad => "base64 (unpadded)",
            Self::Base64Url => "base64url",
            Self::Base64UrlNoPad => "base64url (unpadded)",
        }
    }
}

/// How the received signature was written, found by re-encoding it and looking for it in
/// the parsed header values (the scheme decoded it already).
fn detect_encoding(received: &[Vec<u8>], parsed: &[(String, String)]) -> Enc {
    let encs = [
        Enc::Hex,
        Enc::HexUpper,
        Enc::Base64,
        Enc::Base64NoPad,
        Enc::Base64Url,
        Enc::Base64UrlNoPad,
    ];
    for r in received.iter().filter(|r| !r.is_empty()) {
        for e in encs {
            let s = e.encode(r);
            if parsed.iter().any(|(_, v)| v.contains(&s)) {
                return e;
            }
        }
    }
    Enc::Base64
}

/// What a reader cannot see in signed content.
fn content_notes(b: &[u8]) -> Vec<String> {
    let mut notes = Vec::new();
    let cr = b.iter().filter(|&&c| c == b'\r').count();
    let lf = b.iter().filter(|&&c| c == b'\n').count();
    if cr > 0 {
        notes.push(format!(
            "{cr} carriage return(s) (CR, \\r): CRLF line endings are signed as they are"
        ));
    }
    if lf > 0 {
        notes.push(format!("{lf} line feed(s) (LF, \\n)"));
    }
    if b.ends_with(b"\n") {
        notes.push("ends with a newline: it is part of the signed bytes".into());
    }
    if b.windows(2).any(|w| w == b"\\/") {
        notes.push("contains escaped slashes \\/ (as PHP's json_encode writes them)".into());
    }
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        notes.push("starts with a UTF-8 byte order mark (EF BB BF)".into());
    }
    if b.contains(&b'\t') {
        notes.push("contains tab characters".into());
    }
    match std::str::from_utf8(b) {
        Err(_) => notes.push("is not valid UTF-8 (see the base64 form)".into()),
        Ok(s) => {
            let odd: Vec<String> = s
                .chars()
                .filter(|c| {
                    matches!(
                        c,
                        '\u{a0}' | '\u{200b}'..='\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                    ) || (c.is_control() && !matches!(c, '\r' | '\n' | '\t'))
                })
                .map(|c| format!("U+{:04X}", c as u32))
                .collect();
            if !odd.is_empty() {
                let mut uniq = odd.clone();
                uniq.dedup();
                uniq.truncate(5);
                notes.push(format!(
                    "{} invisible or control character(s): {}",
                    odd.len(),
                    uniq.join(", ")
                ));
            }
            if s.starts_with([' ', '\t']) || s.ends_with([' ', '\t']) {
                notes.push("has leading or trailing spaces".into());
            }
        }
    }
    notes
}

// ---------------------------------------------------------------------------------------
// Hints
// ---------------------------------------------------------------------------------------

fn failure_hints(
    cfg: &Config,
    gw: &Gateway,
    req: &Request,
    r: &Rejection,
    crypto: &dyn CryptoBackend,
) -> Vec<String> {
    let Some(route) = gw.route(&req.path) else {
        return vec![
            "The request's path is not a configured route: fix request.path or the route's path."
                .into(),
        ];
    };
    let mut hints = Vec::new();
    match r {
        Rejection::SignatureMismatch => {
            hints.extend(mac_variant_hints(cfg, route, req, crypto));
            if hints.is_empty() {
                hints.push(
                    "No common mistake explains it (tried: whsec_ prefix kept or dropped, base64/hex-decoded secret, your other secrets, CRLF/LF line endings, trailing newline, \\/ escaping, JSON re-serialized). Most likely the secret is not the one this sender uses (another endpoint, or test vs live mode), or the body changed after signing: compare the signed content above with what was sent, byte for byte."
                        .into(),
                );
            }
        }
        Rejection::DecryptionFailed => hints.extend(decrypt_hints(cfg, route, req, crypto)),
        Rejection::StaleTimestamp(tol) => {
            if let Ok(Auth {
                signed_at: Some(ts),
                ..
            }) = route.provider.authenticate(req)
            {
                let age = req.now_s().saturating_sub(ts);
                let d = human_duration(age.unsigned_abs());
                hints.push(if age >= 0 {
                    format!("The signature is valid, but it was made {d} ago and the route accepts {tol} s. A saved or replayed request is expected to fail here: set the clock to the signing time to check the rest. For a live request, the sender's clock or yours is off by about {d}.")
                } else {
                    format!("The signature is valid, but its timestamp is {d} in the future (tolerance {tol} s): one of the clocks is wrong (clock skew), or the clock here is set in the past.")
                });
            }
        }
        Rejection::MissingHeader(h) => {
            let names: Vec<&str> = req.headers.iter().map(|(k, _)| k.as_str()).collect();
            if names.is_empty() {
                hints.push(format!("No headers were read. Paste them as `Name: value` lines (in a raw request: above the blank line that precedes the body); this provider needs {h}."));
            } else {
                hints.push(format!(
                    "{h} is not among the headers read ({}). Check the name (prefix, -256 suffix) and that the whole header block was pasted.",
                    names.join(", ")
                ));
            }
        }
        Rejection::DuplicateHeader(h) => hints.push(format!(
            "{h} appears more than once: the gateway cannot tell which copy was signed. A proxy or the copy added a second one."
        )),
        Rejection::MalformedSignature(h, _) => hints.push(format!(
            "The value of {h} does not decode: copy the whole value, without quotes; a URL-encoded (%2B, %3D) or truncated value fails, and hex is not base64."
        )),
        Rejection::MalformedHeader(h, _) => hints.push(format!(
            "{h} does not have the provider's format: compare it with the example (load the provider's example above)."
        )),
        Rejection::UnknownKeyId => hints.push(
            "The request names a key id (see the headers read above) that no secret line is configured for. Add a secret for that id in the provider's secret form (Worldline: KEY_ID:SECRET)."
                .into(),
        ),
        Rejection::UnsupportedMediaType(t) => hints.push(format!(
            "Content-Type is {}; this provider sends {t}. A missing Content-Type is accepted.",
            req.media_type()
        )),
        Rejection::MalformedBody(_) | Rejection::UnsupportedPayload(_) => {
            if auth_ok(route, req, crypto) {
                hints.push("The signature (or decryption) is valid, so the sender really sent this payload; the provider module refuses its content (see the message).".into());
            } else {
                hints.push("The body is not in the provider's format (see the message); load the provider's example to compare.".into());
            }
        }
        Rejection::MethodNotAllowed(m, allow) => hints.push(format!(
            "{m} is not used by this provider: events are {allow}."
        )),
        Rejection::BodyTooLarge(n) => hints.push(format!(
            "The body exceeds the route's max_body_bytes ({n}); raise it in the route config if this provider really sends that much."
        )),
        Rejection::HeadersTooLarge(_) => hints.push(format!(
            "At most {} headers and {} bytes of headers are accepted.",
            gateway::MAX_HEADERS,
            gateway::MAX_HEADER_BYTES
        )),
        _ => {}
    }
    hints
}

fn auth_ok(route: &Route, req: &Request, crypto: &dyn CryptoBackend) -> bool {
    match route.provider.authenticate(req) {
        Ok(a) => match &a.check {
            Check::Mac(m) => m.verify(crypto).is_ok(),
            Check::Decrypt(d) => d.decrypt(crypto).is_ok(),
        },
        Err(_) => false,
    }
}

/// Alternative key forms for a configured key: `(description, explanation, bytes)`.
fn key_forms(k: &[u8]) -> Vec<(String, &'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let text = std::str::from_utf8(k).ok();
    match k.strip_prefix(b"whsec_") {
        Some(rest) => {
            out.push((
                "the secret without its whsec_ prefix".into(),
                "The sender signs with the part after whsec_: paste the secret as the sender's dashboard shows it, or pick the provider whose secret form matches the sender.",
                rest.to_vec(),
            ));
            if let Some(d) = std::str::from_utf8(rest).ok().and_then(decode_b64) {
                out.push((
                    "the base64-decoded secret (whsec_ removed, as Standard Webhooks does)".into(),
                    "The sender uses the Standard Webhooks key form (the bytes after whsec_, base64-decoded), while this provider keys with the whole string: use the standard-webhooks provider for this sender.",
                    d,
                ));
            }
        }
        None => {
            let mut with = b"whsec_".to_vec();
            with.extend_from_slice(k);
            out.push((
                "the secret with a whsec_ prefix".into(),
                "The whsec_ prefix was dropped: the sender signs with the whole string, prefix included (as Stripe does). Paste the full secret.",
                with,
            ));
            out.push((
                "the secret written as whsec_<base64 of these bytes>".into(),
                "This provider decodes the secret (Standard Webhooks form), but the sender keyed the HMAC with the whole whsec_ string (as Stripe does): use the provider that matches the sender.",
                [b"whsec_".as_slice(), STANDARD.encode(k).as_bytes()].concat(),
            ));
            if let Some(d) = text.and_then(decode_b64).filter(|d| d.len() >= 8) {
                out.push((
                    "the base64-decoded secret".into(),
                    "The sender uses the secret's base64-decoded bytes as the key, while this provider uses the string as-is (or the reverse).",
                    d,
                ));
            }
            if let Some(d) = text
                .filter(|t| t.len() >= 16 && t.len() % 2 == 0)
                .and_then(|t| hex::decode(t).ok())
            {
                out.push((
                    "the hex-decoded secret".into(),
                    "The sender uses the secret's hex-decoded bytes as the key, while this provider uses the string as-is.",
                    d,
                ));
            }
        }
    }
    out
}

/// Body rewrites that commonly happen between the sender and a verifier.
fn body_forms(b: &[u8]) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut out: Vec<(&'static str, &'static str, Vec<u8>)> = Vec::new();
    let has_crlf = b.windows(2).any(|w| w == b"\r\n");
    if has_crlf {
        out.push((
            "the body with CRLF line endings turned into LF",
            "The sender signed LF line endings; your copy has CRLF (a Windows editor, a proxy, or the copy added them).",
            replace(b, b"\r\n", b"\n"),
        ));
    } else if b.contains(&b'\n') {
        out.push((
            "the body with LF line endings turned into CRLF",
            "The sender signed CRLF line endings, and they were turned into LF on the way (a browser text field does this: load the body from a file to keep them).",
            replace(b, b"\n", b"\r\n"),
        ));
    }
    if let Some(s) = b.strip_suffix(b"\r\n").or_else(|| b.strip_suffix(b"\n")) {
        out.push((
            "the body without its trailing newline",
            "A trailing newline was added after signing (an editor, a heredoc or echo adds one): verify the exact received bytes.",
            s.to_vec(),
        ));
    } else {
        out.push((
            "the body with a trailing newline",
            "The sender's body ended with a newline that was lost in the copy (a text field or trim() drops it).",
            [b, b"\n".as_slice()].concat(),
        ));
        out.push((
            "the body with a trailing CRLF",
            "The sender's body ended with CRLF, lost in the copy.",
            [b, b"\r\n".as_slice()].concat(),
        ));
    }
    let trimmed = b.trim_ascii();
    if trimmed.len() != b.len() && !trimmed.is_empty() {
        out.push((
            "the body without surrounding whitespace",
            "Whitespace around the body was added after signing.",
            trimmed.to_vec(),
        ));
    }
    if b.windows(2).any(|w| w == b"\\/") {
        out.push((
            "the body with \\/ unescaped to /",
            "The sender signed plain slashes; the body was re-serialized with escaped slashes \\/ (PHP's json_encode default).",
            replace(b, b"\\/", b"/"),
        ));
    } else if b.contains(&b'/') {
        out.push((
            "the body with / escaped as \\/",
            "The sender (PHP json_encode style) signed escaped slashes \\/, and they were unescaped on the way: the body was re-serialized.",
            replace(b, b"/", b"\\/"),
        ));
    }
    if let Ok(s) = std::str::from_utf8(b) {
        if serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok() {
            for (name, style) in [
                ("the same JSON minified", JsonStyle::Compact),
                (
                    "the same JSON with \", \" and \": \" separators",
                    JsonStyle::Spaced,
                ),
                (
                    "the same JSON pretty-printed (2 spaces)",
                    JsonStyle::Pretty(2),
                ),
                (
                    "the same JSON pretty-printed (4 spaces)",
                    JsonStyle::Pretty(4),
                ),
            ] {
                let f = reformat_json(s, style).into_bytes();
                if f != b {
                    out.push((
                        name,
                        "The body was re-serialized: a framework parsed the JSON and wrote it out again (express.json(), a logging tool, a pretty-printer). Verify the raw bytes as received, before any parsing.",
                        f,
                    ));
                }
            }
        }
    }
    // One hint per distinct rewrite: pretty-printing a CRLF body is also "CRLF to LF".
    let mut seen: Vec<Vec<u8>> = vec![b.to_vec()];
    out.retain(|(_, _, f)| {
        if seen.contains(f) {
            false
        } else {
            seen.push(f.clone());
            true
        }
    });
    out
}

fn replace(b: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b.get(i..i + from.len()) == Some(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            if let Some(&c) = b.get(i) {
                out.push(c);
            }
            i += 1;
        }
    }
    out
}

fn mac_variant_hints(
    cfg: &Config,
    route: &Route,
    req: &Request,
    crypto: &dyn CryptoBackend,
) -> Vec<String> {
    let provider = route.provider.as_ref();
    let mut hints = Vec::new();
    let Ok(auth) = provider.authenticate(req) else {
        return hints;
    };
    let Check::Mac(mac) = &auth.check else {
        return hints;
    };
    let matches_with = |key: &[u8]| -> bool {
        MacCheck {
            keys: vec![key],
            ..mac.clone()
        }
        .verify(crypto)
        .is_ok()
    };
    // The same content, another key form.
    let mut tried: Vec<Vec<u8>> = mac.keys.iter().map(|k| k.to_vec()).collect();
    for k in &mac.keys {
        for (what, why, form) in key_forms(k) {
            if tried.contains(&form) {
                continue;
            }
            if matches_with(&form) {
                hints.push(format!("The signature matches {what}. {why}"));
            }
            tried.push(form);
        }
    }
    // Another secret the user entered (the other Lyra key kind, the TEST/PRODUCTION key,
    // a key pasted into the wrong field).
    for (place, value) in cfg.secret_values() {
        let bytes = value.into_bytes();
        if tried.contains(&bytes) {
            continue;
        }
        if matches_with(&bytes) {
            hints.push(format!(
                "The signature matches the secret in {place}, which is not a key this request selects. The request says which key signed it (see the values read above: Lyra's kr-hash-key is password = the REST API password, sha256_hmac = the HMAC-SHA-256 key; vads_ctx_mode TEST/PRODUCTION picks the form key): the key is in the wrong field, or the sender used the other key kind."
            ));
        }
        tried.push(bytes);
    }
    // The same key, the body as it commonly gets rewritten.
    for (what, why, body) in body_forms(&req.body) {
        let mut r2 = req.clone();
        r2.body = body;
        let ok = provider.authenticate(&r2).is_ok_and(|a| match &a.check {
            Check::Mac(m) => m.verify(crypto).is_ok(),
            Check::Decrypt(_) => false,
        });
        if ok {
            hints.push(format!("The signature matches {what}. {why}"));
        }
    }
    hints
}

fn decrypt_hints(
    cfg: &Config,
    route: &Route,
    req: &Request,
    crypto: &dyn CryptoBackend,
) -> Vec<String> {
    let mut hints = Vec::new();
    let Ok(auth) = route.provider.authenticate(req) else {
        return hints;
    };
    let Check::Decrypt(d) = &auth.check else {
        return hints;
    };
    if !matches!(d.iv.len(), 12 | 16) {
        hints.push(format!(
            "The IV is {} bytes after base64 decoding; AES-GCM here takes 12 (SIBS) or 16.",
            d.iv.len()
        ));
    }
    if d.tag.len() != 16 {
        hints.push(format!(
            "The authentication tag is {} bytes after base64 decoding; it must be 16.",
            d.tag.len()
        ));
    }
    for (i, k) in d.keys.iter().enumerate() {
        if k.len() != 32 {
            hints.push(format!(
                "Key {} is {} bytes after decoding; AES-256 needs exactly 32 (44 base64 characters).",
                label_of(&auth, i),
                k.len()
            ));
        }
    }
    let opens = |check: DecryptCheck<'_>| check.decrypt(crypto).is_ok();
    for (place, value) in cfg.secret_values() {
        let forms: Vec<(&str, Vec<u8>)> = [
            ("as raw text", Some(value.clone().into_bytes())),
            ("hex-decoded", hex::decode(value.trim()).ok()),
            ("base64-decoded", decode_b64(&value)),
        ]
        .into_iter()
        .filter_map(|(w, b)| b.map(|b| (w, b)))
        .filter(|(_, b)| b.len() == 32 && !d.keys.contains(&b.as_slice()))
        .collect();
        for (how, key) in forms {
            if opens(DecryptCheck {
                keys: vec![&key],
                ..d.clone()
            }) {
                hints.push(format!(
                    "It decrypts with the secret in {place} taken {how}: the key is in a different form than the provider expects (the base64 key from the backoffice)."
                ));
            }
        }
    }
    if d.ciphertext.len() > 16 && d.tag.len() == 16 {
        let split = d.ciphertext.len() - 16;
        let (ct, tag) = d.ciphertext.split_at(split);
        if opens(DecryptCheck {
            ciphertext: ct.to_vec(),
            tag: tag.to_vec(),
            ..d.clone()
        }) {
            hints.push("It decrypts when the last 16 bytes of the body are taken as the tag: the body carries ciphertext+tag (the usual AES-GCM library output), but this provider expects the tag only in its header.".into());
        }
    }
    if hints.is_empty() {
        hints.push("The tag does not verify: the key, the IV, the tag or the body differ from what the sender used (a single changed byte fails). Check that the key is the notification secret from the backoffice (base64), and that IV and tag come from the same request as the body.".into());
    }
    hints
}

fn config_hints(
    cfg: &Config,
    e: &ConfigError,
    req: &Request,
    crypto: &dyn CryptoBackend,
) -> Vec<String> {
    let mut hints = Vec::new();
    if cfg.quick && e.at.ends_with(".secrets") && !cfg.bindings.contains_key(SECRETS) {
        hints.push(
            "Enter the secret(s) for this provider, one per line (several lines = key rotation)."
                .into(),
        );
        return hints;
    }
    // Try the other whsec_ form of each secret line: a prefix kept or dropped.
    for name in cfg.bindings.keys() {
        for toggle in [true, false] {
            let mut alt = cfg.clone();
            let Some(value) = alt.bindings.get_mut(name) else {
                continue;
            };
            let changed: Vec<String> = value
                .lines()
                .map(|l| {
                    let t = l.trim();
                    match (toggle, t.strip_prefix("whsec_")) {
                        (true, None) if !t.is_empty() => format!("whsec_{t}"),
                        (false, Some(rest)) => rest.to_owned(),
                        _ => t.to_owned(),
                    }
                })
                .collect();
            let joined = changed.join("\n");
            if joined == *value {
                continue;
            }
            *value = joined;
            let Ok(gw) = alt.gateway() else {
                continue;
            };
            let how = if toggle {
                "with a whsec_ prefix added"
            } else {
                "without its whsec_ prefix"
            };
            let mut r = req.clone();
            if gw.route(&r.path).is_none() {
                if let [only] = gw.routes() {
                    r.path = only.spec.path.clone();
                }
            }
            let outcome = gw.handle(&r, crypto);
            hints.push(match outcome {
                Decision::Accept { .. } => format!(
                    "With the secret in {} written {how}, the configuration is valid and this request verifies: that is the secret form this provider expects.",
                    cfg.binding_label(name)
                ),
                _ => format!(
                    "The configuration is valid with the secret in {} written {how} (the request then fails with {}).",
                    cfg.binding_label(name),
                    outcome.outcome()
                ),
            });
        }
    }
    if hints.is_empty() {
        hints.push(format!("Fix the route config: {e}"));
    }
    hints
}

// ---------------------------------------------------------------------------------------
// JSON re-serialization (order-preserving), for the "body re-serialized" hint
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum JsonStyle {
    Compact,
    Spaced,
    Pretty(usize),
}

/// Rewrites valid JSON text in another whitespace style, keeping key order and every
/// string and number byte for byte (as `JSON.stringify` or `json.dumps` would lay it out).
fn reformat_json(s: &str, style: JsonStyle) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |out: &mut Vec<u8>, depth: usize, n: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * n));
    };
    let next_sig = |from: usize| {
        b.get(from..)
            .and_then(|r| r.iter().find(|c| !c.is_ascii_whitespace()))
            .copied()
    };
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                let start = i;
                i += 1;
                while let Some(&d) = b.get(i) {
                    i += 1;
                    if d == b'\\' {
                        i += 1;
                    } else if d == b'"' {
                        break;
                    }
                }
                out.extend_from_slice(b.get(start..i.min(b.len())).unwrap_or_default());
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'{' | b'[' => {
                out.push(c);
                let close = if c == b'{' { b'}' } else { b']' };
                if next_sig(i + 1) == Some(close) {
                    out.push(close);
                    i += 1;
                    while b.get(i).is_some_and(|&d| d != close) {
                        i += 1;
                    }
                } else {
                    depth += 1;
                    if let JsonStyle::Pretty(n) = style {
                        newline(&mut out, depth, n);
                    }
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if let JsonStyle::Pretty(n) = style {
                    newline(&mut out, depth, n);
                }
                out.push(c);
            }
            b',' => {
                out.push(c);
                match style {
                    JsonStyle::Compact => {}
                    JsonStyle::Spaced => out.push(b' '),
                    JsonStyle::Pretty(n) => newline(&mut out, depth, n),
                }
            }
            b':' => {
                out.push(c);
                if !matches!(style, JsonStyle::Compact) {
                    out.push(b' ');
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

// ---------------------------------------------------------------------------------------
// sign
// ---------------------------------------------------------------------------------------

/// A signed test request.
#[derive(Debug, Clone, Serialize)]
pub struct SignedOut {
    /// Provider name.
    pub provider: String,
    /// The route path.
    pub path: String,
    /// The full URL.
    pub url: String,
    /// Always `POST`.
    pub method: &'static str,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// A copyable curl command sending exactly these bytes.
    pub curl: String,
    /// The request as raw HTTP/1.1 text.
    pub raw: String,
}

/// `sign(input)`: builds a valid request for the route's provider with its first secret.
pub fn sign_json(input: &str) -> String {
    answer(sign_value(input))
}

fn sign_value(input: &str) -> Result<SignedOut, ApiError> {
    let v = parse_input(
        input,
        &["payload", "payload_base64", "now_s", "nonce", "gateway_url"],
    )?;
    let cfg = Config::from_input(&config_in(&v)?)?;
    let payload: Vec<u8> = match (
        field::<Option<String>>(&v, "payload")?,
        field::<Option<String>>(&v, "payload_base64")?,
    ) {
        (Some(p), None) => p.into_bytes(),
        (None, Some(b)) => {
            decode_b64(&b).ok_or_else(|| ApiError::input("payload_base64 is not base64"))?
        }
        (None, None) => return Err(ApiError::input("payload is required")),
        (Some(_), Some(_)) => {
            return Err(ApiError::input("give payload or payload_base64, not both"))
        }
    };
    let now_s = v
        .get("now_s")
        .and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)))
        .ok_or_else(|| ApiError::input("now_s (Unix seconds) is required"))?;
    let nonce = parse_nonce(v.get("nonce"))?;
    let gw = cfg.gateway().map_err(|e| ApiError {
        code: "config_invalid",
        message: e.to_string(),
    })?;
    let route = gw
        .routes()
        .first()
        .ok_or_else(|| ApiError::input("no route"))?;
    let signed = route
        .provider
        .sign(
            &SignInput {
                payload: &payload,
                now_s,
                nonce,
            },
            &RustCrypto,
        )
        .map_err(|r| ApiError {
            code: r.code(),
            message: r.to_string(),
        })?;
    let base = field::<Option<String>>(&v, "gateway_url")?
        .unwrap_or_else(|| "http://127.0.0.1:8787".into());
    let url = target_url(&base, &route.spec.path);
    let curl = curl_command(&url, &signed.headers, &signed.body);
    let raw = raw_http(&url, &route.spec.path, &signed.headers, &signed.body);
    Ok(SignedOut {
        provider: route.provider.name().into(),
        path: route.spec.path.clone(),
        url,
        method: "POST",
        headers: signed.headers,
        body: Bytes::of(&signed.body),
        curl,
        raw,
    })
}

fn parse_nonce(v: Option<&Value>) -> Result<[u8; 12], ApiError> {
    let bytes: Vec<u8> = match v {
        None | Some(Value::Null) => {
            return Err(ApiError::input(
                "nonce (12 random bytes from crypto.getRandomValues) is required",
            ))
        }
        Some(Value::String(s)) => hex::decode(s.trim())
            .ok()
            .or_else(|| decode_b64(s))
            .ok_or_else(|| ApiError::input("nonce must be hex, base64 or an array of bytes"))?,
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_u64().and_then(|n| u8::try_from(n).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| ApiError::input("nonce array must hold bytes (0-255)"))?,
        Some(Value::Object(m)) => {
            // A Uint8Array passed through JSON.stringify: {"0":12,"1":34,...}
            (0..m.len())
                .map(|i| {
                    m.get(&i.to_string())
                        .and_then(Value::as_u64)
                        .and_then(|n| u8::try_from(n).ok())
                })
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| ApiError::input("nonce must hold bytes (0-255)"))?
        }
        Some(_) => return Err(ApiError::input("nonce must be hex, base64 or bytes")),
    };
    let mut n = [0u8; 12];
    if bytes.len() < 12 {
        return Err(ApiError::input(format!(
            "nonce must be at least 12 bytes (got {})",
            bytes.len()
        )));
    }
    for (d, s) in n.iter_mut().zip(bytes) {
        *d = s;
    }
    Ok(n)
}

/// `base` + the route path, unless `base` already names a path.
fn target_url(base: &str, path: &str) -> String {
    let b = base.trim();
    let after_scheme = b.find("://").map(|i| i + 3).unwrap_or(0);
    let has_path = b
        .get(after_scheme..)
        .and_then(|r| r.find('/'))
        .and_then(|j| b.get(after_scheme + j..))
        .is_some_and(|p| p != "/");
    if has_path {
        b.to_owned()
    } else {
        format!("{}{}", b.trim_end_matches('/'), path)
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn curl_command(url: &str, headers: &[(String, String)], body: &[u8]) -> String {
    let mut lines = vec![format!("curl -sS -i -X POST {}", shell_quote(url))];
    for (k, v) in headers {
        lines.push(format!("-H {}", shell_quote(&format!("{k}: {v}"))));
    }
    // Exact bytes: text goes in quotes unless a byte would not survive a terminal paste
    // (or curl would read `@` as a file name); then it travels as base64.
    let text = std::str::from_utf8(body).ok().filter(|t| {
        !t.starts_with('@') && !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
    });
    match text {
        Some(t) => {
            lines.push(format!("--data-binary {}", shell_quote(t)));
            lines.join(" \\\n  ")
        }
        None => {
            lines.push("--data-binary @-".into());
            format!(
                "printf '%s' {} | base64 -d | {}",
                shell_quote(&STANDARD.encode(body)),
                lines.join(" \\\n  ")
            )
        }
    }
}

fn raw_http(url: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> String {
    let host = url
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or("127.0.0.1:8787");
    let mut s = format!("POST {path} HTTP/1.1\r\nhost: {host}\r\n");
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    s.push_str(&String::from_utf8_lossy(body));
    s
}

// ---------------------------------------------------------------------------------------
// decrypt_sibs, providers, parse_raw_http (JSON entry points)
// ---------------------------------------------------------------------------------------

/// `decrypt_sibs({key|secrets, iv, tag, body, now_ms})`: the SIBS route's own decryption
/// and normalization on a request built from the three values.
pub fn decrypt_sibs_json(input: &str) -> String {
    answer(decrypt_sibs_value(input))
}

fn decrypt_sibs_value(input: &str) -> Result<Explanation, ApiError> {
    let v = parse_input(input, &["key", "iv", "tag", "body", "now_ms"])?;
    let mut c = config_in(&v)?;
    if c.route.is_none() {
        c.provider = Some("sibs".into());
    }
    if let Some(k) = field::<Option<Lines>>(&v, "key")? {
        if c.secrets.is_some() {
            return Err(ApiError::input("give key or secrets, not both"));
        }
        c.secrets = Some(k);
    }
    let cfg = Config::from_input(&c)?;
    let get = |k: &str| -> Result<String, ApiError> {
        field::<Option<String>>(&v, k)?
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| ApiError::input(format!("{k} is required")))
    };
    let now_ms = v
        .get("now_ms")
        .and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)))
        .ok_or_else(|| ApiError::input("now_ms is required"))?;
    let path = cfg
        .routes
        .first()
        .and_then(|r| r.get("path"))
        .and_then(Value::as_str)
        .unwrap_or("/hooks/sibs")
        .to_owned();
    let req = Request::new("POST", &path, now_ms)
        .header("Content-Type", "text/plain")
        .header(SIBS_IV, &get("iv")?)
        .header(SIBS_TAG, &get("tag")?)
        .body(get("body")?.into_bytes());
    Ok(explain(&cfg, req, &RustCrypto))
}

/// `providers()`: the registry's names, in registry order.
pub fn providers_json() -> String {
    let names: Vec<&str> = REGISTRY.iter().map(|(n, _)| *n).collect();
    answer(Ok(serde_json::json!({ "providers": names })))
}

/// `parse_raw_http(text)` as JSON.
pub fn parse_raw_http_json(text: &str) -> String {
    answer(parse_raw_http(text).map_err(ApiError::input))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(rel: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/vectors")
            .join(rel);
        String::from_utf8(std::fs::read(&p).expect("vector")).expect("utf8")
    }

    fn run(input: Value) -> Value {
        serde_json::from_str(&explain_json(&input.to_string())).expect("json out")
    }

    /// The hand-written `Lines`/`HeadersIn` decoders against what `#[serde(untagged)]`
    /// derives: same variant (or same error message) for every shape of input.
    #[test]
    fn untagged_inputs_match_the_derive() {
        #[derive(Debug, Deserialize)]
        #[serde(untagged)]
        enum OldLines {
            One(String),
            Many(Vec<String>),
        }
        #[derive(Debug, Deserialize)]
        #[serde(untagged)]
        enum OldHeadersIn {
            List(Vec<(String, String)>),
            Map(BTreeMap<String, String>),
            Text(String),
        }
        let inputs = [
            serde_json::json!("a\nb"),
            serde_json::json!(""),
            serde_json::json!([]),
            serde_json::json!(["a", "b"]),
            serde_json::json!(["a", 1]),
            serde_json::json!([["a", "b"], ["c", "d"]]),
            serde_json::json!([["a", "b", "c"]]),
            serde_json::json!([["a"]]),
            serde_json::json!([["a", 1]]),
            serde_json::json!([[]]),
            serde_json::json!([["a", "b"], "c"]),
            serde_json::json!({}),
            serde_json::json!({"A": "1", "b": "2"}),
            serde_json::json!({"A": 1}),
            serde_json::json!({"A": ["1"]}),
            serde_json::json!(null),
            serde_json::json!(true),
            serde_json::json!(1.5),
            serde_json::json!(7),
        ];
        for v in inputs {
            let new = serde_json::from_value::<Lines>(v.clone()).map_err(|e| e.to_string());
            // (the derive names the type it was written on)
            let old = serde_json::from_value::<OldLines>(v.clone())
                .map_err(|e| e.to_string().replace("OldLines", "Lines"));
            let same = match (&new, &old) {
                (Ok(Lines::One(a)), Ok(OldLines::One(b))) => a == b,
                (Ok(Lines::Many(a)), Ok(OldLines::Many(b))) => a == b,
                (Err(a), Err(b)) => a == b,
                _ => false,
            };
            assert!(same, "Lines {v}: {new:?} vs {old:?}");
            let new = serde_json::from_value::<HeadersIn>(v.clone()).map_err(|e| e.to_string());
            let old = serde_json::from_value::<OldHeadersIn>(v.clone())
                .map_err(|e| e.to_string().replace("OldHeadersIn", "HeadersIn"));
            let same = match (&new, &old) {
                (Ok(HeadersIn::List(a)), Ok(OldHeadersIn::List(b))) => a == b,
                (Ok(HeadersIn::Map(a)), Ok(OldHeadersIn::Map(b))) => a == b,
                (Ok(HeadersIn::Text(a)), Ok(OldHeadersIn::Text(b))) => a == b,
                (Err(a), Err(b)) => a == b,
                _ => false,
            };
            assert!(same, "HeadersIn {v}: {new:?} vs {old:?}");
        }
    }

    fn worldline(body: &str, sig: &str, secrets: &str) -> Value {
        serde_json::json!({
            "provider": "worldline",
            "secrets": secrets,
            "now_ms": 1_700_000_000_000i64,
            "request": {
                "headers": [["Content-Type", "application/json"], ["X-GCS-Signature", sig], ["X-GCS-KeyId", "dummy-key-id"]],
                "body": body,
            }
        })
    }

    const SIG: &str = "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=";

    #[test]
    fn worldline_published_vector_is_valid_and_explained() {
        let body = vector("worldline/worldline-payment-valid-body.json");
        let out = run(worldline(&body, SIG, "dummy-key-id:hello+world"));
        assert_eq!(out["ok"], true, "{out}");
        assert_eq!(out["verdict"], "valid", "{out}");
        assert_eq!(out["response"]["status"], 200);
        let ids: Vec<&str> = out["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| s["id"].as_str().expect("id"))
            .collect();
        assert_eq!(
            ids,
            ["route", "request", "headers", "signature", "normalize"]
        );
        let mac = &out["steps"][3]["mac"];
        assert_eq!(mac["algorithm"], "HMAC-SHA-256");
        assert_eq!(mac["encoding"], "base64");
        assert_eq!(mac["content"]["text"], body.as_str());
        assert_eq!(mac["computed"][0]["signature"], SIG);
        assert_eq!(mac["computed"][0]["matched"], true);
        assert_eq!(mac["received"][0], SIG);
        assert_eq!(out["key"], "dummy-key-id");
        assert_eq!(out["event"]["type"], "payment.succeeded");
        assert_eq!(out["event"]["data"]["amount_minor"], 1000);
        assert_eq!(out["ack"]["status"], 200);
        assert_eq!(out["forward"]["url"], "/__demo/origin");
        assert!(out["hints"].as_array().expect("hints").is_empty());
    }

    #[test]
    fn one_changed_byte_is_a_mismatch_with_a_plain_reason() {
        let body =
            vector("worldline/worldline-payment-valid-body.json").replacen("1000", "1001", 1);
        let out = run(worldline(&body, SIG, "dummy-key-id:hello+world"));
        assert_eq!(out["verdict"], "invalid");
        assert_eq!(out["error"]["code"], "signature_mismatch");
        assert_eq!(out["error"]["status"], 401);
        assert_eq!(out["steps"][3]["status"], "fail");
        assert_eq!(out["steps"][3]["mac"]["computed"][0]["matched"], false);
        let hints = out["hints"].to_string();
        assert!(hints.contains("No common mistake"), "{hints}");
        // The gateway's response never carries the computed signature.
        assert!(!out["response"]["body"].to_string().contains(
            out["steps"][3]["mac"]["computed"][0]["signature"]
                .as_str()
                .expect("sig")
        ));
    }

    #[test]
    fn crlf_body_is_diagnosed() {
        let body = vector("worldline/worldline-payment-valid-body.json");
        assert!(body.contains('\n') && !body.contains('\r'));
        let out = run(worldline(
            &body.replace('\n', "\r\n"),
            SIG,
            "dummy-key-id:hello+world",
        ));
        assert_eq!(out["error"]["code"], "signature_mismatch");
        let hints = out["hints"].to_string();
        assert!(
            hints.contains("CRLF line endings turned into LF"),
            "{hints}"
        );
        let notes = out["steps"][3]["mac"]["content"]["notes"].to_string();
        assert!(notes.contains("carriage return"), "{notes}");
    }

    #[test]
    fn trailing_newline_and_reserialized_json_are_diagnosed() {
        let body = vector("worldline/worldline-payment-valid-body.json");
        let out = run(worldline(
            &format!("{body}\n"),
            SIG,
            "dummy-key-id:hello+world",
        ));
        assert!(
            out["hints"]
                .to_string()
                .contains("without its trailing newline"),
            "{out}"
        );
        let compact: Value = serde_json::from_str(&body).expect("json");
        // serde_json sorts keys, so build a minified body signed by us and paste it pretty.
        let minified = reformat_json(&body, JsonStyle::Compact);
        assert_ne!(minified, body);
        assert!(compact.is_object());
        let sig = STANDARD.encode(RustCrypto.mac(
            crate::verify::Algorithm::HmacSha256,
            b"hello+world",
            &[minified.as_bytes()],
        ));
        let out = run(worldline(&body, &sig, "dummy-key-id:hello+world"));
        assert!(out["hints"].to_string().contains("JSON minified"), "{out}");
    }

    #[test]
    fn another_pasted_secret_and_key_forms_are_tried() {
        let body = vector("worldline/worldline-payment-valid-body.json");
        // Rotation: the old key first, the right one second → valid, key label reported.
        let out = run(worldline(
            &body,
            SIG,
            "dummy-key-id:old\ndummy-key-id:hello+world",
        ));
        assert_eq!(out["verdict"], "valid");
        assert_eq!(out["steps"][3]["mac"]["matched"], 1);
        // The right secret prefixed with whsec_ by mistake.
        let out = run(worldline(&body, SIG, "dummy-key-id:whsec_hello+world"));
        assert!(
            out["hints"]
                .to_string()
                .contains("without its whsec_ prefix"),
            "{out}"
        );
    }

    #[test]
    fn config_errors_are_values_with_the_gateway_code() {
        let out = run(worldline("{}", SIG, "no-colon-here"));
        assert_eq!(out["ok"], true);
        assert_eq!(out["error"]["code"], "config_invalid");
        assert_eq!(out["response"]["status"], 500);
        assert_eq!(out["steps"][0]["id"], "config");
        let out = run(worldline("{}", SIG, ""));
        assert!(
            out["hints"].to_string().contains("Enter the secret"),
            "{out}"
        );
        let bad: Value = serde_json::from_str(&explain_json("{")).expect("json");
        assert_eq!(bad["ok"], false);
        assert_eq!(bad["error"]["code"], "invalid_input");
        let bad: Value =
            serde_json::from_str(&explain_json(r#"{"provider":"worldline","bogus":1}"#))
                .expect("json");
        assert!(bad["error"]["message"]
            .as_str()
            .expect("m")
            .contains("bogus"));
        let bad: Value = serde_json::from_str(&explain_json(
            r#"{"provider":"nope","secrets":"x","request":{},"now_ms":0}"#,
        ))
        .expect("json");
        assert_eq!(bad["error"]["code"], "config_invalid", "{bad}");
    }

    #[test]
    fn missing_header_and_wrong_media_type() {
        let body = vector("worldline/worldline-payment-valid-body.json");
        let mut input = worldline(&body, SIG, "dummy-key-id:hello+world");
        input["request"]["headers"] =
            serde_json::json!("Content-Type: application/json\nX-GCS-KeyId: dummy-key-id");
        let out = run(input.clone());
        assert_eq!(out["error"]["code"], "missing_header");
        assert!(out["hints"].to_string().contains("X-GCS-Signature"));
        input["request"]["headers"] = serde_json::json!({"content-type": "text/plain"});
        let out = run(input);
        assert_eq!(out["error"]["code"], "unsupported_media_type");
        assert_eq!(out["response"]["status"], 415);
    }

    #[test]
    fn handshake_is_explained() {
        let input = serde_json::json!({
            "provider": "worldline", "secrets": "a:b", "now_ms": 0,
            "request": {"method": "GET", "headers": {"X-GCS-Webhooks-Endpoint-Verification": "abc"}}
        });
        let out = run(input);
        assert_eq!(out["verdict"], "handshake");
        assert_eq!(out["response"]["body"], "abc");
    }

    #[test]
    fn pasted_route_config_with_bindings() {
        let body = vector("worldline/worldline-payment-valid-body.json");
        let input = serde_json::json!({
            "route": r#"[{"path":"/hooks/wl","provider":"worldline","secrets":["WL"],"origin":"https://shop.example/in"}]"#,
            "bindings": {"WL": ["dummy-key-id:hello+world"]},
            "now_ms": 0,
            "request": {"raw": format!("POST /elsewhere HTTP/1.1\r\nContent-Type: application/json\r\nX-GCS-Signature: {SIG}\r\nX-GCS-KeyId: dummy-key-id\r\n\r\n{body}")}
        });
        let out = run(input);
        assert_eq!(out["verdict"], "valid", "{out}");
        assert_eq!(out["route"], "/hooks/wl");
        assert!(out["steps"][0]["fields"].to_string().contains("only route"));
        assert_eq!(out["event"]["source"], "edgehook/hooks/wl");
    }

    #[test]
    fn raw_http_parsing() {
        let p = parse_raw_http(
            "POST https://gw.example/hooks/x?a=1 HTTP/1.1\nHost: gw\nX-A:  1 \n  folded\nContent-Length: 2\n\nab\n",
        )
        .expect("parse");
        assert_eq!(p.method, "POST");
        assert_eq!(p.path.as_deref(), Some("/hooks/x"));
        assert_eq!(p.headers[1], ("X-A".into(), "1 folded".into()));
        assert_eq!(p.body, "ab");
        assert!(p.notes[0].contains("dropped 1 byte"));
        let p = parse_raw_http("X-Sig: 1\r\n\r\n{\"a\":\r\n1}").expect("no request line");
        assert_eq!(p.path, None);
        assert_eq!(p.body, "{\"a\":\r\n1}");
        let p = parse_raw_http(":method: POST\n:path: /h?x\nA: b\n\nbody").expect("h2");
        assert_eq!((p.method.as_str(), p.path.as_deref()), ("POST", Some("/h")));
        assert_eq!(p.headers.len(), 1);
        assert!(parse_raw_http("hello world\n\nx").is_err());
        assert!(parse_raw_http("not http\n\nbody").is_err());
        assert!(parse_raw_http("POST / HTTP/1.1\nnot a header\n\n").is_err());
        assert_eq!(parse_raw_http("").expect("empty").body, "");
    }

    #[test]
    fn json_reformatting_keeps_order_and_strings() {
        let s = "{\"b\": [1, {}, []], \"a\": \"x, y: {z}\\\"\"}";
        assert_eq!(
            reformat_json(s, JsonStyle::Compact),
            "{\"b\":[1,{},[]],\"a\":\"x, y: {z}\\\"\"}"
        );
        assert_eq!(
            reformat_json(s, JsonStyle::Pretty(2)),
            "{\n  \"b\": [\n    1,\n    {},\n    []\n  ],\n  \"a\": \"x, y: {z}\\\"\"\n}"
        );
        assert_eq!(reformat_json("[1,2]", JsonStyle::Spaced), "[1, 2]");
    }

    #[test]
    fn sign_round_trips_through_explain() {
        let body = vector("worldline/worldline-payment-valid-body.json");
        let input = serde_json::json!({
            "provider": "worldline", "secrets": "dummy-key-id:hello+world",
            "payload": body, "now_s": 1_700_000_000, "nonce": "000102030405060708090a0b",
            "gateway_url": "http://127.0.0.1:8899/"
        });
        let out: Value = serde_json::from_str(&sign_json(&input.to_string())).expect("json");
        assert_eq!(out["ok"], true, "{out}");
        assert_eq!(out["url"], "http://127.0.0.1:8899/hooks/worldline");
        assert!(out["curl"]
            .as_str()
            .expect("curl")
            .contains("X-GCS-Signature: 2S7doBj"));
        let verify = serde_json::json!({
            "provider": "worldline", "secrets": "dummy-key-id:hello+world", "now_ms": 0,
            "request": {"raw": out["raw"]}
        });
        assert_eq!(run(verify)["verdict"], "valid");
        let bad: Value = serde_json::from_str(&sign_json(
            r#"{"provider":"worldline","secrets":"a:b","payload":"{}","now_s":1}"#,
        ))
        .expect("json");
        assert_eq!(bad["error"]["code"], "invalid_input");
        assert!(bad["error"]["message"]
            .as_str()
            .expect("m")
            .contains("nonce"));
    }

    #[test]
    fn curl_quotes_and_binary() {
        let c = curl_command("http://h/x", &[("a".into(), "it's".into())], b"{'q'}");
        assert!(c.contains(r"-H 'a: it'\''s'"), "{c}");
        assert!(c.contains(r"--data-binary '{'\''q'\''}'"), "{c}");
        let c = curl_command("http://h/x", &[], b"a\rb");
        assert!(
            c.starts_with("printf '%s' 'YQ1i' | base64 -d | curl"),
            "{c}"
        );
        assert_eq!(target_url("http://h:1/", "/p"), "http://h:1/p");
        assert_eq!(target_url("http://h:1/custom", "/p"), "http://h:1/custom");
    }

    #[test]
    fn content_notes_make_invisibles_visible() {
        let n = content_notes(b"\xEF\xBB\xBF{\"u\":\"a\\/b\"}\r\n").join("|");
        assert!(n.contains("carriage return"));
        assert!(n.contains("ends with a newline"));
        assert!(n.contains("\\/"));
        assert!(n.contains("byte order mark"));
        assert!(content_notes(b"\xff").join("").contains("not valid UTF-8"));
    }

    fn quick(provider: &str, secrets: &str, headers: Value, body: &str, now_ms: i64) -> Value {
        run(serde_json::json!({
            "provider": provider, "secrets": secrets, "now_ms": now_ms,
            "request": {"headers": headers, "body": body}
        }))
    }

    const STRIPE_SIG: &str =
        "t=12345,v1=2672d138c9a412830f3bfe2ecc5bfb3277cf6f5b49d0119d77dd6cb64da1257e";

    #[test]
    fn stripe_whsec_prefix_dropped_is_named() {
        let body = vector("stripe/test-webhook-event.json");
        let h =
            serde_json::json!({"Content-Type": "application/json", "Stripe-Signature": STRIPE_SIG});
        let ok = quick("stripe", "whsec_test_secret", h.clone(), &body, 12_345_000);
        assert_eq!(ok["verdict"], "valid", "{ok}");
        assert_eq!(ok["steps"][4]["id"], "timestamp");
        assert_eq!(ok["steps"][4]["timestamp"]["age_s"], 0);
        let out = quick("stripe", "test_secret", h, &body, 12_345_000);
        assert_eq!(out["error"]["code"], "signature_mismatch");
        assert!(
            out["hints"].to_string().contains("with a whsec_ prefix"),
            "{out}"
        );
    }

    #[test]
    fn clock_skew_is_explained_after_a_valid_signature() {
        let body = vector("everifin/everifin-payment-booked.json");
        let h = serde_json::json!({"Content-Type": "application/json", "Signature": "ts=2024-05-07T14:49:55.887Z;v0=25450941c271d5309b57a5ba21486331cb21531fa2a28a0f5f87cc93ebbbe60e"});
        let pinned = quick("everifin", "abcd", h.clone(), &body, 1_715_093_395_887);
        assert_eq!(pinned["verdict"], "valid", "{pinned}");
        let late = quick(
            "everifin",
            "abcd",
            h.clone(),
            &body,
            1_715_093_395_887 + 3_600_000,
        );
        assert_eq!(late["error"]["code"], "stale_timestamp");
        assert_eq!(late["error"]["status"], 408);
        let t = late["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["id"] == "timestamp")
            .expect("timestamp step")
            .clone();
        assert_eq!(t["status"], "fail");
        assert_eq!(t["timestamp"]["age_s"], 3600);
        assert_eq!(t["timestamp"]["within"], false);
        assert!(
            late["hints"].to_string().contains("60 min 0 s ago"),
            "{late}"
        );
        let early = quick("everifin", "abcd", h, &body, 1_715_093_395_887 - 900_000);
        assert!(
            early["hints"].to_string().contains("in the future"),
            "{early}"
        );
    }

    fn lyra_rest_body(hash: &str, key: &str) -> String {
        let answer = vector("lyra-rest/ipn-kr-answer.json");
        form_urlencoded::Serializer::new(String::new())
            .append_pair("kr-hash", hash)
            .append_pair("kr-hash-algorithm", "sha256_hmac")
            .append_pair("kr-hash-key", key)
            .append_pair("kr-answer-type", "V4/Payment")
            .append_pair("kr-answer", &answer)
            .finish()
    }

    #[test]
    fn lyra_wrong_key_type_is_named() {
        let input = |hash: &str, key: &str| {
            serde_json::json!({
                "provider": "lyra-rest",
                "secrets": "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M",
                "hmac_secrets": ["38453613e7f44dc58732bad3dca2bca3"],
                "now_ms": 0,
                "request": {"headers": {"Content-Type": "application/x-www-form-urlencoded"}, "body": lyra_rest_body(hash, key)}
            })
        };
        let published = "88fb7b4838a73c2674ca00ee545454d78dd4b1b733a07c855a1d4460d4417f85";
        let ok = run(input(published, "password"));
        assert_eq!(ok["verdict"], "valid", "{ok}");
        assert_eq!(ok["steps"][3]["mac"]["encoding"], "hex (lowercase)");
        // The password's hash announced as the HMAC key's.
        let out = run(input(published, "sha256_hmac"));
        assert_eq!(out["error"]["code"], "signature_mismatch");
        let hints = out["hints"].to_string();
        assert!(hints.contains("the secrets field"), "{hints}");
        assert!(hints.contains("kr-hash-key"), "{hints}");
    }

    #[test]
    fn sibs_decrypts_and_explains_failures() {
        let v: Value = serde_json::from_str(&vector("sibs/vectors.json")).expect("json");
        let c = &v["cases"][0];
        let input = |tag: &Value| {
            serde_json::json!({"key": c["key"], "iv": c["iv"], "tag": tag, "body": c["body"], "now_ms": 0}).to_string()
        };
        let out: Value = serde_json::from_str(&decrypt_sibs_json(&input(&c["tag"]))).expect("json");
        assert_eq!(out["verdict"], "valid", "{out}");
        assert_eq!(
            out["plaintext"]["text"].as_str(),
            Some(vector("sibs/docs-plaintext.json").as_str())
        );
        assert_eq!(out["steps"][3]["decrypt"]["iv_length"], 12);
        assert_eq!(
            out["event_json"]
                .as_str()
                .map(|e| e.contains("\"value\":2.0")),
            Some(true)
        );
        let bad: Value = serde_json::from_str(&decrypt_sibs_json(&input(&Value::String(
            "FEajWHmZjP4A5qaa1G0kxw==".into(),
        ))))
        .expect("json");
        assert_eq!(bad["error"]["code"], "decryption_failed");
        assert!(
            bad["hints"].to_string().contains("tag does not verify"),
            "{bad}"
        );
        assert!(bad.get("plaintext").is_none());
    }

    #[test]
    fn generic_hmac_github_docs_vector() {
        let out = run(serde_json::json!({
            "provider": "generic-hmac", "secrets": "It's a Secret to Everybody", "now_ms": 0,
            "options": {"scheme": {"header": "X-Hub-Signature-256", "prefix": "sha256="}},
            "request": {"headers": {"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}, "body": "Hello, World!"}
        }));
        assert_eq!(out["verdict"], "valid", "{out}");
        assert_eq!(out["steps"][3]["mac"]["encoding"], "hex (lowercase)");
    }

    #[test]
    fn every_provider_signs_what_it_verifies() {
        let payloads = [
            ("worldline", "dummy-key-id:hello+world", vector("worldline/worldline-payment-valid-body.json")),
            ("sibs", "6fNDiYU0T0/evFpmfycNai/AqF24i+rT0OmuVw0/sGQ=", vector("sibs/docs-plaintext.json")),
            ("lyra-rest", "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M", vector("lyra-rest/ipn-kr-answer.json")),
            ("lyra-form", "TEST:1122334455667788", "vads_amount=5124&vads_ctx_mode=TEST&vads_currency=978&vads_trans_id=123456&vads_trans_date=20170129130025&vads_site_id=12345678&vads_trans_uuid=0f8ce5d9a3c24e2f9b6f2bd5a8e3c101&vads_trans_status=CAPTURED&vads_operation_type=DEBIT".into()),
            ("everifin", "abcd", vector("everifin/everifin-payment-booked.json")),
            ("fedapay", "whsec_test_secret", vector("fedapay/test-webhook-event.json")),
            ("stripe", "whsec_test_secret", vector("stripe/test-webhook-event.json")),
            ("standard-webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", vector("standard-webhooks/js-sign-body.json")),
        ];
        for (provider, secret, payload) in payloads {
            let signed: Value = serde_json::from_str(&sign_json(
                &serde_json::json!({"provider": provider, "secrets": secret, "payload": payload, "now_s": 1_700_000_000, "nonce": "0102030405060708090a0b0c"}).to_string(),
            ))
            .expect("json");
            assert_eq!(signed["ok"], true, "{provider}: {signed}");
            let out = run(serde_json::json!({
                "provider": provider, "secrets": secret, "now_ms": 1_700_000_000_000i64,
                "request": {"raw": signed["raw"]}
            }));
            assert_eq!(out["verdict"], "valid", "{provider}: {out}");
        }
    }

    #[test]
    fn providers_lists_the_registry() {
        let v: Value = serde_json::from_str(&providers_json()).expect("json");
        assert!(v["providers"]
            .as_array()
            .expect("list")
            .contains(&Value::String("worldline".into())));
    }
}
