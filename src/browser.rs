//! The browser (and Node) API: the gateway's core compiled with wasm-bindgen
//! (`--target web`), for the payload tester in `www/` and for anyone's own page or script.
//!
//! Thin on purpose: every function takes a plain object (or its JSON text) and returns a
//! plain object, and all the logic is in [`crate::explain`], tested natively. Nothing here
//! throws: a bad call answers `{ ok: false, error: { code, message } }` with the gateway's
//! codes (`invalid_input` for a malformed call). Nothing leaves the page either: there is
//! no network access in this module, only computation.
//!
//! JS supplies what wasm cannot read itself: the clock (`Date.now()`) and randomness
//! (`crypto.getRandomValues`), each used only when the caller did not pass one.
//!
//! Two modules from one source: feature `browser` builds what a page needs to verify and
//! explain (`explain`, `decrypt_sibs`, `parse_raw_http`, `providers`, `version`), feature
//! `browser-signer` builds `sign` (and `version`) alone, so a page that never signs never
//! downloads the signer. Both call the same core, with the same gateway code.

use wasm_bindgen::prelude::*;

use crate::explain as core;

// The TypeScript types of both modules' `.d.ts`: what both take and give, then each one's own.
#[wasm_bindgen(typescript_custom_section)]
const TYPES_COMMON: &'static str = r#"
/** A failed call: the gateway's stable codes, plus `invalid_input` for a malformed call. */
export interface Failure { ok: false; error: { code: string; message: string } }

/** Header list as `[name, value]` pairs, an object, or `Name: value` lines. */
export type HeadersInput = [string, string][] | Record<string, string> | string;

/** The route: a provider with secret values (quick mode) or a pasted route config. */
export interface RouteInput {
  /** Registry name (`providers()`), e.g. `"worldline"`. */
  provider?: string;
  /** Secret values, one per line or per entry (several = rotation). */
  secrets?: string | string[];
  /** Lyra REST's HMAC-SHA-256 key(s) (`hmac_secrets`). */
  hmac_secrets?: string | string[];
  /** Other route fields: `tolerance_s`, `signature`, `scheme`, `ack_status_code`, `forward`... */
  options?: Record<string, unknown>;
  /** A route object, an `EDGEHOOK_ROUTES` array, or its JSON text (instead of `provider`). */
  route?: object | object[] | string;
  /** Secret binding values for `route`: `{ NAME: "value" | ["line", ...] }`. */
  bindings?: Record<string, string | string[]>;
}

/** Bytes as text (when UTF-8) and base64, with what is invisible in them. */
export interface Bytes { text: string | null; base64: string; length: number; notes: string[] }
"#;

#[cfg(feature = "browser")]
#[wasm_bindgen(typescript_custom_section)]
const TYPES_EXPLAIN: &'static str = r#"
/** The incoming request: raw HTTP text, or its parts. */
export interface RequestInput {
  /** A pasted HTTP/1 request: request line (optional), headers, blank line, body. */
  raw?: string;
  /** Default `POST`. */
  method?: string;
  /** Default: the route's path. */
  path?: string;
  headers?: HeadersInput;
  /** The body as text (exact bytes: a text field turns CRLF into LF). */
  body?: string;
  /** The body as base64, for exact bytes. */
  body_base64?: string;
}

export interface ExplainInput extends RouteInput {
  request: RequestInput;
  /** The clock, Unix ms. Default: `Date.now()`. */
  now_ms?: number;
}

export interface Reply { status: number; content_type: string; body: string }

export interface MacDetails {
  /** `HMAC-SHA-256`, `HMAC-SHA-512`, `HMAC-SHA-1`, `SHA-1`. */
  algorithm: string;
  /** How the signature is written on the wire: `hex (lowercase)`, `base64`... */
  encoding: string;
  /** The exact signed content (without an appended key). */
  content: Bytes;
  /** The key is appended to the content before the digest (Lyra form API). */
  append_key: boolean;
  received: string[];
  /** What each configured key computes: shown only here, on your machine. */
  computed: { label: string; signature: string; matched: boolean }[];
  matched: number | null;
}

