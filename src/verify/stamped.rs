//! Signature headers that carry a timestamp and one or more hex HMAC-SHA-256 signatures of
//! `"<timestamp>.<raw body>"`: Stripe `t=<unix>,v1=<hex>`, FedaPay `t=<unix>,s=<hex>`,
//! Everifin `ts=<ISO 8601>;v0=<hex>;v1=<hex>`. A scheme only describes its [`Layout`]; reading
//! the header, rejecting each malformed shape with its own code and building the
//! [`MacCheck`] are shared, so the three cannot drift apart.
//!
//! Item parsing is [`crate::verify::header_params`]: trimmed items, items without `=`
//! skipped, a signature key may repeat (one signature per active secret during a roll), the
//! timestamp may not.

use crate::error::Rejection;
use crate::event::{parse_time_ms, rfc3339_from_ms};
use crate::verify::header_params::{pairs, prefixed_body, single};
use crate::verify::{parse_unix_seconds, Algorithm, CryptoBackend, Encoding, MacCheck};

/// How the timestamp item is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Unix seconds (Stripe, FedaPay). The SDKs sign the *parsed integer*, so the signed
    /// content uses its canonical decimal form (`t=012` signs `12.`).
    UnixSeconds,
    /// An ISO 8601 / RFC 3339 UTC time (Everifin). Signed exactly as it appears in the header.
    Iso8601,
}

/// The shape of one provider's signature header.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// Header name, for lookups and rejection messages.
    pub header: &'static str,
    /// Item separator (`,` or `;`).
    pub separator: char,
    /// Key of the timestamp item (`t`, `ts`).
    pub timestamp: &'static str,
    /// How the timestamp is written.
    pub clock: Clock,
    /// Key of the signature items (`v1`, `s`), or their prefix when `numbered`.
    pub signature: &'static str,
    /// Signature keys are `signature` followed by digits (Everifin `v0`, `v1`, ...: one per
    /// secret valid at sending time, the oldest first).
    pub numbered: bool,
}

/// What a stamped header authenticates, ready for the gateway.
#[derive(Debug, Clone)]
pub struct Stamp<'a> {
    /// The MAC check of `"<timestamp>.<body>"` against every secret.
    pub check: MacCheck<'a>,
    /// The signed timestamp, Unix seconds.
    pub signed_at: i64,
    /// Every item as `("<header> <key>", value)`, for the explainer.
    pub parsed: Vec<(String, String)>,
}

impl Layout {
    fn is_signature(&self, key: &str) -> bool {
        match key.strip_prefix(self.signature) {
            Some("") => !self.numbered,
            Some(n) => self.numbered && n.bytes().all(|b| b.is_ascii_digit()),
            None => false,
        }
    }

