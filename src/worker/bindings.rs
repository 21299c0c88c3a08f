//! The queue producer, called directly, for the sends the Rust side still makes (retries,
//! dead-letter stages, replays; the webhook path sends from the JS entry).
//!
//! workers-rs's `Queue::send` turns the message into a JS object field by field
//! (`serde_wasm_bindgen`); this sends the delivery's JSON as `contentType: "text"`, which
//! the consumer parses with the same serde types (measured: BENCHMARKS.md, "adapter").

use wasm_bindgen::prelude::*;
use worker::js_sys::{self, futures::JsFuture, Object, Promise, Reflect};
use worker::Env;

#[wasm_bindgen]
extern "C" {
    /// A queue producer binding.
    pub type QueueProducer;

    #[wasm_bindgen(method, catch, js_name = send)]
    fn send_with(this: &QueueProducer, body: &str, options: &JsValue) -> Result<Promise, JsValue>;
}

/// A binding by name, `None` when the deployment does not bind it.
fn binding<T: JsCast>(env: &Env, name: &str) -> Option<T> {
    Reflect::get(env, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
        .map(JsCast::unchecked_into)
}

pub fn queue(env: &Env) -> Option<QueueProducer> {
    binding(env, super::QUEUE)
}

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// A rejected runtime call's reason as text: a thrown string, an `Error`'s message, or
/// `fallback` for anything else.
pub fn error_text(e: &JsValue, fallback: &str) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| fallback.into())
}

impl QueueProducer {
    /// Sends `body` as a text message, optionally delayed; resolves once the queue has it.
    pub async fn send_text(&self, body: &str, delay_s: Option<u32>) -> Result<(), String> {
        let mut pairs = vec![("contentType", JsValue::from_str("text"))];
        if let Some(d) = delay_s {
            pairs.push(("delaySeconds", JsValue::from_f64(f64::from(d))));
        }
        let promise = self
            .send_with(body, &options(&pairs))
            .map_err(|e| error_text(&e, "unknown error"))?;
        JsFuture::from(promise)
            .await
            .map(|_| ())
            .map_err(|e| error_text(&e, "unknown error"))
    }
}
