//! Cloudflare Workers adapter: turns runtime requests into core requests and core
//! decisions into responses, queue sends and origin fetches. No webhook logic lives here.

mod deliver;
mod demo;
mod store;

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;
use serde::Serialize;
use worker::{
    console_error, console_log, event, Context, Env, Headers, MessageBatch, Request, Response,
};

use crate::config::ConfigError;
use crate::forward;
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
            if let Err(rej) = deliver::enqueue(&env, &ctx, *delivery.clone()).await {
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
    let declared = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(Rejection::BodyTooLarge(limit));
    }
    let unreadable = |_| Rejection::MalformedBody("body could not be read".into());
    let body = if method == "GET" || method == "HEAD" || max_body.is_none() {
        Vec::new()
    } else if declared.is_some() {
        // Declared within the limit: one copy out of the runtime.
        req.bytes().await.map_err(unreadable)?
    } else {
        // Chunked, no length: read piecewise and stop as soon as the limit is passed, so
        // an endless body costs at most `limit` bytes of memory.
        let mut stream = req.stream().map_err(unreadable)?;
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
        now_ms: now_ms(),
    })
}

#[event(queue)]
async fn queue(batch: MessageBatch<Delivery>, env: Env, _ctx: Context) -> worker::Result<()> {
    deliver::consume(batch, env).await
}

/// Used by `store` to replay dead letters and by `demo`.
pub(crate) fn config(env: &Env) -> Rc<Result<Gateway, ConfigError>> {
    gateway(env)
}
