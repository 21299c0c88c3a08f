//! The event log's data: what a D1 row holds, the SQL that writes and reads it, the admin
//! API's filters, retention and the in-memory rejection counts. Pure, so every statement is
//! tested natively; the worker only binds and runs them (`src/worker/eventlog.rs`).
//!
//! The log is best effort and never the truth: the queue is. A row is written by the queue
//! consumer after an attempt (never on the ack path), and a failed write loses nothing but
//! the row. Payloads are not in D1 (rows are limited to 2 MB): a resend reads the delivery
//! from KV, kept there for the same retention.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::gateway::Delivery;
use crate::Rejection;

/// The tables (the migration in `migrations/` creates the same; a test checks they agree).
pub const SCHEMA: &str = include_str!("../migrations/0001_event_log.sql");

/// Default retention of rows and stored payloads, in days (`EDGEHOOK_RETENTION_DAYS`).
pub const DEFAULT_RETENTION_DAYS: u32 = 7;
/// The longest retention accepted (a year): a typo must not keep customer data forever.
pub const MAX_RETENTION_DAYS: u32 = 366;
/// Default interval between flushes of the rejection counts (`EDGEHOOK_REJECTION_FLUSH_S`).
pub const DEFAULT_FLUSH_S: u64 = 60;
/// Distinct (route, code) pairs kept in memory before a flush is forced: routes are
/// configured and codes fixed, so this is only a bound, never reached by a flood.
const MAX_PENDING_KEYS: usize = 512;
/// Rows one listing page returns at most, and by default.
pub const PAGE_MAX: u32 = 200;
pub const PAGE_DEFAULT: u32 = 50;
/// Rows one retention run removes (with their payload keys, one KV delete each: the run
/// stays well within a scheduled invocation's subrequest limit; the next run continues).
pub const RETENTION_BATCH: u32 = 200;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// A delivery's state as the log shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Accepted and queued, no attempt finished yet (or resent).
    Queued,
    /// The origin answered 2xx.
    Delivered,
    /// An attempt failed; another is scheduled.
    Retrying,
    /// Given up: in the dead-letter store.
    Dead,
}

impl State {
    pub const ALL: [State; 4] = [
        State::Queued,
        State::Delivered,
        State::Retrying,
        State::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Delivered => "delivered",
            State::Retrying => "retrying",
            State::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A SQL statement and its positional parameters (`?1`...), as D1 binds them.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Stmt {
    fn new(sql: &str, params: Vec<Value>) -> Stmt {
        Stmt {
            sql: sql.to_owned(),
            params,
        }
    }
}

/// The event's searchable facts, read from the normalized event the signature covered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventRow {
    pub route: String,
    pub id: String,
    pub provider: String,
    pub event_type: Option<String>,
    pub livemode: Option<bool>,
    pub status: Option<String>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub payment_id: Option<String>,
    pub merchant_reference: Option<String>,
    pub provider_event_type: Option<String>,
    pub accepted_at_ms: i64,
}

impl EventRow {
    /// The row of `d`. A spilled stub (no event at hand) gives only the identifying fields;
    /// a later write of the full delivery does not fill them (the insert wins), so the
    /// consumer writes from the full delivery.
    pub fn of(d: &Delivery) -> EventRow {
        let ev: Value = serde_json::from_str(&d.event).unwrap_or(Value::Null);
        let data = &ev["data"];
        let text = |v: &Value| v.as_str().map(str::to_owned);
        EventRow {
            route: d.route.clone(),
            id: d.id.clone(),
            provider: d.provider.clone(),
            event_type: text(&ev["type"]),
            livemode: data["livemode"].as_bool(),
            status: text(&data["status"]),
            amount_minor: data["amount_minor"].as_i64(),
            currency: text(&data["currency"]),
            payment_id: text(&data["payment_id"]),
            merchant_reference: text(&data["merchant_reference"]),
            provider_event_type: text(&data["provider_event_type"]),
            accepted_at_ms: d.accepted_at_ms,
        }
    }
}

/// One delivery attempt as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    /// The replay generation (0 for the first chain; each resend starts a new one).
    pub chain: u32,
    /// The attempt's number within its chain (1-based).
    pub n: u32,
    pub at_ms: i64,
    pub latency_ms: i64,
    /// The origin's HTTP status, when it answered.
    pub status: Option<u16>,
    /// What happened: `status 503`, `timeout`, `network error`, or why it was not sent.
    pub detail: String,
}

