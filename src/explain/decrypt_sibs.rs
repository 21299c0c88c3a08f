//! `decrypt_sibs`: a SIBS request built from key, IV, tag and body, explained by the SIBS
//! route's own decryption and normalization.

use serde_json::Value;

use crate::request::Request;
use crate::verify::RustCrypto;

use super::input::{config_in, field, parse_input, Config, Lines};
use super::output::Explanation;
use super::trace::explain;
use super::{ApiError, SIBS_IV, SIBS_TAG};

pub(super) fn decrypt_sibs_value(input: &str) -> Result<Explanation, ApiError> {
    let v = parse_input(input, &["key", "iv", "tag", "body", "now_ms"])?;
    let mut c = config_in(&v)?;
    if c.route.is_none() {
        c.provider = Some("sibs".into());
    }
    if let Some(k) = field::<Option<Lines>>(&v, "key")? {
        if c.secrets.is_some() {
            return Err(ApiError::input("give key or secrets, not both"));
        }
        c.secrets = Some(k);
    }
    let cfg = Config::from_input(&c)?;
    let get = |k: &str| -> Result<String, ApiError> {
        field::<Option<String>>(&v, k)?
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| ApiError::input(format!("{k} is required")))
    };
    let now_ms = v
        .get("now_ms")
        .and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)))
        .ok_or_else(|| ApiError::input("now_ms is required"))?;
    let path = cfg
        .routes
        .first()
        .and_then(|r| r.get("path"))
        .and_then(Value::as_str)
        .unwrap_or("/hooks/sibs")
        .to_owned();
    let req = Request::new("POST", &path, now_ms)
        .header("Content-Type", "text/plain")
        .header(SIBS_IV, &get("iv")?)
        .header(SIBS_TAG, &get("tag")?)
        .body(get("body")?.into_bytes());
    Ok(explain(&cfg, req, &RustCrypto))
}
