//! Core micro-benchmarks (native, criterion): each provider's verify path and full pipeline
//! next to the bare HMAC / AES-GCM call of the same bytes with the same crates, so the
//! overhead of everything around the crypto shows as a ratio (scripts/bench-report.mjs).
//!
//! Groups (criterion ids):
//! - `verify/<provider>/<size>`: `Gateway::begin` (route, limits, headers, building the
//!   check) + the check computed and compared: everything up to "authentic or not".
//! - `handle/<provider>/<size>`: the whole `Gateway::handle`, normalized event and delivery
//!   included.
//! - `bare/<provider>/<size>`: the same MAC (or decryption) over the same bytes with the
//!   same key, called directly on the `hmac`/`sha2`/`sha1`/`aes-gcm` crates.
//! - `decode+bare/<provider>/<size>` (SIBS, Lyra REST, Lyra form only): the decoding the wire
//!   format itself requires (SIBS: base64 body; Lyra: parse the form, percent-decode the
//!   signed fields), done by the same crates alone (`base64`, `form_urlencoded`), then the
//!   bare call. `verify / (decode+bare)` is what edgehook adds; `(decode+bare) / bare` what the
//!   wire format costs.
//! - `normalize/<provider>/<size>`: the provider's mapping + CloudEvent serialization.
//! - `routes/<n>`: `handle` on the last of `n` configured routes (lookup must not be linear).
//!
//! `EDGEHOOK_BENCH_QUICK=1` shortens the measurement (used by `npm run bench`).
//!
//! Under `cargo bench`, the paired ratios (see [`ratios`]) run first. A criterion filter
//! (`cargo bench --bench core -- sibs`) limits them too, to the rows whose ids contain it, and
//! then they are only printed: `target/bench/ratios.json` is written by unfiltered runs only.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use criterion::{criterion_group, BenchmarkId, Criterion};
use edgehook::event::Event;
use edgehook::providers::{Check, SignInput};
use edgehook::verify::{Algorithm, RustCrypto};
use edgehook::{Decision, Gateway, Request};
use hmac::{Hmac, Mac};
use sha2::Digest;

const NOW_S: i64 = 1_760_000_000;
const KIB: usize = 1024;

/// One provider's bench route: config, secrets and a payload of about `size` bytes.
struct Case {
    provider: &'static str,
    /// Extra route fields (JSON, leading comma).
    extra: &'static str,
    secrets: &'static [&'static str],
    payload: fn(usize) -> Vec<u8>,
}

