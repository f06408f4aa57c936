//! How server values read on screen: versions, database names, times, ages, money, quantities,
//! devices.
//!
//! Pure functions, tested on the host (`cargo test -p frontend`). Times come from the
//! server as RFC 3339 text and are shown in the server's own zone (UTC for CopyTrade), because
//! the point of the clock is what the server sees, not the viewer's local time. Amounts carry
//! no currency sign: a broker account's currency is the venue's (dollars for futures, USDT on
//! the crypto venues), and the API does not name it.

use crate::api::operations::server_info::DatabaseKind;

/// `0.1.0` reads `v0.1.0`.
pub fn version_label(version: &str) -> String {
    if version.starts_with('v') {
        version.to_owned()
    } else {
        format!("v{version}")
    }
}

/// The product name of the server's database.
pub fn database_label(kind: &DatabaseKind) -> String {
    match kind {
        DatabaseKind::SQLITE => "SQLite".to_owned(),
        DatabaseKind::POSTGRES => "PostgreSQL".to_owned(),
        // A newer server may know a database this build does not: show its name as sent.
        DatabaseKind::Other(name) => name.clone(),
    }
}

/// A wall-clock reading parsed from RFC 3339 (`2025-11-23T18:42:07.5+00:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    /// The reading's offset from UTC, in minutes.
    offset_minutes: i16,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

impl Clock {
    /// Parses RFC 3339 date-time text; `None` if it is not that.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() < 20
            || bytes[4] != b'-'
            || bytes[7] != b'-'
            || !matches!(bytes[10], b'T' | b't' | b' ')
            || bytes[13] != b':'
            || bytes[16] != b':'
        {
            return None;
        }
        let year = u16::try_from(digits(&bytes[0..4])?).ok()?;
        let month = two_digits(&bytes[5..7])?;
        let day = two_digits(&bytes[8..10])?;
        let hour = two_digits(&bytes[11..13])?;
        let minute = two_digits(&bytes[14..16])?;
        let second = two_digits(&bytes[17..19])?;
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }

        let mut rest = &bytes[19..];
        if let Some(fraction) = rest.strip_prefix(b".") {
            let length = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if length == 0 {
                return None;
            }
            rest = &fraction[length..];
        }
        let offset_minutes = match rest {
            b"Z" | b"z" => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let hours = i16::from(two_digits(&[*h1, *h2])?);
                let minutes = i16::from(two_digits(&[*m1, *m2])?);
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let magnitude = hours * 60 + minutes;
                if *sign == b'-' { -magnitude } else { magnitude }
            }
            _ => return None,
        };
        Some(Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
            offset_minutes,
        })
    }

    /// `18:42:07 UTC`, or `18:42:07 UTC+02:00` off UTC.
    pub fn time_label(&self) -> String {
        format!(
            "{:02}:{:02}:{:02} {}",
            self.hour,
            self.minute,
            self.second,
            self.zone_label()
        )
    }

    /// `Sun 23 Nov 2025`.
    pub fn date_label(&self) -> String {
        format!(
            "{} {} {} {}",
            WEEKDAYS[usize::from(self.weekday())],
            self.day,
            MONTHS[usize::from(self.month - 1)],
            self.year
        )
    }

    /// `Sun 23 Nov 2025, 18:42:07 UTC`: a moment in a log.
    pub fn moment_label(&self) -> String {
        format!("{}, {}", self.date_label(), self.time_label())
    }

    /// Seconds since 1970-01-01T00:00:00Z: to measure how old something is.
    pub fn unix_seconds(&self) -> i64 {
        let days = days_since_epoch(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        days * 86_400
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes) * 60
    }

    fn zone_label(&self) -> String {
        if self.offset_minutes == 0 {
            return "UTC".to_owned();
        }
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let magnitude = self.offset_minutes.unsigned_abs();
        format!("UTC{sign}{:02}:{:02}", magnitude / 60, magnitude % 60)
    }

    /// 0 for Sunday: Sakamoto's method for the Gregorian calendar.
    fn weekday(&self) -> u8 {
        const MONTH_OFFSETS: [u32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let year = u32::from(self.year) - u32::from(self.month < 3);
        let sum = year + year / 4 - year / 100
            + year / 400
            + MONTH_OFFSETS[usize::from(self.month - 1)]
            + u32::from(self.day);
        // A value below 7 always fits.
        u8::try_from(sum % 7).unwrap_or(0)
    }
}

