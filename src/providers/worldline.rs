//! Worldline Direct / Connect ("GCS" webhooks).
//!
//! Reads `X-GCS-Signature` (base64 HMAC-SHA-256 of the raw body) and `X-GCS-KeyId`; the key
//! id selects the secret (`KEY_ID:SECRET` lines; several ids active during a rotation). The
//! secret's UTF-8 bytes are the key, even when it looks like base64. Answers the endpoint
//! verification GET by echoing `X-GCS-Webhooks-Endpoint-Verification`. Acks with 200.

use std::borrow::Cow;

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{normalize_time, raw_checked, Draft, PaymentData, Status, Subject};
use crate::providers::tables::{lookup, status_table, Table};
use crate::providers::{
    ok_ack, parse_json, str_at, Accepted, Auth, Check, Provider, Reply, SignInput, Signed,
};
use crate::request::Request;
use crate::verify::{decode_b64, Algorithm, CryptoBackend, Encoding, MacCheck};

const SIGNATURE: &str = "X-GCS-Signature";
const KEY_ID: &str = "X-GCS-KeyId";
const VERIFICATION: &str = "X-GCS-Webhooks-Endpoint-Verification";

/// A configured Worldline route.
pub struct Worldline {
    keys: Vec<(String, String)>,
}

impl std::fmt::Debug for Worldline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "Worldline {{ key_ids: {ids:?}, secrets: [redacted] }}")
    }
}

/// Builds the route from `KEY_ID:SECRET` lines.
pub fn configure(spec: &RouteSpec, secrets: &Secrets) -> Result<Box<dyn Provider>, ConfigError> {
    let mut keys = Vec::new();
    for line in secrets.resolve("secrets", &spec.secrets, true)? {
        let (id, secret) = line
            .split_once(':')
            .filter(|(id, s)| !id.trim().is_empty() && !s.is_empty())
            .ok_or_else(|| {
                ConfigError::new(
                    secrets.at("secrets"),
                    "each Worldline secret line must be KEY_ID:SECRET",
                )
            })?;
        keys.push((id.trim().to_owned(), secret.to_owned()));
    }
    Ok(Box::new(Worldline { keys }))
}

impl Provider for Worldline {
    fn name(&self) -> &'static str {
        "worldline"
    }

    fn headers(&self) -> Vec<&'static str> {
        vec![SIGNATURE, KEY_ID, VERIFICATION]
    }

    fn media_types(&self) -> &'static [&'static str] {
        &["application/json"]
    }

    fn handshake(&self, req: &Request) -> Option<Result<Reply, Rejection>> {
        Some(req.required(VERIFICATION).map(|v| Reply::text(200, v)))
    }

    fn authenticate<'a>(&'a self, req: &'a Request) -> Result<Auth<'a>, Rejection> {
        let sig = req.required(SIGNATURE)?;
        let key_id = req.required(KEY_ID)?;
        let received =
            decode_b64(sig).ok_or(Rejection::MalformedSignature(SIGNATURE, "not base64"))?;
        let keys: Vec<&[u8]> = self
            .keys
            .iter()
            .filter(|(id, _)| id == key_id)
            .map(|(_, s)| s.as_bytes())
            .collect();
        if keys.is_empty() {
            return Err(Rejection::UnknownKeyId);
        }
        Ok(Auth {
            key_labels: vec![key_id.to_owned(); keys.len()],
            check: Check::Mac(MacCheck {
                algorithm: Algorithm::HmacSha256,
                content: vec![Cow::Borrowed(req.body.as_slice())],
                append_key: false,
                keys,
                received: vec![received],
            }),
            signed_at: None,
            parsed: vec![
                (KEY_ID.to_owned(), key_id.to_owned()),
                (SIGNATURE.to_owned(), sig.to_owned()),
            ],
        })
    }

    fn sign(&self, input: &SignInput<'_>, crypto: &dyn CryptoBackend) -> Result<Signed, Rejection> {
        let (id, secret) = self.keys.first().ok_or(Rejection::UnknownKeyId)?;
        let mac = crypto.mac(Algorithm::HmacSha256, secret.as_bytes(), &[input.payload]);
        Ok(Signed {
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (SIGNATURE.into(), Encoding::Base64.encode(&mac)),
                (KEY_ID.into(), id.clone()),
            ],
            body: input.payload.to_vec(),
        })
    }

    fn accept(&self, payload: &[u8], _req: &Request) -> Result<Accepted, Rejection> {
        let v = parse_json(payload)?;
        match v.get("apiVersion").and_then(|a| a.as_str()) {
            Some("v1") => {}
            Some(other) => {
                return Err(Rejection::UnsupportedPayload(format!(
                    "apiVersion {other:?} (only v1 is supported)"
                )))
            }
            None => return Err(Rejection::MalformedBody("missing apiVersion".into())),
        }
        let id =
            str_at(&v, "/id").ok_or_else(|| Rejection::MalformedBody("missing event id".into()))?;
        let kind = str_at(&v, "/type");
        // The event carries one object; its name is the first segment of `type`.
        let object = Object::of(kind.as_deref().unwrap_or(""));
        let at = |field: &str| format!("{}/{field}", object.pointer);
        let status = map_status(
            kind.as_deref().unwrap_or(""),
            object.statuses,
            str_at(&v, &at("status")).as_deref().unwrap_or(""),
        );
        let money = at(object.amount);
        let amount = v
            .pointer(&format!("{money}/amount"))
            .and_then(|a| a.as_i64());
        let currency = str_at(&v, &format!("{money}/currencyCode"));
        let method = str_at(&v, &at(&format!("{}/paymentMethod", object.output)))
            .map(|m| m.to_ascii_lowercase());
        let payment_id = object.ids.iter().find_map(|f| str_at(&v, &at(f)));
        let draft = Draft {
            id: Some(id.clone()),
            time: str_at(&v, "/created").and_then(|t| normalize_time(&t)),
            data: PaymentData {
                livemode: None,
                unverified: None,
                payment_id,
                merchant_reference: str_at(&v, &at(object.reference)),
                status,
                amount_minor: amount,
                currency,
                method,
                provider_event_type: kind,
                raw: raw_checked(std::str::from_utf8(payload).unwrap_or("null")),
            },
            subject: object.subject,
        };
        Ok(Accepted {
            raw_forward: None,
            draft,
            ack: ok_ack(&id),
        })
    }
}

