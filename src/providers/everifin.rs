//! Everifin Paygate hooks (`payment.statusChange`, `order.statusChange`, `payment.statusCheck`).
//!
//! Reads `Signature: ts=<UTC ISO 8601>;v0=<hex>[;v1=<hex>...]`: HMAC-SHA-256 of the `ts` value
//! exactly as sent, a dot and the raw body, keyed with the hook secret's UTF-8 bytes. For 24 h
//! after a secret is regenerated Everifin signs with every valid secret (`v0` the oldest), so
//! any configured secret may match any `vN`. `ts` is signed to stop replays: it must be within
//! the route's tolerance. Everifin stops retrying on 4xx, so only hopeless requests get one.
//! Acks with 200.

#[cfg(test)]
use serde_json::value::RawValue;

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{normalize_time, Draft, PaymentData, Status, Subject};
use crate::providers::stamped::{self, Scheme};
use crate::providers::tables::{lookup, status_table};
use crate::providers::Provider;
use crate::verify::stamped::{Clock, Layout};

const SCHEME: Scheme = Scheme {
    name: "everifin",
    layout: Layout {
        header: "Signature",
        separator: ';',
        timestamp: "ts",
        clock: Clock::Iso8601,
        signature: "v",
        numbered: true,
    },
    // Hook secrets have no recognizable form to check.
    api_key_prefixes: &[],
    api_key_hint: "",
    tells_livemode: false,
    livemode_prefixes: None,
    normalize,
};

/// Builds the route: one hook secret per line (two during a regeneration).
pub fn configure(spec: &RouteSpec, secrets: &Secrets) -> Result<Box<dyn Provider>, ConfigError> {
    stamped::configure(&SCHEME, spec, secrets)
}

/// `payment.statusCheck` asks the merchant's system, synchronously, whether a payment should
/// still be executed: an answer only the origin has, which queue-then-ack cannot give.
const STATUS_CHECK: &str = "payment.statusCheck";

fn normalize(payload: &[u8]) -> Result<Draft, Rejection> {
    let (
        [event_id, event_type, event_timestamp, payment_id, refund_id, external_id, order_id, status],
        raw,
    ) = stamped::read(
        payload,
        [
            "/eventId",
            "/eventType",
            "/eventTimestamp",
            "/data/paymentId",
            "/data/refundId",
            "/data/externalId",
            "/data/orderId",
            "/data/status",
        ],
    )?;
    let kind = event_type.text();
    if kind.as_deref() == Some(STATUS_CHECK) {
        return Err(Rejection::UnsupportedPayload(
            "payment.statusCheck needs your system's answer at once, which this gateway \
             (queue first, then acknowledge) cannot give: remove the payment.statusCheck hook \
             in Everifin Back Office > Hooks, or point it at your own server"
                .into(),
        ));
    }
    let refund = refund_id.text();
    let status = map_status(
        kind.as_deref().unwrap_or(""),
        refund.is_some(),
        status.text().as_deref().unwrap_or(""),
    );
    Ok(Draft {
        id: event_id.text(),
        time: event_timestamp.text().and_then(|t| normalize_time(&t)),
        data: PaymentData {
            livemode: None,
            unverified: None,
            payment_id: payment_id.text().or(refund),
            merchant_reference: external_id.text().or_else(|| order_id.text()),
            status,
            // Hooks carry identifiers and a status only; amounts live in the API.
            amount_minor: None,
            currency: None,
            method: None,
            provider_event_type: kind,
            raw,
        },
        subject: Subject::Payment,
    })
}

/// An order's hook reads the order table, a payment's the payment table. A refund is a
/// payment back to the payer: its success is `refunded`.
fn map_status(kind: &str, refund: bool, status: &str) -> Status {
    let table = if kind == "order.statusChange" {
        ORDER_STATUSES
    } else {
        PAYMENT_STATUSES
    };
    match lookup(table, status) {
        Some(Status::Succeeded) if refund => Status::Refunded,
        Some(s) => s,
        None => Status::Unknown,
    }
}