/// The origin's status from an attempt's description (`status 503`), if it answered.
pub fn status_of(detail: &str) -> Option<u16> {
    detail.strip_prefix("status ")?.trim().parse().ok()
}

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

const INSERT_EVENT: &str = "INSERT INTO events (route, id, provider, event_type, livemode, status, amount_minor, currency, payment_id, merchant_reference, provider_event_type, accepted_at_ms, state, attempts, last_status, last_error, delivered_at_ms, dead_reason, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, (SELECT COUNT(*) FROM attempts WHERE route = ?1 AND id = ?2), ?14, ?15, ?16, ?17, ?18)";

/// Writes `state` for the event, after `attempt` if one was made: the event row is created
/// on its first write and only its delivery fields change later. `attempts` is counted from
/// the attempt rows, so a queue redelivery that writes the same attempt twice counts once.
pub fn record(
    ev: &EventRow,
    state: State,
    attempt: Option<&AttemptRow>,
    dead_reason: Option<&str>,
    now_ms: i64,
) -> Vec<Stmt> {
    let mut out = Vec::new();
    if let Some(a) = attempt {
        out.push(Stmt::new(
            "INSERT OR REPLACE INTO attempts (route, id, chain, n, at_ms, latency_ms, status, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            vec![
                ev.route.clone().into(),
                ev.id.clone().into(),
                a.chain.into(),
                a.n.into(),
                a.at_ms.into(),
                a.latency_ms.into(),
                opt(a.status),
                a.detail.clone().into(),
            ],
        ));
    }
    let delivered_at = (state == State::Delivered).then_some(now_ms);
    let last_status = attempt.and_then(|a| a.status);
    let last_error = attempt
        .filter(|_| state != State::Delivered)
        .map(|a| a.detail.clone());
    let sql = format!(
        "{INSERT_EVENT} ON CONFLICT (route, id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts, last_status = COALESCE(excluded.last_status, events.last_status), last_error = CASE WHEN excluded.state = 'delivered' THEN NULL ELSE COALESCE(excluded.last_error, events.last_error) END, delivered_at_ms = COALESCE(excluded.delivered_at_ms, events.delivered_at_ms), dead_reason = CASE WHEN excluded.state = 'dead' THEN excluded.dead_reason ELSE NULL END, updated_at_ms = excluded.updated_at_ms"
    );
    out.push(Stmt::new(
        &sql,
        vec![
            ev.route.clone().into(),
            ev.id.clone().into(),
            ev.provider.clone().into(),
            opt(ev.event_type.clone()),
            opt(ev.livemode.map(i64::from)),
            opt(ev.status.clone()),
            opt(ev.amount_minor),
            opt(ev.currency.clone()),
            opt(ev.payment_id.clone()),
            opt(ev.merchant_reference.clone()),
            opt(ev.provider_event_type.clone()),
            ev.accepted_at_ms.into(),
            state.as_str().into(),
            opt(last_status),
            opt(last_error),
            opt(delivered_at),
            opt(dead_reason.map(str::to_owned)),
            now_ms.into(),
        ],
    ));
    out
}

/// The event row's first write while no attempt was made yet (held by the origin's gate):
/// never overwrites a later state.
pub fn record_queued(ev: &EventRow, now_ms: i64) -> Stmt {
    let mut s = record(ev, State::Queued, None, None, now_ms)
        .pop()
        .unwrap_or_else(|| Stmt::new("SELECT 1", Vec::new()));
    s.sql = format!("{INSERT_EVENT} ON CONFLICT (route, id) DO NOTHING");
    s
}

/// An operator's resend: the event is queued again (its attempts stay).
pub fn mark_resent(route: &str, id: &str, now_ms: i64) -> Stmt {
    Stmt::new(
        "UPDATE events SET state = 'queued', dead_reason = NULL, updated_at_ms = ?3 WHERE route = ?1 AND id = ?2",
        vec![route.into(), id.into(), now_ms.into()],
    )
}

