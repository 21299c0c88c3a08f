//! Everifin Paygate hooks (`payment.statusChange`, `order.statusChange`, `payment.statusCheck`).
//!
//! Reads `Signature: ts=<UTC ISO 8601>;v0=<hex>[;v1=<hex>...]`: HMAC-SHA-256 of the `ts` value
//! exactly as sent, a dot and the raw body, keyed with the hook secret's UTF-8 bytes. For 24 h
//! after a secret is regenerated Everifin signs with every valid secret (`v0` the oldest), so
//! any configured secret may match any `vN`. `ts` is signed to stop replays: it must be within
//! the route's tolerance. Everifin stops retrying on 4xx, so only hopeless requests get one.
//! Acks with 200.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::event::{normalize_time, Draft, PaymentData, Status, Subject};
use crate::providers::stamped::{self, Scheme};
use crate::providers::{str_at, Provider};
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
    normalize,
};

/// Builds the route: one hook secret per line (two during a regeneration).
pub fn configure(spec: &RouteSpec, secrets: &Secrets) -> Result<Box<dyn Provider>, ConfigError> {
    stamped::configure(&SCHEME, spec, secrets)
}

fn normalize(v: &Value, raw: Box<RawValue>) -> Draft {
    let refund = str_at(v, "/data/refundId");
    let status = map_status(
        refund.is_some(),
        str_at(v, "/data/status").as_deref().unwrap_or(""),
    );
    Draft {
        id: str_at(v, "/eventId"),
        time: str_at(v, "/eventTimestamp").and_then(|t| normalize_time(&t)),
        data: PaymentData {
            payment_id: str_at(v, "/data/paymentId").or(refund),
            merchant_reference: str_at(v, "/data/externalId")
                .or_else(|| str_at(v, "/data/orderId")),
            status,
            // Hooks carry identifiers and a status only; amounts live in the API.
            amount_minor: None,
            currency: None,
            method: None,
            provider_event_type: str_at(v, "/eventType"),
            raw,
        },
        subject: Subject::Payment,
    }
}

/// `CONFIRMED` means the payer authorized the transfer in their bank, not that it was
/// booked; Everifin says it is "in the vast majority of cases" eventually successful but may
/// never be confirmed by the bank, so it stays `pending` and only `BOOKED` is `succeeded`.
/// `FINISHED`/`REJECTED` are the first API version's names. For refunds `BOOKED` is the
/// money going back: `refunded`.
fn map_status(refund: bool, status: &str) -> Status {
    match status {
        "BOOKED" | "FINISHED" if refund => Status::Refunded,
        "BOOKED" | "FINISHED" => Status::Succeeded,
        "CREATED" | "SEEN" | "PROCESSING" | "CONFIRMED" => Status::Pending,
        "WITHDRAWN" => Status::Cancelled,
        "FAILED" | "EXPIRED" | "PROCESSING_EXPIRED" | "REJECTED" => Status::Failed,
        _ => Status::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_statuses() {
        assert_eq!(map_status(false, "BOOKED"), Status::Succeeded);
        assert_eq!(map_status(true, "BOOKED"), Status::Refunded);
        assert_eq!(map_status(false, "CONFIRMED"), Status::Pending);
        assert_eq!(map_status(false, "SEEN"), Status::Pending);
        assert_eq!(map_status(false, "WITHDRAWN"), Status::Cancelled);
        assert_eq!(map_status(true, "FAILED"), Status::Failed);
        assert_eq!(map_status(false, "PROCESSING_EXPIRED"), Status::Failed);
        assert_eq!(map_status(false, ""), Status::Unknown);
        assert_eq!(map_status(false, "booked"), Status::Unknown);
    }
}
