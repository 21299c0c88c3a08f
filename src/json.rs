//! Strict JSON for signed payloads: duplicate keys and excessive nesting are rejected.
//!
//! A payload with `"amount"` twice is ambiguous — our parser keeps the last value, the
//! merchant's backend may keep the first — so an attacker who can get one field past a
//! provider could make the gateway and the origin disagree. Refusing it costs one extra
//! pass over an already-authenticated body and removes the ambiguity.
//!
//! The mappings read only the fields they need, in the same pass as the check ([`pick`]):
//! borrowed, everything else skipped, instead of a [`Value`] tree of the whole payload (which
//! cost most of the non-crypto work of an accepted event: BENCHMARKS.md, 3f). A [`Scalar`]
//! reads a field the way a lookup in a [`Value`] did (`Value::pointer`, then `as_str`,
//! `as_i64`, `as_bool`, or `str_at`'s stringified numbers), so a field of an unexpected type
//! is absent rather than an error, as before.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::Rejection;

/// Maximum nesting depth of objects and arrays. Real payment payloads nest under 10.
pub const MAX_DEPTH: usize = 64;

/// Parses `bytes` as JSON, refusing duplicate keys and nesting past [`MAX_DEPTH`], in one
/// pass: the checking visitor builds the value itself (this runs on every accepted event).
pub fn parse(bytes: &[u8]) -> Result<serde_json::Value, Rejection> {
    build(utf8(bytes)?).map_err(rejection)
}

/// For bodies that need not be JSON (generic-hmac passes form and text bodies through):
/// `Ok(None)` when `bytes` is not JSON, the value when it is, and a rejection when it is
/// JSON that only a lenient parser takes (a key twice, nesting past [`MAX_DEPTH`]): the
/// gateway and the origin could read such a body differently.
pub fn parse_if_json(bytes: &[u8]) -> Result<Option<serde_json::Value>, Rejection> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(None);
    };
    match build(text) {
        Ok(v) => Ok(Some(v)),
        // Our visitor's own errors are the only `Data` errors; the rest are syntax/EOF.
        Err(e) if e.classify() == serde_json::error::Category::Data => Err(rejection(e)),
        Err(_) => Ok(None),
    }
}

/// Checks `bytes` without building a value.
pub fn check(bytes: &[u8]) -> Result<(), Rejection> {
    strict(bytes).map(drop)
}

/// Checks `bytes` without building a value, and returns them as text: UTF-8 is checked
/// once here, so neither this pass nor [`read`] checks each string again.
pub fn strict(bytes: &[u8]) -> Result<&str, Rejection> {
    let text = utf8(bytes)?;
    guard(text).map_err(rejection)?;
    Ok(text)
}

/// Checks `bytes` strictly, as [`strict`] does, and reads the values at `pointers` in the
/// same single pass; everything else is checked and skipped, and nothing is built. A pointer
/// is a JSON pointer as `Value::pointer` takes it (`/data/object/id`; `/list/0` is an array's
/// first element or an object's `"0"` member; no `~` escapes); `""` is the whole payload,
/// [`Scalar::Object`] when it is an object. Returns the payload as text, for `data.raw`.
pub fn pick<'a, const N: usize>(
    bytes: &'a [u8],
    pointers: [&str; N],
) -> Result<(&'a str, [Scalar<'a>; N]), Rejection> {
    let text = utf8(bytes)?;
    let values = pick_text(text, &pointers).map_err(rejection)?;
    Ok((text, values))
}

/// [`pick`] for bodies that need not be JSON (generic-hmac), as [`parse_if_json`]: `None`
/// when `bytes` is not JSON, a rejection when it is JSON only a lenient parser takes.
pub fn pick_if_json<'a, const N: usize>(
    bytes: &'a [u8],
    pointers: [&str; N],
) -> Result<Option<(&'a str, [Scalar<'a>; N])>, Rejection> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(None);
    };
    match pick_text(text, &pointers) {
        Ok(values) => Ok(Some((text, values))),
        Err(e) if e.classify() == serde_json::error::Category::Data => Err(rejection(e)),
        Err(_) => Ok(None),
    }
}

/// Whether JSON that [`strict`] or [`pick`] accepted is an object.
pub fn is_object(checked: &str) -> bool {
    checked.trim_ascii_start().starts_with('{')
}

