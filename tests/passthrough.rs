//! `forward: "passthrough"`: the origin gets the provider's request as received, plus
//! edgehook's headers; timestamped schemes are re-signed per attempt with the key that
//! verified the original, so the same provider verification (here: the gateway's own
//! provider modules, which follow the providers' published schemes) accepts a retry made
//! long after the provider's tolerance. The e2e suite proves the same with the providers'
//! own libraries (`stripe` `constructEvent`, the onlinepayments SDK).

mod common;

use common::{gateway, read_vector, run, sign, signed_post};
use edgehook::forward::{self, OriginRequest};
use edgehook::verify::RustCrypto;
use edgehook::{Decision, Delivery, Gateway, Request};

const T0: i64 = 1_700_000_000;

fn accepted(d: Decision) -> Delivery {
    match d {
        Decision::Accept { delivery, .. } => *delivery,
        other => panic!("not accepted: {other:?}"),
    }
}

/// The forward of `d` for an attempt at `now_s`, re-signed as the worker does.
fn forward_at(gw: &Gateway, d: &Delivery, now_s: i64) -> OriginRequest {
    let route = gw.route(&d.route).expect("route");
    let mut d = d.clone();
    let original = forward::passthrough_request(&d, now_s * 1000);
    if let Some(fresh) = route.provider.resign(d.key_index, &original, &RustCrypto) {
        forward::replace_headers(&mut d.request_headers, fresh);
    }
    forward::build(&d, None, None, now_s, &RustCrypto)
}

/// The origin request as the provider's receiver sees it, at `now_s`.
fn as_received(out: &OriginRequest, now_s: i64) -> Request {
    let mut req = Request::new("POST", "/h", now_s * 1000).body(out.body.clone());
    req.headers = out.headers.clone();
    req
}

fn header<'a>(out: &'a OriginRequest, name: &str) -> Option<&'a str> {
    out.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn timestamped_schemes_are_re_signed_per_attempt_with_the_verifying_key() {
    let cases = [
        ("stripe", "stripe/test-webhook-event.json"),
        ("fedapay", "fedapay/test-webhook-event.json"),
        ("everifin", "everifin/everifin-payment-booked.json"),
    ];
    for (provider, vector) in cases {
        let payload = read_vector(vector);
        // Two secrets (a rotation): the provider signs with the second.
        let signer = gateway(provider, &["second-secret-0123456789abcdef"], "");
        let gw = gateway(
            provider,
            &[
                "first-secret-0123456789abcdef",
                "second-secret-0123456789abcdef",
            ],
            r#","forward":"passthrough""#,
        );
        let signed = sign(&signer, &payload, T0, [7; 12]);
        let d = accepted(run(&gw, &signed_post(signed.clone(), T0 * 1000)));
        assert_eq!(d.key_index, 1, "{provider}");
        // First attempt: the provider's bytes and signature, as sent.
        let first = forward_at(&gw, &d, T0);
        assert_eq!(first.body, payload, "{provider}: body bytes as received");
        for (k, v) in &signed.headers {
            assert_eq!(header(&first, k), Some(v.as_str()), "{provider}: {k}");
        }
        // Six hours later: the original signature is stale, the re-signed one verifies.
        let late = T0 + 6 * 3600;
        let stale = run(&gw, &as_received(&first, late));
        assert_eq!(stale.outcome(), "stale_timestamp", "{provider}");
        let retry = forward_at(&gw, &d, late);
        assert_eq!(retry.body, payload);
        let again = accepted(run(&gw, &as_received(&retry, late)));
        assert_eq!(again.id, d.id, "{provider}");
        // Re-signed with the key that verified, not the route's first: a receiver that
        // only has the provider's current secret accepts it.
        assert_eq!(
            run(&signer, &as_received(&retry, late)).outcome(),
            "accepted"
        );
    }
}

