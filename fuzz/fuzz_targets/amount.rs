#![no_main]
//! Exact amount conversion: never panics; whatever converts round-trips exactly.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, u8)| {
    let (text, c) = input;
    let currency = ["EUR", "XOF", "KWD", "JPY", "USD", "CLF"][usize::from(c) % 6];
    if let Some(minor) = edgehook::money::to_minor(&text, currency) {
        let exp = edgehook::money::exponent(currency);
        let scale = 10i128.pow(exp);
        let back = format!("{}.{:0width$}", i128::from(minor).abs() / scale, i128::from(minor).abs() % scale, width = exp as usize);
        let back = if minor < 0 { format!("-{back}") } else { back };
        let again = edgehook::money::to_minor(back.trim_end_matches('.'), currency);
        assert_eq!(again, Some(minor), "{text:?} -> {minor} -> {back:?}");
    }
});
