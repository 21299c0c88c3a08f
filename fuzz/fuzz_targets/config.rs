#![no_main]
//! Config parsing: arbitrary EDGEHOOK_ROUTES text and secret values never panic, and an
//! accepted config always yields routes that can be looked up.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, Vec<(String, String)>)| {
    let (routes, secrets) = input;
    let lookup = |n: &str| secrets.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    if let Ok(gw) = edgehook::Gateway::from_config(&routes, &lookup) {
        for r in gw.routes() {
            assert!(gw.route(&r.spec.path).is_some());
        }
    }
});
