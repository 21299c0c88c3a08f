//! The explainer end to end: JSON in, JSON out, over published vectors and the usual mistakes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use super::reformat::{reformat_json, JsonStyle};
use super::*;
use crate::verify::{CryptoBackend, RustCrypto};

fn vector(rel: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(rel);
    String::from_utf8(std::fs::read(&p).expect("vector")).expect("utf8")
}

fn run(input: Value) -> Value {
    serde_json::from_str(&explain_json(&input.to_string())).expect("json out")
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
    let body = vector("worldline/worldline-payment-valid-body.json").replacen("1000", "1001", 1);
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
        serde_json::from_str(&explain_json(r#"{"provider":"worldline","bogus":1}"#)).expect("json");
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
    let h = serde_json::json!({"Content-Type": "application/json", "Stripe-Signature": STRIPE_SIG});
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
