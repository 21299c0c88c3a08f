//! The normalized event: a CloudEvents 1.0 envelope around payment fields every provider
//! maps into, with the provider's original payload kept verbatim in `data.raw`.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// The normalized event's schema version, sent as the CloudEvents extension attribute
/// `schemaversion`. It changes when a status word, an id or an amount can mean something
/// else than before for the same provider message, so an origin can tell which rules made
/// an event; CHANGELOG.md names each change. Events without the attribute are version 1.
pub const SCHEMA_VERSION: u32 = 2;

/// The shared status vocabulary. Every provider maps its own statuses into these, each word
/// defined by what happened to the money and what the merchant must do, so the word alone
/// says whether to ship, act or wait, whatever the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The outcome is not known yet: it may still succeed or fail. Wait; do not ship.
    Pending,
    /// The money is reserved, not taken, and only the merchant's capture or validation takes
    /// it (or lets the reservation lapse). Act.
    Authorized,
    /// Paid, or captured or scheduled for capture by the provider itself: nothing is left
    /// for the merchant to do to get the money. Ship.
    Succeeded,
    /// A check without money (a card or account verification, a token saved without a
    /// payment) was accepted: nothing was charged and nothing will be captured.
    Verified,
    /// Declined, refused, errored or expired: no money was taken by this attempt.
    Failed,
    /// Cancelled, voided or abandoned before money was taken.
    Cancelled,
    /// Money went back to the payer (fully or partly; `amount_minor` is the refund's).
    Refunded,
    /// The payer's bank disputed or reversed the payment: the money is, or may be, taken back.
    Chargeback,
    /// Not a status the provider documents for this object, or not a payment event at all:
    /// see `provider_event_type` and `raw`. Never a guess.
    Unknown,
}

impl Status {
    /// The word used in `type` (`payment.<word>`) and `data.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Succeeded => "succeeded",
            Self::Verified => "verified",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
            Self::Chargeback => "chargeback",
            Self::Unknown => "unknown",
        }
    }
}

/// What the event is about: the prefix of `type`. A payout moves the merchant's money to a
/// third party, so its `succeeded` must not read as a customer's payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Subject {
    /// A customer's payment, its refunds, captures and disputes (`payment.<status>`).
    #[default]
    Payment,
    /// Money paid out by the merchant (`payout.<status>`).
    Payout,
}

impl Subject {
    /// The `type` prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Payout => "payout",
        }
    }
}

/// Payment fields of the normalized event. Absent facts are `null`, never guessed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentData {
    /// The provider's id of the payment / transaction.
    pub payment_id: Option<String>,
    /// The merchant's own order reference, as sent to the provider.
    pub merchant_reference: Option<String>,
    /// The shared status.
    pub status: Status,
    /// Amount in minor units (cents); integers only.
    pub amount_minor: Option<i64>,
    /// ISO 4217 alphabetic currency code.
    pub currency: Option<String>,
    /// Payment method as the provider names it (`card`, `mbway`...), lower-cased.
    pub method: Option<String>,
    /// The provider's own event or status name, for what the vocabulary flattens.
    pub provider_event_type: Option<String>,
    /// Live (`true`) or test (`false`) as something signed says (Stripe's `livemode`, Lyra's
    /// `vads_ctx_mode` / `orderDetails.mode`, FedaPay's labelled secret); `null` where nothing
    /// signed says. A test key is usually less guarded than a live one: an origin that ships
    /// goods should act on `true` only, or the route should set `live_only`.
    #[serde(default)]
    pub livemode: Option<bool>,
    /// The provider's payload, verbatim JSON (form payloads as a JSON object of the signed
    /// fields).
    pub raw: Box<RawValue>,
    /// Values the sender sent outside the signature (generic-hmac's `id_header` and
    /// `event_header` when the template does not sign them), kept for the origin's logs and
    /// named for what they are: nothing above is derived from them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<std::collections::BTreeMap<String, String>>,
}