/// The admin listing's filters, parsed from the query string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub route: Option<String>,
    pub provider: Option<String>,
    pub status: Option<String>,
    pub state: Option<State>,
    pub merchant_reference: Option<String>,
    pub payment_id: Option<String>,
    /// A merchant reference, payment id or event id (exact match on any).
    pub q: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Rows older (by `seq`) than this: the previous page's `cursor`.
    pub cursor: Option<i64>,
    pub limit: u32,
}

fn bad(msg: String) -> Rejection {
    Rejection::InvalidQuery(msg)
}

fn int_param(name: &str, v: &str) -> Result<i64, Rejection> {
    v.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| bad(format!("{name} must be a non-negative integer")))
}

/// Parses the listing's query parameters; an unknown name, an empty or malformed value is
/// refused (`invalid_query`), so a typo never silently widens the list.
pub fn parse_filter(pairs: &[(String, String)]) -> Result<Filter, Rejection> {
    let mut f = Filter {
        limit: PAGE_DEFAULT,
        ..Filter::default()
    };
    for (k, v) in pairs {
        if v.len() > 512 {
            return Err(bad(format!("{k} is longer than 512 bytes")));
        }
        let text = || -> Result<Option<String>, Rejection> {
            if v.is_empty() {
                Err(bad(format!("{k} is empty")))
            } else {
                Ok(Some(v.clone()))
            }
        };
        match k.as_str() {
            "route" => f.route = text()?,
            "provider" => f.provider = text()?,
            "status" => f.status = text()?,
            "merchant_reference" => f.merchant_reference = text()?,
            "payment_id" => f.payment_id = text()?,
            "q" => f.q = text()?,
            "state" => {
                f.state = Some(State::parse(v).ok_or_else(|| {
                    bad("state must be queued, delivered, retrying or dead".into())
                })?)
            }
            "since" => f.since_ms = Some(int_param(k, v)?),
            "until" => f.until_ms = Some(int_param(k, v)?),
            "cursor" => {
                f.cursor = Some(
                    int_param(k, v)
                        .map_err(|_| bad("cursor is not one this API returned".into()))?,
                )
            }
            "limit" => {
                let n = int_param(k, v)?;
                if n < 1 || n > i64::from(PAGE_MAX) {
                    return Err(bad(format!("limit must be between 1 and {PAGE_MAX}")));
                }
                f.limit = n as u32;
            }
            other => {
                return Err(bad(format!(
                    "unknown parameter {}",
                    other.chars().take(40).collect::<String>()
                )))
            }
        }
    }
    Ok(f)
}

/// Columns the API returns for an event.
const COLUMNS: &str = "seq, route, id, provider, event_type, livemode, status, amount_minor, currency, payment_id, merchant_reference, provider_event_type, accepted_at_ms, state, attempts, last_status, last_error, delivered_at_ms, dead_reason, updated_at_ms";

/// The listing's query: newest first, one row more than the page to know whether another
/// page follows.
pub fn list(f: &Filter) -> Stmt {
    let mut wh = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let mut eq = |col: &str, v: &Option<String>, wh: &mut Vec<String>| {
        if let Some(v) = v {
            params.push(v.clone().into());
            wh.push(format!("{col} = ?{}", params.len()));
        }
    };
    eq("route", &f.route, &mut wh);
    eq("provider", &f.provider, &mut wh);
    eq("status", &f.status, &mut wh);
    eq("merchant_reference", &f.merchant_reference, &mut wh);
    eq("payment_id", &f.payment_id, &mut wh);
    eq("state", &f.state.map(|s| s.as_str().to_owned()), &mut wh);
    if let Some(q) = &f.q {
        params.push(q.clone().into());
        let n = params.len();
        wh.push(format!(
            "(merchant_reference = ?{n} OR payment_id = ?{n} OR id = ?{n})"
        ));
    }
    for (col, op, v) in [
        ("accepted_at_ms", ">=", f.since_ms),
        ("accepted_at_ms", "<", f.until_ms),
        ("seq", "<", f.cursor),
    ] {
        if let Some(v) = v {
            params.push(v.into());
            wh.push(format!("{col} {op} ?{}", params.len()));
        }
    }
    let wh = if wh.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wh.join(" AND "))
    };
    params.push((f.limit + 1).into());
    Stmt {
        sql: format!(
            "SELECT {COLUMNS} FROM events{wh} ORDER BY seq DESC LIMIT ?{}",
            params.len()
        ),
        params,
    }
}