/// Where an event's object keeps its fields (Worldline SDKs' `WebhooksEvent` and the
/// `*Response` domain classes): payments, refunds and payouts alike under `<x>Output`,
/// payment links under `paymentLinkOrder`.
struct Object {
    pointer: &'static str,
    subject: Subject,
    output: &'static str,
    amount: &'static str,
    reference: &'static str,
    ids: &'static [&'static str],
    statuses: Table,
}

impl Object {
    fn of(kind: &str) -> Self {
        let pay = |pointer, output, amount, reference, statuses| Object {
            pointer,
            subject: Subject::Payment,
            output,
            amount,
            reference,
            ids: &["id"],
            statuses,
        };
        match kind.split('.').next().unwrap_or("") {
            "refund" => pay(
                "/refund",
                "refundOutput",
                "refundOutput/amountOfMoney",
                "refundOutput/references/merchantReference",
                REFUND_STATUSES,
            ),
            "payout" => Object {
                subject: Subject::Payout,
                ..pay(
                    "/payout",
                    "payoutOutput",
                    "payoutOutput/amountOfMoney",
                    "payoutOutput/references/merchantReference",
                    PAYOUT_STATUSES,
                )
            },
            // The link's own id until a payment exists; then the payment's.
            "paymentlink" => Object {
                ids: &["paymentId", "paymentLinkId"],
                ..pay(
                    "/paymentLink",
                    "paymentLinkOrder",
                    "paymentLinkOrder/amount",
                    "paymentLinkOrder/merchantReference",
                    PAYMENT_LINK_STATUSES,
                )
            },
            "payment" => pay(
                "/payment",
                "paymentOutput",
                "paymentOutput/amountOfMoney",
                "paymentOutput/references/merchantReference",
                PAYMENT_STATUSES,
            ),
            // Tokens, disputes, batches...: no status of ours; fields left null.
            _ => pay("/-", "-", "-", "-", &[]),
        }
    }
}

/// The event type where it is documented (it names what happened, e.g. a chargeback
/// notice on a payment still `CAPTURED`); else the object's own status.
fn map_status(kind: &str, statuses: Table, status: &str) -> Status {
    lookup(EVENT_TYPES, kind)
        .or_else(|| lookup(statuses, status))
        .unwrap_or(Status::Unknown)
}

