//! Stripe against the computed vector (tests/vectors/stripe/), rotation (several `v1` during
//! a secret roll), every bad input with its code, and the normalized event field by field.

mod common;
mod stamped;

use common::*;
use stamped::*;

const HEADER: &str = "Stripe-Signature";
const SECRET: &str = "whsec_5f8c1e0d2b3a4f6e7d8c9b0a1f2e3d4c";
const SIG: &str = "2672d138c9a412830f3bfe2ecc5bfb3277cf6f5b49d0119d77dd6cb64da1257e";
const NOW: i64 = 1_700_000_000_000;

fn vector_body() -> Vec<u8> {
    read_vector("stripe/test-webhook-event.json")
}

fn signed_event(body: &str) -> serde_json::Value {
    let t = (NOW / 1000).to_string();
    let value = format!("t={t},v1={}", hmac_hex(SECRET, &t, body.as_bytes()));
    event("stripe", HEADER, SECRET, &value, body.as_bytes(), NOW).0
}

const PI_SUCCEEDED: &str = r#"{
  "id": "evt_3OKx2bLkdIwHu7ix0Zj2tVQp",
  "object": "event",
  "api_version": "2023-10-16",
  "created": 1700000000,
  "data": {
    "object": {
      "id": "pi_3OKx2bLkdIwHu7ix0pY7Vb1H",
      "object": "payment_intent",
      "amount": 2000,
      "amount_received": 2000,
      "currency": "eur",
      "metadata": {"order_id": "order-1001"},
      "payment_method_types": ["card"],
      "status": "succeeded"
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {"id": "req_8HsQp3XwNn3nBa", "idempotency_key": "k1"},
  "type": "payment_intent.succeeded"
}"#;

#[test]
fn computed_vectors() {
    assert!(run_vectors("stripe") >= 8);
}

#[test]
fn payment_intent_maps_to_normalized_event() {
    let e = signed_event(PI_SUCCEEDED);
    assert_eq!(e["id"], "evt_3OKx2bLkdIwHu7ix0Zj2tVQp");
    assert_eq!(e["type"], "payment.succeeded");
    assert_eq!(e["time"], "2023-11-14T22:13:20.000Z");
    assert_eq!(e["provider"], "stripe");
    let d = &e["data"];
    assert_eq!(d["payment_id"], "pi_3OKx2bLkdIwHu7ix0pY7Vb1H");
    assert_eq!(d["merchant_reference"], "order-1001");
    assert_eq!(d["status"], "succeeded");
    assert_eq!(d["amount_minor"], 2000);
    assert_eq!(d["currency"], "EUR");
    assert_eq!(d["method"], "card");
    assert_eq!(d["provider_event_type"], "payment_intent.succeeded");
    assert_eq!(d["raw"]["request"]["id"], "req_8HsQp3XwNn3nBa");
}

fn wrap(kind: &str, object: &str) -> String {
    format!(
        r#"{{"id":"evt_{kind}","object":"event","created":1700000000,"type":"{kind}","data":{{"object":{object}}}}}"#
    )
}

#[test]
fn event_types_map_to_the_vocabulary() {
    let cases = [
        (
            "payment_intent.payment_failed",
            r#"{"id":"pi_1","object":"payment_intent","amount":500,"amount_received":0,"currency":"usd","status":"requires_payment_method"}"#,
            "failed",
            Some(500),
        ),
        (
            "payment_intent.canceled",
            r#"{"id":"pi_1","object":"payment_intent","amount":500,"currency":"usd","status":"canceled"}"#,
            "cancelled",
            Some(500),
        ),
        (
            "payment_intent.processing",
            r#"{"id":"pi_1","object":"payment_intent","amount":500,"amount_received":0,"currency":"usd","status":"processing"}"#,
            "pending",
            Some(500),
        ),
        (
            "payment_intent.amount_capturable_updated",
            r#"{"id":"pi_1","object":"payment_intent","amount":500,"currency":"usd","status":"requires_capture"}"#,
            "authorized",
            Some(500),
        ),
        (
            "charge.succeeded",
            r#"{"id":"ch_1","object":"charge","amount":700,"currency":"gbp","payment_intent":"pi_1","payment_method_details":{"type":"card"},"status":"succeeded","captured":true}"#,
            "succeeded",
            Some(700),
        ),
        (
            "charge.failed",
            r#"{"id":"ch_1","object":"charge","amount":700,"currency":"gbp","payment_intent":"pi_1","status":"failed"}"#,
            "failed",
            Some(700),
        ),
        (
            "charge.refunded",
            r#"{"id":"ch_1","object":"charge","amount":700,"amount_refunded":200,"currency":"gbp","payment_intent":"pi_1","status":"succeeded"}"#,
            "refunded",
            Some(200),
        ),
        (
            "refund.created",
            r#"{"id":"re_1","object":"refund","amount":200,"currency":"gbp","payment_intent":"pi_1","status":"succeeded"}"#,
            "refunded",
            Some(200),
        ),
        (
            "refund.updated",
            r#"{"id":"re_1","object":"refund","amount":200,"currency":"gbp","payment_intent":"pi_1","status":"pending"}"#,
            "pending",
            Some(200),
        ),
        (
            "charge.dispute.created",
            r#"{"id":"dp_1","object":"dispute","amount":700,"currency":"gbp","payment_intent":"pi_1","status":"needs_response"}"#,
            "chargeback",
            Some(700),
        ),
        (
            "checkout.session.completed",
            r#"{"id":"cs_1","object":"checkout.session","amount_total":1234,"currency":"eur","client_reference_id":"cart-9","payment_intent":"pi_1","payment_method_types":["card","sepa_debit"],"payment_status":"paid","status":"complete"}"#,
            "succeeded",
            Some(1234),
        ),
        (
            "checkout.session.completed",
            r#"{"id":"cs_1","object":"checkout.session","amount_total":1234,"currency":"eur","payment_intent":"pi_1","payment_status":"unpaid","status":"complete"}"#,
            "pending",
            Some(1234),
        ),
        (
            "checkout.session.async_payment_succeeded",
            r#"{"id":"cs_1","object":"checkout.session","amount_total":1234,"currency":"eur","payment_intent":"pi_1","payment_status":"paid"}"#,
            "succeeded",
            Some(1234),
        ),
        (
            "checkout.session.async_payment_failed",
            r#"{"id":"cs_1","object":"checkout.session","amount_total":1234,"currency":"eur","payment_intent":"pi_1","payment_status":"unpaid"}"#,
            "failed",
            Some(1234),
        ),
        (
            "invoice.paid",
            r#"{"id":"in_1","object":"invoice","amount_due":900,"amount_paid":900,"currency":"usd","payment_intent":"pi_1","status":"paid"}"#,
            "succeeded",
            Some(900),
        ),
        (
            "invoice.payment_failed",
            r#"{"id":"in_1","object":"invoice","amount_due":900,"amount_paid":0,"currency":"usd","payment_intent":"pi_1","status":"open"}"#,
            "failed",
            Some(900),
        ),
        (
            "customer.created",
            r#"{"id":"cus_1","object":"customer"}"#,
            "unknown",
            None,
        ),
    ];
    for (kind, object, expect, amount) in cases {
        let e = signed_event(&wrap(kind, object));
        assert_eq!(e["data"]["status"], expect, "{kind}");
        assert_eq!(e["type"], format!("payment.{expect}"), "{kind}");
        assert_eq!(e["data"]["amount_minor"].as_i64(), amount, "{kind}");
        assert_eq!(e["id"], format!("evt_{kind}"));
        assert_eq!(e["data"]["provider_event_type"], kind);
        if kind != "customer.created" {
            // The PaymentIntent links charges, refunds, disputes and sessions.
            assert_eq!(e["data"]["payment_id"], "pi_1", "{kind}");
        }
    }
    let e = signed_event(&wrap("checkout.session.completed", cases[10].1));
    assert_eq!(e["data"]["merchant_reference"], "cart-9");
    assert_eq!(e["data"]["method"], "card");
    let e = signed_event(&wrap("charge.succeeded", cases[4].1));
    assert_eq!(e["data"]["method"], "card");
    assert_eq!(e["data"]["currency"], "GBP");
    // The vector's minimal event: accepted, unknown, time from the gateway clock.
    let e = signed_event(&String::from_utf8(vector_body()).expect("utf8"));
    assert_eq!(e["id"], "evt_test_webhook");
    assert_eq!(e["data"]["status"], "unknown");
    assert_eq!(e["data"]["payment_id"], serde_json::Value::Null);
}

#[test]
fn rotation_old_new_neither() {
    let body = vector_body();
    let t = (NOW / 1000).to_string();
    // During a roll Stripe sends one v1 per valid secret.
    let value_for = |secrets: &[&str]| unix_value("v1", &t, &body, secrets);
    rotation("stripe", HEADER, value_for, &body, NOW);
}

#[test]
fn bad_inputs_each_with_its_code() {
    let body = vector_body();
    let now = 12_345_000;
    expect_codes(
        "stripe",
        HEADER,
        "whsec_test_secret",
        &body,
        now,
        &[
            // stripe-node: "Unable to extract timestamp and signatures from header".
            (&format!("v1={SIG}"), "malformed_header"),
            (&format!("t=,v1={SIG}"), "malformed_header"),
            (&format!("t=NaN,v1={SIG}"), "malformed_header"),
            (&format!("t=-1,v1={SIG}"), "malformed_header"),
            (&format!("t=12345,t=12346,v1={SIG}"), "malformed_header"),
            // "No signatures found with expected scheme".
            ("t=12345", "malformed_header"),
            // v0 alone (legacy scheme) is never accepted.
            (&format!("t=12345,v0={SIG}"), "signature_mismatch"),
            ("t=12345,v1=not-hex", "malformed_signature"),
            (&format!("t=12345,v1={}", &SIG[..10]), "signature_mismatch"),
            (&format!("t=12345, v1={SIG}"), "accepted"),
            (&format!("v1={SIG},t=12345"), "accepted"),
        ],
    );
    // Stale in both directions with the default tolerance.
    let gw = gateway("stripe", &["whsec_test_secret"], "");
    let v = format!("t=12345,v1={SIG}");
    for (now, code) in [
        (12_345_000 + 300_999, "accepted"),
        (12_345_000 + 301_000, "stale_timestamp"),
        (12_345_000 - 301_000, "stale_timestamp"),
    ] {
        assert_eq!(
            outcome(&run(&gw, &stamped::post(HEADER, &v, &body, now))),
            code
        );
    }
    // A route tolerance is honoured.
    let gw = gateway("stripe", &["whsec_test_secret"], r#","tolerance_s":10"#);
    let d = run(&gw, &stamped::post(HEADER, &v, &body, 12_345_000 + 11_000));
    assert_eq!(outcome(&d), "stale_timestamp");
    assert_eq!(d.reply().status, 408);
}

#[test]
fn api_keys_are_refused_in_config() {
    refuses_api_keys(
        "stripe",
        &["sk_test_abc", "rk_live_abc", "pk_test_abc"],
        "whsec_",
    );
}

#[test]
fn sign_then_verify_round_trip() {
    let e = sign_round_trip("stripe", SECRET, PI_SUCCEEDED.as_bytes(), 1_700_000_000);
    assert_eq!(e["id"], "evt_3OKx2bLkdIwHu7ix0Zj2tVQp");
    assert_eq!(e["data"]["amount_minor"], 2000);
}

/// Stripe's amount representation against ISO 4217 minor units, one case per exponent
/// class and for each currency where they differ (docs.stripe.com/currencies, special cases;
/// Stripe support "Deprecation of fractional ISK charges and refunds").
#[test]
fn amounts_are_iso_4217_minor_units() {
    for (currency, stripe_amount, minor) in [
        ("eur", 1999, Some(1999)), // two decimals, both
        ("jpy", 500, Some(500)),   // zero-decimal, both
        ("xof", 15000, Some(15000)),
        ("kwd", 5120, Some(5120)), // three decimals, both
        ("isk", 100, Some(1)),     // "an ISK amount of 100 ... represent[s] 1 krona"
        ("isk", 500, Some(5)),
        ("isk", 4010, None), // fractional krona: not expressible in ISO 4217 ISK
        ("mga", 500, Some(50000)), // zero-decimal at Stripe, two decimals in ISO 4217
        ("huf", 1000, Some(1000)),
    ] {
        let object = format!(
            r#"{{"id":"pi_1","object":"payment_intent","amount":{stripe_amount},"amount_received":{stripe_amount},"currency":"{currency}","status":"succeeded"}}"#
        );
        let e = signed_event(&wrap("payment_intent.succeeded", &object));
        assert_eq!(
            e["data"]["amount_minor"].as_i64(),
            minor,
            "{currency} {stripe_amount}"
        );
        assert_eq!(e["data"]["currency"], currency.to_ascii_uppercase());
    }
}

/// Outcomes that depend on the object: an uncaptured charge is an authorization, a dispute
/// won leaves the money with the merchant, a saved card is a verification.
#[test]
fn object_state_decides_where_the_type_does_not() {
    let charge = |captured: bool| {
        format!(
            r#"{{"id":"ch_1","object":"charge","amount":700,"currency":"gbp","payment_intent":"pi_1","status":"succeeded","captured":{captured}}}"#
        )
    };
    let e = signed_event(&wrap("charge.succeeded", &charge(false)));
    assert_eq!(e["type"], "payment.authorized");
    let e = signed_event(&wrap("charge.succeeded", &charge(true)));
    assert_eq!(e["type"], "payment.succeeded");
    let dispute = |status: &str| {
        format!(
            r#"{{"id":"dp_1","object":"dispute","amount":700,"currency":"gbp","payment_intent":"pi_1","status":"{status}"}}"#
        )
    };
    assert_eq!(
        signed_event(&wrap("charge.dispute.closed", &dispute("won")))["type"],
        "payment.succeeded"
    );
    assert_eq!(
        signed_event(&wrap("charge.dispute.closed", &dispute("lost")))["type"],
        "payment.chargeback"
    );
    assert_eq!(
        signed_event(&wrap("charge.dispute.funds_reinstated", &dispute("won")))["type"],
        "payment.succeeded"
    );
    let e = signed_event(&wrap(
        "setup_intent.succeeded",
        r#"{"id":"seti_1","object":"setup_intent","status":"succeeded"}"#,
    ));
    assert_eq!(e["type"], "payment.verified");
    assert_eq!(e["schemaversion"], 2);
}

/// Payouts (Stripe paying the balance to the merchant's bank) are `payout.<status>`.
#[test]
fn payouts_are_payouts() {
    let object = r#"{"id":"po_1","object":"payout","amount":500,"currency":"isk","status":"paid"}"#;
    let e = signed_event(&wrap("payout.paid", object));
    assert_eq!(e["type"], "payout.succeeded");
    assert_eq!(e["data"]["payment_id"], "po_1");
    assert_eq!(e["data"]["amount_minor"], 5);
    assert_eq!(
        signed_event(&wrap("payout.failed", object))["type"],
        "payout.failed"
    );
}

/// Stripe signs `livemode` into every event: `data.livemode`, and `live_only` refuses test.
#[test]
fn livemode_is_the_events_own() {
    let live = PI_SUCCEEDED.replace("\"livemode\": false", "\"livemode\": true");
    assert_ne!(live, PI_SUCCEEDED, "the fixture carries livemode");
    assert_eq!(signed_event(PI_SUCCEEDED)["data"]["livemode"], false);
    assert_eq!(signed_event(&live)["data"]["livemode"], true);
    let t = (NOW / 1000).to_string();
    let gw = gateway("stripe", &[SECRET], r#","live_only":true"#);
    for (body, want) in [
        (PI_SUCCEEDED.to_owned(), "test_event_refused"),
        (live, "accepted"),
    ] {
        let value = format!("t={t},v1={}", hmac_hex(SECRET, &t, body.as_bytes()));
        let req = edgehook::Request::new("POST", "/h", NOW)
            .header("content-type", "application/json")
            .header(HEADER, &value)
            .body(body.into_bytes());
        assert_eq!(outcome(&run(&gw, &req)), want);
    }
    // Worldline cannot tell: live_only there is a config error naming the field.
    let lookup = |_: &str| Some("kid:secret".to_owned());
    let e = edgehook::Gateway::from_config(
        r#"[{"path":"/h","provider":"worldline","secrets":["S"],"origin":"/o","live_only":true}]"#,
        &lookup,
    )
    .expect_err("worldline cannot tell");
    assert_eq!(e.at, "routes[0].live_only");
}
