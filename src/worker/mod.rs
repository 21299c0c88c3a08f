//! Cloudflare Workers adapter: turns runtime requests into core requests and core
//! decisions into responses, queue sends and origin fetches. No webhook logic lives here.

mod bindings;
mod deliver;
mod demo;
mod eventlog;
mod gate;
mod store;
mod webcrypto;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::StreamExt;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use worker::{
    console_error, console_log, event, js_sys, web_sys, ByteStream, Context, Env, Headers,
    MessageBatch, Request, Response,
};

use crate::config::ConfigError;
use crate::forward;
use crate::gateway::{Decision, Gateway};
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
/// Optional var: `rejections` logs only requests that were turned away or failed; anything
/// else (the default, `all`) logs one line per request. A `console.log` costs about as much
/// CPU as the rest of an accepted request (BENCHMARKS.md, "adapter").
pub const LOG_VAR: &str = "EDGEHOOK_LOG";

thread_local! {
    /// Parsed once per isolate: config is immutable for a deployment.
    static GATEWAY: RefCell<Option<Rc<Result<Gateway, ConfigError>>>> = const { RefCell::new(None) };
    /// Whether accepted requests are logged (`EDGEHOOK_LOG`), read once per isolate.
    static LOG_ACCEPTED: Cell<Option<bool>> = const { Cell::new(None) };
}

fn log_accepted(env: &Env) -> bool {
    LOG_ACCEPTED.with(|c| {
        c.get().unwrap_or_else(|| {
            let all = env
                .var(LOG_VAR)
                .map(|v| v.to_string().trim() != "rejections")
                .unwrap_or(true);
            c.set(Some(all));
            all
        })
    })
}

fn gateway(env: &Env) -> Rc<Result<Gateway, ConfigError>> {
    GATEWAY.with(|g| {
        if let Some(gw) = g.borrow().as_ref() {
            return gw.clone();
        }
        let built = Rc::new(build_gateway(env));
        if let Err(e) = built.as_ref() {
            // Logged once per isolate; every request then answers config_invalid.
            console_error!("{}", log_line(&LogLine::config(e)));
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

/// One structured log line per request, readable in `wrangler tail`. Never payload content.
#[derive(Serialize)]
struct LogLine<'a> {
    edgehook: &'a str,
    route: &'a str,
    provider: &'a str,
    method: &'a str,
    outcome: &'a str,
    status: u16,
    ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl<'a> LogLine<'a> {
    fn config(e: &ConfigError) -> LogLine<'static> {
        LogLine {
            edgehook: "config",
            route: "",
            provider: "",
            method: "",
            outcome: "config_invalid",
            status: 500,
            ms: 0,
            event_id: None,
            key: None,
            detail: Some(e.to_string()),
        }
    }
}

fn log_line(l: &LogLine<'_>) -> String {
    serde_json::to_string(l).unwrap_or_default()
}

fn now_ms() -> i64 {
    // `Date.now()` as a number: no `Date` object on the way.
    js_sys::Date::now() as i64
}

fn to_response(reply: &Reply, head: bool) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", reply.content_type)?;
    headers.set("cache-control", "no-store")?;
    let body = if head {
        Vec::new()
    } else {
        reply.body.clone().into_bytes()
    };
    Ok(Response::from_bytes(body)?
        .with_status(reply.status)
        .with_headers(headers))
}

/// The webhook path's responses, built on the runtime's `Response` directly (the
/// workers-rs builder costs a few more boundary crossings per request).
fn respond(
    reply: &Reply,
    head: bool,
    allow: Option<&'static str>,
) -> worker::Result<web_sys::Response> {
    let init = response_init(reply.status, reply.content_type, allow)?;
    let body = (!head).then_some(reply.body.as_str());
    Ok(web_sys::Response::new_with_opt_str_and_init(body, &init)?)
}

type InitKey = (u16, &'static str, Option<&'static str>);

thread_local! {
    /// `ResponseInit`s (status + headers) built once per isolate and reused: `new Response`
    /// copies the init's headers, so one init serves every response of its kind, and a
    /// response then costs one crossing instead of five.
    static INITS: RefCell<Vec<(InitKey, web_sys::ResponseInit)>> = const { RefCell::new(Vec::new()) };
}

fn response_init(
    status: u16,
    content_type: &'static str,
    allow: Option<&'static str>,
) -> worker::Result<web_sys::ResponseInit> {
    let key = (status, content_type, allow);
    if let Some(init) = INITS.with(|c| {
        c.borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, i)| i.clone())
    }) {
        return Ok(init);
    }
    let headers = web_sys::Headers::new()?;
    headers.set("content-type", content_type)?;
    headers.set("cache-control", "no-store")?;
    if let Some(allow) = allow {
        headers.set("allow", allow)?;
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers);
    INITS.with(|c| c.borrow_mut().push((key, init.clone())));
    Ok(init)
}

