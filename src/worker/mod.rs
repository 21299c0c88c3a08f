//! Cloudflare Workers adapter: turns runtime requests into core requests and core
//! decisions into responses, queue sends and origin fetches. No webhook logic lives here.

mod demo;
mod store;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{select, Either};
use serde::Serialize;
use worker::{
    console_error, console_log, event, js_sys, AbortController, Context, Delay, Env, Fetch,
    Headers, MessageBatch, MessageExt, Method, QueueRetryOptionsBuilder, Request, RequestInit,
    Response,
};

use crate::config::ConfigError;
use crate::forward::{self, Attempt, Verdict};
use crate::gateway::{Decision, Delivery, Gateway};
use crate::providers::Reply;
use crate::verify::RustCrypto;
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
    static WARNED_NO_QUEUE: RefCell<bool> = const { RefCell::new(false) };
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
    worker::Date::now().as_millis() as i64
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

fn reject(r: &Rejection) -> worker::Result<Response> {
    let resp = to_response(&Reply::rejection(r), false)?;
    if let Rejection::MethodNotAllowed(_, allow) = r {
        resp.headers().set("allow", allow)?;
    }
    Ok(resp)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    if path.starts_with("/__demo/") {
        return demo::handle(req, &env).await;
    }
    if path.starts_with("/__edgehook/") {
        return store::admin(req, &env).await;
    }
    handle_webhook(req, env, ctx).await
}

