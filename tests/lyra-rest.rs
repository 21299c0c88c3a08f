//! Lyra REST API IPN against the PHP SDK's published vector and computed ones
//! (tests/vectors/lyra-rest/).

mod common;

use common::*;
use edgehook::{Decision, Gateway, Request};

const NOW: i64 = 1_700_000_000_000;
const PASSWORD: &str = "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M";
const PUB_HASH: &str = "88fb7b4838a73c2674ca00ee545454d78dd4b1b733a07c855a1d4460d4417f85";
const WITH_HMAC: &str = r#","hmac_secrets":["HMAC"]"#;

fn answer() -> String {
    String::from_utf8(read_vector("lyra-rest/ipn-kr-answer.json")).expect("utf8")
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_of(pairs.iter().copied())
}

fn ipn(answer: &str, key: &str, hash: &str) -> String {
    form(&[
        ("kr-hash", hash),
        ("kr-hash-algorithm", "sha256_hmac"),
        ("kr-hash-key", key),
        ("kr-answer-type", "V4/Payment"),
        ("kr-answer", answer),
    ])
}

fn post(body: &str) -> Request {
    post_form(NOW, body)
}

#[test]
fn vectors() {
    let v = vector_json("lyra-rest/vectors.json");
    assert_eq!(v["password"], PASSWORD);
    let gw = gateway("lyra-rest", &[PASSWORD], WITH_HMAC);
    for case in v["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let s = |k: &str| case[k].as_str().unwrap_or_else(|| panic!("{name}: {k}"));
        let mut text = match case["answer_file"].as_str() {
            Some(f) => String::from_utf8(read_vector(&format!("lyra-rest/{f}"))).expect("utf8"),
            None => s("answer").to_owned(),
        };
        if case["escape_slashes"].as_bool() == Some(true) {
            text = text.replace('/', "\\/");
            assert!(text.contains("V4\\/Payment"));
        }
        if let Some(r) = case["replace"].as_array() {
            let (from, to) = (r[0].as_str().expect("from"), r[1].as_str().expect("to"));
            assert!(text.contains(from), "{name}");
            text = text.replace(from, to);
        }
        let body = ipn(&text, s("hash_key"), s("kr_hash"));
        let d = run(&gw, &post(&body));
        if refused_as_expected(case, &d, name) {
            continue;
        }
        assert_eq!(outcome(&d), "accepted", "{name}: {:?}", d.reply());
        let r = d.reply();
        assert_eq!((r.status, r.body.as_str()), (200, "OK"), "{name}");
        assert!(r.content_type.starts_with("text/plain"));
        let e = cloud_event(&d);
        if let Some(expect) = case["expect"].as_object() {
            assert_expected(expect, &e, name);
        }
        // raw is the kr-answer JSON; a raw forward carries the answer, its hash and how to
        // check it, as received, and nothing unsigned (`kr-answer-type` is not signed).
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("answer json");
        assert_eq!(e["data"]["raw"], parsed, "{name}");
        let Decision::Accept { delivery, .. } = &d else {
            unreachable!()
        };
        let sorted = |bytes: &[u8]| {
            let mut f: Vec<(String, String)> = form_urlencoded::parse(bytes).into_owned().collect();
            f.sort();
            f
        };
        let mut received = sorted(body.as_bytes());
        received.retain(|(k, _)| k != "kr-answer-type");
        assert_eq!(sorted(&delivery.payload_bytes()), received, "{name}");
    }
}

#[test]
fn published_ipn_maps_field_by_field() {
    let gw = gateway("lyra-rest", &[PASSWORD], "");
    let d = run(&gw, &post(&ipn(&answer(), "password", PUB_HASH)));
    let e = cloud_event(&d);
    // The transaction and a digest of the signed answer without serverDate (computed
    // independently with Python: tests/vectors/lyra-rest/vectors.json).
    assert_eq!(
        e["id"],
        "017574bda28e4f1d8413b97fc65c8197:62c6f9aaa35aa67b7ccc0870"
    );
    assert_eq!(e["data"]["livemode"], false);
    assert_eq!(e["type"], "payment.succeeded");
    assert_eq!(e["provider"], "lyra-rest");
    assert_eq!(e["time"], "2018-12-11T19:09:32.000Z");
    let data = &e["data"];
    assert_eq!(data["payment_id"], "017574bda28e4f1d8413b97fc65c8197");
    assert_eq!(data["merchant_reference"], "myOrderId-618776");
    assert_eq!(data["status"], "succeeded");
    assert_eq!(data["amount_minor"], 990);
    assert_eq!(data["currency"], "EUR");
    assert_eq!(data["method"], "card");
    assert_eq!(data["provider_event_type"], "DEBIT/AUTHORISED");
    assert_eq!(data["raw"]["shopId"], "69876357");
    let Decision::Accept { key, .. } = d else {
        unreachable!()
    };
    assert_eq!(key, "password 1");
}

