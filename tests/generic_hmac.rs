//! generic-hmac: GitHub's and Paddle's published vectors, computed Shopify / option
//! vectors (tests/vectors/generic-hmac/), and the three ready-to-paste route configs of
//! README.md.

mod common;

use common::*;
use edgehook::providers::SignInput;
use edgehook::verify::{Algorithm, CryptoBackend, RustCrypto};
use edgehook::{Decision, Gateway, Request};

/// A ready-to-paste route from README.md (`<!-- route:NAME -->` then a
/// json block), so the documented configs are the ones tested.
fn doc_route(name: &str) -> serde_json::Value {
    let doc =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("README.md");
    let marker = format!("<!-- route:{name} -->");
    let after = doc.split_once(&marker).expect("marker").1;
    let block = after
        .split_once("```json")
        .and_then(|(_, b)| b.split_once("```"))
        .expect("json block")
        .0;
    serde_json::from_str(block).expect("route json")
}

fn doc_scheme(name: &str) -> String {
    doc_route(name)["scheme"].to_string()
}

static GITHUB_S: std::sync::OnceLock<String> = std::sync::OnceLock::new();
static SHOPIFY_S: std::sync::OnceLock<String> = std::sync::OnceLock::new();
static PADDLE_S: std::sync::OnceLock<String> = std::sync::OnceLock::new();

const GH_SECRET: &str = "It's a Secret to Everybody";
const GH_SIG: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

fn github() -> &'static str {
    GITHUB_S.get_or_init(|| doc_scheme("github"))
}

fn shopify() -> &'static str {
    SHOPIFY_S.get_or_init(|| doc_scheme("shopify"))
}

fn paddle() -> &'static str {
    PADDLE_S.get_or_init(|| doc_scheme("paddle"))
}