async fn handle_webhook(mut req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let started = now_ms();
    let gw = gateway(&env);
    let gw = match gw.as_ref() {
        Ok(gw) => gw,
        Err(e) => return reject(&Rejection::ConfigInvalid(e.to_string())),
    };
    let path = req.path();
    let method = req.method().to_string().to_ascii_uppercase();
    let route = gw.route(&path);
    let (route_path, provider) = route
        .map(|r| (r.spec.path.as_str(), r.provider.name()))
        .unwrap_or((path.as_str(), ""));

    let core_req = match read_request(&mut req, &method, &path, route.map(|r| r.max_body())).await {
        Ok(r) => r,
        Err(rej) => {
            let resp = reject(&rej);
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
    let decision = gw.handle(&core_req, &RustCrypto);
    let head = method == "HEAD";
    match decision {
        Decision::Accept {
            ack,
            mut delivery,
            key,
        } => {
            if delivery.origin.starts_with('/') {
                let base = req
                    .url()
                    .map(|u| u.origin().ascii_serialization())
                    .unwrap_or_default();
                delivery.origin = forward::resolve(&delivery.origin, Some(&base));
            }
            let id = delivery.id.clone();
            match store::seen(&env, &delivery).await {
                Ok(true) => {
                    // A provider retry of an event we already queued: same ack, no second delivery.
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
                    return to_response(&ack, head);
                }
                Ok(false) => {}
                Err(e) => {
                    console_error!("edgehook: dedup store unavailable, continuing without it: {e}")
                }
            }
            if let Err(rej) = enqueue(&env, &ctx, *delivery.clone()).await {
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
                return reject(&rej);
            }
            if let Err(e) = store::remember(&env, &delivery).await {
                console_error!("edgehook: could not record event for dedup: {e}");
            }
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
            to_response(&ack, head)
        }
        Decision::Handshake(reply) => {
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
            to_response(&reply, head)
        }
        Decision::Reject(rej) => {
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
            reject(&rej)
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

/// Reads the request into plain data, enforcing the body limit before buffering when the
/// sender declares a length, and after reading otherwise.
async fn read_request(
    req: &mut Request,
    method: &str,
    path: &str,
    max_body: Option<usize>,
) -> Result<crate::Request, Rejection> {
    let limit = max_body.unwrap_or(crate::config::DEFAULT_MAX_BODY);
    let mut headers = Vec::new();
    for (k, v) in req.headers().entries() {
        headers.push((k, v));
    }
    if let Some(len) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
    {
        if len > limit {
            return Err(Rejection::BodyTooLarge(limit));
        }
    }
    let body = if method == "GET" || method == "HEAD" || max_body.is_none() {
        Vec::new()
    } else {
        req.bytes()
            .await
            .map_err(|_| Rejection::MalformedBody("body could not be read".into()))?
    };
    if body.len() > limit {
        return Err(Rejection::BodyTooLarge(limit));
    }
    Ok(crate::Request {
        method: method.to_owned(),
        path: path.to_owned(),
        headers,
        body,
        now_ms: now_ms(),
    })
}

/// Hands the delivery to the durable queue; without a queue binding, forwards inline as
/// best effort (logged once per isolate).
async fn enqueue(env: &Env, ctx: &Context, delivery: Delivery) -> Result<(), Rejection> {
    match env.queue(QUEUE) {
        Ok(queue) => queue.send(&delivery).await.map_err(|e| {
            console_error!("edgehook: queue send failed for event {}: {e}", delivery.id);
            Rejection::QueueUnavailable
        }),
        Err(_) => {
            WARNED_NO_QUEUE.with(|w| {
                if !*w.borrow() {
                    console_log!(
                        "edgehook: no {QUEUE} binding: forwarding inline, best effort (no retries)"
                    );
                    *w.borrow_mut() = true;
                }
            });
            let env = env.clone();
            ctx.wait_until(async move {
                let (verdict, _) = attempt(&env, &delivery).await;
                if verdict != Verdict::Delivered {
                    console_error!(
                        "edgehook: inline forward of {} failed: {verdict:?}",
                        delivery.id
                    );
                }
            });
            Ok(())
        }
    }
}

/// One delivery attempt to the origin, bounded by the route's timeout.
async fn attempt(env: &Env, delivery: &Delivery) -> (Verdict, String) {
    let gw = gateway(env);
    let key = gw
        .as_ref()
        .as_ref()
        .ok()
        .and_then(|g| g.route(&delivery.route))
        .and_then(|r| r.origin_key.as_ref())
        .map(|k| k.0.clone());
    let now_s = now_ms() / 1000;
    let out = forward::build(delivery, None, key.as_deref(), now_s, &RustCrypto);
    let mut current = delivery.clone();
    current.attempt += 1;
    let result = send(&out, delivery.timeout_ms).await;
    let jitter = js_sys::Math::random();
    let verdict = forward::judge(&current, result, jitter);
    (verdict, describe(result))
}

fn describe(a: Attempt) -> String {
    match a {
        Attempt::Status { status, .. } => format!("status {status}"),
        Attempt::Timeout => "timeout".into(),
        Attempt::NetworkError => "network error".into(),
    }
}

async fn send(out: &forward::OriginRequest, timeout_ms: u64) -> Attempt {
    let headers = Headers::new();
    for (k, v) in &out.headers {
        if headers.set(k, v).is_err() {
            return Attempt::NetworkError;
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(js_sys::Uint8Array::from(out.body.as_slice()).into()));
    let request = match Request::new_with_init(&out.url, &init) {
        Ok(r) => r,
        Err(_) => return Attempt::NetworkError,
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let send = Box::pin(fetch.send_with_signal(&signal));
    let timer = Box::pin(Delay::from(Duration::from_millis(timeout_ms)));
    let outcome = match select(send, timer).await {
        Either::Left((Ok(resp), _)) => {
            let retry_after_s = resp
                .headers()
                .get("retry-after")
                .ok()
                .flatten()
                .and_then(|v| forward::parse_retry_after(&v));
            Attempt::Status {
                status: resp.status_code(),
                retry_after_s,
            }
        }
        Either::Left((Err(_), _)) => Attempt::NetworkError,
        Either::Right(_) => {
            controller.abort();
            Attempt::Timeout
        }
    };
    outcome
}

#[event(queue)]
async fn queue(batch: MessageBatch<Delivery>, env: Env, _ctx: Context) -> worker::Result<()> {
    let dead_letter_batch = batch.queue().ends_with("-dead") || batch.queue().ends_with("-dlq");
    let messages = match batch.messages() {
        Ok(m) => m,
        Err(e) => {
            // Undecodable bodies: retry the batch rather than lose anything.
            console_error!("edgehook: queue batch could not be decoded: {e}");
            batch.retry_all();
            return Ok(());
        }
    };
    for msg in messages {
        let delivery = msg.body().clone();
        if dead_letter_batch {
            match store::put_dead(&env, &delivery, "dead-lettered by the queue").await {
                Ok(()) => msg.ack(),
                Err(_) => msg.retry(),
            }
            continue;
        }
        let (verdict, what) = attempt(&env, &delivery).await;
        let mut next = delivery.clone();
        next.attempt += 1;
        match verdict {
            Verdict::Delivered => {
                console_log!("{}", delivery_log(&next, "delivered", &what));
                msg.ack();
            }
            Verdict::Retry(delay) => {
                // Re-send with the attempt count so backoff and the give-up point survive
                // isolate restarts; if that fails, let the queue redeliver the original.
                console_log!("{}", delivery_log(&next, "retry", &what));
                let queued = match env.queue(QUEUE) {
                    Ok(q) => q
                        .send(
                            worker::MessageBuilder::new(next.clone())
                                .delay_seconds(delay)
                                .build(),
                        )
                        .await
                        .is_ok(),
                    Err(_) => false,
                };
                if queued {
                    msg.ack();
                } else {
                    msg.retry_with_options(
                        &QueueRetryOptionsBuilder::new()
                            .with_delay_seconds(delay)
                            .build(),
                    );
                }
            }
            Verdict::Dead(reason) => {
                console_log!("{}", delivery_log(&next, "dead", &reason));
                match store::put_dead(&env, &next, &reason).await {
                    Ok(()) => msg.ack(),
                    Err(e) => {
                        console_error!("edgehook: dead-letter store failed for {}: {e}", next.id);
                        msg.retry();
                    }
                }
            }
        }
    }
    Ok(())
}

fn delivery_log(d: &Delivery, outcome: &str, detail: &str) -> String {
    serde_json::json!({
        "edgehook": "delivery",
        "route": d.route,
        "provider": d.provider,
        "event_id": d.id,
        "attempt": d.attempt,
        "outcome": outcome,
        "detail": detail,
    })
    .to_string()
}

/// Used by `store` to replay dead letters and by `demo`.
pub(crate) fn config(env: &Env) -> Rc<Result<Gateway, ConfigError>> {
    gateway(env)
}
