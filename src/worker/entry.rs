//! The webhook path's wasm side: synchronous exports that the hand-written JS entry
//! (`entry.js`) calls with the request it read, answering with what to do next
//! (`crate::entry`). No future runs here: every `await` of the hot path (WebCrypto, the
//! dedup lookup, the queue send) is a plain JS `await` in the entry, which measured
//! cheaper than a wasm-bindgen future per await (BENCHMARKS.md, issue 15).

use std::cell::RefCell;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use worker::worker_sys::Context as JsContext;
use worker::{console_error, Env};

use super::{eventlog, gateway};
use crate::config::ForwardMode;
use crate::entry::{self, KeyIds, Output, Policy};
use crate::Rejection;

/// MACs over at least this many content bytes go to the runtime's WebCrypto (native
/// code), shorter ones stay in wasm, where they cost less than the second call into wasm
/// that WebCrypto's `resume` needs; every AES-GCM goes to WebCrypto. The measured
/// crossover: BENCHMARKS.md, "crypto backend".
pub const MAC_WEBCRYPTO_MIN_BYTES: usize = 2 * 1024;

const POLICY: Policy = Policy {
    mac_min_bytes: Some(MAC_WEBCRYPTO_MIN_BYTES),
    aes_gcm: true,
};

thread_local! {
    static KEYS: RefCell<KeyIds> = RefCell::new(KeyIds::default());
}

/// What the entry reads for a configured path before calling [`run`].
#[derive(Serialize)]
struct RouteHead {
    /// Header names (lower-case) the provider reads.
    h: Vec<String>,
    /// Every header is needed (passthrough forwarding replays them).
    all: bool,
    /// The body limit: a declared length above it is refused unread.
    max: usize,
}

/// The configured paths and what each needs from the request, as JSON `[path, needs]`
/// pairs (read once per isolate). An invalid config gives no routes: every request then reaches [`run`], which
/// answers `config_invalid`.
#[wasm_bindgen]
pub fn routes(env: Env) -> String {
    let gw = gateway(&env);
    // Pairs, not a map: the entry builds its `Map` from them, and the wasm needs no
    // second hash map type for it.
    let table: Vec<(&str, RouteHead)> = match gw.as_ref() {
        Ok(gw) => gw
            .routes()
            .iter()
            .map(|r| {
                let mut h = vec!["content-type".to_owned()];
                h.extend(r.provider.headers().iter().map(|n| n.to_ascii_lowercase()));
                (
                    r.spec.path.as_str(),
                    RouteHead {
                        h,
                        all: r.spec.forward == ForwardMode::Passthrough,
                        max: r.max_body(),
                    },
                )
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    serde_json::to_string(&table).unwrap_or_else(|_| "[]".into())
}

/// The first call for a request: the head `entry.js` wrote and the body as received.
#[wasm_bindgen]
pub fn run(env: Env, ctx: JsContext, head: &str, body: Vec<u8>) -> Vec<u8> {
    answer(&env, &ctx, head, body, None)
}

/// The second call, with the results of the WebCrypto calls [`run`] asked for.
#[wasm_bindgen]
pub fn resume(env: Env, ctx: JsContext, head: &str, body: Vec<u8>, results: &[u8]) -> Vec<u8> {
    answer(&env, &ctx, head, body, Some(results))
}

fn answer(
    env: &Env,
    ctx: &JsContext,
    head: &str,
    body: Vec<u8>,
    results: Option<&[u8]>,
) -> Vec<u8> {
    let Ok(input) = entry::decode(head, body) else {
        console_error!("edgehook: the JS entry and the wasm disagree on the request layout");
        return entry::internal_output();
    };
    #[cfg(feature = "fault-probe")]
    if input.request.path == "/__fault/trap" {
        panic!("fault probe: a deliberate trap (test build)");
    }
    let gw = gateway(env);
    let gw = match gw.as_ref() {
        Ok(gw) => gw,
        Err(e) => {
            let out = rejection(Rejection::ConfigInvalid(e.public()));
            return KEYS.with(|k| entry::encode_output(None, &input, out, &mut k.borrow_mut()));
        }
    };
    let out = match results {
        None => entry::run(gw, &input, &POLICY),
        Some(bytes) => match entry::decode_results(bytes) {
            Ok(results) => entry::resume(gw, &input, &results),
            Err(_) => return entry::internal_output(),
        },
    };
    if let Output::Reply { outcome, .. } = &out {
        if *outcome != "handshake" {
            // Counted under the configured route only: a flood of random paths adds one key.
            let route = gw
                .route(&input.request.path)
                .map_or("", |r| r.spec.path.as_str());
            eventlog::rejected(env, ctx, route, outcome);
        }
    }
    KEYS.with(|k| entry::encode_output(Some(gw), &input, out, &mut k.borrow_mut()))
}

fn rejection(r: Rejection) -> Output {
    Output::Reply {
        reply: crate::providers::Reply::rejection(&r),
        allow: None,
        outcome: r.code(),
    }
}

/// The queue (or the spill's store) refused an event `run` accepted: counted for the
/// event log like any rejection. Returns the body of the 503 the entry answers.
#[wasm_bindgen]
pub fn refused(env: Env, ctx: JsContext, route: &str) -> String {
    let gw = gateway(&env);
    let route = gw
        .as_ref()
        .as_ref()
        .ok()
        .and_then(|g| g.route(route))
        .map_or("", |r| r.spec.path.as_str());
    eventlog::rejected(&env, &ctx, route, Rejection::QueueUnavailable.code());
    Rejection::QueueUnavailable.body()
}

/// No queue is bound: the event is refused with 503 (the provider retries), unless the
/// route opted into `inline_delivery`, which forwards it now, best effort. Returns
/// whether it was taken.
#[wasm_bindgen]
pub fn without_queue(env: Env, ctx: JsContext, message: &[u8], inline: bool) -> bool {
    super::deliver::without_queue(&env, &ctx, message, inline)
}
