//! SIBS Gateway (SIBS Payment Gateway v2) webhooks: encrypted, not signed.
//!
//! The body is the base64 AES-256-GCM ciphertext of the JSON notification, the detached tag
//! and the IV travel in `X-Authentication-Tag` and `X-Initialization-Vector`. The tag is the
//! only integrity check, so authentication is "it decrypts under one of our keys". There is
//! no key id: during a rotation every configured key is tried. No timestamp either; the
//! notification is deduplicated on `notificationID`, which the ack must echo, or SIBS keeps
//! retrying for up to two months.

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{normalize_time, raw_checked, Draft, PaymentData, Status, Subject};
use crate::money::to_minor;
use crate::providers::tables::{status_table, Table};
use crate::providers::{Accepted, Auth, Check, Provider, Reply, SignInput, Signed};
use crate::request::Request;
use crate::verify::{decode_b64, decode_b64_bytes, CryptoBackend, DecryptCheck, Encoding};

const IV: &str = "X-Initialization-Vector";
const TAG: &str = "X-Authentication-Tag";
/// What the backoffice key decodes to: AES-256.
const KEY_LEN: usize = 32;
/// The newer v2 docs send `"000"` where the older ones send `"200"`.
const ACK_CODES: &[&str] = &["200", "000"];

/// A configured SIBS route.
pub struct Sibs {
    keys: Vec<Vec<u8>>,
    ack_status_code: &'static str,
}

impl std::fmt::Debug for Sibs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Sibs {{ keys: [{} redacted], ack_status_code: {:?} }}",
            self.keys.len(),
            self.ack_status_code
        )
    }
}

/// Builds the route from base64 AES-256 keys (one per line) and the ack dialect.
pub fn configure(spec: &RouteSpec, secrets: &Secrets) -> Result<Box<dyn Provider>, ConfigError> {
    let keys = secrets.resolve_keys(
        "secrets",
        &spec.secrets,
        "SIBS key ",
        "must be the base64 AES-256 key from the SIBS Backoffice (32 bytes once decoded)",
        |line| decode_b64(line).filter(|k| k.len() == KEY_LEN),
    )?;
    let ack_status_code = match spec.ack_status_code.as_deref() {
        None => ACK_CODES[0],
        Some(code) => ACK_CODES
            .iter()
            .copied()
            .find(|c| *c == code)
            .ok_or_else(|| {
                ConfigError::new(
                    secrets.at("ack_status_code"),
                    format!("must be \"200\" (default) or \"000\", not {code:?}"),
                )
            })?,
    };
    Ok(Box::new(Sibs {
        keys,
        ack_status_code,
    }))
}

