//! Validates a route config and its secrets with the gateway's own parser, before deploy.
//!
//! Reads `{"routes": "<EDGEHOOK_ROUTES text>", "secrets": {"NAME": "value", ...}}` on stdin
//! (`npm run check-config` builds it from wrangler.toml and .dev.vars). Prints what it
//! found; exits 1 with the located reason (`routes[2].secrets: ...`) when the gateway would
//! answer `config_invalid`. Secret values are never printed.

use std::collections::HashMap;
use std::io::Read;
use std::process::ExitCode;

use edgehook::Gateway;

#[derive(serde::Deserialize)]
struct Input {
    routes: String,
    #[serde(default)]
    secrets: HashMap<String, String>,
}

fn main() -> ExitCode {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("cannot read stdin: {e}");
        return ExitCode::from(2);
    }
    let input: Input = match serde_json::from_str(&text) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("input must be {{\"routes\": \"...\", \"secrets\": {{...}}}}: {e}");
            return ExitCode::from(2);
        }
    };
    let lookup = |name: &str| input.secrets.get(name).cloned();
    match Gateway::from_config(&input.routes, &lookup) {
        Ok(gw) => {
            for r in gw.routes() {
                println!(
                    "ok  {:<28} {:<18} -> {} ({}, {})",
                    r.spec.path,
                    r.provider.name(),
                    r.spec.origin,
                    serde_json::to_string(&r.spec.forward)
                        .unwrap_or_default()
                        .trim_matches('"'),
                    if r.origin_key.is_some() {
                        "signed"
                    } else {
                        "UNSIGNED"
                    }
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("config_invalid: {e}");
            ExitCode::from(1)
        }
    }
}
