//! The payload explainer behind the browser tester (`www/`): the gateway's own steps on one
//! request, each recorded, plus the most likely reason when it fails.
//!
//! It runs on the user's machine with the user's own secrets, so it may show what the gateway
//! never does: the signed content, the signature each key computes, the decrypted body. The
//! verdict is always the gateway's own ([`Gateway::handle`](crate::Gateway::handle)); the steps mirror that pipeline
//! to say *where* and *why*. Inputs and outputs are JSON so the browser glue stays a thin
//! string-in/string-out layer and everything here is tested natively.
//!
//! Every entry point answers `{"ok":true,...}` or `{"ok":false,"error":{"code","message"}}`;
//! codes are the gateway's ([`Rejection::code`](crate::Rejection::code), `config_invalid`) plus `invalid_input` for a
//! malformed call to the tester itself.
//!
//! One file per part: `input.rs` decodes the call (route, secrets, request), `raw_http.rs`
//! parses a pasted HTTP request, `trace.rs` runs the gateway and records each step,
//! `encoding.rs` names wire encodings and invisible characters, `hints.rs` retries a failed
//! check with the usual mistakes (`reformat.rs` re-serializes JSON for one of them),
//! `decrypt_sibs.rs` builds the SIBS request, `sign.rs` builds a signed test request, and
//! `output.rs` holds the answer types.

use serde::Serialize;

use crate::providers::REGISTRY;

mod decrypt_sibs;
mod encoding;
mod hints;
mod input;
mod output;
mod raw_http;
mod reformat;
mod sign;
mod trace;

pub use output::{
    Bytes, DecryptOut, ErrorOut, Explanation, ForwardOut, KeyOut, MacOut, ReplyOut, Step, TimeOut,
};
pub use raw_http::{parse_raw_http, RawRequest};
pub use sign::SignedOut;

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

/// `explain(input)`: JSON in, JSON out (the fields are typed in `src/browser.rs`).
pub fn explain_json(input: &str) -> String {
    answer(trace::explain_value(input))
}

/// `sign(input)`: builds a valid request for the route's provider with its first secret.
pub fn sign_json(input: &str) -> String {
    answer(sign::sign_value(input))
}

/// `decrypt_sibs({key|secrets, iv, tag, body, now_ms})`: the SIBS route's own decryption
/// and normalization on a request built from the three values.
pub fn decrypt_sibs_json(input: &str) -> String {
    answer(decrypt_sibs::decrypt_sibs_value(input))
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
mod tests;
