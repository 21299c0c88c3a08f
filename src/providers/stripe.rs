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

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{normalize_time, rfc3339_from_ms, Draft, PaymentData, Status, Subject};
use crate::json::Scalar;
use crate::money::{exponent, rescale};
use crate::providers::stamped::{self, Scheme};
use crate::providers::tables::{lookup, status_table};
use crate::providers::Provider;
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
    tells_livemode: true,
    livemode_prefixes: None,
    normalize,
};

/// Builds the route: one endpoint signing secret (`whsec_...`) per line.
pub fn configure(spec: &RouteSpec, secrets: &Secrets) -> Result<Box<dyn Provider>, ConfigError> {
    stamped::configure(&SCHEME, spec, secrets)
}

/// `data.object` (the PaymentIntent, Charge, Session, Invoice, Refund, Dispute, Payout...):
/// the fields the mapping reads.
#[derive(Default)]
struct Object<'a> {
    id: Scalar<'a>,
    object: Scalar<'a>,
    status: Scalar<'a>,
    payment_status: Scalar<'a>,
    captured: Scalar<'a>,
    currency: Scalar<'a>,
    payment_intent: Scalar<'a>,
    client_reference_id: Scalar<'a>,
    order_id: Scalar<'a>,
    first_method_type: Scalar<'a>,
    method_details_type: Scalar<'a>,
    amount: Scalar<'a>,
    amount_received: Scalar<'a>,
    amount_total: Scalar<'a>,
    amount_paid: Scalar<'a>,
    amount_due: Scalar<'a>,
    amount_refunded: Scalar<'a>,
}

/// The event's fields the mapping reads; everything else is checked and skipped unread.
struct Event<'a> {
    id: Scalar<'a>,
    kind: Scalar<'a>,
    created: Scalar<'a>,
    livemode: Scalar<'a>,
    o: Object<'a>,
}

fn read(payload: &[u8]) -> Result<(Event<'_>, Box<RawValue>), Rejection> {
    let (
        [id, kind, created, livemode, o_id, object, status, payment_status, captured, currency, payment_intent, client_reference_id, order_id, first_method_type, method_details_type, amount, amount_received, amount_total, amount_paid, amount_due, amount_refunded],
        raw,
    ) = stamped::read(
        payload,
        [
            "/id",
            "/type",
            "/created",
            "/livemode",
            "/data/object/id",
            "/data/object/object",
            "/data/object/status",
            "/data/object/payment_status",
            "/data/object/captured",
            "/data/object/currency",
            "/data/object/payment_intent",
            "/data/object/client_reference_id",
            "/data/object/metadata/order_id",
            "/data/object/payment_method_types/0",
            "/data/object/payment_method_details/type",
            "/data/object/amount",
            "/data/object/amount_received",
            "/data/object/amount_total",
            "/data/object/amount_paid",
            "/data/object/amount_due",
            "/data/object/amount_refunded",
        ],
    )?;
    let o = Object {
        id: o_id,
        object,
        status,
        payment_status,
        captured,
        currency,
        payment_intent,
        client_reference_id,
        order_id,
        first_method_type,
        method_details_type,
        amount,
        amount_received,
        amount_total,
        amount_paid,
        amount_due,
        amount_refunded,
    };
    Ok((
        Event {
            id,
            kind,
            created,
            livemode,
            o,
        },
        raw,
    ))
}

fn normalize(payload: &[u8]) -> Result<Draft, Rejection> {
    let (
        Event {
            id,
            kind,
            created,
            livemode,
            o,
        },
        raw,
    ) = read(payload)?;
    let o = &o;
    let kind = kind.text();
    let status = map_status(kind.as_deref().unwrap_or(""), o);
    let time = match &created {
        Scalar::Int(s) => s.checked_mul(1000).map(rfc3339_from_ms),
        // Thin (v2) events carry an RFC 3339 string.
        Scalar::Str(s) => normalize_time(s),
        _ => None,
    };
    // Stripe paying the balance out to the merchant's bank, not a customer's payment.
    let subject = if kind.as_deref().is_some_and(|k| k.starts_with("payout.")) {
        Subject::Payout
    } else {
        Subject::Payment
    };
    let currency = o.currency.text().map(|c| c.to_ascii_uppercase());
    let amount_minor = match (amount(kind.as_deref().unwrap_or(""), o), &currency) {
        (Some(a), Some(c)) => rescale(a, stripe_exponent(c), exponent(c)),
        _ => None,
    };
    Ok(Draft {
        id: id.text(),
        time,
        data: PaymentData {
            // Signed, in every event: events of test-mode keys say `false`.
            livemode: livemode.as_bool(),
            unverified: None,
            // The PaymentIntent ties charges, refunds, disputes and sessions together.
            payment_id: o.payment_intent.text().or_else(|| o.id.text()),
            merchant_reference: o.order_id.text().or_else(|| o.client_reference_id.text()),
            status,
            amount_minor,
            currency,
            method: o
                .first_method_type
                .text()
                .or_else(|| o.method_details_type.text())
                .map(|m| m.to_ascii_lowercase()),
            provider_event_type: kind,
            raw,
        },
        subject,
    })
}

