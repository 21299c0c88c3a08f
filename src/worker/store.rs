//! KV-backed dedup and dead-letter store, and the admin API over dead letters.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use worker::{Env, Method, Request, Response};

use percent_encoding::percent_decode_str;

use super::{ADMIN_TOKEN, KV};
use crate::forward::store_key;
use crate::gateway::Delivery;
use crate::Rejection;

/// Keeps a large delivery's event and payload in KV under `key` (the queue carries a
/// reference; `crate::entry::queue_message` made both).
pub async fn put_spilled(env: &Env, key: &str, value: &[u8]) -> worker::Result<()> {
    let kv = env.kv(KV)?;
    kv.put_bytes(key, value)?.execute().await?;
    Ok(())
}

/// Loads a spilled delivery in full, keeping the queue message's delivery state.
pub async fn get_body(env: &Env, d: &Delivery) -> worker::Result<Option<Delivery>> {
    let kv = env.kv(KV)?;
    let Some(text) = kv.get(&crate::entry::body_key(d)).text().await? else {
        return Ok(None);
    };
    let stored: Delivery = serde_json::from_str(&text)?;
    let mut full = d.clone();
    full.event = stored.event;
    full.payload = stored.payload;
    full.spilled = false;
    Ok(Some(full))
}

/// Drops a spilled body once delivered (best effort: a leftover only costs storage).
pub async fn delete_body(env: &Env, d: &Delivery) {
    if let Ok(kv) = env.kv(KV) {
        let _ = kv.delete(&crate::entry::body_key(d)).await;
    }
}

/// A dead letter as stored.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The delivery, with its attempt count.
    pub delivery: Delivery,
    /// Why it was given up.
    pub reason: String,
    /// When (Unix ms).
    pub dead_at_ms: i64,
}

/// Every dead letter of event `id` on `route` starts with this (one per replay generation).
fn dead_prefix(route: &str, id: &str) -> String {
    format!("{}:", store_key("dead", route, id))
}

/// The dead letter's key: route, id and replay generation, so one event dying on two routes
/// keeps both, and a replay that dies again does not share the key its replay deletes.
fn dead_key(d: &Delivery) -> String {
    format!("{}{}", dead_prefix(&d.route, &d.id), d.replays)
}

/// KV's limit on a key's metadata (serialized JSON).
const METADATA_LIMIT: usize = 1024;

/// `s` cut to at most `max` bytes on a char boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// What the admin listing shows of a dead letter, kept as the key's metadata so a page of
/// the list costs one KV operation, not one per letter. Long ids and reasons are clipped
/// (`clipped: true`): the value holds them whole.
fn metadata(d: &Delivery, reason: &str, dead_at_ms: i64) -> serde_json::Value {
    for max in [400, 160, 40] {
        let clipped = d.id.len() > max || reason.len() > max || d.route.len() > max;
        let v = serde_json::json!({
            "id": clip(&d.id, max),
            "route": clip(&d.route, max),
            "provider": clip(&d.provider, 40),
            "reason": clip(reason, max),
            "attempt": d.attempt,
            "replays": d.replays,
            "dead_at_ms": dead_at_ms,
            "clipped": clipped,
        });
        if v.to_string().len() <= METADATA_LIMIT {
            return v;
        }
    }
    serde_json::json!({ "clipped": true, "dead_at_ms": dead_at_ms })
}

/// Stores a dead letter; errors when the store is unbound or refuses the write (the caller
/// then keeps the message in the queue and tries again later: nothing vanishes).
pub async fn put_dead(env: &Env, d: &Delivery, reason: &str) -> worker::Result<String> {
    let kv = env.kv(KV)?;
    // A spilled delivery is stored whole, so a replay does not depend on the body key.
    let full;
    let d = if d.spilled {
        full = get_body(env, d).await?.unwrap_or_else(|| d.clone());
        &full
    } else {
        d
    };
    let mut stored = d.clone();
    stored.dead_reason = None;
    stored.store_attempts = 0;
    let dead_at_ms = super::now_ms();
    let letter = DeadLetter {
        delivery: stored,
        reason: reason.to_owned(),
        dead_at_ms,
    };
    let key = dead_key(d);
    kv.put(&key, serde_json::to_string(&letter)?)?
        .metadata(metadata(d, reason, dead_at_ms))?
        .execute()
        .await?;
    Ok(key)
}

fn json(status: u16, v: &serde_json::Value) -> worker::Result<Response> {
    let resp = Response::from_json(v)?.with_status(status);
    resp.headers().set("cache-control", "no-store")?;
    Ok(resp)
}