/// Cuts the fetched rows to the page and returns the cursor of the next page, if any.
pub fn page(mut rows: Vec<Value>, limit: u32) -> (Vec<Value>, Option<String>) {
    if rows.len() <= limit as usize {
        return (rows, None);
    }
    rows.truncate(limit as usize);
    let cursor = rows
        .last()
        .and_then(|r| r["seq"].as_i64())
        .map(|s| s.to_string());
    (rows, cursor)
}

/// One event (by route and id) and its attempts, oldest first.
pub fn one(route: &str, id: &str) -> [Stmt; 2] {
    [
        Stmt::new(
            &format!("SELECT {COLUMNS} FROM events WHERE route = ?1 AND id = ?2"),
            vec![route.into(), id.into()],
        ),
        Stmt::new(
            "SELECT chain, n, at_ms, latency_ms, status, detail FROM attempts WHERE route = ?1 AND id = ?2 ORDER BY chain, n",
            vec![route.into(), id.into()],
        ),
    ]
}

/// The routes an event id was logged on (when the caller gives no route).
pub fn routes_of(id: &str) -> Stmt {
    Stmt::new(
        "SELECT route FROM events WHERE id = ?1 ORDER BY seq DESC LIMIT 20",
        vec![id.into()],
    )
}

/// Events per route and state accepted in the last hour and day, and the rejection counts
/// per route and code over the same windows.
pub fn stats(now_ms: i64) -> [Stmt; 2] {
    let hour = now_ms - HOUR_MS;
    let day = now_ms - DAY_MS;
    [
        Stmt::new(
            "SELECT route, state, SUM(CASE WHEN accepted_at_ms >= ?1 THEN 1 ELSE 0 END) AS last_hour, COUNT(*) AS last_day FROM events WHERE accepted_at_ms >= ?2 GROUP BY route, state ORDER BY route, state",
            vec![hour.into(), day.into()],
        ),
        Stmt::new(
            "SELECT route, code, SUM(CASE WHEN minute >= ?1 THEN count ELSE 0 END) AS last_hour, SUM(count) AS last_day FROM rejections WHERE minute >= ?2 GROUP BY route, code ORDER BY route, code",
            vec![hour.into(), day.into()],
        ),
    ]
}

/// The retention cutoff (Unix ms) for `days` of retention at `now_ms`.
pub fn cutoff(now_ms: i64, days: u32) -> i64 {
    now_ms - i64::from(days) * DAY_MS
}

/// Parses `EDGEHOOK_RETENTION_DAYS` (default 7; 1..=366, else an error to log).
pub fn retention_days(var: Option<&str>) -> Result<u32, String> {
    let Some(v) = var.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(DEFAULT_RETENTION_DAYS);
    };
    v.parse::<u32>()
        .ok()
        .filter(|d| (1..=MAX_RETENTION_DAYS).contains(d))
        .ok_or_else(|| format!("EDGEHOOK_RETENTION_DAYS must be a whole number of days from 1 to {MAX_RETENTION_DAYS}"))
}

/// Old rows a retention run removes: older than the cutoff and not an unresolved dead
/// letter (a dead event stays until it is resent and delivered, or its letter handled).
pub fn retention_select(cutoff_ms: i64) -> Stmt {
    Stmt::new(
        "SELECT seq, route, id FROM events WHERE accepted_at_ms < ?1 AND state != 'dead' ORDER BY seq LIMIT ?2",
        vec![cutoff_ms.into(), RETENTION_BATCH.into()],
    )
}

