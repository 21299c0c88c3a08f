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

use super::gate::{self, Admission};
use super::{bindings, eventlog, gateway, now_ms, store, QUEUE};
use crate::config::ForwardMode;
use crate::eventlog::State;
use crate::forward::{self, Attempt, Verdict};
use crate::gate::Outcome;
use crate::gateway::Delivery;
use crate::verify::RustCrypto;
use crate::Rejection;

thread_local! {
    static WARNED_NO_QUEUE: RefCell<bool> = const { RefCell::new(false) };
}

/// No queue is bound. The event is refused (the caller answers 503 and the provider
/// retries), unless the route opted into `inline_delivery`: then it is forwarded now with
/// `waitUntil`, best effort. Each case is said once per isolate in the log. Returns
/// whether the event was taken.
pub fn without_queue(env: &Env, ctx: &JsContext, message: &[u8], inline_ok: bool) -> bool {
    if !inline_ok {
        WARNED_NO_QUEUE.with(|w| {
            if !w.replace(true) {
                console_error!(
                    "{}",
                    serde_json::json!({
                        "edgehook": "config",
                        "level": "alert",
                        "outcome": "queue_not_bound",
                        "detail": format!("no {QUEUE} queue producer binding: events are refused with 503 until it is bound (or a route sets inline_delivery: true)"),
                    })
                );
            }
        });
        return false;
    }
    // Read as text, as every other delivery is: one deserializer instantiation in the wasm.
    let delivery = std::str::from_utf8(message)
        .ok()
        .and_then(|t| serde_json::from_str::<Delivery>(t).ok());
    let Some(delivery) = delivery else {
        return false;
    };
    WARNED_NO_QUEUE.with(|w| {
        if !w.replace(true) {
            console_log!(
                "edgehook: no {QUEUE} binding: forwarding inline with wait_until, best effort (no retries), as the route's inline_delivery allows"
            );
        }
    });
    let env = env.clone();
    let ctx = Context::new(JsValue::clone(ctx.as_ref()).unchecked_into());
    ctx.wait_until(async move {
        let delivery = match delivery.spilled {
            // A spilled message names its body in KV: load it back before sending.
            true => match store::get_body(&env, &delivery).await {
                Ok(Some(full)) => full,
                _ => {
                    console_error!(
                        "{}",
                        log(&delivery, "inline_failed", "spilled body unreadable")
                    );
                    return;
                }
            },
            false => delivery,
        };
        let (verdict, what, _) = attempt(&env, &delivery).await;
        if verdict != Verdict::Delivered {
            console_error!("{}", log(&delivery, "inline_failed", &what));
        }
    });
    true
}

/// The queue message for `d` as text, with the body moved to KV first when the message
/// would pass the queue's size limit (`crate::entry::queue_message` decides).
pub async fn message_text(env: &Env, d: Delivery) -> Result<String, Rejection> {
    let (id, size) = (d.id.clone(), d.event.len() + d.payload.len());
    let message = crate::entry::queue_message(d)?;
    if let Some((key, value)) = &message.spill {
        if store::put_spilled(env, key, value).await.is_err() {
            console_error!(
                "edgehook: event {id} is about {size} bytes, over the queue's message limit, and the {} store is unavailable",
                super::KV
            );
            return Err(Rejection::QueueUnavailable);
        }
    }
    String::from_utf8(message.body).map_err(|_| Rejection::QueueUnavailable)
}

/// A queue message's delivery: text (what [`enqueue`] sends), or a structured value sent by
/// an older build, read through `JSON.stringify`.
fn decode(body: &wasm_bindgen::JsValue) -> Option<Delivery> {
    // Bytes: what the JS entry sends (`contentType: "bytes"`, no string round trip).
    if body.is_instance_of::<js_sys::ArrayBuffer>() || body.is_instance_of::<js_sys::Uint8Array>() {
        let bytes = js_sys::Uint8Array::new(body).to_vec();
        return serde_json::from_str(std::str::from_utf8(&bytes).ok()?).ok();
    }
    let text = match body.as_string() {
        Some(t) => t,
        None => js_sys::JSON::stringify(body).ok()?.as_string()?,
    };
    serde_json::from_str(&text).ok()
}

