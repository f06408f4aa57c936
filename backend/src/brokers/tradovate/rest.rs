//! Tradovate's REST transport: one request and its answer mapped to the [`BrokerError`]
//! taxonomy, with Tradovate's ways of saying "slow down" handled here:
//! - a penalty ticket (HTTP 200 with `p-ticket`, `p-time`): wait `p-time` seconds and resend
//!   the identical request plus `"p-ticket"`, a few rounds at most;
//! - a captcha ticket (`p-captcha: true`): no program can go on. The endpoint is remembered for
//!   an hour (per base URL and path, for every login of this server: penalties are per IP) and
//!   answered [`BrokerError::ActionRequired`] without calling; linking or "Test connection"
//!   ([`forget_captchas`]) tries again;
//! - HTTP 429 (a user-level limit, which the docs say cannot be cleared sooner than an hour) and
//!   423 (the warning before a lockout): the login pauses every call for a long while.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::http::Method;
use serde_json::Value;

use super::parse::unreadable;
use crate::brokers::BrokerError;
use crate::brokers::endpoints::Endpoint;
use crate::brokers::http::{HttpClient, HttpError};

/// Penalty rounds waited out for one request before giving up.
const MAX_PENALTY_ROUNDS: u32 = 3;
/// A `p-time` longer than this is not waited out inside a call: the caller retries later.
const MAX_PENALTY_WAIT: Duration = Duration::from_secs(60);
/// How long a captcha blocks an endpoint.
const CAPTCHA_BLOCK: Duration = Duration::from_secs(3600);
/// A user-level 429 cannot be cleared by a program sooner (Tradovate's docs).
pub(super) const USER_LIMIT_WAIT: Duration = Duration::from_secs(3600);
/// After a 423 ("about to be locked out"): a long pause, so the lockout never comes.
const LOCKOUT_WARNING_WAIT: Duration = Duration::from_secs(1800);

pub(super) const CAPTCHA_MESSAGE: &str = "Tradovate wants a captcha solved before it takes more requests from this server. \
Log in once on Tradovate's own web app (trader.tradovate.com) with this username to clear it, \
then press \"Test connection\"";

/// Endpoints blocked by a captcha: `<base URL> <path>` -> until when.
static CAPTCHAS: LazyLock<Mutex<HashMap<String, Instant>>> = LazyLock::new(Mutex::default);

fn captcha_key(rest: &str, path: &str) -> String {
    format!("{rest} {}", path.to_ascii_lowercase())
}

fn captcha_blocked(rest: &str, path: &str) -> bool {
    let Ok(mut blocked) = CAPTCHAS.lock() else {
        return false;
    };
    let key = captcha_key(rest, path);
    match blocked.get(&key) {
        Some(until) if Instant::now() < *until => true,
        Some(_) => {
            blocked.remove(&key);
            false
        }
        None => false,
    }
}

pub(super) fn remember_captcha(rest: &str, path: &str) {
    if let Ok(mut blocked) = CAPTCHAS.lock() {
        blocked.insert(captcha_key(rest, path), Instant::now() + CAPTCHA_BLOCK);
    }
}

/// Forgets the captchas of one venue base URL: the user says they solved it.
pub(super) fn forget_captchas(rest: &str) {
    if let Ok(mut blocked) = CAPTCHAS.lock() {
        let prefix = format!("{rest} ");
        blocked.retain(|key, _| !key.starts_with(&prefix));
    }
}

/// Whether the captcha of `path` still blocks (the stream asks before reconnecting).
pub(super) fn is_captcha_blocked(rest: &str, path: &str) -> bool {
    captcha_blocked(rest, path)
}

/// What a penalty ticket says.
#[derive(Debug, PartialEq)]
pub(super) enum Penalty {
    /// Resend with this ticket after the wait.
    Wait {
        ticket: String,
        wait: Duration,
    },
    Captcha,
}

/// Reads a penalty ticket out of an answer (HTTP, or a socket answer's `d`), if it is one.
pub(super) fn penalty(body: &Value) -> Result<Option<Penalty>, BrokerError> {
    let Some(ticket) = body.get("p-ticket") else {
        return Ok(None);
    };
    if body.get("p-captcha").and_then(Value::as_bool) == Some(true) {
        return Ok(Some(Penalty::Captcha));
    }
    let ticket = ticket
        .as_str()
        .ok_or_else(|| unreadable("p-ticket", ticket))?
        .to_owned();
    let seconds = body["p-time"]
        .as_f64()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| unreadable("p-time", &body["p-time"]))?;
    Ok(Some(Penalty::Wait {
        ticket,
        wait: Duration::from_secs_f64(seconds),
    }))
}

