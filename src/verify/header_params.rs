//! Structured signature headers: `k=v` items joined by a separator, as in
//! `Paddle-Signature: ts=1671552777;h1=<hex>` or `Stripe-Signature: t=12345,v1=<hex>,v1=<hex>`,
//! and the `"<prefix><body>"` signed content most of those schemes use.
//!
//! Parsing follows what the providers' SDKs do: items are trimmed, an item without `=` is
//! skipped (senders add new schemes over time and old verifiers must ignore them), a key may
//! repeat (several signatures during a secret roll), the value is everything after the first
//! `=` (base64 signatures end with `=` padding).

use std::borrow::Cow;

/// The `(key, value)` items of `value` split on `separator`, trimmed; items without `=` or
/// with an empty key are skipped.
pub fn pairs(value: &str, separator: char) -> impl Iterator<Item = (&str, &str)> {
    value.split(separator).filter_map(|item| {
        let (k, v) = item.trim().split_once('=')?;
        let k = k.trim();
        (!k.is_empty()).then_some((k, v.trim()))
    })
}

/// Every value of `key`, in order (signature keys may repeat).
pub fn values<'a>(value: &'a str, separator: char, key: &'a str) -> Vec<&'a str> {
    pairs(value, separator)
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .collect()
}

/// A key that must appear at most once (a timestamp) appeared several times: which copy
/// was signed is ambiguous, so the header is rejected rather than guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeated;

/// The single value of `key`: `Ok(None)` when absent, `Err(Repeated)` when present twice.
pub fn single<'a>(value: &'a str, separator: char, key: &str) -> Result<Option<&'a str>, Repeated> {
    let mut found = None;
    for (k, v) in pairs(value, separator) {
        if k == key {
            if found.is_some() {
                return Err(Repeated);
            }
            found = Some(v);
        }
    }
    Ok(found)
}

/// Signed content `<prefix><body>` as MAC pieces: the prefix owned, the body borrowed (never
/// copied). For `"<ts>.<body>"` pass `format!("{ts}.")`.
pub fn prefixed_body(prefix: String, body: &[u8]) -> Vec<Cow<'_, [u8]>> {
    vec![Cow::Owned(prefix.into_bytes()), Cow::Borrowed(body)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paddle_and_stripe_forms() {
        let h = "ts=1671552777;h1=abc;h1=def;h2=x;garbage";
        assert_eq!(values(h, ';', "h1"), vec!["abc", "def"]);
        assert_eq!(single(h, ';', "ts"), Ok(Some("1671552777")));
        assert_eq!(single(h, ';', "nope"), Ok(None));
        let s = " t=12345 , v1=aa, v0=bb ,v1=cc";
        assert_eq!(values(s, ',', "v1"), vec!["aa", "cc"]);
        assert_eq!(single("t=1,t=2", ',', "t"), Err(Repeated));
    }

    #[test]
    fn value_keeps_base64_padding_and_skips_empty_keys() {
        assert_eq!(values("s=aGk=;=x;s=", ';', "s"), vec!["aGk=", ""]);
        assert_eq!(pairs("=x", ';').count(), 0);
    }

    #[test]
    fn prefixed_body_borrows() {
        let body = b"{}".as_slice();
        let pieces = prefixed_body("1.".into(), body);
        assert!(matches!(pieces[1], Cow::Borrowed(_)));
        assert_eq!(pieces.concat(), b"1.{}");
    }
}
