//! Standard Webhooks against the reference libraries' published vectors and negative cases
//! (tests/vectors/standard-webhooks/).

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::*;
use edgehook::providers::SignInput;
use edgehook::verify::{Algorithm, CryptoBackend, RustCrypto};
use edgehook::{Decision, Gateway, Request};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS: i64 = 1_614_265_330;
const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn body() -> Vec<u8> {
    read_vector("standard-webhooks/js-sign-body.json")
}

fn post(body: &[u8], id: &str, ts: &str, sig: &str, now_s: i64) -> Request {
    Request::new("POST", "/h", now_s * 1000)
        .header("Content-Type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts)
        .header("webhook-signature", sig)
        .body(body.to_vec())
}

/// `v1,<base64>` over `<id>.<ts>.<body>` with a `whsec_` secret, computed here independently
/// of the provider module.
fn sign(secret: &str, id: &str, ts: i64, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("b64");
    let mac = RustCrypto.mac(
        Algorithm::HmacSha256,
        &key,
        &[format!("{id}.{ts}.").as_bytes(), body],
    );
    format!("v1,{}", STANDARD.encode(mac))
}

fn sw(secrets: &[&str], extra: &str) -> Gateway {
    gateway("standard-webhooks", secrets, extra)
}

#[test]
fn published_vectors() {
    let v = vector_json("standard-webhooks/vectors.json");
    for case in v["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let body = read_vector(&format!(
            "standard-webhooks/{}",
            case["body_file"].as_str().expect("file")
        ));
        let ts = case["timestamp"].as_i64().expect("ts");
        let (id, sig) = (
            case["id"].as_str().expect("id"),
            case["signature"].as_str().expect("sig"),
        );
        let gw = sw(&[case["secret"].as_str().expect("secret")], "");
        let req = if case["svix"].as_bool() == Some(true) {
            Request::new("POST", "/h", ts * 1000)
                .header("Content-Type", "application/json")
                .header("svix-id", id)
                .header("svix-timestamp", &ts.to_string())
                .header("svix-signature", sig)
                .body(body)
        } else {
            post(&body, id, &ts.to_string(), sig, ts)
        };
        let d = run(&gw, &req);
        let expect = case["expect"].as_str().expect("expect");
        assert_eq!(outcome(&d), expect, "{name}");
        let status = d.reply().status;
        assert_eq!(
            status,
            if expect == "accepted" { 200 } else { 401 },
            "{name}"
        );
        assert!(
            !d.reply().body.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            "{name}"
        );
    }
}

#[test]
fn rotation_old_new_neither() {
    let old = "whsec_b2xkLXN0YW5kYXJkLXdlYmhvb2tzLWtleQ==";
    let body = body();
    let gw = sw(&[old, SECRET], "");
    let accept_key = |sig: &str| match run(&gw, &post(&body, ID, &TS.to_string(), sig, TS)) {
        Decision::Accept { key, .. } => key,
        d => panic!("not accepted: {d:?}"),
    };
    assert_eq!(accept_key(SIG), "secret #2");
    assert_eq!(accept_key(&sign(old, ID, TS, &body)), "secret #1");
    let neither = sign("whsec_bmVpdGhlci1rZXk=", ID, TS, &body);
    assert_eq!(
        outcome(&run(&gw, &post(&body, ID, &TS.to_string(), &neither, TS))),
        "signature_mismatch"
    );
    // Several secrets in one binding, one per line.
    let gw = sw(&[&format!("{old}\n{SECRET}")], "");
    assert_eq!(
        outcome(&run(&gw, &post(&body, ID, &TS.to_string(), SIG, TS))),
        "accepted"
    );
    // Sender-side rotation: old and new signatures side by side, route knows only the new.
    let gw = sw(&[SECRET], "");
    let both = format!("{} {SIG}", sign(old, ID, TS, &body));
    assert_eq!(
        outcome(&run(&gw, &post(&body, ID, &TS.to_string(), &both, TS))),
        "accepted"
    );
}

