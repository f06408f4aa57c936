//! How server values read on screen: versions, database names, times.
//!
//! Pure functions, tested on the host (`cargo test -p frontend`). Times come from the
//! server as RFC 3339 text and are shown in the server's own zone (UTC for CopyTrade), because
//! the point of the clock is what the server sees, not the viewer's local time.

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
}
