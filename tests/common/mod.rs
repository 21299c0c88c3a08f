//! Helpers shared by the native integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use edgehook::providers::{SignInput, Signed};
use edgehook::verify::RustCrypto;
use edgehook::{Decision, Gateway, Request};

/// Path of a vector file.
pub fn vector_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(rel)
}

/// Reads a vector file's bytes exactly.
pub fn read_vector(rel: &str) -> Vec<u8> {
    std::fs::read(vector_path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Reads and parses a JSON vector description.
pub fn vector_json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&read_vector(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A gateway over one route with the given provider and secret values (binding `S0`,
/// `S1`, ... one per secret).
pub fn gateway(provider: &str, secrets: &[&str], extra: &str) -> Gateway {
    let names: Vec<String> = (0..secrets.len()).map(|i| format!("\"S{i}\"")).collect();
    let routes = format!(
        r#"[{{"path":"/h","provider":"{provider}","secrets":[{}],"origin":"https://origin.example/in"{extra}}}]"#,
        names.join(",")
    );
    let owned: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
    let lookup = move |n: &str| -> Option<String> {
        match n {
            "HMAC" => Some("38453613e7f44dc58732bad3dca2bca3".into()),
            _ => n
                .strip_prefix('S')
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| owned.get(i).cloned()),
        }
    };
    Gateway::from_config(&routes, &lookup).unwrap_or_else(|e| panic!("config: {e}"))
}

/// Runs a request through the gateway.
pub fn run(gw: &Gateway, req: &Request) -> Decision {
    gw.handle(req, &RustCrypto)
}

/// The rejection code, or "accepted"/"handshake".
pub fn outcome(d: &Decision) -> &'static str {
    d.outcome()
}

/// The CloudEvent an accepted decision forwards (panics when it was not accepted).
pub fn cloud_event(d: &Decision) -> serde_json::Value {
    let Decision::Accept { delivery, .. } = d else {
        panic!("not accepted: {d:?}")
    };
    serde_json::from_str(&delivery.event).expect("event json")
}

/// A form POST to `/h` at `now_ms`.
pub fn post_form(now_ms: i64, body: &str) -> Request {
    Request::new("POST", "/h", now_ms)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.as_bytes().to_vec())
}

/// A form body of `pairs`, in order.
pub fn form_of<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k.as_ref(), v.as_ref());
    }
    s.finish()
}

/// What route `/h`'s provider would send for `payload`, signed (or encrypted) with its
/// first secret.
pub fn sign(gw: &Gateway, payload: &[u8], now_s: i64, nonce: [u8; 12]) -> Signed {
    gw.route("/h")
        .expect("route")
        .provider
        .sign(
            &SignInput {
                payload,
                now_s,
                nonce,
            },
            &RustCrypto,
        )
        .expect("sign")
}

/// A POST to `/h` at `now_ms` with a signed request's headers and body.
pub fn signed_post(signed: Signed, now_ms: i64) -> Request {
    let mut req = Request::new("POST", "/h", now_ms).body(signed.body);
    req.headers = signed.headers;
    req
}

/// For a vector case that must be refused (`"accepted"` not true): asserts its `code` and
/// `http` status and returns true; false for a case that must be accepted.
pub fn refused_as_expected(case: &serde_json::Value, d: &Decision, name: &str) -> bool {
    if case["accepted"].as_bool() == Some(true) {
        return false;
    }
    let code = case["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: code"));
    assert_eq!(outcome(d), code, "{name}");
    assert_eq!(
        d.reply().status as u64,
        case["http"].as_u64().expect("http")
    );
    true
}

/// Asserts a vector case's `expect` fields against the event: `id` and `time` at the top,
/// the others under `data`.
pub fn assert_expected(
    expect: &serde_json::Map<String, serde_json::Value>,
    e: &serde_json::Value,
    name: &str,
) {
    for (field, want) in expect {
        let got = match field.as_str() {
            "id" | "time" => &e[field],
            _ => &e["data"][field],
        };
        assert_eq!(got, want, "{name}: {field}");
    }
}

/// Runs a table of bad requests: each is refused with its code and status, and no response
/// body contains `secret`. Returns each case's name, code and response body for checks
/// of its own.
pub fn assert_refusals<'c>(
    gw: &Gateway,
    cases: Vec<(&'c str, Request, &'c str, u16)>,
    secret: &str,
) -> Vec<(&'c str, &'c str, String)> {
    cases
        .into_iter()
        .map(|(name, req, code, status)| {
            let d = run(gw, &req);
            assert_eq!(outcome(&d), code, "{name}");
            assert_eq!(d.reply().status, status, "{name}");
            let body = d.reply().body;
            assert!(!body.contains(secret), "{name}");
            (name, code, body)
        })
        .collect()
}

/// The route's provider as `Debug` prints it: no `secret`, and says it redacted.
pub fn assert_redacted(gw: &Gateway, secret: &str) {
    let debug = format!("{:?}", gw.route("/h").expect("route").provider);
    assert!(
        !debug.contains(secret) && debug.contains("redacted"),
        "{debug}"
    );
}

/// The CloudEvent a route of `provider` makes of `payload`, sent as that provider signs
/// (or encrypts) it, at `now_s`.
pub fn normalized(
    provider: &str,
    secrets: &[&str],
    extra: &str,
    payload: &str,
    now_s: i64,
) -> serde_json::Value {
    let gw = gateway(provider, secrets, extra);
    let signed = sign(&gw, payload.as_bytes(), now_s, [7; 12]);
    cloud_event(&run(&gw, &signed_post(signed, now_s * 1000)))
}
