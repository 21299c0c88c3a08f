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
/// Computed (Python hmac, tests/vectors/lyra-form): the IPN case, key [`KEY`].
const IPN_SIG: &str = "HV0ky156I13ZzkTq8ioGLEXxSmIHFaZ9lfhdYDxLgQs=";
const IPN_SHA1_SIG: &str = "a6980a216b094707e3231829a9642ffa71f2aa88";

/// The docs' published signature example: a payment-form request (no IPN fields).
fn docs_fields() -> Vec<(String, String)> {
    let v = vector_json("lyra-form/vectors.json");
    fields_of(&v["cases"][0]["fields"])
}

/// An IPN-shaped field set (computed vector) carrying every field the mapping requires.
fn ipn_fields() -> Vec<(String, String)> {
    let v = vector_json("lyra-form/vectors.json");
    fields_of(&v["cases"][4]["fields"])
}

/// The signature check alone (route, limits, reading, MAC): the index of the key that
/// matched, or the rejection's code. The published example is a form request, not an IPN, so this
/// is where it is checked: the whole pipeline then refuses it for its missing IPN fields.
fn verified(gw: &Gateway, req: &Request) -> Result<usize, String> {
    let pending = gw.begin(req).map_err(|d| outcome(&d).to_owned())?;
    pending
        .verify(&edgehook::verify::RustCrypto)
        .map(|v| v.key_index)
        .map_err(|r| r.code().to_owned())
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
        if case["verified"].as_bool() == Some(true) {
            assert!(verified(&gw, &post(&body)).is_ok(), "{name}: signature");
        }
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
        // raw: every signed field, decoded, signature included
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
    let req = post(&form(&f, &[("signature", HMAC_SIG)]));
    assert!(verified(&hmac, &req).is_ok());
    // Authentic, but not an IPN: the fields the event is built on are missing.
    let d = run(&hmac, &req);
    assert_eq!((outcome(&d), d.reply().status), ("malformed_body", 400));
    assert!(
        d.reply().body.contains("vads_trans_uuid"),
        "{:?}",
        d.reply()
    );
    let explicit = gateway("lyra-form", &[KEY], r#","signature":"hmac-sha256""#);
    assert!(verified(&explicit, &req).is_ok());
    let sha1 = gateway("lyra-form", &[KEY], SHA1);
    let sha1_req = post(&form(&f, &[("signature", SHA1_SIG)]));
    assert!(verified(&sha1, &sha1_req).is_ok());
    // upper-case hex is still hex
    let upper = post(&form(&f, &[("signature", &SHA1_SIG.to_ascii_uppercase())]));
    assert!(verified(&sha1, &upper).is_ok());
    // each algorithm's signature on the other's route
    let d = run(&sha1, &req);
    assert_eq!(
        (outcome(&d), d.reply().status),
        ("malformed_signature", 401)
    );
    let d = run(&hmac, &sha1_req);
    assert_eq!(
        (outcome(&d), d.reply().status),
        ("malformed_signature", 401)
    );
    // The IPN-shaped computed vector goes all the way, with both algorithms.
    let ipn = ipn_fields();
    let e = cloud_event(&run(&hmac, &post(&form(&ipn, &[("signature", IPN_SIG)]))));
    assert_eq!(e["type"], "payment.succeeded");
    let e1 = cloud_event(&run(
        &sha1,
        &post(&form(&ipn, &[("signature", IPN_SHA1_SIG)])),
    ));
    assert_eq!(e1["id"], e["id"]);
}

#[test]
fn order_and_encoding_do_not_matter_and_unsigned_fields_stay_out() {
    let gw = gateway("lyra-form", &[KEY], "");
    let mut f = ipn_fields();
    f.reverse();
    // signature first, fields reversed, foreign fields anywhere
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("signature", IPN_SIG);
    s.append_pair("hash", "ignored");
    for (k, v) in &f {
        s.append_pair(k, v);
    }
    s.append_pair("other", "x");
    let body = s.finish();
    let d = run(&gw, &post(&body));
    assert_eq!(outcome(&d), "accepted");
    let e = cloud_event(&d);
    // Unsigned fields shape nothing: not in data.raw, not in a raw forward.
    assert!(e["data"]["raw"].get("other").is_none());
    assert!(e["data"]["raw"].get("hash").is_none());
    let Decision::Accept { delivery, .. } = &d else {
        panic!("{d:?}")
    };
    let forwarded: Vec<(String, String)> = form_urlencoded::parse(&delivery.payload_bytes())
        .into_owned()
        .collect();
    assert!(forwarded
        .iter()
        .all(|(k, _)| k.starts_with("vads_") || k == "signature"));
    assert_eq!(forwarded.len(), f.len() + 1);
    // a `+` of the base64 signature sent unencoded arrives as a space
    let v = vector_json("lyra-form/vectors.json");
    let case = &v["cases"][6];
    let sig = case["signature"].as_str().expect("sig");
    assert!(sig.contains('+'));
    let gw = gateway("lyra-form", &[case["key"].as_str().expect("key")], "");
    let body = format!("{}&signature={sig}", form(&fields_of(&case["fields"]), &[]));
    assert_eq!(outcome(&run(&gw, &post(&body))), "accepted");
}

/// PHP, Rack, servlet and Python read names their own way: a field that one of them would
/// take for a signed one is refused, whatever the signature says.
#[test]
fn smuggled_field_names_are_refused() {
    let gw = gateway("lyra-form", &[KEY], "");
    let ipn = ipn_fields();
    for extra in [
        "vads.trans_status=CAPTURED",
        "%20vads_trans_status=CAPTURED",
        "vads_trans_status%5B%5D=CAPTURED",
        "VADS_TRANS_STATUS=CAPTURED",
        "vads%20amount=1",
        "vads.brand_new=1",
        "vads_amount=1",
        "%20signature=x",
    ] {
        let body = format!("{}&{extra}", form(&ipn, &[("signature", IPN_SIG)]));
        let d = run(&gw, &post(&body));
        assert_eq!(
            (outcome(&d), d.reply().status),
            ("ambiguous_form_field", 400),
            "{extra}"
        );
    }
}

/// The signature covers values, not names: a renamed field (same sort position) keeps it
/// valid, so every field the event is built on is required under its documented name.
#[test]
fn renamed_required_fields_are_refused() {
    let gw = gateway("lyra-form", &[KEY], "");
    let ipn = ipn_fields();
    for (from, to) in [
        ("vads_trans_uuid", "vads_trans_uuie"),
        ("vads_trans_status", "vads_trans_statut"),
        ("vads_operation_type", "vads_operation_typf"),
        ("vads_amount", "vads_amounu"),
        ("vads_currency", "vads_currencz"),
    ] {
        let renamed: Vec<(String, String)> = ipn
            .iter()
            .map(|(k, v)| (if k == from { to.to_owned() } else { k.clone() }, v.clone()))
            .collect();
        // Still a valid signature: same values in the same sorted order.
        let req = post(&form(&renamed, &[("signature", IPN_SIG)]));
        assert!(verified(&gw, &req).is_ok(), "{from}");
        let d = run(&gw, &req);
        assert_eq!(
            (outcome(&d), d.reply().status),
            ("malformed_body", 400),
            "{from}"
        );
        assert!(d.reply().body.contains(from), "{from}: {:?}", d.reply());
    }
}

/// The id covers the signed fields but the per-delivery ones: Lyra's automatic retry
/// (`vads_url_check_src=RETRY`) is the same event, a Back Office change of the amount is not.
#[test]
fn ids_follow_the_signed_content() {
    let gw = gateway("lyra-form", &[KEY], "");
    let id_of = |fields: &[(String, String)]| {
        let signed = sign(&gw, form(fields, &[]).as_bytes(), NOW / 1000, [0; 12]);
        cloud_event(&run(&gw, &signed_post(signed, NOW)))["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let set = |name: &str, value: &str| -> Vec<(String, String)> {
        ipn_fields()
            .into_iter()
            .map(|(k, v)| {
                let v = if k == name { value.to_owned() } else { v };
                (k, v)
            })
            .collect()
    };
    let first = id_of(&ipn_fields());
    assert!(
        first.starts_with("9a1b2c3d4e5f60718293a4b5c6d7e8f9:"),
        "{first}"
    );
    assert_eq!(id_of(&set("vads_url_check_src", "RETRY")), first);
    assert_ne!(id_of(&set("vads_amount", "4000")), first);
    assert_ne!(id_of(&set("vads_trans_status", "CAPTURED")), first);
}

/// `vads_ctx_mode` is signed: `data.livemode`, and a `live_only` route refuses TEST events.
#[test]
fn livemode_and_live_only() {
    let test = gateway("lyra-form", &[KEY], "");
    let e = cloud_event(&run(
        &test,
        &post(&form(&ipn_fields(), &[("signature", IPN_SIG)])),
    ));
    assert_eq!(e["data"]["livemode"], false);
    let live_only = gateway("lyra-form", &[KEY], r#","live_only":true"#);
    let d = run(
        &live_only,
        &post(&form(&ipn_fields(), &[("signature", IPN_SIG)])),
    );
    assert_eq!((outcome(&d), d.reply().status), ("test_event_refused", 403));
    let v = vector_json("lyra-form/vectors.json");
    let case = &v["cases"][6]; // PRODUCTION
    let gw = gateway(
        "lyra-form",
        &[case["key"].as_str().expect("key")],
        r#","live_only":true"#,
    );
    let body = form(
        &fields_of(&case["fields"]),
        &[("signature", case["signature"].as_str().expect("sig"))],
    );
    let e = cloud_event(&run(&gw, &post(&body)));
    assert_eq!(e["data"]["livemode"], true);
}

#[test]
fn ctx_mode_selects_the_key() {
    let f = ipn_fields(); // vads_ctx_mode=TEST
    let body = form(&f, &[("signature", IPN_SIG)]);
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
    let body = form(&ipn_fields(), &[("signature", IPN_SIG)]);
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
    let f = ipn_fields();
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
            form(&f, &[("signature", IPN_SIG), ("signature", IPN_SIG)]),
            "ambiguous_form_field",
            400,
        ),
        (
            "duplicate vads_amount",
            form(&f, &[("vads_amount", "1"), ("signature", IPN_SIG)]),
            "ambiguous_form_field",
            400,
        ),
        (
            "no vads_ctx_mode",
            form(&without("vads_ctx_mode"), &[("signature", IPN_SIG)]),
            "malformed_body",
            400,
        ),
        (
            "unknown vads_ctx_mode",
            form(&with("vads_ctx_mode", "LIVE"), &[("signature", IPN_SIG)]),
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
            form(&f, &[("signature", &IPN_SIG[..40])]),
            "malformed_signature",
            401,
        ),
        (
            "field dropped",
            form(&without("vads_version"), &[("signature", IPN_SIG)]),
            "signature_mismatch",
            401,
        ),
        (
            "field added",
            form(&f, &[("vads_extra", ""), ("signature", IPN_SIG)]),
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
    for (extra, sig) in [("", IPN_SIG), (SHA1, IPN_SHA1_SIG)] {
        let gw = gateway("lyra-form", &[KEY], extra);
        let payload = form(&ipn_fields(), &[]);
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
    let signed = signed(&gw, form(&ipn_fields(), &[]).as_bytes());
    assert!(String::from_utf8(signed.body)
        .expect("utf8")
        .ends_with(&format!(
            "signature={}",
            form_urlencoded::byte_serialize(IPN_SIG.as_bytes()).collect::<String>()
        )));
}

#[test]
fn statuses_through_the_gateway() {
    let gw = gateway("lyra-form", &[KEY], "");
    let mut seen = std::collections::HashSet::new();
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
        let id = e["id"].as_str().expect("id");
        assert!(id.starts_with("u-1:") && id.len() == 4 + 24, "{id}");
        assert!(
            seen.insert(id.to_owned()),
            "{status}/{op}: a new status is a new event"
        );
        assert_eq!(e["data"]["provider_event_type"], format!("{op}/{status}"));
    }
}