status_table! {
    /// `type` of payment events.
    EVENT_TYPES, readme: "worldline.type", column: "Worldline `type`",
    [
        ("payment.created", Pending, DIRECT_WEBHOOKS),
        ("payment.redirected", Pending, DIRECT_WEBHOOKS),
        ("payment.pending_payment", Pending, CONNECT_EVENTS),
        ("payment.authorization_requested", Pending, DIRECT_WEBHOOKS),
        ("payment.pending_completion", Pending, DIRECT_WEBHOOKS),
        ("payment.pending_capture", Authorized, DIRECT_WEBHOOKS),
        ("payment.pending_approval", Authorized, DIRECT_WEBHOOKS),
        ("payment.pending_fraud_approval", Authorized, CONNECT_EVENTS),
        ("payment.account_verified", Verified, CONNECT_EVENTS),
        ("payment.capture_requested", Succeeded, DIRECT_WEBHOOKS),
        ("payment.captured", Succeeded, DIRECT_WEBHOOKS),
        ("payment.paid", Succeeded, CONNECT_EVENTS),
        ("payment.rejected", Failed, DIRECT_WEBHOOKS),
        ("payment.rejected_capture", Failed, DIRECT_WEBHOOKS),
        ("payment.cancelled", Cancelled, DIRECT_WEBHOOKS),
        ("payment.refunded", Refunded, DIRECT_WEBHOOKS),
        ("payment.reversed", Chargeback, CONNECT_EVENTS),
        ("payment.chargeback_notification", Chargeback, CONNECT_EVENTS),
        ("payment.chargebacked", Chargeback, CONNECT_EVENTS),
    ]
}

status_table! {
    /// `payment.status`.
    PAYMENT_STATUSES, readme: "worldline.payment", column: "Worldline `payment.status`",
    [
        ("CREATED", Pending, DIRECT_STATUSES),
        ("REDIRECTED", Pending, DIRECT_STATUSES),
        ("PENDING_PAYMENT", Pending, DIRECT_STATUSES),
        ("AUTHORIZATION_REQUESTED", Pending, DIRECT_STATUSES),
        ("PENDING_COMPLETION", Pending, DIRECT_STATUSES),
        ("PENDING_CAPTURE", Authorized, AUTH_MODES),
        ("PENDING_APPROVAL", Authorized, CONNECT_EVENTS),
        ("PENDING_FRAUD_APPROVAL", Authorized, CONNECT_EVENTS),
        ("ACCOUNT_VERIFIED", Verified, CONNECT_EVENTS),
        ("CAPTURE_REQUESTED", Succeeded, DIRECT_STATUSES),
        ("CAPTURED", Succeeded, DIRECT_STATUSES),
        ("PAID", Succeeded, CONNECT_EVENTS),
        ("REFUND_REQUESTED", Succeeded, DIRECT_STATUSES),
        ("REJECTED", Failed, DIRECT_STATUSES),
        ("REJECTED_CAPTURE", Failed, DIRECT_STATUSES),
        ("CANCELLED", Cancelled, DIRECT_STATUSES),
        ("REFUNDED", Refunded, DIRECT_STATUSES),
        ("REVERSED", Chargeback, DIRECT_STATUSES),
        ("CHARGEBACKED", Chargeback, CONNECT_EVENTS),
    ]
}

status_table! {
    /// `refund.status`: the refund's own progress.
    REFUND_STATUSES, readme: "worldline.refund", column: "Worldline `refund.status`",
    [
        ("CREATED", Pending, DIRECT_STATUSES),
        ("PENDING_APPROVAL", Pending, CONNECT_EVENTS),
        ("REFUND_REQUESTED", Pending, DIRECT_STATUSES),
        ("CAPTURED", Refunded, CONNECT_EVENTS),
        ("REFUNDED", Refunded, DIRECT_STATUSES),
        ("REJECTED", Failed, DIRECT_STATUSES),
        ("CANCELLED", Cancelled, DIRECT_STATUSES),
    ]
}

status_table! {
    /// `payout.status`: money the merchant pays out (`type` `payout.<status>`).
    PAYOUT_STATUSES, readme: "worldline.payout", column: "Worldline `payout.status`",
    [
        ("CREATED", Pending, CONNECT_EVENTS),
        ("PAYOUT_REQUESTED", Pending, CONNECT_EVENTS),
        ("PENDING_APPROVAL", Authorized, CONNECT_EVENTS),
        ("ACCOUNT_CREDITED", Succeeded, CONNECT_EVENTS),
        ("REJECTED", Failed, CONNECT_EVENTS),
        ("REJECTED_CREDIT", Failed, CONNECT_EVENTS),
        ("CANCELLED", Cancelled, CONNECT_EVENTS),
        ("REVERSED", Refunded, CONNECT_EVENTS),
    ]
}

