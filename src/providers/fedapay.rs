//! FedaPay webhooks (`transaction.*`, `customer.*`, ...).
//!
//! Reads `X-FEDAPAY-SIGNATURE: t=<unix seconds>,s=<hex>[,s=<hex>...]`: HMAC-SHA-256 of
//! `"<t>.<raw body>"` keyed with the webhook secret string as shown in the dashboard
//! (`wh_sandbox_...`, `wh_live_...`), as fedapay-php `WebhookSignature` and fedapay-node
//! `Webhook.ts` compute it; other schemes are ignored, any `s` may match. `t` must be within
//! the route's tolerance (the SDKs default to 300 s). Acks with 200.

#[cfg(test)]
use serde_json::value::RawValue;

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{normalize_time, Draft, PaymentData, Status, Subject};
use crate::money::to_minor;
use crate::providers::stamped::{self, Scheme};
use crate::providers::tables::{lookup, status_table};
use crate::providers::Provider;
use crate::verify::stamped::{Clock, Layout};

const SCHEME: Scheme = Scheme {
    name: "fedapay",
    layout: Layout {
        header: "X-FEDAPAY-SIGNATURE",
        separator: ',',
        timestamp: "t",
        clock: Clock::UnixSeconds,
        signature: "s",
        numbered: false,
    },
    api_key_prefixes: &["sk_sandbox_", "sk_live_", "pk_sandbox_", "pk_live_"],
    api_key_hint: "that is a FedaPay API key; use the webhook's secret (wh_sandbox_... / wh_live_...) from the dashboard's Webhooks page",
    tells_livemode: true,
    livemode_prefixes: Some(("wh_live_", "wh_sandbox_")),
    normalize,
};

/// Builds the route: one webhook secret per line, used as-is.
pub fn configure(spec: &RouteSpec, secrets: &Secrets) -> Result<Box<dyn Provider>, ConfigError> {
    stamped::configure(&SCHEME, spec, secrets)
}

/// The id is the event's when the body has one (webhook bodies often do not: the payload's
/// stable hash stands in). The time is the event's, else the transaction's latest.
fn normalize(payload: &[u8]) -> Result<Draft, Rejection> {
    let (
        [id, name, kind, created_at, e_id, e_status, e_amount, e_iso, e_currency, e_mode, e_reference, e_merchant_reference, e_order_id, e_approved_at, e_updated_at, e_created_at],
        raw,
    ) = stamped::read(
        payload,
        [
            "/id",
            "/name",
            "/type",
            "/created_at",
            "/entity/id",
            "/entity/status",
            "/entity/amount",
            "/entity/currency/iso",
            "/entity/currency",
            "/entity/mode",
            "/entity/reference",
            "/entity/merchant_reference",
            "/entity/custom_metadata/order_id",
            "/entity/approved_at",
            "/entity/updated_at",
            "/entity/created_at",
        ],
    )?;
    let name = name.text().or_else(|| kind.text());
    let entity_status = e_status.text();
    let status = map_status(
        name.as_deref().unwrap_or(""),
        entity_status.as_deref().unwrap_or(""),
    );
    let currency = e_iso
        .text()
        .or_else(|| e_currency.text())
        .map(|c| c.to_ascii_uppercase());
    // FedaPay amounts are in major units (`amount: 1000` is 1000 XOF); converting by the
    // currency's ISO exponent keeps XOF/GNF as they are and scales a 2-decimal currency.
    let amount = match (e_amount.text(), currency.as_deref()) {
        (Some(a), Some(c)) => to_minor(&a, c),
        _ => None,
    };
    let time = [created_at, e_approved_at, e_updated_at, e_created_at]
        .iter()
        .find_map(|t| t.text().and_then(|t| normalize_time(&t)));
    Ok(Draft {
        id: id.text(),
        time,
        data: PaymentData {
            livemode: None,
            unverified: None,
            payment_id: e_id.text(),
            merchant_reference: e_merchant_reference
                .text()
                .or_else(|| e_order_id.text())
                .or_else(|| e_reference.text()),
            status,
            amount_minor: amount,
            currency,
            method: e_mode.text().map(|m| m.to_ascii_lowercase()),
            provider_event_type: name,
            raw,
        },
        subject: Subject::Payment,
    })
}

/// The event name decides where it names the outcome; `transaction.updated`, other
/// transaction events and nameless bodies fall back to the transaction's status. Other
/// objects (`customer.*`) are `unknown`.
fn map_status(name: &str, entity_status: &str) -> Status {
    if let Some(s) = lookup(EVENTS, name) {
        return s;
    }
    if name.is_empty() || name.starts_with("transaction.") {
        return lookup(TRANSACTION_STATUSES, entity_status).unwrap_or(Status::Unknown);
    }
    Status::Unknown
}

