//! Cloudflare Workers adapter: turns runtime requests into core requests and core
//! decisions into responses, queue sends and origin fetches. No webhook logic lives here.

mod bindings;
mod deliver;
mod demo;
mod entry;
mod eventlog;
mod gate;
mod store;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use worker::{
    console_error, event, js_sys, web_sys, Context, Env, Headers, MessageBatch, Request, Response,
};

use crate::config::ConfigError;
use crate::gateway::Gateway;
use crate::providers::Reply;
use crate::Rejection;

/// Binding names the worker reads.
pub const ROUTES_VAR: &str = "EDGEHOOK_ROUTES";
/// Queue producer binding (deliveries).
pub const QUEUE: &str = "EDGEHOOK_QUEUE";
/// KV binding for dedup and dead letters.
pub const KV: &str = "EDGEHOOK_KV";
/// Secret binding of the admin bearer token.
pub const ADMIN_TOKEN: &str = "EDGEHOOK_ADMIN_TOKEN";

thread_local! {
    /// Parsed once per isolate: config is immutable for a deployment.
    static GATEWAY: RefCell<Option<Rc<Result<Gateway, ConfigError>>>> = const { RefCell::new(None) };
}

fn gateway(env: &Env) -> Rc<Result<Gateway, ConfigError>> {
    GATEWAY.with(|g| {
        if let Some(gw) = g.borrow().as_ref() {
            return gw.clone();
        }
        let built = Rc::new(build_gateway(env));
        if let Err(e) = built.as_ref() {
            // Logged once per isolate; every request then answers config_invalid.
            console_error!("{}", config_log_line(e));
        }
        *g.borrow_mut() = Some(built.clone());
        built
    })
}

fn build_gateway(env: &Env) -> Result<Gateway, ConfigError> {
    let routes = routes_text(env).ok_or_else(|| {
        ConfigError::new(
            ROUTES_VAR,
            "is not set (add it to [vars] in wrangler.toml or pass --var)",
        )
    })?;
    let lookup = |name: &str| env.secret(name).ok().map(|s| s.to_string());
    Gateway::from_config(&routes, &lookup)
}

/// The routes as JSON text, whether the var is a string or a TOML/JSON structure.
fn routes_text(env: &Env) -> Option<String> {
    if let Ok(v) = env.var(ROUTES_VAR) {
        return Some(v.to_string());
    }
    env.object_var::<serde_json::Value>(ROUTES_VAR)
        .ok()
        .map(|v| v.to_string())
}

/// The config error's log line, once per isolate (the per-request lines are the JS
/// entry's, from the fields `crate::entry` gives it).
fn config_log_line(e: &ConfigError) -> String {
    serde_json::json!({
        "edgehook": "config",
        "route": "",
        "provider": "",
        "method": "",
        "outcome": "config_invalid",
        "status": 500,
        "ms": 0,
        "detail": e.to_string(),
    })
    .to_string()
}

fn now_ms() -> i64 {
    // `Date.now()` as a number: no `Date` object on the way.
    js_sys::Date::now() as i64
}

fn reject(r: &Rejection) -> worker::Result<Response> {
    let reply = Reply::rejection(r);
    let headers = Headers::new();
    headers.set("content-type", reply.content_type)?;
    headers.set("cache-control", "no-store")?;
    if let Rejection::MethodNotAllowed(_, allow) = r {
        headers.set("allow", allow)?;
    }
    Ok(Response::from_bytes(reply.body.into_bytes())?
        .with_status(reply.status)
        .with_headers(headers))
}

/// The path of a serialized WHATWG URL (`Request.url`), as workers-rs computes it: after
/// the authority, up to `?` or `#` (which a serialized path always percent-encodes).
fn path_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = url.get(after_scheme..).unwrap_or_default();
    match rest.find('/') {
        Some(i) => {
            let path = rest.get(i..).unwrap_or("/");
            let end = path.find(['?', '#']).unwrap_or(path.len());
            path.get(..end).unwrap_or("/")
        }
        None => "/",
    }
}

/// The admin, demo and event-log API (`/__edgehook/`, `/__demo/`): the JS entry sends
/// those prefixes here and handles the webhook path itself around `entry::run`. Exported
/// by hand rather than through `#[event(fetch)]`, whose wrapper reads `request.cf` eagerly.
#[wasm_bindgen(
    wasm_bindgen = ::worker::wasm_bindgen,
    wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
    js_sys = ::worker::js_sys
)]
pub async fn fetch(req: web_sys::Request, env: Env) -> Result<JsValue, JsValue> {
    let url = req.url();
    let path = path_of(&url);
    let req = Request::from(req);
    let result = if path.starts_with("/__demo/") {
        demo::handle(req, &env).await
    } else if !eventlog::serves(path) {
        store::admin(req, &env).await
    } else if let Err(r) = store::authorized(&req, &env) {
        reject(&r)
    } else {
        eventlog::admin(req, &env).await
    };
    match result {
        Ok(resp) => Ok(web_sys::Response::from(resp).into()),
        Err(e) => {
            // Only the runtime refusing to build a response gets here, never a request.
            console_error!("edgehook: {e}");
            let resp = Response::from_bytes(crate::entry::INTERNAL.as_bytes().to_vec())
                .map(|r| r.with_status(500))
                .map_err(|e| JsValue::from_str(&e.to_string()))?;
            Ok(web_sys::Response::from(resp).into())
        }
    }
}

#[event(queue)]
async fn queue(
    batch: MessageBatch<serde_json::Value>,
    env: Env,
    ctx: Context,
) -> worker::Result<()> {
    deliver::consume(batch, env, ctx).await
}

/// The cron trigger (wrangler.toml `[triggers]`): the event log's retention.
#[event(scheduled)]
async fn scheduled(_event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    eventlog::retention(&env).await;
}

/// Used by `store` to replay dead letters and by `demo`.
pub(crate) fn config(env: &Env) -> Rc<Result<Gateway, ConfigError>> {
    gateway(env)
}
