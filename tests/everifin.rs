//! Everifin Paygate against the published vector (tests/vectors/everifin/), rotation, every
//! bad input with its code, and the normalized event field by field.

mod common;
mod stamped;

use common::*;
use stamped::*;

const HEADER: &str = "Signature";
const TS: &str = "2024-05-07T14:49:55.887Z";
/// The published hook's ts, in ms: the clock is fixed there.
const NOW: i64 = 1_715_093_395_887;
const SIG: &str = "25450941c271d5309b57a5ba21486331cb21531fa2a28a0f5f87cc93ebbbe60e";

fn body() -> Vec<u8> {
    read_vector("everifin/everifin-payment-booked.json")
}

#[test]
fn published_vectors() {
    assert!(run_vectors("everifin") >= 8);
}

#[test]
fn published_hook_maps_to_normalized_event() {
    let (e, delivery, ack) = event(
        "everifin",
        HEADER,
        "abcd",
        &format!("ts={TS};v0={SIG}"),
        &body(),
        NOW,
    );
    assert_eq!(ack.status, 200);
    assert_eq!(ack.content_type, "application/json");
    assert_eq!(e["specversion"], "1.0");
    assert_eq!(e["id"], "c2949dfe-4585-46eb-9213-35f0f7faf055");
    assert_eq!(e["type"], "payment.succeeded");
    assert_eq!(e["source"], "edgehook/h");
    assert_eq!(e["time"], "2024-05-07T14:49:55.884Z");
    assert_eq!(e["provider"], "everifin");
    let d = &e["data"];
    assert_eq!(d["payment_id"], "da96bc8f-cc77-4ae8-80ac-84b648178d60");
    assert_eq!(d["merchant_reference"], serde_json::Value::Null);
    assert_eq!(d["status"], "succeeded");
    assert_eq!(d["amount_minor"], serde_json::Value::Null);
    assert_eq!(d["currency"], serde_json::Value::Null);
    assert_eq!(d["method"], serde_json::Value::Null);
    assert_eq!(d["provider_event_type"], "payment.statusChange");
    assert_eq!(d["raw"]["clientId"], "62d23f64-2317-4071-8779-1cf52695b93d");
    assert_eq!(delivery.payload.as_bytes(), body().as_slice());
    assert_eq!(delivery.id, "c2949dfe-4585-46eb-9213-35f0f7faf055");
}

fn signed_event(body: &str) -> serde_json::Value {
    let value = format!("ts={TS};v0={}", hmac_hex("abcd", TS, body.as_bytes()));
    event("everifin", HEADER, "abcd", &value, body.as_bytes(), NOW).0
}

#[test]
fn statuses_references_and_refunds() {
    for (status, refund, expect) in [
        ("BOOKED", false, "succeeded"),
        ("CONFIRMED", false, "pending"),
        ("PROCESSING", false, "pending"),
        ("CREATED", false, "pending"),
        ("SEEN", false, "pending"),
        ("WITHDRAWN", false, "cancelled"),
        ("FAILED", false, "failed"),
        ("EXPIRED", false, "failed"),
        ("PROCESSING_EXPIRED", false, "failed"),
        ("BOOKED", true, "refunded"),
        ("PROCESSING", true, "pending"),
        ("SOMETHING_NEW", false, "unknown"),
    ] {
        let id = if refund { "refundId" } else { "paymentId" };
        let e = signed_event(&format!(
            r#"{{"eventId":"e-{status}-{refund}","eventType":"payment.statusChange","eventTimestamp":"2024-05-07T14:49:55.000Z","data":{{"{id}":"p-1","orderId":"o-1","instructionId":"i-1","status":"{status}"}}}}"#
        ));
        assert_eq!(e["data"]["status"], expect, "{status} refund={refund}");
        assert_eq!(e["type"], format!("payment.{expect}"));
        assert_eq!(e["data"]["payment_id"], "p-1");
        // No externalId: the order id is the reference.
        assert_eq!(e["data"]["merchant_reference"], "o-1");
    }
    let e = signed_event(
        r#"{"eventId":"e-x","eventType":"order.statusChange","eventTimestamp":"2024-05-07T14:49:55Z","data":{"orderId":"o-2","externalId":"shop-42","status":"PAID","hookData":{"a":1}}}"#,
    );
    assert_eq!(e["data"]["merchant_reference"], "shop-42");
    assert_eq!(e["data"]["payment_id"], serde_json::Value::Null);
    assert_eq!(e["data"]["provider_event_type"], "order.statusChange");
    assert_eq!(e["data"]["raw"]["data"]["hookData"]["a"], 1);
    // No eventId: a stable id from the body, the same on every retry.
    let b = r#"{"eventType":"payment.statusChange","data":{"paymentId":"p-9","status":"SEEN"}}"#;
    let (a1, a2) = (signed_event(b), signed_event(b));
    assert_eq!(a1["id"], a2["id"]);
    assert!(a1["id"].as_str().expect("id").starts_with("everifin-"));
    assert_eq!(a1["data"]["status"], "pending");
}

