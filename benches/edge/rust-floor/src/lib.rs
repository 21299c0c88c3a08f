//! The Rust floor: what a workers-rs webhook worker costs before doing any work.
//!
//! Default: the naive worker, as the workers-rs docs write it (`worker::Request`, which
//! reads `request.cf`; the `Response` builder). Feature `lean`: the same through the raw
//! runtime types edgehook's adapter uses, to show what the workers-rs conveniences cost
//! apart from the wasm-bindgen async machinery every Rust worker pays.
use worker::{event, Context, Env, Result};

#[cfg(not(feature = "lean"))]
#[event(fetch)]
async fn fetch(mut req: worker::Request, _env: Env, _ctx: Context) -> Result<worker::Response> {
    // Drain the body like any webhook receiver must (an unread POST body resets the
    // keep-alive connection).
    let _ = req.bytes().await?;
    worker::Response::ok("ok")
}

#[cfg(feature = "lean")]
#[event(fetch)]
async fn fetch(
    req: worker::web_sys::Request,
    _env: Env,
    _ctx: Context,
) -> Result<worker::web_sys::Response> {
    let body = worker::js_sys::futures::JsFuture::from(req.array_buffer()?).await?;
    let _ = worker::js_sys::Uint8Array::new(&body).to_vec();
    Ok(worker::web_sys::Response::new_with_opt_str(Some("ok"))?)
}
