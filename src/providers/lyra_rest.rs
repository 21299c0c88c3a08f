//! Lyra REST API IPN (PayZen, Systempay, Sogecommerce, Lyra Collect: one platform).
//!
//! A form POST whose `kr-answer` field is the JSON payment and `kr-hash` its lowercase-hex
//! HMAC-SHA-256. `kr-hash-key` names the key: `password` (the REST API password; the IPN)
//! or `sha256_hmac` (the HMAC-SHA-256 key; the browser return), so both are configurable
//! and each may hold several lines during a rotation. The signed text is `kr-answer` with
//! every `\/` turned back into `/`, as Lyra's PHP SDK does: some servers escape slashes
//! after signing. Acked with `200 OK` text.

use std::borrow::Cow;

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{content_id, normalize_time, raw_checked, Draft, PaymentData, Subject};
use crate::providers::form::{self, clip, single, single_index};
use crate::providers::lyra_statuses::map_status;
use crate::providers::{
    parse_json, str_at, Accepted, Auth, Check, Provider, Reply, SignInput, Signed,
};
use crate::request::Request;
use crate::verify::{Algorithm, CryptoBackend, MacCheck};

const HASH: &str = "kr-hash";
const HASH_KEY: &str = "kr-hash-key";
const HASH_ALGORITHM: &str = "kr-hash-algorithm";
const ANSWER: &str = "kr-answer";
const ANSWER_TYPE: &str = "kr-answer-type";
const FORM: &str = "application/x-www-form-urlencoded";
/// The fields this scheme reads. Only `kr-answer` is signed (`kr-hash` is its MAC, and
/// `kr-hash-key`/`kr-hash-algorithm` choose how it is checked); any other field whose name a
/// web framework would read as one of these is refused (see [`form`]).
const KNOWN: [&str; 5] = [HASH, HASH_KEY, HASH_ALGORITHM, ANSWER, ANSWER_TYPE];
/// Top-level `kr-answer` fields that differ between deliveries of one notification (the
/// sending time), left out of the event id so a retry is the same event.
const PER_DELIVERY: [&str; 1] = ["serverDate"];

/// A configured Lyra REST route.
pub struct LyraRest {
    passwords: Vec<String>,
    hmac_keys: Vec<String>,
}

impl std::fmt::Debug for LyraRest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LyraRest {{ passwords: [{} redacted], hmac_keys: [{} redacted] }}",
            self.passwords.len(),
            self.hmac_keys.len()
        )
    }
}

/// Builds the route from the REST API password(s) (`secrets`) and/or the HMAC-SHA-256
/// key(s) (`hmac_secrets`).
pub fn configure(spec: &RouteSpec, secrets: &Secrets) -> Result<Box<dyn Provider>, ConfigError> {
    let passwords = secrets.resolve("secrets", &spec.secrets, false)?;
    let hmac_keys = secrets.resolve("hmac_secrets", &spec.hmac_secrets, false)?;
    if passwords.is_empty() && hmac_keys.is_empty() {
        return Err(ConfigError::new(
            secrets.at("secrets"),
            "lyra-rest needs the REST API password binding in secrets (IPN, kr-hash-key=password) \
             and/or the HMAC-SHA-256 key binding in hmac_secrets (browser return)",
        ));
    }
    Ok(Box::new(LyraRest {
        passwords,
        hmac_keys,
    }))
}

/// The signed bytes of a `kr-answer`: every `\/` turned back into `/`. The decoded value is
/// moved, not copied (borrowed from the body when it had no escapes), unless there is a `\/`
/// to unescape. Also says whether there was.
fn signed_answer(answer: Cow<'_, str>) -> (Cow<'_, [u8]>, bool) {
    if answer.contains("\\/") {
        (Cow::Owned(answer.replace("\\/", "/").into_bytes()), true)
    } else {
        match answer {
            Cow::Borrowed(s) => (Cow::Borrowed(s.as_bytes()), false),
            Cow::Owned(s) => (Cow::Owned(s.into_bytes()), false),
        }
    }
}