/// `{"bench_pad":"xxx…", <base fields>}` of `size` bytes (never less than the base).
fn pad_json(base: &str, size: usize) -> Vec<u8> {
    let inner = base.strip_prefix('{').unwrap_or(base);
    let fixed = inner.len() + r#"{"bench_pad":"","#.len();
    let pad = "x".repeat(size.saturating_sub(fixed));
    format!(r#"{{"bench_pad":"{pad}",{inner}"#).into_bytes()
}

fn worldline(size: usize) -> Vec<u8> {
    pad_json(
        r#"{"apiVersion":"v1","id":"8ee793f6-4553-4749-85dc-f2ef095c5ab0","created":"2025-10-09T08:00:00.000Z","merchantId":"demo-merchant","type":"payment.paid","payment":{"id":"pay_8ee793f6","status":"PAID","paymentOutput":{"amountOfMoney":{"amount":1999,"currencyCode":"EUR"},"references":{"merchantReference":"order-1001"},"paymentMethod":"card"}}}"#,
        size,
    )
}

fn sibs(size: usize) -> Vec<u8> {
    pad_json(
        r#"{"returnStatus":{"statusMsg":"Success","statusCode":"000","statusDescription":"Success"},"paymentStatus":"Success","paymentMethod":"MBWAY","transactionID":"s2bench000000000001","transactionDateTime":"2025-10-09T08:00:00.000Z","amount":{"currency":"EUR","value":"16.20"},"merchant":{"terminalId":99978,"transactionId":"order-1001","merchantName":"Demo shop"},"paymentType":"PURS","notificationID":"0b0ad5c6-4f1c-4c1e-9d1f-1f2e3d4c5b6a"}"#,
        size,
    )
}

fn lyra_rest(size: usize) -> Vec<u8> {
    pad_json(
        r#"{"shopId":"69876357","orderCycle":"CLOSED","orderStatus":"PAID","serverDate":"2025-10-09T08:00:00+00:00","orderDetails":{"orderTotalAmount":1999,"orderCurrency":"EUR","mode":"TEST","orderId":"order-1001","_type":"V4/OrderDetails"},"transactions":[{"shopId":"69876357","uuid":"5b158f084502443f8a4d3ee2ad1e4d1c","amount":1999,"currency":"EUR","paymentMethodType":"CARD","status":"PAID","detailedStatus":"AUTHORISED","operationType":"DEBIT","creationDate":"2025-10-09T08:00:00+00:00","_type":"V4/PaymentTransaction"}],"_type":"V4/Payment"}"#,
        size,
    )
}

fn lyra_form(size: usize) -> Vec<u8> {
    let base = "vads_action_mode=INTERACTIVE&vads_amount=1999&vads_auth_result=00&vads_card_brand=CB&vads_ctx_mode=TEST&vads_currency=978&vads_effective_creation_date=20251009080000&vads_operation_type=DEBIT&vads_order_id=order-1001&vads_page_action=PAYMENT&vads_payment_config=SINGLE&vads_site_id=12345678&vads_trans_date=20251009080000&vads_trans_id=100001&vads_trans_status=AUTHORISED&vads_trans_uuid=5b158f084502443f8a4d3ee2ad1e4d1c&vads_url_check_src=PAY&vads_version=V2";
    let fixed = base.len() + "&vads_order_info=".len();
    format!(
        "{base}&vads_order_info={}",
        "x".repeat(size.saturating_sub(fixed))
    )
    .into_bytes()
}

fn standard(size: usize) -> Vec<u8> {
    pad_json(
        r#"{"type":"payment.succeeded","timestamp":"2025-10-09T08:00:00.000Z","data":{"id":"pay_bench01","amount":1999,"currency":"EUR","reference":"order-1001","payment_method":"card"}}"#,
        size,
    )
}

fn generic(size: usize) -> Vec<u8> {
    pad_json(
        r#"{"action":"completed","type":"payment.succeeded","data":{"id":"pay_bench01","amount":4200,"currency":"USD","reference":"order-2002"}}"#,
        size,
    )
}

fn everifin(size: usize) -> Vec<u8> {
    pad_json(
        r#"{"eventId":"0b0ad5c6-4f1c-4c1e-9d1f-1f2e3d4c5b6a","eventType":"payment.statusChange","eventTimestamp":"2025-10-09T08:00:00.000Z","data":{"paymentId":"7c1e5a52-0d8e-4b7a-9a55-3c2b1a0f9e8d","externalId":"order-1001","status":"BOOKED"}}"#,
        size,
    )
}

fn fedapay(size: usize) -> Vec<u8> {
    pad_json(
        r#"{"id":"evt_0011223344556677","name":"transaction.approved","object":"transaction","entity":{"klass":"v1/transaction","id":1234567,"reference":"trx_00112233","amount":15000,"description":"Order 1001","status":"approved","mode":"mtn_open","currency":{"iso":"XOF"},"custom_metadata":{"order_id":"order-1001"},"created_at":"2025-10-09T08:00:00.000Z","approved_at":"2025-10-09T08:00:00.000Z"}}"#,
        size,
    )
}

fn stripe(size: usize) -> Vec<u8> {
    pad_json(
        r#"{"id":"evt_3PbenchAbCdEf","object":"event","api_version":"2024-06-20","created":1760000000,"livemode":false,"pending_webhooks":1,"type":"payment_intent.succeeded","data":{"object":{"id":"pi_3PbenchAbCdEf","object":"payment_intent","amount":1999,"amount_received":1999,"currency":"eur","metadata":{"order_id":"order-1001"},"payment_method_types":["card"],"status":"succeeded"}}}"#,
        size,
    )
}

const CASES: &[Case] = &[
    Case {
        provider: "worldline",
        extra: "",
        secrets: &["bench-key-id:bench-worldline-secret-0123456789"],
        payload: worldline,
    },
    Case {
        provider: "sibs",
        extra: "",
        secrets: &["AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="],
        payload: sibs,
    },
    Case {
        provider: "lyra-rest",
        extra: r#","hmac_secrets":["HMAC"]"#,
        secrets: &["testpassword_benchbenchbenchbenchbench"],
        payload: lyra_rest,
    },
    Case {
        provider: "lyra-form",
        extra: "",
        secrets: &["TEST:1122334455667788"],
        payload: lyra_form,
    },
    Case {
        provider: "standard-webhooks",
        extra: "",
        secrets: &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        payload: standard,
    },
    Case {
        provider: "generic-hmac",
        extra: r#","scheme":{"header":"X-Hub-Signature-256","prefix":"sha256=","id_header":"X-GitHub-Delivery","event_header":"X-GitHub-Event"}"#,
        secrets: &["It's a Secret to Everybody"],
        payload: generic,
    },
    Case {
        provider: "everifin",
        extra: "",
        secrets: &["bench-everifin-hook-secret"],
        payload: everifin,
    },
    Case {
        provider: "fedapay",
        extra: "",
        secrets: &["wh_sandbox_bench0123456789"],
        payload: fedapay,
    },
    Case {
        provider: "stripe",
        extra: "",
        secrets: &["whsec_bench0123456789abcdef0123456789"],
        payload: stripe,
    },
];

fn gateway_for(case: &Case, routes: usize) -> Gateway {
    let names: Vec<String> = (0..case.secrets.len())
        .map(|i| format!("\"S{i}\""))
        .collect();
    let route = |path: &str| {
        format!(
            r#"{{"path":"{path}","provider":"{}","secrets":[{}],"origin":"https://origin.example/in","origin_secret":"ORIGIN","max_body_bytes":4194304{}}}"#,
            case.provider,
            names.join(","),
            case.extra
        )
    };
    let all: Vec<String> = (0..routes).map(|i| route(&format!("/h{i}"))).collect();
    let config = format!("[{}]", all.join(","));
    let secrets = case.secrets;
    let lookup = move |n: &str| -> Option<String> {
        match n {
            "HMAC" => Some("38453613e7f44dc58732bad3dca2bca3".into()),
            "ORIGIN" => Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
            _ => n
                .strip_prefix('S')
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| secrets.get(i))
                .map(|s| s.to_string()),
        }
    };
    Gateway::from_config(&config, &lookup)
        .unwrap_or_else(|e| panic!("{}: config: {e}", case.provider))
}

