//! Worldline Direct / Connect ("GCS" webhooks).
//!
//! Reads `X-GCS-Signature` (base64 HMAC-SHA-256 of the raw body) and `X-GCS-KeyId`; the key
//! id selects the secret (`KEY_ID:SECRET` lines; several ids active during a rotation). The
//! secret's UTF-8 bytes are the key, even when it looks like base64. Answers the endpoint
//! verification GET by echoing `X-GCS-Webhooks-Endpoint-Verification`. Acks with 200.

use std::borrow::Cow;

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{normalize_time, raw_checked, Draft, PaymentData, Status};
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
        let object = kind
            .as_deref()
            .and_then(|t| t.split('.').next())
            .unwrap_or("payment");
        let obj = format!("/{}", lower_camel(object));
        let output = if object == "refund" {
            "refundOutput"
        } else {
            "paymentOutput"
        };
        let status_text = str_at(&v, &format!("{obj}/status"));
        let status = map_status(
            kind.as_deref().unwrap_or(""),
            status_text.as_deref().unwrap_or(""),
        );
        let amount = v
            .pointer(&format!("{obj}/{output}/amountOfMoney/amount"))
            .and_then(|a| a.as_i64());
        let currency = str_at(&v, &format!("{obj}/{output}/amountOfMoney/currencyCode"));
        let method =
            str_at(&v, &format!("{obj}/{output}/paymentMethod")).map(|m| m.to_ascii_lowercase());
        let draft = Draft {
            id: Some(id.clone()),
            time: str_at(&v, "/created").and_then(|t| normalize_time(&t)),
            data: PaymentData {
                livemode: None,
                unverified: None,
                payment_id: str_at(&v, &format!("{obj}/id")),
                merchant_reference: str_at(
                    &v,
                    &format!("{obj}/{output}/references/merchantReference"),
                ),
                status,
                amount_minor: amount,
                currency,
                method,
                provider_event_type: kind,
                raw: raw_checked(std::str::from_utf8(payload).unwrap_or("null")),
            },
        };
        Ok(Accepted {
            raw_forward: None,
            draft,
            ack: ok_ack(&id),
        })
    }
}

fn lower_camel(s: &str) -> String {
    // `paymentlink.created` carries `paymentLink`; the others are single words.
    if s.eq_ignore_ascii_case("paymentlink") {
        "paymentLink".into()
    } else {
        s.to_owned()
    }
}

/// Event type first (it is the most specific), then the object's status.
fn map_status(kind: &str, status: &str) -> Status {
    match kind {
        "payment.paid" | "payment.captured" => return Status::Succeeded,
        "payment.rejected" | "payment.rejected_capture" | "payment.refund_rejected" => {
            return Status::Failed
        }
        "payment.cancelled" => return Status::Cancelled,
        "payment.refunded" | "refund.refunded" => return Status::Refunded,
        "payment.pending_capture" | "payment.authorization_requested" => return Status::Authorized,
        "payment.chargebacked" | "payment.chargeback_notification" | "dispute.created" => {
            return Status::Chargeback
        }
        _ => {}
    }
    match status {
        "PAID" | "CAPTURED" | "COMPLETED" => Status::Succeeded,
        "PENDING_CAPTURE" | "AUTHORIZATION_REQUESTED" => Status::Authorized,
        "CREATED"
        | "PENDING_PAYMENT"
        | "PENDING_COMPLETION"
        | "PENDING_FRAUD_APPROVAL"
        | "PENDING_APPROVAL"
        | "REDIRECTED"
        | "CAPTURE_REQUESTED"
        | "REFUND_REQUESTED" => Status::Pending,
        "REJECTED" | "REJECTED_CAPTURE" => Status::Failed,
        "CANCELLED" => Status::Cancelled,
        "REFUNDED" => Status::Refunded,
        "CHARGEBACKED" => Status::Chargeback,
        _ => Status::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_statuses() {
        assert_eq!(map_status("payment.paid", ""), Status::Succeeded);
        assert_eq!(map_status("payment.created", "CREATED"), Status::Pending);
        assert_eq!(
            map_status("payment.status_changed", "PENDING_CAPTURE"),
            Status::Authorized
        );
        assert_eq!(map_status("payment.x", "WHATEVER"), Status::Unknown);
    }
}
