//! The event log's glue: runs `crate::eventlog`'s statements on the optional D1 binding,
//! keeps resend payloads in KV, serves the admin API over the log and runs retention.
//!
//! Best effort by design: every write is handed to `waitUntil` after the queue message's
//! fate is decided, and its failure is one log line. Without the `EDGEHOOK_DB` binding
//! nothing here runs and the gateway behaves as without the log.

use std::cell::{Cell, RefCell};

use percent_encoding::percent_decode_str;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use worker::js_sys::{self, futures::JsFuture, Array, Promise, Reflect};
use worker::{console_error, console_log, Context, Env, Method, Request, Response};

use super::{bindings, now_ms, KV};
use crate::eventlog::{self as log, AttemptRow, EventRow, State, Stmt};
use crate::forward::store_key;
use crate::gateway::Delivery;
use crate::Rejection;

/// The D1 binding of the event log (optional).
pub const DB: &str = "EDGEHOOK_DB";
/// Days rows and stored payloads are kept (default 7).
pub const RETENTION_VAR: &str = "EDGEHOOK_RETENTION_DAYS";
/// Seconds between flushes of the rejection counts (default 60).
pub const FLUSH_VAR: &str = "EDGEHOOK_REJECTION_FLUSH_S";

#[wasm_bindgen]
extern "C" {
    /// A D1 database binding.
    pub type D1Database;
    #[wasm_bindgen(method, catch)]
    fn prepare(this: &D1Database, sql: &str) -> Result<D1Statement, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn batch(this: &D1Database, statements: &Array) -> Result<Promise, JsValue>;

    /// A prepared D1 statement.
    pub type D1Statement;
    #[wasm_bindgen(method, catch, variadic)]
    fn bind(this: &D1Statement, values: &Array) -> Result<D1Statement, JsValue>;
}

fn db(env: &Env) -> Option<D1Database> {
    Reflect::get(env, &JsValue::from_str(DB))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
        .map(JsCast::unchecked_into)
}

fn js_value(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_f64(f64::from(u8::from(*b))),
        Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or_default()),
        Value::String(s) => JsValue::from_str(s),
        other => JsValue::from_str(&other.to_string()),
    }
}

fn error_text(e: &JsValue) -> String {
    super::bindings::error_text(e, "D1 error")
}

/// Runs the statements as one D1 batch (one round trip, one transaction) and returns each
/// statement's result rows.
async fn run(db: &D1Database, stmts: &[Stmt]) -> Result<Vec<Vec<Value>>, String> {
    let list = Array::new();
    for s in stmts {
        let prepared = db.prepare(&s.sql).map_err(|e| error_text(&e))?;
        let params: Array = s.params.iter().map(js_value).collect();
        let bound: JsValue = prepared.bind(&params).map_err(|e| error_text(&e))?.into();
        list.push(&bound);
    }
    let promise = db.batch(&list).map_err(|e| error_text(&e))?;
    let out = JsFuture::from(promise).await.map_err(|e| error_text(&e))?;
    let text = js_sys::JSON::stringify(&out)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    let results: Vec<Value> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(results
        .into_iter()
        .map(|r| match r.get("results") {
            Some(Value::Array(rows)) => rows.clone(),
            _ => Vec::new(),
        })
        .collect())
}

/// A delivery kept in KV for a resend: key, JSON, TTL (s).
type Keep = (worker::kv::KvStore, String, String, u64);

/// Runs the statements (and keeps a payload) after the handler's answer (`waitUntil`); a
/// failure is logged. One future type for every write, so one copy of the spawn glue.
fn spawn(ctx: &Context, db: D1Database, stmts: Vec<Stmt>, what: &'static str, keep: Option<Keep>) {
    ctx.wait_until(async move {
        if let Err(e) = run(&db, &stmts).await {
            console_error!(
                "{}",
                serde_json::json!({"edgehook": "eventlog", "outcome": "write_failed", "what": what, "detail": e})
            );
        }
        if let Some((kv, key, text, ttl)) = keep {
            let put = match kv.put(&key, text) {
                Ok(p) => p.expiration_ttl(ttl).execute().await,
                Err(e) => Err(e),
            };
            if let Err(e) = put {
                console_error!("edgehook: could not keep the payload for a resend: {e}");
            }
        }
    });
}

fn retention_days(env: &Env) -> u32 {
    let var = env.var(RETENTION_VAR).ok().map(|v| v.to_string());
    log::retention_days(var.as_deref()).unwrap_or_else(|e| {
        console_error!(
            "edgehook: {e}; keeping {} days",
            log::DEFAULT_RETENTION_DAYS
        );
        log::DEFAULT_RETENTION_DAYS
    })
}