/// A request the provider would send to `path`, signed with the route's first secret.
fn signed_request(gw: &Gateway, path: &str, payload: &[u8]) -> Request {
    let route = gw.route(path).expect("route");
    let signed = route
        .provider
        .sign(
            &SignInput {
                payload,
                now_s: NOW_S,
                nonce: [7u8; 12],
            },
            &RustCrypto,
        )
        .unwrap_or_else(|e| panic!("{}: sign: {e:?}", route.provider.name()));
    let mut req = Request::new("POST", path, NOW_S * 1000 + 250);
    req.headers = signed.headers;
    req.body = signed.body;
    req
}

fn assert_accepted(gw: &Gateway, req: &Request, what: &str) {
    match gw.handle(req, &RustCrypto) {
        Decision::Accept { .. } => {}
        other => panic!("{what}: not accepted: {}", other.outcome()),
    }
}

/// The digest of the concatenated `parts`, straight on the RustCrypto crates.
fn mac(algorithm: Algorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    match algorithm {
        Algorithm::HmacSha256 => {
            let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("key");
            parts.iter().for_each(|p| m.update(p));
            m.finalize().into_bytes().to_vec()
        }
        Algorithm::HmacSha512 => {
            let mut m = <Hmac<sha2::Sha512> as Mac>::new_from_slice(key).expect("key");
            parts.iter().for_each(|p| m.update(p));
            m.finalize().into_bytes().to_vec()
        }
        Algorithm::HmacSha1 => {
            let mut m = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key).expect("key");
            parts.iter().for_each(|p| m.update(p));
            m.finalize().into_bytes().to_vec()
        }
        Algorithm::Sha1 => {
            let mut h = sha1::Sha1::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
    }
}

/// AES-256-GCM decryption in place, straight on the `aes-gcm` crate (12-byte IV).
fn open(key: &[u8], iv: &[u8], buf: &mut [u8], tag: &[u8]) {
    let cipher = Aes256Gcm::new_from_slice(key).expect("key");
    cipher
        .decrypt_in_place_detached(
            Nonce::<aes_gcm::aead::consts::U12>::from_slice(iv),
            &[],
            buf,
            Tag::from_slice(tag),
        )
        .expect("decrypts");
}