status_table! {
    /// `paymentLink.status`.
    PAYMENT_LINK_STATUSES, readme: "worldline.paymentlink", column: "Worldline `paymentLink.status`",
    [
        ("CREATED", Pending, PAYMENT_LINK),
        ("CLICKED", Pending, PAYMENT_LINK),
        ("PAID", Succeeded, PAYMENT_LINK),
        ("CANCELLED", Cancelled, PAYMENT_LINK),
        ("EXPIRED", Failed, PAYMENT_LINK),
    ]
}

#[cfg(test)]
mod src {
    use crate::providers::tables::Source;
    pub const DIRECT_STATUSES: Source = Source {
        title: "Worldline Direct: Statuses",
        url: "https://docs.direct.worldline-solutions.com/en/integration/api-developer-guide/statuses",
    };
    pub const DIRECT_WEBHOOKS: Source = Source {
        title: "Worldline Direct: Webhooks, event list",
        url: "https://support.direct.ingenico.com/documentation/api/webhooks",
    };
    pub const CONNECT_EVENTS: Source = Source {
        title: "Worldline Connect: Webhook event types",
        url: "https://docs.connect.worldline-solutions.com/documentation/webhooks/event-types/",
    };
    pub const AUTH_MODES: Source = Source {
        title: "Worldline Direct: Authorisation and direct sale",
        url: "https://docs.direct.worldline-solutions.com/en/integration/api-developer-guide/authorisation-and-directsale",
    };
    pub const PAYMENT_LINK: Source = Source {
        title: "wl-online-payments-direct/sdk-php PaymentLinkResponse.php; Worldline Direct: Pay-by-link",
        url: "https://support.direct.worldline-solutions.com/get-started/account-management/merchant-portal/pay-by-link/",
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_first_then_the_objects_status() {
        let m = |k, s| map_status(k, PAYMENT_STATUSES, s);
        assert_eq!(m("payment.paid", ""), Status::Succeeded);
        assert_eq!(m("payment.created", "CREATED"), Status::Pending);
        assert_eq!(
            m("payment.status_changed", "PENDING_CAPTURE"),
            Status::Authorized
        );
        // A chargeback notice on a payment that is still CAPTURED.
        assert_eq!(
            m("payment.chargeback_notification", "CAPTURED"),
            Status::Chargeback
        );
        assert_eq!(m("payment.x", "WHATEVER"), Status::Unknown);
        assert_eq!(m("payment.x", "COMPLETED"), Status::Unknown);
        assert_eq!(
            map_status(
                "refund.refund_requested",
                REFUND_STATUSES,
                "REFUND_REQUESTED"
            ),
            Status::Pending
        );
        assert_eq!(map_status("token.created", &[], "CREATED"), Status::Unknown);
    }

    /// Every row of every table, through `accept` with the value where Worldline puts it.
    #[test]
    fn every_row_through_accept() {
        let wl = Worldline { keys: vec![] };
        let req = Request::new("POST", "/h", 0);
        let cases: [(&str, &str, Table); 4] = [
            ("payment.status_changed", "payment", PAYMENT_STATUSES),
            ("refund.status_changed", "refund", REFUND_STATUSES),
            ("payout.status_changed", "payout", PAYOUT_STATUSES),
            (
                "paymentlink.status_changed",
                "paymentLink",
                PAYMENT_LINK_STATUSES,
            ),
        ];
        for (kind, object, table) in cases {
            for (value, status) in table {
                let body = serde_json::json!({"apiVersion": "v1", "id": "e", "type": kind, object: {"status": value}});
                let a = wl
                    .accept(body.to_string().as_bytes(), &req)
                    .expect("accepted");
                assert_eq!(a.draft.data.status, *status, "{kind} {value}");
            }
        }
        for (kind, status) in EVENT_TYPES {
            let body = serde_json::json!({"apiVersion": "v1", "id": "e", "type": kind, "payment": {"status": "NOT_DOCUMENTED"}});
            let a = wl
                .accept(body.to_string().as_bytes(), &req)
                .expect("accepted");
            assert_eq!(a.draft.data.status, *status, "{kind}");
        }
    }
}