/// The decimals of Stripe's own amount for `currency`, which is not always ISO 4217's:
/// Stripe's zero-decimal list includes MGA (ISO: 2 decimals), and ISK "remains a
/// two-decimal currency in the Stripe API" (ISO: none). Everything else Stripe writes with
/// two decimals except its three-decimal currencies, which match ISO 4217.
fn stripe_exponent(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "JPY" | "KMF" | "KRW" | "MGA" | "PYG" | "RWF" | "UGX"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "JOD" | "KWD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// The amount the event is about, in Stripe's representation: what was received for a
/// succeeded PaymentIntent, the session or invoice total, what was refunded for
/// `charge.refunded`, else the object's `amount`.
fn amount(kind: &str, o: &Object<'_>) -> Option<i64> {
    let field = match (o.object.as_str().unwrap_or(""), kind) {
        ("payment_intent", _) if o.status.as_str() == Some("succeeded") => &o.amount_received,
        ("checkout.session", _) => &o.amount_total,
        ("invoice", _) if o.status.as_str() == Some("paid") => &o.amount_paid,
        ("invoice", _) => &o.amount_due,
        ("charge", "charge.refunded") => &o.amount_refunded,
        _ => &o.amount,
    };
    field.as_i64()
}

/// The event type decides; where one type covers several outcomes the object's own state
/// does, from its own table: a Checkout Session's `payment_status`, a Refund's or a
/// Dispute's `status`, whether a succeeded Charge was `captured` (an uncaptured one is an
/// authorization the merchant must still capture).
fn map_status(kind: &str, o: &Object<'_>) -> Status {
    let by = |table, field: &Scalar<'_>| {
        let value = match field {
            Scalar::Bool(b) => if *b { "true" } else { "false" }.to_owned(),
            other => other.text().unwrap_or_default(),
        };
        lookup(table, &value)
    };
    match kind {
        "checkout.session.completed" => by(CHECKOUT_PAYMENT_STATUSES, &o.payment_status),
        "charge.succeeded" => by(CHARGE_CAPTURED, &o.captured),
        "refund.created" | "refund.updated" | "charge.refund.updated" => {
            by(REFUND_STATUSES, &o.status)
        }
        "charge.dispute.updated" | "charge.dispute.closed" => by(DISPUTE_STATUSES, &o.status),
        _ => lookup(EVENTS, kind),
    }
    .unwrap_or(Status::Unknown)
}

status_table! {
    /// Event types whose name says the outcome.
    EVENTS, readme: "stripe.type", column: "Stripe event `type`",
    [
        ("payment_intent.created", Pending, EVENT_TYPES),
        ("payment_intent.processing", Pending, EVENT_TYPES),
        ("payment_intent.requires_action", Pending, EVENT_TYPES),
        ("payment_intent.partially_funded", Pending, EVENT_TYPES),
        ("payment_intent.amount_capturable_updated", Authorized, EVENT_TYPES),
        ("payment_intent.succeeded", Succeeded, EVENT_TYPES),
        ("payment_intent.payment_failed", Failed, EVENT_TYPES),
        ("payment_intent.canceled", Cancelled, EVENT_TYPES),
        ("charge.pending", Pending, EVENT_TYPES),
        ("charge.captured", Succeeded, EVENT_TYPES),
        ("charge.failed", Failed, EVENT_TYPES),
        ("charge.expired", Cancelled, EVENT_TYPES),
        ("charge.refunded", Refunded, EVENT_TYPES),
        ("charge.dispute.created", Chargeback, EVENT_TYPES),
        ("charge.dispute.funds_withdrawn", Chargeback, EVENT_TYPES),
        ("charge.dispute.funds_reinstated", Succeeded, EVENT_TYPES),
        ("refund.failed", Failed, EVENT_TYPES),
        ("checkout.session.async_payment_succeeded", Succeeded, EVENT_TYPES),
        ("checkout.session.async_payment_failed", Failed, EVENT_TYPES),
        ("checkout.session.expired", Cancelled, EVENT_TYPES),
        ("setup_intent.succeeded", Verified, EVENT_TYPES),
        ("setup_intent.setup_failed", Failed, EVENT_TYPES),
        ("setup_intent.canceled", Cancelled, EVENT_TYPES),
        ("invoice.paid", Succeeded, EVENT_TYPES),
        ("invoice.payment_succeeded", Succeeded, EVENT_TYPES),
        ("invoice.payment_failed", Failed, EVENT_TYPES),
        ("invoice.payment_action_required", Pending, EVENT_TYPES),
        ("payout.created", Pending, EVENT_TYPES),
        ("payout.paid", Succeeded, EVENT_TYPES),
        ("payout.failed", Failed, EVENT_TYPES),
        ("payout.canceled", Cancelled, EVENT_TYPES),
    ]
}

