//! Session tokens (SEC-5): HS256 JWTs with `sub iat exp iss aud ver`, valid for 30 days.
//! `ver` must equal the user's current token version, checked on every request, so that
//! raising the version ends every earlier session at once (SEC-6).

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::SecretBytes;
use crate::db::types::Id;

pub const SESSION_DAYS: i64 = 30;
const ISSUER: &str = "copytrade";
const SESSION_AUDIENCE: &str = "copytrade-session";
/// Clock skew tolerated between instances.
const LEEWAY_SECS: i64 = 30;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
    ver: i64,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub user_id: Id,
    pub version: i64,
    /// When the login (or reauthentication) that made this token happened: sudo mode runs from it.
    pub issued_at: DateTime<Utc>,
}

/// Signs and checks session tokens with the server's JWT secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Signs device cookies; derived from the JWT secret under its own label, used for nothing else.
    device_key: [u8; 32],
}

impl TokenKeys {
    pub fn new(secret: &SecretBytes) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.expose()),
            decoding: DecodingKey::from_secret(secret.expose()),
            device_key: derive(secret.expose(), b"copytrade device cookie v1"),
        }
    }

    /// The key that signs device cookies (`super::device`).
    pub fn device_key(&self) -> &[u8; 32] {
        &self.device_key
    }

    /// A token for `user_id` at `version`, issued `now`; returns it with its expiry.
    pub fn issue(
        &self,
        user_id: Id,
        version: i64,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), String> {
        let expires_at = now + Duration::days(SESSION_DAYS);
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: ISSUER.to_owned(),
            aud: SESSION_AUDIENCE.to_owned(),
            ver: version,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|err| err.to_string())?;
        Ok((token, expires_at))
    }

    /// The claims of a token signed by us with HS256, for sessions, not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<TokenClaims> {
        // One algorithm only: `none`, HS512 or RS256 headers are refused by the library.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[SESSION_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // Expiry is checked below against the injectable clock, not the library's system time.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?;
        let claims = data.claims;
        if claims.exp + LEEWAY_SECS <= now.timestamp() || claims.iat - LEEWAY_SECS > now.timestamp()
        {
            return None;
        }
        Some(TokenClaims {
            user_id: claims.sub.parse().ok()?,
            version: claims.ver,
            issued_at: DateTime::from_timestamp(claims.iat, 0)?,
        })
    }
}

/// HMAC-SHA256(secret, label): a key for one purpose, independent of the others.
fn derive(secret: &[u8], label: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret)
        .expect("HMAC takes a key of any length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(byte: u8) -> TokenKeys {
        TokenKeys::new(&SecretBytes::new(vec![byte; 32]))
    }

    fn day(n: i64) -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::days(n)
    }

    #[test]
    fn a_token_is_valid_on_day_29_and_dead_on_day_31() {
        let user = Id::new();
        let (token, _) = keys(1).issue(user, 3, day(0)).unwrap();
        assert_eq!(
            keys(1).verify(&token, day(29)),
            Some(TokenClaims {
                user_id: user,
                version: 3,
                issued_at: day(0),
            })
        );
        assert_eq!(keys(1).verify(&token, day(31)), None);
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let (token, _) = keys(1).issue(Id::new(), 0, day(0)).unwrap();
        assert_eq!(keys(2).verify(&token, day(0)), None);
    }

    #[test]
    fn other_algorithms_and_audiences_are_refused() {
        let claims = Claims {
            sub: Id::new().to_string(),
            iat: day(0).timestamp(),
            exp: day(1).timestamp(),
            iss: ISSUER.into(),
            aud: SESSION_AUDIENCE.into(),
            ver: 0,
        };
        let secret = EncodingKey::from_secret(&[1; 32]);
        let hs512 = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &secret).unwrap();
        assert_eq!(keys(1).verify(&hs512, day(0)), None);
        let other_audience = Claims {
            aud: "copytrade-2fa-pending".into(),
            ..claims
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &other_audience, &secret).unwrap();
        assert_eq!(keys(1).verify(&token, day(0)), None);
        // alg "none": header {"alg":"none","typ":"JWT"}, the same claims, no signature.
        let (signed, _) = keys(1).issue(Id::new(), 0, day(0)).unwrap();
        let payload = signed.split('.').nth(1).unwrap();
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert_eq!(keys(1).verify(&none, day(0)), None);
    }
}