/// A CloudEvents 1.0 structured-mode event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// Always `1.0`.
    pub specversion: String,
    /// [`SCHEMA_VERSION`] of the rules that made the event (a CloudEvents extension
    /// attribute); 1 for events written before the attribute existed.
    #[serde(default = "schema_v1")]
    pub schemaversion: u32,
    /// The provider's event id, or a stable hash of the payload when it has none.
    pub id: String,
    /// `edgehook/<route path>`.
    pub source: String,
    /// `payment.<status>` (`payout.<status>` for payouts).
    #[serde(rename = "type")]
    pub kind: String,
    /// When the provider says it happened (RFC 3339, UTC), else when it was received.
    pub time: String,
    /// Always `application/json`.
    pub datacontenttype: String,
    /// The provider module name (`worldline`, `sibs`...).
    pub provider: String,
    /// The payment fields.
    pub data: PaymentData,
}

/// What a provider module extracts; the gateway completes it into an [`Event`].
#[derive(Debug, Clone)]
pub struct Draft {
    /// Provider event id, if it has one.
    pub id: Option<String>,
    /// Provider event time, already RFC 3339 UTC.
    pub time: Option<String>,
    /// The payment fields.
    pub data: PaymentData,
    /// Payment or payout: the `type` prefix.
    pub subject: Subject,
}

fn schema_v1() -> u32 {
    1
}

impl Event {
    /// Completes a draft: fills the envelope, the fallback id and time.
    pub fn from_draft(
        draft: Draft,
        provider: &str,
        route_path: &str,
        payload: &[u8],
        now_ms: i64,
    ) -> Self {
        let id = draft
            .id
            .filter(|id| !id.is_empty())
            .map(deliverable_id)
            .unwrap_or_else(|| stable_id(provider, payload));
        Self {
            specversion: "1.0".into(),
            schemaversion: SCHEMA_VERSION,
            id,
            source: format!("edgehook{route_path}"),
            kind: format!("{}.{}", draft.subject.as_str(), draft.data.status.as_str()),
            time: draft.time.unwrap_or_else(|| rfc3339_from_ms(now_ms)),
            datacontenttype: "application/json".into(),
            provider: provider.into(),
            data: draft.data,
        }
    }
}

/// The longest event id carried as it is: ids travel in HTTP headers (`webhook-id`) and
/// key the dedup store, and no provider's own ids come near it.
pub const MAX_ID_LEN: usize = 200;

/// Bytes of an id that are percent-encoded: everything a header value cannot carry or
/// would trim (controls, space, non-ASCII), and `%` itself so the encoding stays one-to-one.
const ID_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b' ').add(b'%');

/// An id every delivery attempt can carry: a signed id with CR/LF/NUL, spaces or non-ASCII
/// characters is percent-encoded (one-to-one, so distinct ids stay distinct), and one longer
/// than [`MAX_ID_LEN`] once encoded becomes a digest of it. A genuine event is never refused
/// for its id's characters, and none fails every attempt for them.
pub fn deliverable_id(id: String) -> String {
    // The usual id (printable ASCII, short) is kept as is without running the encoder,
    // which measured as a tenth of an accepted request's CPU in workerd (issue 15).
    if id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic() && b != b'%') {
        return id;
    }
    let encoded: std::borrow::Cow<'_, str> =
        percent_encoding::utf8_percent_encode(&id, ID_ESCAPED).into();
    if encoded.len() <= MAX_ID_LEN {
        return match encoded {
            std::borrow::Cow::Borrowed(_) => id,
            std::borrow::Cow::Owned(e) => e,
        };
    }
    format!("sha256-{}", hex::encode(Sha256::digest(id.as_bytes())))
}

/// A stable id for providers without one: the same payload always gets the same id, so
/// retries dedup at the edge and at the origin.
pub fn stable_id(provider: &str, payload: &[u8]) -> String {
    let digest = Sha256::digest(payload);
    format!("{provider}-{}", hex::encode(&digest[..16]))
}

/// An id for an event that the provider identifies by an object (`head`: a transaction
/// uuid) plus its signed content: a genuine second notification about the same object (a
/// Back Office amount change) is a new event, a retry of the same one is not. `content`
/// must hold only signed bytes, and leave out what changes from one delivery of an event to
/// the next (Lyra's `vads_url_check_src=RETRY`, REST `serverDate`).
pub fn content_id(head: &str, content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    format!("{head}:{}", hex::encode(&digest[..12]))
}

