//! Worldline Direct against the SDKs' published vectors (tests/vectors/worldline/).

mod common;

use common::*;
use edgehook::{Decision, Request};

const NOW: i64 = 1_700_000_000_000;

fn post(body: &[u8], key_id: &str, sig: &str) -> Request {
    Request::new("POST", "/h", NOW)
        .header("Content-Type", "application/json")
        .header("X-GCS-Signature", sig)
        .header("X-GCS-KeyId", key_id)
        .body(body.to_vec())
}

#[test]
fn published_vectors() {
    let v = vector_json("worldline/vectors.json");
    let key_id = v["key_id"].as_str().expect("key_id");
    for case in v["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let mut body = read_vector(&format!(
            "worldline/{}",
            case["body_file"].as_str().expect("file")
        ));
        if let Some(r) = case["replace"].as_array() {
            let (from, to) = (r[0].as_str().expect("from"), r[1].as_str().expect("to"));
            let text = String::from_utf8(body).expect("utf8").replace(from, to);
            body = text.into_bytes();
        }
        let secret = case["secret"]
            .as_str()
            .or(v["secret"].as_str())
            .expect("secret");
        let gw = gateway("worldline", &[&format!("{key_id}:{secret}")], "");
        let d = run(
            &gw,
            &post(&body, key_id, case["signature"].as_str().expect("sig")),
        );
        let sig_ok = case["signature_valid"].as_bool().expect("bool");
        if !sig_ok {
            assert!(
                matches!(outcome(&d), "signature_mismatch" | "malformed_signature"),
                "{name}: {}",
                outcome(&d)
            );
            assert_eq!(d.reply().status, 401, "{name}");
            continue;
        }
        assert_ne!(outcome(&d), "signature_mismatch", "{name}");
        match case["accepted"].as_bool() {
            Some(false) => assert_eq!(outcome(&d), case["code"].as_str().expect("code"), "{name}"),
            _ => {
                // The SDK's minimal body (`worldline-valid-body.json`) carries only the
                // envelope; it authenticates and is accepted with unknown payment fields.
                assert_eq!(outcome(&d), "accepted", "{name}");
            }
        }
    }
}

#[test]
fn payment_maps_to_normalized_event() {
    let body = read_vector("worldline/worldline-payment-valid-body.json");
    let gw = gateway("worldline", &["dummy-key-id:hello+world"], "");
    let d = run(
        &gw,
        &post(
            &body,
            "dummy-key-id",
            "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=",
        ),
    );
    let Decision::Accept { delivery, ack, key } = d else {
        panic!("not accepted: {d:?}")
    };
    assert_eq!(ack.status, 200);
    assert_eq!(key, "dummy-key-id");
    let e: serde_json::Value = serde_json::from_str(&delivery.event).expect("event json");
    assert_eq!(e["specversion"], "1.0");
    assert_eq!(e["id"], "8ee793f6-4553-4749-85dc-f2ef095c5ab0");
    assert_eq!(e["type"], "payment.succeeded");
    assert_eq!(e["source"], "edgehook/h");
    assert_eq!(e["time"], "2017-02-02T10:24:14.040Z");
    assert_eq!(e["provider"], "worldline");
    assert_eq!(e["data"]["payment_id"], "00000200000143570012");
    assert_eq!(e["data"]["amount_minor"], 1000);
    assert_eq!(e["data"]["currency"], "EUR");
    assert_eq!(e["data"]["status"], "succeeded");
    assert_eq!(e["data"]["method"], "banktransfer");
    assert_eq!(e["data"]["provider_event_type"], "payment.paid");
    assert_eq!(e["data"]["raw"]["payment"]["status"], "PAID");
    // raw keeps the original bytes, whitespace included
    assert_eq!(delivery.payload.as_bytes(), body.as_slice());
}

