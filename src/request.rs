//! The incoming request as plain data, so the core never sees a runtime type.

use crate::error::Rejection;

/// An HTTP request as the platform adapter received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Upper-case method, e.g. `POST`.
    pub method: String,
    /// The URL path, without query string.
    pub path: String,
    /// Header names and values in arrival order; names compared case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body bytes exactly as received: signatures cover these bytes.
    pub body: Vec<u8>,
    /// Current time in milliseconds since the Unix epoch, supplied by the adapter
    /// (reading the clock inside the core panics on wasm32).
    pub now_ms: i64,
}

impl Request {
    /// Convenience constructor for tests and adapters.
    pub fn new(method: &str, path: &str, now_ms: i64) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            now_ms,
        }
    }

    /// Builder: add a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Builder: set the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Current time in whole seconds.
    pub fn now_s(&self) -> i64 {
        self.now_ms.div_euclid(1000)
    }

    /// The single value of a header, or `None` when absent. A header sent twice is
    /// ambiguous (which copy was signed?) and is rejected rather than guessed.
    pub fn single(&self, name: &'static str) -> Result<Option<&str>, Rejection> {
        let mut found = None;
        for (k, v) in &self.headers {
            if k.eq_ignore_ascii_case(name) {
                if found.is_some() {
                    return Err(Rejection::DuplicateHeader(name));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found)
    }

    /// Like [`Request::single`] but the header must be present and non-empty.
    pub fn required(&self, name: &'static str) -> Result<&str, Rejection> {
        match self.single(name)? {
            Some(v) if !v.trim().is_empty() => Ok(v.trim()),
            _ => Err(Rejection::MissingHeader(name)),
        }
    }

    /// The media type of `Content-Type`, lower-cased, without parameters.
    pub fn media_type(&self) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_is_case_insensitive_and_rejects_duplicates() {
        let r = Request::new("post", "/x", 0).header("X-GCS-KeyId", "a");
        assert_eq!(r.single("x-gcs-keyid"), Ok(Some("a")));
        assert_eq!(r.method, "POST");
        let r = r.header("x-gcs-keyid", "b");
        assert_eq!(
            r.single("X-GCS-KeyId"),
            Err(Rejection::DuplicateHeader("X-GCS-KeyId"))
        );
    }

    #[test]
    fn required_rejects_blank() {
        let r = Request::new("POST", "/x", 0).header("Signature", "  ");
        assert_eq!(
            r.required("Signature"),
            Err(Rejection::MissingHeader("Signature"))
        );
    }

    #[test]
    fn media_type_strips_parameters() {
        let r =
            Request::new("POST", "/x", 0).header("Content-Type", "Application/JSON; charset=utf-8");
        assert_eq!(r.media_type(), "application/json");
    }
}
