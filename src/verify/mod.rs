//! Shared verification primitives: what a scheme asks to be checked, the constant-time
//! comparison, timestamp tolerance and signature encodings.

pub mod crypto;
pub mod header_params;
pub mod stamped;

use std::borrow::Cow;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use subtle::ConstantTimeEq;

use crate::error::Rejection;
pub use crypto::{Algorithm, CryptoBackend, RustCrypto};

/// A MAC check a scheme has prepared: signed content, candidate keys, received signatures.
/// Any key matching any received signature authenticates the request (key rotation and
/// senders that attach several signatures during a roll).
#[derive(Debug, Clone)]
pub struct MacCheck<'a> {
    /// The keyed digest.
    pub algorithm: Algorithm,
    /// The signed content, in pieces: borrowed from the request where possible (the body
    /// is never copied), owned where the scheme rewrites it (Lyra's `\/` unescaping).
    pub content: Vec<Cow<'a, [u8]>>,
    /// Lyra's form API signs `content + key`: when set, each key is appended to the
    /// content before the digest (the key is then also the HMAC key, or unused for SHA-1).
    pub append_key: bool,
    /// Candidate keys, in configuration order.
    pub keys: Vec<&'a [u8]>,
    /// Received signatures, already decoded from their wire encoding.
    pub received: Vec<Vec<u8>>,
}

impl MacCheck<'_> {
    fn digest(&self, crypto: &dyn CryptoBackend, key: &[u8]) -> Vec<u8> {
        let mut parts: Vec<&[u8]> = self.content.iter().map(|c| c.as_ref()).collect();
        if self.append_key {
            parts.push(key);
        }
        crypto.mac(self.algorithm, key, &parts)
    }

    /// Index of the first key whose MAC equals one of the received signatures.
    /// Each comparison is constant-time; every key is tried so timing does not tell
    /// which key matched.
    pub fn verify(&self, crypto: &dyn CryptoBackend) -> Result<usize, Rejection> {
        let mut matched: Option<usize> = None;
        for (i, key) in self.keys.iter().enumerate() {
            let mac = self.digest(crypto, key);
            let mut hit = subtle::Choice::from(0u8);
            for sig in &self.received {
                hit |= mac.as_slice().ct_eq(sig.as_slice());
            }
            if bool::from(hit) && matched.is_none() {
                matched = Some(i);
            }
        }
        matched.ok_or(Rejection::SignatureMismatch)
    }

    /// The MAC each key produces (for the explainer; never sent in a gateway response).
    pub fn computed(&self, crypto: &dyn CryptoBackend) -> Vec<Vec<u8>> {
        self.keys.iter().map(|k| self.digest(crypto, k)).collect()
    }

    /// The signed content joined, for the explainer (without the appended key).
    pub fn content_bytes(&self) -> Vec<u8> {
        self.content
            .iter()
            .flat_map(|c| c.iter().copied())
            .collect()
    }
}

/// An AES-256-GCM decryption a scheme has prepared (SIBS).
#[derive(Debug, Clone)]
pub struct DecryptCheck<'a> {
    /// Candidate 32-byte keys.
    pub keys: Vec<&'a [u8]>,
    /// Initialization vector (12 or 16 bytes).
    pub iv: Vec<u8>,
    /// Ciphertext without the tag.
    pub ciphertext: Vec<u8>,
    /// The detached 16-byte tag.
    pub tag: Vec<u8>,
}

impl DecryptCheck<'_> {
    /// The plaintext and the index of the key that opened it.
    pub fn decrypt(&self, crypto: &dyn CryptoBackend) -> Result<(usize, Vec<u8>), Rejection> {
        self.keys
            .iter()
            .enumerate()
            .find_map(|(i, k)| {
                crypto
                    .aes256gcm_decrypt(k, &self.iv, &self.ciphertext, &self.tag)
                    .map(|p| (i, p))
            })
            .ok_or(Rejection::DecryptionFailed)
    }
}

/// How a signature is written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Hexadecimal, either case.
    Hex,
    /// Standard base64, padded or not.
    Base64,
}

impl Encoding {
    /// Decodes a received signature; `None` when it is not valid in this encoding.
    pub fn decode(self, s: &str) -> Option<Vec<u8>> {
        match self {
            Self::Hex => hex::decode(s).ok(),
            Self::Base64 => decode_b64(s),
        }
    }

    /// Encodes a computed signature.
    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            Self::Hex => hex::encode(bytes),
            Self::Base64 => STANDARD.encode(bytes),
        }
    }
}

