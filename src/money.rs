//! Exact amounts: decimal strings to integer minor units, and ISO 4217 lookups.
//! No floats anywhere: `16.20` EUR must become 1620, not 1619.

/// Minor-unit exponent of an ISO 4217 alphabetic code (2 when not listed).
pub fn exponent(currency: &str) -> u32 {
    match currency.to_ascii_uppercase().as_str() {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// ISO 4217 numeric code to alphabetic, for the currencies payment providers use.
pub fn alpha_from_numeric(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        "978" => "EUR",
        "840" => "USD",
        "826" => "GBP",
        "756" => "CHF",
        "952" => "XOF",
        "950" => "XAF",
        "953" => "XPF",
        "124" => "CAD",
        "036" => "AUD",
        "392" => "JPY",
        "208" => "DKK",
        "752" => "SEK",
        "578" => "NOK",
        "985" => "PLN",
        "203" => "CZK",
        "348" => "HUF",
        "946" => "RON",
        "975" => "BGN",
        "949" => "TRY",
        "986" => "BRL",
        "484" => "MXN",
        "032" => "ARS",
        "152" => "CLP",
        "170" => "COP",
        "604" => "PEN",
        "356" => "INR",
        "156" => "CNY",
        "344" => "HKD",
        "702" => "SGD",
        "554" => "NZD",
        "710" => "ZAR",
        "504" => "MAD",
        "788" => "TND",
        "012" => "DZD",
        "414" => "KWD",
        "048" => "BHD",
        "512" => "OMR",
        "400" => "JOD",
        "682" => "SAR",
        "784" => "AED",
        "376" => "ILS",
        "643" => "RUB",
        "980" => "UAH",
        "410" => "KRW",
        "901" => "TWD",
        "764" => "THB",
        "458" => "MYR",
        "360" => "IDR",
        "608" => "PHP",
        "704" => "VND",
        "566" => "NGN",
        "936" => "GHS",
        "404" => "KES",
        "818" => "EGP",
        "352" => "ISK",
        _ => return None,
    })
}

/// Converts a decimal amount in major units (`"16.20"`, `2.0`, `"1,5"` is rejected) to
/// integer minor units for `currency`. `None` when the text is not a plain decimal, has
/// more fractional digits than the currency allows (unless they are zeros), or overflows.
pub fn to_minor(decimal: &str, currency: &str) -> Option<i64> {
    let s = decimal.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let exp = exponent(currency) as usize;
    let (kept, extra) = if frac.len() > exp {
        frac.split_at(exp)
    } else {
        (frac, "")
    };
    if !extra.bytes().all(|b| b == b'0') {
        return None;
    }
    let mut minor: i64 = 0;
    for b in int.bytes().chain(kept.bytes()) {
        minor = minor.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    for _ in kept.len()..exp {
        minor = minor.checked_mul(10)?;
    }
    Some(if neg { -minor } else { minor })
}

/// Re-expresses an integer `amount` written with `from` decimals (a provider's own
/// representation) in `to` decimals (ISO 4217 minor units). `None` when it would lose a
/// fraction (`4010` ISK-hundredths is 40.10 kronur, which ISO 4217 cannot express) or overflow.
pub fn rescale(amount: i64, from: u32, to: u32) -> Option<i64> {
    if to >= from {
        amount.checked_mul(10_i64.checked_pow(to - from)?)
    } else {
        let div = 10_i64.checked_pow(from - to)?;
        (amount % div == 0).then(|| amount / div)
    }
}

/// Amount in minor units from a JSON number or string.
pub fn json_to_minor(value: &serde_json::Value, currency: &str) -> Option<i64> {
    match value {
        serde_json::Value::String(s) => to_minor(s, currency),
        // `Number`'s Display keeps the literal digits we parsed (no float round trip for
        // integers; floats print the shortest exact representation, e.g. 2.0 -> "2.0").
        serde_json::Value::Number(n) => to_minor(&n.to_string(), currency),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_conversion() {
        assert_eq!(to_minor("16.20", "EUR"), Some(1620));
        assert_eq!(to_minor("2.0", "EUR"), Some(200));
        assert_eq!(to_minor("0.29", "EUR"), Some(29));
        assert_eq!(to_minor("1000", "XOF"), Some(1000));
        assert_eq!(to_minor("1000.00", "XOF"), Some(1000));
        assert_eq!(to_minor("1000.5", "XOF"), None);
        assert_eq!(to_minor("1.234", "KWD"), Some(1234));
        assert_eq!(to_minor("1.2345", "EUR"), None);
        assert_eq!(to_minor(".5", "EUR"), Some(50));
        assert_eq!(to_minor("1e3", "EUR"), None);
        assert_eq!(to_minor("99999999999999999999", "EUR"), None);
        assert_eq!(to_minor("", "EUR"), None);
    }

    #[test]
    fn json_numbers() {
        let v: serde_json::Value = serde_json::from_str("2.0").expect("json");
        assert_eq!(json_to_minor(&v, "EUR"), Some(200));
        let v: serde_json::Value = serde_json::from_str("0.1").expect("json");
        assert_eq!(json_to_minor(&v, "EUR"), Some(10));
        assert_eq!(alpha_from_numeric("978"), Some("EUR"));
    }

    #[test]
    fn rescaling_per_exponent_class() {
        assert_eq!(rescale(500, 2, 0), Some(5));
        assert_eq!(rescale(4010, 2, 0), None);
        assert_eq!(rescale(500, 0, 2), Some(50000));
        assert_eq!(rescale(1999, 2, 2), Some(1999));
        assert_eq!(rescale(5120, 3, 3), Some(5120));
        assert_eq!(rescale(-300, 2, 0), Some(-3));
        assert_eq!(rescale(i64::MAX, 0, 2), None);
        assert_eq!(rescale(1, 0, 40), None);
    }
}
