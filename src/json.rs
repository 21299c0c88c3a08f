//! Strict JSON for signed payloads: duplicate keys and excessive nesting are rejected.
//!
//! A payload with `"amount"` twice is ambiguous — our parser keeps the last value, the
//! merchant's backend may keep the first — so an attacker who can get one field past a
//! provider could make the gateway and the origin disagree. Refusing it costs one extra
//! pass over an already-authenticated body and removes the ambiguity.
//!
//! The mappings then read only the fields they need ([`fields`]): a typed, borrowed
//! deserialization that skips everything else, instead of a [`Value`] tree of the whole
//! payload (which cost most of the non-crypto work of an accepted event: BENCHMARKS.md, 3f).
//! [`Scalar`], [`Obj`] and [`First`] read a field the way a lookup in a [`Value`] would
//! (`Value::pointer` and `as_str`/`as_i64`/`as_bool`, or `str_at`'s stringified numbers),
//! so a field of an unexpected type is absent rather than an error, as before.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::Rejection;

/// Maximum nesting depth of objects and arrays. Real payment payloads nest under 10.
pub const MAX_DEPTH: usize = 64;

/// Parses `bytes` as JSON, refusing duplicate keys and nesting past [`MAX_DEPTH`], in one
/// pass: the checking visitor builds the value itself (this runs on every accepted event).
pub fn parse(bytes: &[u8]) -> Result<serde_json::Value, Rejection> {
    build(bytes).map_err(rejection)
}

/// For bodies that need not be JSON (generic-hmac passes form and text bodies through):
/// `Ok(None)` when `bytes` is not JSON, the value when it is, and a rejection when it is
/// JSON that only a lenient parser takes (a key twice, nesting past [`MAX_DEPTH`]): the
/// gateway and the origin could read such a body differently.
pub fn parse_if_json(bytes: &[u8]) -> Result<Option<serde_json::Value>, Rejection> {
    match build(bytes) {
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
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Rejection::MalformedBody(format!("invalid JSON: not UTF-8 ({e})")))?;
    guard(text).map_err(rejection)?;
    Ok(text)
}

/// Checks `bytes` strictly ([`strict`]), then reads the fields of `T` from it, skipping the
/// rest: `None` when the payload is not a JSON object.
pub fn fields<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<Option<T>, Rejection> {
    read::<T>(strict(bytes)?)
}

/// [`fields`] for text [`strict`] has already accepted.
pub fn read<'a, T: Deserialize<'a>>(text: &'a str) -> Result<Option<T>, Rejection> {
    serde_json::from_str::<Obj<T>>(text)
        .map(|o| o.0)
        .map_err(rejection)
}

/// Whether JSON that [`strict`] accepted is an object.
pub fn is_object(checked: &str) -> bool {
    checked.trim_ascii_start().starts_with('{')
}

/// `Ok(None)` when `bytes` is not JSON, the text when it is strict JSON, and the rejection
/// of [`parse_if_json`] when only a lenient parser takes it.
pub fn check_if_json(bytes: &[u8]) -> Result<Option<&str>, Rejection> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(None);
    };
    match guard(text) {
        Ok(()) => Ok(Some(text)),
        Err(e) if e.classify() == serde_json::error::Category::Data => Err(rejection(e)),
        Err(_) => Ok(None),
    }
}

/// A scalar field: what a mapping may read from a string, number or boolean. Objects,
/// arrays, `null` and a missing field are [`Scalar::None`].
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
}

impl Scalar<'_> {
    /// A string, or a number's JSON text (`str_at`'s reading).
    pub fn text(&self) -> Option<String> {
        match self {
            Self::Str(s) => Some(s.as_ref().to_owned()),
            Self::Int(i) => Some(i.to_string()),
            Self::Number(n) => Some(n.to_string()),
            Self::None | Self::Bool(_) => None,
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

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Scalar::Number(v.into()), Scalar::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        // As `Value` does: serde_json never hands over a non-finite number.
        Ok(Number::from_f64(v).map_or(Scalar::None, Scalar::Number))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq).map(|()| Scalar::None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        skip_map(map).map(|()| Scalar::None)
    }
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// An object field read as `T` (`Value::pointer` through it); any other value is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(std::marker::PhantomData))
    }
}

struct ObjVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Obj<T>, A::Error> {
        skip_seq(seq).map(|()| Obj(None))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_str<E>(self, _: &str) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_unit<E>(self) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
}

/// A field that is an object read as `T` or a scalar (FedaPay's `currency`: `{"iso":"XOF"}`
/// or `"XOF"`); an array is neither.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a, T> {
    /// A scalar, or nothing.
    Scalar(Scalar<'a>),
    /// An object.
    Obj(T),
}

impl<T> Default for Node<'_, T> {
    fn default() -> Self {
        Self::Scalar(Scalar::None)
    }
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Node<'a, T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor(std::marker::PhantomData))
    }
}

