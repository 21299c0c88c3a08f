//! FedaPay against the computed vector (tests/vectors/fedapay/), rotation, every bad input
//! with its code, and the normalized event field by field.

mod common;
mod stamped;

use common::*;
use stamped::*;

const HEADER: &str = "X-FEDAPAY-SIGNATURE";
const SECRET: &str = "wh_sandbox_a1B2c3D4e5";
const SIG: &str = "2672d138c9a412830f3bfe2ecc5bfb3277cf6f5b49d0119d77dd6cb64da1257e";
const NOW: i64 = 1_700_000_000_000;

fn vector_body() -> Vec<u8> {
    read_vector("fedapay/test-webhook-event.json")
}

fn signed_event(body: &str) -> serde_json::Value {
    let t = (NOW / 1000).to_string();
    let value = format!("t={t},s={}", hmac_hex(SECRET, &t, body.as_bytes()));
    event("fedapay", HEADER, SECRET, &value, body.as_bytes(), NOW).0
}

const APPROVED: &str = r#"{"name":"transaction.approved","object":"transaction","entity":{"klass":"v1/transaction","id":104599,"reference":"trx_3xG_1700000000123","amount":15000,"description":"Order 1001","status":"approved","custom_metadata":{"order_id":"order-1001"},"currency":{"iso":"XOF"},"mode":"MTN_OPEN","created_at":"2023-11-14T22:10:00.000Z","updated_at":"2023-11-14T22:13:19.000Z","approved_at":"2023-11-14T22:13:18.000Z"}}"#;

#[test]
fn computed_vectors() {
    assert!(run_vectors("fedapay") >= 8);
}

#[test]
fn approved_transaction_maps_to_normalized_event() {
    let e = signed_event(APPROVED);
    assert_eq!(e["type"], "payment.succeeded");
    assert_eq!(e["provider"], "fedapay");
    // No event id in the body: a stable hash of it.
    let id = e["id"].as_str().expect("id");
    assert!(id.starts_with("fedapay-"), "{id}");
    assert_eq!(e["id"], signed_event(APPROVED)["id"]);
    assert_eq!(e["time"], "2023-11-14T22:13:18.000Z");
    let d = &e["data"];
    assert_eq!(d["payment_id"], "104599");
    assert_eq!(d["merchant_reference"], "order-1001");
    assert_eq!(d["status"], "succeeded");
    // XOF has no minor unit: 15000 XOF is 15000.
    assert_eq!(d["amount_minor"], 15000);
    assert_eq!(d["currency"], "XOF");
    assert_eq!(d["method"], "mtn_open");
    assert_eq!(d["provider_event_type"], "transaction.approved");
    assert_eq!(d["raw"]["entity"]["reference"], "trx_3xG_1700000000123");
}

