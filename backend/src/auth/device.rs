//! Device cookies (OWASP's defence against account lockout; docs/security.md, "Guessing and
//! flooding"): a browser that once logged in to an account gets a signed cookie naming a random
//! device id, that account's email and the day it was issued. While an account is locked by
//! failures from elsewhere, a browser showing a valid cookie for it may still try, within the
//! per-address limit and its own failure count.
//!
//! Format: `<device id>.<issued unix seconds>.<HMAC-SHA256>`, id and tag in unpadded base64url,, the MAC over
//! the tag over `device id | issued | email` under a key used only for this.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The cookie's name over plain HTTP, and over HTTPS (bound to this host).
pub const DEVICE_COOKIE: &str = "copytrade_device";
pub const SECURE_DEVICE_COOKIE: &str = "__Host-copytrade_device";
/// How long a browser stays known after its last successful login.
pub const DEVICE_DAYS: i64 = 180;

fn tag(key: &[u8; 32], device: &str, issued: i64, email: &str) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(device.as_bytes());
    mac.update(b"|");
    mac.update(issued.to_string().as_bytes());
    mac.update(b"|");
    mac.update(email.as_bytes());
    mac
}

/// A new cookie value for `email`, issued `now`, keeping `device` if the browser already had one.
pub fn issue(key: &[u8; 32], email: &str, device: Option<&str>, now: DateTime<Utc>) -> String {
    let device = device.map_or_else(
        || {
            let mut id = [0u8; 16];
            // Without randomness there is no cookie worth issuing; an all-zero id still only
            // vouches for this email, and the login itself is unaffected.
            let _ = getrandom::fill(&mut id);
            B64.encode(id)
        },
        str::to_owned,
    );
    let issued = now.timestamp();
    let mac = B64.encode(tag(key, &device, issued, email).finalize().into_bytes());
    format!("{device}.{issued}.{mac}")
}

/// The device id of `cookie` if it is ours, for `email`, and younger than [`DEVICE_DAYS`].
pub fn verify(key: &[u8; 32], cookie: &str, email: &str, now: DateTime<Utc>) -> Option<String> {
    let mut parts = cookie.split('.');
    let (device, issued, mac) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || device.len() != 22 {
        return None;
    }
    let issued: i64 = issued.parse().ok()?;
    let age = now.timestamp() - issued;
    if !(0..=Duration::days(DEVICE_DAYS).num_seconds()).contains(&age) {
        return None;
    }
    let mac = B64.decode(mac).ok()?;
    // Constant-time comparison of the tag.
    tag(key, device, issued, email).verify_slice(&mac).ok()?;
    Some(device.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [9; 32];

    fn now() -> DateTime<Utc> {
        "2026-12-07T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_cookie_vouches_for_its_email_only() {
        let cookie = issue(&KEY, "a@example.com", None, now());
        let device = verify(&KEY, &cookie, "a@example.com", now()).unwrap();
        assert_eq!(device.len(), 22);
        assert_eq!(verify(&KEY, &cookie, "b@example.com", now()), None);
        assert_eq!(verify(&[8; 32], &cookie, "a@example.com", now()), None);
    }

    #[test]
    fn a_renewed_cookie_keeps_the_device_and_an_old_one_expires() {
        let first = issue(&KEY, "a@example.com", None, now());
        let device = verify(&KEY, &first, "a@example.com", now()).unwrap();
        let renewed = issue(&KEY, "a@example.com", Some(&device), now());
        assert_eq!(verify(&KEY, &renewed, "a@example.com", now()), Some(device));
        let later = now() + Duration::days(DEVICE_DAYS + 1);
        assert_eq!(verify(&KEY, &first, "a@example.com", later), None);
    }

    #[test]
    fn a_tampered_cookie_is_refused() {
        let cookie = issue(&KEY, "a@example.com", None, now());
        // One character in the middle of the tag changed.
        let at = cookie.len() - 10;
        let flipped = if &cookie[at..=at] == "A" { "B" } else { "A" };
        let forged = format!("{}{flipped}{}", &cookie[..at], &cookie[at + 1..]);
        assert_eq!(verify(&KEY, &forged, "a@example.com", now()), None);
        assert_eq!(verify(&KEY, "garbage", "a@example.com", now()), None);
    }
}