/// Wraps JSON text as a raw value, or the text as a JSON string when it is not strict JSON
/// (`RawValue` alone lets through numbers no parser can hold, like `7e7777`, which would
/// make the forwarded event unreadable).
pub fn raw_json(text: &str) -> Box<RawValue> {
    crate::json::check(text.as_bytes())
        .ok()
        .and_then(|()| RawValue::from_string(text.to_owned()).ok())
        .unwrap_or_else(|| {
            let quoted = serde_json::to_string(text).unwrap_or_else(|_| "null".into());
            RawValue::from_string(quoted).unwrap_or_else(|_| null_raw())
        })
}

/// [`raw_json`] for text that [`crate::json::parse`] has already accepted: the strict check
/// is not run a second time on the hot path (only `RawValue`'s own syntax scan remains).
pub fn raw_checked(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_owned()).unwrap_or_else(|_| raw_json(text))
}

/// A raw JSON value from anything serializable.
pub fn raw_from<T: Serialize>(value: &T) -> Box<RawValue> {
    serde_json::to_string(value)
        .ok()
        .and_then(|s| RawValue::from_string(s).ok())
        .unwrap_or_else(null_raw)
}

fn null_raw() -> Box<RawValue> {
    // "null" is valid JSON; this cannot fail, and if it ever did we still return a value.
    RawValue::from_string("null".into()).unwrap_or_else(|_| Box::<RawValue>::default())
}

/// RFC 3339 UTC with milliseconds from Unix milliseconds.
pub fn rfc3339_from_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".into())
}

/// Parses the timestamp forms providers send (RFC 3339, ISO 8601 with `+0100` offsets,
/// naive UTC, Lyra's `YYYYMMDDHHMMSS`) and returns Unix milliseconds.
///
/// Every form is rewritten into RFC 3339 and read by chrono's RFC 3339 parser: chrono's
/// strftime-pattern parser (`parse_from_str`) cost the worker 12.5 KiB of gzipped wasm for
/// what is a fixed set of layouts (BENCHMARKS.md, 3e). The test below checks the rewrite
/// against the strftime patterns it replaces.
pub fn parse_time_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    chrono::DateTime::parse_from_rfc3339(&as_rfc3339(s)?)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// `s` in RFC 3339 layout: a missing offset is UTC, a `+hhmm` offset gains its colon.
fn as_rfc3339(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() == 14 && b.iter().all(u8::is_ascii_digit) {
        let d = |r: std::ops::Range<usize>| s.get(r).unwrap_or_default();
        return Some(format!(
            "{}-{}-{}T{}:{}:{}Z",
            d(0..4),
            d(4..6),
            d(6..8),
            d(8..10),
            d(10..12),
            d(12..14)
        ));
    }
    // The time starts after the date's `T`; an offset sign can only follow it.
    let t = s.get(10..)?;
    if !s.is_char_boundary(10) || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    if t.ends_with(['Z', 'z']) {
        return Some(s.to_owned());
    }
    match t.rfind(['+', '-']) {
        None => Some(format!("{s}Z")),
        Some(i) => {
            let (head, off) = s.split_at(10 + i);
            let digits = off.get(1..).unwrap_or_default();
            if digits.len() == 4 && digits.bytes().all(|c| c.is_ascii_digit()) {
                Some(format!(
                    "{head}{}{}:{}",
                    &off[..1],
                    &digits[..2],
                    &digits[2..]
                ))
            } else {
                Some(s.to_owned())
            }
        }
    }
}

