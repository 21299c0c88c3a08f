//! SIBS Gateway against the docs' published decryption sample and computed vectors
//! (tests/vectors/sibs/).

mod common;

use common::*;
use edgehook::{Decision, Gateway, Request};

const NOW: i64 = 1_700_000_000_000;
const PUB_KEY: &str = "6fNDiYU0T0/evFpmfycNai/AqF24i+rT0OmuVw0/sGQ=";
const PUB_IV: &str = "RYjpCMtUmK54T6Lk";
const PUB_TAG: &str = "FUajWHmZjP4A5qaa1G0kxw==";
/// Another valid 32-byte key (computed vectors' key).
const OTHER_KEY: &str = "fRwMOptV4vBKbY4Twrf5oBZeTTwrGgn459bFtKOSgXA=";

fn published_body() -> String {
    let v = vector_json("sibs/vectors.json");
    v["cases"][0]["body"].as_str().expect("body").to_owned()
}

fn post(iv: &str, tag: &str, body: &str) -> Request {
    Request::new("POST", "/h", NOW)
        .header("Content-Type", "text/plain")
        .header("X-Initialization-Vector", iv)
        .header("X-Authentication-Tag", tag)
        .body(body.as_bytes().to_vec())
}

#[test]
fn vectors() {
    let v = vector_json("sibs/vectors.json");
    for case in v["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let s = |k: &str| case[k].as_str().unwrap_or_else(|| panic!("{name}: {k}"));
        let gw = gateway("sibs", &[s("key")], "");
        let d = run(&gw, &post(s("iv"), s("tag"), s("body")));
        if refused_as_expected(case, &d, name) {
            continue;
        }
        assert_eq!(outcome(&d), "accepted", "{name}: {:?}", d.reply());
        let Decision::Accept { delivery, ack, .. } = &d else {
            unreachable!()
        };
        // The decrypted bytes are exactly the plaintext, forwarded as JSON.
        let plaintext = match case["plaintext_file"].as_str() {
            Some(f) => read_vector(&format!("sibs/{f}")),
            None => s("plaintext").as_bytes().to_vec(),
        };
        assert_eq!(delivery.payload.as_bytes(), plaintext.as_slice(), "{name}");
        assert_eq!(delivery.payload_type, "application/json");
        let e = cloud_event(&d);
        assert_expected(case["expect"].as_object().expect("expect"), &e, name);
        let id = e["id"].as_str().expect("id");
        assert_eq!(
            ack.body,
            format!(r#"{{"statusCode":"200","statusMsg":"Success","notificationID":"{id}"}}"#)
        );
    }
}

#[test]
fn published_sample_decrypts_to_the_exact_plaintext() {
    let plaintext = read_vector("sibs/docs-plaintext.json");
    assert_eq!(plaintext.len(), 296);
    let gw = gateway("sibs", &[PUB_KEY], "");
    let d = run(&gw, &post(PUB_IV, PUB_TAG, &published_body()));
    let Decision::Accept { delivery, ack, key } = &d else {
        panic!("{d:?}")
    };
    assert_eq!(delivery.payload.as_bytes(), plaintext.as_slice());
    assert_eq!(key, "key 1");
    assert_eq!((ack.status, ack.content_type), (200, "application/json"));
    assert_eq!(
        ack.body,
        r#"{"statusCode":"200","statusMsg":"Success","notificationID":"de64fbe2-0e6e-4d94-b50c-3dac491e76ff"}"#
    );
    let e = cloud_event(&d);
    assert_eq!(e["type"], "payment.succeeded");
    assert_eq!(e["provider"], "sibs");
    assert_eq!(e["source"], "edgehook/h");
    assert_eq!(e["data"]["amount_minor"], 200);
    assert_eq!(e["data"]["currency"], "EUR");
    assert_eq!(e["data"]["method"], "card");
    assert_eq!(e["data"]["payment_id"], "8vfDedn6RvmEC3WNZTRm");
    assert!(e["data"]["merchant_reference"].is_null());
    assert_eq!(e["data"]["provider_event_type"], "PURS/Success");
    assert_eq!(e["data"]["raw"]["merchant"]["terminalId"], 50994);
    // no transactionDateTime: the receive time
    assert_eq!(e["time"], "2023-11-14T22:13:20.000Z");
}

#[test]
fn ack_dialect_000() {
    let gw = gateway("sibs", &[PUB_KEY], r#","ack_status_code":"000""#);
    let d = run(&gw, &post(PUB_IV, PUB_TAG, &published_body()));
    assert_eq!(
        d.reply().body,
        r#"{"statusCode":"000","statusMsg":"Success","notificationID":"de64fbe2-0e6e-4d94-b50c-3dac491e76ff"}"#
    );
}

#[test]
fn rotation_tries_every_key() {
    let body = published_body();
    // old key first, the right one second
    let gw = gateway("sibs", &[OTHER_KEY, PUB_KEY], "");
    let d = run(&gw, &post(PUB_IV, PUB_TAG, &body));
    assert_eq!(outcome(&d), "accepted");
    let Decision::Accept { key, .. } = d else {
        unreachable!()
    };
    assert_eq!(key, "key 2");
    // the right one first
    let gw = gateway("sibs", &[&format!("{PUB_KEY}\n{OTHER_KEY}")], "");
    assert_eq!(
        outcome(&run(&gw, &post(PUB_IV, PUB_TAG, &body))),
        "accepted"
    );
    // neither
    let gw = gateway("sibs", &[OTHER_KEY], "");
    let d = run(&gw, &post(PUB_IV, PUB_TAG, &body));
    assert_eq!(outcome(&d), "decryption_failed");
    assert_eq!(d.reply().status, 401);
    assert!(!d.reply().body.contains("8vfDedn6RvmEC3WNZTRm"));
}

#[test]
fn bad_requests_each_with_its_code() {
    let gw = gateway("sibs", &[PUB_KEY], "");
    let body = published_body();
    let cases: Vec<(&str, Request, &str, u16)> = vec![
        (
            "no IV",
            Request::new("POST", "/h", NOW)
                .header("X-Authentication-Tag", PUB_TAG)
                .body(body.clone()),
            "missing_header",
            401,
        ),
        (
            "no tag",
            Request::new("POST", "/h", NOW)
                .header("X-Initialization-Vector", PUB_IV)
                .body(body.clone()),
            "missing_header",
            401,
        ),
        (
            "IV not base64",
            post("R@jpCMtUmK54T6Lk", PUB_TAG, &body),
            "malformed_header",
            400,
        ),
        (
            "IV 8 bytes",
            post("AAAAAAAAAAA=", PUB_TAG, &body),
            "malformed_header",
            400,
        ),
        (
            "tag not base64",
            post(PUB_IV, "%%%", &body),
            "malformed_header",
            400,
        ),
        (
            "tag 12 bytes",
            post(PUB_IV, "FUajWHmZjP4A5qaa", &body),
            "malformed_header",
            400,
        ),
        (
            "body not base64",
            post(PUB_IV, PUB_TAG, "{\"not\":\"base64\"}"),
            "malformed_body",
            400,
        ),
        (
            "empty body",
            post(PUB_IV, PUB_TAG, ""),
            "malformed_body",
            400,
        ),
        (
            "duplicate IV",
            post(PUB_IV, PUB_TAG, &body).header("x-initialization-vector", PUB_IV),
            "duplicate_header",
            400,
        ),
        (
            "XML content type",
            Request::new("POST", "/h", NOW)
                .header("Content-Type", "application/xml")
                .header("X-Initialization-Vector", PUB_IV)
                .header("X-Authentication-Tag", PUB_TAG)
                .body(body.clone()),
            "unsupported_media_type",
            415,
        ),
        (
            "GET",
            Request::new("GET", "/h", NOW),
            "method_not_allowed",
            405,
        ),
    ];
    for (name, code, body) in assert_refusals(&gw, cases, PUB_KEY) {
        // a malformed header is named
        if code == "malformed_header" {
            assert!(body.contains("X-"), "{name}: {body}");
        }
    }
}

#[test]
fn tolerated_body_forms() {
    let gw = gateway("sibs", &[PUB_KEY], "");
    let body = published_body();
    // trailing newline, CRLF-wrapped lines, octet-stream, no content type
    let wrapped = format!("{}\r\n{}\r\n", &body[..76], &body[76..]);
    for (ct, b) in [
        (Some("text/plain; charset=utf-8"), format!("{body}\n")),
        (Some("text/plain"), wrapped),
        (Some("application/octet-stream"), body.clone()),
        // SIBS's newer technical docs: the notification's Content-Type is application/json
        // (the body is base64 all the same).
        (Some("application/json"), body.clone()),
        (None, body.clone()),
    ] {
        let mut req = Request::new("POST", "/h", NOW)
            .header("X-Initialization-Vector", PUB_IV)
            .header("X-Authentication-Tag", PUB_TAG)
            .body(b);
        if let Some(ct) = ct {
            req = req.header("Content-Type", ct);
        }
        assert_eq!(outcome(&run(&gw, &req)), "accepted", "{ct:?}");
    }
    // headers as sent with padding stripped
    let d = run(&gw, &post(PUB_IV, PUB_TAG.trim_end_matches('='), &body));
    assert_eq!(outcome(&d), "accepted");
}

#[test]
fn config_errors_are_located() {
    let routes = |extra: &str| {
        format!(r#"[{{"path":"/h","provider":"sibs","secrets":["K"],"origin":"/o"{extra}}}]"#)
    };
    let with_key = |k: &'static str| move |n: &str| (n == "K").then(|| k.to_owned());
    for bad in [
        "not base64!",
        "AAAA",
        "YWJj",
        "6fNDiYU0T0/evFpmfycNai/AqF24i+rT0OmuVw0/sG==",
    ] {
        let lookup = with_key(bad);
        let e = Gateway::from_config(&routes(""), &lookup).expect_err(bad);
        assert_eq!(e.at, "routes[0].secrets", "{bad}");
        assert!(!e.reason.contains(bad), "the key is not echoed");
    }
    let lookup = with_key(PUB_KEY);
    let e = Gateway::from_config(&routes(r#","ack_status_code":"201""#), &lookup)
        .expect_err("ack code");
    assert_eq!(e.at, "routes[0].ack_status_code");
    let e = Gateway::from_config(
        r#"[{"path":"/h","provider":"sibs","origin":"/o"}]"#,
        &lookup,
    )
    .expect_err("no secrets");
    assert_eq!(e.at, "routes[0].secrets");
    assert!(Gateway::from_config(&routes(r#","ack_status_code":"000""#), &lookup).is_ok());
    let gw = Gateway::from_config(&routes(""), &lookup).expect("ok");
    assert_redacted(&gw, PUB_KEY);
}

#[test]
fn sign_then_verify_round_trip() {
    let gw = gateway("sibs", &[OTHER_KEY, PUB_KEY], "");
    let plaintext = br#"{"paymentStatus":"Success","paymentType":"CNCL","paymentMethod":"MBWAY","transactionID":"t-1","amount":{"currency":"EUR","value":12.5},"merchant":{"transactionId":"order-9"},"transactionDateTime":"2024-01-02T03:04:05.678Z","notificationID":"n-round-trip"}"#;
    let signed = sign(&gw, plaintext, NOW / 1000, *b"0123456789ab");
    assert!(signed
        .headers
        .contains(&("X-Initialization-Vector".into(), "MDEyMzQ1Njc4OWFi".into())));
    let req = signed_post(signed, NOW);
    let d = run(&gw, &req);
    let e = cloud_event(&d);
    assert_eq!(e["id"], "n-round-trip");
    assert_eq!(e["type"], "payment.cancelled");
    assert_eq!(e["time"], "2024-01-02T03:04:05.678Z");
    assert_eq!(e["data"]["amount_minor"], 1250);
    assert_eq!(e["data"]["merchant_reference"], "order-9");
    // encrypted with the first key: only that key opens it
    let only_second = gateway("sibs", &[PUB_KEY], "");
    assert_eq!(outcome(&run(&only_second, &req)), "decryption_failed");
}

#[test]
fn statuses_through_the_gateway() {
    let gw = gateway("sibs", &[PUB_KEY], "");
    for (ty, st, want) in [
        ("PURS", "Success", "payment.succeeded"),
        ("CAPT", "Success", "payment.succeeded"),
        ("AUTH", "Success", "payment.authorized"),
        ("RFND", "Success", "payment.refunded"),
        ("CNCL", "Success", "payment.cancelled"),
        ("PURS", "Declined", "payment.failed"),
        ("PURS", "Error", "payment.failed"),
        // "possible communication error": the payment may have gone through.
        ("PURS", "Timeout", "payment.pending"),
        ("PURS", "Expired", "payment.failed"),
        ("PURS", "Pending", "payment.pending"),
        ("PURS", "InProcessing", "payment.pending"),
        ("PURS", "Partial", "payment.pending"),
        ("MITR", "Success", "payment.unknown"),
    ] {
        let p = format!(
            r#"{{"paymentType":"{ty}","paymentStatus":"{st}","notificationID":"n-{ty}-{st}"}}"#
        );
        let req = signed_post(sign(&gw, p.as_bytes(), 0, [7; 12]), NOW);
        let e = cloud_event(&run(&gw, &req));
        assert_eq!(e["type"], want, "{ty}/{st}");
        assert_eq!(e["data"]["provider_event_type"], format!("{ty}/{st}"));
    }
}

/// A Multibanco reference notification says `Success` when the reference is issued too:
/// only `paymentReference.status` `PAID` is money (as production integrations check).
#[test]
fn multibanco_reference_paid_only_when_its_status_says_so() {
    let gw = gateway("sibs", &[PUB_KEY], "");
    for (reference, want) in [
        (
            r#","paymentReference":{"status":"UNPAID","reference":"123 456 789"}"#,
            "payment.pending",
        ),
        (
            r#","paymentReference":{"status":"PAID","reference":"123 456 789"}"#,
            "payment.succeeded",
        ),
        ("", "payment.succeeded"),
    ] {
        let p = format!(
            r#"{{"paymentType":"PREF","paymentStatus":"Success","paymentMethod":"REFERENCE","notificationID":"n-pref","amount":{{"value":16.2,"currency":"EUR"}}{reference}}}"#
        );
        let req = signed_post(sign(&gw, p.as_bytes(), 0, [7; 12]), NOW);
        let e = cloud_event(&run(&gw, &req));
        assert_eq!(e["type"], want, "{reference}");
        assert_eq!(e["data"]["amount_minor"], 1620);
    }
}

/// `amount.value` is a decimal in major units: exact per exponent class.
#[test]
fn decimal_amounts_per_exponent_class() {
    let gw = gateway("sibs", &[PUB_KEY], "");
    for (value, currency, minor) in [
        ("2.0", "EUR", Some(200)),
        (r#""16.20""#, "EUR", Some(1620)),
        ("1000", "XOF", Some(1000)),
        ("500", "JPY", Some(500)),
        ("1.234", "KWD", Some(1234)),
        ("1.005", "EUR", None),
    ] {
        let p = format!(
            r#"{{"paymentType":"PURS","paymentStatus":"Success","notificationID":"n-a","amount":{{"value":{value},"currency":"{currency}"}}}}"#
        );
        let req = signed_post(sign(&gw, p.as_bytes(), 0, [7; 12]), NOW);
        let e = cloud_event(&run(&gw, &req));
        assert_eq!(
            e["data"]["amount_minor"].as_i64(),
            minor,
            "{value} {currency}"
        );
    }
}
