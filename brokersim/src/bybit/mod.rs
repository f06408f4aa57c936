//! Bybit v5, simulated under `/bybit`: the REST API at `/bybit/v5/...` and the private
//! WebSocket at `/bybit/v5/private`, for any number of API keys, the `linear` category in
//! one-way position mode; its control API lives under `/_sim/bybit` (see
//! `docs/brokersim/bybit.md`).
//!
//! What it keeps from the venue, because an adapter must cope with exactly that:
//! - Private REST calls are signed (`X-BAPI-*` headers, lowercase hex HMAC-SHA256 over
//!   `timestamp + apiKey + recvWindow + rawQuery | rawBody`) and checked in this order:
//!   unknown key 10003, timestamp outside `now - recvWindow <= ts < now + 1000` 10002, bad
//!   signature 10004. Public market routes need no signature. Only the query or the body is
//!   signed, never the path, so the `/bybit` prefix changes nothing for a client.
//! - Every answer is the v5 envelope with HTTP 200, errors included; the one exception is an
//!   unknown route (and any withdraw or transfer path), which is HTTP 404 carrying retCode 10017.
//! - Order creation answers only `{orderId, orderLinkId}`; what happens next (New or
//!   Untriggered, then fills, cancels) is visible on the private stream's `order`, `execution`
//!   and `position` topics, in `/v5/order/realtime` and in `/v5/execution/list`.
//! - Numbers in results and pushes are strings; absent order prices are "0", absent position
//!   take-profit and stop-loss are "".
//! - Each key belongs to one account (its UID); several keys may share an account. Pushes reach
//!   only the streams logged in with a key of the account they concern.
//!
//! Files: `rest` routes REST calls after `auth`; `account`, `instruments`, `orders`,
//! `positions` and `executions` answer them; `matching` triggers and fills orders against the
//! last price; `stream` is the private WebSocket; `control` the test-facing API; `state` holds
//! keys, accounts and orders; `envelope` and `numbers` the wire rules.

mod account;
mod auth;
mod control;
mod envelope;
mod executions;
mod instruments;
mod matching;
mod numbers;
mod orders;
mod positions;
mod rest;
mod state;
mod stream;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use crate::common::Common;
use envelope::Reply;
use state::State;

/// The venue's shared parts: the common journal/faults/streams and the one state lock.
pub struct Sim {
    pub common: Arc<Common>,
    state: Mutex<State>,
}

impl Sim {
    /// The state; never hold the guard across an `.await`.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub struct Bybit {
    sim: Arc<Sim>,
}

/// Bybit's "internal server error" code, for an injected `venue_error` that names none.
const SERVER_ERROR: i64 = 10016;

/// An injected `venue_error`: the v5 envelope with HTTP 200, as Bybit reports every failure.
fn venue_error(_path: &str, code: Option<i64>, message: &str) -> Response {
    Reply::err(code.unwrap_or(SERVER_ERROR), message).into_response()
}

impl Bybit {
    pub fn new() -> Self {
        Self {
            sim: Arc::new(Sim {
                common: Common::new("bybit", venue_error),
                state: Mutex::new(State::new()),
            }),
        }
    }

    /// The venue's own API, mounted under `/bybit`.
    pub fn venue_router(&self) -> Router {
        let routes = Router::new()
            .route("/v5/private", any(stream::private_stream))
            // Everything else, unknown routes included (they answer 404 with retCode 10017).
            .route("/", any(rest::rest))
            .route("/{*rest}", any(rest::rest))
            .with_state(Arc::clone(&self.sim));
        self.sim.common.layer(routes)
    }

    /// The control API, mounted under `/_sim/bybit`.
    pub fn control_router(&self) -> Router {
        control::router(Arc::clone(&self.sim)).merge(self.sim.common.control_routes())
    }
}

impl Default for Bybit {
    fn default() -> Self {
        Self::new()
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