#[test]
fn rotation_selects_by_key_id() {
    let body = read_vector("worldline/worldline-payment-valid-body.json");
    let sig = "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=";
    let gw = gateway(
        "worldline",
        &["old-key:nope", "dummy-key-id:hello+world"],
        "",
    );
    assert_eq!(
        outcome(&run(&gw, &post(&body, "dummy-key-id", sig))),
        "accepted"
    );
    assert_eq!(
        outcome(&run(&gw, &post(&body, "old-key", sig))),
        "signature_mismatch"
    );
    assert_eq!(
        outcome(&run(&gw, &post(&body, "unknown", sig))),
        "unknown_key_id"
    );
    // several lines in one binding
    let gw = gateway("worldline", &["old-key:nope\ndummy-key-id:hello+world"], "");
    assert_eq!(
        outcome(&run(&gw, &post(&body, "dummy-key-id", sig))),
        "accepted"
    );
}

#[test]
fn handshake_and_bad_requests() {
    let gw = gateway("worldline", &["k:s"], "");
    let d = run(
        &gw,
        &Request::new("GET", "/h", NOW).header("X-GCS-Webhooks-Endpoint-Verification", "abc 123"),
    );
    let r = d.reply();
    assert_eq!((r.status, r.body.as_str()), (200, "abc 123"));
    assert!(r.content_type.starts_with("text/plain"));
    assert_eq!(
        outcome(&run(&gw, &Request::new("GET", "/h", NOW))),
        "missing_header"
    );
    assert_eq!(
        outcome(&run(&gw, &Request::new("PUT", "/h", NOW))),
        "method_not_allowed"
    );
    assert_eq!(
        outcome(&run(&gw, &Request::new("POST", "/nope", NOW))),
        "unknown_route"
    );
    let body = read_vector("worldline/worldline-payment-valid-body.json");
    let sig = "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=";
    let no_sig = Request::new("POST", "/h", NOW)
        .header("X-GCS-KeyId", "k")
        .body(body.clone());
    assert_eq!(outcome(&run(&gw, &no_sig)), "missing_header");
    assert_eq!(
        outcome(&run(&gw, &post(&body, "k", "%%%"))),
        "malformed_signature"
    );
    let dup = post(&body, "k", sig).header("x-gcs-signature", sig);
    assert_eq!(outcome(&run(&gw, &dup)), "duplicate_header");
    let xml = Request::new("POST", "/h", NOW)
        .header("Content-Type", "text/xml")
        .body(body);
    assert_eq!(outcome(&run(&gw, &xml)), "unsupported_media_type");
}

#[test]
fn stripping_cr_breaks_signature() {
    // Signatures cover the raw bytes: a body re-serialized or with CRLF altered must fail.
    let body = read_vector("worldline/worldline-payment-valid-body.json");
    let crlf = String::from_utf8(body).expect("utf8").replace('\n', "\r\n");
    let gw = gateway("worldline", &["dummy-key-id:hello+world"], "");
    let d = run(
        &gw,
        &post(
            crlf.as_bytes(),
            "dummy-key-id",
            "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=",
        ),
    );
    assert_eq!(outcome(&d), "signature_mismatch");
}

#[test]
fn sign_then_verify_round_trip() {
    use edgehook::providers::SignInput;
    use edgehook::verify::RustCrypto;
    let gw = gateway("worldline", &["dummy-key-id:hello+world"], "");
    let body = read_vector("worldline/worldline-payment-valid-body.json");
    let route = gw.route("/h").expect("route");
    let signed = route
        .provider
        .sign(
            &SignInput {
                payload: &body,
                now_s: NOW / 1000,
                nonce: [0; 12],
            },
            &RustCrypto,
        )
        .expect("sign");
    // Same bytes as the SDK's published signature.
    assert!(signed.headers.contains(&(
        "X-GCS-Signature".into(),
        "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=".into()
    )));
    let mut req = Request::new("POST", "/h", NOW).body(signed.body);
    req.headers = signed.headers;
    assert_eq!(outcome(&run(&gw, &req)), "accepted");
}
