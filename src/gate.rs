//! The per-origin gate: a concurrency cap, a rate cap and a circuit breaker for one origin
//! (`scheme://host[:port]`), so a burst (a provider's retry storm after an outage) reaches a
//! small backend at a pace it survives, and a backend that is down is left alone instead of
//! having every queued event's attempts spent on it.
//!
//! Pure: the worker keeps one [`Gate`] per origin in a Durable Object (one instance per
//! origin, so the count is global, not per isolate) and asks it before every attempt.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Default cap on attempts in flight to one origin.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 10;
/// Default consecutive failures that open the breaker.
pub const DEFAULT_BREAKER_FAILURES: u32 = 10;
/// Default breaker cool-down (seconds) before a probe.
pub const DEFAULT_BREAKER_COOLDOWN_S: u32 = 30;

/// The window `max_per_second` counts starts in: a second plus a margin, so the spread of
/// the way to the origin (queue, fetch) cannot bring more than the cap within one second of
/// its clock.
pub const RATE_WINDOW_MS: i64 = 1100;

/// The limits a route sets for its origin (each request is judged by its own route's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Attempts in flight at once.
    pub max_in_flight: u32,
    /// Attempts started per second (0: no rate cap).
    pub max_per_second: u32,
    /// Consecutive failures that open the breaker (0: no breaker).
    pub breaker_failures: u32,
    /// How long the breaker stays open before one probe.
    pub breaker_cooldown_s: u32,
    /// How long a permit lasts if its holder never reports back (a crashed consumer).
    pub lease_ms: u64,
}

/// The gate's answer to a request for an attempt. Externally tagged (`{"granted":{...}}`):
/// an internally tagged enum links serde's buffering `Content` deserializer, ~10 KB of wasm
/// for a message that only this build's worker and Durable Object exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permit {
    /// Go ahead; report the outcome with this lease.
    Granted {
        /// The lease to release.
        lease: u64,
    },
    /// Not now: come back after `wait_ms`; no attempt is spent.
    Wait {
        /// How long to hold the message.
        wait_ms: u64,
        /// Why: `in_flight`, `rate` or `breaker_open`.
        reason: String,
    },
}

/// How an attempt ended, as the breaker counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The origin answered (2xx, or a 4xx about the request): it is up.
    Up,
    /// 5xx, 429, timeout, network error: it is struggling or down.
    Down,
    /// Nothing was sent after all: the permit is only returned.
    NotSent,
}