#[test]
fn key_kind_selects_the_secret_set() {
    let a = answer();
    // password-only route: a browser-return hash has no key
    let gw = gateway("lyra-rest", &[PASSWORD], "");
    let hmac_hash = "b1749cd644964cc624482c515b830d0b49cafeccc6a6d6b8d2e1c89e6edfa7e0";
    let d = run(&gw, &post(&ipn(&a, "sha256_hmac", hmac_hash)));
    assert_eq!((outcome(&d), d.reply().status), ("unknown_key_id", 401));
    // HMAC-only route (no password binding at all)
    let gw = gateway("lyra-rest", &[], WITH_HMAC);
    assert_eq!(
        outcome(&run(&gw, &post(&ipn(&a, "sha256_hmac", hmac_hash)))),
        "accepted"
    );
    assert_eq!(
        outcome(&run(&gw, &post(&ipn(&a, "password", PUB_HASH)))),
        "unknown_key_id"
    );
}

#[test]
fn rotation_old_new_neither() {
    let body = ipn(&answer(), "password", PUB_HASH);
    let gw = gateway("lyra-rest", &["old-password", PASSWORD], "");
    let d = run(&gw, &post(&body));
    let Decision::Accept { key, .. } = &d else {
        panic!("{d:?}")
    };
    assert_eq!(key, "password 2");
    let gw = gateway("lyra-rest", &[&format!("{PASSWORD}\nnext-password")], "");
    assert_eq!(outcome(&run(&gw, &post(&body))), "accepted");
    let gw = gateway("lyra-rest", &["old-password", "next-password"], "");
    let d = run(&gw, &post(&body));
    assert_eq!((outcome(&d), d.reply().status), ("signature_mismatch", 401));
}

#[test]
fn bad_requests_each_with_its_code() {
    let gw = gateway("lyra-rest", &[PASSWORD], "");
    let a = answer();
    let ok = |pairs: &[(&str, &str)]| post(&form(pairs));
    let cases: Vec<(&str, Request, &str, u16)> = vec![
        (
            "no kr-hash",
            ok(&[("kr-hash-key", "password"), ("kr-answer", &a)]),
            "missing_header",
            401,
        ),
        (
            "empty kr-hash",
            ok(&[
                ("kr-hash", ""),
                ("kr-hash-key", "password"),
                ("kr-answer", &a),
            ]),
            "missing_header",
            401,
        ),
        (
            "no kr-hash-key",
            ok(&[("kr-hash", PUB_HASH), ("kr-answer", &a)]),
            "missing_header",
            401,
        ),
        (
            "no kr-answer",
            ok(&[("kr-hash", PUB_HASH), ("kr-hash-key", "password")]),
            "malformed_body",
            400,
        ),
        ("empty body", post(""), "missing_header", 401),
        (
            "duplicate kr-answer",
            post(&format!(
                "{}&kr-answer=%7B%7D",
                ipn(&a, "password", PUB_HASH)
            )),
            "ambiguous_form_field",
            400,
        ),
        (
            "duplicate kr-hash",
            post(&format!(
                "{}&kr-hash={PUB_HASH}",
                ipn(&a, "password", PUB_HASH)
            )),
            "ambiguous_form_field",
            400,
        ),
        (
            "unsupported algorithm",
            ok(&[
                ("kr-hash", PUB_HASH),
                ("kr-hash-algorithm", "sha512_hmac"),
                ("kr-hash-key", "password"),
                ("kr-answer", &a),
            ]),
            "malformed_body",
            400,
        ),
        (
            "unknown kr-hash-key",
            post(&ipn(&a, "secret", PUB_HASH)),
            "malformed_body",
            400,
        ),
        (
            "kr-hash not hex",
            post(&ipn(&a, "password", "zz")),
            "malformed_signature",
            401,
        ),
        (
            "kr-hash truncated",
            post(&ipn(&a, "password", &PUB_HASH[..62])),
            "malformed_signature",
            401,
        ),
        (
            "JSON content type",
            Request::new("POST", "/h", NOW)
                .header("Content-Type", "application/json")
                .body(a.clone()),
            "unsupported_media_type",
            415,
        ),
    ];
    assert_refusals(&gw, cases, PASSWORD);
}