/// The bare crypto call the check stands for, straight on the RustCrypto crates.
fn bare(check: &Check<'_>) -> Vec<u8> {
    match check {
        Check::Mac(m) => {
            let key = m.keys.first().copied().unwrap_or_default();
            let mut parts: Vec<&[u8]> = m.content.iter().map(|c| c.as_ref()).collect();
            if m.append_key {
                parts.push(key);
            }
            mac(m.algorithm, key, &parts)
        }
        Check::Decrypt(d) => {
            let key = d.keys.first().copied().unwrap_or_default();
            let mut buf = d.ciphertext.clone();
            open(key, &d.iv, &mut buf, &d.tag);
            buf
        }
    }
}

/// Whether the provider's signed bytes must be decoded from the request first (then it has
/// a `decode+bare` reference).
fn decodes(provider: &str) -> bool {
    matches!(provider, "sibs" | "lyra-rest" | "lyra-form")
}

/// The decoding the wire format requires, done by the crates alone, then the bare call: the
/// least any implementation spends on the request. The key (and algorithm) come from the
/// check; everything read from the request is decoded here from the request.
fn decode_bare(provider: &str, req: &Request, check: &Check<'_>) -> Vec<u8> {
    match (provider, check) {
        ("sibs", Check::Decrypt(d)) => {
            let header = |name: &str| {
                let (_, v) = req
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .expect("header");
                STANDARD.decode(v.trim()).expect("base64 header")
            };
            let (iv, tag) = (
                header("X-Initialization-Vector"),
                header("X-Authentication-Tag"),
            );
            let mut buf = STANDARD.decode(&req.body).expect("base64 body");
            open(d.keys[0], &iv, &mut buf, &tag);
            buf
        }
        ("lyra-rest", Check::Mac(m)) => {
            // Every field parsed (kr-hash comes last), the kr-answer percent-decoded.
            let mut answer = None;
            let mut hash = None;
            for (k, v) in form_urlencoded::parse(&req.body) {
                match k.as_ref() {
                    "kr-answer" => answer = Some(v),
                    "kr-hash" => hash = Some(v),
                    _ => {}
                }
            }
            assert!(hash.is_some(), "kr-hash");
            let answer = answer.expect("kr-answer");
            let signed = if answer.contains("\\/") {
                answer.replace("\\/", "/").into()
            } else {
                answer
            };
            mac(m.algorithm, m.keys[0], &[signed.as_bytes()])
        }
        ("lyra-form", Check::Mac(m)) => {
            // The vads_ fields, percent-decoded and sorted by name; values, `+`, then the key.
            let mut vads: Vec<_> = form_urlencoded::parse(&req.body)
                .filter(|(k, _)| k.starts_with("vads_"))
                .collect();
            vads.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let key = m.keys[0];
            let mut parts: Vec<&[u8]> = Vec::with_capacity(vads.len() * 2 + 1);
            for (_, v) in &vads {
                parts.push(v.as_bytes());
                parts.push(b"+");
            }
            parts.push(key);
            mac(m.algorithm, key, &parts)
        }
        _ => panic!("{provider}: no decode+bare reference"),
    }
}

fn sizes_for(provider: &str) -> Vec<usize> {
    match provider {
        "stripe" => vec![KIB, 16 * KIB, 64 * KIB, 256 * KIB, 1024 * KIB],
        "sibs" => vec![KIB, 4 * KIB, 64 * KIB],
        _ => vec![KIB, 64 * KIB],
    }
}

