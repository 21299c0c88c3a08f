#![no_main]
//! The whole core decision function on arbitrary requests over every demo route.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: edgehook_fuzz::Shaped| edgehook_fuzz::run(input, None));
