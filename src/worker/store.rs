//! KV-backed dedup and dead-letter store, and the admin API over dead letters.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use worker::{Env, Method, Request, Response};

use super::bindings::KvNamespace;
use super::{ADMIN_TOKEN, KV};
use crate::gateway::Delivery;
use crate::Rejection;
use wasm_bindgen::prelude::*;
use worker::console_error;
use worker::worker_sys::Context as JsContext;

/// How long an accepted event id is remembered for dedup. Providers retry for hours
/// (SIBS for weeks); a day covers the retries that follow a slow or lost ack.
pub const DEDUP_TTL_S: u64 = 86_400;

/// The dedup record's key for an event on a route.
pub fn seen_key(d: &Delivery) -> String {
    format!("seen:{}:{}", d.route, d.id)
}

/// Whether this event id was already accepted on this route. `Ok(false)` without KV.
pub async fn seen(kv: Option<&KvNamespace>, key: &str) -> Result<bool, String> {
    let Some(kv) = kv else { return Ok(false) };
    Ok(kv.text(key).await?.is_some())
}

/// Records an accepted event id (after it is queued), handing the put to `ctx.waitUntil`:
/// the record only serves later retries, so the ack does not wait for it. A failed put is
/// logged; it costs at most a duplicate delivery, which the origin dedups by `webhook-id`.
pub fn remember(kv: Option<&KvNamespace>, ctx: &JsContext, key: &str, accepted_at_ms: i64) {
    let Some(kv) = kv else { return };
    let put = kv
        .put_expiring(key, &accepted_at_ms.to_string(), DEDUP_TTL_S)
        .map(|p| PUT_FAILED.with(|on_error| p.catch(on_error)));
    match put {
        Ok(p) => {
            if ctx.wait_until(&p).is_err() {
                console_error!("edgehook: could not keep the dedup record's put alive");
            }
        }
        Err(e) => console_error!("edgehook: could not record event for dedup: {e}"),
    }
}

thread_local! {
    /// One handler for every failed dedup put of the isolate (not a closure per request).
    static PUT_FAILED: Closure<dyn FnMut(JsValue)> = Closure::new(|e: JsValue| {
        console_error!(
            "edgehook: could not record event for dedup: {}",
            e.as_string().unwrap_or_else(|| "put rejected".into())
        );
    });
}

fn body_key(d: &Delivery) -> String {
    format!("body:{}:{}", d.route, d.id)
}

/// Keeps a large delivery's event and payload in KV (the queue carries a reference).
pub async fn put_body(env: &Env, d: &Delivery) -> worker::Result<()> {
    let kv = env.kv(KV)?;
    kv.put(&body_key(d), serde_json::to_string(d)?)?
        .execute()
        .await?;
    Ok(())
}

/// Loads a spilled delivery in full, keeping the queue message's attempt count.
pub async fn get_body(env: &Env, d: &Delivery) -> worker::Result<Option<Delivery>> {
    let kv = env.kv(KV)?;
    let Some(text) = kv.get(&body_key(d)).text().await? else {
        return Ok(None);
    };
    let mut full: Delivery = serde_json::from_str(&text)?;
    full.attempt = d.attempt;
    full.spilled = false;
    Ok(Some(full))
}

/// Drops a spilled body once delivered (best effort: a leftover only costs storage).
pub async fn delete_body(env: &Env, d: &Delivery) {
    if let Ok(kv) = env.kv(KV) {
        let _ = kv.delete(&body_key(d)).await;
    }
}

/// A dead letter as stored and listed.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The delivery, with its attempt count.
    pub delivery: Delivery,
    /// Why it was given up.
    pub reason: String,
    /// When (Unix ms).
    pub dead_at_ms: i64,
}

fn dead_key(id: &str) -> String {
    format!("dead:{id}")
}

/// Stores a dead letter; errors when no KV is bound (the caller then retries the message
/// so the queue's own dead-letter queue keeps it: nothing vanishes).
pub async fn put_dead(env: &Env, d: &Delivery, reason: &str) -> worker::Result<()> {
    let kv = env.kv(KV)?;
    // A spilled delivery is stored whole, so a replay does not depend on the body key.
    let full;
    let d = if d.spilled {
        full = get_body(env, d).await?.unwrap_or_else(|| d.clone());
        &full
    } else {
        d
    };
    let letter = DeadLetter {
        delivery: d.clone(),
        reason: reason.to_owned(),
        dead_at_ms: super::now_ms(),
    };
    kv.put(&dead_key(&d.id), serde_json::to_string(&letter)?)?
        .execute()
        .await?;
    Ok(())
}

fn json(status: u16, v: &serde_json::Value) -> worker::Result<Response> {
    let resp = Response::from_json(v)?.with_status(status);
    resp.headers().set("cache-control", "no-store")?;
    Ok(resp)
}

fn authorized(req: &Request, env: &Env) -> Result<(), Rejection> {
    let Ok(token) = env.secret(ADMIN_TOKEN) else {
        // Off unless the operator sets a token.
        return Err(Rejection::NotFound);
    };
    let token = token.to_string();
    let given = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    let given = given.strip_prefix("Bearer ").unwrap_or("");
    if token.is_empty() || !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
        return Err(Rejection::Unauthorized);
    }
    Ok(())
}

/// `GET /__edgehook/dead`, `POST /__edgehook/dead/<id>/replay`.
pub async fn admin(req: Request, env: &Env) -> worker::Result<Response> {
    if let Err(r) = authorized(&req, env) {
        return super::reject(&r);
    }
    let path = req.path();
    let Ok(kv) = env.kv(KV) else {
        return super::reject(&Rejection::ConfigInvalid(format!(
            "no {KV} binding: dead letters are kept by the queue's own DLQ"
        )));
    };
    if path == "/__edgehook/dead" && req.method() == Method::Get {
        let list = kv.list().prefix("dead:".into()).execute().await?;
        let mut items = Vec::new();
        for key in list.keys {
            if let Some(text) = kv.get(&key.name).text().await? {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                    items.push(v);
                }
            }
        }
        return json(
            200,
            &serde_json::json!({ "dead": items, "count": items.len() }),
        );
    }
    if let Some(id) = path
        .strip_prefix("/__edgehook/dead/")
        .and_then(|rest| rest.strip_suffix("/replay"))
    {
        if req.method() != Method::Post {
            return super::reject(&Rejection::MethodNotAllowed(
                req.method().to_string(),
                "POST",
            ));
        }
        let Some(text) = kv.get(&dead_key(id)).text().await? else {
            return super::reject(&Rejection::NotFound);
        };
        let letter: DeadLetter = serde_json::from_str(&text)?;
        let mut d = letter.delivery;
        d.attempt = 0;
        let Some(queue) = super::bindings::queue(env) else {
            return super::reject(&Rejection::QueueUnavailable);
        };
        let message = match super::deliver::message_text(env, d).await {
            Ok(m) => m,
            Err(r) => return super::reject(&r),
        };
        if queue.send_text(&message, None).await.is_err() {
            return super::reject(&Rejection::QueueUnavailable);
        }
        kv.delete(&dead_key(id)).await?;
        return json(202, &serde_json::json!({ "replayed": id }));
    }
    super::reject(&Rejection::NotFound)
}