fn providers(c: &mut Criterion) {
    for case in CASES {
        let gw = gateway_for(case, 1);
        for size in sizes_for(case.provider) {
            let payload = (case.payload)(size);
            let req = signed_request(&gw, "/h0", &payload);
            assert_accepted(&gw, &req, case.provider);
            let id = format!("{}/{size}", case.provider);
            c.bench_with_input(BenchmarkId::new("verify", &id), &req, |b, req| {
                b.iter(|| {
                    let pending = gw.begin(black_box(req)).expect("begins");
                    black_box(pending.verify(&RustCrypto).expect("verifies"))
                })
            });
            c.bench_with_input(BenchmarkId::new("handle", &id), &req, |b, req| {
                b.iter(|| black_box(gw.handle(black_box(req), &RustCrypto)))
            });
            let pending = gw.begin(&req).expect("begins");
            let check = pending.check();
            c.bench_with_input(BenchmarkId::new("bare", &id), check, |b, check| {
                b.iter(|| black_box(bare(black_box(check))))
            });
            if decodes(case.provider) {
                assert_eq!(decode_bare(case.provider, &req, check), bare(check));
                c.bench_with_input(BenchmarkId::new("decode+bare", &id), &req, |b, req| {
                    b.iter(|| black_box(decode_bare(case.provider, black_box(req), check)))
                });
            }
            let verified = pending.verify(&RustCrypto).expect("verifies");
            let plaintext = verified.plaintext.clone();
            let body: &[u8] = plaintext.as_deref().unwrap_or(&req.body);
            let provider = &gw.route("/h0").expect("route").provider;
            c.bench_with_input(BenchmarkId::new("normalize", &id), &body, |b, body| {
                b.iter(|| {
                    let accepted = provider.accept(black_box(*body), &req).expect("accepts");
                    let event = Event::from_draft(accepted.draft, provider.name(), "/h0", body, 0);
                    black_box(serde_json::to_string(&event).expect("serializes"))
                })
            });
        }
    }
}

fn routes(c: &mut Criterion) {
    let case = CASES
        .iter()
        .find(|c| c.provider == "stripe")
        .expect("stripe case");
    let payload = (case.payload)(2 * KIB);
    for n in [1usize, 10, 100, 1000] {
        let gw = gateway_for(case, n);
        let path = format!("/h{}", n - 1);
        let req = signed_request(&gw, &path, &payload);
        assert_accepted(&gw, &req, "routes");
        c.bench_with_input(BenchmarkId::new("routes", n), &req, |b, req| {
            b.iter(|| black_box(gw.handle(black_box(req), &RustCrypto)))
        });
    }
}

fn config() -> Criterion {
    let quick = std::env::var_os("EDGEHOOK_BENCH_QUICK").is_some();
    let c = Criterion::default().configure_from_args();
    if quick {
        c.warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(700))
            .sample_size(15)
    } else {
        c.warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sample_size(30)
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = providers, routes
}

/// `full / bare` measured in alternating batches (bare, full, full, bare, ...), median of the
/// pairs: on a shared machine the load drifts between two criterion benchmarks run a minute
/// apart, but hardly within two 3 ms batches, so this ratio is the one the target is read from.
fn paired_ratio(bare: &dyn Fn(), full: &dyn Fn(), pairs: usize) -> (f64, f64, f64) {
    let mut n = 1usize;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            full();
        }
        if t.elapsed() >= Duration::from_millis(3) || n >= 1 << 20 {
            break;
        }
        n *= 2;
    }
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        t.elapsed().as_secs_f64() / n as f64
    };
    let (mut ratios, mut bares, mut fulls) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..pairs {
        let (b, f) = if i % 2 == 0 {
            let b = time(bare);
            (b, time(full))
        } else {
            let f = time(full);
            (time(bare), f)
        };
        ratios.push(f / b);
        bares.push(b);
        fulls.push(f);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    (
        median(&mut bares) * 1e6,
        median(&mut fulls) * 1e6,
        median(&mut ratios),
    )
}

/// The criterion filter of this run (`cargo bench --bench core -- <filter>`), if any: the
/// last free argument, skipping the values of criterion's options that take one.
fn filter_arg() -> Option<String> {
    const WITH_VALUE: &[&str] = &[
        "--color",
        "-c",
        "--save-baseline",
        "-s",
        "--baseline",
        "-b",
        "--baseline-lenient",
        "--load-baseline",
        "--profile-time",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--plotting-backend",
        "--output-format",
        "--format",
    ];
    let mut filter = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if WITH_VALUE.contains(&a.as_str()) {
            args.next();
        } else if !a.starts_with('-') {
            filter = Some(a);
        }
    }
    filter
}

