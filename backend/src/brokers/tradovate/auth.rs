//! The login's one session: `POST auth/accesstokenrequest` once, then
//! `GET auth/renewaccesstoken` before `expirationTime` (when fewer than 15 minutes remain,
//! checked before each call and by a timer), never a second login while the session lives: a
//! second one opens a new session and can end the dependent ones. A 401 on a call means the
//! session died; the caller then drops it ([`Keeper::expired`]) and the next call logs in once.

use std::sync::Weak;
use std::time::{Duration, Instant};

use axum::http::Method;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Inner;
use super::parse::{id, text, timestamp};
use super::rest::{Effect, Rest};
use crate::brokers::BrokerError;
use crate::vault::SecretString;

/// Renew when fewer than this remain (Tradovate's own example), or half the lifetime if
/// tokens live shorter.
const RENEW_BEFORE: chrono::Duration = chrono::Duration::minutes(15);
/// How often the timer looks at the session at most (the official example: every 2 min).
const TIMER_MAX: Duration = Duration::from_secs(120);
const TIMER_MIN: Duration = Duration::from_millis(200);
/// How long a refused login is not tried again by itself.
const REFUSAL_HOLD: Duration = Duration::from_secs(900);

/// What a Tradovate login sends. `app_version` defaults to "1.0".
#[derive(Clone)]
pub struct TradovateLogin {
    pub username: SecretString,
    pub password: SecretString,
    pub app_id: SecretString,
    pub app_version: Option<SecretString>,
    /// The API application's id: sent as a number when it reads as one.
    pub cid: SecretString,
    pub sec: SecretString,
    /// Stable per device: a missing or changing one can make order commands answer 401.
    pub device_id: SecretString,
}

impl TradovateLogin {
    fn body(&self) -> Value {
        let cid = self.cid.expose().trim();
        let cid = cid
            .parse::<i64>()
            .map_or_else(|_| json!(cid), |number| json!(number));
        json!({
            "name": self.username.expose(),
            "password": self.password.expose(),
            "appId": self.app_id.expose(),
            "appVersion": self.app_version.as_ref().map_or("1.0", SecretString::expose),
            "deviceId": self.device_id.expose(),
            "cid": cid,
            "sec": self.sec.expose(),
        })
    }

    /// Tradovate's words with anything secret of ours taken out.
    fn scrub(&self, words: &str) -> String {
        let mut words = words.to_owned();
        for secret in [&self.password, &self.sec] {
            let secret = secret.expose();
            if !secret.trim().is_empty() {
                words = words.replace(secret, "••••");
            }
        }
        words
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub(super) struct Session {
    pub token: String,
    pub user_id: i64,
    pub expires: DateTime<Utc>,
    /// How long a token lived when it was handed out (renewal is timed from it).
    pub lifetime: chrono::Duration,
}

impl Session {
    fn renew_at(&self) -> DateTime<Utc> {
        self.expires - RENEW_BEFORE.min(self.lifetime / 2)
    }
}

/// Reads the token answer of a login or a renewal.
fn session(body: &Value) -> Result<Session, BrokerError> {
    let token = text(&body["accessToken"], "accessToken")?;
    if token.is_empty() {
        return Err(BrokerError::Unreadable(
            "Tradovate's empty accessToken".into(),
        ));
    }
    let expires = timestamp(&body["expirationTime"], "expirationTime")?;
    Ok(Session {
        token: token.to_owned(),
        user_id: id(&body["userId"], "userId")?,
        expires,
        lifetime: (expires - Utc::now()).max(chrono::Duration::seconds(1)),
    })
}

/// How a renewal ended.
enum Renewal {
    Renewed(Session),
    /// The session is gone (401): log in again.
    Dead,
}

/// Holds the login and its session; one login or renewal at a time.
pub(super) struct Keeper {
    login: TradovateLogin,
    current: tokio::sync::Mutex<Option<Session>>,
    /// A refused login and when: the same password is not tried again for a while (repeated
    /// wrong logins lock a Tradovate user out), unless the user asks ([`Keeper::forget_refusal`]).
    refused: std::sync::Mutex<Option<(Instant, String)>>,
}

impl Keeper {
    pub fn new(login: TradovateLogin) -> Self {
        Self {
            login,
            current: tokio::sync::Mutex::new(None),
            refused: std::sync::Mutex::new(None),
        }
    }

    /// The user checks the login again ("Test connection"): try it even if it was refused.
    pub fn forget_refusal(&self) {
        if let Ok(mut refused) = self.refused.lock() {
            *refused = None;
        }
    }

    fn refusal(&self) -> Option<String> {
        let refused = self.refused.lock().ok()?;
        let (at, words) = refused.as_ref()?;
        (at.elapsed() < REFUSAL_HOLD).then(|| words.clone())
    }

    /// The live session: logs in if there is none, renews it when due.
    pub async fn session(&self, rest: &Rest) -> Result<Session, BrokerError> {
        if let Some(words) = self.refusal() {
            return Err(BrokerError::BadCredentials(words));
        }
        let mut current = self.current.lock().await;
        if let Some(live) = current.as_ref() {
            let now = Utc::now();
            if now < live.renew_at() {
                return Ok(live.clone());
            }
            if now < live.expires {
                match self.renew(rest, &live.token).await {
                    Ok(Renewal::Renewed(renewed)) => {
                        *current = Some(renewed.clone());
                        return Ok(renewed);
                    }
                    Ok(Renewal::Dead) => {}
                    // The token still works: use it and renew on the next call.
                    Err(err) => {
                        tracing::warn!(%err, "renewing the Tradovate session failed; it is still valid");
                        return Ok(live.clone());
                    }
                }
            }
        }
        *current = None;
        let fresh = match self.log_in(rest).await {
            Ok(fresh) => fresh,
            Err(BrokerError::BadCredentials(words)) => {
                if let Ok(mut refused) = self.refused.lock() {
                    *refused = Some((Instant::now(), words.clone()));
                }
                return Err(BrokerError::BadCredentials(words));
            }
            Err(err) => return Err(err),
        };
        *current = Some(fresh.clone());
        Ok(fresh)
    }

    /// Renews the session if it is due (the timer's turn); when it is next due, if there is one.
    pub async fn renew_if_due(&self, rest: &Rest) -> Option<DateTime<Utc>> {
        let mut current = self.current.lock().await;
        let live = current.as_ref()?.clone();
        if Utc::now() < live.renew_at() {
            return Some(live.renew_at());
        }
        match self.renew(rest, &live.token).await {
            Ok(Renewal::Renewed(renewed)) => {
                let next = renewed.renew_at();
                *current = Some(renewed);
                Some(next)
            }
            Ok(Renewal::Dead) => {
                // The next call logs in again.
                *current = None;
                None
            }
            Err(err) => {
                tracing::warn!(%err, "renewing the Tradovate session failed; trying again soon");
                Some(Utc::now() + chrono::Duration::seconds(10))
            }
        }
    }

    /// The session behind `token` died (a 401): forget it unless it was replaced already.
    pub async fn expired(&self, token: &str) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|live| live.token == token) {
            *current = None;
        }
    }