#[test]
fn bad_requests_have_precise_codes() {
    let gw = sw(&[SECRET], "");
    let body = body();
    let ts = TS.to_string();
    let full = || post(&body, ID, &ts, SIG, TS);
    let without = |name: &str| {
        let mut r = full();
        r.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        r
    };
    let check = |req: &Request, code: &str, status: u16| {
        let d = run(&gw, req);
        assert_eq!((outcome(&d), d.reply().status), (code, status), "{req:?}");
        let v: serde_json::Value = serde_json::from_str(&d.reply().body).expect("json");
        assert_eq!(v["error"]["code"], code);
        assert!(!d.reply().body.contains("g0hM9SsE"), "no signature echoed");
    };
    check(&without("webhook-id"), "missing_header", 401);
    check(&without("webhook-timestamp"), "missing_header", 401);
    check(&without("webhook-signature"), "missing_header", 401);
    check(&post(&body, ID, "hello", SIG, TS), "malformed_header", 400);
    check(
        &post(&body, ID, "-1614265330", SIG, TS),
        "malformed_header",
        400,
    );
    check(
        &post(&body, ID, "1614265330.5", SIG, TS),
        "malformed_header",
        400,
    );
    check(&post(&body, ID, &ts, SIG, TS - 301), "stale_timestamp", 408);
    check(&post(&body, ID, &ts, SIG, TS + 301), "stale_timestamp", 408);
    check(
        &full().header("Webhook-Signature", SIG),
        "duplicate_header",
        400,
    );
    let mut tampered = body.clone();
    tampered[9] = b'3';
    check(
        &post(&tampered, ID, &ts, SIG, TS),
        "signature_mismatch",
        401,
    );
    check(
        &post(&body, "msg_other", &ts, SIG, TS),
        "signature_mismatch",
        401,
    );
    // A valid signature over a body that is not JSON.
    let text = b"not json".to_vec();
    let sig = sign(SECRET, ID, TS, &text);
    check(&post(&text, ID, &ts, &sig, TS), "malformed_body", 400);
    let mut xml = full();
    xml.headers[0].1 = "text/xml".into();
    check(&xml, "unsupported_media_type", 415);
    // Svix set partly sent: the missing header is named.
    let svix = Request::new("POST", "/h", TS * 1000)
        .header("svix-id", ID)
        .header("svix-timestamp", &ts)
        .body(body.clone());
    let d = run(&gw, &svix);
    assert_eq!(outcome(&d), "missing_header");
    assert!(
        d.reply().body.contains("svix-signature"),
        "{}",
        d.reply().body
    );
}