impl Provider for Sibs {
    fn name(&self) -> &'static str {
        "sibs"
    }

    fn headers(&self) -> Vec<&'static str> {
        vec![IV, TAG]
    }

    fn media_types(&self) -> &'static [&'static str] {
        // SIBS's newer technical docs say `application/json` (the body is base64 either way);
        // production integrations see `text/plain`.
        &["text/plain", "application/octet-stream", "application/json"]
    }

    fn authenticate<'a>(&'a self, req: &'a Request) -> Result<Auth<'a>, Rejection> {
        let iv_text = req.required(IV)?;
        let tag_text = req.required(TAG)?;
        let iv = decode_b64(iv_text).ok_or(Rejection::MalformedHeader(IV, "not base64"))?;
        if iv.len() != 12 && iv.len() != 16 {
            return Err(Rejection::MalformedHeader(
                IV,
                "must decode to 12 (or 16) bytes",
            ));
        }
        let tag = decode_b64(tag_text).ok_or(Rejection::MalformedHeader(TAG, "not base64"))?;
        if tag.len() != 16 {
            return Err(Rejection::MalformedHeader(TAG, "must decode to 16 bytes"));
        }
        let ciphertext = decode_body(&req.body)?;
        let parsed = vec![
            (IV.to_owned(), format!("{iv_text} ({} bytes)", iv.len())),
            (TAG.to_owned(), tag_text.to_owned()),
            (
                "ciphertext".to_owned(),
                format!("{} bytes (base64 body)", ciphertext.len()),
            ),
        ];
        Ok(Auth {
            key_labels: (1..=self.keys.len()).map(|i| format!("key {i}")).collect(),
            check: Check::Decrypt(DecryptCheck {
                keys: self.keys.iter().map(Vec::as_slice).collect(),
                iv,
                ciphertext,
                tag,
            }),
            signed_at: None,
            parsed,
        })
    }

    fn sign(&self, input: &SignInput<'_>, crypto: &dyn CryptoBackend) -> Result<Signed, Rejection> {
        let key = self.keys.first().ok_or(Rejection::UnknownKeyId)?;
        let (ciphertext, tag) = crypto
            .aes256gcm_encrypt(key, &input.nonce, input.payload)
            .ok_or(Rejection::DecryptionFailed)?;
        Ok(Signed {
            headers: vec![
                ("content-type".into(), "text/plain".into()),
                (IV.into(), Encoding::Base64.encode(&input.nonce)),
                (TAG.into(), Encoding::Base64.encode(&tag)),
            ],
            body: Encoding::Base64.encode(&ciphertext).into_bytes(),
        })
    }

    fn accept(&self, payload: &[u8], _req: &Request) -> Result<Accepted, Rejection> {
        let (
            text,
            [notification_id, payment_type, payment_status, payment_method, transaction_id, transaction_date_time, amount_value, amount_currency, merchant_transaction_id, reference_status],
        ) = crate::json::pick(
            payload,
            [
                "/notificationID",
                "/paymentType",
                "/paymentStatus",
                "/paymentMethod",
                "/transactionID",
                "/transactionDateTime",
                "/amount/value",
                "/amount/currency",
                "/merchant/transactionId",
                "/paymentReference/status",
            ],
        )?;
        if !crate::json::is_object(text) {
            return Err(Rejection::MalformedBody(
                "notification is not a JSON object".into(),
            ));
        }
        let id = notification_id
            .text()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| Rejection::MalformedBody("missing notificationID".into()))?;
        let payment_type = payment_type.text();
        let payment_status = payment_status.text();
        let currency = amount_currency
            .text()
            .map(|c| c.trim().to_ascii_uppercase());
        let amount_minor = match (amount_value.text(), currency.as_deref()) {
            (Some(value), Some(cur)) => to_minor(&value, cur),
            _ => None,
        };
        let provider_event_type = match (&payment_type, &payment_status) {
            (Some(t), Some(s)) => Some(format!("{t}/{s}")),
            (Some(x), None) | (None, Some(x)) => Some(x.clone()),
            (None, None) => None,
        };
        let draft = Draft {
            id: Some(id.clone()),
            time: transaction_date_time
                .text()
                .and_then(|t| normalize_time(&t)),
            data: PaymentData {
                livemode: None,
                unverified: None,
                payment_id: transaction_id.text(),
                merchant_reference: merchant_transaction_id.text(),
                status: map_status(
                    payment_type.as_deref().unwrap_or(""),
                    payment_status.as_deref().unwrap_or(""),
                    reference_status.text().as_deref(),
                ),
                amount_minor,
                currency,
                method: payment_method.text().map(|m| m.to_ascii_lowercase()),
                provider_event_type,
                raw: raw_checked(text),
            },
            subject: Subject::Payment,
        };
        Ok(Accepted {
            raw_forward: None,
            draft,
            ack: ack(self.ack_status_code, &id),
        })
    }
}

/// The body is one base64 line; tolerate the line breaks some senders wrap it with.
///
/// The common body (one line, maybe a trailing newline) is decoded straight from the request
/// bytes in one pass: a base64 decode that succeeds proves the bytes ASCII, so neither a
/// UTF-8 check nor a whitespace-free copy is needed. Anything else (wrapped lines, junk)
/// takes the general path, which decides the rejection exactly as before.
fn decode_body(body: &[u8]) -> Result<Vec<u8>, Rejection> {
    let line = body.trim_ascii();
    if !line.is_empty() {
        if let Some(bytes) = decode_b64_bytes(line) {
            return Ok(bytes);
        }
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| Rejection::MalformedBody("body must be base64 text".into()))?;
    // ASCII whitespace never occurs inside a multi-byte UTF-8 sequence, so dropping those
    // bytes keeps the text valid UTF-8 and equals dropping those chars.
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err(Rejection::MalformedBody(
            "body is empty (expected base64 ciphertext)".into(),
        ));
    }
    std::str::from_utf8(&compact)
        .ok()
        .and_then(decode_b64)
        .ok_or_else(|| Rejection::MalformedBody("body is not base64".into()))
}

