//! Decimal numbers as the venue reads and prints them: quantities as exact integers of 1e-8
//! (so step checks and sums are exact), prices as `f64`, both printed as strings without
//! trailing zeros.

/// Quantities are kept as integers of 1e-8 so that step checks and sums are exact.
const UNITS: i64 = 100_000_000;

/// A non-negative decimal string as 1e-8 units; `None` when it is not one or is finer than 1e-8.
pub(super) fn to_units(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return None;
    }
    if frac.bytes().skip(8).any(|b| b != b'0') {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(8)
        .fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    whole.checked_mul(UNITS)?.checked_add(frac)
}

pub(super) fn units_f64(units: i64) -> f64 {
    units as f64 / UNITS as f64
}

pub(super) fn fmt_units(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let (whole, frac) = (units.abs() / UNITS, units.abs() % UNITS);
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let frac = format!("{frac:08}");
        format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
    }
}

pub(super) fn fmt_num(value: f64) -> String {
    let text = format!("{value:.8}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

pub(super) fn fmt_opt(value: Option<f64>, absent: &str) -> String {
    value.map_or_else(|| absent.to_owned(), fmt_num)
}

pub(super) fn parse_price(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p > 0.0)
}