status_table! {
    /// `checkout.session.completed`: the session's `payment_status`.
    CHECKOUT_PAYMENT_STATUSES, readme: "stripe.checkout",
    column: "`checkout.session.completed` with `payment_status`",
    [
        ("paid", Succeeded, CHECKOUT_SESSION),
        ("no_payment_required", Succeeded, CHECKOUT_SESSION),
        ("unpaid", Pending, CHECKOUT_SESSION),
    ]
}

status_table! {
    /// `charge.succeeded`: the Charge's `captured`.
    CHARGE_CAPTURED, readme: "stripe.charge", column: "`charge.succeeded` with `captured`",
    [
        ("true", Succeeded, CHARGE),
        ("false", Authorized, CHARGE),
    ]
}

status_table! {
    /// `refund.created`, `refund.updated`, `charge.refund.updated`: the Refund's `status`.
    REFUND_STATUSES, readme: "stripe.refund",
    column: "`refund.created`, `refund.updated`, `charge.refund.updated` with refund `status`",
    [
        ("pending", Pending, REFUND),
        ("requires_action", Pending, REFUND),
        ("succeeded", Refunded, REFUND),
        ("failed", Failed, REFUND),
        ("canceled", Cancelled, REFUND),
    ]
}

status_table! {
    /// `charge.dispute.updated`, `charge.dispute.closed`: the Dispute's `status`. An inquiry
    /// (`warning_*`) may still become a dispute; a dispute won or an inquiry closed leaves
    /// the money with the merchant.
    DISPUTE_STATUSES, readme: "stripe.dispute",
    column: "`charge.dispute.updated`, `charge.dispute.closed` with dispute `status`",
    [
        ("warning_needs_response", Chargeback, DISPUTE),
        ("warning_under_review", Chargeback, DISPUTE),
        ("needs_response", Chargeback, DISPUTE),
        ("under_review", Chargeback, DISPUTE),
        ("lost", Chargeback, DISPUTE),
        ("won", Succeeded, DISPUTE),
        ("warning_closed", Succeeded, DISPUTE),
    ]
}

