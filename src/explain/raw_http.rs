//! A pasted HTTP/1 request (request line, headers, blank line, body; CRLF or LF) taken
//! apart, with notes on what was lenient about it.

use serde::Serialize;

/// A raw HTTP request, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawRequest {
    /// Upper-case method (`POST` when the request line is missing).
    pub method: String,
    /// The path without query string, when there was a request line.
    pub path: Option<String>,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// The body, exactly as pasted after the blank line (less bytes beyond `Content-Length`).
    pub body: String,
    /// What the parser noticed (trimmed trailing newline, length mismatch...).
    pub notes: Vec<String>,
}

/// Parses a pasted HTTP/1 request: request line (optional), headers, blank line, body.
/// Head lines may end in CRLF or LF; the body is kept byte for byte.
pub fn parse_raw_http(text: &str) -> Result<RawRequest, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.trim_start_matches(['\r', '\n']);
    let (head, body) = split_head(text);
    let mut notes = Vec::new();
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut method = "POST".to_owned();
    let mut path = None;
    let mut header_text = String::new();
    let first = lines.next().unwrap_or_default();
    if let Some((m, p)) = request_line(first) {
        method = m;
        path = Some(p);
    } else if first.contains(':') {
        notes.push("no request line: assuming POST to the route's path".into());
        header_text.push_str(first);
        header_text.push('\n');
    } else if !first.trim().is_empty() {
        return Err(format!(
            "line 1 is neither a request line (POST /path HTTP/1.1) nor a header: {:?}",
            clip(first, 60)
        ));
    }
    for l in lines {
        header_text.push_str(l);
        header_text.push('\n');
    }
    let mut headers = Vec::new();
    for (name, value) in parse_header_lines(&header_text)? {
        if let Some(pseudo) = name.strip_prefix(':') {
            match pseudo.to_ascii_lowercase().as_str() {
                "method" => method = value.to_ascii_uppercase(),
                "path" => path = Some(path_of(&value)),
                _ => {}
            }
            continue;
        }
        headers.push((name, value));
    }
    let mut body = body.to_owned();
    let len_header = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    if let Some(n) = len_header {
        let have = body.len();
        if have > n && body.get(n..).is_some_and(|rest| rest.trim().is_empty()) {
            body.truncate(n);
            notes.push(format!(
                "dropped {} byte(s) of whitespace after Content-Length ({n}): a paste added them",
                have - n
            ));
        } else if have != n {
            notes.push(format!(
                "Content-Length says {n} bytes but the body has {have}: line endings or characters may have changed in the copy (a text field turns CRLF into LF)"
            ));
        }
    }
    if headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    }) {
        notes.push(
            "Transfer-Encoding: chunked is not decoded here: paste the de-chunked body".into(),
        );
    }
    Ok(RawRequest {
        method,
        path,
        headers,
        body,
        notes,
    })
}

fn split_head(text: &str) -> (&str, &str) {
    let crlf = text.find("\r\n\r\n").map(|i| (i, 4));
    let lf = text.find("\n\n").map(|i| (i, 2));
    let cut = match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    match cut {
        Some((i, n)) => (
            text.get(..i).unwrap_or_default(),
            text.get(i + n..).unwrap_or_default(),
        ),
        None => (text, ""),
    }
}

fn request_line(line: &str) -> Option<(String, String)> {
    let mut parts = line.split_whitespace();
    let method = parts.next()?;
    let target = parts.next()?;
    let version = parts.next();
    if parts.next().is_some()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || version.is_some_and(|v| !v.starts_with("HTTP/"))
        || !(target.starts_with('/')
            || target.starts_with("http://")
            || target.starts_with("https://"))
    {
        return None;
    }
    Some((method.to_ascii_uppercase(), path_of(target)))
}

/// The path of a request target (origin-form or absolute-form), without query.
fn path_of(target: &str) -> String {
    let t = target.trim();
    let t = match t.find("://") {
        Some(i) => {
            let rest = t.get(i + 3..).unwrap_or_default();
            rest.find('/').and_then(|j| rest.get(j..)).unwrap_or("/")
        }
        None => t,
    };
    let end = t.find(['?', '#']).unwrap_or(t.len());
    let p = t.get(..end).unwrap_or(t);
    if p.is_empty() {
        "/".into()
    } else {
        p.into()
    }
}

/// `Name: value` lines (blank lines skipped; folded continuation lines joined).
pub(super) fn parse_header_lines(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
                continue;
            }
        }
        // `:path: /x` (HTTP/2 pseudo-headers as browsers copy them) keeps its leading colon.
        let (pseudo, rest) = match line.strip_prefix(':') {
            Some(r) => (true, r),
            None => (false, line),
        };
        let (name, value) = rest.split_once(':').ok_or_else(|| {
            format!(
                "header line {} has no colon (expected Name: value): {:?}",
                i + 1,
                clip(line, 60)
            )
        })?;
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!(
                "header line {} has no valid name: {:?}",
                i + 1,
                clip(line, 60)
            ));
        }
        let name = if pseudo {
            format!(":{name}")
        } else {
            name.to_owned()
        };
        out.push((name, value.trim().to_owned()));
    }
    Ok(out)
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut c: String = s.chars().take(n).collect();
        c.push('…');
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_http_parsing() {
        let p = parse_raw_http(
            "POST https://gw.example/hooks/x?a=1 HTTP/1.1\nHost: gw\nX-A:  1 \n  folded\nContent-Length: 2\n\nab\n",
        )
        .expect("parse");
        assert_eq!(p.method, "POST");
        assert_eq!(p.path.as_deref(), Some("/hooks/x"));
        assert_eq!(p.headers[1], ("X-A".into(), "1 folded".into()));
        assert_eq!(p.body, "ab");
        assert!(p.notes[0].contains("dropped 1 byte"));
        let p = parse_raw_http("X-Sig: 1\r\n\r\n{\"a\":\r\n1}").expect("no request line");
        assert_eq!(p.path, None);
        assert_eq!(p.body, "{\"a\":\r\n1}");
        let p = parse_raw_http(":method: POST\n:path: /h?x\nA: b\n\nbody").expect("h2");
        assert_eq!((p.method.as_str(), p.path.as_deref()), ("POST", Some("/h")));
        assert_eq!(p.headers.len(), 1);
        assert!(parse_raw_http("hello world\n\nx").is_err());
        assert!(parse_raw_http("not http\n\nbody").is_err());
        assert!(parse_raw_http("POST / HTTP/1.1\nnot a header\n\n").is_err());
        assert_eq!(parse_raw_http("").expect("empty").body, "");
    }
}