fn payload_key(route: &str, id: &str) -> String {
    store_key("event", route, id)
}

/// What the consumer learned from one attempt.
pub struct Attempted<'a> {
    /// The delivery in full (event and payload at hand), with the attempt count before it.
    pub full: &'a Delivery,
    pub state: State,
    pub detail: &'a str,
    pub started_ms: i64,
    pub dead_reason: Option<&'a str>,
}

/// Logs an attempt and the event's new state. The first attempt of a chain also keeps the
/// delivery in KV for a resend, for the retention period.
pub fn attempted(env: &Env, ctx: &Context, a: Attempted<'_>) {
    let Some(db) = db(env) else { return };
    let now = now_ms();
    let row = EventRow::of(a.full);
    let attempt = AttemptRow {
        chain: a.full.replays,
        n: a.full.attempt + 1,
        at_ms: a.started_ms,
        latency_ms: now - a.started_ms,
        status: log::status_of(a.detail),
        detail: a.detail.to_owned(),
    };
    let keep = (a.full.attempt == 0 && !a.full.spilled)
        .then(|| env.kv(KV).ok())
        .flatten()
        .and_then(|kv| {
            let mut d = a.full.clone();
            d.attempt = 0;
            d.dead_reason = None;
            let text = serde_json::to_string(&d).ok()?;
            let ttl = u64::from(retention_days(env)) * 86_400;
            Some((kv, payload_key(&d.route, &d.id), text, ttl))
        });
    spawn(
        ctx,
        db,
        log::record(&row, a.state, Some(&attempt), a.dead_reason, now),
        "attempt",
        keep,
    );
}

/// Logs an event held before its first attempt (the origin's gate), as queued.
pub fn held(env: &Env, ctx: &Context, d: &Delivery) {
    if d.attempt > 0 {
        return;
    }
    if let Some(db) = db(env) {
        spawn(
            ctx,
            db,
            vec![log::record_queued(&EventRow::of(d), now_ms())],
            "queued",
            None,
        );
    }
}

/// Logs an event the dead-letter queue's consumer stored (the main consumer gave up on it).
pub fn buried(env: &Env, ctx: &Context, d: &Delivery, reason: &str) {
    if let Some(db) = db(env) {
        spawn(
            ctx,
            db,
            log::record(&EventRow::of(d), State::Dead, None, Some(reason), now_ms()),
            "dead",
            None,
        );
    }
}

thread_local! {
    static REJECTIONS: RefCell<log::RejectionCounts> = RefCell::new(log::RejectionCounts::default());
    static FLUSH_MS: Cell<Option<i64>> = const { Cell::new(None) };
}

fn flush_ms(env: &Env) -> i64 {
    FLUSH_MS.with(|c| {
        c.get().unwrap_or_else(|| {
            let s = env
                .var(FLUSH_VAR)
                .ok()
                .and_then(|v| v.to_string().trim().parse::<u64>().ok())
                .unwrap_or(log::DEFAULT_FLUSH_S);
            let ms = i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
            c.set(Some(ms));
            ms
        })
    })
}

/// Counts a rejected request in memory; the counts reach D1 at most once per flush
/// interval per isolate, whatever the request rate.
pub fn rejected(env: &Env, ctx: &worker::worker_sys::Context, route: &str, code: &'static str) {
    let Some(db) = db(env) else { return };
    let interval = flush_ms(env);
    let due = REJECTIONS.with(|r| {
        let mut r = r.borrow_mut();
        r.add(route, code);
        r.flush_due(now_ms(), interval)
    });
    if let Some(stmts) = due {
        let ctx = Context::new(JsValue::clone(ctx.as_ref()).unchecked_into());
        spawn(&ctx, db, stmts, "rejections", None);
    }
}

