//! brokersim: faithful local fakes of the venues CopyTrade trades, in one process.
//!
//! Each venue lives under its own path prefix and speaks that venue's documented API (paths,
//! field names, auth, errors, stream frames; see `docs/brokersim/<venue>.md`):
//! - `/tradovate/v1/...` — Tradovate REST v1 and the trading WebSocket at `/tradovate/v1/websocket`;
//! - `/projectx/api/...` — the ProjectX Gateway (TopstepX) REST API and the SignalR user hub at
//!   `/projectx/hubs/user`;
//! - `/bybit/v5/...` — Bybit v5 REST (linear perpetuals, many API keys) and the private
//!   WebSocket at `/bybit/v5/private`;
//!
//! The control API under `/_sim/<venue>/...` (JSON) is how tests, benchmarks and demos set the
//! venue up: users, accounts, prices, latency, injected faults, stream drops, and the journal
//! of every request received. No real venue has such endpoints, and adapters never call them.

pub mod bybit;
pub mod common;
pub mod projectx;
pub mod tradovate;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;

/// The whole simulator: every venue and the control API.
pub fn app() -> Router {
    let tradovate = tradovate::Tradovate::new();
    let projectx = projectx::ProjectX::new();
    let bybit = bybit::Bybit::new();
    Router::new()
        .nest("/tradovate", tradovate.venue_router())
        .nest("/projectx", projectx.venue_router())
        .nest("/_sim/tradovate", tradovate.control_router())
        .nest("/_sim/projectx", projectx.control_router())
        .nest("/bybit", bybit.venue_router())
        .nest("/_sim/bybit", bybit.control_router())
        .route(
            "/_sim/health",
            get(|| async { axum::Json(serde_json::json!({ "ok": true })) }),
        )
}

/// The settings that point CopyTrade at a simulator listening on `addr`.
pub fn endpoints(addr: SocketAddr) -> Vec<(&'static str, String)> {
    vec![
        (
            "COPYTRADE_ENDPOINT_TRADOVATE",
            format!("http://{addr}/tradovate/v1"),
        ),
        (
            "COPYTRADE_ENDPOINT_TRADOVATE_WS",
            format!("ws://{addr}/tradovate/v1/websocket"),
        ),
        (
            "COPYTRADE_ENDPOINT_TOPSTEPX",
            format!("http://{addr}/projectx"),
        ),
        (
            "COPYTRADE_ENDPOINT_TOPSTEPX_WS",
            format!("ws://{addr}/projectx/hubs/user"),
        ),
        ("COPYTRADE_ENDPOINT_BYBIT", format!("http://{addr}/bybit")),
        (
            "COPYTRADE_ENDPOINT_BYBIT_WS",
            format!("ws://{addr}/bybit/v5/private"),
        ),
    ]
}