#[test]
fn tolerance_is_both_ways_and_configurable() {
    let gw = sw(&[SECRET], "");
    let body = body();
    let ts = TS.to_string();
    for now in [TS - 300, TS, TS + 300] {
        assert_eq!(
            outcome(&run(&gw, &post(&body, ID, &ts, SIG, now))),
            "accepted"
        );
    }
    let gw = sw(&[SECRET], r#","tolerance_s":10"#);
    assert_eq!(
        outcome(&run(&gw, &post(&body, ID, &ts, SIG, TS + 10))),
        "accepted"
    );
    assert_eq!(
        outcome(&run(&gw, &post(&body, ID, &ts, SIG, TS + 11))),
        "stale_timestamp"
    );
    assert_eq!(
        outcome(&run(&gw, &post(&body, ID, &ts, SIG, TS - 11))),
        "stale_timestamp"
    );
}

#[test]
fn secrets_are_checked_at_config_time() {
    for bad in ["whsec_", "whsec_%%%", "It's a Secret to Everybody"] {
        let routes =
            r#"[{"path":"/h","provider":"standard-webhooks","secrets":["S"],"origin":"/o"}]"#;
        let lookup = |_: &str| Some(bad.to_string());
        let e = Gateway::from_config(routes, &lookup).expect_err(bad);
        assert_eq!(e.at, "routes[0].secrets", "{bad}");
        if bad.len() > 6 {
            assert!(!e.reason.contains(bad), "the secret is not echoed: {e}");
        }
    }
}

#[test]
fn maps_to_normalized_event() {
    let gw = sw(&[SECRET], "");
    let payload = br#"{"type":"payment.succeeded","timestamp":"2026-05-01T12:00:00.250+02:00","data":{"id":"pay_42","amount":2500,"currency":"eur","reference":"order-42","payment_method":"Card"}}"#;
    let now = 1_777_636_800;
    let sig = sign(SECRET, "msg_map_1", now, payload);
    let d = run(
        &gw,
        &post(payload, "msg_map_1", &now.to_string(), &sig, now),
    );
    let Decision::Accept { delivery, ack, key } = d else {
        panic!("not accepted: {d:?}")
    };
    assert_eq!(key, "secret #1");
    assert_eq!(ack.status, 200);
    let a: serde_json::Value = serde_json::from_str(&ack.body).expect("ack json");
    assert_eq!(a["id"], "msg_map_1");
    let e: serde_json::Value = serde_json::from_str(&delivery.event).expect("event");
    assert_eq!(e["id"], "msg_map_1");
    assert_eq!(e["type"], "payment.succeeded");
    assert_eq!(e["provider"], "standard-webhooks");
    assert_eq!(e["source"], "edgehook/h");
    assert_eq!(e["time"], "2026-05-01T10:00:00.250Z");
    assert_eq!(e["data"]["status"], "succeeded");
    assert_eq!(e["data"]["payment_id"], "pay_42");
    assert_eq!(e["data"]["merchant_reference"], "order-42");
    assert_eq!(e["data"]["amount_minor"], 2500);
    assert_eq!(e["data"]["currency"], "EUR");
    assert_eq!(e["data"]["method"], "card");
    assert_eq!(e["data"]["provider_event_type"], "payment.succeeded");
    assert_eq!(e["data"]["raw"]["data"]["id"], "pay_42");
    assert_eq!(delivery.id, "msg_map_1");
    assert_eq!(delivery.payload.as_bytes(), payload);

    // No usable payload timestamp: the signed header time; unknown fields stay null.
    let payload = br#"{"type":"contact.updated","timestamp":"yesterday","data":{"amount":19.99}}"#;
    let sig = sign(SECRET, "msg_map_2", now, payload);
    let d = run(
        &gw,
        &post(payload, "msg_map_2", &now.to_string(), &sig, now),
    );
    let Decision::Accept { delivery, .. } = d else {
        panic!("not accepted: {d:?}")
    };
    let e: serde_json::Value = serde_json::from_str(&delivery.event).expect("event");
    assert_eq!(e["time"], "2026-05-01T12:00:00.000Z");
    assert_eq!(e["type"], "payment.unknown");
    assert!(e["data"]["amount_minor"].is_null());
    assert!(e["data"]["currency"].is_null());
    assert!(e["data"]["payment_id"].is_null());
}

#[test]
fn sign_then_verify_round_trip() {
    let gw = sw(&[SECRET, "whsec_b3RoZXI="], "");
    let body = body();
    let route = gw.route("/h").expect("route");
    let signed = route
        .provider
        .sign(
            &SignInput {
                payload: &body,
                now_s: TS,
                nonce: [7; 12],
            },
            &RustCrypto,
        )
        .expect("sign");
    let header = |n: &str| {
        signed
            .headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .expect(n)
    };
    let id = header("webhook-id");
    assert_eq!(header("webhook-timestamp"), TS.to_string());
    // Independently recomputed, with the first secret.
    assert_eq!(header("webhook-signature"), sign(SECRET, &id, TS, &body));
    let mut req = Request::new("POST", "/h", TS * 1000).body(signed.body);
    req.headers = signed.headers;
    assert_eq!(outcome(&run(&gw, &req)), "accepted");
}
