//! The MAC/AEAD computations behind one small interface.
//!
//! Scheme code builds *what* to check; this module computes. Keeping the two apart lets the
//! worker build swap in the runtime's WebCrypto later (measured faster in workerd for
//! AES-GCM) while the native core and the browser keep RustCrypto, over the same vectors.

use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::aead::{Nonce, Tag};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Key};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

/// A keyed digest a scheme can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC-SHA-256 (almost everyone).
    HmacSha256,
    /// HMAC-SHA-512 (generic schemes).
    HmacSha512,
    /// HMAC-SHA-1 (legacy generic schemes, e.g. old GitHub `X-Hub-Signature`).
    HmacSha1,
    /// Plain (unkeyed) SHA-1 of the content: Lyra's deprecated form-API signature, used
    /// with [`crate::verify::MacCheck::append_key`] so the key is part of the content.
    Sha1,
}

impl Algorithm {
    /// Human name used by the explainer.
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha256 => "HMAC-SHA-256",
            Self::HmacSha512 => "HMAC-SHA-512",
            Self::HmacSha1 => "HMAC-SHA-1",
            Self::Sha1 => "SHA-1",
        }
    }
}

/// Computes MACs and decrypts AEAD payloads.
pub trait CryptoBackend {
    /// The digest of the concatenated `parts` under `key` (`key` unused by [`Algorithm::Sha1`]).
    fn mac(&self, alg: Algorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8>;
    /// AES-256-GCM decryption without AAD; `None` when the tag does not verify.
    fn aes256gcm_decrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        ciphertext: &[u8],
        tag: &[u8],
    ) -> Option<Vec<u8>>;
    /// AES-256-GCM encryption without AAD, returning ciphertext and the detached tag.
    fn aes256gcm_encrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        plaintext: &[u8],
    ) -> Option<(Vec<u8>, Vec<u8>)>;
}

/// The pure-Rust backend (RustCrypto crates).
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCrypto;

fn hmac_parts<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    match <M as KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

type Gcm12 = AesGcm<Aes256, U12>;
type Gcm16 = AesGcm<Aes256, U16>;

fn gcm_decrypt<C: AeadInPlace + KeyInit>(
    key: &[u8],
    iv: &[u8],
    ct: &[u8],
    tag: &[u8],
) -> Option<Vec<u8>> {
    if key.len() != 32 || tag.len() != 16 {
        return None;
    }
    let cipher = C::new(Key::<C>::from_slice(key));
    let mut buf = ct.to_vec();
    cipher
        .decrypt_in_place_detached(
            Nonce::<C>::from_slice(iv),
            &[],
            &mut buf,
            Tag::<C>::from_slice(tag),
        )
        .ok()?;
    Some(buf)
}

fn gcm_encrypt<C: AeadInPlace + KeyInit>(
    key: &[u8],
    iv: &[u8],
    pt: &[u8],
) -> Option<(Vec<u8>, Vec<u8>)> {
    if key.len() != 32 {
        return None;
    }
    let cipher = C::new(Key::<C>::from_slice(key));
    let mut buf = pt.to_vec();
    let tag = cipher
        .encrypt_in_place_detached(Nonce::<C>::from_slice(iv), &[], &mut buf)
        .ok()?;
    Some((buf, tag.to_vec()))
}

impl CryptoBackend for RustCrypto {
    fn mac(&self, alg: Algorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        match alg {
            Algorithm::HmacSha256 => hmac_parts::<Hmac<Sha256>>(key, parts),
            Algorithm::HmacSha512 => hmac_parts::<Hmac<Sha512>>(key, parts),
            Algorithm::HmacSha1 => hmac_parts::<Hmac<Sha1>>(key, parts),
            Algorithm::Sha1 => {
                let mut h = Sha1::new();
                for p in parts {
                    h.update(p);
                }
                h.finalize().to_vec()
            }
        }
    }

    fn aes256gcm_decrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        ciphertext: &[u8],
        tag: &[u8],
    ) -> Option<Vec<u8>> {
        match iv.len() {
            12 => gcm_decrypt::<Gcm12>(key, iv, ciphertext, tag),
            16 => gcm_decrypt::<Gcm16>(key, iv, ciphertext, tag),
            _ => None,
        }
    }

    fn aes256gcm_encrypt(
        &self,
        key: &[u8],
        iv: &[u8],
        plaintext: &[u8],
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        match iv.len() {
            12 => gcm_encrypt::<Gcm12>(key, iv, plaintext),
            16 => gcm_encrypt::<Gcm16>(key, iv, plaintext),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 (published): key "Jefe".
    #[test]
    fn rfc4231_case2() {
        let mac = RustCrypto.mac(
            Algorithm::HmacSha256,
            b"Jefe",
            &[b"what do ya want ", b"for nothing?"],
        );
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn gcm_round_trip_and_tamper() {
        let key = [7u8; 32];
        let iv = [1u8; 12];
        let (ct, tag) = RustCrypto
            .aes256gcm_encrypt(&key, &iv, b"hello")
            .expect("enc");
        assert_eq!(
            RustCrypto
                .aes256gcm_decrypt(&key, &iv, &ct, &tag)
                .as_deref(),
            Some(&b"hello"[..])
        );
        let mut bad = tag.clone();
        bad[0] ^= 1;
        assert_eq!(RustCrypto.aes256gcm_decrypt(&key, &iv, &ct, &bad), None);
        assert_eq!(
            RustCrypto.aes256gcm_decrypt(&key, &[1u8; 11], &ct, &tag),
            None
        );
    }
}
