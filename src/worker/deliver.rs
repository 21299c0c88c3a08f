//! Enqueue (before the ack) and the queue consumer that forwards to the origin, retries
//! with backoff and dead-letters. The policy (what is retryable, how long to wait) is in
//! the pure `crate::forward`; this file only moves bytes.

use std::cell::RefCell;
use std::time::Duration;

use futures_util::future::{join_all, select, Either};
use worker::{
    console_error, console_log, js_sys, AbortController, Context, Delay, Env, Fetch, Headers,
    MessageBatch, MessageExt, Method, QueueRetryOptionsBuilder, RawMessage, Request, RequestInit,
};

use wasm_bindgen::{JsCast, JsValue};
use worker::worker_sys::Context as JsContext;

use super::{bindings, gateway, now_ms, store, QUEUE};
use crate::config::ForwardMode;
use crate::forward::{self, Attempt, Verdict};
use crate::gateway::Delivery;
use crate::verify::RustCrypto;
use crate::Rejection;

/// Cloudflare Queues take messages up to 128 KB; bigger deliveries keep their bodies in
/// KV and travel as a reference.
const QUEUE_MESSAGE_LIMIT: usize = 120 * 1024;

thread_local! {
    static WARNED_NO_QUEUE: RefCell<bool> = const { RefCell::new(false) };
}

/// Hands the delivery to the durable queue and returns only once the queue has it. Without
/// a queue binding, forwards inline as best effort (said once per isolate in the log).
pub async fn enqueue(env: &Env, ctx: &JsContext, delivery: Delivery) -> Result<(), Rejection> {
    let Some(queue) = bindings::queue(env) else {
        WARNED_NO_QUEUE.with(|w| {
            if !w.replace(true) {
                console_log!(
                    "edgehook: no {QUEUE} binding: forwarding inline with wait_until, best effort (no retries)"
                );
            }
        });
        let env = env.clone();
        let ctx = Context::new(JsValue::clone(ctx.as_ref()).unchecked_into());
        ctx.wait_until(async move {
            let (verdict, what) = attempt(&env, &delivery).await;
            if verdict != Verdict::Delivered {
                console_error!("{}", log(&delivery, "inline_failed", &what));
            }
        });
        return Ok(());
    };
    let id = delivery.id.clone();
    let message = message_text(env, delivery).await?;
    queue.send_text(&message, None).await.map_err(|e| {
        console_error!("edgehook: queue send failed for event {id}: {e}");
        Rejection::QueueUnavailable
    })
}

/// The queue message for `d`: its JSON, with the body moved to KV first when the message
/// would pass the queue's size limit.
pub async fn message_text(env: &Env, mut d: Delivery) -> Result<String, Rejection> {
    if d.forward != ForwardMode::Raw {
        // Only raw forwarding sends the payload as received; the other modes send the
        // event, which already carries it (`data.raw`): the message stays half the size.
        d.payload.clear();
    }
    let text = serde_json::to_string(&d).map_err(|_| Rejection::QueueUnavailable)?;
    if text.len() <= QUEUE_MESSAGE_LIMIT {
        return Ok(text);
    }
    let size = text.len();
    if store::put_body(env, &d).await.is_err() {
        console_error!(
            "edgehook: event {} is {size} bytes, over the queue's message limit, and the {} store is unavailable",
            d.id,
            super::KV
        );
        return Err(Rejection::QueueUnavailable);
    }
    let mut stub = d;
    stub.event.clear();
    stub.payload.clear();
    stub.spilled = true;
    serde_json::to_string(&stub).map_err(|_| Rejection::QueueUnavailable)
}

/// A queue message's delivery: text (what [`enqueue`] sends), or a structured value sent by
/// an older build, read through `JSON.stringify`.
fn decode(body: &wasm_bindgen::JsValue) -> Option<Delivery> {
    let text = match body.as_string() {
        Some(t) => t,
        None => js_sys::JSON::stringify(body).ok()?.as_string()?,
    };
    serde_json::from_str(&text).ok()
}