struct NodeVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for NodeVisitor<T> {
    type Value = Node<'de, T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Node::Obj)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        ScalarVisitor.visit_seq(seq).map(Node::Scalar)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        ScalarVisitor.visit_bool(v).map(Node::Scalar)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        ScalarVisitor.visit_i64(v).map(Node::Scalar)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        ScalarVisitor.visit_u64(v).map(Node::Scalar)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        ScalarVisitor.visit_f64(v).map(Node::Scalar)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        ScalarVisitor.visit_borrowed_str(v).map(Node::Scalar)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        ScalarVisitor.visit_str(v).map(Node::Scalar)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Node::Scalar(Scalar::None))
    }
}

/// The element a `/field/0` pointer finds: an array's first, or an object's `"0"` member.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct First<'a>(pub Scalar<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for First<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FirstVisitor)
    }
}

struct FirstVisitor;

impl<'de> Visitor<'de> for FirstVisitor {
    type Value = First<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element::<Scalar<'de>>()?.unwrap_or_default();
        skip_seq(seq).map(|()| First(first))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut first = Scalar::None;
        while let Some(Key(k)) = map.next_key()? {
            if k == "0" {
                first = map.next_value()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(First(first))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(First::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(First::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(First::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(First::default())
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(First::default())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(First::default())
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

fn build(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
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
        let mut few: Vec<Cow<'de, str>> = Vec::new();
        let mut many: Option<HashSet<Cow<'de, str>>> = None;
        while let Some(Key(key)) = map.next_key()? {
            let fresh = match &mut many {
                Some(set) => set.insert(key),
                None if few.contains(&key) => false,
                None => {
                    few.push(key);
                    if few.len() > LINEAR_KEYS {
                        many = Some(few.drain(..).collect());
                    }
                    true
                }
            };
            if !fresh {
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
    fn check_if_json_agrees_with_parse_if_json() {
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
            br#"[1,2] x"#,
            deep.as_bytes(),
        ] {
            // The same outcome; a duplicate's position is the key's, not the value's end.
            let parsed = parse_if_json(text)
                .map(|v| v.is_some())
                .map_err(|e| e.code());
            let checked = check_if_json(text)
                .map(|t| t.is_some())
                .map_err(|e| e.code());
            assert_eq!(checked, parsed, "{:?}", String::from_utf8_lossy(text));
        }
    }

    /// The typed readers find what a lookup in a `Value` found, for every kind of value.
    #[test]
    fn typed_fields_read_as_value_lookups_did() {
        use serde::Deserialize;
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Doc<'a> {
            #[serde(borrow)]
            f: Scalar<'a>,
            #[serde(borrow)]
            o: Obj<Inner<'a>>,
            #[serde(borrow)]
            l: First<'a>,
            #[serde(borrow)]
            n: Node<'a, Inner<'a>>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Inner<'a> {
            #[serde(borrow)]
            k: Scalar<'a>,
        }
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
            "[\"first\",2]",
            "[3.25]",
            "[[1],\"x\"]",
            "[{\"k\":1}]",
        ];
        for value in values {
            let doc = format!(
                r#"{{"pad":[1,{{"x":"y"}}],"f":{value},"o":{value},"l":{value},"n":{value}}}"#
            );
            let v: Value = serde_json::from_str(&doc).expect("json");
            let d: Doc<'_> = fields(doc.as_bytes()).expect("reads").expect("object");
            let str_at = |p: &str| match v.pointer(p) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            let f = v.pointer("/f");
            assert_eq!(d.f.text(), str_at("/f"), "{value}");
            assert_eq!(d.f.as_str(), f.and_then(Value::as_str), "{value}");
            assert_eq!(d.f.as_i64(), f.and_then(Value::as_i64), "{value}");
            assert_eq!(d.f.as_bool(), f.and_then(Value::as_bool), "{value}");
            let k = d.o.0.as_ref().map(|i| i.k.text()).unwrap_or_default();
            assert_eq!(k, str_at("/o/k"), "{value}");
            assert_eq!(d.o.0.is_some(), v["o"].is_object(), "{value}");
            assert_eq!(d.l.0.text(), str_at("/l/0"), "{value}");
            let (nk, ns) = match &d.n {
                Node::Obj(i) => (i.k.text(), None),
                Node::Scalar(s) => (None, s.text()),
            };
            assert_eq!((nk, ns), (str_at("/n/k"), str_at("/n")), "{value}");
        }
        assert_eq!(fields::<Doc<'_>>(b"[1]").expect("json").map(|_| ()), None);
        assert_eq!(
            fields::<Doc<'_>>(b" \"s\" ").expect("json").map(|_| ()),
            None
        );
        assert!(fields::<Doc<'_>>(br#"{"f":1,"f":2}"#).is_err());
        assert!(is_object(" \n{}") && !is_object("[]"));
    }

    #[test]
    fn rejects_garbage_and_trailing_data() {
        assert!(parse(b"{").is_err());
        assert!(parse(b"{} x").is_err());
        assert!(parse(b"1e400").is_err());
        assert!(parse(&[0xff, 0xfe]).is_err());
    }
}
