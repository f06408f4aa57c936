//! Authenticated calls: the session's token on every request, and a 401 taken as the session's
//! death (one new login, the call once more). Answers other than 200 are mapped here.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::http::Method;
use serde_json::Value;

use super::Inner;
use super::auth::{self, Session};
use super::rest::{self, Effect, Reply};
use crate::brokers::BrokerError;

/// Maps an answer that is not 200 (401 is handled before).
fn answer(reply: Reply, path: &str) -> Result<Value, BrokerError> {
    let words = || rest::refusal(&reply.body);
    match reply.status {
        200 => Ok(reply.body),
        400 => Err(BrokerError::Rejected(words().unwrap_or_else(|| {
            format!("Tradovate refused the request to {path} as malformed (HTTP 400)")
        }))),
        403 => Err(BrokerError::PermissionDenied(format!(
            "Tradovate does not allow {path} for this login (HTTP 403)"
        ))),
        404 => Err(BrokerError::Rejected(format!(
            "Tradovate found nothing at {path} (HTTP 404)"
        ))),
        status => Err(BrokerError::Rejected(format!(
            "Tradovate answered {path} with HTTP {status}"
        ))),
    }
}

impl Inner {
    /// The live session (logging in once if needed); starts the renewal timer.
    pub(super) async fn live_session(self: &Arc<Self>) -> Result<Session, BrokerError> {
        let session = self.session.session(&self.rest).await?;
        if !self.renewing.swap(true, Ordering::SeqCst) {
            tokio::spawn(auth::keep_alive(Arc::downgrade(self)));
        }
        Ok(session)
    }

    /// One authenticated call. A 401 means the session died: log in once more and send the
    /// call once more (a 401 is a refusal, so even a placement did not happen).
    pub(super) async fn call(
        self: &Arc<Self>,
        method: Method,
        path: &str,
        query: &str,
        body: Option<&Value>,
        effect: Effect,
    ) -> Result<Reply, BrokerError> {
        let mut logged_in_again = false;
        loop {
            let session = self.live_session().await?;
            let reply = self
                .rest
                .request(
                    method.clone(),
                    path,
                    query,
                    body,
                    Some(&session.token),
                    effect,
                )
                .await?;
            if reply.status != 401 {
                return Ok(reply);
            }
            if logged_in_again {
                return Err(BrokerError::PermissionDenied(format!(
                    "Tradovate refused {path} (HTTP 401) right after a new login: order commands \
                     need the same device id every time, and the login must be allowed to trade"
                )));
            }
            tracing::warn!(
                path,
                "Tradovate answered 401: the session died; logging in again"
            );
            self.session.expired(&session.token).await;
            logged_in_again = true;
        }
    }

    /// A GET; `None` when Tradovate has nothing there (HTTP 404).
    pub(super) async fn get(
        self: &Arc<Self>,
        path: &str,
        query: &str,
    ) -> Result<Option<Value>, BrokerError> {
        let reply = self
            .call(Method::GET, path, query, None, Effect::Read)
            .await?;
        if reply.status == 404 {
            return Ok(None);
        }
        let body = answer(reply, path)?;
        if let Some(words) = body.get("errorText").and_then(Value::as_str) {
            return Err(BrokerError::Rejected(words.to_owned()));
        }
        Ok(Some(body))
    }

    /// A GET that must find something.
    pub(super) async fn get_found(
        self: &Arc<Self>,
        path: &str,
        query: &str,
    ) -> Result<Value, BrokerError> {
        self.get(path, query).await?.ok_or_else(|| {
            BrokerError::Rejected(format!("Tradovate found nothing at {path} (HTTP 404)"))
        })
    }

    /// A POST; its 200 answer as it is (refusals are the caller's to read).
    pub(super) async fn post(
        self: &Arc<Self>,
        path: &str,
        body: &Value,
        effect: Effect,
    ) -> Result<Value, BrokerError> {
        let reply = self
            .call(Method::POST, path, "", Some(body), effect)
            .await?;
        answer(reply, path)
    }
}
