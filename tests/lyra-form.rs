//! Lyra form API V2 IPN against the docs' published signature example and computed
//! vectors (tests/vectors/lyra-form/).

mod common;

use common::*;
use edgehook::{Decision, Gateway, Request};

const NOW: i64 = 1_700_000_000_000;
const KEY: &str = "1122334455667788";
const HMAC_SIG: &str = "ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0=";
const SHA1_SIG: &str = "59c96b34c74b9375c332b0b6a32e6deeec87de2b";
const SHA1: &str = r#","signature":"sha1""#;

fn docs_fields() -> Vec<(String, String)> {
    let v = vector_json("lyra-form/vectors.json");
    fields_of(&v["cases"][0]["fields"])
}

fn fields_of(v: &serde_json::Value) -> Vec<(String, String)> {
    v.as_object()
        .expect("fields")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("str").to_owned()))
        .collect()
}

fn form(fields: &[(String, String)], extra: &[(&str, &str)]) -> String {
    let fields = fields.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    form_of(fields.chain(extra.iter().copied()))
}

fn post(body: &str) -> Request {
    post_form(NOW, body)
}

#[test]
fn vectors() {
    let v = vector_json("lyra-form/vectors.json");
    for case in v["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let s = |k: &str| case[k].as_str().unwrap_or_else(|| panic!("{name}: {k}"));
        let extra = match s("algorithm") {
            "sha1" => SHA1,
            _ => "",
        };
        let gw = gateway("lyra-form", &[s("key")], extra);
        let fields = fields_of(&case["fields"]);
        let body = form(&fields, &[("signature", s("signature"))]);
        let d = run(&gw, &post(&body));
        if refused_as_expected(case, &d, name) {
            continue;
        }
        assert_eq!(outcome(&d), "accepted", "{name}: {:?}", d.reply());
        let r = d.reply();
        assert_eq!((r.status, r.body.as_str()), (200, "OK"), "{name}");
        let e = cloud_event(&d);
        if let Some(expect) = case["expect"].as_object() {
            assert_expected(expect, &e, name);
        }
        // raw: every received field, decoded, signature included
        for (k, v) in &fields {
            assert_eq!(e["data"]["raw"][k], v.as_str(), "{name}: raw {k}");
        }
        assert_eq!(e["data"]["raw"]["signature"], s("signature"));
    }
}

