//! The best-effort JSON payload convention of schemes that define no payload of their own
//! (Standard Webhooks, generic HMAC senders): an event `type`, an RFC 3339 `timestamp`, the
//! payment fields in `data` (or at the top level). Shared here so that neither provider
//! module depends on the other.

use serde_json::value::RawValue;

use crate::event::{rfc3339_from_ms, PaymentData, Status};
use crate::json::Scalar;

/// What the convention (and generic-hmac's event envelope) reads of a payload, at
/// [`POINTERS`]: the event's own fields, and the payment fields of `data` when it is an
/// object, else of the top level.
#[derive(Default)]
pub(crate) struct Envelope<'a> {
    /// `/type`.
    pub kind: Scalar<'a>,
    /// `/timestamp`.
    pub timestamp: Scalar<'a>,
    /// `/event_type`.
    pub event_type: Scalar<'a>,
    /// `/event`.
    pub event: Scalar<'a>,
    /// `/event_id`.
    pub event_id: Scalar<'a>,
    /// `/id`.
    pub id: Scalar<'a>,
    /// `/occurred_at`.
    pub occurred_at: Scalar<'a>,
    /// `/time`.
    pub time: Scalar<'a>,
    payment: Payment<'a>,
}

/// The payment fields of one object.
#[derive(Default)]
struct Payment<'a> {
    payment_id: Scalar<'a>,
    id: Scalar<'a>,
    merchant_reference: Scalar<'a>,
    reference: Scalar<'a>,
    order_id: Scalar<'a>,
    amount_minor: Scalar<'a>,
    amount: Scalar<'a>,
    currency: Scalar<'a>,
    currency_code: Scalar<'a>,
    payment_method: Scalar<'a>,
    method: Scalar<'a>,
}

impl<'a> Payment<'a> {
    fn of(
        [payment_id, id, merchant_reference, reference, order_id, amount_minor, amount, currency, currency_code, payment_method, method]: [Scalar<'a>; 11],
    ) -> Self {
        Self {
            payment_id,
            id,
            merchant_reference,
            reference,
            order_id,
            amount_minor,
            amount,
            currency,
            currency_code,
            payment_method,
            method,
        }
    }
}

/// The pointers [`Envelope::of`] takes the values of, in its order (for [`crate::json::pick`]).
pub(crate) const POINTERS: [&str; 31] = [
    "/type",
    "/timestamp",
    "/event_type",
    "/event",
    "/event_id",
    "/id",
    "/occurred_at",
    "/time",
    "/data",
    "/data/payment_id",
    "/data/id",
    "/data/merchant_reference",
    "/data/reference",
    "/data/order_id",
    "/data/amount_minor",
    "/data/amount",
    "/data/currency",
    "/data/currency_code",
    "/data/payment_method",
    "/data/method",
    "/payment_id",
    "/id",
    "/merchant_reference",
    "/reference",
    "/order_id",
    "/amount_minor",
    "/amount",
    "/currency",
    "/currency_code",
    "/payment_method",
    "/method",
];

impl<'a> Envelope<'a> {
    /// The envelope from the values at [`POINTERS`].
    pub(crate) fn of(values: [Scalar<'a>; 31]) -> Self {
        let [kind, timestamp, event_type, event, event_id, id, occurred_at, time, data, rest @ ..] =
            values;
        let mut rest = rest.into_iter();
        let in_data: [Scalar<'a>; 11] = std::array::from_fn(|_| rest.next().unwrap_or_default());
        let top: [Scalar<'a>; 11] = std::array::from_fn(|_| rest.next().unwrap_or_default());
        Self {
            kind,
            timestamp,
            event_type,
            event,
            event_id,
            id,
            occurred_at,
            time,
            payment: Payment::of(if data == Scalar::Object { in_data } else { top }),
        }
    }
}

/// The first of `fields` holding an RFC 3339 time, normalized to UTC.
pub(crate) fn rfc3339_at(fields: &[&Scalar<'_>]) -> Option<String> {
    fields.iter().find_map(|f| {
        let d = chrono::DateTime::parse_from_rfc3339(f.as_str()?.trim()).ok()?;
        Some(rfc3339_from_ms(d.timestamp_millis()))
    })
}

/// Payment fields of a JSON event read with the Standard Webhooks payload convention: the
/// fields live in `data` when it is an object (else at the top level, "squashed"). Only
/// unambiguous forms are taken: `amount_minor`, or `amount` when it is a JSON integer (a
/// decimal `19.99` says nothing about the unit and is left out); `currency` /
/// `currency_code` when a 3-letter code.
pub(crate) fn payment_data(
    v: &Envelope<'_>,
    kind: Option<String>,
    raw: Box<RawValue>,
) -> PaymentData {
    let obj = &v.payment;
    let first = |fields: &[&Scalar<'_>]| fields.iter().find_map(|f| f.text());
    let currency = [&obj.currency, &obj.currency_code].iter().find_map(|c| {
        let c = c.as_str()?.trim();
        (c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic())).then(|| c.to_ascii_uppercase())
    });
    let method = [&obj.payment_method, &obj.method].iter().find_map(|m| {
        m.as_str()
            .map(|m| m.trim().to_ascii_lowercase())
            .filter(|m| !m.is_empty())
    });
    PaymentData {
        livemode: None,
        unverified: None,
        payment_id: first(&[&obj.payment_id, &obj.id]),
        merchant_reference: first(&[&obj.merchant_reference, &obj.reference, &obj.order_id]),
        status: map_status(kind.as_deref().unwrap_or("")),
        amount_minor: obj.amount_minor.as_i64().or_else(|| obj.amount.as_i64()),
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
    use crate::providers::str_at;
    use serde_json::Value;

    // The convention reads payload bytes; these tests write their payloads as values.
    fn payment_data(v: &Value, kind: Option<String>, raw: Box<RawValue>) -> PaymentData {
        let text = v.to_string();
        let (_, values) = crate::json::pick(text.as_bytes(), POINTERS).expect("json");
        super::payment_data(&Envelope::of(values), kind, raw)
    }

    fn rfc3339_at(v: &Value, pointers: &[&str]) -> Option<String> {
        let text = v.to_string();
        let picked: Vec<Scalar<'_>> = pointers
            .iter()
            .map(|p| {
                let (_, [s]) = crate::json::pick(text.as_bytes(), [*p]).expect("json");
                s
            })
            .collect();
        super::rfc3339_at(&picked.iter().collect::<Vec<_>>())
    }

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
