//! Form bodies (`application/x-www-form-urlencoded`) as the form senders (Lyra REST, Lyra
//! form) use them, read so that what the origin's framework reads is what was signed.
//!
//! Both Lyra schemes sign only some fields. A body can carry other fields whose names a web
//! framework maps onto a signed one: PHP drops leading spaces and turns `.` and ` ` into
//! `_`, reads `name[x]` as `name`, and lets the last duplicate win, so `kr-answer=<signed>&
//! %20kr-answer=<forged>` verifies here while `$_POST['kr-answer']` is the forged copy.
//! [`refuse_collisions`] turns such a body away, and a raw forward is rebuilt from the
//! verified fields only ([`rebuild`]), so no unsigned byte reaches the origin.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::Rejection;

/// A form's fields in received order, names and values URL-decoded.
pub type Fields<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// The fields of a form body.
pub fn fields(body: &[u8]) -> Fields<'_> {
    form_urlencoded::parse(body).collect()
}

/// The value of a field that may appear at most once (a repeated field is ambiguous: which
/// copy was signed, which one will the origin read?).
pub fn single<'f>(
    fields: &'f [(Cow<'_, str>, Cow<'_, str>)],
    name: &str,
) -> Result<Option<&'f str>, Rejection> {
    Ok(single_index(fields, name)?.and_then(|i| fields.get(i).map(|(_, v)| v.as_ref())))
}

/// Where the field that may appear at most once is, as [`single`].
pub fn single_index(
    fields: &[(Cow<'_, str>, Cow<'_, str>)],
    name: &str,
) -> Result<Option<usize>, Rejection> {
    let mut found = None;
    for (i, (k, _)) in fields.iter().enumerate() {
        if k == name {
            if found.is_some() {
                return Err(Rejection::AmbiguousField(clip(name).to_owned()));
            }
            found = Some(i);
        }
    }
    Ok(found)
}

/// The name a common web framework files a form field under, folded so that two names one
/// of them would confuse compare equal:
/// - PHP (`php_register_variable_ex`): the name ends at a NUL, leading spaces are dropped,
///   ` ` and `.` become `_`, `a[...]` is the array `a`, and a `[` without its `]` becomes `_`;
/// - Rails/Rack: `a[b]` and `a[]` are nested under `a`;
/// - Java servlets and Python (Django, Flask) take names as they are, first or last
///   duplicate winning, which the duplicate rule covers;
/// - ASP.NET compares names ignoring ASCII case, so case is folded too.
pub fn framework_name(name: &str) -> String {
    let name = name.split('\0').next().unwrap_or_default();
    let name = name.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let base = match name.find('[') {
        Some(open) if name[open..].contains(']') => &name[..open],
        _ => name,
    };
    base.chars()
        .map(|c| match c {
            ' ' | '.' | '[' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Refuses a form in which a signed (or otherwise trusted) field could be read by the
/// origin from another field: two fields with the same [`framework_name`] where either one
/// is trusted, or an untrusted field whose framework name lands in the trusted namespace
/// (` vads_amount` beside no `vads_amount` at all still reads as `$_POST['vads_amount']`).
/// `trusted(name)` says whether a received name is covered by the signature;
/// `trusted_folded(folded)` whether a folded name belongs to the trusted namespace.
pub fn refuse_collisions(
    fields: &[(Cow<'_, str>, Cow<'_, str>)],
    trusted: impl Fn(&str) -> bool,
    trusted_folded: impl Fn(&str) -> bool,
) -> Result<(), Rejection> {
    let mut seen: HashMap<String, (usize, bool)> = HashMap::with_capacity(fields.len());
    for (i, (name, _)) in fields.iter().enumerate() {
        let folded = framework_name(name);
        let is_trusted = trusted(name);
        if !is_trusted && trusted_folded(&folded) {
            return Err(Rejection::AmbiguousField(clip(name).to_owned()));
        }
        if let Some(&(first, first_trusted)) = seen.get(&folded) {
            if is_trusted || first_trusted {
                let named = if is_trusted { name } else { &fields[first].0 };
                return Err(Rejection::AmbiguousField(clip(named).to_owned()));
            }
        } else {
            seen.insert(folded, (i, is_trusted));
        }
    }
    Ok(())
}

/// A form body of exactly `pairs`, in order: what a raw forward of a form sender carries
/// (the verified fields, re-encoded), so the origin reads no byte the signature left out.
pub fn rebuild<'p>(pairs: impl IntoIterator<Item = (&'p str, &'p str)>) -> Vec<u8> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        form.append_pair(k, v);
    }
    form.finish().into_bytes()
}

/// A received value quoted in a rejection, cut short: the sender chose its length.
pub fn clip(s: &str) -> &str {
    s.char_indices().nth(40).map_or(s, |(i, _)| &s[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_names_fold_like_php_and_rack() {
        assert_eq!(framework_name(" kr-answer"), "kr-answer");
        assert_eq!(framework_name("\tkr-answer"), "kr-answer");
        assert_eq!(framework_name("vads.trans_status"), "vads_trans_status");
        assert_eq!(framework_name("vads trans.status"), "vads_trans_status");
        assert_eq!(framework_name("vads_amount[]"), "vads_amount");
        assert_eq!(framework_name("vads_amount[x][y]"), "vads_amount");
        assert_eq!(framework_name("vads[amount"), "vads_amount");
        assert_eq!(framework_name("KR-ANSWER"), "kr-answer");
        assert_eq!(framework_name("kr-answer\0junk"), "kr-answer");
        assert_eq!(framework_name("kr-answer"), "kr-answer");
    }

    fn check(body: &[u8]) -> Result<(), Rejection> {
        let f = fields(body);
        refuse_collisions(&f, |n| n.starts_with("vads_"), |n| n.starts_with("vads_"))
    }

    #[test]
    fn collisions_with_signed_fields_are_refused() {
        assert_eq!(check(b"vads_a=1&vads_b=2&other=3&x[]=4&x=5"), Ok(()));
        for body in [
            &b"vads_a=1&vads.a=2"[..],
            b"vads_a=1&%20vads_a=2",
            b"vads_a=1&vads_a[]=2",
            b"vads_a=1&VADS_A=2",
            b"vads.only=2",
            b"vads_a=1&vads_a=1",
            b"vads_a[]=1&vads_a=2",
        ] {
            assert!(
                matches!(check(body), Err(Rejection::AmbiguousField(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(
            Rejection::AmbiguousField("x".into()).code(),
            "ambiguous_form_field"
        );
        assert_eq!(Rejection::AmbiguousField("x".into()).status(), 400);
    }

    #[test]
    fn single_fields() {
        let f = fields(b"a=1&b=2&a=3");
        assert!(matches!(single(&f, "a"), Err(Rejection::AmbiguousField(_))));
        assert_eq!(single(&f, "b"), Ok(Some("2")));
        assert_eq!(single(&f, "c"), Ok(None));
    }

    #[test]
    fn rebuild_round_trips() {
        let body = rebuild([("vads_a", "1 2&3"), ("signature", "a+b/=")]);
        let back = fields(&body);
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].1, "1 2&3");
        assert_eq!(back[1].1, "a+b/=");
    }

    #[test]
    fn clip_cuts_on_char_boundaries() {
        assert_eq!(clip("short"), "short");
        assert_eq!(clip(&"é".repeat(50)).chars().count(), 40);
    }
}