fn utf8(bytes: &[u8]) -> Result<&str, Rejection> {
    std::str::from_utf8(bytes)
        .map_err(|e| Rejection::MalformedBody(format!("invalid JSON: not UTF-8 ({e})")))
}

fn pick_text<'a, const N: usize>(
    text: &'a str,
    pointers: &[&str; N],
) -> Result<[Scalar<'a>; N], serde_json::Error> {
    let mut out: [Scalar<'a>; N] = std::array::from_fn(|_| Scalar::None);
    let mut de = serde_json::Deserializer::from_str(text);
    Pick {
        depth: 0,
        wants: pointers.iter().copied().enumerate().collect(),
        out: &mut out,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(out)
}

/// A value [`pick`] read: what a mapping may read from a string, number or boolean. Arrays,
/// `null` and a missing value are [`Scalar::None`], an object is [`Scalar::Object`].
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Scalar<'a> {
    /// Absent, `null`, an object or an array.
    #[default]
    None,
    /// A string (borrowed from the payload unless it has escapes).
    Str(Cow<'a, str>),
    /// A number that fits an `i64`.
    Int(i64),
    /// Any other number (a fraction, an exponent, past `i64`).
    Number(Number),
    /// `true` or `false`.
    Bool(bool),
    /// An object (read only where a mapping asks whether there is one).
    Object,
}

impl Scalar<'_> {
    /// A string, or a number's JSON text (`str_at`'s reading).
    pub fn text(&self) -> Option<String> {
        match self {
            Self::Str(s) => Some(s.as_ref().to_owned()),
            Self::Int(i) => Some(i.to_string()),
            Self::Number(n) => Some(n.to_string()),
            Self::None | Self::Bool(_) | Self::Object => None,
        }
    }
    /// A string only (`Value::as_str`).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }
    /// An integer that fits an `i64` (`Value::as_i64`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }
    /// A boolean (`Value::as_bool`).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// The strict check's visitor, reading the values some pointers want on its way: `wants`
/// holds, for this value, each pointer's index and the rest of it (`""`: this value).
struct Pick<'p, 'o, 'a> {
    depth: usize,
    wants: Vec<(usize, &'p str)>,
    out: &'o mut [Scalar<'a>],
}

/// An array index token as `Value::pointer` reads one (no sign, no leading zero).
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() > 1) {
        return None;
    }
    token.parse().ok()
}

