//! The worker's crypto backend: the Workers runtime's WebCrypto (BoringSSL, native code)
//! for the computations where it beats RustCrypto compiled to wasm, RustCrypto elsewhere.
//!
//! WebCrypto is asynchronous, the core's [`CryptoBackend`] is not: the fetch handler runs
//! [`crate::Gateway::begin`], awaits [`verify`] here, then [`crate::gateway::Pending::finish`].
//! [`verify`] computes the digests (or decryptions) up front, then hands them to the same
//! [`MacCheck::verify`] / [`DecryptCheck::decrypt`] the native core uses through a backend
//! that only replays them, so the constant-time comparison and the any-key/any-signature
//! rules are the core's, not a second copy.
//!
//! Which backend computes what is measured (BENCHMARKS.md, "crypto backend"): an await on
//! the runtime costs a fixed few microseconds, so small MACs stay in wasm and large ones and
//! every AES-GCM go to WebCrypto.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use worker::js_sys::futures::JsFuture;
use worker::js_sys::{Array, ArrayBuffer, Object, Promise, Reflect, Uint8Array};

use crate::gateway::Verified;
use crate::providers::Check;
use crate::verify::{Algorithm, CryptoBackend, DecryptCheck, MacCheck, RustCrypto};
use crate::Rejection;

/// MACs over at least this many content bytes go to WebCrypto (measured crossover, see
/// BENCHMARKS.md); shorter ones are cheaper in wasm than an await on the runtime.
pub const MAC_WEBCRYPTO_MIN_BYTES: usize = 2 * 1024;

