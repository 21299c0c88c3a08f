//! The gateway's verdict, event and origin request for one request: the least a page needs
//! to run the worker's own code (see Cargo.toml).
use edgehook::verify::RustCrypto;
use edgehook::{forward, Decision, Gateway, Request};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn verdict(config: &str, secrets: &str, headers: &str, body: &[u8], now_ms: f64) -> String {
    let lookup = |_: &str| Some(secrets.to_owned());
    let gw = match Gateway::from_config(config, &lookup) {
        Ok(g) => g,
        Err(e) => return e.to_string(),
    };
    let path = gw.routes().first().map(|r| r.spec.path.clone()).unwrap_or_default();
    let mut req = Request::new("POST", &path, now_ms as i64);
    for line in headers.lines() {
        if let Some((k, v)) = line.split_once(':') {
            req = req.header(k.trim(), v.trim());
        }
    }
    let req = req.body(body.to_vec());
    let d = gw.handle(&req, &RustCrypto);
    let mut out = format!("{} {}", d.reply().status, d.reply().body);
    if let Decision::Accept { delivery, .. } = &d {
        let f = forward::build(delivery, None, None, req.now_s(), &RustCrypto);
        out.push_str(&delivery.event);
        out.push_str(&f.url);
    }
    out
}
