//! Helpers shared by the native integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use edgehook::verify::RustCrypto;
use edgehook::{Decision, Gateway, Request};

/// Path of a vector file.
pub fn vector_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(rel)
}

/// Reads a vector file's bytes exactly.
pub fn read_vector(rel: &str) -> Vec<u8> {
    std::fs::read(vector_path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Reads and parses a JSON vector description.
pub fn vector_json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&read_vector(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A gateway over one route with the given provider and secret values (binding `S0`,
/// `S1`, ... one per secret).
pub fn gateway(provider: &str, secrets: &[&str], extra: &str) -> Gateway {
    let names: Vec<String> = (0..secrets.len()).map(|i| format!("\"S{i}\"")).collect();
    let routes = format!(
        r#"[{{"path":"/h","provider":"{provider}","secrets":[{}],"origin":"https://origin.example/in"{extra}}}]"#,
        names.join(",")
    );
    let owned: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
    let lookup = move |n: &str| -> Option<String> {
        match n {
            "HMAC" => Some("38453613e7f44dc58732bad3dca2bca3".into()),
            _ => n
                .strip_prefix('S')
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| owned.get(i).cloned()),
        }
    };
    Gateway::from_config(&routes, &lookup).unwrap_or_else(|e| panic!("config: {e}"))
}

/// Runs a request through the gateway.
pub fn run(gw: &Gateway, req: &Request) -> Decision {
    gw.handle(req, &RustCrypto)
}

/// The rejection code, or "accepted"/"handshake".
pub fn outcome(d: &Decision) -> &'static str {
    d.outcome()
}