#[test]
fn standard_webhooks_passthrough_keeps_the_senders_headers_and_signs_under_alternate_names() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let gw = gateway(
        "standard-webhooks",
        &[secret],
        r#","forward":"passthrough""#,
    );
    let payload = br#"{"type":"payment.succeeded","data":{"id":"pay_1"}}"#;
    let signed = sign(&gw, payload, T0, [1; 12]);
    let d = accepted(run(&gw, &signed_post(signed.clone(), T0 * 1000)));
    let key = edgehook::gateway::decode_whsec("whsec_ZWRnZWhvb2stb3JpZ2luLWtleQ==").expect("key");
    let late = T0 + 3600;
    let mut dd = d.clone();
    let original = forward::passthrough_request(&dd, late * 1000);
    let route = gw.route("/h").expect("route");
    let fresh = route
        .provider
        .resign(dd.key_index, &original, &RustCrypto)
        .expect("re-signs");
    forward::replace_headers(&mut dd.request_headers, fresh);
    let out = forward::build(&dd, None, Some(&key), late, &RustCrypto);
    // The sender's webhook-* are the provider's (re-signed at the attempt's time) ...
    let sender_id = signed
        .headers
        .iter()
        .find(|(k, _)| k == "webhook-id")
        .map(|(_, v)| v.clone())
        .expect("id");
    assert_eq!(header(&out, "webhook-id"), Some(sender_id.as_str()));
    assert_eq!(
        header(&out, "webhook-timestamp"),
        Some(late.to_string().as_str())
    );
    assert_eq!(run(&gw, &as_received(&out, late)).outcome(), "accepted");
    // ... and edgehook's own signature sits under x-edgehook-webhook-*, once each.
    assert_eq!(header(&out, "x-edgehook-webhook-id"), Some(d.id.as_str()));
    let ts = header(&out, "x-edgehook-webhook-timestamp").expect("ts");
    let sig = header(&out, "x-edgehook-webhook-signature").expect("sig");
    assert_eq!(sig, forward::sign(&key, &d.id, ts, &out.body, &RustCrypto));
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let n = out
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .count();
        assert_eq!(n, 1, "{name} is never doubled or overwritten");
    }
}

#[test]
fn passthrough_replays_provider_headers_but_not_hop_by_hop_platform_or_edgehook_ones() {
    let headers: Vec<(String, String)> = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("X-GCS-Signature", "sig"),
        ("X-GCS-KeyId", "kid"),
        ("User-Agent", "Provider/1.0"),
        ("Connection", "keep-alive, X-Hop"),
        ("X-Hop", "1"),
        ("Keep-Alive", "timeout=5"),
        ("Transfer-Encoding", "chunked"),
        ("Host", "gateway.example"),
        ("Content-Length", "12"),
        ("CF-Connecting-IP", "203.0.113.1"),
        ("X-Forwarded-For", "203.0.113.1"),
        ("X-Edgehook-Event-Id", "forged"),
        ("Accept-Encoding", "gzip"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let kept = forward::passthrough_headers(&headers);
    let names: Vec<&str> = kept.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "Content-Type",
            "X-GCS-Signature",
            "X-GCS-KeyId",
            "User-Agent"
        ]
    );
    assert_eq!(
        kept[0].1, "application/json; charset=utf-8",
        "values as received"
    );
}

#[test]
fn worldline_passthrough_carries_its_signature_unchanged_a_day_later() {
    // Worldline: no timestamp in the signature, nothing to re-sign.
    let gw = gateway(
        "worldline",
        &["kid:worldline-secret"],
        r#","forward":"passthrough""#,
    );
    let payload = read_vector("worldline/worldline-payment-valid-body.json");
    let signed = sign(&gw, &payload, T0, [2; 12]);
    let d = accepted(run(&gw, &signed_post(signed.clone(), T0 * 1000)));
    let out = forward_at(&gw, &d, T0 + 86_400);
    assert_eq!(out.body, payload);
    for (k, v) in &signed.headers {
        assert_eq!(header(&out, k), Some(v.as_str()), "{k}");
    }
    assert_eq!(header(&out, "x-edgehook-event-id"), Some(d.id.as_str()));
}