#[test]
fn statuses_amounts_and_ids() {
    for (name, status, expect) in [
        ("transaction.approved", "approved", "succeeded"),
        ("transaction.transferred", "transferred", "succeeded"),
        ("transaction.declined", "declined", "failed"),
        ("transaction.canceled", "canceled", "cancelled"),
        ("transaction.created", "pending", "pending"),
        ("transaction.updated", "approved", "succeeded"),
        ("transaction.updated", "pending", "pending"),
        ("transaction.updated", "refunded", "refunded"),
        ("transaction.updated", "declined", "failed"),
        ("customer.created", "", "unknown"),
        ("customer.deleted", "approved", "unknown"),
    ] {
        let e = signed_event(&format!(
            r#"{{"id":42,"name":"{name}","entity":{{"id":7,"status":"{status}","reference":"trx_7","amount":100,"currency":{{"iso":"XOF"}}}}}}"#
        ));
        assert_eq!(e["data"]["status"], expect, "{name} {status}");
        assert_eq!(e["id"], "42");
        // Without custom_metadata.order_id the FedaPay reference stands in.
        assert_eq!(e["data"]["merchant_reference"], "trx_7");
    }
    // A 2-decimal currency: FedaPay's major units become cents.
    let e = signed_event(
        r#"{"name":"transaction.approved","entity":{"id":8,"amount":25,"currency":{"iso":"eur"}}}"#,
    );
    assert_eq!(e["data"]["amount_minor"], 2500);
    assert_eq!(e["data"]["currency"], "EUR");
    // No currency: the amount's unit is unknown, so no amount is guessed.
    let e = signed_event(r#"{"name":"transaction.approved","entity":{"id":9,"amount":25}}"#);
    assert_eq!(e["data"]["amount_minor"], serde_json::Value::Null);
    // The vector's minimal event: accepted, unknown, its own id.
    let v = String::from_utf8(vector_body()).expect("utf8");
    let e = signed_event(&v);
    assert_eq!(e["id"], "evt_test_webhook");
    assert_eq!(e["data"]["status"], "unknown");
}

#[test]
fn rotation_old_new_neither() {
    let body = vector_body();
    let t = (NOW / 1000).to_string();
    let value_for = |secrets: &[&str]| unix_value("s", &t, &body, secrets);
    rotation("fedapay", HEADER, value_for, &body, NOW);
}

#[test]
fn bad_inputs_each_with_its_code() {
    let body = vector_body();
    let now = 12_345_000;
    expect_codes(
        "fedapay",
        HEADER,
        "whsec_test_secret",
        &body,
        now,
        &[
            // The SDKs: "Unable to extract timestamp and signatures from header".
            (&format!("s={SIG}"), "malformed_header"),
            (&format!("t=,s={SIG}"), "malformed_header"),
            (&format!("t=abc,s={SIG}"), "malformed_header"),
            (&format!("t=-12345,s={SIG}"), "malformed_header"),
            (&format!("t=12345.0,s={SIG}"), "malformed_header"),
            (&format!("t=1e4,s={SIG}"), "malformed_header"),
            (&format!("t=12345,t=12345,s={SIG}"), "malformed_header"),
            // "No signatures found with expected scheme".
            ("t=12345", "malformed_header"),
            (&format!("t=12345,v1={SIG}"), "signature_mismatch"),
            ("t=12345,s=xyz", "malformed_signature"),
            // Spaces around items are tolerated (the content signs the parsed t).
            (&format!(" t=12345 , s={SIG} "), "accepted"),
            (&format!("t=012345,s={SIG}"), "accepted"),
            (&format!("t=12345;s={SIG}"), "malformed_header"),
        ],
    );
}

#[test]
fn api_keys_are_refused_in_config() {
    refuses_api_keys("fedapay", &["sk_sandbox_abc", "pk_live_abc"], "wh_live_");
}

#[test]
fn sign_then_verify_round_trip() {
    let e = sign_round_trip("fedapay", SECRET, APPROVED.as_bytes(), 1_700_000_000);
    assert_eq!(e["type"], "payment.succeeded");
    assert_eq!(e["data"]["amount_minor"], 15000);
}

/// FedaPay labels its webhook secrets: the one that verified says live or test, and a
/// `live_only` route refuses sandbox events.
#[test]
fn livemode_from_the_secret_that_verified() {
    assert_eq!(signed_event(APPROVED)["data"]["livemode"], false);
    let t = (NOW / 1000).to_string();
    let live = "wh_live_f6G7h8";
    for (secrets, extra, want) in [
        (vec![live, SECRET], "", Some(true)),
        (vec![SECRET, live], "", Some(true)),
        (vec!["plain-secret", live], "", Some(true)),
    ] {
        let gw = gateway("fedapay", &secrets, extra);
        let value = format!("t={t},s={}", hmac_hex(live, &t, APPROVED.as_bytes()));
        let req = edgehook::Request::new("POST", "/h", NOW)
            .header("content-type", "application/json")
            .header(HEADER, &value)
            .body(APPROVED.as_bytes().to_vec());
        assert_eq!(
            cloud_event(&run(&gw, &req))["data"]["livemode"].as_bool(),
            want
        );
    }
    // an unlabelled secret says nothing, and live_only refuses what says nothing
    let gw = gateway("fedapay", &["plain-secret"], r#","live_only":true"#);
    let value = format!(
        "t={t},s={}",
        hmac_hex("plain-secret", &t, APPROVED.as_bytes())
    );
    let req = edgehook::Request::new("POST", "/h", NOW)
        .header("content-type", "application/json")
        .header(HEADER, &value)
        .body(APPROVED.as_bytes().to_vec());
    let d = run(&gw, &req);
    assert_eq!((outcome(&d), d.reply().status), ("test_event_refused", 403));
}