/// The scheduled handler: flushes the isolate's rejection counts, then deletes rows and
/// stored payloads older than the retention (unresolved dead letters stay), a bounded batch
/// per round.
pub async fn retention(env: &Env) {
    let Some(db) = db(env) else { return };
    // Counts this isolate still holds go out now rather than wait for the next rejection.
    if let Some(stmts) = REJECTIONS.with(|r| r.borrow_mut().flush_due(now_ms(), 0)) {
        if let Err(e) = run(&db, &stmts).await {
            console_error!("edgehook: could not write the rejection counts: {e}");
        }
    }
    let days = retention_days(env);
    let cutoff = log::cutoff(now_ms(), days);
    let kv = env.kv(KV).ok();
    let mut removed = 0usize;
    for _ in 0..5 {
        let rows = match run(&db, &[log::retention_select(cutoff)]).await {
            Ok(mut r) => r.pop().unwrap_or_default(),
            Err(e) => {
                console_error!("edgehook: retention could not read the event log: {e}");
                return;
            }
        };
        let Some(max_seq) = rows.iter().filter_map(|r| r["seq"].as_i64()).max() else {
            break;
        };
        if let Some(kv) = &kv {
            for r in &rows {
                let (Some(route), Some(id)) = (r["route"].as_str(), r["id"].as_str()) else {
                    continue;
                };
                // A payload left behind by a failed delete still expires by its TTL.
                let _ = kv.delete(&payload_key(route, id)).await;
            }
        }
        if let Err(e) = run(&db, &log::retention_delete(cutoff, max_seq)).await {
            console_error!("edgehook: retention could not delete old rows: {e}");
            return;
        }
        removed += rows.len();
        if rows.len() < log::RETENTION_BATCH as usize {
            break;
        }
    }
    console_log!(
        "{}",
        serde_json::json!({"edgehook": "retention", "days": days, "removed": removed})
    );
}

fn json(status: u16, v: &Value) -> worker::Result<Response> {
    let resp = Response::from_json(v)?.with_status(status);
    resp.headers().set("cache-control", "no-store")?;
    Ok(resp)
}

fn query_pairs(url: &str) -> Vec<(String, String)> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Whether this path is the event log's part of the admin API.
pub fn serves(path: &str) -> bool {
    path == "/__edgehook/events"
        || path.starts_with("/__edgehook/events/")
        || path == "/__edgehook/stats"
}

fn only(req: &Request, method: Method, allow: &'static str) -> Result<(), Rejection> {
    if req.method() == method {
        Ok(())
    } else {
        Err(Rejection::MethodNotAllowed(req.method().to_string(), allow))
    }
}

/// `GET /__edgehook/events`, `GET /__edgehook/events/<id>[?route=]`,
/// `POST /__edgehook/events/<id>/resend[?route=]`, `GET /__edgehook/stats`; the caller has
/// checked the token.
pub async fn admin(req: Request, env: &Env) -> worker::Result<Response> {
    match serve(&req, env).await {
        Ok(resp) => Ok(resp),
        Err(r) => super::reject(&r),
    }
}

async fn serve(req: &Request, env: &Env) -> Result<Response, Rejection> {
    let internal = |e: worker::Error| Rejection::ConfigInvalid(format!("response: {e}"));
    let Some(db) = db(env) else {
        return Err(Rejection::LogOff);
    };
    let unavailable = |e: String| {
        console_error!("edgehook: event log query failed: {e}");
        Rejection::LogUnavailable
    };
    let path = req.path();
    let url = req.inner().url();
    let pairs = query_pairs(&url);
    if path == "/__edgehook/stats" {
        only(req, Method::Get, "GET")?;
        let mut out = run(&db, &log::stats(now_ms())).await.map_err(unavailable)?;
        let rejections = out.pop().unwrap_or_default();
        let events = out.pop().unwrap_or_default();
        return json(
            200,
            &serde_json::json!({ "events": events, "rejections": rejections }),
        )
        .map_err(internal);
    }
    if path == "/__edgehook/events" {
        only(req, Method::Get, "GET")?;
        let filter = log::parse_filter(&pairs)?;
        let rows = run(&db, &[log::list(&filter)])
            .await
            .map_err(unavailable)?
            .pop()
            .unwrap_or_default();
        let (rows, cursor) = log::page(rows, filter.limit);
        return json(
            200,
            &serde_json::json!({ "events": rows, "count": rows.len(), "cursor": cursor }),
        )
        .map_err(internal);
    }
    let rest = path.strip_prefix("/__edgehook/events/").unwrap_or_default();
    let (raw_id, resend) = match rest.strip_suffix("/resend") {
        Some(id) => (id, true),
        None => (rest, false),
    };
    let id = percent_decode_str(raw_id)
        .decode_utf8()
        .map_err(|_| Rejection::NotFound)?
        .into_owned();
    if id.is_empty() {
        return Err(Rejection::NotFound);
    }
    for (k, _) in &pairs {
        if k != "route" {
            return Err(Rejection::InvalidQuery(format!(
                "unknown parameter {}",
                k.chars().take(40).collect::<String>()
            )));
        }
    }
    let route = match pairs.iter().find(|(k, _)| k == "route") {
        Some((_, r)) => r.clone(),
        None => run(&db, &[log::routes_of(&id)])
            .await
            .map_err(unavailable)?
            .pop()
            .unwrap_or_default()
            .first()
            .and_then(|r| r["route"].as_str().map(str::to_owned))
            .ok_or(Rejection::NotFound)?,
    };
    if resend {
        only(req, Method::Post, "POST")?;
        return resend_event(env, &db, &route, &id).await;
    }
    only(req, Method::Get, "GET")?;
    let [event, attempts] = log::one(&route, &id);
    let mut out = run(&db, &[event, attempts]).await.map_err(unavailable)?;
    let attempts = out.pop().unwrap_or_default();
    let event = out
        .pop()
        .and_then(|rows| rows.into_iter().next())
        .ok_or(Rejection::NotFound)?;
    // The normalized event comes from the payload kept for a resend (D1 holds no payload).
    let kept = match env.kv(KV) {
        Ok(kv) => kv
            .get(&payload_key(&route, &id))
            .text()
            .await
            .ok()
            .flatten(),
        Err(_) => None,
    };
    let normalized = kept
        .as_deref()
        .and_then(|t| serde_json::from_str::<Delivery>(t).ok())
        .and_then(|d| serde_json::from_str::<Value>(&d.event).ok());
    json(
        200,
        &serde_json::json!({
            "event": event,
            "attempts": attempts,
            "resendable": kept.is_some() || event["state"] == "dead",
            "normalized": normalized,
        }),
    )
    .map_err(internal)
}

