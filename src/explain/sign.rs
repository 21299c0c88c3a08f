//! A valid test request for a route, built by the provider's own `sign()` (SIBS: encrypted),
//! with a copyable `curl` command and the raw HTTP text.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use crate::providers::SignInput;
use crate::verify::{decode_b64, RustCrypto};

use super::input::{config_in, field, parse_input, Config};
use super::output::Bytes;
use super::ApiError;

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

pub(super) fn sign_value(input: &str) -> Result<SignedOut, ApiError> {
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

pub(super) fn raw_http(url: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
