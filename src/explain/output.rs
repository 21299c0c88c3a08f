//! The answer types: what `explain`, `decrypt_sibs` and `parse_raw_http` return, serialized
//! as the JSON the browser API hands out (`www/pkg/edgehook.d.ts` describes the same).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::Rejection;
use crate::providers::Reply;

use super::encoding::content_notes;

/// The explainer's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// `valid` (accepted), `handshake` (answered) or `invalid` (rejected).
    pub verdict: &'static str,
    /// The rejection when invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorOut>,
    /// What the gateway answers the sender.
    pub response: ReplyOut,
    /// The route's provider, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The route path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The clock used (Unix ms).
    pub now_ms: i64,
    /// Each step, in pipeline order.
    pub steps: Vec<Step>,
    /// Most likely reasons for a failure, in plain words.
    pub hints: Vec<String>,
    /// The matched key's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The CloudEvent the gateway forwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Box<RawValue>>,
    /// The same CloudEvent as exact JSON text (numbers and key order as forwarded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_json: Option<String>,
    /// The ack the gateway sends once the event is queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack: Option<ReplyOut>,
    /// The request the queue consumer sends to the origin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward: Option<ForwardOut>,
    /// The decrypted payload (SIBS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<Bytes>,
}

/// A rejection: code, message and HTTP status.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorOut {
    /// Stable code.
    pub code: &'static str,
    /// Human message (never a secret or an expected value).
    pub message: String,
    /// HTTP status.
    pub status: u16,
}

impl From<&Rejection> for ErrorOut {
    fn from(r: &Rejection) -> Self {
        Self {
            code: r.code(),
            message: r.to_string(),
            status: r.status(),
        }
    }
}

/// A response.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyOut {
    /// HTTP status.
    pub status: u16,
    /// Content type.
    pub content_type: String,
    /// Body.
    pub body: String,
}

impl From<&Reply> for ReplyOut {
    fn from(r: &Reply) -> Self {
        Self {
            status: r.status,
            content_type: r.content_type.into(),
            body: r.body.clone(),
        }
    }
}

/// The origin request preview.
#[derive(Debug, Clone, Serialize)]
pub struct ForwardOut {
    /// Target (a leading `/` is a path on the gateway's own host).
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

/// Bytes as text (when UTF-8) and base64 (always), with what is invisible in them.
#[derive(Debug, Clone, Serialize)]
pub struct Bytes {
    /// UTF-8 text, or `null` when the bytes are not UTF-8.
    pub text: Option<String>,
    /// Exact bytes.
    pub base64: String,
    /// Length in bytes.
    pub length: usize,
    /// Invisible characters and other traps (CR, trailing newline, `\/`, BOM...).
    pub notes: Vec<String>,
}

impl Bytes {
    pub(super) fn of(b: &[u8]) -> Self {
        Self {
            text: std::str::from_utf8(b).ok().map(str::to_owned),
            base64: STANDARD.encode(b),
            length: b.len(),
            notes: content_notes(b),
        }
    }
}

/// One pipeline step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `config`, `route`, `request`, `handshake`, `headers`, `signature`, `decrypt`,
    /// `timestamp`, `normalize`.
    pub id: &'static str,
    /// Heading.
    pub title: String,
    /// `ok`, `fail`, `skipped` or `info`.
    pub status: &'static str,
    /// One line.
    pub summary: String,
    /// Label/value pairs.
    pub fields: Vec<(String, String)>,
    /// Signature details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<MacOut>,
    /// Timestamp details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<TimeOut>,
    /// Decryption details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypt: Option<DecryptOut>,
}

impl Step {
    pub(super) fn new(
        id: &'static str,
        title: &str,
        status: &'static str,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            id,
            title: title.into(),
            status,
            summary: summary.into(),
            fields: Vec::new(),
            mac: None,
            timestamp: None,
            decrypt: None,
        }
    }
    pub(super) fn field(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((label.into(), value.into()));
        self
    }
}

/// A MAC check, shown in full.
#[derive(Debug, Clone, Serialize)]
pub struct MacOut {
    /// `HMAC-SHA-256`...
    pub algorithm: &'static str,
    /// How the received signature is written (`hex`, `base64`...).
    pub encoding: &'static str,
    /// The exact signed content.
    pub content: Bytes,
    /// The key is appended to the content before the digest (Lyra form).
    pub append_key: bool,
    /// Received signatures, re-encoded as on the wire.
    pub received: Vec<String>,
    /// What each candidate key computes.
    pub computed: Vec<KeyOut>,
    /// Index of the key that matched.
    pub matched: Option<usize>,
}

/// One candidate key's signature.
#[derive(Debug, Clone, Serialize)]
pub struct KeyOut {
    /// Key label (key id, position).
    pub label: String,
    /// Computed signature in the wire encoding.
    pub signature: String,
    /// Equals a received signature.
    pub matched: bool,
}

/// The timestamp check.
#[derive(Debug, Clone, Serialize)]
pub struct TimeOut {
    /// Signed time (Unix s).
    pub signed_at: i64,
    /// Signed time, RFC 3339.
    pub signed_at_iso: String,
    /// The clock (Unix s).
    pub now_s: i64,
    /// The clock, RFC 3339.
    pub now_iso: String,
    /// `now - signed_at`; negative when the timestamp is in the future.
    pub age_s: i64,
    /// The route's tolerance.
    pub tolerance_s: u64,
    /// Within tolerance.
    pub within: bool,
    /// The gateway got this far (the timestamp is checked only after the signature).
    pub checked: bool,
}

/// The decryption.
#[derive(Debug, Clone, Serialize)]
pub struct DecryptOut {
    /// IV length in bytes.
    pub iv_length: usize,
    /// Tag length in bytes.
    pub tag_length: usize,
    /// Ciphertext length in bytes.
    pub ciphertext_length: usize,
    /// Each key's label and length.
    pub keys: Vec<(String, usize)>,
    /// Index of the key that opened it.
    pub matched: Option<usize>,
}
