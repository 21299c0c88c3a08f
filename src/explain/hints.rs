//! The most likely reason a check failed: the check retried with the usual mistakes (key and
//! body variants, another pasted secret, clock skew, config slips) and the one that matches.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::config::ConfigError;
use crate::error::Rejection;
use crate::gateway::{self, Decision, Gateway, Route};
use crate::providers::{Auth, Check};
use crate::request::Request;
use crate::verify::{decode_b64, CryptoBackend, DecryptCheck, MacCheck};

use super::input::Config;
use super::reformat::{reformat_json, JsonStyle};
use super::trace::{human_duration, label_of};
use super::SECRETS;

pub(super) fn failure_hints(
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

pub(super) fn replace(b: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
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

pub(super) fn config_hints(
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