    /// Reads a header value and prepares the check of its signatures against every secret
    /// (their UTF-8 bytes are the HMAC key, never decoded). Any secret matching any signature
    /// passes; the caller then checks `signed_at` against its tolerance.
    ///
    /// Rejections: timestamp absent, repeated or unparseable → `malformed_header` (400);
    /// no signature item at all → `malformed_header`; only items of other schemes (a Stripe
    /// header with `v0` alone) → `signature_mismatch` (401); a signature that is not hex →
    /// `malformed_signature` (401).
    pub fn read<'a>(
        &self,
        value: &'a str,
        body: &'a [u8],
        secrets: &'a [String],
    ) -> Result<Stamp<'a>, Rejection> {
        let ts = single(value, self.separator, self.timestamp)
            .map_err(|_| {
                Rejection::MalformedHeader(self.header, "timestamp appears more than once")
            })?
            .filter(|t| !t.is_empty())
            .ok_or(Rejection::MalformedHeader(self.header, "no timestamp item"))?;
        let (signed_at, prefix) = match self.clock {
            Clock::UnixSeconds => {
                let t = parse_unix_seconds(ts, self.header)?;
                (t, format!("{t}."))
            }
            Clock::Iso8601 => {
                let ms = parse_time_ms(ts).ok_or(Rejection::MalformedHeader(
                    self.header,
                    "timestamp is not an ISO 8601 UTC time",
                ))?;
                (ms.div_euclid(1000), format!("{ts}."))
            }
        };
        let items: Vec<(&str, &str)> = pairs(value, self.separator).collect();
        let sigs: Vec<&str> = items
            .iter()
            .filter(|(k, _)| self.is_signature(k))
            .map(|(_, v)| *v)
            .collect();
        if sigs.is_empty() {
            return Err(if items.iter().any(|(k, _)| *k != self.timestamp) {
                Rejection::SignatureMismatch
            } else {
                Rejection::MalformedHeader(self.header, "no signature item")
            });
        }
        let received = sigs
            .iter()
            .map(|s| Encoding::Hex.decode(s).filter(|b| !b.is_empty()))
            .collect::<Option<Vec<_>>>()
            .ok_or(Rejection::MalformedSignature(self.header, "not hex"))?;
        Ok(Stamp {
            check: MacCheck {
                algorithm: Algorithm::HmacSha256,
                content: prefixed_body(prefix, body),
                append_key: false,
                keys: secrets.iter().map(|s| s.as_bytes()).collect(),
                received,
            },
            signed_at,
            parsed: items
                .iter()
                .map(|(k, v)| (format!("{} {k}", self.header), (*v).to_owned()))
                .collect(),
        })
    }

    /// The header value a sender would attach at `now_s`, signed with `secret` (the first
    /// signature key: `v1`, `s`, `v0`).
    pub fn header_value(
        &self,
        crypto: &dyn CryptoBackend,
        secret: &str,
        now_s: i64,
        body: &[u8],
    ) -> String {
        let ts = match self.clock {
            Clock::UnixSeconds => now_s.to_string(),
            Clock::Iso8601 => rfc3339_from_ms(now_s.saturating_mul(1000)),
        };
        let content = prefixed_body(format!("{ts}."), body);
        let parts: Vec<&[u8]> = content.iter().map(|c| c.as_ref()).collect();
        let mac = crypto.mac(Algorithm::HmacSha256, secret.as_bytes(), &parts);
        let key = if self.numbered { "0" } else { "" };
        format!(
            "{}={ts}{sep}{}{key}={}",
            self.timestamp,
            self.signature,
            Encoding::Hex.encode(&mac),
            sep = self.separator
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::RustCrypto;

    /// Stripe's shape under another name.
    const UNIX: Layout = Layout {
        header: "X-Test-Signature",
        separator: ',',
        timestamp: "t",
        clock: Clock::UnixSeconds,
        signature: "v1",
        numbered: false,
    };
    /// Everifin's shape under another name.
    const ISO: Layout = Layout {
        header: "X-Test-Stamp",
        timestamp: "ts",
        separator: ';',
        signature: "v",
        clock: Clock::Iso8601,
        numbered: true,
    };

    fn secrets(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    fn mac<'a>(stamp: &'a Stamp<'a>) -> &'a MacCheck<'a> {
        &stamp.check
    }

    #[test]
    fn signature_keys() {
        assert!(UNIX.is_signature("v1"));
        assert!(!UNIX.is_signature("v0"));
        assert!(!UNIX.is_signature("v10"));
        assert!(ISO.is_signature("v0"));
        assert!(ISO.is_signature("v12"));
        assert!(!ISO.is_signature("v"));
        assert!(!ISO.is_signature("vx"));
        assert!(!ISO.is_signature("ts"));
    }

    #[test]
    fn unix_content_is_the_canonical_integer() {
        let s = secrets(&["k"]);
        let a = UNIX
            .read(" t=0012 , v1=AB, v0=cd,v1=ef ", b"{}", &s)
            .expect("ok");
        assert_eq!(a.signed_at, 12);
        assert_eq!(mac(&a).content_bytes(), b"12.{}");
        assert_eq!(mac(&a).received, vec![vec![0xab], vec![0xef]]);
        assert_eq!(a.parsed.len(), 4);
        assert_eq!(
            a.parsed[0],
            ("X-Test-Signature t".to_owned(), "0012".to_owned())
        );
    }

    #[test]
    fn iso_content_is_the_timestamp_as_sent() {
        let s = secrets(&["a", "b"]);
        let v = "ts=2024-05-07T14:49:55.887Z;\n v0=00;\n v1=ff";
        let a = ISO.read(v, b"x", &s).expect("ok");
        assert_eq!(mac(&a).content_bytes(), b"2024-05-07T14:49:55.887Z.x");
        assert_eq!(a.signed_at, 1_715_093_395);
        assert_eq!(mac(&a).keys.len(), 2);
        assert_eq!(mac(&a).received.len(), 2);
    }

    #[test]
    fn each_malformed_shape_has_its_code() {
        let s = secrets(&["k"]);
        let code = |l: &Layout, v: &str| l.read(v, b"", &s).map(|_| ()).expect_err(v).code();
        assert_eq!(code(&UNIX, "v1=ab"), "malformed_header");
        assert_eq!(code(&UNIX, "t=,v1=ab"), "malformed_header");
        assert_eq!(code(&UNIX, "t=1,t=2,v1=ab"), "malformed_header");
        assert_eq!(code(&UNIX, "t=-5,v1=ab"), "malformed_header");
        assert_eq!(code(&UNIX, "t=12a,v1=ab"), "malformed_header");
        assert_eq!(code(&UNIX, "t=1.5,v1=ab"), "malformed_header");
        assert_eq!(code(&UNIX, "t=1"), "malformed_header");
        assert_eq!(code(&UNIX, "t=1,garbage"), "malformed_header");
        assert_eq!(code(&UNIX, "t=1,v0=ab"), "signature_mismatch");
        assert_eq!(code(&UNIX, "t=1,v1=zz"), "malformed_signature");
        assert_eq!(code(&UNIX, "t=1,v1=abc"), "malformed_signature");
        assert_eq!(code(&UNIX, "t=1,v1="), "malformed_signature");
        assert_eq!(code(&UNIX, "t=1,v1=ab,v1=zz"), "malformed_signature");
        assert_eq!(code(&ISO, "v0=ab"), "malformed_header");
        assert_eq!(code(&ISO, "ts=yesterday;v0=ab"), "malformed_header");
        assert_eq!(
            code(&ISO, "ts=2024-05-07T14:49:55.887Z"),
            "malformed_header"
        );
        assert_eq!(
            code(&ISO, "ts=2024-05-07T14:49:55.887Z;v0=x"),
            "malformed_signature"
        );
    }

    #[test]
    fn header_value_round_trips() {
        let s = secrets(&["whsec_x"]);
        for layout in [UNIX, ISO] {
            let v = layout.header_value(&RustCrypto, "whsec_x", 1_700_000_000, b"{}");
            let a = layout.read(&v, b"{}", &s).expect("parses");
            assert_eq!(a.signed_at, 1_700_000_000);
            assert_eq!(mac(&a).verify(&RustCrypto), Ok(0));
        }
        assert!(ISO
            .header_value(&RustCrypto, "k", 1_700_000_000, b"")
            .starts_with("ts=2023-11-14T22:13:20.000Z;v0="));
    }
}
