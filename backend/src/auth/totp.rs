//! Two-factor codes (SEC-7, SEC-8): RFC 6238 TOTP (SHA-1, 6 digits, 30 s, ±1 step), as Google
//! Authenticator and Authy compute them, and one-time backup codes of 120 random bits.

use qrcodegen::{QrCode, QrCodeEcc};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::AuthError;

pub const ISSUER: &str = "CopyTrade";
pub const BACKUP_CODE_COUNT: usize = 10;
const SEED_BYTES: usize = 20;

fn totp(seed: &[u8]) -> Result<Totp, AuthError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(seed.to_vec())
        .build()
        .map_err(|err| AuthError::Internal(format!("totp: {err}")))
}

/// A fresh 20-byte seed from the OS CSPRNG.
pub fn new_seed() -> Result<Vec<u8>, AuthError> {
    let mut seed = vec![0u8; SEED_BYTES];
    getrandom::fill(&mut seed).map_err(|err| AuthError::Internal(err.to_string()))?;
    Ok(seed)
}

/// The seed as authenticator apps take it when typed in.
pub fn base32(seed: &[u8]) -> String {
    Secret::from(seed.to_vec()).to_base32()
}

/// The time step a 6-digit `code` matches at `unix_seconds` (±1 step), if any.
pub fn matching_step(seed: &[u8], code: &str, unix_seconds: u64) -> Result<Option<u64>, AuthError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(seed)?.check(&code, unix_seconds))
}

/// Whether `code` looks like a TOTP code (digits only) rather than a backup code.
pub fn looks_like_totp(code: &str) -> bool {
    let digits = code.chars().filter(|c| !c.is_whitespace()).count();
    digits == 6
        && code
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace())
}

/// The `otpauth://` URI authenticator apps read from the QR code.
pub fn otpauth_uri(seed: &[u8], account: &str) -> String {
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        issuer = percent_encode(ISSUER),
        account = percent_encode(account),
        secret = base32(seed),
    )
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The URI as a QR code in SVG (no raster library needed).
pub fn qr_svg(uri: &str) -> Result<String, AuthError> {
    let qr = QrCode::encode_text(uri, QrCodeEcc::Medium)
        .map_err(|err| AuthError::Internal(format!("qr: {err:?}")))?;
    let border = 4;
    let size = qr.size() + 2 * border;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/><path d=\"{path}\" fill=\"#000000\"/></svg>"
    ))
}

/// Ten new backup codes (shown once) and their hashes (stored).
pub fn new_backup_codes() -> Result<Vec<(String, String)>, AuthError> {
    (0..BACKUP_CODE_COUNT)
        .map(|_| {
            let mut bytes = [0u8; 15];
            getrandom::fill(&mut bytes).map_err(|err| AuthError::Internal(err.to_string()))?;
            let plain = Secret::from(bytes.to_vec()).to_base32();
            let shown = plain
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-");
            Ok((shown, backup_code_hash(&plain)))
        })
        .collect()
}

/// SHA-256 hex of a backup code with dashes and spaces removed and letters upper-cased.
pub fn backup_code_hash(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    crate::digest::sha256_hex(normalised.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_rfc_6238_appendix_b() {
        let totp = totp(RFC_SEED).unwrap();
        for (time, eight_digits) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(
                totp.generate(time).to_string(),
                eight_digits[2..],
                "t = {time}"
            );
        }
    }

    #[test]
    fn one_step_of_skew_is_accepted_and_two_are_not() {
        let t = 1_234_567_890;
        let code = totp(RFC_SEED).unwrap().generate(t).to_string();
        let step = t / 30;
        assert_eq!(matching_step(RFC_SEED, &code, t).unwrap(), Some(step));
        assert_eq!(matching_step(RFC_SEED, &code, t + 30).unwrap(), Some(step));
        assert_eq!(matching_step(RFC_SEED, &code, t - 30).unwrap(), Some(step));
        assert_eq!(matching_step(RFC_SEED, &code, t + 60).unwrap(), None);
        assert_eq!(matching_step(RFC_SEED, &code, t - 60).unwrap(), None);
        assert_eq!(matching_step(RFC_SEED, "12345x", t).unwrap(), None);
    }

    #[test]
    fn backup_codes_are_24_base32_characters_and_hash_alike_however_typed() {
        let codes = new_backup_codes().unwrap();
        assert_eq!(codes.len(), 10);
        let (shown, hash) = &codes[0];
        assert_eq!(shown.replace('-', "").len(), 24, "{shown}");
        assert_eq!(
            &backup_code_hash(&shown.to_lowercase().replace('-', " ")),
            hash
        );
        assert_ne!(codes[0].1, codes[1].1);
    }

    #[test]
    fn the_uri_names_issuer_and_account() {
        let uri = otpauth_uri(RFC_SEED, "trader+1@example.com");
        assert!(uri.starts_with("otpauth://totp/CopyTrade:trader%2B1%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=CopyTrade"), "{uri}");
        assert!(qr_svg(&uri).unwrap().starts_with("<svg"));
    }
}