/// Milliseconds since 1970-01-01T00:00:00Z of RFC 3339 text, fraction included: to order
/// events and measure latencies, where whole seconds are too coarse. `None` if it is not
/// RFC 3339.
pub fn unix_millis(text: &str) -> Option<i64> {
    let seconds = Clock::parse(text)?.unix_seconds();
    // `parse` checked the layout: byte 19 starts the fraction, if there is one.
    let millis = match text.as_bytes().get(19) {
        Some(b'.') => text.as_bytes()[20..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .chain(std::iter::repeat(&b'0'))
            .take(3)
            .fold(0, |sum, digit| sum * 10 + i64::from(digit - b'0')),
        _ => 0,
    };
    Some(seconds * 1_000 + millis)
}

/// Days from 1970-01-01 to a Gregorian date. Counting years from March puts the leap day
/// last, so a year's day number is a linear formula in its month; 400-year eras repeat exactly.
fn days_since_epoch(year: i64, month: i64, day: i64) -> i64 {
    const DAYS_PER_ERA: i64 = 146_097;
    // Days from 0000-03-01 to 1970-01-01.
    const EPOCH_SHIFT: i64 = 719_468;
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT
}

/// How long ago something was, from its age in seconds: `less than a day`, `12 days`,
/// `3 months`, `2 years`. Days up to two months, because a key's 30-day rotation is counted in
/// days; a future moment (a clock ahead of the browser's) reads as new.
pub fn age_label(seconds: i64) -> String {
    let days = seconds.max(0) / 86_400;
    let plural = |count: i64, unit: &str| {
        if count == 1 {
            format!("1 {unit}")
        } else {
            format!("{count} {unit}s")
        }
    };
    match days {
        0 => "less than a day".to_owned(),
        1..60 => plural(days, "day"),
        60..730 => plural(days / 30, "month"),
        _ => plural(days / 365, "year"),
    }
}

/// An account balance: `25,000.00`, `-1,234.50`; two decimals, thousands grouped.
pub fn money_label(amount: f64) -> String {
    decimal_label(amount, 2, 2, false)
}

/// A price: thousands grouped, at least two decimals and up to eight (crypto prices can be
/// tiny): `4,512.25`, `0.00001234`.
pub fn price_label(price: f64) -> String {
    decimal_label(price, 2, 8, false)
}

/// A position's size, signed because the sign is its side: `+2` long, `-0.5` short, `0`.
pub fn quantity_label(quantity: f64) -> String {
    decimal_label(quantity, 0, 8, true)
}

/// A price difference in points, signed: `+0.25`, `-0.5`, `0`.
pub fn points_label(points: f64) -> String {
    decimal_label(points, 0, 8, true)
}

/// An order's or a fill's size, whose side is said apart (`Buy 2`): `2`, `0.5`, `1,500`.
pub fn amount_label(quantity: f64) -> String {
    decimal_label(quantity, 0, 8, false)
}

/// `value` rounded to at most `max_decimals` places, trailing zeros dropped down to
/// `min_decimals`, thousands grouped with commas. A sign only when the rounded value is not
/// zero (`-` below, `+` above if `plus`). Not a number reads `—`.
fn decimal_label(value: f64, min_decimals: usize, max_decimals: usize, plus: bool) -> String {
    if !value.is_finite() {
        return "—".to_owned();
    }
    let fixed = format!("{:.*}", max_decimals, value.abs());
    let (whole, fraction) = fixed.split_once('.').unwrap_or((fixed.as_str(), ""));
    let kept = fraction.trim_end_matches('0');
    let fraction = format!("{kept:0<min_decimals$}");
    let zero = whole
        .bytes()
        .chain(fraction.bytes())
        .all(|digit| digit == b'0');
    let sign = match (zero, value < 0.0, plus) {
        (true, _, _) => "",
        (false, true, _) => "-",
        (false, false, true) => "+",
        (false, false, false) => "",
    };
    let mut text = format!("{sign}{}", group_thousands(whole));
    if !fraction.is_empty() {
        text.push('.');
        text.push_str(&fraction);
    }
    text
}

/// `1234567` reads `1,234,567`.
fn group_thousands(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// Browsers by the product token that names them, most specific first: Edge and Opera also
/// say `Chrome/`, and Chrome also says `Safari/`.
const BROWSERS: [(&str, &str); 11] = [
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
];

/// Operating systems by a word of the user agent, in the same spirit: Android says `Linux`,
/// iOS says `Mac OS X`.
const SYSTEMS: [(&str, &str); 8] = [
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
];

/// The longest label made from an unrecognised user agent.
const MAX_DEVICE_LABEL: usize = 40;

/// A user agent as people name it: `Firefox 133 on Windows`. An agent that is no known
/// browser shows its first product token (`curl 8.5.0`), cut to a readable length.
pub fn device_label(user_agent: Option<&str>) -> String {
    let Some(agent) = user_agent.map(str::trim).filter(|agent| !agent.is_empty()) else {
        return "Unknown device".to_owned();
    };
    let system = SYSTEMS
        .iter()
        .find(|(word, _)| agent.contains(word))
        .map(|&(_, name)| name);
    let browser = BROWSERS
        .iter()
        .find_map(|&(token, name)| {
            major_version(agent, token).map(|major| format!("{name} {major}"))
        })
        .or_else(|| {
            // Safari names its version in `Version/`; other WebKit browsers matched above.
            agent
                .contains("Safari/")
                .then(|| major_version(agent, "Version/"))
                .flatten()
                .map(|major| format!("Safari {major}"))
        });
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser,
        _ => {
            let product = agent
                .split_whitespace()
                .next()
                .unwrap_or(agent)
                .replace('/', " ");
            if product.chars().count() > MAX_DEVICE_LABEL {
                let cut: String = product.chars().take(MAX_DEVICE_LABEL - 1).collect();
                format!("{cut}…")
            } else {
                product
            }
        }
    }
}

/// The digits right after `token` (`Firefox/133.0` → `133`), if any.
fn major_version<'a>(agent: &'a str, token: &str) -> Option<&'a str> {
    let start = agent.find(token)? + token.len();
    let rest = &agent[start..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// A capital first letter and a full stop.
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut sentence: String = first.to_uppercase().chain(chars).collect();
    if !sentence.ends_with(['.', '!', '?']) {
        sentence.push('.');
    }
    sentence
}

