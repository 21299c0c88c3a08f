//! Shared fuzz harness: the demo gateway (every provider, from wrangler.toml and
//! .dev.vars) driven with structure-aware requests.
//!
//! Two paths per provider: arbitrary headers and body (the parsers in front of the MAC),
//! and an arbitrary payload signed properly with the provider's own `sign()` then mutated
//! header-wise (the payload parsers and mappings behind the MAC, which random bytes
//! never reach).

use std::collections::HashMap;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use edgehook::providers::SignInput;
use edgehook::verify::RustCrypto;
use edgehook::{Decision, Gateway, Request};

/// Every header name any scheme reads, so the fuzzer hits them without guessing names.
pub const HEADER_NAMES: &[&str] = &[
    "content-type",
    "content-length",
    "X-GCS-Signature",
    "X-GCS-KeyId",
    "X-GCS-Webhooks-Endpoint-Verification",
    "X-Initialization-Vector",
    "X-Authentication-Tag",
    "Signature",
    "X-FEDAPAY-SIGNATURE",
    "Stripe-Signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "X-Hub-Signature-256",
    "X-GitHub-Delivery",
    "X-GitHub-Event",
];

const METHODS: &[&str] = &["POST", "GET", "HEAD", "PUT", "OPTIONS", "DELETE", "post"];

fn demo_gateway() -> &'static Gateway {
    static GW: OnceLock<Gateway> = OnceLock::new();
    GW.get_or_init(|| {
        let toml = include_str!("../../wrangler.toml");
        let routes = toml
            .split("EDGEHOOK_ROUTES = '''")
            .nth(1)
            .and_then(|s| s.split("'''").next())
            .unwrap_or("[]");
        let vars: HashMap<String, String> = include_str!("../../.dev.vars")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').replace("\\n", "\n")))
            .collect();
        let lookup = |n: &str| vars.get(n).cloned();
        match Gateway::from_config(routes, &lookup) {
            Ok(gw) => gw,
            Err(e) => panic!("demo config must load: {e}"),
        }
    })
}

/// A request shaped by the fuzzer.
#[derive(Arbitrary, Debug)]
pub struct Shaped {
    route: u8,
    method: u8,
    headers: Vec<(u8, String)>,
    odd_header: Option<(String, String)>,
    body: Vec<u8>,
    clock_skew_s: i32,
    /// Sign `body` with the provider's own signer first (reaches the payload parsers).
    sign: bool,
    /// Drop or replace one of the signed headers after signing.
    tamper: Option<(u8, String)>,
}

/// The routes of the demo config, in order.
pub fn route_paths() -> Vec<&'static str> {
    demo_gateway().routes().iter().map(|r| r.spec.path.as_str()).collect()
}

const NOW_MS: i64 = 1_764_000_000_000;

/// Runs one shaped request; `route` pins the route (per-provider targets) or lets the
/// fuzzer choose. Asserts the invariants every decision must keep.
pub fn run(input: Shaped, route: Option<&str>) {
    let gw = demo_gateway();
    let paths = route_paths();
    let path = route.unwrap_or_else(|| paths[usize::from(input.route) % paths.len()]);
    let now_ms = NOW_MS + i64::from(input.clock_skew_s) * 1000;
    let mut req = Request::new(METHODS[usize::from(input.method) % METHODS.len()], path, now_ms);
    if input.sign {
        let Some(r) = gw.route(path) else { return };
        let signed = r.provider.sign(
            &SignInput { payload: &input.body, now_s: NOW_MS / 1000, nonce: [7; 12] },
            &RustCrypto,
        );
        let Ok(signed) = signed else { return };
        req.method = "POST".into();
        req.headers = signed.headers;
        req.body = signed.body;
        if let Some((i, v)) = input.tamper {
            if !req.headers.is_empty() {
                let n = usize::from(i) % req.headers.len();
                if v.is_empty() {
                    req.headers.remove(n);
                } else {
                    req.headers[n].1 = v;
                }
            }
        }
    } else {
        for (i, v) in input.headers {
            req.headers.push((HEADER_NAMES[usize::from(i) % HEADER_NAMES.len()].to_owned(), v));
        }
        if let Some(h) = input.odd_header {
            req.headers.push(h);
        }
        req.body = input.body;
    }
    check(&req, gw.handle(&req, &RustCrypto));
}

/// Invariants: statuses are in range, rejections are JSON with a code, accepted events
/// serialize as CloudEvents.
fn check(req: &Request, d: Decision) {
    let reply = d.reply();
    assert!((200..600).contains(&reply.status));
    match &d {
        Decision::Reject(r) => {
            let v: serde_json::Value = serde_json::from_str(&reply.body).expect("rejection body is JSON");
            assert_eq!(v["error"]["code"].as_str(), Some(r.code()));
            assert!((400..600).contains(&r.status()));
        }
        Decision::Accept { delivery, .. } => {
            assert_eq!(req.method, "POST");
            let v: serde_json::Value = serde_json::from_str(&delivery.event).expect("event is JSON");
            assert_eq!(v["specversion"], "1.0");
            assert!(v["type"].as_str().is_some_and(|t| t.starts_with("payment.")));
        }
        Decision::Handshake(_) => assert!(req.method == "GET" || req.method == "HEAD"),
    }
}