status_table! {
    /// `data.status` of payment (and refund) hooks. `CONFIRMED` is the payer's
    /// authorization in their bank, not a booking: Everifin says it is "in the vast
    /// majority of cases" eventually successful, yet the bank may never confirm it.
    /// `FINISHED`/`REJECTED` are the first API version's names.
    PAYMENT_STATUSES, readme: "everifin.payment", column: "Everifin payment `data.status`",
    [
        ("CREATED", Pending, PAYMENT_FLOW),
        ("SEEN", Pending, PAYMENT_FLOW),
        ("PROCESSING", Pending, PAYMENT_FLOW),
        ("CONFIRMED", Pending, PAYMENT_FLOW),
        ("BOOKED", Succeeded, PAYMENT_FLOW),
        ("WITHDRAWN", Cancelled, PAYMENT_FLOW),
        ("FAILED", Failed, PAYMENT_FLOW),
        ("EXPIRED", Failed, PAYMENT_FLOW),
        ("PROCESSING_EXPIRED", Failed, PAYMENT_FLOW),
        ("FINISHED", Succeeded, PAYMENT_FLOW_V1),
        ("REJECTED", Failed, PAYMENT_FLOW_V1),
    ]
}

status_table! {
    /// `data.status` of `order.statusChange` hooks (API v2 orders). A partly paid order
    /// still waits for its other payment.
    ORDER_STATUSES, readme: "everifin.order", column: "Everifin order `data.status`",
    [
        ("UNPAID", Pending, PAYMENT_FLOW),
        ("PARTIALLY_PAID", Pending, PAYMENT_FLOW),
        ("PAID", Succeeded, PAYMENT_FLOW),
    ]
}

#[cfg(test)]
mod src {
    use crate::providers::tables::Source;
    pub const PAYMENT_FLOW: Source = Source {
        title: "Everifin Paygate: Payment Flow (order and payment statuses)",
        url:
            "https://everifin.atlassian.net/wiki/spaces/EPAD/pages/2467561491/Paygate+Payment+Flow",
    };
    pub const PAYMENT_FLOW_V1: Source = Source {
        title: "Everifin Paygate: Payment Flow, first API version's statuses",
        url: "https://everifin.atlassian.net/wiki/pages/diffpages.action?originalId=2469101611&pageId=2491154524",
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    // The mapping reads payload bytes; these tests write their events as `json!` values.
    fn normalize(v: &serde_json::Value, raw: Box<RawValue>) -> Result<Draft, Rejection> {
        super::normalize(v.to_string().as_bytes()).map(|d| Draft {
            data: PaymentData { raw, ..d.data },
            ..d
        })
    }

    #[test]
    fn maps_statuses() {
        let pay = |s| map_status("payment.statusChange", false, s);
        assert_eq!(pay("BOOKED"), Status::Succeeded);
        assert_eq!(
            map_status("payment.statusChange", true, "BOOKED"),
            Status::Refunded
        );
        assert_eq!(pay("CONFIRMED"), Status::Pending);
        assert_eq!(pay("SEEN"), Status::Pending);
        assert_eq!(pay("WITHDRAWN"), Status::Cancelled);
        assert_eq!(
            map_status("payment.statusChange", true, "FAILED"),
            Status::Failed
        );
        assert_eq!(pay("PROCESSING_EXPIRED"), Status::Failed);
        assert_eq!(pay(""), Status::Unknown);
        assert_eq!(pay("booked"), Status::Unknown);
        // Order statuses only on order hooks, payment statuses only on payment hooks.
        assert_eq!(
            map_status("order.statusChange", false, "PAID"),
            Status::Succeeded
        );
        assert_eq!(
            map_status("order.statusChange", false, "PARTIALLY_PAID"),
            Status::Pending
        );
        assert_eq!(
            map_status("order.statusChange", false, "BOOKED"),
            Status::Unknown
        );
        assert_eq!(pay("PAID"), Status::Unknown);
    }

    #[test]
    fn every_row_through_normalize() {
        for (kind, table) in [
            ("payment.statusChange", PAYMENT_STATUSES),
            ("order.statusChange", ORDER_STATUSES),
        ] {
            for (value, status) in table {
                let v = serde_json::json!({"eventType": kind, "data": {"paymentId": "p", "status": value}});
                let d = normalize(&v, crate::event::raw_json("{}")).expect("accepted");
                assert_eq!(d.data.status, *status, "{kind} {value}");
            }
        }
    }

    #[test]
    fn status_check_is_refused() {
        let v = serde_json::json!({"eventType": "payment.statusCheck", "data": {"paymentId": "p"}});
        let e = normalize(&v, crate::event::raw_json("{}")).expect_err("refused");
        assert_eq!(e.code(), "unsupported_payload");
        assert_eq!(e.status(), 400);
    }
}