#[test]
fn field_order_and_encoding_do_not_matter() {
    let gw = gateway("lyra-rest", &[PASSWORD], "");
    let a = answer();
    let body = form(&[
        ("kr-answer", &a),
        ("kr-answer-type", "V4/Payment"),
        ("kr-hash-key", "password"),
        ("kr-hash", &PUB_HASH.to_ascii_uppercase()),
    ]);
    assert_eq!(outcome(&run(&gw, &post(&body))), "accepted");
    // %20 instead of + for spaces, a charset parameter on the content type
    let body = ipn(&a, "password", PUB_HASH).replace('+', "%20");
    let req = Request::new("POST", "/h", NOW)
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .body(body);
    assert_eq!(outcome(&run(&gw, &req)), "accepted");
}

#[test]
fn config_needs_a_password_or_an_hmac_key() {
    let lookup = |_: &str| None;
    let e = Gateway::from_config(
        r#"[{"path":"/h","provider":"lyra-rest","origin":"/o"}]"#,
        &lookup,
    )
    .expect_err("no keys");
    assert_eq!(e.at, "routes[0].secrets");
    let e = Gateway::from_config(
        r#"[{"path":"/h","provider":"lyra-rest","hmac_secrets":["MISSING"],"origin":"/o"}]"#,
        &lookup,
    )
    .expect_err("unset binding");
    assert_eq!(e.at, "routes[0].hmac_secrets[0]");
    let gw = gateway("lyra-rest", &[PASSWORD], WITH_HMAC);
    assert_redacted(&gw, PASSWORD);
}

fn signed(gw: &Gateway, payload: &[u8]) -> Request {
    signed_post(sign(gw, payload, NOW / 1000, [0; 12]), NOW)
}

#[test]
fn sign_then_verify_round_trip() {
    let a = answer();
    // with a password: the IPN form, same hash as the SDK's
    let gw = gateway("lyra-rest", &[PASSWORD], WITH_HMAC);
    let req = signed(&gw, a.as_bytes());
    let fields: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
    assert!(fields.contains(&("kr-hash".into(), PUB_HASH.into())));
    assert!(fields.contains(&("kr-hash-key".into(), "password".into())));
    assert!(fields.contains(&("kr-answer-type".into(), "V4/Payment".into())));
    assert!(fields.contains(&("kr-hash-algorithm".into(), "sha256_hmac".into())));
    assert_eq!(outcome(&run(&gw, &req)), "accepted");
    // HMAC key only: the browser-return form
    let gw = gateway("lyra-rest", &[], WITH_HMAC);
    let req = signed(&gw, a.as_bytes());
    let fields: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
    assert!(fields.contains(&("kr-hash-key".into(), "sha256_hmac".into())));
    assert_eq!(outcome(&run(&gw, &req)), "accepted");
}