/// Order hooks carry the order statuses of the Paygate payment-flow docs (UNPAID,
/// PARTIALLY_PAID, PAID), not the payment ones.
#[test]
fn order_hooks_map_order_statuses() {
    for (status, expect) in [
        ("UNPAID", "pending"),
        ("PARTIALLY_PAID", "pending"),
        ("PAID", "succeeded"),
        ("BOOKED", "unknown"),
    ] {
        let e = signed_event(&format!(
            r#"{{"eventId":"o-{status}","eventType":"order.statusChange","eventTimestamp":"2024-05-07T14:49:55Z","data":{{"orderId":"o-2","status":"{status}"}}}}"#
        ));
        assert_eq!(e["type"], format!("payment.{expect}"), "{status}");
    }
}

/// `payment.statusCheck` asks for an answer only the origin has: refused with a code and
/// a message saying what to change in Everifin, after the signature verified.
#[test]
fn status_check_is_refused_with_a_documented_code() {
    let b = br#"{"eventId":"c-1","eventType":"payment.statusCheck","eventTimestamp":"2024-05-07T14:49:55Z","data":{"paymentId":"p-9"}}"#;
    let gw = gateway("everifin", &["abcd"], "");
    let value = format!("ts={TS};v0={}", hmac_hex("abcd", TS, b));
    let d = run(&gw, &post(HEADER, &value, b, NOW));
    assert_eq!(outcome(&d), "unsupported_payload");
    let reply = d.reply();
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("Hooks"), "{}", reply.body);
    // Unsigned, it is a signature failure like any other request.
    let bad = format!("ts={TS};v0={}", hmac_hex("wrong", TS, b));
    assert_eq!(
        outcome(&run(&gw, &post(HEADER, &bad, b, NOW))),
        "signature_mismatch"
    );
}

#[test]
fn rotation_old_new_neither() {
    let body = body();
    // Everifin sends v0 (oldest secret) and v1 (newer) during the 24 h transition.
    let value_for = |secrets: &[&str]| {
        let mut v = format!("ts={TS}");
        for (i, s) in secrets.iter().enumerate() {
            v.push_str(&format!(";v{i}={}", hmac_hex(s, TS, &body)));
        }
        v
    };
    rotation("everifin", HEADER, value_for, &body, NOW);
}

#[test]
fn bad_inputs_each_with_its_code() {
    let body = body();
    expect_codes(
        "everifin",
        HEADER,
        "abcd",
        &body,
        NOW,
        &[
            (&format!("v0={SIG}"), "malformed_header"),
            (&format!("ts=;v0={SIG}"), "malformed_header"),
            (&format!("ts=yesterday;v0={SIG}"), "malformed_header"),
            (&format!("ts=1715093395;v0={SIG}"), "malformed_header"),
            (&format!("ts={TS};ts={TS};v0={SIG}"), "malformed_header"),
            (&format!("ts={TS}"), "malformed_header"),
            (&format!("ts={TS};v0=nothex"), "malformed_signature"),
            (&format!("ts={TS};v0="), "malformed_signature"),
            (&format!("ts={TS};v0={}", &SIG[..63]), "malformed_signature"),
            (&format!("ts={TS};v0={}", &SIG[..62]), "signature_mismatch"),
            (&format!("ts={TS};sig={SIG}"), "signature_mismatch"),
            // `,` is not Everifin's separator: the whole rest is the ts value.
            (&format!("ts={TS},v0={SIG}"), "malformed_header"),
        ],
    );
    let gw = gateway("everifin", &["abcd"], "");
    let no_header = stamped::post("X-Other", "x", &body, NOW);
    assert_eq!(outcome(&run(&gw, &no_header)), "missing_header");
    assert_eq!(run(&gw, &no_header).reply().status, 401);
    let dup = stamped::post(HEADER, &format!("ts={TS};v0={SIG}"), &body, NOW)
        .header("signature", &format!("ts={TS};v0={SIG}"));
    assert_eq!(outcome(&run(&gw, &dup)), "duplicate_header");
    let mut xml = stamped::post(HEADER, &format!("ts={TS};v0={SIG}"), &body, NOW);
    xml.headers[0].1 = "text/xml".into();
    assert_eq!(outcome(&run(&gw, &xml)), "unsupported_media_type");
    // Authentic but not a JSON object: 400, never a panic.
    for bad in ["[1,2]", "not json", ""] {
        let v = format!("ts={TS};v0={}", hmac_hex("abcd", TS, bad.as_bytes()));
        let d = run(&gw, &stamped::post(HEADER, &v, bad.as_bytes(), NOW));
        assert_eq!(outcome(&d), "malformed_body", "{bad:?}");
    }
    assert_eq!(
        outcome(&run(&gw, &edgehook::Request::new("GET", "/h", NOW))),
        "method_not_allowed"
    );
}

#[test]
fn sign_then_verify_round_trip() {
    let e = sign_round_trip("everifin", "abcd", &body(), 1_700_000_000);
    assert_eq!(e["id"], "c2949dfe-4585-46eb-9213-35f0f7faf055");
    assert_eq!(e["type"], "payment.succeeded");
}
