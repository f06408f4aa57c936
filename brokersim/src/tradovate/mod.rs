//! Tradovate, simulated: REST API v1 and the trading WebSocket under `/tradovate/v1`, and the
//! control API under `/_sim/tradovate` (see `docs/brokersim/tradovate.md`).
//!
//! Paths match in any case (`/v1/auth/accessTokenRequest` == `/v1/auth/accesstokenrequest`).
//! The REST handlers live once in [`api`] and serve both HTTP requests and socket requests.
//! All state sits behind one lock; entity changes go out on a broadcast channel that every
//! synced socket filters for its user.

mod api;
mod auth;
mod catalog;
mod control;
mod engine;
mod entities;
mod enums;
mod inspect;
mod limits;
mod manage;
mod orders;
mod positions;
mod reads;
mod state;
mod strategies;
mod stream;
mod sync;
mod wire;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Query, Request, State as Shared};
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::common::Common;
use api::{Call, Verb};
use state::{Push, State};
use wire::{Answer, FAILURE_REASONS, QueryMap};

/// How many entity changes a socket may fall behind before it is closed (to sync again).
const EVENT_BUFFER: usize = 65_536;
/// Largest request body read.
const MAX_BODY: usize = 1024 * 1024;

pub struct Tradovate {
    venue: Arc<Venue>,
}

/// The venue shared by its HTTP routes, sockets and control API.
pub(crate) struct Venue {
    pub common: Arc<Common>,
    state: Mutex<State>,
    pub events: broadcast::Sender<Arc<Push>>,
    socket_ids: AtomicU64,
}

impl Venue {
    fn new() -> Self {
        let catalog = catalog::Catalog::for_date(chrono::Utc::now().date_naive());
        Self {
            common: Common::new("tradovate", venue_error),
            state: Mutex::new(State::new(catalog)),
            events: broadcast::channel(EVENT_BUFFER).0,
            socket_ids: AtomicU64::new(1),
        }
    }

    /// Runs `f` under the lock, then publishes the entity changes it made (still under the
    /// lock, so every socket sees them in the order they happened).
    pub fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let out = f(&mut state);
        for push in std::mem::take(&mut state.outbox) {
            // No socket listening is fine.
            let _ = self.events.send(Arc::new(push));
        }
        out
    }

    pub fn next_socket_id(&self) -> u64 {
        self.socket_ids.fetch_add(1, Ordering::Relaxed)
    }
}

/// The body of an injected `venue_error`, in the shape the endpoint answers errors with:
/// `{failureReason, failureText}` on order commands (a message `"InvalidPrice: …"` picks the
/// reason, otherwise `UnknownReason`), `{errorText}` on auth, `{errorText, ok:false}` elsewhere.
pub(crate) fn error_body(path: &str, _code: Option<i64>, message: &str) -> Value {
    let endpoint = limits::endpoint_key(path);
    if endpoint.starts_with("order/") || endpoint.starts_with("orderstrategy/") {
        let (reason, text) = match message.split_once(':') {
            Some((reason, text)) if FAILURE_REASONS.contains(&reason.trim()) => {
                (reason.trim(), text.trim())
            }
            _ => ("UnknownReason", message),
        };
        return json!({ "failureReason": reason, "failureText": text });
    }
    if endpoint.starts_with("auth/") {
        return json!({ "errorText": message });
    }
    json!({ "errorText": message, "ok": false })
}

fn venue_error(path: &str, code: Option<i64>, message: &str) -> Response {
    (StatusCode::OK, Json(error_body(path, code, message))).into_response()
}

/// Query parameters with lowercased names (`masterId` == `masterid`).
pub(crate) fn parse_query(raw: &str) -> QueryMap {
    let Ok(uri) = format!("/?{}", raw.trim()).parse::<Uri>() else {
        return QueryMap::new();
    };
    Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|Query(pairs)| {
            pairs
                .into_iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value))
                .collect()
        })
        .unwrap_or_default()
}

fn bearer(value: &str) -> Option<String> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Every request below `/tradovate`: the socket upgrade, or a REST call.
async fn serve(Shared(venue): Shared<Arc<Venue>>, request: Request) -> Response {
    let path = request.uri().path().to_ascii_lowercase();
    let Some(endpoint) = path
        .strip_prefix("/v1/")
        .map(|rest| rest.trim_end_matches('/').to_owned())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if endpoint == "websocket" {
        return stream::upgrade(venue, request).await;
    }
    let method = match *request.method() {
        Method::GET => Verb::Get,
        Method::POST => Verb::Post,
        _ => return StatusCode::METHOD_NOT_ALLOWED.into_response(),
    };
    let query = parse_query(request.uri().query().unwrap_or_default());
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer);
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let call = Call {
        method: Some(method),
        endpoint,
        query,
        body,
        token,
    };
    render(venue.with_state(|state| api::call(state, &call)))
}

fn render(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match answer.body {
        Some(body) => (status, Json(body)).into_response(),
        None => status.into_response(),
    }
}

impl Tradovate {
    pub fn new() -> Self {
        Self {
            venue: Arc::new(Venue::new()),
        }
    }

    /// The venue's own API, mounted under `/tradovate`.
    pub fn venue_router(&self) -> Router {
        let routes = Router::new()
            .route("/{*path}", any(serve))
            .with_state(Arc::clone(&self.venue));
        self.venue.common.layer(routes)
    }

    /// The control API, mounted under `/_sim/tradovate`.
    pub fn control_router(&self) -> Router {
        control::router(Arc::clone(&self.venue)).merge(self.venue.common.control_routes())
    }
}

impl Default for Tradovate {
    fn default() -> Self {
        Self::new()
    }
}