/// One delivery attempt to the origin, bounded by the route's timeout. Returns the verdict
/// for `delivery.attempt + 1` attempts and a short description of what happened. A
/// delivery whose route signs forwards is never sent unsigned: when the route or its
/// `origin_secret` cannot be resolved now (config changed, binding removed), the attempt
/// fails and is retried on the schedule (and, once spent, dead-lettered, not dropped).
pub async fn attempt(env: &Env, delivery: &Delivery) -> (Verdict, String, Outcome) {
    let gw = gateway(env);
    let route = gw
        .as_ref()
        .as_ref()
        .ok()
        .and_then(|g| g.route(&delivery.route));
    let key = route
        .and_then(|r| r.origin_key.as_ref())
        .map(|k| k.0.clone());
    let must_sign = delivery
        .signed
        .unwrap_or_else(|| route.is_none_or(|r| r.origin_key.is_some()));
    let mut current = delivery.clone();
    current.attempt += 1;
    if must_sign && key.is_none() {
        let what = if route.is_some() {
            "the route's origin_secret cannot be resolved now; not sent unsigned"
        } else {
            "the route cannot be resolved now (config changed or invalid); not sent unsigned"
        };
        let verdict =
            forward::retry_or_give_up(&current, what.to_owned(), None, js_sys::Math::random());
        return (verdict, what.to_owned(), Outcome::NotSent);
    }
    let now = now_ms();
    let resigned;
    let delivery = match route {
        Some(r) if delivery.forward == ForwardMode::Passthrough => {
            let original = forward::passthrough_request(delivery, now);
            let mut d = delivery.clone();
            if let Some(fresh) = r
                .provider
                .resign(delivery.key_index, &original, &RustCrypto)
            {
                forward::replace_headers(&mut d.request_headers, fresh);
            }
            resigned = d;
            &resigned
        }
        _ => delivery,
    };
    let out = forward::build(delivery, None, key.as_deref(), now / 1000, &RustCrypto);
    let result = send(&out, delivery.timeout_ms).await;
    let verdict = forward::judge(&current, result, js_sys::Math::random());
    let outcome = match result {
        Attempt::Status { status, .. } => Outcome::of_status(status),
        Attempt::Timeout | Attempt::NetworkError => Outcome::Down,
    };
    (verdict, describe(result), outcome)
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
/// others back. The dead-letter queue's consumer (`...-dead`) only stores: what reaches it
/// is a message the main consumer could not process.
pub async fn consume<T>(batch: MessageBatch<T>, env: Env, ctx: Context) -> worker::Result<()> {
    let dead_letter_queue = batch.queue().ends_with("-dead");
    let env = &env;
    let ctx = &ctx;
    join_all(batch.raw_iter().map(|msg| async move {
        let Some(delivery) = decode(&msg.body()) else {
            // Not ours to read: retried by the queue, then kept by its DLQ, never dropped.
            console_error!(
                "{}",
                serde_json::json!({
                    "edgehook": "delivery",
                    "level": "alert",
                    "outcome": "undecodable",
                    "detail": format!("queue message {} could not be decoded; left to the queue and its DLQ", msg.id()),
                })
            );
            msg.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(60).build());
            return;
        };
        if dead_letter_queue {
            let reason = delivery
                .dead_reason
                .clone()
                .unwrap_or_else(|| "the queue gave up on it (consumer failures)".into());
            bury(env, &msg, &delivery, &reason).await;
            eventlog::buried(env, ctx, &delivery, &reason);
        } else {
            handle(env, ctx, &msg, delivery).await;
        }
    }))
    .await;
    Ok(())
}

/// Waits between tries of a spilled body that is not readable yet (KV is eventually
/// consistent: a key written in one location may take up to a minute elsewhere): 1 s,
/// doubling to 5 min, for about 2 h before the stub is dead-lettered as it is.
const BODY_WAIT_MAX_S: u32 = 300;
const BODY_WAITS: u32 = 30;