pub(super) fn authorized(req: &Request, env: &Env) -> Result<(), Rejection> {
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

/// The most keys one listing page returns (KV's own maximum is 1000).
const PAGE_MAX: u64 = 1000;
/// Default page size.
const PAGE_DEFAULT: u64 = 100;

/// A query parameter of the serialized request URL, percent-decoded (without the `url`
/// crate's parser: its IDNA tables would be a sixth of the wasm).
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `GET /__edgehook/dead[?cursor=&limit=]` (one KV `list` per page, each letter from its
/// key's metadata) and `POST /__edgehook/dead/<id>/replay[?route=/path]`, where `<id>` is
/// the event id percent-encoded (any id the gateway accepts: `/`, `%`, spaces...).
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
    let url = req.inner().url();
    if path == "/__edgehook/dead" && req.method() == Method::Get {
        let limit = query_param(&url, "limit")
            .and_then(|l| l.parse::<u64>().ok())
            .unwrap_or(PAGE_DEFAULT)
            .clamp(1, PAGE_MAX);
        let mut list = kv.list().prefix("dead:".into()).limit(limit);
        if let Some(c) = query_param(&url, "cursor").filter(|c| !c.is_empty()) {
            list = list.cursor(c);
        }
        let page = list.execute().await?;
        let items: Vec<serde_json::Value> = page
            .keys
            .into_iter()
            .map(|k| {
                let mut v = k.metadata.unwrap_or_else(|| serde_json::json!({}));
                if let Some(o) = v.as_object_mut() {
                    o.insert("key".into(), k.name.into());
                }
                v
            })
            .collect();
        let cursor = if page.list_complete {
            None
        } else {
            page.cursor
        };
        return json(
            200,
            &serde_json::json!({ "dead": items, "count": items.len(), "cursor": cursor }),
        );
    }
    if let Some(raw_id) = path
        .strip_prefix("/__edgehook/dead/")
        .and_then(|rest| rest.strip_suffix("/replay"))
    {
        if req.method() != Method::Post {
            return super::reject(&Rejection::MethodNotAllowed(
                req.method().to_string(),
                "POST",
            ));
        }
        let Ok(id) = percent_decode_str(raw_id).decode_utf8() else {
            return super::reject(&Rejection::NotFound);
        };
        return replay(env, &kv, &id, query_param(&url, "route")).await;
    }
    super::reject(&Rejection::NotFound)
}

/// Re-queues every dead letter of event `id` (on `route`, else on any configured route)
/// as a fresh delivery chain of the next generation, then deletes exactly the letters it
/// read: a letter of the new chain has a key of its own and survives.
pub(super) async fn replay(
    env: &Env,
    kv: &worker::kv::KvStore,
    id: &str,
    route: Option<String>,
) -> worker::Result<Response> {
    let routes: Vec<String> = match route {
        Some(r) => vec![r],
        None => match super::config(env).as_ref() {
            Ok(gw) => gw.routes().iter().map(|r| r.spec.path.clone()).collect(),
            Err(_) => Vec::new(),
        },
    };
    let Some(queue) = super::bindings::queue(env) else {
        return super::reject(&Rejection::QueueUnavailable);
    };
    let mut replayed = Vec::new();
    for route in routes {
        let prefix = dead_prefix(&route, id);
        let page = kv.list().prefix(prefix.clone()).execute().await?;
        for key in page.keys {
            // `prefix` ends with `:`, and escaping keeps `:` out of route and id: what
            // follows is only the generation.
            let Some(text) = kv.get(&key.name).text().await? else {
                continue;
            };
            let letter: DeadLetter = serde_json::from_str(&text)?;
            if letter.delivery.id != id || letter.delivery.route != route {
                continue;
            }
            let mut d = letter.delivery;
            d.attempt = 0;
            d.replays = d.replays.saturating_add(1);
            d.dead_reason = None;
            d.store_attempts = 0;
            d.body_waits = 0;
            let message = match super::deliver::message_text(env, d).await {
                Ok(m) => m,
                Err(r) => return super::reject(&r),
            };
            if queue.send_text(&message, None).await.is_err() {
                return super::reject(&Rejection::QueueUnavailable);
            }
            kv.delete(&key.name).await?;
            replayed.push(key.name);
        }
    }
    if replayed.is_empty() {
        return super::reject(&Rejection::NotFound);
    }
    json(
        202,
        &serde_json::json!({ "replayed": id, "keys": replayed }),
    )
}