/// The decimal value of ASCII digits, or `None` if any byte is not one.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0_u32, |value, byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

fn two_digits(bytes: &[u8]) -> Option<u8> {
    u8::try_from(digits(bytes)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_get_one_v() {
        assert_eq!(version_label("0.1.0"), "v0.1.0");
        assert_eq!(version_label("v2.0.0"), "v2.0.0");
    }

    #[test]
    fn databases_have_their_product_names() {
        assert_eq!(database_label(&DatabaseKind::SQLITE), "SQLite");
        assert_eq!(database_label(&DatabaseKind::POSTGRES), "PostgreSQL");
        assert_eq!(
            database_label(&DatabaseKind::Other("MYSQL".into())),
            "MYSQL"
        );
    }

    #[test]
    fn utc_times_read_as_utc_whatever_the_notation() {
        for text in [
            "2025-11-23T18:42:07Z",
            "2025-11-23T18:42:07.123456789+00:00",
            "2025-11-23t18:42:07.5z",
        ] {
            let clock = Clock::parse(text).expect(text);
            assert_eq!(clock.time_label(), "18:42:07 UTC", "{text}");
            assert_eq!(clock.date_label(), "Sun 23 Nov 2025", "{text}");
        }
    }

    #[test]
    fn other_offsets_are_named() {
        let clock = Clock::parse("2024-02-29T09:05:00-05:30").expect("valid");
        assert_eq!(clock.time_label(), "09:05:00 UTC-05:30");
        assert_eq!(clock.date_label(), "Thu 29 Feb 2024");
    }

    #[test]
    fn weekdays_across_century_and_january_boundaries() {
        let date = |text: &str| Clock::parse(text).expect(text).date_label();
        assert_eq!(date("2000-01-01T00:00:00Z"), "Sat 1 Jan 2000");
        assert_eq!(date("1970-01-01T00:00:00Z"), "Thu 1 Jan 1970");
        assert_eq!(date("2100-03-01T00:00:00Z"), "Mon 1 Mar 2100");
    }

    #[test]
    fn moments_read_with_date_and_time() {
        let clock = Clock::parse("2025-11-23T18:42:07Z").expect("valid");
        assert_eq!(clock.moment_label(), "Sun 23 Nov 2025, 18:42:07 UTC");
    }

    #[test]
    fn moments_count_seconds_from_the_unix_epoch() {
        let seconds = |text: &str| Clock::parse(text).expect(text).unix_seconds();
        assert_eq!(seconds("1970-01-01T00:00:00Z"), 0);
        assert_eq!(seconds("1969-12-31T23:59:59Z"), -1);
        assert_eq!(seconds("2000-03-01T00:00:00Z"), 951_868_800);
        assert_eq!(seconds("2025-11-23T18:42:07.25Z"), 1_763_923_327);
        // 09:05 at UTC-05:30 is 14:35 UTC.
        assert_eq!(seconds("2024-02-29T09:05:00-05:30"), 1_709_217_300);
    }

    #[test]
    fn ages_read_in_days_then_months_then_years() {
        const DAY: i64 = 86_400;
        assert_eq!(age_label(-5), "less than a day");
        assert_eq!(age_label(DAY - 1), "less than a day");
        assert_eq!(age_label(DAY), "1 day");
        assert_eq!(age_label(31 * DAY + 5), "31 days");
        assert_eq!(age_label(59 * DAY), "59 days");
        assert_eq!(age_label(60 * DAY), "2 months");
        assert_eq!(age_label(400 * DAY), "13 months");
        assert_eq!(age_label(730 * DAY), "2 years");
    }

    #[test]
    fn money_has_two_decimals_and_grouped_thousands() {
        assert_eq!(money_label(25_000.0), "25,000.00");
        assert_eq!(money_label(100_000.0), "100,000.00");
        assert_eq!(money_label(1_234_567.891), "1,234,567.89");
        assert_eq!(money_label(-1_234.5), "-1,234.50");
        assert_eq!(money_label(999.999), "1,000.00");
        assert_eq!(money_label(0.0), "0.00");
        assert_eq!(money_label(-0.001), "0.00");
        assert_eq!(money_label(f64::NAN), "—");
    }

    #[test]
    fn prices_keep_small_decimals() {
        assert_eq!(price_label(4_512.25), "4,512.25");
        assert_eq!(price_label(67_000.0), "67,000.00");
        assert_eq!(price_label(0.000_012_34), "0.00001234");
        assert_eq!(price_label(1.5), "1.50");
    }

    #[test]
    fn quantities_are_signed_by_side() {
        assert_eq!(quantity_label(2.0), "+2");
        assert_eq!(quantity_label(-0.5), "-0.5");
        assert_eq!(quantity_label(0.0), "0");
        assert_eq!(quantity_label(-0.000_000_001), "0");
        assert_eq!(quantity_label(1_500.0), "+1,500");
    }

    #[test]
    fn order_sizes_carry_no_sign() {
        assert_eq!(amount_label(2.0), "2");
        assert_eq!(amount_label(0.5), "0.5");
        assert_eq!(amount_label(1_500.0), "1,500");
        assert_eq!(amount_label(f64::NAN), "—");
        assert_eq!(points_label(-0.25), "-0.25");
        assert_eq!(points_label(1.5), "+1.5");
    }

    #[test]
    fn millis_count_the_fraction_and_the_offset() {
        let base = unix_millis("2025-11-23T18:42:07Z").expect("RFC 3339");
        assert_eq!(base, 1_763_923_327_000);
        assert_eq!(unix_millis("2025-11-23T18:42:07.5Z"), Some(base + 500));
        assert_eq!(
            unix_millis("2025-11-23T18:42:07.123456789Z"),
            Some(base + 123)
        );
        assert_eq!(
            unix_millis("2025-11-23T20:42:07.042+02:00"),
            Some(base + 42)
        );
        assert_eq!(unix_millis("yesterday"), None);
    }

    #[test]
    fn browsers_and_systems_are_named() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome 131 on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox 133 on Windows",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
                "Edge 131 on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari 18 on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
                "Chrome 131 on Android",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari 18 on macOS",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 Safari/537.36",
                "Headless Chrome 131 on Linux",
            ),
        ];
        for (agent, label) in cases {
            assert_eq!(device_label(Some(agent)), label, "{agent}");
        }
    }

    #[test]
    fn other_agents_show_their_product_cut_short() {
        assert_eq!(device_label(Some("curl/8.5.0")), "curl 8.5.0");
        assert_eq!(device_label(None), "Unknown device");
        assert_eq!(device_label(Some("  ")), "Unknown device");
        let long = device_label(Some(&"x".repeat(300)));
        assert_eq!(long.chars().count(), MAX_DEVICE_LABEL);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn malformed_text_is_rejected() {
        for text in [
            "",
            "18:42:07",
            "2025-11-23",
            "2025-11-23T18:42:07",
            "2025-13-23T18:42:07Z",
            "2025-11-23T24:00:00Z",
            "2025-11-23T18:42:07.Z",
            "2025-11-23T18:42:07+0100",
            "2025-11-23T18:42:07Z trailing",
            "2025-1x-23T18:42:07Z",
        ] {
            assert_eq!(Clock::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn sentences_get_a_capital_and_one_full_stop() {
        assert_eq!(sentence("log in first"), "Log in first.");
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence("  "), "");
    }
}