export interface TimestampDetails {
  signed_at: number; signed_at_iso: string; now_s: number; now_iso: string;
  /** `now - signed_at` in seconds; negative = in the future. */
  age_s: number; tolerance_s: number; within: boolean;
  /** False when the signature failed first (the gateway checks time only after it). */
  checked: boolean;
}

export interface DecryptDetails {
  iv_length: number; tag_length: number; ciphertext_length: number;
  keys: [string, number][]; matched: number | null;
}

export interface Step {
  id: "config" | "route" | "request" | "handshake" | "headers" | "signature" | "decrypt" | "timestamp" | "normalize";
  title: string;
  status: "ok" | "fail" | "skipped" | "info";
  summary: string;
  fields: [string, string][];
  mac?: MacDetails;
  timestamp?: TimestampDetails;
  decrypt?: DecryptDetails;
}

export interface Explanation {
  ok: true;
  /** The gateway's own decision. */
  verdict: "valid" | "invalid" | "handshake";
  error?: { code: string; message: string; status: number };
  /** What the gateway answers the sender. */
  response: Reply;
  provider?: string;
  route?: string;
  now_ms: number;
  steps: Step[];
  /** Most likely reasons for a failure, in plain words. */
  hints: string[];
  /** Label of the key that matched. */
  key?: string;
  /** The CloudEvent the gateway forwards. */
  event?: Record<string, unknown>;
  /** The same CloudEvent as the exact JSON text forwarded (numbers and key order kept). */
  event_json?: string;
  /** The acknowledgement sent to the provider once the event is queued. */
  ack?: Reply;
  /** The request the gateway sends to the origin. */
  forward?: { url: string; headers: [string, string][]; body: Bytes };
  /** The decrypted payload (SIBS). */
  plaintext?: Bytes;
}

export interface DecryptSibsInput extends RouteInput {
  /** The base64 AES-256 key(s) from the SIBS backoffice (or use `secrets`). */
  key?: string | string[];
  /** `X-Initialization-Vector` (base64). */
  iv: string;
  /** `X-Authentication-Tag` (base64). */
  tag: string;
  /** The request body: base64 ciphertext without the tag. */
  body: string;
  now_ms?: number;
}

export interface RawRequest {
  ok: true; method: string; path: string | null; headers: [string, string][]; body: string; notes: string[];
}
"#;

#[cfg(feature = "browser-signer")]
#[wasm_bindgen(typescript_custom_section)]
const TYPES_SIGN: &'static str = r#"
export interface SignInput extends RouteInput {
  /** The payload (JSON body; Lyra REST: the kr-answer; Lyra form: vads_ fields; SIBS: plaintext). */
  payload?: string;
  payload_base64?: string;
  /** Signing time, Unix seconds. Default: now. */
  now_s?: number;
  /** 12+ random bytes (hex, base64, array or Uint8Array). Default: crypto.getRandomValues. */
  nonce?: string | number[] | Uint8Array;
  /** Gateway base URL (the route path is appended) or a full URL. Default http://127.0.0.1:8787. */
  gateway_url?: string;
}

