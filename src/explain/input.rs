//! Decoding a call: the route (a provider with secret values, or a pasted route config with
//! its bindings) and the request (raw HTTP text or its parts), into what the gateway takes.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::config::ConfigError;
use crate::gateway::Gateway;
use crate::request::Request;
use crate::verify::decode_b64;

use super::raw_http::{parse_header_lines, parse_raw_http};
use super::{ApiError, DEMO_ORIGIN, HMAC_SECRETS, SECRETS};

/// One string (possibly several lines) or a list of them.
#[derive(Debug, Clone)]
pub(super) enum Lines {
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
    pub(super) fn joined(&self) -> String {
        match self {
            Self::One(s) => s.clone(),
            Self::Many(v) => v.join("\n"),
        }
    }
}

/// Headers as `[[name, value]]`, `{name: value}` or `"Name: value"` lines.
#[derive(Debug, Clone)]
pub(super) enum HeadersIn {
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
pub(super) struct ConfigIn {
    #[serde(default)]
    pub(super) provider: Option<String>,
    #[serde(default)]
    pub(super) secrets: Option<Lines>,
    #[serde(default)]
    pub(super) hmac_secrets: Option<Lines>,
    #[serde(default)]
    pub(super) options: Option<Map<String, Value>>,
    #[serde(default)]
    pub(super) route: Option<Value>,
    #[serde(default)]
    pub(super) bindings: BTreeMap<String, Lines>,
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
pub(super) struct RequestIn {
    #[serde(default)]
    pub(super) raw: Option<String>,
    #[serde(default)]
    pub(super) method: Option<String>,
    #[serde(default)]
    pub(super) path: Option<String>,
    #[serde(default)]
    pub(super) headers: Option<HeadersIn>,
    #[serde(default)]
    pub(super) body: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
}

pub(super) fn parse_input(text: &str, own_keys: &[&str]) -> Result<Value, ApiError> {
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

pub(super) fn field<T: for<'de> Deserialize<'de> + Default>(
    v: &Value,
    key: &str,
) -> Result<T, ApiError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(x) => serde_json::from_value(x.clone())
            .map_err(|e| ApiError::input(format!("field {key}: {e}"))),
    }
}

pub(super) fn config_in(v: &Value) -> Result<ConfigIn, ApiError> {
    serde_json::from_value(v.clone()).map_err(|e| ApiError::input(format!("route fields: {e}")))
}

/// A route config ready for [`Gateway::from_config`], with the secret values behind it.
#[derive(Debug, Clone)]
pub(super) struct Config {
    pub(super) routes: Vec<Map<String, Value>>,
    pub(super) bindings: BTreeMap<String, String>,
    /// Quick mode (provider + secrets) rather than a pasted route.
    pub(super) quick: bool,
}

impl Config {
    pub(super) fn from_input(c: &ConfigIn) -> Result<Self, ApiError> {
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

    pub(super) fn json(&self) -> String {
        Value::Array(self.routes.iter().cloned().map(Value::Object).collect()).to_string()
    }

    pub(super) fn gateway(&self) -> Result<Gateway, ConfigError> {
        let lookup = |n: &str| self.bindings.get(n).cloned();
        Gateway::from_config(&self.json(), &lookup)
    }

    /// Every secret value the user entered, with where it came from, for the "matches
    /// another of your secrets" hint (and the part after `ID:` for `KEY_ID:SECRET` lines).
    pub(super) fn secret_values(&self) -> Vec<(String, String)> {
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

    pub(super) fn binding_label(&self, name: &str) -> String {
        match (self.quick, name) {
            (true, SECRETS) => "the secrets field".into(),
            (true, HMAC_SECRETS) => "the hmac_secrets field".into(),
            _ => format!("binding {name}"),
        }
    }
}

pub(super) fn build_request(
    r: &RequestIn,
    now_ms: i64,
    default_path: &str,
) -> Result<Request, ApiError> {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

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
}