/// One delivery attempt to the origin, bounded by the route's timeout. Returns the verdict
/// for `delivery.attempt + 1` attempts and a short description of what happened.
pub async fn attempt(env: &Env, delivery: &Delivery) -> (Verdict, String) {
    let gw = gateway(env);
    let key = gw
        .as_ref()
        .as_ref()
        .ok()
        .and_then(|g| g.route(&delivery.route))
        .and_then(|r| r.origin_key.as_ref())
        .map(|k| k.0.clone());
    let out = forward::build(delivery, None, key.as_deref(), now_ms() / 1000, &RustCrypto);
    let mut current = delivery.clone();
    current.attempt += 1;
    let result = send(&out, delivery.timeout_ms).await;
    let verdict = forward::judge(&current, result, js_sys::Math::random());
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
    let Ok(request) = Request::new_with_init(&out.url, &init) else {
        return Attempt::NetworkError;
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

/// The consumer: every message is handled on its own (ack, re-send with backoff, or
/// dead-letter), concurrently within the batch so one slow origin call does not hold the
/// others back.
pub async fn consume<T>(batch: MessageBatch<T>, env: Env) -> worker::Result<()> {
    let dead_letter_queue = batch.queue().ends_with("-dead");
    let env = &env;
    join_all(batch.raw_iter().map(|msg| async move {
        let Some(delivery) = decode(&msg.body()) else {
            // Not ours to read: retried by the queue, then kept by its DLQ, never dropped.
            console_error!(
                "edgehook: queue message {} could not be decoded; leaving it to the queue",
                msg.id()
            );
            msg.retry();
            return;
        };
        if dead_letter_queue {
            bury(
                env,
                &msg,
                &delivery,
                "the queue gave up on it (consumer failures)",
            )
            .await;
        } else {
            handle(env, &msg, delivery).await;
        }
    }))
    .await;
    Ok(())
}

async fn handle(env: &Env, msg: &RawMessage, received: Delivery) {
    let mut delivery = received.clone();
    if delivery.spilled {
        match store::get_body(env, &delivery).await {
            Ok(Some(full)) => delivery = full,
            Ok(None) | Err(_) => {
                console_error!(
                    "{}",
                    log(
                        &delivery,
                        "body_unavailable",
                        "spilled body not readable yet"
                    )
                );
                msg.retry();
                return;
            }
        }
    }
    let (verdict, what) = attempt(env, &delivery).await;
    let mut next = received;
    next.attempt += 1;
    match verdict {
        Verdict::Delivered => {
            console_log!("{}", log(&next, "delivered", &what));
            msg.ack();
            if next.spilled {
                store::delete_body(env, &next).await;
            }
        }
        Verdict::Retry(delay) => {
            console_log!(
                "{}",
                log(
                    &next,
                    "retry",
                    &format!("{what}; next attempt in {delay} s")
                )
            );
            // Re-send with the attempt count, so backoff and the give-up point survive
            // isolate restarts; if that fails, let the queue redeliver the original.
            let resent = match (bindings::queue(env), serde_json::to_string(&next)) {
                (Some(q), Ok(text)) => q.send_text(&text, Some(delay)).await.is_ok(),
                _ => false,
            };
            if resent {
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
            console_log!("{}", log(&next, "dead", &reason));
            bury(env, msg, &next, &reason).await;
        }
    }
}

/// Stores a dead letter, then acks; if the store fails the message is retried so the
/// queue keeps it (and finally moves it to its DLQ): nothing vanishes.
async fn bury(env: &Env, msg: &RawMessage, d: &Delivery, reason: &str) {
    match store::put_dead(env, d, reason).await {
        Ok(()) => msg.ack(),
        Err(e) => {
            console_error!("{}", log(d, "dead_store_failed", &e.to_string()));
            msg.retry();
        }
    }
}

fn log(d: &Delivery, outcome: &str, detail: &str) -> String {
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