status_table! {
    /// Transaction events whose name says the outcome.
    EVENTS, readme: "fedapay.name", column: "FedaPay event `name`",
    [
        ("transaction.created", Pending, EVENTS_PAGE),
        ("transaction.approved", Succeeded, EVENTS_PAGE),
        ("transaction.transferred", Succeeded, EVENTS_PAGE),
        ("transaction.declined", Failed, EVENTS_PAGE),
        ("transaction.canceled", Cancelled, EVENTS_PAGE),
    ]
}

status_table! {
    /// `entity.status` of a transaction. A partly refunded transaction was paid, then
    /// some of it went back: the event is about the refund.
    TRANSACTION_STATUSES, readme: "fedapay.status", column: "FedaPay `entity.status`",
    [
        ("pending", Pending, SDK_TRANSACTION),
        ("approved", Succeeded, SDK_TRANSACTION),
        ("transferred", Succeeded, SDK_TRANSACTION),
        ("declined", Failed, EVENTS_PAGE),
        ("canceled", Cancelled, EVENTS_PAGE),
        ("refunded", Refunded, SDK_TRANSACTION),
        ("approved_partially_refunded", Refunded, SDK_TRANSACTION),
        ("transferred_partially_refunded", Refunded, SDK_TRANSACTION),
    ]
}

#[cfg(test)]
mod src {
    use crate::providers::tables::Source;
    pub const EVENTS_PAGE: Source = Source {
        title: "FedaPay docs: Events (the transaction lifecycle)",
        url: "https://docs.fedapay.com/development/events",
    };
    pub const SDK_TRANSACTION: Source = Source {
        title: "fedapay/fedapay-node src/Transaction.ts (PAID_STATUS, wasRefunded)",
        url: "https://github.com/fedapay/fedapay-node/blob/master/src/Transaction.ts",
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
        assert_eq!(map_status("transaction.approved", ""), Status::Succeeded);
        assert_eq!(
            map_status("transaction.declined", "declined"),
            Status::Failed
        );
        assert_eq!(map_status("transaction.canceled", ""), Status::Cancelled);
        assert_eq!(
            map_status("transaction.updated", "approved"),
            Status::Succeeded
        );
        assert_eq!(
            map_status("transaction.updated", "pending"),
            Status::Pending
        );
        assert_eq!(
            map_status("transaction.updated", "approved_partially_refunded"),
            Status::Refunded
        );
        assert_eq!(
            map_status("transaction.refunded", "refunded"),
            Status::Refunded
        );
        assert_eq!(map_status("customer.created", "approved"), Status::Unknown);
        assert_eq!(map_status("", ""), Status::Unknown);
        assert_eq!(map_status("", "approved"), Status::Succeeded);
        assert_eq!(
            map_status("transaction.updated", "somethingelse"),
            Status::Unknown
        );
    }

    #[test]
    fn every_row_through_normalize() {
        let run = |v: serde_json::Value| {
            normalize(&v, crate::event::raw_json("{}"))
                .expect("ok")
                .data
                .status
        };
        for (name, status) in EVENTS {
            assert_eq!(
                run(serde_json::json!({"name": name, "entity": {}})),
                *status,
                "{name}"
            );
        }
        for (value, status) in TRANSACTION_STATUSES {
            let v = serde_json::json!({"name": "transaction.updated", "entity": {"status": value}});
            assert_eq!(run(v), *status, "{value}");
        }
    }

    /// Major units, by the currency's ISO 4217 exponent: XOF/GNF have none.
    #[test]
    fn amounts_per_exponent_class() {
        let minor = |amount: serde_json::Value, iso: &str| {
            let v = serde_json::json!({"name": "transaction.approved",
                "entity": {"amount": amount, "currency": {"iso": iso}}});
            normalize(&v, crate::event::raw_json("{}"))
                .expect("ok")
                .data
                .amount_minor
        };
        assert_eq!(minor(serde_json::json!(15000), "XOF"), Some(15000));
        assert_eq!(minor(serde_json::json!(1000), "GNF"), Some(1000));
        assert_eq!(minor(serde_json::json!(25), "EUR"), Some(2500));
        assert_eq!(minor(serde_json::json!(2), "KWD"), Some(2000));
        assert_eq!(minor(serde_json::json!(10.5), "XOF"), None);
    }
}