/// Queues a kept event again as a new chain (its attempts continue under the next chain
/// number), whatever its state.
async fn resend_event(
    env: &Env,
    db: &D1Database,
    route: &str,
    id: &str,
) -> Result<Response, Rejection> {
    let kv = env
        .kv(KV)
        .map_err(|_| Rejection::ConfigInvalid(format!("no {KV} binding: payloads are not kept")))?;
    // A dead event is replayed from its dead letter (the whole delivery, never expired),
    // which also takes the letter out of the dead-letter store; any other event, or a dead
    // one whose letter was already handled, from the payload kept for the retention.
    let replayed = super::store::replay(env, &kv, id, Some(route.to_owned()))
        .await
        .map_err(|_| Rejection::LogUnavailable)?;
    if replayed.status_code() == 202 {
        if let Err(e) = run(db, &[log::mark_resent(route, id, now_ms())]).await {
            console_error!("edgehook: replayed event {id}, but the log could not say so: {e}");
        }
        return json(
            202,
            &serde_json::json!({ "resent": id, "route": route, "from": "dead_letter" }),
        )
        .map_err(|e| Rejection::ConfigInvalid(format!("response: {e}")));
    }
    let text = kv
        .get(&payload_key(route, id))
        .text()
        .await
        .ok()
        .flatten()
        .ok_or(Rejection::NotFound)?;
    let mut d: Delivery = serde_json::from_str(&text).map_err(|_| Rejection::NotFound)?;
    let next_chain = run(
        db,
        &[Stmt {
            sql: "SELECT COALESCE(MAX(chain), -1) + 1 AS next FROM attempts WHERE route = ?1 AND id = ?2".into(),
            params: vec![route.into(), id.into()],
        }],
    )
    .await
    .ok()
    .and_then(|mut r| r.pop())
    .and_then(|rows| rows.first().and_then(|r| r["next"].as_u64()))
    .and_then(|n| u32::try_from(n).ok())
    .unwrap_or(0);
    d.attempt = 0;
    d.replays = d.replays.saturating_add(1).max(next_chain);
    d.dead_reason = None;
    d.store_attempts = 0;
    d.body_waits = 0;
    let chain = d.replays;
    let message = super::deliver::message_text(env, d).await?;
    let queue = bindings::queue(env).ok_or(Rejection::QueueUnavailable)?;
    queue
        .send_text(&message, None)
        .await
        .map_err(|_| Rejection::QueueUnavailable)?;
    if let Err(e) = run(db, &[log::mark_resent(route, id, now_ms())]).await {
        console_error!("edgehook: resent event {id}, but the log could not say so: {e}");
    }
    json(
        202,
        &serde_json::json!({ "resent": id, "route": route, "chain": chain, "from": "payload" }),
    )
    .map_err(|e| Rejection::ConfigInvalid(format!("response: {e}")))
}
