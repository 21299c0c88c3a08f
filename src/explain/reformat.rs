//! JSON re-serialized, minified or pretty, keeping key order and strings byte for byte: for
//! the "the body was re-serialized" hint.

#[derive(Debug, Clone, Copy)]
pub(super) enum JsonStyle {
    Compact,
    Spaced,
    Pretty(usize),
}

/// Rewrites valid JSON text in another whitespace style, keeping key order and every
/// string and number byte for byte (as `JSON.stringify` or `json.dumps` would lay it out).
pub(super) fn reformat_json(s: &str, style: JsonStyle) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |out: &mut Vec<u8>, depth: usize, n: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * n));
    };
    let next_sig = |from: usize| {
        b.get(from..)
            .and_then(|r| r.iter().find(|c| !c.is_ascii_whitespace()))
            .copied()
    };
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                let start = i;
                i += 1;
                while let Some(&d) = b.get(i) {
                    i += 1;
                    if d == b'\\' {
                        i += 1;
                    } else if d == b'"' {
                        break;
                    }
                }
                out.extend_from_slice(b.get(start..i.min(b.len())).unwrap_or_default());
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'{' | b'[' => {
                out.push(c);
                let close = if c == b'{' { b'}' } else { b']' };
                if next_sig(i + 1) == Some(close) {
                    out.push(close);
                    i += 1;
                    while b.get(i).is_some_and(|&d| d != close) {
                        i += 1;
                    }
                } else {
                    depth += 1;
                    if let JsonStyle::Pretty(n) = style {
                        newline(&mut out, depth, n);
                    }
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if let JsonStyle::Pretty(n) = style {
                    newline(&mut out, depth, n);
                }
                out.push(c);
            }
            b',' => {
                out.push(c);
                match style {
                    JsonStyle::Compact => {}
                    JsonStyle::Spaced => out.push(b' '),
                    JsonStyle::Pretty(n) => newline(&mut out, depth, n),
                }
            }
            b':' => {
                out.push(c);
                if !matches!(style, JsonStyle::Compact) {
                    out.push(b' ');
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_reformatting_keeps_order_and_strings() {
        let s = "{\"b\": [1, {}, []], \"a\": \"x, y: {z}\\\"\"}";
        assert_eq!(
            reformat_json(s, JsonStyle::Compact),
            "{\"b\":[1,{},[]],\"a\":\"x, y: {z}\\\"\"}"
        );
        assert_eq!(
            reformat_json(s, JsonStyle::Pretty(2)),
            "{\n  \"b\": [\n    1,\n    {},\n    []\n  ],\n  \"a\": \"x, y: {z}\\\"\"\n}"
        );
        assert_eq!(reformat_json("[1,2]", JsonStyle::Spaced), "[1, 2]");
    }
}
