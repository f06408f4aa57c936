//! Subscriptions over WebSocket (`/graphql/ws`, `graphql-transport-ws` and the legacy
//! `graphql-ws`).
//!
//! Rules: a browser may open the socket only from our own origin (the session cookie would
//! otherwise let any site listen in); the caller is authenticated by `connection_init`'s
//! `{"token": …}` (a bad one refuses the connection) or else the cookie sent with the upgrade
//! (a stale one makes a visitor). A socket closes when the server shuts down and when its
//! user's sessions are revoked: at once on this instance, and within [`RECHECK`] on any other
//! instance sharing the database.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::client::{is_https, request_meta};
use crate::auth::User;
use crate::graphql::request::{RequestContext, session_token};

/// The largest WebSocket message a client may send (a subscribe message is small).
const MAX_WS_MESSAGE: usize = 64 * 1024;
/// How often an open socket re-checks that its session still holds (revocations elsewhere).
const RECHECK: Duration = Duration::from_secs(5);

pub async fn websocket(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    if !same_origin(&parts.headers) {
        return (
            StatusCode::FORBIDDEN,
            "WebSocket connections are accepted from this site only",
        )
            .into_response();
    }
    let meta = request_meta(&state, &parts.headers, &parts.extensions);
    let https = is_https(&state, &parts.headers, &parts.extensions);
    let upgrade_token = session_token(&parts.headers);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_WS_MESSAGE)
        .on_upgrade(move |socket| async move {
            let (sink, stream) = socket.split();
            let session: Arc<Mutex<Option<User>>> = Arc::default();
            // Ending the client's side of the conversation ends every subscription on it.
            let stream = stream.take_until(session_ended(state.clone(), Arc::clone(&session)));
            let auth = state.auth.clone();
            GraphQLWebSocket::new_with_pair(sink, stream, state.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let offered = payload.get("token").and_then(|token| token.as_str());
                    let user = match (offered, upgrade_token) {
                        // A token the client chose to send must be good.
                        (Some(token), _) => Some(auth.authenticate(token).await.map_err(|_| {
                            async_graphql::Error::new("the session token is invalid or has ended")
                        })?),
                        // A stale cookie (which the page cannot clear) just means a visitor.
                        (None, Some(cookie)) => auth.authenticate(&cookie).await.ok(),
                        (None, None) => None,
                    };
                    if let Ok(mut slot) = session.lock() {
                        slot.clone_from(&user);
                    }
                    let mut data = Data::default();
                    data.insert(RequestContext { meta, user, https });
                    Ok(data)
                })
                .serve()
                .await;
        })
}

/// Completes when the server shuts down or the socket's user is no longer logged in.
async fn session_ended(state: AppState, session: Arc<Mutex<Option<User>>>) {
    let mut revocations = state.auth.revocations();
    let mut recheck = tokio::time::interval(RECHECK);
    let current_user = || session.lock().ok().and_then(|slot| slot.clone());
    let shutdown = state.shutdown.clone().wait();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            revoked = revocations.recv() => match revoked {
                Ok(id) if current_user().is_some_and(|user| user.id == id) => return,
                // Missed announcements: fall back to asking the database now.
                Err(RecvError::Lagged(_)) => recheck.reset_immediately(),
                Ok(_) | Err(RecvError::Closed) => {}
            },
            _ = recheck.tick() => {
                if let Some(user) = current_user()
                    && !matches!(state.auth.is_current(&user).await, Ok(true))
                {
                    return;
                }
            }
        }
    }
}

/// A browser's `Origin` must name the host it connects to; clients that send none (not browsers)
/// are let through and authenticate with their token.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|value| value.to_str().ok()) else {
        return headers.get(ORIGIN).is_none();
    };
    let host = headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or_default();
    !host.is_empty() && authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, host.parse().unwrap());
        if let Some(origin) = origin {
            headers.insert(ORIGIN, origin.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_our_own_origin_or_none_may_open_a_socket() {
        assert!(same_origin(&headers(
            Some("http://127.0.0.1:8080"),
            "127.0.0.1:8080"
        )));
        assert!(same_origin(&headers(
            Some("https://copy.example.com"),
            "copy.example.com"
        )));
        assert!(same_origin(&headers(None, "127.0.0.1:8080")));
        assert!(!same_origin(&headers(
            Some("https://evil.example"),
            "copy.example.com"
        )));
        assert!(!same_origin(&headers(Some("null"), "copy.example.com")));
        assert!(!same_origin(&headers(
            Some("http://copy.example.com.evil.example"),
            "copy.example.com"
        )));
    }
}