export interface Signed {
  ok: true; provider: string; path: string; url: string; method: "POST";
  headers: [string, string][]; body: Bytes;
  /** A copyable curl command sending exactly these bytes. */
  curl: string;
  /** The request as raw HTTP/1.1 text. */
  raw: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(value: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
    #[cfg(feature = "browser-signer")]
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;
}

fn failure(message: &str) -> String {
    serde_json::json!({"ok": false, "error": {"code": "invalid_input", "message": message}})
        .to_string()
}

fn to_js(text: String) -> JsValue {
    json_parse(&text).unwrap_or_else(|_| JsValue::from_str(&text))
}

/// The call's input as a JSON object, with the defaults only JS can supply filled in.
fn input(
    value: &JsValue,
    fill: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> Result<String, String> {
    let text = match value.as_string() {
        Some(s) => s,
        None if value.is_undefined() || value.is_null() => {
            return Err("an input object is required".into())
        }
        None => json_stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or("the input cannot be written as JSON")?,
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(mut m)) => {
            fill(&mut m);
            Ok(serde_json::Value::Object(m).to_string())
        }
        // Let the core report what is wrong with it.
        _ => Ok(text),
    }
}

fn now_ms() -> i64 {
    date_now() as i64
}

fn call(
    value: &JsValue,
    run: fn(&str) -> String,
    fill: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> JsValue {
    match input(value, fill) {
        Ok(text) => to_js(run(&text)),
        Err(e) => to_js(failure(&e)),
    }
}

#[cfg(feature = "browser")]
/// The providers compiled into this build, in the gateway's registry order:
/// `{ ok: true, providers: ["worldline", "sibs", ...] }`.
#[wasm_bindgen(unchecked_return_type = "{ ok: true; providers: string[] }")]
pub fn providers() -> JsValue {
    to_js(core::providers_json())
}

#[cfg(feature = "browser")]
/// Runs the gateway's pipeline on one request and explains every step: the route, the
/// headers read and how they parsed, the exact signed content, algorithm and encoding,
/// the signature each key computes next to the received one, the key that matched, the
/// timestamp's age against the tolerance, the decryption, the CloudEvent and the ack; on a
/// failure, `hints` gives the most likely reasons. The verdict is the gateway's own.
#[wasm_bindgen(unchecked_return_type = "Explanation | Failure")]
pub fn explain(
    #[wasm_bindgen(unchecked_param_type = "ExplainInput | string")] input: JsValue,
) -> JsValue {
    call(&input, core::explain_json, |m| {
        m.entry("now_ms").or_insert_with(|| now_ms().into());
    })
}

#[cfg(feature = "browser")]
/// Decrypts a SIBS notification (base64 key, IV, tag and body) with the SIBS route's own
/// code and normalizes it: `plaintext` holds the JSON, or `error` and `hints` say why not.
#[wasm_bindgen(unchecked_return_type = "Explanation | Failure")]
pub fn decrypt_sibs(
    #[wasm_bindgen(unchecked_param_type = "DecryptSibsInput | string")] input: JsValue,
) -> JsValue {
    call(&input, core::decrypt_sibs_json, |m| {
        m.entry("now_ms").or_insert_with(|| now_ms().into());
    })
}

#[cfg(feature = "browser-signer")]
/// Builds a valid test request for a provider from a payload and its first secret (signed,
/// or encrypted for SIBS), with a copyable `curl` command against `gateway_url`.
#[wasm_bindgen(unchecked_return_type = "Signed | Failure")]
pub fn sign(
    #[wasm_bindgen(unchecked_param_type = "SignInput | string")] input: JsValue,
) -> JsValue {
    call(&input, core::sign_json, |m| {
        m.entry("now_s")
            .or_insert_with(|| now_ms().div_euclid(1000).into());
        if !m.contains_key("nonce") {
            let mut nonce = [0u8; 16];
            if get_random_values(&mut nonce).is_ok() {
                m.insert("nonce".into(), hex::encode(nonce).into());
            }
        }
    })
}

#[cfg(feature = "browser")]
/// Parses a pasted raw HTTP request (request line, headers, blank line, body; CRLF or LF)
/// into method, path, headers and the exact body.
#[wasm_bindgen(unchecked_return_type = "RawRequest | Failure")]
pub fn parse_raw_http(text: &str) -> JsValue {
    to_js(core::parse_raw_http_json(text))
}

/// The edgehook version this build was made from.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").into()
}
