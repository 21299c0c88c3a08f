//! The best-effort JSON payload convention of schemes that define no payload of their own
//! (Standard Webhooks, generic HMAC senders): an event `type`, an RFC 3339 `timestamp`, the
//! payment fields in `data` (or at the top level). Shared here so that neither provider
//! module depends on the other.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::event::{rfc3339_from_ms, PaymentData, Status};
use crate::providers::str_at;

/// The first of `pointers` holding an RFC 3339 time, normalized to UTC.
pub(crate) fn rfc3339_at(v: &Value, pointers: &[&str]) -> Option<String> {
    pointers.iter().find_map(|p| {
        let d = chrono::DateTime::parse_from_rfc3339(v.pointer(p)?.as_str()?.trim()).ok()?;
        Some(rfc3339_from_ms(d.timestamp_millis()))
    })
}

/// Payment fields of a JSON event read with the Standard Webhooks payload convention: the
/// fields live in `data` when it is an object (else at the top level, "squashed"). Only
/// unambiguous forms are taken: `amount_minor`, or `amount` when it is a JSON integer (a
/// decimal `19.99` says nothing about the unit and is left out); `currency` /
/// `currency_code` when a 3-letter code.
pub(crate) fn payment_data(v: &Value, kind: Option<String>, raw: Box<RawValue>) -> PaymentData {
    let obj = match v.get("data") {
        Some(d @ Value::Object(_)) => d,
        _ => v,
    };
    let first = |keys: &[&str]| keys.iter().find_map(|k| str_at(obj, &format!("/{k}")));
    let integer = |k: &str| {
        obj.get(k)
            .filter(|a| a.is_i64() || a.is_u64())
            .and_then(Value::as_i64)
    };
    let currency = ["currency", "currency_code"].iter().find_map(|k| {
        let c = obj.get(*k)?.as_str()?.trim();
        (c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic())).then(|| c.to_ascii_uppercase())
    });
    let method = ["payment_method", "method"].iter().find_map(|k| {
        obj.get(*k)
            .and_then(Value::as_str)
            .map(|m| m.trim().to_ascii_lowercase())
            .filter(|m| !m.is_empty())
    });
    PaymentData {
        livemode: None,
        unverified: None,
        payment_id: first(&["payment_id", "id"]),
        merchant_reference: first(&["merchant_reference", "reference", "order_id"]),
        status: map_status(kind.as_deref().unwrap_or("")),
        amount_minor: integer("amount_minor").or_else(|| integer("amount")),
        currency,
        method,
        provider_event_type: kind,
        raw,
    }
}

/// The status an event type names, from its last segment (`invoice.paid`, `orders/paid`,
/// `transaction.payment_failed`); a dispute or chargeback anywhere in the type wins, and a
/// refund that completed is a refund, not a payment.
pub(crate) fn map_status(kind: &str) -> Status {
    let kind = kind.to_ascii_lowercase();
    let segments: Vec<&str> = kind.split(['.', '/', '_', ':']).collect();
    let any = |p: &str| segments.iter().any(|s| s.starts_with(p));
    if any("dispute") || any("chargeback") {
        return Status::Chargeback;
    }
    match segments.last().copied().unwrap_or_default() {
        "succeeded" | "paid" | "completed" | "captured" if any("refund") => Status::Refunded,
        "succeeded" | "paid" | "completed" | "captured" => Status::Succeeded,
        "failed" | "declined" => Status::Failed,
        "canceled" | "cancelled" => Status::Cancelled,
        "refunded" => Status::Refunded,
        "authorized" => Status::Authorized,
        "pending" | "created" | "processing" => Status::Pending,
        _ => Status::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_from_type() {
        assert_eq!(map_status("invoice.paid"), Status::Succeeded);
        assert_eq!(map_status("payment_intent.succeeded"), Status::Succeeded);
        assert_eq!(map_status("checkout.session.completed"), Status::Succeeded);
        assert_eq!(map_status("orders/paid"), Status::Succeeded);
        assert_eq!(map_status("transaction.payment_failed"), Status::Failed);
        assert_eq!(map_status("payment.declined"), Status::Failed);
        assert_eq!(map_status("payment.canceled"), Status::Cancelled);
        assert_eq!(map_status("order.cancelled"), Status::Cancelled);
        assert_eq!(map_status("charge.refunded"), Status::Refunded);
        assert_eq!(map_status("refund.succeeded"), Status::Refunded);
        assert_eq!(map_status("payment.authorized"), Status::Authorized);
        assert_eq!(map_status("payment.created"), Status::Pending);
        assert_eq!(map_status("Payment.Processing"), Status::Pending);
        assert_eq!(map_status("charge.dispute.created"), Status::Chargeback);
        assert_eq!(map_status("chargeback.opened"), Status::Chargeback);
        assert_eq!(map_status("user.updated"), Status::Unknown);
        assert_eq!(map_status(""), Status::Unknown);
    }

    #[test]
    fn payment_fields_only_when_unambiguous() {
        let v: Value = serde_json::from_str(
            r#"{"type":"payment.succeeded","data":{"id":"pay_1","amount":1999,"currency":"eur","reference":"order-7","payment_method":"Card"}}"#,
        )
        .expect("json");
        let d = payment_data(&v, str_at(&v, "/type"), crate::event::raw_json("{}"));
        assert_eq!(d.payment_id.as_deref(), Some("pay_1"));
        assert_eq!(d.amount_minor, Some(1999));
        assert_eq!(d.currency.as_deref(), Some("EUR"));
        assert_eq!(d.merchant_reference.as_deref(), Some("order-7"));
        assert_eq!(d.method.as_deref(), Some("card"));
        assert_eq!(d.status, Status::Succeeded);
        let v: Value =
            serde_json::from_str(r#"{"amount":19.99,"currency":"euro","amount_minor":"5"}"#)
                .expect("json");
        let d = payment_data(&v, None, crate::event::raw_json("{}"));
        assert_eq!((d.amount_minor, d.currency), (None, None));
        assert_eq!(d.status, Status::Unknown);
    }

    #[test]
    fn times_are_rfc3339_only() {
        let v: Value = serde_json::from_str(
            r#"{"timestamp":"2022-11-03T20:26:10.344522Z","bad":"20221103","n":5}"#,
        )
        .expect("json");
        assert_eq!(
            rfc3339_at(&v, &["/timestamp"]).as_deref(),
            Some("2022-11-03T20:26:10.344Z")
        );
        assert_eq!(rfc3339_at(&v, &["/bad", "/n", "/missing"]), None);
    }
}