/// An answer that is not a penalty, rate limit or server error.
#[derive(Debug)]
pub(super) struct Reply {
    pub status: u16,
    /// The JSON body (`Null` when empty).
    pub body: Value,
}

/// Whether a request may change something at the venue (its loss is then an unknown outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Effect {
    Read,
    Changes,
}

/// The REST base of one login, with its pause after a rate limit.
pub(super) struct Rest {
    pub http: HttpClient,
    pub endpoint: Endpoint,
    /// No call before this (after a 429 or 423).
    paused_until: Mutex<Option<Instant>>,
}

fn transport(err: HttpError, effect: Effect) -> BrokerError {
    if effect == Effect::Changes && err.may_have_arrived() {
        BrokerError::UnknownOutcome(err.to_string())
    } else {
        BrokerError::Transient(err.to_string())
    }
}

fn rate_limited(wait: Duration) -> BrokerError {
    BrokerError::RateLimited {
        retry_after_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1),
    }
}

impl Rest {
    pub fn new(http: HttpClient, endpoint: Endpoint) -> Self {
        Self {
            http,
            endpoint,
            paused_until: Mutex::new(None),
        }
    }

    /// How long calls stay paused after a rate limit, if they are.
    pub fn paused_for(&self) -> Option<Duration> {
        let until = (*self.paused_until.lock().ok()?)?;
        until.checked_duration_since(Instant::now())
    }

    pub fn pause(&self, wait: Duration) {
        if let Ok(mut until) = self.paused_until.lock() {
            let next = Instant::now() + wait;
            *until = Some(until.map_or(next, |current| current.max(next)));
        }
    }

    /// Sends one request (`path` below the base, e.g. `order/placeorder`; `query` already
    /// encoded) and handles penalties and rate limits; any other answer is the caller's.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<&Value>,
        token: Option<&str>,
        effect: Effect,
    ) -> Result<Reply, BrokerError> {
        if captcha_blocked(&self.endpoint.rest, path) {
            return Err(BrokerError::ActionRequired(CAPTCHA_MESSAGE.to_owned()));
        }
        if let Some(wait) = self.paused_for() {
            return Err(rate_limited(wait));
        }
        let mut ticket: Option<String> = None;
        for _round in 0..=MAX_PENALTY_ROUNDS {
            let reply = self
                .send_once(
                    method.clone(),
                    path,
                    query,
                    body,
                    token,
                    ticket.as_deref(),
                    effect,
                )
                .await?;
            if reply.status != 200 {
                return Ok(reply);
            }
            match penalty(&reply.body)? {
                None => return Ok(reply),
                Some(Penalty::Captcha) => {
                    tracing::warn!(
                        path,
                        "Tradovate asks for a captcha: this endpoint waits an hour"
                    );
                    remember_captcha(&self.endpoint.rest, path);
                    return Err(BrokerError::ActionRequired(CAPTCHA_MESSAGE.to_owned()));
                }
                Some(Penalty::Wait { wait, .. }) if wait > MAX_PENALTY_WAIT => {
                    return Err(rate_limited(wait));
                }
                Some(Penalty::Wait { ticket: next, wait }) => {
                    tracing::info!(
                        path,
                        ?wait,
                        "Tradovate penalty ticket: waiting, then resending"
                    );
                    tokio::time::sleep(wait).await;
                    ticket = Some(next);
                }
            }
        }
        tracing::warn!(
            path,
            "Tradovate kept answering penalty tickets; giving up for now"
        );
        Err(rate_limited(MAX_PENALTY_WAIT))
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_once(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<&Value>,
        token: Option<&str>,
        ticket: Option<&str>,
        effect: Effect,
    ) -> Result<Reply, BrokerError> {
        // The identical request plus the ticket: in the JSON body, or in the query of a GET.
        let mut query = query.to_owned();
        let body = body.map(|body| {
            let mut body = body.clone();
            if let (Some(ticket), Some(fields)) = (ticket, body.as_object_mut()) {
                fields.insert("p-ticket".into(), Value::String(ticket.to_owned()));
            }
            body.to_string()
        });
        if let (Some(ticket), None) = (ticket, &body) {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str("p-ticket=");
            query.push_str(ticket);
        }
        let url = if query.is_empty() {
            format!("{}/{path}", self.endpoint.rest)
        } else {
            format!("{}/{path}?{query}", self.endpoint.rest)
        };
        let bearer = token.map(|token| format!("Bearer {token}"));
        let mut headers = vec![("Accept", "application/json")];
        if let Some(bearer) = &bearer {
            headers.push(("Authorization", bearer.as_str()));
        }
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let response = self
            .http
            .send(method, &url, &headers, body.map(String::into_bytes))
            .await
            .map_err(|err| transport(err, effect))?;
        match response.status {
            429 => {
                tracing::warn!(
                    path,
                    "Tradovate answered 429: this login pauses for an hour"
                );
                self.pause(USER_LIMIT_WAIT);
                return Err(rate_limited(USER_LIMIT_WAIT));
            }
            423 => {
                tracing::warn!(
                    path,
                    "Tradovate answered 423: the login is about to be locked out; pausing it"
                );
                self.pause(LOCKOUT_WARNING_WAIT);
                return Err(rate_limited(LOCKOUT_WARNING_WAIT));
            }
            status if status >= 500 => {
                let err = format!("Tradovate answered HTTP {status}");
                return Err(match effect {
                    Effect::Changes => BrokerError::UnknownOutcome(err),
                    Effect::Read => BrokerError::Transient(err),
                });
            }
            _ => {}
        }
        let body = if response.body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&response.body).map_err(|_| {
                let err = format!(
                    "unreadable answer from Tradovate (HTTP {})",
                    response.status
                );
                match effect {
                    Effect::Changes if response.status == 200 => BrokerError::UnknownOutcome(err),
                    _ => BrokerError::Transient(err),
                }
            })?
        };
        Ok(Reply {
            status: response.status,
            body,
        })
    }
}

