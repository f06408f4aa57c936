//! ProjectX Gateway (what TopstepX runs), simulated under `/projectx`: the REST API at
//! `/projectx/api/...` and the SignalR user hub at `/projectx/hubs/user`, with its control API
//! under `/_sim/projectx` (see `docs/brokersim/projectx.md`).
//!
//! Files: `gateway` routes and authenticates REST calls; `auth`, `lookup` (accounts and
//! contracts), `place`, `orders` and `positions` (positions and trades) answer them; `engine` fills
//! orders and keeps positions; `hub` is the user hub; `control` the test-facing API; `state`,
//! `entities`, `config`, `contracts` and `wire` hold the data and the wire rules.

mod auth;
mod config;
mod contracts;
mod control;
mod engine;
mod entities;
mod gateway;
mod hub;
mod lookup;
mod orders;
mod place;
mod positions;
mod state;
mod wire;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::json;

use crate::common::Common;
use state::State;

/// The venue's shared parts: the common journal/faults/streams and the one state lock.
pub struct Sim {
    pub common: Arc<Common>,
    state: Mutex<State>,
    /// Signs the JWT-looking tokens (they are also looked up, so the signature is cosmetic).
    secret: [u8; 32],
}

impl Sim {
    /// The state; never hold the guard across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub struct ProjectX {
    sim: Arc<Sim>,
}

/// An injected `venue_error`: HTTP 200 with `success:false`, as the gateway reports failures.
/// Without a code, the endpoint's own "unknown error" code is used.
fn venue_error(path: &str, code: Option<i64>, message: &str) -> Response {
    let path = path.to_ascii_lowercase();
    let unknown_error = match path.as_str() {
        "/api/order/place" | "/api/position/closecontract" => 7,
        "/api/order/cancel" | "/api/order/modify" => 5,
        "/api/position/partialclosecontract" | "/api/auth/loginkey" => 8,
        "/api/auth/validate" => 4,
        "/api/auth/logout" => 2,
        _ => 1,
    };
    let payload = if path == "/api/order/place" {
        json!({ "orderId": null })
    } else {
        json!({})
    };
    axum::Json(wire::failure(
        payload,
        code.unwrap_or(unknown_error),
        Some(message.to_owned()),
    ))
    .into_response()
}

impl ProjectX {
    pub fn new() -> Self {
        let mut secret = [0u8; 32];
        secret[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        secret[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self {
            sim: Arc::new(Sim {
                common: Common::new("projectx", venue_error),
                state: Mutex::new(State::new()),
                secret,
            }),
        }
    }

    /// The venue's own API, mounted under `/projectx`.
    pub fn venue_router(&self) -> Router {
        let routes = Router::new()
            // ASP.NET matches paths case-insensitively, so the gateway routes by hand.
            .route("/api/{*rest}", any(gateway::api))
            .route("/hubs/user", get(hub::connect))
            .route("/hubs/user/negotiate", post(hub::negotiate))
            .with_state(Arc::clone(&self.sim));
        self.sim.common.layer(routes)
    }

    /// The control API, mounted under `/_sim/projectx`.
    pub fn control_router(&self) -> Router {
        control::router(Arc::clone(&self.sim)).merge(self.sim.common.control_routes())
    }
}

impl Default for ProjectX {
    fn default() -> Self {
        Self::new()
    }
}
