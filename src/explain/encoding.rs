//! How a signature is written on the wire (hex, base64...) and what is invisible in signed
//! content (CR, a trailing newline, BOM, escaped slashes, odd spaces).

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Enc {
    Hex,
    HexUpper,
    Base64,
    Base64NoPad,
    Base64Url,
    Base64UrlNoPad,
}

impl Enc {
    pub(super) fn encode(self, b: &[u8]) -> String {
        match self {
            Self::Hex => hex::encode(b),
            Self::HexUpper => hex::encode_upper(b),
            Self::Base64 => STANDARD.encode(b),
            Self::Base64NoPad => STANDARD_NO_PAD.encode(b),
            Self::Base64Url => URL_SAFE.encode(b),
            Self::Base64UrlNoPad => URL_SAFE_NO_PAD.encode(b),
        }
    }
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Hex => "hex (lowercase)",
            Self::HexUpper => "hex (uppercase)",
            Self::Base64 => "base64",
            Self::Base64NoPad => "base64 (unpadded)",
            Self::Base64Url => "base64url",
            Self::Base64UrlNoPad => "base64url (unpadded)",
        }
    }
}

/// How the received signature was written, found by re-encoding it and looking for it in
/// the parsed header values (the scheme decoded it already).
pub(super) fn detect_encoding(received: &[Vec<u8>], parsed: &[(String, String)]) -> Enc {
    let encs = [
        Enc::Hex,
        Enc::HexUpper,
        Enc::Base64,
        Enc::Base64NoPad,
        Enc::Base64Url,
        Enc::Base64UrlNoPad,
    ];
    for r in received.iter().filter(|r| !r.is_empty()) {
        for e in encs {
            let s = e.encode(r);
            if parsed.iter().any(|(_, v)| v.contains(&s)) {
                return e;
            }
        }
    }
    Enc::Base64
}

/// What a reader cannot see in signed content.
pub(super) fn content_notes(b: &[u8]) -> Vec<String> {
    let mut notes = Vec::new();
    let cr = b.iter().filter(|&&c| c == b'\r').count();
    let lf = b.iter().filter(|&&c| c == b'\n').count();
    if cr > 0 {
        notes.push(format!(
            "{cr} carriage return(s) (CR, \\r): CRLF line endings are signed as they are"
        ));
    }
    if lf > 0 {
        notes.push(format!("{lf} line feed(s) (LF, \\n)"));
    }
    if b.ends_with(b"\n") {
        notes.push("ends with a newline: it is part of the signed bytes".into());
    }
    if b.windows(2).any(|w| w == b"\\/") {
        notes.push("contains escaped slashes \\/ (as PHP's json_encode writes them)".into());
    }
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        notes.push("starts with a UTF-8 byte order mark (EF BB BF)".into());
    }
    if b.contains(&b'\t') {
        notes.push("contains tab characters".into());
    }
    match std::str::from_utf8(b) {
        Err(_) => notes.push("is not valid UTF-8 (see the base64 form)".into()),
        Ok(s) => {
            let odd: Vec<String> = s
                .chars()
                .filter(|c| {
                    matches!(
                        c,
                        '\u{a0}' | '\u{200b}'..='\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                    ) || (c.is_control() && !matches!(c, '\r' | '\n' | '\t'))
                })
                .map(|c| format!("U+{:04X}", c as u32))
                .collect();
            if !odd.is_empty() {
                let mut uniq = odd.clone();
                uniq.dedup();
                uniq.truncate(5);
                notes.push(format!(
                    "{} invisible or control character(s): {}",
                    odd.len(),
                    uniq.join(", ")
                ));
            }
            if s.starts_with([' ', '\t']) || s.ends_with([' ', '\t']) {
                notes.push("has leading or trailing spaces".into());
            }
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_notes_make_invisibles_visible() {
        let n = content_notes(b"\xEF\xBB\xBF{\"u\":\"a\\/b\"}\r\n").join("|");
        assert!(n.contains("carriage return"));
        assert!(n.contains("ends with a newline"));
        assert!(n.contains("\\/"));
        assert!(n.contains("byte order mark"));
        assert!(content_notes(b"\xff").join("").contains("not valid UTF-8"));
    }
}