/// Paired ratios per provider at 1 KiB and 64 KiB (and SIBS 4 KiB): verify/bare and
/// handle/bare, and for the decoding schemes verify/(decode+bare) and (decode+bare)/bare.
/// Written to `target/bench/ratios.json` for benches/report.mjs (unfiltered runs only).
fn ratios() {
    let pairs = if std::env::var_os("EDGEHOOK_BENCH_QUICK").is_some() {
        15
    } else {
        41
    };
    let filter = filter_arg();
    let mut rows = Vec::new();
    for case in CASES {
        let gw = gateway_for(case, 1);
        for size in sizes_for(case.provider) {
            if ![KIB, 4 * KIB, 64 * KIB].contains(&size) {
                continue;
            }
            let id = format!("{}/{size}", case.provider);
            if let Some(f) = &filter {
                let groups = ["verify", "handle", "bare", "decode+bare"];
                if !groups
                    .iter()
                    .any(|g| format!("{g}/{id}").contains(f.as_str()))
                {
                    continue;
                }
            }
            let payload = (case.payload)(size);
            let req = signed_request(&gw, "/h0", &payload);
            let pending = gw.begin(&req).expect("begins");
            let check = pending.check().clone();
            let bare_fn = || {
                black_box(bare(black_box(&check)));
            };
            let verify_fn = || {
                let p = gw.begin(black_box(&req)).expect("begins");
                black_box(p.verify(&RustCrypto).expect("verifies"));
            };
            let handle_fn = || {
                black_box(gw.handle(black_box(&req), &RustCrypto));
            };
            let (b, v, rv) = paired_ratio(&bare_fn, &verify_fn, pairs);
            let (_, h, rh) = paired_ratio(&bare_fn, &handle_fn, pairs);
            let mut line = format!(
                "ratio {:<18} {:>8} B  bare {b:>9.2} µs  verify {v:>9.2} µs ({rv:.3}×)  handle {h:>9.2} µs ({rh:.2}×)",
                case.provider, size
            );
            let mut decode_json = String::new();
            if decodes(case.provider) {
                let decode_fn = || {
                    black_box(decode_bare(case.provider, black_box(&req), &check));
                };
                let (_, d, rdb) = paired_ratio(&bare_fn, &decode_fn, pairs);
                let (_, _, rvd) = paired_ratio(&decode_fn, &verify_fn, pairs);
                line.push_str(&format!(
                    "  decode+bare {d:>9.2} µs ({rdb:.3}× bare)  verify/(decode+bare) {rvd:.3}×"
                ));
                decode_json = format!(
                    r#","decode_bare_us":{d:.3},"decode_bare_ratio":{rdb:.4},"verify_decode_ratio":{rvd:.4}"#
                );
            }
            eprintln!("{line}");
            rows.push(format!(
                r#"{{"provider":"{}","size":{size},"bare_us":{b:.3},"verify_us":{v:.3},"verify_ratio":{rv:.4},"handle_us":{h:.3},"handle_ratio":{rh:.4}{decode_json}}}"#,
                case.provider
            ));
        }
    }
    if filter.is_some() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("ratios.json"), format!("[{}]\n", rows.join(",\n")));
}

/// `EDGEHOOK_BENCH_PROFILE=stripe/2048,sibs/4096 EDGEHOOK_BENCH_N=200`: runs `handle` on each
/// listed case `N` times and exits, for an instruction-count profile of the pipeline
/// (`valgrind --tool=callgrind --toggle-collect='*profile_handle*'`: BENCHMARKS.md, 3f), which
/// a machine shared with builds cannot spoil the way it spoils timings.
fn profile(list: &str) {
    let n: usize = std::env::var("EDGEHOOK_BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    for item in list.split(',') {
        let (name, size) = item.split_once('/').expect("provider/size");
        let size: usize = size.parse().expect("size in bytes");
        let case = CASES
            .iter()
            .find(|c| c.provider == name)
            .unwrap_or_else(|| panic!("{name}: no such case"));
        let gw = gateway_for(case, 1);
        let req = signed_request(&gw, "/h0", &(case.payload)(size));
        assert_accepted(&gw, &req, item);
        profile_handle(&gw, &req, n);
        eprintln!("profiled {item} x{n}");
    }
}

#[inline(never)]
fn profile_handle(gw: &Gateway, req: &Request, n: usize) {
    for _ in 0..n {
        black_box(gw.handle(black_box(req), &RustCrypto));
    }
}

fn main() {
    if let Ok(list) = std::env::var("EDGEHOOK_BENCH_PROFILE") {
        return profile(&list);
    }
    // Only under `cargo bench` (which passes --bench), not when `cargo test --benches` runs
    // the benchmarks once as tests.
    if std::env::args().any(|a| a == "--bench") {
        ratios();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
