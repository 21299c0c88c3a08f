//! The two bindings on the accept path (queue producer and KV), called directly.
//!
//! workers-rs's `Env::kv` reads six properties off the binding on every lookup, and its
//! `Queue::send` turns the message into a JS object field by field (`serde_wasm_bindgen`).
//! An accepted event instead costs one property read per binding and one string crossing:
//! the queue message is the delivery's JSON as `contentType: "text"`, which the consumer
//! parses with the same serde types (measured: BENCHMARKS.md, "adapter").

use wasm_bindgen::prelude::*;
use worker::js_sys::{self, futures::JsFuture, Object, Promise, Reflect};
use worker::Env;

#[wasm_bindgen]
extern "C" {
    /// A Workers KV namespace.
    pub type KvNamespace;

    #[wasm_bindgen(method, catch, js_name = get)]
    fn get_text(this: &KvNamespace, key: &str) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = put)]
    fn put_with(
        this: &KvNamespace,
        key: &str,
        value: &str,
        options: &JsValue,
    ) -> Result<Promise, JsValue>;

    /// A Queues producer binding.
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

pub fn kv(env: &Env) -> Option<KvNamespace> {
    binding(env, super::KV)
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

fn error_text(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "unknown error".into())
}

impl KvNamespace {
    /// The value at `key` as text, `None` when absent.
    pub async fn text(&self, key: &str) -> Result<Option<String>, String> {
        let promise = self.get_text(key).map_err(|e| error_text(&e))?;
        let v = JsFuture::from(promise).await.map_err(|e| error_text(&e))?;
        Ok(v.as_string())
    }

    /// Starts a put that expires after `ttl_s`; the caller decides whether to await it.
    pub fn put_expiring(&self, key: &str, value: &str, ttl_s: u64) -> Result<Promise, String> {
        let opts = options(&[("expirationTtl", JsValue::from_f64(ttl_s as f64))]);
        self.put_with(key, value, &opts).map_err(|e| error_text(&e))
    }
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
            .map_err(|e| error_text(&e))?;
        JsFuture::from(promise)
            .await
            .map(|_| ())
            .map_err(|e| error_text(&e))
    }
}
