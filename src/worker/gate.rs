//! The per-origin gate as a Durable Object: one instance per origin (`idFromName`), so the
//! concurrency and rate caps and the circuit breaker count every isolate's attempts, not
//! one isolate's (queue consumers run many isolates at once). The logic is the pure
//! [`crate::gate::Gate`]; this file only carries its questions and answers.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use worker::{
    console_error, durable_object, js_sys, DurableObject, Env, Method, Request, RequestInit,
    Response, State,
};

use crate::gate::{self, Gate, Limits, Outcome, Permit};

/// The Durable Object namespace binding of the gate.
pub const GATE: &str = "EDGEHOOK_ORIGIN_GATE";

#[derive(Serialize, Deserialize)]
struct Ask {
    limits: Limits,
    #[serde(default)]
    lease: Option<u64>,
    #[serde(default)]
    outcome: Option<Outcome>,
}

/// One origin's gate. State lives in memory: an evicted instance starts closed and empty,
/// which at worst lets one burst of `max_in_flight` through again.
#[durable_object]
pub struct OriginGate {
    gate: RefCell<Gate>,
}

impl DurableObject for OriginGate {
    fn new(_state: State, _env: Env) -> Self {
        Self {
            gate: RefCell::new(Gate::default()),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let ask: Ask = req.json().await?;
        let now = js_sys::Date::now() as i64;
        match (ask.lease, ask.outcome) {
            (Some(lease), Some(outcome)) => {
                self.gate
                    .borrow_mut()
                    .release(lease, outcome, now, &ask.limits);
                Response::ok("")
            }
            _ => {
                let permit = self.gate.borrow_mut().acquire(now, &ask.limits);
                Response::from_json(&permit)
            }
        }
    }
}

/// A granted attempt, to report back.
pub struct Lease {
    origin: String,
    lease: u64,
    limits: Limits,
}

/// What the gate says about an attempt now.
pub enum Admission {
    /// Attempt it (with a lease to report, or none when no gate is bound or it failed).
    Go(Option<Lease>),
    /// Hold the message this many seconds; no attempt is spent.
    Hold {
        /// Seconds (at least 1: the queue's delay granularity).
        wait_s: u32,
        /// `in_flight`, `rate`, `breaker_open` or `breaker_probing`.
        reason: String,
    },
}

async fn call(env: &Env, origin: &str, ask: &Ask) -> worker::Result<Response> {
    let stub = env.durable_object(GATE)?.id_from_name(origin)?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(ask)?.into()));
    stub.fetch_with_request(Request::new_with_init("https://gate/", &init)?)
        .await
}

/// Asks the gate of `origin_url`'s origin for an attempt. Without a gate binding, or when
/// the gate cannot be reached, the attempt goes ahead (logged): a cap must not lose events.
pub async fn admit(env: &Env, origin_url: &str, limits: Limits) -> Admission {
    if env.durable_object(GATE).is_err() {
        return Admission::Go(None);
    }
    let origin = gate::origin_key(origin_url);
    let ask = Ask {
        limits,
        lease: None,
        outcome: None,
    };
    let permit = match call(env, &origin, &ask).await {
        Ok(mut resp) => resp.json::<Permit>().await,
        Err(e) => Err(e),
    };
    match permit {
        Ok(Permit::Granted { lease }) => Admission::Go(Some(Lease {
            origin,
            lease,
            limits,
        })),
        Ok(Permit::Wait { wait_ms, reason }) => {
            // Spread the held messages over the next second or two, not all at once.
            let jitter = (js_sys::Math::random() * 1000.0) as u64;
            let wait_s = (wait_ms + jitter).div_ceil(1000).max(1);
            Admission::Hold {
                wait_s: u32::try_from(wait_s).unwrap_or(u32::MAX),
                reason,
            }
        }
        Err(e) => {
            console_error!("edgehook: origin gate unavailable, attempting without it: {e}");
            Admission::Go(None)
        }
    }
}

/// Reports how a granted attempt ended (best effort: an unreported lease expires).
pub async fn report(env: &Env, lease: Option<Lease>, outcome: Outcome) {
    let Some(l) = lease else { return };
    let ask = Ask {
        limits: l.limits,
        lease: Some(l.lease),
        outcome: Some(outcome),
    };
    if let Err(e) = call(env, &l.origin, &ask).await {
        console_error!("edgehook: could not report to the origin gate: {e}");
    }
}
