//! A local fake of Bybit v5 (`../shared/brokers.md` §5) that the Bybit adapter's tests run
//! against: REST and the private WebSocket on one loopback port, one API key, the `linear`
//! category in one-way position mode.
//!
//! What it keeps from the venue, because the adapter must cope with exactly that:
//! - Private REST calls are signed (`X-BAPI-*` headers, lowercase hex HMAC-SHA256 over
//!   `timestamp + apiKey + recvWindow + rawQuery | rawBody`) and checked in this order:
//!   unknown key 10003, timestamp outside `now - recvWindow <= ts < now + 1000` 10002, bad
//!   signature 10004. Public market routes need no signature.
//! - Every answer is the v5 envelope with HTTP 200, errors included; the one exception is an
//!   unknown route (and any withdraw or transfer path), which is HTTP 404 carrying retCode 10017.
//! - Order creation answers only `{orderId, orderLinkId}`; what happens next (New or
//!   Untriggered, then fills, cancels) is visible on the private stream's `order`, `execution`
//!   and `position` topics, and in `/v5/order/realtime`.
//! - Numbers in results and pushes are strings; absent order prices are "0", absent position
//!   take-profit and stop-loss are "".
//!
//! Every request is recorded (SEC-13: tests assert no withdraw or transfer path is ever called),
//! and query-api reports whatever permissions a test sets (SEC-14).
//!
//! Where things are: [`FakeBybit`] (here) starts the server and is what tests hold; `venue`
//! keeps the state (orders, positions, pushes); `auth` checks signatures and timestamps;
//! `envelope` builds the v5 answer and reads parameters; `rest` routes the REST calls to
//! `account`, `instruments`, `positions` and `orders`; `matching` triggers and fills orders
//! against the last price; `stream` serves the private WebSocket; `numbers` parses and prints
//! decimals.

mod account;
mod auth;
mod envelope;
mod instruments;
mod matching;
mod numbers;
mod orders;
mod positions;
mod rest;
mod stream;
mod tests;
mod venue;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::routing::any;
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use rest::rest;
use stream::private_stream;
use venue::{Push, Venue};

type Shared = Arc<Mutex<Venue>>;

/// The fake venue on a loopback port. Dropping it stops the server and closes its streams.
pub struct FakeBybit {
    pub addr: SocketAddr,
    shared: Shared,
    server: JoinHandle<()>,
}

// Used by the Bybit adapter tests.
#[allow(dead_code)]
impl FakeBybit {
    /// Starts on 127.0.0.1:0 with one API key; serves REST and the private WebSocket on the same
    /// port.
    pub async fn start(api_key: &str, api_secret: &str) -> Self {
        let (tx, _) = broadcast::channel(1024);
        let shared: Shared = Arc::new(Mutex::new(Venue::new(api_key, api_secret, tx)));
        let router = Router::new()
            .route("/v5/private", any(private_stream))
            .fallback(rest)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port for the fake Bybit");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let server = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, router).await {
                eprintln!("fake Bybit stopped: {err}");
            }
        });
        Self {
            addr,
            shared,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT/v5/private`
    pub fn ws_url(&self) -> String {
        format!("ws://{}/v5/private", self.addr)
    }

    /// The key's permissions as query-api reports them, taken as given (the `permissions`
    /// object replaces the default one whole).
    pub fn set_permissions(&self, read_only: u8, permissions: Value) {
        let mut venue = lock(&self.shared);
        venue.read_only = read_only;
        venue.permissions = permissions;
    }

    pub fn set_key_created_at(&self, created_at: &str) {
        lock(&self.shared).created_at = created_at.to_owned();
    }

    /// Moves the symbol's last price: triggers conditional orders, fills resting Limit orders it
    /// crosses (at their limit price) and position take-profits and stop-losses it reaches.
    pub fn set_last_price(&self, symbol: &str, price: f64) {
        lock(&self.shared).set_last_price(symbol, price);
    }

    pub fn set_equity(&self, total_equity: f64) {
        lock(&self.shared).equity = total_equity;
    }

    /// While on, every private REST call (once authenticated) answers retCode 10006.
    pub fn set_rate_limited(&self, on: bool) {
        lock(&self.shared).rate_limited = on;
    }

    /// Every request served so far, in order, as `"GET /v5/user/query-api"` (no query).
    pub fn calls(&self) -> Vec<String> {
        lock(&self.shared).calls.clone()
    }

    /// Orders created through `/v5/order/create` (refused ones and the venue's own
    /// take-profit/stop-loss orders not counted).
    pub fn order_count(&self) -> usize {
        lock(&self.shared).created
    }

    /// Closes every private stream connection, as the venue does on maintenance.
    pub fn close_streams(&self) {
        // No connection open is fine: there is nothing to close.
        let _ = lock(&self.shared).tx.send(Push::Close);
    }
}

impl Drop for FakeBybit {
    fn drop(&mut self) {
        self.close_streams();
        self.server.abort();
    }
}

/// A poisoned lock only means another test thread panicked; the state is still readable.
fn lock(shared: &Shared) -> MutexGuard<'_, Venue> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