impl Provider for LyraRest {
    fn name(&self) -> &'static str {
        "lyra-rest"
    }

    fn headers(&self) -> Vec<&'static str> {
        Vec::new()
    }

    fn media_types(&self) -> &'static [&'static str] {
        &[FORM]
    }

    fn authenticate<'a>(&'a self, req: &'a Request) -> Result<Auth<'a>, Rejection> {
        let mut fields = form::fields(&req.body);
        let known = |n: &str| KNOWN.contains(&n);
        form::refuse_collisions(&fields, known, known)?;
        let hash = single(&fields, HASH)?;
        let key_kind = single(&fields, HASH_KEY)?;
        let answer_at = single_index(&fields, ANSWER)?;
        let algorithm = single(&fields, HASH_ALGORITHM)?;
        let answer_type = single(&fields, ANSWER_TYPE)?;
        let hash = hash
            .filter(|h| !h.trim().is_empty())
            .ok_or(Rejection::MissingField(HASH))?
            .trim();
        let key_kind = key_kind
            .filter(|k| !k.trim().is_empty())
            .ok_or(Rejection::MissingField(HASH_KEY))?
            .trim();
        let answer_at = answer_at
            .ok_or_else(|| Rejection::MalformedBody("missing form field kr-answer".into()))?;
        if let Some(alg) = algorithm {
            if alg.trim() != "sha256_hmac" {
                return Err(Rejection::MalformedBody(format!(
                    "kr-hash-algorithm {:?} is not supported (only sha256_hmac)",
                    clip(alg)
                )));
            }
        }
        let (keys, label) = match key_kind {
            "password" => (&self.passwords, "password"),
            "sha256_hmac" => (&self.hmac_keys, "hmac key"),
            other => {
                return Err(Rejection::MalformedBody(format!(
                    "kr-hash-key {:?} is not supported (password or sha256_hmac)",
                    clip(other)
                )))
            }
        };
        if keys.is_empty() {
            return Err(Rejection::UnknownKeyId);
        }
        let received = hex::decode(hash)
            .ok()
            .filter(|h| h.len() == 32)
            .ok_or(Rejection::MalformedSignature(HASH, "must be 64 hex digits"))?;
        let mut parsed = vec![
            (HASH_KEY.to_owned(), key_kind.to_owned()),
            (
                HASH_ALGORITHM.to_owned(),
                algorithm.unwrap_or("(absent: sha256_hmac)").to_owned(),
            ),
            (ANSWER_TYPE.to_owned(), answer_type.unwrap_or("").to_owned()),
            (HASH.to_owned(), hash.to_owned()),
        ];
        // The answer is the one large field: moved out of the parsed form, not copied.
        let answer = fields
            .get_mut(answer_at)
            .map(|(_, v)| std::mem::take(v))
            .unwrap_or_default();
        let (signed, unescaped) = signed_answer(answer);
        if unescaped {
            parsed.push((
                "kr-answer".to_owned(),
                "escaped slashes \\/ unescaped before hashing".to_owned(),
            ));
        }
        Ok(Auth {
            key_labels: (1..=keys.len()).map(|i| format!("{label} {i}")).collect(),
            check: Check::Mac(MacCheck {
                algorithm: Algorithm::HmacSha256,
                content: vec![signed],
                append_key: false,
                keys: keys.iter().map(|k| k.as_bytes()).collect(),
                received: vec![received],
            }),
            signed_at: None,
            parsed,
        })
    }

    fn sign(&self, input: &SignInput<'_>, crypto: &dyn CryptoBackend) -> Result<Signed, Rejection> {
        let answer = std::str::from_utf8(input.payload)
            .map_err(|_| Rejection::MalformedBody("kr-answer must be UTF-8 JSON".into()))?;
        let (key, kind) = match (self.passwords.first(), self.hmac_keys.first()) {
            (Some(p), _) => (p, "password"),
            (None, Some(h)) => (h, "sha256_hmac"),
            (None, None) => return Err(Rejection::UnknownKeyId),
        };
        let signed = answer.replace("\\/", "/");
        let mac = crypto.mac(Algorithm::HmacSha256, key.as_bytes(), &[signed.as_bytes()]);
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair(HASH_ALGORITHM, "sha256_hmac")
            .append_pair(HASH_KEY, kind)
            .append_pair(ANSWER_TYPE, "V4/Payment")
            .append_pair(ANSWER, answer)
            .append_pair(HASH, &hex::encode(mac))
            .finish();
        Ok(Signed {
            headers: vec![("content-type".into(), FORM.into())],
            body: body.into_bytes(),
        })
    }

    fn accept(&self, payload: &[u8], _req: &Request) -> Result<Accepted, Rejection> {
        let fields = form::fields(payload);
        let answer = single(&fields, ANSWER)?
            .ok_or_else(|| Rejection::MalformedBody("missing form field kr-answer".into()))?;
        let mut v = parse_json(answer.as_bytes())
            .map_err(|_| Rejection::MalformedBody("kr-answer is not JSON".into()))?;
        if !v.is_object() {
            return Err(Rejection::MalformedBody(
                "kr-answer is not a JSON object".into(),
            ));
        }
        let tx = "/transactions/0";
        // Required under its documented name: the event id is built on it.
        let uuid = str_at(&v, &format!("{tx}/uuid"))
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                Rejection::MalformedBody("kr-answer has no transactions[0].uuid".into())
            })?;
        let detailed = str_at(&v, &format!("{tx}/detailedStatus"));
        let tx_status = str_at(&v, &format!("{tx}/status"));
        let operation = str_at(&v, &format!("{tx}/operationType"));
        let order_status = str_at(&v, "/orderStatus");
        let credit = operation.as_deref() == Some("CREDIT");
        let status = map_status(
            order_status.as_deref(),
            tx_status.as_deref(),
            detailed.as_deref(),
            credit,
        );
        // The order total is what the merchant sold; a refund is about its own amount.
        let (amount_minor, currency) = if credit {
            (
                int_at(&v, &format!("{tx}/amount")),
                str_at(&v, &format!("{tx}/currency")),
            )
        } else {
            (
                int_at(&v, "/orderDetails/orderTotalAmount")
                    .or_else(|| int_at(&v, &format!("{tx}/amount"))),
                str_at(&v, "/orderDetails/orderCurrency")
                    .or_else(|| str_at(&v, &format!("{tx}/currency"))),
            )
        };
        let livemode = match str_at(&v, "/orderDetails/mode").as_deref() {
            Some("PRODUCTION") => Some(true),
            Some("TEST") => Some(false),
            _ => None,
        };
        let provider_event_type = match (&operation, &detailed) {
            (Some(o), Some(d)) => Some(format!("{o}/{d}")),
            _ => detailed.or(order_status),
        };
        let time = str_at(&v, "/serverDate").and_then(|t| normalize_time(&t));
        // The id: the transaction and a digest of the signed answer without its sending
        // time, so a retry is the same event and any other change (a new status, an amount
        // changed in the Back Office) is a new one. serde_json's map is ordered, so the
        // serialization is canonical.
        if let Some(o) = v.as_object_mut() {
            for k in PER_DELIVERY {
                o.remove(k);
            }
        }
        let id = content_id(
            &uuid,
            serde_json::to_string(&v).unwrap_or_default().as_bytes(),
        );
        let draft = Draft {
            id: Some(id),
            time,
            data: PaymentData {
                livemode,
                unverified: None,
                merchant_reference: str_at(&v, "/orderDetails/orderId").filter(|s| !s.is_empty()),
                payment_id: Some(uuid),
                status,
                amount_minor,
                currency: currency.map(|c| c.to_ascii_uppercase()),
                method: str_at(&v, &format!("{tx}/paymentMethodType"))
                    .map(|m| m.to_ascii_lowercase()),
                provider_event_type,
                raw: raw_checked(answer),
            },
            subject: Subject::Payment,
        };
        // A raw forward carries the answer, its MAC and how to check it, re-encoded, and
        // nothing else the body held (`kr-answer-type` is not signed either).
        let mut forward = Vec::with_capacity(4);
        for name in [HASH_ALGORITHM, HASH_KEY, HASH, ANSWER] {
            if let Some(value) = single(&fields, name)? {
                forward.push((name, value));
            }
        }
        Ok(Accepted {
            raw_forward: Some(form::rebuild(forward)),
            draft,
            ack: Reply::text(200, "OK"),
        })
    }

    fn tells_livemode(&self) -> bool {
        true
    }
}

/// An integer amount (minor units) sent as a JSON number or a digit string.
fn int_at(v: &serde_json::Value, pointer: &str) -> Option<i64> {
    match v.pointer(pointer)? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_unescaped_only_when_needed() {
        let (b, u) = signed_answer(Cow::Borrowed(r#"{"a":"V4\/P\\/x"}"#));
        assert_eq!((b.as_ref(), u), (br#"{"a":"V4/P\/x"}"#.as_slice(), true));
        let (b, u) = signed_answer(Cow::Borrowed("{}"));
        assert!(matches!(b, Cow::Borrowed(b"{}")) && !u);
        let (b, u) = signed_answer(Cow::Owned("a\\b/".into()));
        assert!(matches!(b, Cow::Owned(_)) && !u);
        assert_eq!(b.as_ref(), b"a\\b/");
    }

    #[test]
    fn amounts_are_integers() {
        let v = serde_json::json!({"a": 990, "b": "1200", "c": 9.5});
        assert_eq!(int_at(&v, "/a"), Some(990));
        assert_eq!(int_at(&v, "/b"), Some(1200));
        assert_eq!(int_at(&v, "/c"), None);
    }
}