#[cfg(test)]
mod src {
    use crate::providers::tables::Source;
    pub const EVENT_TYPES: Source = Source {
        title: "Stripe API reference: Types of events",
        url: "https://docs.stripe.com/api/events/types",
    };
    pub const CHECKOUT_SESSION: Source = Source {
        title: "Stripe API reference: The Checkout Session object, payment_status",
        url: "https://docs.stripe.com/api/checkout/sessions/object",
    };
    pub const CHARGE: Source = Source {
        title: "Stripe API reference: The Charge object, captured",
        url: "https://docs.stripe.com/api/charges/object",
    };
    pub const REFUND: Source = Source {
        title: "Stripe API reference: The Refund object, status",
        url: "https://docs.stripe.com/api/refunds/object",
    };
    pub const DISPUTE: Source = Source {
        title: "Stripe API reference: The Dispute object, status",
        url: "https://docs.stripe.com/api/disputes/object",
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::tables::Table;
    use serde_json::{json, Value};

    // The mapping reads payload bytes; these tests write their events as `json!` values.
    fn normalize(v: &Value, raw: Box<RawValue>) -> Result<Draft, Rejection> {
        super::normalize(v.to_string().as_bytes()).map(|d| Draft {
            data: PaymentData { raw, ..d.data },
            ..d
        })
    }

    fn with_object<T>(o: &Value, f: impl FnOnce(&Object<'_>) -> T) -> T {
        let text = json!({ "data": { "object": o } }).to_string();
        let (event, _) = read(text.as_bytes()).expect("reads");
        f(&event.o)
    }

    fn map_status(kind: &str, o: &Value) -> Status {
        with_object(o, |o| super::map_status(kind, o))
    }

    fn amount(kind: &str, o: &Value) -> Option<i64> {
        with_object(o, |o| super::amount(kind, o))
    }

    fn status(kind: &str, o: Value) -> Status {
        map_status(kind, &o)
    }

    #[test]
    fn maps_statuses() {
        assert_eq!(
            status("payment_intent.succeeded", json!({})),
            Status::Succeeded
        );
        assert_eq!(
            status(
                "checkout.session.completed",
                json!({"payment_status": "paid"})
            ),
            Status::Succeeded
        );
        assert_eq!(
            status(
                "checkout.session.completed",
                json!({"payment_status": "unpaid"})
            ),
            Status::Pending
        );
        assert_eq!(
            status("charge.dispute.created", json!({})),
            Status::Chargeback
        );
        assert_eq!(
            status("charge.dispute.closed", json!({"status": "won"})),
            Status::Succeeded
        );
        assert_eq!(
            status("charge.dispute.closed", json!({"status": "lost"})),
            Status::Chargeback
        );
        assert_eq!(
            status("refund.updated", json!({"status": "succeeded"})),
            Status::Refunded
        );
        assert_eq!(
            status("refund.failed", json!({"status": "failed"})),
            Status::Failed
        );
        assert_eq!(
            status("charge.succeeded", json!({"captured": true})),
            Status::Succeeded
        );
        assert_eq!(
            status("charge.succeeded", json!({"captured": false})),
            Status::Authorized
        );
        assert_eq!(status("charge.succeeded", json!({})), Status::Unknown);
        assert_eq!(
            status("payment_intent.amount_capturable_updated", json!({})),
            Status::Authorized
        );
        assert_eq!(status("customer.created", json!({})), Status::Unknown);
        assert_eq!(
            status("charge.updated", json!({"status": "succeeded"})),
            Status::Unknown
        );
    }

    /// Every row of every table through `normalize`, the value where Stripe puts it.
    #[test]
    fn every_row_through_normalize() {
        let run = |v: Value| {
            normalize(&v, crate::event::raw_json("{}"))
                .expect("ok")
                .data
                .status
        };
        for (kind, status) in EVENTS {
            assert_eq!(
                run(json!({"type": kind, "data": {"object": {}}})),
                *status,
                "{kind}"
            );
        }
        let state_tables: [(&str, &str, Table); 5] = [
            (
                "checkout.session.completed",
                "payment_status",
                CHECKOUT_PAYMENT_STATUSES,
            ),
            ("refund.updated", "status", REFUND_STATUSES),
            ("charge.refund.updated", "status", REFUND_STATUSES),
            ("charge.dispute.closed", "status", DISPUTE_STATUSES),
            ("charge.dispute.updated", "status", DISPUTE_STATUSES),
        ];
        for (kind, field, table) in state_tables {
            for (value, status) in table {
                let v = json!({"type": kind, "data": {"object": {field: value}}});
                assert_eq!(run(v), *status, "{kind} {value}");
            }
        }
        for (value, status) in CHARGE_CAPTURED {
            let v = json!({"type": "charge.succeeded", "data": {"object": {"captured": *value == "true"}}});
            assert_eq!(run(v), *status, "captured {value}");
        }
    }

    #[test]
    fn amount_per_object() {
        let o = json!({"object": "payment_intent", "status": "succeeded", "amount": 2000, "amount_received": 1500});
        assert_eq!(amount("payment_intent.succeeded", &o), Some(1500));
        let o = json!({"object": "payment_intent", "status": "processing", "amount": 2000, "amount_received": 0});
        assert_eq!(amount("payment_intent.processing", &o), Some(2000));
        let o = json!({"object": "checkout.session", "amount_total": 999});
        assert_eq!(amount("checkout.session.completed", &o), Some(999));
        let o = json!({"object": "charge", "amount": 1000, "amount_refunded": 400});
        assert_eq!(amount("charge.refunded", &o), Some(400));
        assert_eq!(amount("charge.succeeded", &o), Some(1000));
        let o = json!({"object": "invoice", "status": "paid", "amount_paid": 10, "amount_due": 10});
        assert_eq!(amount("invoice.paid", &o), Some(10));
        assert_eq!(amount("x", &Value::Null), None);
    }

    /// Stripe's representation against ISO 4217 minor units, one currency per class.
    #[test]
    fn amounts_in_iso_minor_units() {
        let minor = |amount: i64, currency: &str| {
            let v = json!({"type": "payment_intent.succeeded", "data": {"object": {
                "object": "payment_intent", "status": "succeeded", "amount_received": amount,
                "currency": currency}}});
            normalize(&v, crate::event::raw_json("{}"))
                .expect("ok")
                .data
                .amount_minor
        };
        assert_eq!(minor(1999, "eur"), Some(1999));
        assert_eq!(minor(500, "jpy"), Some(500));
        assert_eq!(minor(5120, "kwd"), Some(5120));
        // "an ISK amount of 100 will continue to represent 1 krona"; ISO 4217 ISK has none.
        assert_eq!(minor(100, "isk"), Some(1));
        assert_eq!(minor(4010, "isk"), None);
        // Zero-decimal at Stripe, two decimals in ISO 4217.
        assert_eq!(minor(500, "mga"), Some(50000));
        assert_eq!(minor(1000, "ugx"), Some(1000));
        assert_eq!(minor(1000, "huf"), Some(1000));
        assert_eq!(minor(1000, "twd"), Some(1000));
    }
}