#[wasm_bindgen]
extern "C" {
    /// `crypto.subtle`, bound by hand: the web-sys bindings would need features the
    /// worker crate does not enable, and these four calls are all we use.
    #[wasm_bindgen(js_name = SubtleCrypto)]
    type Subtle;

    #[wasm_bindgen(thread_local_v2, js_namespace = crypto, js_name = subtle)]
    static SUBTLE: Subtle;

    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &Subtle,
        format: &str,
        key: &Uint8Array,
        algorithm: &Object,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn sign(
        this: &Subtle,
        algorithm: &str,
        key: &JsValue,
        data: &Uint8Array,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn decrypt(
        this: &Subtle,
        algorithm: &Object,
        key: &JsValue,
        data: &Uint8Array,
    ) -> Result<Promise, JsValue>;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyUse {
    Hmac(&'static str),
    AesGcm,
}

thread_local! {
    /// Imported `CryptoKey`s, per isolate: importing costs about as much as one MAC. Keyed by
    /// use and key bytes (the configured secrets, which live as long as the isolate anyway).
    /// A list, not a map: a deployment has a handful of keys, and a scan of a few entries
    /// is cheaper than hashing (and smaller than another map in the wasm).
    static KEYS: RefCell<Vec<(KeyUse, Vec<u8>, JsValue)>> = const { RefCell::new(Vec::new()) };
}

fn hash_name(alg: Algorithm) -> Option<&'static str> {
    match alg {
        Algorithm::HmacSha256 => Some("SHA-256"),
        Algorithm::HmacSha512 => Some("SHA-512"),
        Algorithm::HmacSha1 => Some("SHA-1"),
        // Unkeyed SHA-1 over content + key (Lyra's legacy form signature): tiny bodies,
        // a rare scheme; stays in wasm.
        Algorithm::Sha1 => None,
    }
}

fn set(obj: &Object, k: &str, v: &JsValue) -> Result<(), JsValue> {
    Reflect::set(obj, &JsValue::from_str(k), v).map(|_| ())
}

/// A JS-owned copy of `parts` joined: WebCrypto reads its input after our `await`, and a
/// view into wasm memory would be detached if the memory grew meanwhile.
fn js_bytes(parts: &[&[u8]]) -> Uint8Array {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let out = Uint8Array::new_with_length(len as u32);
    let mut at = 0u32;
    for p in parts {
        let end = at + p.len() as u32;
        out.subarray(at, end).copy_from(p);
        at = end;
    }
    out
}

async fn crypto_key(usage: KeyUse, key: &[u8]) -> Result<JsValue, JsValue> {
    let cached = KEYS.with(|c| {
        c.borrow()
            .iter()
            .find(|(u, k, _)| *u == usage && k.as_slice() == key)
            .map(|(_, _, js)| js.clone())
    });
    if let Some(k) = cached {
        return Ok(k);
    }
    let algorithm = Object::new();
    let usages = Array::new();
    match usage {
        KeyUse::Hmac(hash) => {
            set(&algorithm, "name", &"HMAC".into())?;
            set(&algorithm, "hash", &hash.into())?;
            usages.push(&"sign".into());
        }
        KeyUse::AesGcm => {
            set(&algorithm, "name", &"AES-GCM".into())?;
            usages.push(&"decrypt".into());
        }
    }
    let promise =
        SUBTLE.with(|s| s.import_key("raw", &js_bytes(&[key]), &algorithm, false, &usages))?;
    let imported = JsFuture::from(promise).await?;
    KEYS.with(|c| c.borrow_mut().push((usage, key.to_vec(), imported.clone())));
    Ok(imported)
}

async fn hmac(hash: &'static str, key: &[u8], parts: &[&[u8]]) -> Result<Vec<u8>, JsValue> {
    let k = crypto_key(KeyUse::Hmac(hash), key).await?;
    let data = js_bytes(parts);
    let promise = SUBTLE.with(|s| s.sign("HMAC", &k, &data))?;
    let sig = JsFuture::from(promise).await?;
    Ok(Uint8Array::new(&sig.unchecked_into::<ArrayBuffer>()).to_vec())
}

/// `Ok(None)` when the tag does not verify under `key`.
async fn gcm_open(
    key: &[u8],
    iv: &[u8],
    ct: &[u8],
    tag: &[u8],
) -> Result<Option<Vec<u8>>, JsValue> {
    if key.len() != 32 || tag.len() != 16 || iv.is_empty() {
        return Ok(None);
    }
    let k = crypto_key(KeyUse::AesGcm, key).await?;
    let algorithm = Object::new();
    set(&algorithm, "name", &"AES-GCM".into())?;
    set(&algorithm, "iv", &js_bytes(&[iv]))?;
    set(&algorithm, "tagLength", &JsValue::from(128))?;
    let promise = SUBTLE.with(|s| s.decrypt(&algorithm, &k, &js_bytes(&[ct, tag])))?;
    // A wrong key or a damaged message rejects with OperationError: not an infrastructure
    // failure, just "not this key".
    Ok(JsFuture::from(promise)
        .await
        .ok()
        .map(|plain| Uint8Array::new(&plain.unchecked_into::<ArrayBuffer>()).to_vec()))
}

/// Results computed ahead by WebCrypto, replayed to the core's own check logic. A key with
/// no precomputed result falls through to RustCrypto.
struct Replay<'k> {
    macs: Vec<(&'k [u8], Vec<u8>)>,
    opened: Vec<(&'k [u8], Option<Vec<u8>>)>,
}

impl CryptoBackend for Replay<'_> {
    fn mac(&self, alg: Algorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        match self.macs.iter().find(|(k, _)| *k == key) {
            Some((_, m)) => m.clone(),
            None => RustCrypto.mac(alg, key, parts),
        }
    }

    fn aes256gcm_decrypt(&self, key: &[u8], iv: &[u8], ct: &[u8], tag: &[u8]) -> Option<Vec<u8>> {
        match self.opened.iter().find(|(k, _)| *k == key) {
            Some((_, p)) => p.clone(),
            None => RustCrypto.aes256gcm_decrypt(key, iv, ct, tag),
        }
    }

    fn aes256gcm_encrypt(&self, key: &[u8], iv: &[u8], pt: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        RustCrypto.aes256gcm_encrypt(key, iv, pt)
    }
}

/// Whether this MAC goes to WebCrypto.
pub fn mac_uses_webcrypto(mac: &MacCheck<'_>) -> bool {
    let len: usize = mac.content.iter().map(|c| c.len()).sum();
    hash_name(mac.algorithm).is_some() && len >= MAC_WEBCRYPTO_MIN_BYTES
}

async fn verify_mac(mac: &MacCheck<'_>) -> Result<Verified, Rejection> {
    let mut replay = Replay {
        macs: Vec::new(),
        opened: Vec::new(),
    };
    if let Some(hash) = hash_name(mac.algorithm).filter(|_| mac_uses_webcrypto(mac)) {
        let content: Vec<&[u8]> = mac.content.iter().map(|c| c.as_ref()).collect();
        for key in &mac.keys {
            let mut parts = content.clone();
            if mac.append_key {
                parts.push(key);
            }
            // An import WebCrypto refuses (an empty HMAC key) leaves this key to RustCrypto.
            if let Ok(m) = hmac(hash, key, &parts).await {
                replay.macs.push((key, m));
            }
        }
    }
    mac.verify(&replay).map(|key_index| Verified {
        key_index,
        plaintext: None,
    })
}

async fn open(d: &DecryptCheck<'_>) -> Result<Verified, Rejection> {
    let mut replay = Replay {
        macs: Vec::new(),
        opened: Vec::new(),
    };
    for key in &d.keys {
        // An `Err` is the runtime refusing the call itself: RustCrypto decides for that key.
        if let Ok(p) = gcm_open(key, &d.iv, &d.ciphertext, &d.tag).await {
            let done = p.is_some();
            replay.opened.push((key, p));
            if done {
                // The core tries keys in order and stops at the first that opens.
                break;
            }
        }
    }
    d.decrypt(&replay).map(|(key_index, p)| Verified {
        key_index,
        plaintext: Some(p),
    })
}

/// Runs a check: WebCrypto where it is faster, RustCrypto elsewhere, with the core's
/// comparison rules either way.
pub async fn verify(check: &Check<'_>) -> Result<Verified, Rejection> {
    match check {
        Check::Mac(mac) => verify_mac(mac).await,
        Check::Decrypt(d) => open(d).await,
    }
}