/// Deletes what [`retention_select`] returned (the rows up to `max_seq` that match it),
/// their attempts, and rejection counts past the cutoff.
pub fn retention_delete(cutoff_ms: i64, max_seq: i64) -> Vec<Stmt> {
    let old =
        "SELECT route, id FROM events WHERE accepted_at_ms < ?1 AND state != 'dead' AND seq <= ?2";
    vec![
        Stmt::new(
            &format!("DELETE FROM attempts WHERE (route, id) IN ({old})"),
            vec![cutoff_ms.into(), max_seq.into()],
        ),
        Stmt::new(
            "DELETE FROM events WHERE accepted_at_ms < ?1 AND state != 'dead' AND seq <= ?2",
            vec![cutoff_ms.into(), max_seq.into()],
        ),
        Stmt::new(
            "DELETE FROM rejections WHERE minute < ?1",
            vec![cutoff_ms.into()],
        ),
    ]
}

/// Rejections counted in memory per (route, code) and written as one upsert per pair at
/// most every flush interval: a flood of forged requests costs a handful of row writes a
/// minute, never one per request. Counts not yet flushed when an isolate ends are lost
/// (they are statistics, not events).
#[derive(Debug, Default)]
pub struct RejectionCounts {
    pending: BTreeMap<(String, &'static str), u64>,
    last_flush_ms: Option<i64>,
}

impl RejectionCounts {
    /// Counts one rejection. `route` is the configured route's path, or empty for a path no
    /// route serves (so random paths cannot grow the map).
    pub fn add(&mut self, route: &str, code: &'static str) {
        if let Some(n) = self.pending.get_mut(&(route.to_owned(), code)) {
            *n += 1;
        } else {
            self.pending.insert((route.to_owned(), code), 1);
        }
    }

