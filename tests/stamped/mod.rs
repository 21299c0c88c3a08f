//! Shared by tests/everifin.rs, tests/fedapay.rs and tests/stripe.rs: the three sign
//! `"<timestamp>.<raw body>"` with HMAC-SHA-256 in one `k=v` header, so their vector files
//! share one format and one runner.
#![allow(dead_code)]

use edgehook::providers::SignInput;
use edgehook::verify::{Algorithm, CryptoBackend, RustCrypto};
use edgehook::{Decision, Request};

use crate::common::*;

/// A JSON POST on the test route `/h` carrying `header: value`.
pub fn post(header: &str, value: &str, body: &[u8], now_ms: i64) -> Request {
    Request::new("POST", "/h", now_ms)
        .header("Content-Type", "application/json")
        .header(header, value)
        .body(body.to_vec())
}

/// Lower-case hex HMAC-SHA-256 of `prefix` + `.` + `body` (for rotation cases built at run time).
pub fn hmac_hex(secret: &str, prefix: &str, body: &[u8]) -> String {
    hex::encode(RustCrypto.mac(
        Algorithm::HmacSha256,
        secret.as_bytes(),
        &[prefix.as_bytes(), b".", body],
    ))
}

fn real_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

fn status_of(code: &str) -> u16 {
    match code {
        "accepted" => 200,
        "stale_timestamp" => 408,
        "malformed_header" | "malformed_body" => 400,
        _ => 401,
    }
}

/// Runs every case of `tests/vectors/<provider>/vectors.json`: each names its body file,
/// the signature header value, optionally the secrets, the clock (`now_ms`, `"real"`) and a
/// suffix appended to the body, and the expected outcome code.
pub fn run_vectors(provider: &str) -> usize {
    let v = vector_json(&format!("{provider}/vectors.json"));
    assert!(
        !v["sources"].as_array().expect("sources").is_empty(),
        "sources"
    );
    let header = v["header"].as_str().expect("header");
    let cases = v["cases"].as_array().expect("cases");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        assert!(case["origin"].is_string(), "{name}: origin");
        let mut body = read_vector(&format!(
            "{provider}/{}",
            case["body_file"].as_str().expect("body_file")
        ));
        if let Some(s) = case["body_suffix"].as_str() {
            body.extend_from_slice(s.as_bytes());
        }
        let secrets: Vec<&str> = match case["secrets"].as_array() {
            Some(a) => a.iter().map(|s| s.as_str().expect("secret")).collect(),
            None => vec![v["secret"].as_str().expect("secret")],
        };
        let now_ms = match &case["now_ms"] {
            serde_json::Value::String(s) if s == "real" => real_now_ms(),
            serde_json::Value::Number(n) => n.as_i64().expect("now_ms"),
            _ => v["now_ms"].as_i64().expect("now_ms"),
        };
        let gw = gateway(provider, &secrets, "");
        let d = run(
            &gw,
            &post(
                header,
                case["signature"].as_str().expect("sig"),
                &body,
                now_ms,
            ),
        );
        let expect = case["expect"].as_str().expect("expect");
        assert_eq!(outcome(&d), expect, "{provider}: {name}");
        assert_eq!(d.reply().status, status_of(expect), "{provider}: {name}");
        if expect != "accepted" {
            // Never the secret nor a computed signature in a rejection.
            let body = d.reply().body;
            assert!(secrets.iter().all(|s| !body.contains(s)), "{name}");
            assert!(body.contains(expect), "{name}: {body}");
        }
    }
    cases.len()
}

/// Each `(header value, expected code)` against a route with `secret`, at `now_ms`.
pub fn expect_codes(
    provider: &str,
    header: &str,
    secret: &str,
    body: &[u8],
    now_ms: i64,
    cases: &[(&str, &str)],
) {
    let gw = gateway(provider, &[secret], "");
    for (value, code) in cases {
        let d = run(&gw, &post(header, value, body, now_ms));
        assert_eq!(outcome(&d), *code, "{provider}: {header}: {value:?}");
        assert_eq!(d.reply().status, status_of(code), "{value:?}");
        assert!(!d.reply().body.contains(secret));
    }
}

