#![no_main]
//! The lyra-form route: its header/body parsers before the MAC, and (signed inputs) its payload
//! parsers and mapping behind it.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: edgehook_fuzz::Shaped| edgehook_fuzz::run(input, Some("/hooks/lyra-form")));