/// The business refusal a 200 answer carries, if any: `errorText`, `violations`, or a
/// `failureReason` other than `Success`. The venue's own words, never our request.
pub(super) fn refusal(body: &Value) -> Option<String> {
    if let Some(reason) = body.get("failureReason").filter(|r| !r.is_null())
        && reason.as_str() != Some("Success")
    {
        let text = body["failureText"]
            .as_str()
            .filter(|t| !t.trim().is_empty());
        let reason = reason.as_str().unwrap_or("UnknownReason");
        return Some(match text {
            Some(text) => format!("{text} ({reason})"),
            None => reason.to_owned(),
        });
    }
    if let Some(text) = body.get("errorText").and_then(Value::as_str) {
        return Some(text.to_owned());
    }
    if let Some(violations) = body.get("violations").and_then(Value::as_array) {
        let said: Vec<&str> = violations
            .iter()
            .filter_map(|v| v["description"].as_str())
            .collect();
        return Some(if said.is_empty() {
            "Tradovate refused the request's fields".to_owned()
        } else {
            said.join("; ")
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn penalty_tickets_are_read_strictly() {
        assert_eq!(penalty(&json!({"orderId": 1})).unwrap(), None);
        assert_eq!(
            penalty(&json!({"p-ticket": "t1", "p-time": 2, "p-captcha": false})).unwrap(),
            Some(Penalty::Wait {
                ticket: "t1".into(),
                wait: Duration::from_secs(2)
            })
        );
        assert_eq!(
            penalty(&json!({"p-ticket": "t1", "p-time": 3600, "p-captcha": true})).unwrap(),
            Some(Penalty::Captcha)
        );
        assert!(penalty(&json!({"p-ticket": "t1", "p-time": "soon"})).is_err());
    }

    #[test]
    fn refusals_carry_the_venues_words() {
        assert_eq!(refusal(&json!({"orderId": 5})), None);
        assert_eq!(
            refusal(&json!({"orderId": 5, "failureReason": "Success"})),
            None
        );
        assert_eq!(
            refusal(&json!({"failureReason": "InvalidPrice", "failureText": "Price too far"})),
            Some("Price too far (InvalidPrice)".into())
        );
        assert_eq!(
            refusal(&json!({"errorText": "Access is denied", "ok": false})),
            Some("Access is denied".into())
        );
        assert_eq!(
            refusal(
                &json!({"violations": [{"constraint": "orderQty", "value": "", "description": "orderQty should be specified"}]})
            ),
            Some("orderQty should be specified".into())
        );
    }

    #[test]
    fn a_captcha_blocks_one_base_until_forgotten() {
        let base = "http://captcha.test/v1";
        remember_captcha(base, "auth/accessTokenRequest");
        assert!(captcha_blocked(base, "auth/accesstokenrequest"));
        assert!(!captcha_blocked(
            "http://other.test/v1",
            "auth/accesstokenrequest"
        ));
        forget_captchas(base);
        assert!(!captcha_blocked(base, "auth/accesstokenrequest"));
    }
}