/// Old secret, new secret, both, neither: any configured secret may match any signature.
pub fn rotation(
    provider: &str,
    header: &str,
    value_for: impl Fn(&[&str]) -> String,
    body: &[u8],
    now_ms: i64,
) {
    let (old, new) = ("old-secret-1", "new-secret-2");
    for (configured, signed_with, expect) in [
        (&[old][..], &[old][..], "accepted"),
        (&[new][..], &[old, new][..], "accepted"),
        (&[old][..], &[old, new][..], "accepted"),
        (&[old, new][..], &[new][..], "accepted"),
        (&[new][..], &[old][..], "signature_mismatch"),
        (&["neither"][..], &[old, new][..], "signature_mismatch"),
    ] {
        let gw = gateway(provider, configured, "");
        let d = run(&gw, &post(header, &value_for(signed_with), body, now_ms));
        assert_eq!(
            outcome(&d),
            expect,
            "{provider}: configured {configured:?}, signed with {signed_with:?}"
        );
    }
    // Several secrets in one binding, one per line, is the same rotation.
    let gw = gateway(provider, &["unrelated\nnew-secret-2"], "");
    let d = run(&gw, &post(header, &value_for(&[new]), body, now_ms));
    assert_eq!(outcome(&d), "accepted");
}

/// `sign()` with the first secret builds a request the route accepts, and the CloudEvent it
/// becomes; also checks the `Debug` of the route never shows the secret.
pub fn sign_round_trip(provider: &str, secret: &str, body: &[u8], now_s: i64) -> serde_json::Value {
    let gw = gateway(provider, &[secret, "second-secret"], "");
    let route = gw.route("/h").expect("route");
    assert!(
        !format!("{gw:?}").contains(secret),
        "Debug leaks the secret"
    );
    let signed = route
        .provider
        .sign(
            &SignInput {
                payload: body,
                now_s,
                nonce: [0; 12],
            },
            &RustCrypto,
        )
        .expect("sign");
    assert_eq!(signed.body, body);
    let mut req = Request::new("POST", "/h", now_s * 1000).body(signed.body);
    req.headers = signed.headers;
    let d = run(&gw, &req);
    let Decision::Accept { delivery, key, .. } = d else {
        panic!("{provider}: signed request not accepted: {d:?}")
    };
    assert_eq!(key, "secret#0");
    // Tolerance holds in both directions around the signing time.
    for skew in [-301_000, 301_000] {
        let mut late = req.clone();
        late.now_ms += skew;
        assert_eq!(outcome(&run(&gw, &late)), "stale_timestamp");
    }
    for skew in [-300_000, 300_999] {
        let mut ok = req.clone();
        ok.now_ms += skew;
        assert_eq!(outcome(&run(&gw, &ok)), "accepted", "skew {skew}");
    }
    serde_json::from_str(&delivery.event).expect("event json")
}

/// The normalized event of a body accepted with a header built by `value`.
pub fn event(
    provider: &str,
    header: &str,
    secret: &str,
    value: &str,
    body: &[u8],
    now_ms: i64,
) -> (
    serde_json::Value,
    Box<edgehook::Delivery>,
    edgehook::providers::Reply,
) {
    let gw = gateway(provider, &[secret], "");
    let d = run(&gw, &post(header, value, body, now_ms));
    let Decision::Accept { delivery, ack, .. } = d else {
        panic!("{provider}: not accepted: {d:?}")
    };
    let e = serde_json::from_str(&delivery.event).expect("event json");
    (e, delivery, ack)
}

/// A header value `t=<t>,<key>=<hex>...` with one signature per secret (Stripe `v1`, FedaPay `s`).
pub fn unix_value(key: &str, t: &str, body: &[u8], secrets: &[&str]) -> String {
    let mut v = format!("t={t}");
    for s in secrets {
        v.push_str(&format!(",{key}={}", hmac_hex(s, t, body)));
    }
    v
}

/// A route whose secret is one of the provider's API keys fails config, explained with
/// `hint` and without echoing the key.
pub fn refuses_api_keys(provider: &str, keys: &[&str], hint: &str) {
    let routes = format!(
        r#"[{{"path":"/h","provider":"{provider}","secrets":["S"],"origin":"https://o.example/x"}}]"#
    );
    for key in keys {
        let lookup = |_: &str| Some(key.to_string());
        let e = edgehook::Gateway::from_config(&routes, &lookup).expect_err("api key");
        assert_eq!(e.at, "routes[0].secrets");
        assert!(e.reason.contains(hint), "{e}");
        assert!(!e.reason.contains(key), "the key is not echoed");
    }
}
