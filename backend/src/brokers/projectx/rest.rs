//! The REST client of one login: the session token (signed in on first use with
//! `Auth/loginKey`, renewed with `Auth/validate` before it expires, always the newest one
//! used), the request budget, and the HTTP statuses (answers are read in [`super::envelope`]).
//!
//! HTTP statuses: 401 signs in again once and retries once (the gateway refused the token, so
//! nothing was done, not even for an order); 429 pauses every call for its `Retry-After`
//! (seconds or an HTTP date) and is "slow down" on a read but an unknown outcome after an
//! order call; 404 means the endpoint is not served; 5xx and lost answers are transient on a
//! read and unknown outcomes on an order call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::http::Method;
use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::Settings;
use super::budget::Budget;
use super::codes::{self, Call};
use super::envelope::Answer;
use super::envelope::{envelope, problem, retry_after};
use crate::brokers::BrokerError;
use crate::brokers::http::{HttpClient, HttpError};
use crate::vault::SecretString;

/// How long the venue's session tokens live.
const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// After a failed renewal, try again this much later (while the token still lives).
const RENEW_RETRY: Duration = Duration::from_secs(60);
struct Token {
    value: SecretString,
    issued: Instant,
    renew_at: Instant,
}

pub struct Rest {
    http: HttpClient,
    base: String,
    user_name: SecretString,
    api_key: SecretString,
    renew_after: Duration,
    session: Mutex<Option<Token>>,
    budget: Budget,
    /// Whether the renewal timer runs.
    timer: AtomicBool,
}

fn transport(call: Call, err: &HttpError) -> BrokerError {
    if call.is_mutation() && err.may_have_arrived() {
        BrokerError::UnknownOutcome(format!("{}: {err}", call.path()))
    } else {
        BrokerError::Transient(format!("{}: {err}", call.path()))
    }
}

