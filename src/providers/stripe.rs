//! Stripe webhook endpoints (snapshot events: `payment_intent.*`, `charge.*`,
//! `checkout.session.*`, `invoice.*`, `refund.*`, ...).
//!
//! Reads `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=<hex>]`: HMAC-SHA-256 of
//! `"<t>.<raw body>"` keyed with the endpoint's whole signing secret, `whsec_` prefix
//! included and never base64-decoded (unlike Standard Webhooks' `whsec_`), as stripe-node
//! `Webhooks.ts` computes it. Only `v1` counts: `v0` is Stripe's test-mode legacy scheme.
//! Several `v1` appear while a rolled secret is still valid; any one may match. `t` must be
//! within the route's tolerance (Stripe's default is 300 s). Acks with 200.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{normalize_time, rfc3339_from_ms, Draft, PaymentData, Status, Subject};
use crate::providers::stamped::{self, Scheme};
use crate::providers::{str_at, Provider};
use crate::verify::stamped::{Clock, Layout};

const SCHEME: Scheme = Scheme {
    name: "stripe",
    layout: Layout {
        header: "Stripe-Signature",
        separator: ',',
        timestamp: "t",
        clock: Clock::UnixSeconds,
        signature: "v1",
        numbered: false,
    },
    // Secret, restricted and publishable API keys: never a webhook signing secret.
    api_key_prefixes: &["sk_", "rk_", "pk_"],
    api_key_hint: "that is a Stripe API key; use the endpoint's signing secret (whsec_...) from Developers > Webhooks",
    normalize,
};

/// Builds the route: one endpoint signing secret (`whsec_...`) per line.
pub fn configure(spec: &RouteSpec, secrets: &Secrets) -> Result<Box<dyn Provider>, ConfigError> {
    stamped::configure(&SCHEME, spec, secrets)
}

fn normalize(v: &Value, raw: Box<RawValue>) -> Result<Draft, Rejection> {
    let kind = str_at(v, "/type");
    let null = Value::Null;
    let o = v.pointer("/data/object").unwrap_or(&null);
    // Checkout sessions say whether money moved in `payment_status`; the others in `status`.
    let state = str_at(o, "/payment_status").or_else(|| str_at(o, "/status"));
    let status = map_status(
        kind.as_deref().unwrap_or(""),
        state.as_deref().unwrap_or(""),
    );
    let time = match v.get("created") {
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|s| s.checked_mul(1000))
            .map(rfc3339_from_ms),
        // Thin (v2) events carry an RFC 3339 string.
        Some(Value::String(s)) => normalize_time(s),
        _ => None,
    };
    Ok(Draft {
        id: str_at(v, "/id"),
        time,
        data: PaymentData {
            // The PaymentIntent ties charges, refunds, disputes and sessions together.
            payment_id: str_at(o, "/payment_intent").or_else(|| str_at(o, "/id")),
            merchant_reference: str_at(o, "/metadata/order_id")
                .or_else(|| str_at(o, "/client_reference_id")),
            status,
            amount_minor: amount(kind.as_deref().unwrap_or(""), o),
            currency: str_at(o, "/currency").map(|c| c.to_ascii_uppercase()),
            method: str_at(o, "/payment_method_types/0")
                .or_else(|| str_at(o, "/payment_method_details/type"))
                .map(|m| m.to_ascii_lowercase()),
            provider_event_type: kind,
            raw,
        },
        subject: Subject::Payment,
    })
}

/// The amount the event is about, already in the currency's smallest unit: what was
/// received for a succeeded PaymentIntent, the session or invoice total, what was refunded
/// for `charge.refunded`, else the object's `amount`.
fn amount(kind: &str, o: &Value) -> Option<i64> {
    let state = |f: &str| o.get(f).and_then(Value::as_str);
    let field = match (state("object").unwrap_or(""), kind) {
        ("payment_intent", _) if state("status") == Some("succeeded") => "amount_received",
        ("checkout.session", _) => "amount_total",
        ("invoice", _) if state("status") == Some("paid") => "amount_paid",
        ("invoice", _) => "amount_due",
        ("charge", "charge.refunded") => "amount_refunded",
        _ => "amount",
    };
    o.get(field).and_then(Value::as_i64)
}