    async fn log_in(&self, rest: &Rest) -> Result<Session, BrokerError> {
        let body = self.login.body();
        let reply = rest
            .request(
                Method::POST,
                "auth/accesstokenrequest",
                "",
                Some(&body),
                None,
                Effect::Read,
            )
            .await?;
        match reply.status {
            200 => {}
            401 | 403 => {
                return Err(BrokerError::BadCredentials(format!(
                    "Tradovate refused the login (HTTP {})",
                    reply.status
                )));
            }
            status => {
                return Err(BrokerError::Transient(format!(
                    "Tradovate answered the login with HTTP {status}"
                )));
            }
        }
        if let Some(words) = reply.body.get("errorText").and_then(Value::as_str) {
            return Err(BrokerError::BadCredentials(self.login.scrub(words)));
        }
        let fresh = session(&reply.body)?;
        tracing::info!(user = fresh.user_id, expires = %fresh.expires, "Tradovate session opened");
        Ok(fresh)
    }

    async fn renew(&self, rest: &Rest, token: &str) -> Result<Renewal, BrokerError> {
        let reply = rest
            .request(
                Method::GET,
                "auth/renewaccesstoken",
                "",
                None,
                Some(token),
                Effect::Read,
            )
            .await?;
        match reply.status {
            200 if reply.body.get("errorText").is_some() => Ok(Renewal::Dead),
            200 => Ok(Renewal::Renewed(session(&reply.body)?)),
            401 => Ok(Renewal::Dead),
            status => Err(BrokerError::Transient(format!(
                "Tradovate answered the renewal with HTTP {status}"
            ))),
        }
    }
}

/// Renews the session before it expires, until the adapter is gone.
pub(super) async fn keep_alive(inner: Weak<Inner>) {
    loop {
        let wait = {
            let Some(inner) = inner.upgrade() else {
                return;
            };
            match inner.session.renew_if_due(&inner.rest).await {
                Some(due) => (due - Utc::now()).to_std().unwrap_or_default(),
                None => TIMER_MAX,
            }
        };
        tokio::time::sleep(wait.clamp(TIMER_MIN, TIMER_MAX)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(cid: &str) -> TradovateLogin {
        TradovateLogin {
            username: SecretString::new("trader"),
            password: SecretString::new("hunter2-secret"),
            app_id: SecretString::new("CopyTrade"),
            app_version: None,
            cid: SecretString::new(cid),
            sec: SecretString::new("sec-value"),
            device_id: SecretString::new("dev-1"),
        }
    }

    #[test]
    fn the_login_body_sends_cid_as_a_number_when_it_is_one() {
        let body = login("1234").body();
        assert_eq!(body["cid"], json!(1234));
        assert_eq!(body["appVersion"], "1.0");
        assert_eq!(body["deviceId"], "dev-1");
        assert_eq!(login("app-7").body()["cid"], json!("app-7"));
        assert_eq!(
            login("1").scrub("bad password hunter2-secret"),
            "bad password ••••"
        );
    }

    #[test]
    fn renewal_is_due_fifteen_minutes_before_expiry_or_at_half_a_short_life() {
        let now = Utc::now();
        let long = Session {
            token: "t".into(),
            user_id: 1,
            expires: now + chrono::Duration::minutes(90),
            lifetime: chrono::Duration::minutes(90),
        };
        assert_eq!(long.renew_at(), now + chrono::Duration::minutes(75));
        let short = Session {
            lifetime: chrono::Duration::seconds(4),
            expires: now + chrono::Duration::seconds(4),
            ..long
        };
        assert_eq!(short.renew_at(), now + chrono::Duration::seconds(2));
        let answer = json!({"accessToken": "abc", "userId": 5, "expirationTime": "2030-01-01T00:00:00.000Z"});
        assert_eq!(session(&answer).unwrap().user_id, 5);
        assert!(session(&json!({"accessToken": "abc", "userId": "5", "expirationTime": "2030-01-01T00:00:00Z"})).is_err());
    }
}