/// Standard base64, padded or unpadded.
pub fn decode_b64(s: &str) -> Option<Vec<u8>> {
    decode_b64_bytes(s.trim().as_bytes())
}

/// [`decode_b64`] of bytes as they are (not trimmed): padded when it ends with `=`,
/// unpadded otherwise. Decodes in one pass into one allocation of the decoded size.
pub fn decode_b64_bytes(b: &[u8]) -> Option<Vec<u8>> {
    if b.ends_with(b"=") {
        STANDARD.decode(b).ok()
    } else {
        STANDARD_NO_PAD.decode(b).ok()
    }
}

/// Rejects a signed timestamp (seconds) further than `tolerance_s` from `now_s`, in either
/// direction: a future timestamp is as suspicious as an old one.
pub fn check_tolerance(ts_s: i64, now_s: i64, tolerance_s: u64) -> Result<(), Rejection> {
    let skew = now_s.abs_diff(ts_s);
    if skew > tolerance_s {
        Err(Rejection::StaleTimestamp(tolerance_s))
    } else {
        Ok(())
    }
}

/// Parses a Unix timestamp in seconds as sent in headers: ASCII digits only.
pub fn parse_unix_seconds(s: &str, header: &'static str) -> Result<i64, Rejection> {
    let s = s.trim();
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Rejection::MalformedHeader(
            header,
            "timestamp must be Unix seconds",
        ));
    }
    s.parse()
        .map_err(|_| Rejection::MalformedHeader(header, "timestamp must be Unix seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_key_any_signature() {
        let body = b"payload".as_slice();
        let good = RustCrypto.mac(Algorithm::HmacSha256, b"new", &[body]);
        let check = MacCheck {
            algorithm: Algorithm::HmacSha256,
            content: vec![Cow::Borrowed(body)],
            append_key: false,
            keys: vec![b"old".as_slice(), b"new".as_slice()],
            received: vec![vec![0u8; 32], good],
        };
        assert_eq!(check.verify(&RustCrypto), Ok(1));
        let check = MacCheck {
            keys: vec![b"neither".as_slice()],
            ..check
        };
        assert_eq!(check.verify(&RustCrypto), Err(Rejection::SignatureMismatch));
    }

    #[test]
    fn truncated_signature_never_matches() {
        let body = b"payload".as_slice();
        let good = RustCrypto.mac(Algorithm::HmacSha256, b"k", &[body]);
        let check = MacCheck {
            algorithm: Algorithm::HmacSha256,
            content: vec![Cow::Borrowed(body)],
            append_key: false,
            keys: vec![b"k".as_slice()],
            received: vec![good[..16].to_vec(), Vec::new()],
        };
        assert!(check.verify(&RustCrypto).is_err());
    }

    /// Lyra form API, published docs example: `values+...+key`, HMAC-SHA-256 and SHA-1.
    #[test]
    fn append_key_lyra_docs_vector() {
        let content =
            b"INTERACTIVE+5124+TEST+978+PAYMENT+SINGLE+12345678+20170129130025+123456+V2+"
                .as_slice();
        let mut check = MacCheck {
            algorithm: Algorithm::HmacSha256,
            content: vec![Cow::Borrowed(content)],
            append_key: true,
            keys: vec![b"1122334455667788".as_slice()],
            received: vec![decode_b64("ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0=").expect("b64")],
        };
        assert_eq!(check.verify(&RustCrypto), Ok(0));
        check.algorithm = Algorithm::Sha1;
        check.received =
            vec![hex::decode("59c96b34c74b9375c332b0b6a32e6deeec87de2b").expect("hex")];
        assert_eq!(check.verify(&RustCrypto), Ok(0));
    }

    #[test]
    fn tolerance_both_directions() {
        assert!(check_tolerance(1000, 1300, 300).is_ok());
        assert!(check_tolerance(1000, 1301, 300).is_err());
        assert!(check_tolerance(1301, 1000, 300).is_err());
        assert!(parse_unix_seconds("-5", "t").is_err());
        assert!(parse_unix_seconds("12a", "t").is_err());
        assert_eq!(parse_unix_seconds("12345", "t"), Ok(12345));
    }

    #[test]
    fn base64_padded_or_not() {
        assert_eq!(decode_b64("aGk="), Some(b"hi".to_vec()));
        assert_eq!(decode_b64("aGk"), Some(b"hi".to_vec()));
        assert_eq!(decode_b64("a@k="), None);
    }
}