/// Normalizes a provider timestamp to RFC 3339 UTC; `None` when unparseable.
pub fn normalize_time(s: &str) -> Option<String> {
    parse_time_ms(s).map(rfc3339_from_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(
            normalize_time("2017-02-02T11:24:14.040+0100").as_deref(),
            Some("2017-02-02T10:24:14.040Z")
        );
        assert_eq!(
            normalize_time("2024-05-07T14:49:55.887Z").as_deref(),
            Some("2024-05-07T14:49:55.887Z")
        );
        assert_eq!(
            normalize_time("20170129130025").as_deref(),
            Some("2017-01-29T13:00:25.000Z")
        );
        assert_eq!(normalize_time("yesterday"), None);
    }

    /// The strftime-pattern parser `parse_time_ms` used before; the rewrite must agree.
    fn by_patterns(s: &str) -> Option<i64> {
        let s = s.trim();
        if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
            return Some(d.timestamp_millis());
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
            if let Ok(d) = chrono::DateTime::parse_from_str(s, fmt) {
                return Some(d.timestamp_millis());
            }
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y%m%d%H%M%S"] {
            if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
                return Some(d.and_utc().timestamp_millis());
            }
        }
        None
    }

    #[test]
    fn rfc3339_rewrite_agrees_with_the_strftime_patterns() {
        let dates = [
            "2017-02-02",
            "2024-02-29",
            "1999-12-31",
            "2023-02-29",
            "2024-13-01",
        ];
        let times = ["11:24:14", "00:00:00", "23:59:59", "24:00:00", "11:24"];
        let fracs = ["", ".0", ".040", ".887123", ".123456789"];
        let offs = [
            "", "Z", "z", "+0100", "-0530", "+01:00", "-00:00", "+01", "+1", "+01000",
        ];
        let mut n = 0;
        for d in dates {
            for t in times {
                for f in fracs {
                    for o in offs {
                        let s = format!("{d}T{t}{f}{o}");
                        assert_eq!(parse_time_ms(&s), by_patterns(&s), "{s}");
                        n += 1;
                    }
                }
            }
        }
        for s in [
            "20170129130025",
            "20240229000000",
            "20231301000000",
            " 2024-05-07T14:49:55.887Z ",
            "2024-05-07 14:49:55Z",
            "yesterday",
            "",
            "2024-05-07",
            "2024-05-07Té",
            "é024-05-07T14:49:55Z",
        ] {
            assert_eq!(parse_time_ms(s), by_patterns(s), "{s:?}");
            n += 1;
        }
        assert!(n > 1000);
        // Stricter by design: `%S` took one digit, so 13 digits read as a date.
        assert_eq!(parse_time_ms("2017012913002"), None);
    }

    #[test]
    fn raw_json_keeps_bytes_or_quotes() {
        assert_eq!(raw_json("{\"a\": 1}").get(), "{\"a\": 1}");
        assert_eq!(raw_json("not json").get(), "\"not json\"");
        // Regression (fuzz, gateway target): an out-of-range number is kept as text.
        assert_eq!(raw_json("7777e7777").get(), "\"7777e7777\"");
        let ev: serde_json::Value =
            serde_json::from_str(raw_json("7777e7777").get()).expect("parses");
        assert!(ev.is_string());
    }

    #[test]
    fn ids_are_made_deliverable() {
        assert_eq!(deliverable_id("evt_1".into()), "evt_1");
        assert_eq!(deliverable_id("a\r\nb".into()), "a%0D%0Ab");
        assert_eq!(deliverable_id("a b%".into()), "a%20b%25");
        assert_eq!(deliverable_id("\0é".into()), "%00%C3%A9");
        // one-to-one: an id that looks encoded is encoded again
        assert_ne!(deliverable_id("a%0D".into()), deliverable_id("a\r".into()));
        let long = deliverable_id("x".repeat(201));
        assert!(long.starts_with("sha256-") && long.len() == 71, "{long}");
        assert_eq!(deliverable_id("x".repeat(200)), "x".repeat(200));
        for id in [deliverable_id("\u{7f}\u{1}".into()), long] {
            assert!(id.bytes().all(|b| (0x21..0x7f).contains(&b)), "{id}");
        }
    }

    #[test]
    fn stable_id_is_stable() {
        assert_eq!(stable_id("x", b"a"), stable_id("x", b"a"));
        assert_ne!(stable_id("x", b"a"), stable_id("x", b"b"));
    }
}