#[test]
fn statuses_through_the_gateway() {
    let gw = gateway("lyra-rest", &[PASSWORD], "");
    for (order, tx, detailed, op, want) in [
        ("PAID", "PAID", "CAPTURED", "DEBIT", "payment.succeeded"),
        ("PAID", "PAID", "AUTHORISED", "DEBIT", "payment.succeeded"),
        (
            "RUNNING",
            "RUNNING",
            "AUTHORISED_TO_VALIDATE",
            "DEBIT",
            "payment.authorized",
        ),
        (
            "RUNNING",
            "RUNNING",
            "WAITING_AUTHORISATION",
            "DEBIT",
            "payment.pending",
        ),
        (
            "RUNNING",
            "RUNNING",
            "UNDER_VERIFICATION",
            "DEBIT",
            "payment.pending",
        ),
        ("UNPAID", "UNPAID", "REFUSED", "DEBIT", "payment.failed"),
        ("UNPAID", "UNPAID", "EXPIRED", "DEBIT", "payment.failed"),
        // Lyra's form SDK counts it as accepted: "capture will be redone".
        (
            "UNPAID",
            "UNPAID",
            "CAPTURE_FAILED",
            "DEBIT",
            "payment.pending",
        ),
        (
            "PAID",
            "PAID",
            "ACCEPTED",
            "VERIFICATION",
            "payment.verified",
        ),
        (
            "UNPAID",
            "UNPAID",
            "CANCELLED",
            "DEBIT",
            "payment.cancelled",
        ),
        ("PAID", "PAID", "CAPTURED", "CREDIT", "payment.refunded"),
        (
            "ABANDONED",
            "ABANDONED",
            "ABANDONED",
            "DEBIT",
            "payment.cancelled",
        ),
        ("PARTIALLY_PAID", "PAID", "", "DEBIT", "payment.succeeded"),
    ] {
        let answer = serde_json::json!({
            "orderStatus": order,
            "orderDetails": {"orderTotalAmount": 100, "orderCurrency": "EUR", "orderId": "o"},
            "transactions": if tx.is_empty() { serde_json::json!([]) } else {
                serde_json::json!([{"uuid": "u1", "status": tx, "detailedStatus": detailed, "operationType": op, "amount": 100}])
            },
        })
        .to_string();
        let e = cloud_event(&run(&gw, &signed(&gw, answer.as_bytes())));
        assert_eq!(e["type"], want, "{order}/{detailed}/{op}");
    }
    // No transaction uuid: refused. The id is built on it, and a hash of the body would
    // cover unsigned fields too (junk fields would make one IPN endless new events).
    let answer = r#"{"orderStatus":"ABANDONED","orderDetails":{"orderId":"o2"}}"#;
    let d = run(&gw, &signed(&gw, answer.as_bytes()));
    assert_eq!((outcome(&d), d.reply().status), ("malformed_body", 400));
}

/// The id covers the signed answer but its sending time: a retry (new `serverDate`) is the
/// same event, a changed amount a new one, and unsigned fields change nothing.
#[test]
fn ids_follow_the_signed_answer() {
    let gw = gateway("lyra-rest", &[PASSWORD], "");
    let id_of = |answer: &str, extra: &str| {
        let mut req = signed(&gw, answer.as_bytes());
        req.body.extend_from_slice(extra.as_bytes());
        cloud_event(&run(&gw, &req))["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let a = answer();
    let first = id_of(&a, "");
    let retry = a.replace(
        "2018-12-11T19:09:32+00:00\",\"orderDetails",
        "2018-12-11T20:00:00+00:00\",\"orderDetails",
    );
    assert_ne!(retry, a);
    assert_eq!(id_of(&retry, ""), first);
    assert_eq!(id_of(&a, "&junk=1&more=2"), first);
    let changed = a.replace("\"orderTotalAmount\":990", "\"orderTotalAmount\":900");
    assert_ne!(id_of(&changed, ""), first);
}

/// `kr-answer` is the only signed field: a field PHP, Rack, servlets or Python would read
/// as one of the scheme's own is refused, so the origin cannot be handed a forged copy.
#[test]
fn smuggled_field_names_are_refused() {
    let gw = gateway("lyra-rest", &[PASSWORD], "");
    let genuine = ipn(&answer(), "password", PUB_HASH);
    assert_eq!(outcome(&run(&gw, &post(&genuine))), "accepted");
    for extra in [
        "%20kr-answer=%7B%7D",
        "kr-answer%5B%5D=%7B%7D",
        "KR-ANSWER=%7B%7D",
        "%09kr-hash=00",
        "kr-answer-type%5Bx%5D=V4",
    ] {
        let d = run(&gw, &post(&format!("{genuine}&{extra}")));
        assert_eq!(
            (outcome(&d), d.reply().status),
            ("ambiguous_form_field", 400),
            "{extra}"
        );
    }
    // A foreign field that folds to nothing the scheme reads is fine, and left out.
    let d = run(&gw, &post(&format!("{genuine}&kr_other=1")));
    assert_eq!(outcome(&d), "accepted");
}

/// `orderDetails.mode` is signed: `data.livemode`; a `live_only` route refuses TEST.
#[test]
fn livemode_and_live_only() {
    let gw = gateway("lyra-rest", &[PASSWORD], r#","live_only":true"#);
    let d = run(&gw, &post(&ipn(&answer(), "password", PUB_HASH)));
    assert_eq!((outcome(&d), d.reply().status), ("test_event_refused", 403));
    let prod = answer().replace("\"mode\":\"TEST\"", "\"mode\":\"PRODUCTION\"");
    let e = cloud_event(&run(&gw, &signed(&gw, prod.as_bytes())));
    assert_eq!(e["data"]["livemode"], true);
}