fn respond_rejection(r: &Rejection) -> worker::Result<web_sys::Response> {
    let allow = match r {
        Rejection::MethodNotAllowed(_, allow) => Some(*allow),
        _ => None,
    };
    respond(&Reply::rejection(r), false, allow)
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

/// The origin (`scheme://host[:port]`) of a serialized request URL, without parsing it
/// again (the `url` crate's parser and IDNA tables are a sixth of the wasm's code).
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url
        .get(after_scheme..)
        .and_then(|rest| rest.find('/'))
        .map_or(url.len(), |i| after_scheme + i);
    url.get(..end).unwrap_or(url)
}

fn reject(r: &Rejection) -> worker::Result<Response> {
    let resp = to_response(&Reply::rejection(r), false)?;
    if let Rejection::MethodNotAllowed(_, allow) = r {
        resp.headers().set("allow", allow)?;
    }
    Ok(resp)
}

/// The fetch entry point, exported by hand rather than through `#[event(fetch)]` (which
/// generates the same export): the macro wraps the raw request in workers-rs's `Request`,
/// which reads `request.cf` eagerly (workerd materializes it from JSON on every access),
/// and hides the runtime's `ctx`, whose `waitUntil` takes the dedup record's put without a
/// Rust future to drive it (measured: BENCHMARKS.md, "adapter").
#[wasm_bindgen(
    wasm_bindgen = ::worker::wasm_bindgen,
    wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
    js_sys = ::worker::js_sys
)]
pub async fn fetch(
    req: web_sys::Request,
    env: Env,
    ctx: worker::worker_sys::Context,
) -> Result<JsValue, JsValue> {
    let url = req.url();
    let path = path_of(&url);
    #[cfg(feature = "fault-probe")]
    if path == "/__fault/trap" {
        panic!("fault probe: a deliberate trap (test build)");
    }
    let result = if path.starts_with("/__demo/") {
        demo::handle(Request::from(req), &env).await.map(Into::into)
    } else if path.starts_with("/__edgehook/") {
        let req = Request::from(req);
        if !eventlog::serves(path) {
            store::admin(req, &env).await.map(Into::into)
        } else if let Err(r) = store::authorized(&req, &env) {
            reject(&r).map(Into::into)
        } else {
            eventlog::admin(req, &env).await.map(Into::into)
        }
    } else {
        handle_webhook(req, &url, env, ctx).await
    };
    match result {
        Ok(resp) => Ok(resp.into()),
        Err(e) => {
            // Only the runtime refusing to build a response gets here, never a request.
            console_error!("edgehook: {e}");
            let init = response_init(500, "application/json", None)?;
            Ok(web_sys::Response::new_with_opt_str_and_init(
                Some(r#"{"error":{"code":"internal","message":"internal error"}}"#),
                &init,
            )?
            .into())
        }
    }
}

async fn handle_webhook(
    req: web_sys::Request,
    url: &str,
    env: Env,
    raw_ctx: worker::worker_sys::Context,
) -> worker::Result<web_sys::Response> {
    let started = now_ms();
    let gw = gateway(&env);
    let gw = match gw.as_ref() {
        Ok(gw) => gw,
        Err(e) => return respond_rejection(&Rejection::ConfigInvalid(e.public())),
    };
    let path = path_of(url);
    let method = req.method().to_ascii_uppercase();
    let route = gw.route(path);
    let (route_path, provider) = route
        .map(|r| (r.spec.path.as_str(), r.provider.name()))
        .unwrap_or((path, ""));
    // Counted under the configured route only: a flood of random paths adds one key.
    let counted_route = route.map_or("", |r| r.spec.path.as_str());

    let read = read_request(&req, &method, path, route.map(|r| r.max_body()), started).await;
    let core_req = match read {
        Ok(r) => r,
        Err(rej) => {
            let resp = respond_rejection(&rej);
            eventlog::rejected(&env, &raw_ctx, counted_route, rej.code());
            log(
                route_path,
                provider,
                &method,
                rej.code(),
                rej.status(),
                started,
                None,
                None,
            );
            return resp;
        }
    };
    let decision = match gw.begin(&core_req) {
        Ok(pending) => {
            let outcome = webcrypto::verify(pending.check()).await;
            pending.finish(outcome)
        }
        Err(d) => d,
    };
    let head = method == "HEAD";
    match decision {
        Decision::Accept {
            ack,
            mut delivery,
            key,
        } => {
            if delivery.origin.starts_with('/') {
                let base = origin_of(url);
                delivery.origin = forward::resolve(&delivery.origin, Some(base));
            }
            let id = delivery.id.clone();
            let kv = bindings::kv(&env);
            let seen_key = store::seen_key(&delivery);
            let accepted_at_ms = delivery.accepted_at_ms;
            match store::seen(kv.as_ref(), &seen_key).await {
                Ok(true) => {
                    // A provider retry of an event we already queued: same ack, no second delivery.
                    if log_accepted(&env) {
                        log(
                            route_path,
                            provider,
                            &method,
                            "duplicate",
                            ack.status,
                            started,
                            Some(&id),
                            Some(&key),
                        );
                    }
                    return respond(&ack, head, None);
                }
                Ok(false) => {}
                Err(e) => {
                    console_error!("edgehook: dedup store unavailable, continuing without it: {e}")
                }
            }
            let inline_ok = route.is_some_and(|r| r.spec.inline_delivery);
            let dedup_ttl_s = route.map_or(crate::config::MIN_DEFAULT_DEDUP_TTL_S, |r| {
                r.spec.dedup_ttl()
            });
            if let Err(rej) = deliver::enqueue(&env, &raw_ctx, *delivery, inline_ok).await {
                eventlog::rejected(&env, &raw_ctx, counted_route, rej.code());
                log(
                    route_path,
                    provider,
                    &method,
                    rej.code(),
                    rej.status(),
                    started,
                    Some(&id),
                    Some(&key),
                );
                return respond_rejection(&rej);
            }
            // The event is queued: the ack need not wait for the dedup record too.
            store::remember(
                kv.as_ref(),
                &raw_ctx,
                &seen_key,
                accepted_at_ms,
                dedup_ttl_s,
            );
            if log_accepted(&env) {
                log(
                    route_path,
                    provider,
                    &method,
                    "accepted",
                    ack.status,
                    started,
                    Some(&id),
                    Some(&key),
                );
            }
            respond(&ack, head, None)
        }
        Decision::Handshake(reply) => {
            if log_accepted(&env) {
                log(
                    route_path,
                    provider,
                    &method,
                    "handshake",
                    reply.status,
                    started,
                    None,
                    None,
                );
            }
            respond(&reply, head, None)
        }
        Decision::Reject(rej) => {
            eventlog::rejected(&env, &raw_ctx, counted_route, rej.code());
            log(
                route_path,
                provider,
                &method,
                rej.code(),
                rej.status(),
                started,
                None,
                None,
            );
            respond_rejection(&rej)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn log(
    route: &str,
    provider: &str,
    method: &str,
    outcome: &str,
    status: u16,
    started: i64,
    id: Option<&str>,
    key: Option<&str>,
) {
    console_log!(
        "{}",
        log_line(&LogLine {
            edgehook: "request",
            route,
            provider,
            method,
            outcome,
            status,
            ms: now_ms() - started,
            event_id: id,
            key,
            detail: None,
        })
    );
}

/// Every header as (name, value); names come lower-cased, repeated headers joined by the
/// runtime. Measured against the alternatives (V8 profile, Stripe 2 KiB): `entries()`
/// costs ~38 µs/request, one JS loop building a string (a `glue.js` snippet) ~51, and
/// `JSON.stringify(Array.from(headers))` ~90: iterating workerd's `Headers` dominates, and
/// the generic iterator is its cheapest form.
fn header_list(headers: web_sys::Headers) -> Vec<(String, String)> {
    Headers(headers).entries().collect()
}

/// A body refused unread is still read to its end when small: workerd drops a keep-alive
/// connection whose request body was left unread, without a `Connection: close`, so the
/// sender's next request on it fails with a reset (measured: tests/load).
const DRAIN_LIMIT: usize = 64 * 1024;

async fn drain(req: &web_sys::Request, declared: Option<usize>) {
    if declared.is_some_and(|len| len > DRAIN_LIMIT) {
        return;
    }
    let Some(raw) = req.body() else { return };
    let mut stream = ByteStream::from(raw);
    let mut seen = 0;
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len();
        if seen > DRAIN_LIMIT {
            return;
        }
    }
}

/// Reads the request into plain data, enforcing the body limit before buffering when the
/// sender declares a length, and after reading otherwise.
async fn read_request(
    req: &web_sys::Request,
    method: &str,
    path: &str,
    max_body: Option<usize>,
    now_ms: i64,
) -> Result<crate::Request, Rejection> {
    let limit = max_body.unwrap_or(crate::config::DEFAULT_MAX_BODY);
    let headers = header_list(req.headers());
    let declared = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    fn unreadable<E>(_: E) -> Rejection {
        Rejection::MalformedBody("body could not be read".into())
    }
    // Only a POST to a route carries an event: other methods get their 405 or handshake
    // without a byte read (a 2 MiB PUT is a wrong method, not a large body), and a POST
    // with no body at all (no length, not chunked) is an empty one, not an unreadable one.
    let body =
        if method != "POST" || max_body.is_none() || (declared.is_none() && req.body().is_none()) {
            drain(req, declared).await;
            Vec::new()
        } else if declared.is_some_and(|len| len > limit) {
            return Err(Rejection::BodyTooLarge(limit));
        } else if declared.is_some() {
            // Declared within the limit: one copy out of the runtime.
            let promise = req.array_buffer().map_err(unreadable)?;
            let buffer = js_sys::futures::JsFuture::from(promise)
                .await
                .map_err(unreadable)?;
            js_sys::Uint8Array::new(&buffer).to_vec()
        } else {
            // Chunked, no length: read piecewise and stop as soon as the limit is passed, so
            // an endless body costs at most `limit` bytes of memory.
            let raw = req.body().ok_or_else(|| unreadable(()))?;
            let mut stream = ByteStream::from(raw);
            let mut body = Vec::new();
            while let Some(chunk) = stream.next().await {
                body.extend_from_slice(&chunk.map_err(unreadable)?);
                if body.len() > limit {
                    return Err(Rejection::BodyTooLarge(limit));
                }
            }
            body
        };
    if body.len() > limit {
        return Err(Rejection::BodyTooLarge(limit));
    }
    Ok(crate::Request {
        method: method.to_owned(),
        path: path.to_owned(),
        headers,
        body,
        now_ms,
    })
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