async fn handle(env: &Env, ctx: &Context, msg: &RawMessage, received: Delivery) {
    if let Some(reason) = received.dead_reason.clone() {
        // Given up earlier; only the dead-letter store's write is still owed.
        bury(env, msg, &received, &reason).await;
        return;
    }
    let mut delivery = received.clone();
    if delivery.spilled {
        match store::get_body(env, &delivery).await {
            Ok(Some(full)) => delivery = full,
            Ok(None) | Err(_) => {
                let mut next = received;
                next.body_waits += 1;
                if next.body_waits > BODY_WAITS {
                    let reason = "spilled body never became readable";
                    console_error!("{}", log(&next, "body_unavailable", reason));
                    next.dead_reason = Some(reason.into());
                    bury(env, msg, &next, reason).await;
                    return;
                }
                let delay = (1u32 << (next.body_waits - 1).min(20)).min(BODY_WAIT_MAX_S);
                console_log!(
                    "{}",
                    log(
                        &next,
                        "body_unavailable",
                        &format!("spilled body not readable yet; tried again in {delay} s, no attempt spent")
                    )
                );
                resend(env, msg, &next, delay).await;
                return;
            }
        }
    }
    // The origin's gate: a cap or an open breaker holds the message without spending an
    // attempt, so the time a breaker is open never counts toward the dead-letter store.
    let limits = gateway(env)
        .as_ref()
        .as_ref()
        .ok()
        .and_then(|g| g.route(&delivery.route))
        .map(|r| r.spec.gate_limits());
    let lease = match limits {
        None => None,
        Some(limits) => {
            match gate::admit(env, &delivery.origin, limits).await {
                Admission::Go(lease) => lease,
                Admission::Hold { wait_s, reason } => {
                    console_log!(
                    "{}",
                    log(
                        &received,
                        "held",
                        &format!("origin gate: {reason}; tried again in {wait_s} s, no attempt spent")
                    )
                );
                    resend(env, msg, &received, wait_s).await;
                    eventlog::held(env, ctx, &delivery);
                    return;
                }
            }
        }
    };
    let started_ms = now_ms();
    let (verdict, what, outcome) = attempt(env, &delivery).await;
    gate::report(env, lease, outcome).await;
    let mut next = received;
    next.attempt += 1;
    let (state, dead_reason) = match &verdict {
        Verdict::Delivered => (State::Delivered, None),
        Verdict::Retry(_) => (State::Retrying, None),
        Verdict::Dead(reason) => (State::Dead, Some(reason.as_str())),
    };
    eventlog::attempted(
        env,
        ctx,
        eventlog::Attempted {
            full: &delivery,
            state,
            detail: &what,
            started_ms,
            dead_reason,
        },
    );
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
            resend(env, msg, &next, delay).await;
        }
        Verdict::Dead(reason) => {
            console_log!("{}", log(&next, "dead", &reason));
            next.dead_reason = Some(reason.clone());
            bury(env, msg, &next, &reason).await;
        }
    }
}

/// Sends `next` as a fresh message delayed by `delay_s`, then acks the one being handled:
/// the state (attempts, store failures) survives isolate restarts, and a schedule longer
/// than the queue's retention travels as fresh messages. If the send fails, the queue
/// redelivers the message being handled after the same delay (and, past its
/// `max_retries`, moves it to its DLQ, whose consumer stores it).
async fn resend(env: &Env, msg: &RawMessage, next: &Delivery, delay_s: u32) {
    let delay_s = delay_s.min(crate::config::MAX_RETRY_DELAY_S);
    let resent = match (bindings::queue(env), serde_json::to_string(next)) {
        (Some(q), Ok(text)) => q.send_text(&text, Some(delay_s)).await.is_ok(),
        _ => false,
    };
    if resent {
        msg.ack();
    } else {
        msg.retry_with_options(
            &QueueRetryOptionsBuilder::new()
                .with_delay_seconds(delay_s)
                .build(),
        );
    }
}

/// Stores a dead letter, then acks. If the store refuses (KV down, throttled, unbound),
/// the message is kept: re-sent with a growing delay (doubling from the route's first
/// retry delay to an hour) for as long as it takes, each failure an alert-level log line
/// with the event id. Nothing given up on is ever dropped.
async fn bury(env: &Env, msg: &RawMessage, d: &Delivery, reason: &str) {
    match store::put_dead(env, d, reason).await {
        Ok(key) => {
            console_error!("{}", alert(d, "dead_lettered", reason, Some(&key)));
            msg.ack();
            if d.spilled {
                store::delete_body(env, d).await;
            }
        }
        Err(e) => {
            let mut next = d.clone();
            next.dead_reason = Some(reason.to_owned());
            next.store_attempts = next.store_attempts.saturating_add(1);
            let delay = forward::store_backoff(&next, next.store_attempts);
            console_error!(
                "{}",
                alert(
                    &next,
                    "dead_store_failed",
                    &format!("{e}; kept in the queue, stored again in {delay} s"),
                    None
                )
            );
            resend(env, msg, &next, delay).await;
        }
    }
}

/// An alert-level delivery line: an event given up on, or a store refusing it.
fn alert(d: &Delivery, outcome: &str, detail: &str, key: Option<&str>) -> String {
    serde_json::json!({
        "edgehook": "delivery",
        "level": "alert",
        "route": d.route,
        "provider": d.provider,
        "event_id": d.id,
        "attempt": d.attempt,
        "store_attempts": d.store_attempts,
        "outcome": outcome,
        "detail": detail,
        "key": key,
    })
    .to_string()
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