/// SIBS checks the ack's fields, in this order, and the echoed id.
fn ack(status_code: &str, notification_id: &str) -> Reply {
    let id = serde_json::Value::String(notification_id.to_owned());
    Reply::json(
        200,
        format!(r#"{{"statusCode":"{status_code}","statusMsg":"Success","notificationID":{id}}}"#),
    )
}

/// Case and spacing vary between SIBS doc versions (`InProcessing`, `IN PROCESSING`).
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn lookup_folded(table: Table, value: &str) -> Option<Status> {
    let value = fold(value);
    table
        .iter()
        .find(|(v, _)| fold(v) == value)
        .map(|(_, s)| *s)
}

/// The outcome (`paymentStatus`) decides unless it is a success; a success means what the
/// operation (`paymentType`) did. A Multibanco reference (`PREF`) notification says
/// `Success` when the reference was issued as well as when it was paid: only a
/// `paymentReference.status` of `PAID` (or none, as before SIBS sent one) is money.
fn map_status(payment_type: &str, payment_status: &str, reference: Option<&str>) -> Status {
    if fold(payment_status) != "success" {
        return lookup_folded(OUTCOMES, payment_status).unwrap_or(Status::Unknown);
    }
    match lookup_folded(SUCCESSES, payment_type) {
        Some(Status::Succeeded) if fold(payment_type) == "pref" => match reference {
            None | Some("PAID") => Status::Succeeded,
            Some(_) => Status::Pending,
        },
        Some(s) => s,
        None => Status::Unknown,
    }
}

status_table! {
    /// `paymentStatus` other than `Success`. `Timeout` is a possible communication error
    /// between SIBS and the issuer: the payment may have gone through, so it is not a failure.
    OUTCOMES, readme: "sibs.outcome", column: "SIBS `paymentStatus`",
    [
        ("Pending", Pending, PAYMENT_STATUS),
        ("InProcessing", Pending, PAYMENT_STATUS),
        ("Partial", Pending, PAYMENT_STATUS),
        ("Timeout", Pending, PAYMENT_STATUS),
        ("Declined", Failed, PAYMENT_STATUS),
        ("Error", Failed, PAYMENT_STATUS),
        ("Expired", Failed, PAYMENT_STATUS),
    ]
}

status_table! {
    /// `paymentStatus` `Success`: by the operation, `paymentType`.
    SUCCESSES, readme: "sibs.success", column: "`Success` with SIBS `paymentType`",
    [
        ("PURS", Succeeded, PAYMENT_TYPE),
        ("CAPT", Succeeded, PAYMENT_TYPE),
        ("PREF", Succeeded, REFERENCE),
        ("AUTH", Authorized, PAYMENT_TYPE),
        ("RFND", Refunded, PAYMENT_TYPE),
        ("CNCL", Cancelled, ANNULMENT),
    ]
}

#[cfg(test)]
mod src {
    use crate::providers::tables::Source;
    pub const PAYMENT_STATUS: Source = Source {
        title: "SIBS Gateway: Webhooks (notification paymentStatus)",
        url: "https://docs.pay.sibs.com/portugal/sibs-gateway/notifications/webhooks",
    };
    pub const PAYMENT_TYPE: Source = Source {
        title: "SIBS Gateway: Webhooks (notification paymentType)",
        url: "https://docs.pay.sibs.com/portugal/sibs-gateway/notifications/webhooks",
    };
    pub const REFERENCE: Source = Source {
        title: "qub-it/fenixedu-treasury-base SibsPayWebhookNotificationWrapper.java (paymentReference.status PAID)",
        url: "https://github.com/qub-it/fenixedu-treasury-base/blob/master/src/main/java/org/fenixedu/treasury/services/payments/sibspay/model/SibsPayWebhookNotificationWrapper.java",
    };
    pub const ANNULMENT: Source = Source {
        title: "qub-it/fenixedu-treasury-base SibsPayWebhookNotificationWrapper.java (annulments notified as Success)",
        url: "https://github.com/qub-it/fenixedu-treasury-base/blob/master/src/main/java/org/fenixedu/treasury/services/payments/sibspay/model/SibsPayWebhookNotificationWrapper.java",
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_statuses() {
        let m = |t, s| map_status(t, s, None);
        assert_eq!(m("PURS", "Success"), Status::Succeeded);
        assert_eq!(m("CAPT", "Success"), Status::Succeeded);
        assert_eq!(m("PREF", "Success"), Status::Succeeded);
        assert_eq!(m("AUTH", "Success"), Status::Authorized);
        assert_eq!(m("RFND", "Success"), Status::Refunded);
        assert_eq!(m("CNCL", "Success"), Status::Cancelled);
        assert_eq!(m("PURS", "Declined"), Status::Failed);
        assert_eq!(m("RFND", "Error"), Status::Failed);
        assert_eq!(m("PURS", "Timeout"), Status::Pending);
        assert_eq!(m("PURS", "Pending"), Status::Pending);
        assert_eq!(m("PURS", "InProcessing"), Status::Pending);
        assert_eq!(m("PURS", "IN PROCESSING"), Status::Pending);
        assert_eq!(m("PURS", "Partial"), Status::Pending);
        assert_eq!(m("XXXX", "Success"), Status::Unknown);
        assert_eq!(m("PURS", "Whatever"), Status::Unknown);
        // A reference issued, not paid.
        assert_eq!(
            map_status("PREF", "Success", Some("UNPAID")),
            Status::Pending
        );
        assert_eq!(
            map_status("PREF", "Success", Some("PAID")),
            Status::Succeeded
        );
        assert_eq!(
            map_status("PURS", "Success", Some("UNPAID")),
            Status::Succeeded
        );
    }

    /// Every row through `accept`, with the values where SIBS puts them.
    #[test]
    fn every_row_through_accept() {
        let sibs = Sibs {
            keys: vec![],
            ack_status_code: "200",
        };
        let req = Request::new("POST", "/h", 0);
        let run = |t: &str, s: &str| {
            let body =
                serde_json::json!({"notificationID": "n", "paymentType": t, "paymentStatus": s});
            sibs.accept(body.to_string().as_bytes(), &req)
                .expect("accepted")
                .draft
                .data
                .status
        };
        for (value, status) in OUTCOMES {
            assert_eq!(run("PURS", value), *status, "{value}");
        }
        for (value, status) in SUCCESSES {
            assert_eq!(run(value, "Success"), *status, "{value}");
        }
    }

    #[test]
    fn body_tolerates_wrapping_and_rejects_junk() {
        assert_eq!(decode_body(b"aGVs\r\nbG8=\n"), Ok(b"hello".to_vec()));
        assert!(matches!(
            decode_body(b"not base64!"),
            Err(Rejection::MalformedBody(_))
        ));
        assert!(matches!(
            decode_body(b"  \n"),
            Err(Rejection::MalformedBody(_))
        ));
        assert!(matches!(
            decode_body(&[0xff, 0xfe]),
            Err(Rejection::MalformedBody(_))
        ));
    }

    /// The body decoding as it was before the one-line fast path: the reference.
    fn decode_body_reference(body: &[u8]) -> Result<Vec<u8>, Rejection> {
        let text: String = std::str::from_utf8(body)
            .map_err(|_| Rejection::MalformedBody("body must be base64 text".into()))?
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if text.is_empty() {
            return Err(Rejection::MalformedBody(
                "body is empty (expected base64 ciphertext)".into(),
            ));
        }
        decode_b64(&text).ok_or_else(|| Rejection::MalformedBody("body is not base64".into()))
    }

    /// Every body of up to 4 tokens (base64 text, padding, ASCII and Unicode whitespace,
    /// invalid UTF-8) decodes, or is refused with the same message, as the reference does.
    #[test]
    fn body_decoding_matches_the_reference() {
        let tokens: [&[u8]; 10] = [
            b"aGVs",
            b"bG8",
            b"=",
            b"A",
            b" ",
            b"\r\n",
            b"\x0b",
            b"\xff",
            "\u{a0}".as_bytes(),
            b"%",
        ];
        let mut bodies: Vec<Vec<u8>> = vec![Vec::new()];
        let mut last = bodies.clone();
        for _ in 0..4 {
            last = last
                .iter()
                .flat_map(|b| {
                    tokens.iter().map(move |t| {
                        let mut b = b.clone();
                        b.extend_from_slice(t);
                        b
                    })
                })
                .collect();
            bodies.extend(last.iter().cloned());
        }
        for body in &bodies {
            assert_eq!(decode_body(body), decode_body_reference(body), "{body:?}");
        }
    }

    #[test]
    fn ack_field_order_and_escaping() {
        assert_eq!(
            ack("200", "abc").body,
            r#"{"statusCode":"200","statusMsg":"Success","notificationID":"abc"}"#
        );
        assert_eq!(
            ack("000", "a\"b").body,
            r#"{"statusCode":"000","statusMsg":"Success","notificationID":"a\"b"}"#
        );
    }
}