#[test]
fn published_example_both_algorithms() {
    let f = docs_fields();
    let hmac = gateway("lyra-form", &[KEY], "");
    let d = run(&hmac, &post(&form(&f, &[("signature", HMAC_SIG)])));
    assert_eq!(outcome(&d), "accepted");
    let e = cloud_event(&d);
    assert_eq!(e["type"], "payment.unknown");
    assert_eq!(e["data"]["amount_minor"], 5124);
    assert_eq!(e["data"]["currency"], "EUR");
    assert_eq!(e["data"]["payment_id"], "123456");
    assert_eq!(e["time"], "2017-01-29T13:00:25.000Z");
    // no vads_trans_uuid: a stable hash
    assert!(e["id"].as_str().expect("id").starts_with("lyra-form-"));
    let explicit = gateway("lyra-form", &[KEY], r#","signature":"hmac-sha256""#);
    assert_eq!(
        outcome(&run(
            &explicit,
            &post(&form(&f, &[("signature", HMAC_SIG)]))
        )),
        "accepted"
    );
    let sha1 = gateway("lyra-form", &[KEY], SHA1);
    assert_eq!(
        outcome(&run(&sha1, &post(&form(&f, &[("signature", SHA1_SIG)])))),
        "accepted"
    );
    // upper-case hex is still hex
    assert_eq!(
        outcome(&run(
            &sha1,
            &post(&form(&f, &[("signature", &SHA1_SIG.to_ascii_uppercase())]))
        )),
        "accepted"
    );
    // each algorithm's signature on the other's route
    let d = run(&sha1, &post(&form(&f, &[("signature", HMAC_SIG)])));
    assert_eq!(
        (outcome(&d), d.reply().status),
        ("malformed_signature", 401)
    );
    let d = run(&hmac, &post(&form(&f, &[("signature", SHA1_SIG)])));
    assert_eq!(
        (outcome(&d), d.reply().status),
        ("malformed_signature", 401)
    );
}

#[test]
fn order_non_vads_fields_and_encoding_do_not_matter() {
    let gw = gateway("lyra-form", &[KEY], "");
    let mut f = docs_fields();
    f.reverse();
    // signature first, fields reversed, foreign fields anywhere
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("signature", HMAC_SIG);
    s.append_pair("hash", "ignored");
    for (k, v) in &f {
        s.append_pair(k, v);
    }
    s.append_pair("VADS_UPPER", "not a vads_ field");
    s.append_pair("other", "x");
    let body = s.finish();
    let d = run(&gw, &post(&body));
    assert_eq!(outcome(&d), "accepted");
    assert_eq!(cloud_event(&d)["data"]["raw"]["other"], "x");
    // a `+` of the base64 signature sent unencoded arrives as a space
    let v = vector_json("lyra-form/vectors.json");
    let case = &v["cases"][6];
    let sig = case["signature"].as_str().expect("sig");
    assert!(sig.contains('+'));
    let gw = gateway("lyra-form", &[case["key"].as_str().expect("key")], "");
    let body = format!("{}&signature={sig}", form(&fields_of(&case["fields"]), &[]));
    assert_eq!(outcome(&run(&gw, &post(&body))), "accepted");
}

#[test]
fn ctx_mode_selects_the_key() {
    let f = docs_fields(); // vads_ctx_mode=TEST
    let body = form(&f, &[("signature", HMAC_SIG)]);
    let gw = gateway("lyra-form", &[&format!("PRODUCTION:9999\nTEST:{KEY}")], "");
    let d = run(&gw, &post(&body));
    let Decision::Accept { key, .. } = &d else {
        panic!("{d:?}")
    };
    assert_eq!(key, "TEST key 2");
    // the TEST key bound to PRODUCTION does not verify a TEST notification
    let gw = gateway("lyra-form", &[&format!("PRODUCTION:{KEY}")], "");
    assert_eq!(
        (
            outcome(&run(&gw, &post(&body))),
            run(&gw, &post(&body)).reply().status
        ),
        ("unknown_key_id", 401)
    );
    // a plain key applies to any mode
    let gw = gateway("lyra-form", &["PRODUCTION:9999", KEY], "");
    assert_eq!(outcome(&run(&gw, &post(&body))), "accepted");
}

#[test]
fn rotation_old_new_neither() {
    let body = form(&docs_fields(), &[("signature", HMAC_SIG)]);
    let gw = gateway("lyra-form", &["TEST:old-key", &format!("TEST:{KEY}")], "");
    let d = run(&gw, &post(&body));
    let Decision::Accept { key, .. } = &d else {
        panic!("{d:?}")
    };
    assert_eq!(key, "TEST key 2");
    let gw = gateway("lyra-form", &[&format!("{KEY}\nnew-key")], "");
    assert_eq!(outcome(&run(&gw, &post(&body))), "accepted");
    let gw = gateway("lyra-form", &["old-key", "new-key"], "");
    let d = run(&gw, &post(&body));
    assert_eq!((outcome(&d), d.reply().status), ("signature_mismatch", 401));
}

#[test]
fn bad_requests_each_with_its_code() {
    let gw = gateway("lyra-form", &[KEY], "");
    let f = docs_fields();
    let without = |name: &str| -> Vec<(String, String)> {
        f.iter().filter(|(k, _)| k != name).cloned().collect()
    };
    let with = |name: &str, value: &str| -> Vec<(String, String)> {
        f.iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if k == name {
                        value.to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect()
    };
    let bodies: Vec<(&str, String, &str, u16)> = vec![
        ("no signature", form(&f, &[]), "missing_header", 401),
        (
            "empty signature",
            form(&f, &[("signature", "")]),
            "missing_header",
            401,
        ),
        ("empty body", String::new(), "missing_header", 401),
        (
            "duplicate signature",
            form(&f, &[("signature", HMAC_SIG), ("signature", HMAC_SIG)]),
            "malformed_body",
            400,
        ),
        (
            "duplicate vads_amount",
            form(&f, &[("vads_amount", "1"), ("signature", HMAC_SIG)]),
            "malformed_body",
            400,
        ),
        (
            "no vads_ctx_mode",
            form(&without("vads_ctx_mode"), &[("signature", HMAC_SIG)]),
            "malformed_body",
            400,
        ),
        (
            "unknown vads_ctx_mode",
            form(&with("vads_ctx_mode", "LIVE"), &[("signature", HMAC_SIG)]),
            "malformed_body",
            400,
        ),
        (
            "signature not base64",
            form(&f, &[("signature", "not*base64")]),
            "malformed_signature",
            401,
        ),
        (
            "signature truncated",
            form(&f, &[("signature", &HMAC_SIG[..40])]),
            "malformed_signature",
            401,
        ),
        (
            "field dropped",
            form(&without("vads_version"), &[("signature", HMAC_SIG)]),
            "signature_mismatch",
            401,
        ),
        (
            "field added",
            form(&f, &[("vads_extra", ""), ("signature", HMAC_SIG)]),
            "signature_mismatch",
            401,
        ),
    ];
    let cases = bodies
        .into_iter()
        .map(|(name, body, code, status)| (name, post(&body), code, status))
        .collect();
    assert_refusals(&gw, cases, KEY);
    let json = Request::new("POST", "/h", NOW)
        .header("Content-Type", "application/json")
        .body("{}");
    assert_eq!(outcome(&run(&gw, &json)), "unsupported_media_type");
    let d = run(&gw, &post(&form(&f, &[])));
    assert!(d.reply().body.contains("form field signature"));
}

#[test]
fn config_errors_are_located() {
    let lookup = |n: &str| (n == "K").then(|| KEY.to_owned());
    let routes = |extra: &str| {
        format!(r#"[{{"path":"/h","provider":"lyra-form","secrets":["K"],"origin":"/o"{extra}}}]"#)
    };
    let e = Gateway::from_config(&routes(r#","signature":"md5""#), &lookup).expect_err("alg");
    assert_eq!(e.at, "routes[0].signature");
    let empty = |n: &str| (n == "K").then(|| "TEST:".to_owned());
    let e = Gateway::from_config(&routes(""), &empty).expect_err("empty key");
    assert_eq!(e.at, "routes[0].secrets");
    let e = Gateway::from_config(
        r#"[{"path":"/h","provider":"lyra-form","origin":"/o"}]"#,
        &lookup,
    )
    .expect_err("no secrets");
    assert_eq!(e.at, "routes[0].secrets");
    let gw = Gateway::from_config(&routes(SHA1), &lookup).expect("ok");
    assert_redacted(&gw, KEY);
}

fn signed(gw: &Gateway, payload: &[u8]) -> edgehook::providers::Signed {
    sign(gw, payload, NOW / 1000, [0; 12])
}

#[test]
fn sign_then_verify_round_trip() {
    for (extra, sig) in [("", HMAC_SIG), (SHA1, SHA1_SIG)] {
        let gw = gateway("lyra-form", &[KEY], extra);
        let payload = form(&docs_fields(), &[]);
        let signed = signed(&gw, payload.as_bytes());
        let fields: Vec<(String, String)> =
            form_urlencoded::parse(&signed.body).into_owned().collect();
        assert_eq!(
            fields.last(),
            Some(&("signature".to_owned(), sig.to_owned()))
        );
        assert_eq!(outcome(&run(&gw, &signed_post(signed, NOW))), "accepted");
    }
    // the key for the payload's mode is used
    let gw = gateway("lyra-form", &[&format!("PRODUCTION:other\nTEST:{KEY}")], "");
    let signed = signed(&gw, form(&docs_fields(), &[]).as_bytes());
    assert!(String::from_utf8(signed.body)
        .expect("utf8")
        .ends_with(&format!(
            "signature={}",
            form_urlencoded::byte_serialize(HMAC_SIG.as_bytes()).collect::<String>()
        )));
}

#[test]
fn statuses_through_the_gateway() {
    let gw = gateway("lyra-form", &[KEY], "");
    for (status, op, want) in [
        ("AUTHORISED", "DEBIT", "payment.succeeded"),
        ("CAPTURED", "DEBIT", "payment.succeeded"),
        // A VERIFICATION transaction that "will never be captured" (vads_trans_status docs).
        ("ACCEPTED", "VERIFICATION", "payment.verified"),
        ("AUTHORISED_TO_VALIDATE", "DEBIT", "payment.authorized"),
        ("WAITING_AUTHORISATION", "DEBIT", "payment.pending"),
        ("UNDER_VERIFICATION", "DEBIT", "payment.pending"),
        ("REFUSED", "DEBIT", "payment.failed"),
        ("EXPIRED", "DEBIT", "payment.failed"),
        // Lyra's form SDK counts it as accepted: "capture will be redone".
        ("CAPTURE_FAILED", "DEBIT", "payment.pending"),
        ("CANCELLED", "DEBIT", "payment.cancelled"),
        ("ABANDONED", "DEBIT", "payment.cancelled"),
        ("CAPTURED", "CREDIT", "payment.refunded"),
        ("SOMETHING_NEW", "DEBIT", "payment.unknown"),
    ] {
        let payload = form(
            &[
                ("vads_ctx_mode".into(), "TEST".into()),
                ("vads_trans_status".into(), status.into()),
                ("vads_operation_type".into(), op.into()),
                ("vads_trans_uuid".into(), "u-1".into()),
                ("vads_amount".into(), "100".into()),
                ("vads_currency".into(), "978".into()),
            ],
            &[],
        );
        let signed = signed(&gw, payload.as_bytes());
        let mut req = Request::new("POST", "/h", NOW).body(signed.body);
        req.headers = signed.headers;
        let e = cloud_event(&run(&gw, &req));
        assert_eq!(e["type"], want, "{status}/{op}");
        assert_eq!(e["id"], format!("u-1:{status}"));
        assert_eq!(e["data"]["provider_event_type"], format!("{op}/{status}"));
    }
}
