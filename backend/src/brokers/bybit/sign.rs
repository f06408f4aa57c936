//! Bybit v5 request signing: `hex(HMAC-SHA256(secret, timestamp + apiKey + recvWindow +
//! payload))`, where the payload is the query string of a GET or the exact body of a POST; and
//! the private WebSocket's `hex(HMAC-SHA256(secret, "GET/realtime" + expires))`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::digest::hex;

/// The string a REST request signs.
pub fn origin(timestamp: &str, api_key: &str, recv_window: &str, payload: &str) -> String {
    format!("{timestamp}{api_key}{recv_window}{payload}")
}

/// Lower-case hex HMAC-SHA256 of `message` under `secret`.
pub fn hmac_hex(secret: &str, message: &str) -> String {
    // HMAC takes a key of any length; this cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(message.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The WebSocket `auth` signature for a given expiry (ms).
pub fn realtime(secret: &str, expires_ms: i64) -> String {
    hmac_hex(secret, &format!("GET/realtime{expires_ms}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_strings_match_the_documented_examples() {
        assert_eq!(
            origin(
                "1658384314791",
                "XXXXXXXXXX",
                "5000",
                "category=option&symbol=BTC-29JUL22-25000-C"
            ),
            "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C"
        );
        assert_eq!(
            origin(
                "1658385579423",
                "XXXXXXXXXX",
                "5000",
                r#"{"category": "option"}"#
            ),
            r#"1658385579423XXXXXXXXXX5000{"category": "option"}"#
        );
    }

    #[test]
    fn the_signature_is_lower_case_hex_hmac_sha256() {
        // RFC 4231 test case 2, through this function.
        assert_eq!(
            hmac_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