impl Rest {
    pub fn new(
        http: HttpClient,
        base: &str,
        user_name: SecretString,
        api_key: SecretString,
        settings: &Settings,
    ) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            user_name,
            api_key,
            renew_after: settings.renew_after.min(TOKEN_LIFETIME),
            session: Mutex::new(None),
            budget: Budget::new(settings.requests_per_window, settings.window),
            timer: AtomicBool::new(false),
        }
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    fn url(&self, call: Call) -> String {
        format!("{}{}", self.base, call.path())
    }

    /// The venue's message, with the key taken out should it ever be echoed.
    fn clean(&self, message: Option<String>) -> Option<String> {
        message.map(|m| m.replace(self.api_key.expose(), "••••"))
    }

    /// Signs in with the API key (not counted against the budget).
    async fn login(&self) -> Result<Token, BrokerError> {
        let body = json!({
            "userName": self.user_name.expose(),
            "apiKey": self.api_key.expose(),
        });
        let headers = [
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ];
        let response = self
            .http
            .send(
                Method::POST,
                &self.url(Call::LoginKey),
                &headers,
                Some(body.to_string().into_bytes()),
            )
            .await
            .map_err(|err| transport(Call::LoginKey, &err))?;
        match response.status {
            200 => {}
            429 => {
                let wait = retry_after(&response.headers, Utc::now());
                return Err(BrokerError::RateLimited {
                    retry_after_ms: wait.as_millis() as u64,
                });
            }
            status => {
                return Err(BrokerError::Transient(format!(
                    "TopstepX answered HTTP {status} to the sign-in"
                )));
            }
        }
        let answer = envelope(&response.body)
            .map_err(|what| BrokerError::Unreadable(format!("TopstepX's sign-in gave {what}")))?;
        if answer.code != 0 {
            let message = self.clean(answer.message);
            return Err(codes::failure(
                Call::LoginKey,
                answer.code,
                message.as_deref(),
            ));
        }
        match answer.body["token"].as_str() {
            Some(token) if !token.trim().is_empty() => Ok(self.fresh(token)),
            _ => Err(BrokerError::Unreadable(
                "TopstepX's sign-in succeeded without a token".into(),
            )),
        }
    }

    fn fresh(&self, token: &str) -> Token {
        let issued = Instant::now();
        Token {
            value: SecretString::new(token),
            issued,
            renew_at: issued + self.renew_after,
        }
    }

    /// Renews the session: `Some` new token, `None` when the session is gone (sign in again).
    async fn validate(&self, old: &SecretString) -> Result<Option<Token>, BrokerError> {
        let bearer = format!("Bearer {}", old.expose());
        let headers = [
            ("Authorization", bearer.as_str()),
            ("Accept", "application/json"),
        ];
        let response = {
            let _slot = self.budget.acquire().await;
            self.http
                .send(Method::POST, &self.url(Call::Validate), &headers, None)
                .await
        }
        .map_err(|err| transport(Call::Validate, &err))?;
        match response.status {
            200 => {}
            401 => return Ok(None),
            429 => {
                let wait = retry_after(&response.headers, Utc::now());
                self.budget.pause(wait);
                return Err(BrokerError::RateLimited {
                    retry_after_ms: wait.as_millis() as u64,
                });
            }
            status => {
                return Err(BrokerError::Transient(format!(
                    "TopstepX answered HTTP {status} to the session renewal"
                )));
            }
        }
        let answer = envelope(&response.body).map_err(|what| {
            BrokerError::Unreadable(format!("TopstepX's session renewal gave {what}"))
        })?;
        match answer.code {
            0 => match answer.body["newToken"].as_str() {
                Some(token) if !token.trim().is_empty() => Ok(Some(self.fresh(token))),
                _ => Err(BrokerError::Unreadable(
                    "TopstepX renewed the session without a new token".into(),
                )),
            },
            1..=3 => Ok(None),
            code => Err(codes::failure(
                Call::Validate,
                code,
                self.clean(answer.message).as_deref(),
            )),
        }
    }

    /// The newest session token: signs in on first use and renews one that is due.
    pub async fn token(self: &Arc<Self>) -> Result<SecretString, BrokerError> {
        let mut session = self.session.lock().await;
        let now = Instant::now();
        let next = match session.as_mut() {
            Some(token) if now < token.renew_at => return Ok(token.value.clone()),
            Some(token) => match self.validate(&token.value).await {
                Ok(Some(renewed)) => renewed,
                Ok(None) => self.login().await?,
                Err(err) if now < token.issued + TOKEN_LIFETIME - RENEW_RETRY => {
                    tracing::warn!(%err, "TopstepX: renewing the session failed; the current token is kept and renewal tried again");
                    token.renew_at = now + RENEW_RETRY;
                    return Ok(token.value.clone());
                }
                Err(err) => return Err(err),
            },
            None => self.login().await?,
        };
        let value = next.value.clone();
        *session = Some(next);
        drop(session);
        self.start_timer();
        Ok(value)
    }

    /// Signs in again after `stale` was refused, unless another call already did.
    pub async fn relogin(self: &Arc<Self>, stale: &SecretString) -> Result<(), BrokerError> {
        let mut session = self.session.lock().await;
        if session.as_ref().is_some_and(|token| &token.value != stale) {
            return Ok(());
        }
        *session = Some(self.login().await?);
        drop(session);
        self.start_timer();
        Ok(())
    }

    /// Renews the session when it is due even if no call needs it (the stream reconnects with
    /// the newest token). Stops when the adapter is gone or signing in fails.
    fn start_timer(self: &Arc<Self>) {
        if self.timer.swap(true, Ordering::SeqCst) {
            return;
        }
        let rest = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(strong) = rest.upgrade() else { return };
                let due = strong.session.lock().await.as_ref().map(|t| t.renew_at);
                drop(strong);
                match due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => tokio::time::sleep(RENEW_RETRY).await,
                }
                let Some(strong) = rest.upgrade() else { return };
                if let Err(err) = strong.token().await {
                    tracing::warn!(%err, "TopstepX: the session could not be renewed");
                    strong.timer.store(false, Ordering::SeqCst);
                    return;
                }
            }
        });
    }

    /// Sends a call; `None` if the venue does not serve the endpoint (HTTP 404).
    pub async fn call_if_served(
        self: &Arc<Self>,
        call: Call,
        body: &Value,
    ) -> Result<Option<Answer>, BrokerError> {
        let url = self.url(call);
        let payload = body.to_string();
        let path = call.path();
        let mut signed_in_again = false;
        loop {
            let token = self.token().await?;
            let bearer = format!("Bearer {}", token.expose());
            let headers = [
                ("Authorization", bearer.as_str()),
                ("Content-Type", "application/json"),
                ("Accept", "application/json"),
            ];
            let response = {
                let _slot = self.budget.acquire().await;
                self.http
                    .send(
                        Method::POST,
                        &url,
                        &headers,
                        Some(payload.clone().into_bytes()),
                    )
                    .await
            }
            .map_err(|err| transport(call, &err))?;
            let mutation = call.is_mutation();
            let status = response.status;
            return Err(match status {
                200 => {
                    let mut answer = envelope(&response.body).map_err(|what| {
                        let text = format!("TopstepX's {path} gave {what}");
                        if mutation {
                            BrokerError::UnknownOutcome(text)
                        } else {
                            BrokerError::Unreadable(text)
                        }
                    })?;
                    answer.message = self.clean(answer.message);
                    return Ok(Some(answer));
                }
                // The token was refused before anything was done: sign in again, once.
                401 if !signed_in_again => {
                    signed_in_again = true;
                    self.relogin(&token).await?;
                    continue;
                }
                401 => BrokerError::PermissionDenied(format!(
                    "TopstepX refused a fresh session on {path} (HTTP 401)"
                )),
                404 => return Ok(None),
                429 => {
                    let wait = retry_after(&response.headers, Utc::now());
                    self.budget.pause(wait);
                    if mutation {
                        BrokerError::UnknownOutcome(format!(
                            "TopstepX answered {path} with HTTP 429 (too many requests); the order must be looked up"
                        ))
                    } else {
                        BrokerError::RateLimited {
                            retry_after_ms: wait.as_millis() as u64,
                        }
                    }
                }
                403 => BrokerError::PermissionDenied(format!(
                    "TopstepX refused access to {path} (HTTP 403)"
                )),
                500.. if mutation => BrokerError::UnknownOutcome(format!(
                    "TopstepX answered {path} with HTTP {status}"
                )),
                500.. => {
                    BrokerError::Transient(format!("TopstepX answered {path} with HTTP {status}"))
                }
                // The request itself was refused before it was acted on.
                _ => BrokerError::Rejected(format!(
                    "TopstepX refused {path} with HTTP {status}{}",
                    problem(&response.body)
                )),
            });
        }
    }

    /// Sends a call the venue must serve; the answer may carry any code.
    pub async fn call(self: &Arc<Self>, call: Call, body: &Value) -> Result<Answer, BrokerError> {
        self.call_if_served(call, body).await?.ok_or_else(|| {
            let text = format!("TopstepX does not serve {} (HTTP 404)", call.path());
            if call.is_mutation() {
                BrokerError::Rejected(text)
            } else {
                BrokerError::Unreadable(text)
            }
        })
    }

    /// Sends a call that must succeed: a non-zero code is mapped for this endpoint.
    pub async fn ok(self: &Arc<Self>, call: Call, body: &Value) -> Result<Value, BrokerError> {
        let answer = self.call(call, body).await?;
        if answer.code == 0 {
            Ok(answer.body)
        } else {
            Err(codes::failure(call, answer.code, answer.message.as_deref()))
        }
    }
}