    /// The upserts to run now, if a flush is due (`interval_ms` since the last, or too many
    /// pairs); the counts are taken, so a failed write loses them rather than repeating.
    pub fn flush_due(&mut self, now_ms: i64, interval_ms: i64) -> Option<Vec<Stmt>> {
        if self.pending.is_empty() {
            return None;
        }
        let last = *self.last_flush_ms.get_or_insert(now_ms);
        if now_ms - last < interval_ms && self.pending.len() < MAX_PENDING_KEYS {
            return None;
        }
        self.last_flush_ms = Some(now_ms);
        let minute = now_ms - now_ms.rem_euclid(MINUTE_MS);
        let out = std::mem::take(&mut self.pending)
            .into_iter()
            .map(|((route, code), n)| {
                Stmt::new(
                    "INSERT INTO rejections (route, code, minute, count) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (route, code, minute) DO UPDATE SET count = count + excluded.count",
                    vec![route.into(), code.into(), minute.into(), n.into()],
                )
            })
            .collect();
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> Delivery {
        serde_json::from_value(serde_json::json!({
            "route": "/hooks/w", "id": "ev-1", "provider": "worldline", "origin": "http://o",
            "forward": "cloudevents",
            "event": serde_json::json!({"type": "payment.succeeded", "data": {
                "payment_id": "pay_9", "merchant_reference": "order-1234", "status": "succeeded",
                "amount_minor": 1999, "currency": "EUR", "provider_event_type": "payment.captured",
                "livemode": false}}).to_string(),
            "payload": "", "payload_type": "application/json", "accepted_at_ms": 1000,
            "timeout_ms": 1000, "max_retries": 3
        }))
        .expect("delivery")
    }

    #[test]
    fn row_holds_the_signed_facts() {
        let r = EventRow::of(&delivery());
        assert_eq!(r.merchant_reference.as_deref(), Some("order-1234"));
        assert_eq!(r.payment_id.as_deref(), Some("pay_9"));
        assert_eq!(r.amount_minor, Some(1999));
        assert_eq!(r.livemode, Some(false));
        assert_eq!(r.event_type.as_deref(), Some("payment.succeeded"));
        assert_eq!(r.provider_event_type.as_deref(), Some("payment.captured"));
        let mut stub = delivery();
        stub.event.clear();
        let r = EventRow::of(&stub);
        assert_eq!((r.id.as_str(), r.merchant_reference), ("ev-1", None));
    }

    #[test]
    fn params_match_placeholders() {
        let r = EventRow::of(&delivery());
        let a = AttemptRow {
            chain: 0,
            n: 1,
            at_ms: 5,
            latency_ms: 3,
            status: status_of("status 503"),
            detail: "status 503".into(),
        };
        for s in record(&r, State::Retrying, Some(&a), None, 9)
            .into_iter()
            .chain([record_queued(&r, 9), mark_resent("/r", "i", 1)])
            .chain(one("/r", "i"))
            .chain(stats(1))
            .chain(retention_delete(1, 2))
            .chain([retention_select(1), list(&Filter::default())])
        {
            let max = (1..=30)
                .rev()
                .find(|n| s.sql.contains(&format!("?{n}")))
                .unwrap_or(0);
            assert_eq!(max, s.params.len(), "{}", s.sql);
        }
        assert_eq!(a.status, Some(503));
        assert_eq!(status_of("timeout"), None);
    }

    #[test]
    fn filters_parse_and_refuse() {
        let p = |q: &[(&str, &str)]| {
            parse_filter(
                &q.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<Vec<_>>(),
            )
        };
        let f = p(&[
            ("state", "dead"),
            ("q", "order-1"),
            ("cursor", "17"),
            ("limit", "2"),
        ])
        .expect("ok");
        assert_eq!(f.state, Some(State::Dead));
        let s = list(&f);
        assert!(s.sql.contains("state = ?1"), "{}", s.sql);
        assert!(s.sql.contains("seq < ?3"), "{}", s.sql);
        assert_eq!(s.params.last(), Some(&Value::from(3u32)));
        for bad in [
            vec![("state", "gone")],
            vec![("limit", "0")],
            vec![("limit", "201")],
            vec![("cursor", "abc")],
            vec![("since", "-1")],
            vec![("route", "")],
            vec![("rout", "/x")],
        ] {
            let e = p(&bad).expect_err("refused");
            assert_eq!((e.code(), e.status()), ("invalid_query", 400), "{bad:?}");
        }
    }

    #[test]
    fn page_cuts_and_gives_a_cursor() {
        let rows: Vec<Value> = (0..3)
            .rev()
            .map(|s| serde_json::json!({ "seq": s + 10 }))
            .collect();
        let (r, c) = page(rows.clone(), 2);
        assert_eq!((r.len(), c.as_deref()), (2, Some("11")));
        let (r, c) = page(rows, 3);
        assert_eq!((r.len(), c), (3, None));
    }

    #[test]
    fn retention_days_default_and_bounds() {
        assert_eq!(retention_days(None), Ok(7));
        assert_eq!(retention_days(Some(" 30 ")), Ok(30));
        assert!(retention_days(Some("0")).is_err());
        assert!(retention_days(Some("400")).is_err());
        assert!(retention_days(Some("7d")).is_err());
        assert_eq!(cutoff(10 * DAY_MS, 7), 3 * DAY_MS);
    }

    #[test]
    fn rejections_aggregate_until_the_interval() {
        let mut c = RejectionCounts::default();
        for _ in 0..10_000 {
            c.add("/hooks/w", "signature_mismatch");
        }
        c.add("", "unknown_route");
        // The first flush waits a full interval from the first count.
        assert!(c.flush_due(0, 60_000).is_none());
        c.add("/hooks/w", "signature_mismatch");
        assert!(c.flush_due(59_999, 60_000).is_none());
        let s = c.flush_due(60_000, 60_000).expect("due");
        assert_eq!(
            s.len(),
            2,
            "one write per (route, code), whatever the count"
        );
        let sig = s
            .iter()
            .find(|s| s.params[1] == "signature_mismatch")
            .expect("pair");
        assert_eq!(sig.params[3], Value::from(10_001u64));
        assert_eq!(sig.params[2], Value::from(60_000i64));
        assert!(c.flush_due(200_000, 60_000).is_none(), "nothing pending");
        // The cron run flushes whatever is pending, interval or not.
        c.add("/hooks/w", "stale_timestamp");
        assert_eq!(c.flush_due(200_001, 0).map(|s| s.len()), Some(1));
    }

    #[test]
    fn schema_has_the_tables() {
        for t in [
            "CREATE TABLE events",
            "CREATE TABLE attempts",
            "CREATE TABLE rejections",
        ] {
            assert!(SCHEMA.contains(t), "{t}");
        }
    }
}
