//! A header sent twice reaches a Worker as one value joined with `, ` (the runtime joins
//! repeated headers before the worker sees them), so the gateway cannot count copies. Each
//! scheme must fail closed on the joined value of each header it reads: refused with a 4xx,
//! never accepted on a value nobody signed. Requests are built by each provider's own
//! `sign()` (checked against published vectors in the per-provider tests).

mod common;

use common::*;
use edgehook::Request;

const NOW_S: i64 = 1_700_000_000;

fn joined(req: &Request, header: &str) -> Request {
    let mut req = req.clone();
    for (k, v) in req.headers.iter_mut() {
        if k.eq_ignore_ascii_case(header) {
            *v = format!("{v}, {v}");
        }
    }
    req
}

/// `(provider, secret, route options, payload, [(header, expected code)])`.
type Case<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a [u8],
    &'a [(&'a str, &'a str)],
);

#[test]
fn every_parser_fails_closed_on_a_joined_header() {
    let sibs_key = "6fNDiYU0T0/evFpmfycNai/AqF24i+rT0OmuVw0/sGQ=";
    let cases: &[Case] = &[
        (
            "worldline",
            "kid:hello+world",
            "",
            br#"{"apiVersion":"v1","id":"e1","type":"payment.paid","payment":{"id":"p","status":"PAID"}}"#,
            &[
                ("X-GCS-Signature", "malformed_signature"),
                ("X-GCS-KeyId", "unknown_key_id"),
                ("Content-Type", "unsupported_media_type"),
            ],
        ),
        (
            "sibs",
            sibs_key,
            "",
            br#"{"notificationID":"n1","paymentStatus":"Success"}"#,
            &[
                ("X-Initialization-Vector", "malformed_header"),
                ("X-Authentication-Tag", "malformed_header"),
            ],
        ),
        (
            "stripe",
            "whsec_joined",
            "",
            br#"{"id":"evt_1","object":"event","type":"charge.succeeded","data":{"object":{}}}"#,
            &[("Stripe-Signature", "malformed_header")],
        ),
        (
            "fedapay",
            "wh_sandbox_joined",
            "",
            br#"{"id":"evt_1","name":"transaction.approved","entity":{"id":1}}"#,
            &[("X-FEDAPAY-SIGNATURE", "malformed_header")],
        ),
        (
            "everifin",
            "joined",
            "",
            br#"{"eventId":"e1","eventType":"payment.statusChange","data":{"status":"BOOKED"}}"#,
            // `ts=…;v0=<hex>, ts=…;v0=<hex>`: the middle item is no longer hex.
            &[("Signature", "malformed_signature")],
        ),
        (
            "standard-webhooks",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "",
            br#"{"type":"payment.succeeded","data":{"id":"p"}}"#,
            &[
                ("webhook-id", "signature_mismatch"),
                ("webhook-timestamp", "malformed_header"),
            ],
        ),
        (
            "generic-hmac",
            "joined",
            r#","scheme":{"header":"X-Hub-Signature-256","prefix":"sha256="}"#,
            br#"{"type":"payment.succeeded"}"#,
            &[("X-Hub-Signature-256", "malformed_signature")],
        ),
        (
            "generic-hmac",
            "joined",
            r#","scheme":{"header":"Paddle-Signature","template":"{timestamp}:{body}","params":{"separator":";","signature":"h1","timestamp":"ts"}}"#,
            br#"{"event_type":"transaction.completed"}"#,
            // `ts=…;h1=<hex>, ts=…;h1=<hex>`: the middle item is no longer hex.
            &[("Paddle-Signature", "malformed_signature")],
        ),
    ];
    for (provider, secret, extra, payload, headers) in cases {
        let gw = gateway(provider, &[secret], extra);
        let signed = sign(&gw, payload, NOW_S, [7; 12]);
        let req = signed_post(signed, NOW_S * 1000);
        assert_eq!(outcome(&run(&gw, &req)), "accepted", "{provider}: genuine");
        for (header, code) in *headers {
            let d = run(&gw, &joined(&req, header));
            assert_eq!(outcome(&d), *code, "{provider}: {header} joined");
            assert!(
                (400..500).contains(&d.reply().status),
                "{provider}: {header}"
            );
        }
    }
}

/// Standard Webhooks' `webhook-signature` is a space-separated list by the spec, so two
/// joined headers are a list whose entries are each checked: a joined copy of a valid
/// signature is as authentic as the one header, and a joined pair of invalid ones is not.
#[test]
fn standard_webhooks_signature_list_joined() {
    let gw = gateway(
        "standard-webhooks",
        &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        "",
    );
    let signed = sign(&gw, br#"{"type":"x"}"#, NOW_S, [7; 12]);
    let req = signed_post(signed, NOW_S * 1000);
    assert_eq!(
        outcome(&run(&gw, &joined(&req, "webhook-signature"))),
        "accepted"
    );
    let mut forged = req.clone();
    for (k, v) in forged.headers.iter_mut() {
        if k == "webhook-signature" {
            *v = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=, v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=".into();
        }
    }
    assert_eq!(outcome(&run(&gw, &forged)), "signature_mismatch");
}