impl<'p, 'a> Pick<'p, '_, 'a> {
    fn set(&mut self, value: Scalar<'a>) {
        for &(i, rest) in &self.wants {
            if rest.is_empty() {
                if let Some(slot) = self.out.get_mut(i) {
                    *slot = value.clone();
                }
            }
        }
    }

    /// The wants that continue into member `key`. Runs for every key of every object on a
    /// wanted path, so it compares bytes, first one first, without a call per want.
    fn member(&self, key: &str) -> Vec<(usize, &'p str)> {
        let k = key.as_bytes();
        let mut out = Vec::new();
        for &(i, rest) in &self.wants {
            let r = rest.as_bytes();
            let next = k.len() + 1;
            if r.get(1) == k.first()
                && r.first() == Some(&b'/')
                && r.get(1..next) == Some(k)
                && matches!(r.get(next), None | Some(b'/'))
            {
                out.push((i, rest.get(next..).unwrap_or_default()));
            }
        }
        out
    }

    /// The wants that continue into element `n`.
    fn element(&self, n: usize) -> Vec<(usize, &'p str)> {
        self.wants
            .iter()
            .filter_map(|&(i, rest)| {
                let r = rest.strip_prefix('/')?;
                let (token, more) = r.find('/').map_or((r, ""), |j| r.split_at(j));
                (index(token) == Some(n)).then_some((i, more))
            })
            .collect()
    }

    fn child(&mut self, depth: usize, wants: Vec<(usize, &'p str)>) -> Pick<'p, '_, 'a> {
        Pick {
            depth,
            wants,
            out: &mut *self.out,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Pick<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pick<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(mut self, v: bool) -> Result<(), E> {
        self.set(Scalar::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(mut self, v: i64) -> Result<(), E> {
        self.set(Scalar::Int(v));
        Ok(())
    }
    fn visit_u64<E>(mut self, v: u64) -> Result<(), E> {
        self.set(i64::try_from(v).map_or(Scalar::Number(v.into()), Scalar::Int));
        Ok(())
    }
    fn visit_f64<E>(mut self, v: f64) -> Result<(), E> {
        // As `Value` does: serde_json never hands over a non-finite number.
        self.set(Number::from_f64(v).map_or(Scalar::None, Scalar::Number));
        Ok(())
    }
    fn visit_borrowed_str<E>(mut self, v: &'de str) -> Result<(), E> {
        self.set(Scalar::Str(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E>(mut self, v: &str) -> Result<(), E> {
        self.set(Scalar::Str(Cow::Owned(v.to_owned())));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let depth = deeper(self.depth)?;
        let mut n = 0;
        loop {
            let wants = if self.wants.is_empty() {
                Vec::new()
            } else {
                self.element(n)
            };
            let more = if wants.is_empty() {
                seq.next_element_seed(Guard { depth })?.is_some()
            } else {
                seq.next_element_seed(self.child(depth, wants))?.is_some()
            };
            if !more {
                return Ok(());
            }
            n += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let depth = deeper(self.depth)?;
        self.set(Scalar::Object);
        let mut keys = Keys::default();
        while let Some(Key(key)) = map.next_key()? {
            let wants = if self.wants.is_empty() {
                Vec::new()
            } else {
                self.member(&key)
            };
            if !keys.fresh(key) {
                return Err(de::Error::custom("duplicate key in a JSON object"));
            }
            if wants.is_empty() {
                map.next_value_seed(Guard { depth })?;
            } else {
                map.next_value_seed(self.child(depth, wants))?;
            }
        }
        Ok(())
    }
}

/// The keys of one object so far, to refuse a second one.
#[derive(Default)]
struct Keys<'a> {
    few: Vec<Cow<'a, str>>,
    many: Option<HashSet<Cow<'a, str>>>,
}

impl<'a> Keys<'a> {
    /// Whether `key` is new (and remembers it).
    fn fresh(&mut self, key: Cow<'a, str>) -> bool {
        match &mut self.many {
            Some(set) => set.insert(key),
            None if self.few.contains(&key) => false,
            None => {
                self.few.push(key);
                if self.few.len() > LINEAR_KEYS {
                    self.many = Some(self.few.drain(..).collect());
                }
                true
            }
        }
    }
}

/// An object key, borrowed from the payload unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

/// Objects with up to this many keys are checked for duplicates by a linear scan (cheaper
/// than hashing for the few keys of a payment object); larger ones by a hash set.
const LINEAR_KEYS: usize = 16;

fn guard(text: &str) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    Guard { depth: 0 }
        .deserialize(&mut de)
        .and_then(|()| de.end())
}

// Every pass reads text (`from_str`), so the worker links serde_json's parser once, for
// `StrRead`, not a second time for byte slices.
fn build(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Builder { depth: 0 }.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

fn rejection(e: serde_json::Error) -> Rejection {
    let msg = e.to_string();
    if msg.starts_with("duplicate key") || msg.starts_with("nesting") {
        Rejection::MalformedBody(msg)
    } else {
        Rejection::MalformedBody(format!("invalid JSON: {msg}"))
    }
}

#[derive(Clone, Copy)]
struct Guard {
    depth: usize,
}

fn deeper<E: de::Error>(depth: usize) -> Result<usize, E> {
    if depth >= MAX_DEPTH {
        Err(E::custom(format_args!(
            "nesting deeper than {MAX_DEPTH} levels"
        )))
    } else {
        Ok(depth + 1)
    }
}

impl Guard {
    fn deeper<E: de::Error>(self) -> Result<Guard, E> {
        deeper(self.depth).map(|depth| Guard { depth })
    }
}

/// Builds a [`Value`] under the same rules as [`Guard`]: a duplicate key is found by the
/// map insert itself, so checking costs nothing beyond building.
#[derive(Clone, Copy)]
struct Builder {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Builder {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Builder {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json never hands a visitor a non-finite number (it refuses `1e400`).
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = Builder {
            depth: deeper(self.depth)?,
        };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element_seed(inner)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = Builder {
            depth: deeper(self.depth)?,
        };
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(inner)?;
            if out.insert(key, value).is_some() {
                return Err(de::Error::custom("duplicate key in a JSON object"));
            }
        }
        Ok(Value::Object(out))
    }
}

impl<'de> DeserializeSeed<'de> for Guard {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Guard {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        let mut keys = Keys::default();
        while let Some(Key(key)) = map.next_key()? {
            if !keys.fresh(key) {
                return Err(de::Error::custom("duplicate key in a JSON object"));
            }
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_json() {
        assert!(parse(br#"{"a":1,"b":[1,2,{"c":null}],"d":"\u00e9"}"#).is_ok());
        assert!(
            parse(br#"{"a":{"x":1},"b":{"x":2}}"#).is_ok(),
            "same key in sibling objects"
        );
    }

    #[test]
    fn builds_the_same_value_as_serde_json() {
        for doc in [
            &br#"{"a":1,"b":-2,"c":18446744073709551615,"d":-9223372036854775808}"#[..],
            br#"{"f":1.5,"g":-0.0,"h":1e-7,"i":12.30,"j":1E+2}"#,
            br#"{"s":"\u00e9\ud83d\ude00\n\"q\"","t":true,"u":false,"n":null}"#,
            br#"[[],{},[{"k":[1,[2,[3]]]}],"",0]"#,
            br#"  "just a string"  "#,
            br#"{"amount":{"value":"16.20","currency":"EUR"},"list":[1,2,3]}"#,
        ] {
            let ours = parse(doc).expect("valid");
            let theirs: serde_json::Value = serde_json::from_slice(doc).expect("valid");
            assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(doc));
        }
    }

    #[test]
    fn rejects_duplicate_keys_at_any_depth() {
        for body in [
            &br#"{"a":1,"a":2}"#[..],
            br#"{"x":{"a":1,"a":1}}"#,
            br#"[{"k":1,"k":2}]"#,
        ] {
            let e = parse(body).expect_err("duplicate");
            assert_eq!(e.code(), "malformed_body");
            assert!(e.to_string().contains("duplicate key"), "{e}");
        }
    }

    #[test]
    fn rejects_deep_nesting_without_overflowing_the_stack() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = parse(deep.as_bytes()).expect_err("deep");
        assert!(
            e.to_string().contains("nesting") || e.to_string().contains("recursion"),
            "{e}"
        );
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_ok());
    }

    #[test]
    fn parse_if_json_tells_non_json_from_ambiguous_json() {
        for text in [
            &b"Hello, World!"[..],
            b"a=1&a=2",
            b"{not json",
            b"",
            b"1e400",
            &[0xff],
        ] {
            assert_eq!(parse_if_json(text), Ok(None), "{text:?}");
        }
        let v = parse_if_json(br#"{"a":[1,{"b":2}]}"#)
            .expect("json")
            .expect("some");
        assert_eq!(v["a"][1]["b"], 2);
        for bad in [
            br#"{"id":"a","id":"b"}"#.to_vec(),
            format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1)).into_bytes(),
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        ] {
            let e = parse_if_json(&bad).expect_err("ambiguous JSON");
            assert_eq!(e.code(), "malformed_body");
        }
    }

    #[test]
    fn duplicates_are_found_in_large_objects_and_through_escapes() {
        for n in [2, LINEAR_KEYS, LINEAR_KEYS + 1, LINEAR_KEYS + 2, 200] {
            let keys: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
            let ok = format!("{{{}}}", keys.join(","));
            assert_eq!(check(ok.as_bytes()), Ok(()), "{n} keys");
            for dup in [0, n / 2, n - 1] {
                let bad = format!("{{{},\"k{dup}\":true}}", keys.join(","));
                let e = check(bad.as_bytes()).expect_err("duplicate");
                assert!(e.to_string().contains("duplicate key"), "{n} {dup}: {e}");
            }
        }
        // The same key spelled with an escape is the same key.
        assert!(check(br#"{"id":1,"\u0069d":2}"#).is_err());
        assert!(check(br#"{"i\"d":1,"i\u0022d":2}"#).is_err());
        assert_eq!(check(br#"{"id":1,"\u0069e":2}"#), Ok(()));
    }

    #[test]
    fn pick_if_json_agrees_with_parse_if_json() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        for text in [
            &b"Hello, World!"[..],
            b"a=1&a=2",
            b"{not json",
            b"",
            b"1e400",
            &[0xff],
            br#"{"a":[1,{"b":2}]}"#,
            br#"{"id":"a","id":"b"}"#,
            br#"{"a":{"id":"a","id":"b"}}"#,
            br#"[1,2] x"#,
            deep.as_bytes(),
        ] {
            // The same outcome; a duplicate's position is the key's, not the value's end.
            let parsed = parse_if_json(text)
                .map(|v| v.is_some())
                .map_err(|e| e.code());
            let picked = pick_if_json(text, ["/a/id", ""])
                .map(|t| t.is_some())
                .map_err(|e| e.code());
            assert_eq!(picked, parsed, "{:?}", String::from_utf8_lossy(text));
            assert_eq!(
                pick(text, ["/a/id"]).map(drop).map_err(|e| e.code()),
                parse(text).map(drop).map_err(|e| e.code()),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn picked_paths_are_checked_as_strictly_as_the_rest() {
        let deep = format!(
            r#"{{"a":[{}{}]}}"#,
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        );
        let e = pick(deep.as_bytes(), ["/a/0/0/0"]).expect_err("deep");
        assert!(e.to_string().contains("nesting"), "{e}");
        for bad in [
            &br#"{"data":{"id":1,"id":2}}"#[..],
            br#"{"data":{"id":1},"data":{"id":2}}"#,
            br#"{"list":[{"k":1,"k":1}]}"#,
        ] {
            let e = pick(bad, ["/data/id", "/list/0/k"]).expect_err("duplicate");
            assert!(e.to_string().contains("duplicate key"), "{e}");
        }
        // One pointer inside another's value: both are read.
        let (_, [whole, inner]) = pick(br#"{"c":{"iso":"XOF"}}"#, ["/c", "/c/iso"]).expect("json");
        assert_eq!((whole, inner.as_str()), (Scalar::Object, Some("XOF")));
    }

    /// A picked value reads as a lookup in a `Value` did, for every kind of value.
    #[test]
    fn picked_values_read_as_value_lookups_did() {
        let values = [
            "\"text\"",
            "\"\"",
            "\"esc\\\"aped \\u00e9\\n\"",
            "0",
            "-0",
            "42",
            "-7",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
            "-9223372036854775808",
            "1.5",
            "12.30",
            "1e2",
            "1E-7",
            "-0.0",
            "true",
            "false",
            "null",
            "{}",
            "[]",
            "{\"k\":\"v\"}",
            "{\"k\":12}",
            "{\"0\":\"zero\",\"k\":[1]}",
            "{\"00\":\"not index\",\"k\":null}",
            "[\"first\",2]",
            "[3.25]",
            "[[1],\"x\"]",
            "[{\"k\":1}]",
        ];
        let pointers = [
            "/f",
            "/o/k",
            "/l/0",
            "/l/00",
            "/l/1",
            "/o",
            "",
            "/missing/k",
        ];
        for value in values {
            let doc = format!(r#"{{"pad":[1,{{"x":"y"}}],"f":{value},"o":{value},"l":{value}}}"#);
            let v: Value = serde_json::from_str(&doc).expect("json");
            let (text, got) = pick(doc.as_bytes(), pointers).expect("reads");
            assert_eq!(text, doc);
            for (p, got) in pointers.iter().zip(&got) {
                let at = v.pointer(p);
                let str_at = match at {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                assert_eq!(got.text(), str_at, "{value} {p}");
                assert_eq!(got.as_str(), at.and_then(Value::as_str), "{value} {p}");
                assert_eq!(got.as_i64(), at.and_then(Value::as_i64), "{value} {p}");
                assert_eq!(got.as_bool(), at.and_then(Value::as_bool), "{value} {p}");
                let object = at.is_some_and(Value::is_object);
                assert_eq!(*got == Scalar::Object, object, "{value} {p}");
            }
        }
        let (_, [root]) = pick(b"[1]", [""]).expect("json");
        assert_eq!(root, Scalar::None);
    }

    #[test]
    fn rejects_garbage_and_trailing_data() {
        assert!(parse(b"{").is_err());
        assert!(parse(b"{} x").is_err());
        assert!(parse(b"1e400").is_err());
        assert!(parse(&[0xff, 0xfe]).is_err());
    }
}
