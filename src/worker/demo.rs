//! The demo origin sink (`/__demo/origin`): what `npm start` forwards to, so a newcomer
//! sees a signed event arrive without running a server of their own. It checks the
//! Standard Webhooks signature with the routes' origin keys, like a real origin would.
//!
//! A development aid, so it fails closed: it answers only while a route in force forwards
//! to it (the demo config's routes do), never merely because a var was left behind, and
//! otherwise the path is as unknown as any other. Bodies are capped, signatures compared
//! in constant time.

use std::cell::RefCell;
use std::collections::VecDeque;

use futures_util::StreamExt;
use subtle::ConstantTimeEq;
use worker::{console_log, Env, Method, Request, Response};

use crate::forward;
use crate::verify::RustCrypto;
use crate::Rejection;

/// The sink's path; a route whose `origin` is exactly this turns the sink on.
pub const PATH: &str = "/__demo/origin";
/// The largest body the sink keeps (the demo's events are a few KiB; SIBS's spilled
/// 200 KiB e2e event fits).
const MAX_BODY: usize = 512 * 1024;

thread_local! {
    static RECEIVED: RefCell<VecDeque<serde_json::Value>> = const { RefCell::new(VecDeque::new()) };
}

const KEEP: usize = 50;

/// Handles `/__demo/origin`: POST stores, GET lists.
pub async fn handle(mut req: Request, env: &Env) -> worker::Result<Response> {
    let gw = super::config(env);
    let in_use = gw
        .as_ref()
        .as_ref()
        .is_ok_and(|g| g.routes().iter().any(|r| r.spec.origin == PATH));
    if req.path() != PATH || !in_use {
        return super::reject(&Rejection::UnknownRoute);
    }
    if req.method() == Method::Get {
        let items: Vec<serde_json::Value> = RECEIVED.with(|r| r.borrow().iter().cloned().collect());
        return Response::from_json(&serde_json::json!({ "received": items }));
    }
    let header = |n: &str| req.headers().get(n).ok().flatten().unwrap_or_default();
    let (id, ts, sig) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let content_type = header("content-type");
    let declared = header("content-length").trim().parse::<usize>().ok();
    if declared.is_some_and(|n| n > MAX_BODY) {
        return super::reject(&Rejection::BodyTooLarge(MAX_BODY));
    }
    let mut body = Vec::new();
    let mut stream = req.stream()?;
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() > MAX_BODY {
            return super::reject(&Rejection::BodyTooLarge(MAX_BODY));
        }
    }
    let keys: Vec<Vec<u8>> = match gw.as_ref() {
        Ok(g) => g
            .routes()
            .iter()
            .filter_map(|r| r.origin_key.as_ref().map(|k| k.0.clone()))
            .collect(),
        Err(_) => Vec::new(),
    };
    let signature = if sig.is_empty() {
        "unsigned"
    } else if keys.iter().any(|k| {
        let expected = forward::sign(k, &id, &ts, &body, &RustCrypto);
        sig.split(' ')
            .any(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())))
    }) {
        "valid"
    } else {
        "INVALID"
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    let parsed =
        serde_json::from_str::<serde_json::Value>(&text).unwrap_or(serde_json::Value::String(text));
    console_log!(
        "[demo origin] received webhook-id={id} signature={signature} content-type={content_type}"
    );
    RECEIVED.with(|r| {
        let mut r = r.borrow_mut();
        r.push_front(serde_json::json!({
            "webhook-id": id,
            "signature": signature,
            "content-type": content_type,
            "body": parsed,
        }));
        r.truncate(KEEP);
    });
    Response::from_json(&serde_json::json!({ "ok": true, "signature": signature }))
}
