#![no_main]
//! The strict JSON guard: never panics or overflows the stack; whatever it accepts,
//! serde_json parses too.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if edgehook::json::check(data).is_ok() {
        assert!(serde_json::from_slice::<serde_json::Value>(data).is_ok());
    }
});