impl Outcome {
    /// How the breaker counts an origin's answer: a 4xx other than 408/429 is about the
    /// request, so the origin is up.
    pub fn of_status(status: u16) -> Self {
        if status >= 500 || status == 408 || status == 429 {
            Self::Down
        } else {
            Self::Up
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Breaker {
    #[default]
    Closed,
    /// Open until this time (ms).
    Open(i64),
    /// The cool-down passed; one probe (this lease) is out.
    Probing(u64),
}

/// One origin's state.
#[derive(Debug, Default)]
pub struct Gate {
    /// Leases in flight: (lease, expires at ms).
    leases: Vec<(u64, i64)>,
    /// Start times (ms) of the attempts of the last second.
    started: VecDeque<i64>,
    next_lease: u64,
    failures: u32,
    breaker: Breaker,
}

impl Gate {
    /// Asks for an attempt at `now_ms`.
    pub fn acquire(&mut self, now_ms: i64, limits: &Limits) -> Permit {
        self.leases.retain(|&(_, until)| until > now_ms);
        while self
            .started
            .front()
            .is_some_and(|&t| t <= now_ms - RATE_WINDOW_MS)
        {
            self.started.pop_front();
        }
        let wait = |wait_ms: i64, reason: &str| Permit::Wait {
            wait_ms: wait_ms.max(1) as u64,
            reason: reason.to_owned(),
        };
        let mut probe = false;
        match self.breaker {
            Breaker::Open(until) if now_ms < until => return wait(until - now_ms, "breaker_open"),
            Breaker::Open(_) => probe = true,
            Breaker::Probing(lease) if self.leases.iter().any(|&(l, _)| l == lease) => {
                return wait(
                    i64::from(limits.breaker_cooldown_s.max(1)) * 1000,
                    "breaker_probing",
                )
            }
            // A probe whose holder never reported: probe again.
            Breaker::Probing(_) => probe = true,
            Breaker::Closed => {}
        }
        if self.leases.len() >= limits.max_in_flight.max(1) as usize {
            let soonest = self.leases.iter().map(|&(_, u)| u).min().unwrap_or(now_ms);
            return wait((soonest - now_ms).min(1000), "in_flight");
        }
        if limits.max_per_second > 0 && self.started.len() >= limits.max_per_second as usize {
            let oldest = self.started.front().copied().unwrap_or(now_ms);
            return wait(oldest + RATE_WINDOW_MS - now_ms, "rate");
        }
        self.next_lease += 1;
        let lease = self.next_lease;
        let lease_ms = i64::try_from(limits.lease_ms).unwrap_or(i64::MAX / 2);
        self.leases.push((lease, now_ms.saturating_add(lease_ms)));
        self.started.push_back(now_ms);
        if probe {
            self.breaker = Breaker::Probing(lease);
        }
        Permit::Granted { lease }
    }

    /// Reports how the attempt under `lease` ended.
    pub fn release(&mut self, lease: u64, outcome: Outcome, now_ms: i64, limits: &Limits) {
        self.leases.retain(|&(l, _)| l != lease);
        let probing = self.breaker == Breaker::Probing(lease);
        match outcome {
            Outcome::NotSent => {
                if probing {
                    // The probe never went out: the next request probes instead.
                    self.breaker = Breaker::Open(now_ms);
                }
            }
            Outcome::Up => {
                self.failures = 0;
                self.breaker = Breaker::Closed;
            }
            Outcome::Down => {
                self.failures = self.failures.saturating_add(1);
                let tripped =
                    limits.breaker_failures > 0 && self.failures >= limits.breaker_failures;
                if probing || (tripped && self.breaker == Breaker::Closed) {
                    let cooldown = i64::from(limits.breaker_cooldown_s) * 1000;
                    self.breaker = Breaker::Open(now_ms.saturating_add(cooldown));
                }
            }
        }
    }

    /// Whether the breaker is open (or probing) now: for the log.
    pub fn breaker_open(&self) -> bool {
        self.breaker != Breaker::Closed
    }
}

/// The gate's key for an origin URL: `scheme://host[:port]`, lower-cased.
pub fn origin_key(url: &str) -> String {
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url
        .get(after..)
        .and_then(|rest| rest.find(['/', '?', '#']))
        .map_or(url.len(), |i| after + i);
    url.get(..end).unwrap_or(url).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits {
        max_in_flight: 2,
        max_per_second: 3,
        breaker_failures: 3,
        breaker_cooldown_s: 10,
        lease_ms: 5000,
    };

    fn granted(p: Permit) -> u64 {
        match p {
            Permit::Granted { lease } => lease,
            other => panic!("not granted: {other:?}"),
        }
    }

    fn reason(p: Permit) -> String {
        match p {
            Permit::Wait { reason, .. } => reason,
            other => panic!("granted: {other:?}"),
        }
    }

    #[test]
    fn caps_concurrency_and_rate() {
        let mut g = Gate::default();
        let a = granted(g.acquire(0, &L));
        let _b = granted(g.acquire(1, &L));
        assert_eq!(reason(g.acquire(2, &L)), "in_flight");
        g.release(a, Outcome::Up, 3, &L);
        let _c = granted(g.acquire(4, &L));
        // Three started within the second: the fourth waits for the window.
        g.leases.clear();
        match g.acquire(5, &L) {
            Permit::Wait { wait_ms, reason } => {
                assert_eq!(reason, "rate");
                assert_eq!(wait_ms, 1095);
            }
            p => panic!("{p:?}"),
        }
        assert_eq!(reason(g.acquire(1099, &L)), "rate");
        granted(g.acquire(1101, &L));
    }

    #[test]
    fn a_lost_lease_expires() {
        let mut g = Gate::default();
        granted(g.acquire(0, &L));
        granted(g.acquire(0, &L));
        assert_eq!(reason(g.acquire(4999, &L)), "in_flight");
        granted(g.acquire(5000, &L));
    }

    #[test]
    fn breaker_opens_after_consecutive_failures_probes_and_closes() {
        let mut g = Gate::default();
        let mut t = 0;
        for _ in 0..2 {
            t += 2000;
            let l = granted(g.acquire(t, &L));
            g.release(l, Outcome::Down, t, &L);
        }
        // A success resets the count.
        t += 2000;
        let l = granted(g.acquire(t, &L));
        g.release(l, Outcome::Up, t, &L);
        for _ in 0..3 {
            t += 2000;
            let l = granted(g.acquire(t, &L));
            g.release(l, Outcome::Down, t, &L);
        }
        assert!(g.breaker_open());
        match g.acquire(t + 1, &L) {
            Permit::Wait { wait_ms, reason } => {
                assert_eq!(reason, "breaker_open");
                assert_eq!(wait_ms, 9999);
            }
            p => panic!("{p:?}"),
        }
        // Cool-down over: one probe, the others wait for it.
        t += 10_000;
        let probe = granted(g.acquire(t, &L));
        assert_eq!(reason(g.acquire(t, &L)), "breaker_probing");
        // The probe fails: open again for a cool-down.
        g.release(probe, Outcome::Down, t, &L);
        assert_eq!(reason(g.acquire(t + 5000, &L)), "breaker_open");
        t += 10_000;
        let probe = granted(g.acquire(t, &L));
        g.release(probe, Outcome::Up, t, &L);
        assert!(!g.breaker_open());
        granted(g.acquire(t + 1000, &L));
    }

    #[test]
    fn no_breaker_when_disabled() {
        let mut g = Gate::default();
        let l = Limits {
            breaker_failures: 0,
            ..L
        };
        for t in 0..50 {
            let lease = granted(g.acquire(t * 1000, &l));
            g.release(lease, Outcome::Down, t * 1000, &l);
        }
        assert!(!g.breaker_open());
    }

    #[test]
    fn origin_keys() {
        assert_eq!(
            origin_key("https://Shop.example/a/b?c"),
            "https://shop.example"
        );
        assert_eq!(
            origin_key("http://127.0.0.1:8080/in"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(origin_key("http://h"), "http://h");
    }
}
