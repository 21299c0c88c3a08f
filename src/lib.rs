#![doc = "edgehook: payment-provider webhooks verified, decrypted, normalized and forwarded at the edge."]
#![doc = ""]
#![doc = "The core (`config`, `request`, `verify`, `providers`, `event`, `gateway`, `forward`) is"]
#![doc = "pure Rust and knows nothing of Workers or the browser; `worker` and `browser` are thin"]
#![doc = "adapters behind cargo features."]

pub mod config;
pub mod entry;
pub mod error;
pub mod event;
pub mod eventlog;
pub mod explain;
pub mod forward;
pub mod gate;
pub mod gateway;
pub mod json;
pub mod money;
pub mod providers;
pub mod request;
pub mod verify;

#[cfg(any(feature = "browser", feature = "browser-signer"))]
pub mod browser;
#[cfg(feature = "worker")]
mod worker;

pub use error::Rejection;
pub use gateway::{Decision, Delivery, Gateway};
pub use request::Request;
