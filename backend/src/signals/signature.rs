//! Signed webhook requests (docs/security.md, "Webhooks"):
//! `X-CopyTrade-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(signing secret, "<t>.<raw body>")>`.
//!
//! Rules: the key is the webhook's signing secret, which is not in its URL: whoever only has
//! the URL (a leaked alert, a proxy log) cannot sign. The key is the secret's text exactly as
//! shown (`whsec_…`), so `openssl dgst -sha256 -hmac "$SECRET"` signs with it. The MAC covers
//! the timestamp as sent and the raw body; a timestamp more than 5 minutes from the server's
//! clock is refused, and a signature is accepted once (the service records the digest this
//! module returns). Tags are compared in constant time. The secret is never logged.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::SignalsError;
use crate::db::types::Id;
use crate::digest::sha256_hex;
use crate::vault::{SecretString, associated_data};

/// A signature's timestamp may be this far from the server's clock, either way.
pub const WINDOW_SECONDS: i64 = 300;

/// Starts every signing secret, so that it is not taken for the URL token.
pub const SECRET_PREFIX: &str = "whsec_";

/// The field name that binds a sealed signing secret to its purpose.
const SECRET_FIELD: &str = "webhook_signing_secret";

/// Longest timestamp taken (12 digits reach the year 33658).
const MAX_TIMESTAMP_DIGITS: usize = 12;

/// What the vault binds a webhook's sealed signing secret to: its user, the webhook and the
/// field, so a blob copied to another webhook does not open.
pub(crate) fn secret_ad(user: Id, webhook: Id) -> Vec<u8> {
    associated_data(&user.to_string(), &webhook.to_string(), SECRET_FIELD)
}

/// A new signing secret: 256 random bits, base64url, after [`SECRET_PREFIX`].
pub fn new_secret() -> Result<SecretString, SignalsError> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut()).map_err(|err| SignalsError::Internal(err.to_string()))?;
    Ok(SecretString::new(format!(
        "{SECRET_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(bytes.as_ref())
    )))
}

/// A signature that matched: when it says it was made, and a digest of it that names this
/// signed request (the same timestamp and body under the same key) for replay refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub signed_at: i64,
    pub digest: String,
}

/// Why a signature was refused; the message goes to the sender and into the signal log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    Stale,
    Mismatch,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => {
                "the signature header must be t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">"
            }
            Self::Stale => {
                "the signature's timestamp is more than 5 minutes away from the server's clock: sign each request when it is sent"
            }
            Self::Mismatch => {
                "the signature does not match the body: sign \"<t>.<body>\" with the webhook's signing secret (not its URL token)"
            }
        }
    }
}

/// Checks a signature header against the body, the key and the clock (`now`, unix seconds).
/// Several `v1=` values may be sent (any one may match); exactly one `t=` must be.
pub fn verify(header: &str, key: &[u8], body: &[u8], now: i64) -> Result<Verified, Refusal> {
    let mut timestamp: Option<&str> = None;
    let mut given = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) if timestamp.is_none() => timestamp = Some(value.trim()),
            Some(("t", _)) => return Err(Refusal::Malformed),
            Some(("v1", value)) => given.push(decode_hex(value.trim()).ok_or(Refusal::Malformed)?),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return Err(Refusal::Malformed);
    };
    let digits_only = !timestamp.is_empty()
        && timestamp.len() <= MAX_TIMESTAMP_DIGITS
        && timestamp.bytes().all(|b| b.is_ascii_digit());
    let signed_at = match timestamp.parse::<i64>() {
        Ok(seconds) if digits_only => seconds,
        _ => return Err(Refusal::Malformed),
    };
    if given.is_empty() {
        return Err(Refusal::Malformed);
    }
    if (now - signed_at).abs() > WINDOW_SECONDS {
        return Err(Refusal::Stale);
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| Refusal::Mismatch)?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    // Each candidate is compared in constant time; which one matched does not matter.
    let matched = given
        .iter()
        .any(|candidate| mac.clone().verify_slice(candidate).is_ok());
    if !matched {
        return Err(Refusal::Mismatch);
    }
    // The MAC is a function of key, timestamp and body: its digest names the signed request
    // however the header was spelled (hex case, extra values, spaces).
    let tag = mac.finalize().into_bytes();
    Ok(Verified {
        signed_at,
        digest: sha256_hex(&tag),
    })
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::hex;

    fn sign(key: &str, t: &str, body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        format!("t={t},v1={}", hex(&mac.finalize().into_bytes()))
    }

    const BODY: &[u8] = br#"{"ticker":"ES1!","action":"buy"}"#;

    #[test]
    fn the_mac_is_rfc_4231_hmac_sha256() {
        // RFC 4231 test case 2: the primitive under the header format.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_signature_is_checked_against_body_key_and_time() {
        let header = sign("whsec_key", "1000000", BODY);
        assert!(verify(&header, b"whsec_key", BODY, 1_000_100).is_ok());
        assert_eq!(
            verify(&header, b"other", BODY, 1_000_100),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            verify(&header, b"whsec_key", b"{}", 1_000_100),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            verify(&header, b"whsec_key", BODY, 1_000_301),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify(&header, b"whsec_key", BODY, 999_699),
            Err(Refusal::Stale),
            "a timestamp from the future is refused too"
        );
        assert!(verify(&header, b"whsec_key", BODY, 1_000_300).is_ok());
    }

    #[test]
    fn malformed_headers_are_refused_as_such() {
        for header in [
            "v1=00",
            "t=1000000",
            "t=1000000,v1=zz",
            "t=1000000,v1=abc",
            "t=-5,v1=00",
            "t=+1000000,v1=00",
            "t=1000000,t=1000001,v1=00",
            "t=1e6,v1=00",
            "",
        ] {
            assert_eq!(
                verify(header, b"k", BODY, 1_000_000),
                Err(Refusal::Malformed),
                "{header}"
            );
        }
    }

    #[test]
    fn one_signed_request_has_one_digest_however_the_header_is_spelled() {
        let header = sign("k", "1000000", BODY);
        let digest = verify(&header, b"k", BODY, 1_000_000).unwrap().digest;
        let upper = header.replace(
            header.split("v1=").nth(1).unwrap(),
            &header.split("v1=").nth(1).unwrap().to_uppercase(),
        );
        let padded = format!(
            " t=1000000 , v1=00ff, {}",
            header.split(',').nth(1).unwrap()
        );
        for spelling in [upper, padded] {
            assert_eq!(
                verify(&spelling, b"k", BODY, 1_000_000).unwrap().digest,
                digest,
                "{spelling}"
            );
        }
        let later = sign("k", "1000001", BODY);
        assert_ne!(
            verify(&later, b"k", BODY, 1_000_000).unwrap().digest,
            digest
        );
    }

    #[test]
    fn secrets_carry_256_bits_after_their_prefix() {
        let secret = new_secret().unwrap();
        let encoded = secret.expose().strip_prefix(SECRET_PREFIX).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(encoded).unwrap().len(), 32);
        assert_ne!(secret, new_secret().unwrap());
        assert_eq!(format!("{secret:?}"), "SecretString(••••)");
    }

    #[test]
    fn a_sealed_secret_is_bound_to_its_webhook() {
        let (user, a, b) = (Id::new(), Id::new(), Id::new());
        assert_ne!(secret_ad(user, a), secret_ad(user, b));
        assert_ne!(secret_ad(user, a), secret_ad(Id::new(), a));
    }
}