/// The event type decides; where one type covers several outcomes (`checkout.session.completed`
/// for an async method, `refund.updated`) the object's own state does.
fn map_status(kind: &str, state: &str) -> Status {
    match kind {
        "payment_intent.succeeded"
        | "charge.succeeded"
        | "charge.captured"
        | "invoice.paid"
        | "invoice.payment_succeeded"
        | "checkout.session.async_payment_succeeded" => Status::Succeeded,
        "checkout.session.completed" => match state {
            "paid" | "no_payment_required" => Status::Succeeded,
            _ => Status::Pending,
        },
        "payment_intent.payment_failed"
        | "charge.failed"
        | "invoice.payment_failed"
        | "checkout.session.async_payment_failed" => Status::Failed,
        "payment_intent.canceled" | "charge.expired" | "checkout.session.expired" => {
            Status::Cancelled
        }
        "charge.refunded" => Status::Refunded,
        "payment_intent.amount_capturable_updated" => Status::Authorized,
        "payment_intent.created"
        | "payment_intent.processing"
        | "payment_intent.requires_action"
        | "payment_intent.partially_funded"
        | "charge.pending"
        | "invoice.payment_action_required" => Status::Pending,
        "charge.dispute.created" | "charge.dispute.funds_withdrawn" => Status::Chargeback,
        k if k.starts_with("refund.") || k.starts_with("charge.refund.") => refund_status(state),
        _ => Status::Unknown,
    }
}

/// A Refund object's `status`: only a succeeded refund has moved money back.
fn refund_status(state: &str) -> Status {
    match state {
        "succeeded" => Status::Refunded,
        "pending" | "requires_action" => Status::Pending,
        "failed" => Status::Failed,
        "canceled" => Status::Cancelled,
        _ => Status::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_statuses() {
        assert_eq!(
            map_status("payment_intent.succeeded", "succeeded"),
            Status::Succeeded
        );
        assert_eq!(
            map_status("checkout.session.completed", "paid"),
            Status::Succeeded
        );
        assert_eq!(
            map_status("checkout.session.completed", "unpaid"),
            Status::Pending
        );
        assert_eq!(
            map_status("charge.dispute.created", "needs_response"),
            Status::Chargeback
        );
        assert_eq!(map_status("refund.updated", "succeeded"), Status::Refunded);
        assert_eq!(map_status("refund.failed", "failed"), Status::Failed);
        assert_eq!(
            map_status(
                "payment_intent.amount_capturable_updated",
                "requires_capture"
            ),
            Status::Authorized
        );
        assert_eq!(map_status("customer.created", ""), Status::Unknown);
    }

    #[test]
    fn amount_per_object() {
        let o: Value = serde_json::json!({"object": "payment_intent", "status": "succeeded", "amount": 2000, "amount_received": 1500});
        assert_eq!(amount("payment_intent.succeeded", &o), Some(1500));
        let o: Value = serde_json::json!({"object": "payment_intent", "status": "processing", "amount": 2000, "amount_received": 0});
        assert_eq!(amount("payment_intent.processing", &o), Some(2000));
        let o: Value = serde_json::json!({"object": "checkout.session", "amount_total": 999});
        assert_eq!(amount("checkout.session.completed", &o), Some(999));
        let o: Value =
            serde_json::json!({"object": "charge", "amount": 1000, "amount_refunded": 400});
        assert_eq!(amount("charge.refunded", &o), Some(400));
        assert_eq!(amount("charge.succeeded", &o), Some(1000));
        let o: Value = serde_json::json!({"object": "invoice", "status": "paid", "amount_paid": 10, "amount_due": 10});
        assert_eq!(amount("invoice.paid", &o), Some(10));
        assert_eq!(amount("x", &Value::Null), None);
    }
}