fn generic(scheme: &str, secrets: &[&str]) -> Gateway {
    gateway("generic-hmac", secrets, &format!(r#","scheme":{scheme}"#))
}

fn post(body: &[u8], now_s: i64, headers: &[(&str, &str)]) -> Request {
    let mut r = Request::new("POST", "/h", now_s * 1000)
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        r = r.header(k, v);
    }
    r
}

fn accepted_event(d: Decision) -> (serde_json::Value, String) {
    match d {
        Decision::Accept { delivery, key, .. } => {
            (serde_json::from_str(&delivery.event).expect("event"), key)
        }
        d => panic!("not accepted: {d:?}"),
    }
}

#[test]
fn published_and_computed_vectors() {
    let v = vector_json("generic-hmac/vectors.json");
    for case in v["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let scheme = &v["schemes"][case["scheme"].as_str().expect("scheme")];
        assert!(scheme.is_object(), "{name}: scheme");
        let gw = generic(
            &scheme.to_string(),
            &[case["secret"].as_str().expect("secret")],
        );
        let body = read_vector(&format!(
            "generic-hmac/{}",
            case["body_file"].as_str().expect("file")
        ));
        let headers: Vec<(String, String)> = case["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("str").to_owned()))
            .collect();
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let now = case["now"].as_i64().unwrap_or(1_700_000_000);
        let d = run(&gw, &post(&body, now, &refs));
        let expect = case["expect"].as_str().expect("expect");
        assert_eq!(outcome(&d), expect, "{name}");
        let status = match expect {
            "accepted" => 200,
            "malformed_header" => 400,
            "stale_timestamp" => 408,
            _ => 401,
        };
        assert_eq!(d.reply().status, status, "{name}");
    }
}

#[test]
fn github_config_maps_delivery_and_event_headers() {
    let gw = generic(github(), &[GH_SECRET]);
    let body = read_vector("generic-hmac/github-hello-world.txt");
    let d = run(
        &gw,
        &post(
            &body,
            1_700_000_000,
            &[
                ("X-Hub-Signature-256", GH_SIG),
                ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
                ("X-GitHub-Event", "ping"),
            ],
        ),
    );
    let (e, key) = accepted_event(d);
    assert_eq!(key, "secret #1");
    // GitHub's HMAC covers the body only: the delivery and event headers are not signed,
    // so neither the id nor the type comes from them. They travel as `unverified`.
    let signed_id = e["id"].as_str().expect("id").to_owned();
    assert!(
        signed_id.starts_with("generic-hmac-") && signed_id.len() == 13 + 32,
        "{signed_id}"
    );
    assert_eq!(e["provider"], "generic-hmac");
    assert_eq!(e["type"], "payment.unknown");
    assert!(e["data"]["provider_event_type"].is_null());
    assert_eq!(
        e["data"]["unverified"]["x-github-delivery"],
        "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    );
    assert_eq!(e["data"]["unverified"]["x-github-event"], "ping");
    // Not JSON: kept verbatim as a JSON string.
    assert_eq!(e["data"]["raw"], "Hello, World!");
    assert_eq!(e["time"], "2023-11-14T22:13:20.000Z");
    // Without the delivery header: a stable hash of the body.
    let d = run(
        &gw,
        &post(&body, 1_700_000_000, &[("X-Hub-Signature-256", GH_SIG)]),
    );
    let (e, _) = accepted_event(d);
    assert_eq!(
        e["id"],
        signed_id.as_str(),
        "the same signed bytes, the same event"
    );
    assert!(e["data"]["unverified"].is_null());
}

#[test]
fn shopify_config_maps_order() {
    let gw = generic(shopify(), &["edgehook-shopify-demo-secret"]);
    let body = read_vector("generic-hmac/shopify-order-paid.json");
    let d = run(
        &gw,
        &post(
            &body,
            1_700_000_000,
            &[
                (
                    "X-Shopify-Hmac-Sha256",
                    "RNN+psI+mR7rid0seADkKjZ9UnKGzjXi6KnRHh5Y4Tg=",
                ),
                ("X-Shopify-Topic", "orders/paid"),
                (
                    "X-Shopify-Webhook-Id",
                    "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
                ),
            ],
        ),
    );
    let (e, _) = accepted_event(d);
    // Shopify's HMAC covers the body only: a captured `orders/create` body replayed with a
    // fresh X-Shopify-Webhook-Id and `X-Shopify-Topic: orders/paid` must not become a new
    // `payment.succeeded`. The id is the body's stable hash, the status `unknown` (the order
    // body names no event type), and the headers travel as `unverified`.
    assert!(
        e["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("generic-hmac-")),
        "{}",
        e["id"]
    );
    assert_eq!(e["type"], "payment.unknown");
    assert_eq!(e["data"]["status"], "unknown");
    assert!(e["data"]["provider_event_type"].is_null());
    assert_eq!(e["data"]["unverified"]["x-shopify-topic"], "orders/paid");
    assert_eq!(
        e["data"]["unverified"]["x-shopify-webhook-id"],
        "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    );
    assert_eq!(e["data"]["payment_id"], "820982911946154508");
    assert_eq!(e["data"]["currency"], "USD");
    // `total_price` is a decimal string: not taken as an amount.
    assert!(e["data"]["amount_minor"].is_null());
    assert_eq!(e["data"]["raw"]["name"], "#9999");
    // Without the webhook id header, the order's own `id` is NOT the event id (every event
    // of the order shares it): the stable hash is used instead.
    let d = run(
        &gw,
        &post(
            &body,
            1_700_000_000,
            &[(
                "X-Shopify-Hmac-Sha256",
                "RNN+psI+mR7rid0seADkKjZ9UnKGzjXi6KnRHh5Y4Tg=",
            )],
        ),
    );
    let first_id = e["id"].clone();
    let (e, _) = accepted_event(d);
    assert_ne!(e["id"], "820982911946154508");
    // The replay with no (or another) webhook id header is the same event: it dedups.
    assert_eq!(e["id"], first_id);
}

#[test]
fn paddle_config_maps_transaction() {
    let gw = generic(
        paddle(),
        &["pdl_ntfset_01hv8wd9q3e0q3v5t5m5k0x9zz_edgehookDemoSecretKey"],
    );
    let body = read_vector("generic-hmac/paddle-transaction-completed.json");
    let sig = "ts=1712917129;h1=5feab13dd352da77cb7821b5a40eef0c9824a0b4aaccba9476011ff29068800a";
    let d = run(
        &gw,
        &post(&body, 1_712_917_129, &[("Paddle-Signature", sig)]),
    );
    let (e, _) = accepted_event(d);
    assert_eq!(e["id"], "evt_01hv8x2acma2gz1cbm8f2n5ss6");
    assert_eq!(e["type"], "payment.succeeded");
    assert_eq!(e["time"], "2024-04-12T10:18:49.621Z");
    assert_eq!(e["data"]["provider_event_type"], "transaction.completed");
    assert_eq!(e["data"]["payment_id"], "txn_01hv8wptq8987qeep44cyrewp9");
    assert_eq!(e["data"]["currency"], "USD");
    // Tolerance both ways around the signed ts (route default 300 s).
    for (now, code) in [
        (1_712_917_129 + 300, "accepted"),
        (1_712_917_129 + 301, "stale_timestamp"),
        (1_712_917_129 - 301, "stale_timestamp"),
    ] {
        assert_eq!(
            outcome(&run(&gw, &post(&body, now, &[("Paddle-Signature", sig)]))),
            code
        );
    }
    // A repeated ts is ambiguous.
    let twice = format!("ts=1712917129;{sig}");
    let d = run(
        &gw,
        &post(&body, 1_712_917_129, &[("Paddle-Signature", &twice)]),
    );
    assert_eq!((outcome(&d), d.reply().status), ("malformed_header", 400));
    let bad_ts = "ts=soon;h1=5feab13dd352da77cb7821b5a40eef0c9824a0b4aaccba9476011ff29068800a";
    let d = run(
        &gw,
        &post(&body, 1_712_917_129, &[("Paddle-Signature", bad_ts)]),
    );
    assert_eq!((outcome(&d), d.reply().status), ("malformed_header", 400));
}

#[test]
fn rotation_old_new_neither() {
    let body = read_vector("generic-hmac/github-hello-world.txt");
    let gw = generic(github(), &["previous secret", GH_SECRET]);
    let old_sig = format!(
        "sha256={}",
        hex::encode(RustCrypto.mac(Algorithm::HmacSha256, b"previous secret", &[&body]))
    );
    let key = |sig: &str| match run(
        &gw,
        &post(&body, 1_700_000_000, &[("X-Hub-Signature-256", sig)]),
    ) {
        Decision::Accept { key, .. } => key,
        d => panic!("{d:?}"),
    };
    assert_eq!(key(GH_SIG), "secret #2");
    assert_eq!(key(&old_sig), "secret #1");
    let gw = generic(github(), &["neither"]);
    let d = run(
        &gw,
        &post(&body, 1_700_000_000, &[("X-Hub-Signature-256", GH_SIG)]),
    );
    assert_eq!((outcome(&d), d.reply().status), ("signature_mismatch", 401));
    assert!(!d.reply().body.contains("757107ea"));
    assert!(!d.reply().body.contains("neither"));
}

#[test]
fn bad_requests_have_precise_codes() {
    let gw = generic(github(), &[GH_SECRET]);
    let body = read_vector("generic-hmac/github-hello-world.txt");
    let check = |req: &Request, code: &str, status: u16| {
        let d = run(&gw, req);
        assert_eq!((outcome(&d), d.reply().status), (code, status), "{req:?}");
    };
    check(&post(&body, 0, &[]), "missing_header", 401);
    check(
        &post(&body, 0, &[("X-Hub-Signature-256", "")]),
        "missing_header",
        401,
    );
    check(
        &post(&body, 0, &[("X-Hub-Signature-256", "sha256=zz")]),
        "malformed_signature",
        401,
    );
    check(
        &post(&body, 0, &[("X-Hub-Signature-256", "sha1=757107ea")]),
        "malformed_signature",
        401,
    );
    check(
        &post(
            &body,
            0,
            &[
                ("X-Hub-Signature-256", GH_SIG),
                ("x-hub-signature-256", GH_SIG),
            ],
        ),
        "duplicate_header",
        400,
    );
    check(
        &post(b"Hello, World?", 0, &[("X-Hub-Signature-256", GH_SIG)]),
        "signature_mismatch",
        401,
    );
    let mut xml = post(&body, 0, &[("X-Hub-Signature-256", GH_SIG)]);
    xml.headers[0].1 = "text/xml".into();
    check(&xml, "unsupported_media_type", 415);
    let mut form = post(&body, 0, &[("X-Hub-Signature-256", GH_SIG)]);
    form.headers[0].1 = "application/x-www-form-urlencoded".into();
    check(&form, "accepted", 200);
    // A timestamp header scheme: missing or non-numeric timestamp.
    let gw = generic(
        r#"{"header":"X-Sig","template":"{timestamp}.{body}","timestamp_header":"X-Ts"}"#,
        &["k"],
    );
    let sig = hex::encode(RustCrypto.mac(Algorithm::HmacSha256, b"k", &[b"100.", &body]));
    let d = run(&gw, &post(&body, 100, &[("X-Sig", &sig)]));
    assert_eq!((outcome(&d), d.reply().status), ("missing_header", 401));
    assert!(d.reply().body.contains("X-Ts"));
    let d = run(&gw, &post(&body, 100, &[("X-Sig", &sig), ("X-Ts", "-100")]));
    assert_eq!((outcome(&d), d.reply().status), ("malformed_header", 400));
    let d = run(&gw, &post(&body, 100, &[("X-Sig", &sig), ("X-Ts", "100")]));
    assert_eq!(outcome(&d), "accepted");
    let d = run(&gw, &post(&body, 401, &[("X-Sig", &sig), ("X-Ts", "100")]));
    assert_eq!((outcome(&d), d.reply().status), ("stale_timestamp", 408));
}

#[test]
fn config_errors_are_located() {
    let err = |extra: &str, secret: &str| {
        let routes = format!(
            r#"[{{"path":"/h","provider":"generic-hmac","secrets":["S"],"origin":"/o"{extra}}}]"#
        );
        let secret = secret.to_owned();
        let lookup = move |_: &str| Some(secret.clone());
        Gateway::from_config(&routes, &lookup).expect_err(extra)
    };
    assert_eq!(err("", "k").at, "routes[0].scheme");
    assert_eq!(
        err(r#","scheme":{"header":"X","algoritm":"sha1"}"#, "k").at,
        "routes[0].scheme.algoritm"
    );
    let e = err(r#","scheme":{"header":"X","algorithm":"md5"}"#, "k");
    assert_eq!(e.at, "routes[0].scheme.algorithm");
    assert!(e.reason.contains("md5"), "{e}");
    assert_eq!(
        err(r#","scheme":{"prefix":"sha256="}"#, "k").at,
        "routes[0].scheme.header"
    );
    let e = err(
        r#","scheme":{"header":"X","secret_encoding":"base64"}"#,
        "not base64!",
    );
    assert_eq!(e.at, "routes[0].secrets");
    assert!(!e.reason.contains("not base64!"), "{e}");
    assert_eq!(
        err(r#","scheme":{"header":"X","secret_encoding":"hex"}"#, "0g").at,
        "routes[0].secrets"
    );
    assert_eq!(
        err(r#","scheme":{"header":"X","template":"{timestamp}{body}","params":{"separator":";","signature":"h1"}}"#, "k").at,
        "routes[0].scheme.template"
    );
}

#[test]
fn sign_then_verify_round_trip_for_each_config() {
    let schemes = [
        (github(), GH_SECRET),
        (shopify(), "edgehook-shopify-demo-secret"),
        (paddle(), "pdl_ntfset_demo"),
        (
            r#"{"header":"X-Sig","algorithm":"sha512","encoding":"base64","template":"{id}.{timestamp}.{body}","timestamp_header":"X-Sig-Timestamp","timestamp_unit":"ms","id_header":"X-Sig-Id","secret_encoding":"base64"}"#,
            "ZWRnZWhvb2stZ2VuZXJpYy1rZXk=",
        ),
    ];
    let body = read_vector("generic-hmac/generic-event.json");
    for (scheme, secret) in schemes {
        let gw = generic(scheme, &[secret]);
        let route = gw.route("/h").expect("route");
        let signed = route
            .provider
            .sign(
                &SignInput {
                    payload: &body,
                    now_s: 1_777_636_800,
                    nonce: [9; 12],
                },
                &RustCrypto,
            )
            .expect("sign");
        let mut req = Request::new("POST", "/h", 1_777_636_800_000).body(signed.body);
        req.headers = signed.headers;
        let d = run(&gw, &req);
        assert_eq!(outcome(&d), "accepted", "{scheme}: {req:?}");
        let (e, _) = accepted_event(d);
        assert_eq!(e["data"]["amount_minor"], 2500, "{scheme}");
        assert_eq!(e["data"]["status"], "succeeded", "{scheme}");
    }
    // The GitHub form is the documented one.
    let gw = generic(github(), &[GH_SECRET]);
    let signed = gw
        .route("/h")
        .expect("route")
        .provider
        .sign(
            &SignInput {
                payload: b"Hello, World!",
                now_s: 0,
                nonce: [0; 12],
            },
            &RustCrypto,
        )
        .expect("sign");
    assert!(signed
        .headers
        .contains(&("X-Hub-Signature-256".to_owned(), GH_SIG.to_owned())));
}

#[test]
fn documented_routes_load_as_pasted() {
    for (name, binding) in [
        ("github", "GITHUB_WEBHOOK_SECRET"),
        ("shopify", "SHOPIFY_CLIENT_SECRET"),
        ("paddle", "PADDLE_WEBHOOK_SECRET"),
    ] {
        let route = doc_route(name);
        assert_eq!(route["provider"], "generic-hmac");
        let routes = serde_json::Value::Array(vec![route]).to_string();
        let lookup = |n: &str| match n {
            "ORIGIN_SIGNING_SECRET" => Some("whsec_ZGVtbw==".to_owned()),
            n if n == binding => Some("secret".to_owned()),
            _ => None,
        };
        let gw = Gateway::from_config(&routes, &lookup).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(gw.routes().len(), 1);
    }
}
