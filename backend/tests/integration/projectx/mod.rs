//! The ProjectX (TopstepX) adapter against brokersim's ProjectX Gateway, as a separate process:
//! the session and its budget (`session`), contracts and orders (`orders`), and the user hub
//! (`stream`). No database is involved: each story builds the adapter directly.

mod orders;
mod session;
mod stream;

use std::future::Future;
use std::time::Duration;

use copytrade::brokers::endpoints::Endpoint;
use copytrade::brokers::http::HttpClient;
use copytrade::brokers::projectx::{ProjectXAdapter, Settings};
use copytrade::brokers::{BrokerEvent, Exit, OrderRequest, OrderType, Side};
use copytrade::vault::SecretString;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::support::brokersim::BrokerSim;

pub const USER: &str = "trader@topstepx";
pub const KEY: &str = "px-key-CANARY-1b7e-4c2a";

/// How long any awaited event or state may take.
const PATIENCE: Duration = Duration::from_secs(20);

/// A simulator with one login and its accounts (`{name, ...}` settings, as `/users` takes
/// them); answers the account ids, in order.
pub async fn venue_with(accounts: Value) -> (BrokerSim, Vec<String>) {
    let sim = BrokerSim::start().await;
    let created = sim
        .post(
            "/projectx/users",
            json!({ "userName": USER, "apiKey": KEY, "accounts": accounts }),
        )
        .await;
    let ids = created["accounts"]
        .as_array()
        .expect("the created accounts")
        .iter()
        .map(|account| account["id"].as_i64().expect("an account id").to_string())
        .collect();
    (sim, ids)
}

/// A simulator with one tradable account.
pub async fn venue() -> (BrokerSim, String) {
    let (sim, ids) = venue_with(json!([{ "name": "50K-EVAL-1", "balance": 50000.0 }])).await;
    (sim, ids[0].clone())
}

pub fn endpoint(sim: &BrokerSim) -> Endpoint {
    Endpoint {
        rest: sim.endpoint("COPYTRADE_ENDPOINT_TOPSTEPX").to_owned(),
        ws: sim.endpoint("COPYTRADE_ENDPOINT_TOPSTEPX_WS").to_owned(),
    }
}

pub fn adapter_with(sim: &BrokerSim, key: &str, settings: Settings) -> ProjectXAdapter {
    ProjectXAdapter::with_settings(
        HttpClient::new(Duration::from_secs(3)).expect("an HTTP client"),
        endpoint(sim),
        SecretString::new(USER),
        SecretString::new(key),
        settings,
    )
}

pub fn adapter(sim: &BrokerSim) -> ProjectXAdapter {
    adapter_with(sim, KEY, Settings::default())
}

/// A market order in ES with no exits.
pub fn market(id: &str, side: Side, quantity: f64) -> OrderRequest {
    OrderRequest {
        client_order_id: id.to_owned(),
        symbol: "ES".to_owned(),
        side,
        order_type: OrderType::Market,
        quantity,
        limit_price: None,
        stop_price: None,
        take_profit: None,
        stop_loss: None,
        reference_price: None,
    }
}

/// A market order with a stop-loss and a take-profit in ticks from the fill.
pub fn bracketed(id: &str, side: Side, stop_ticks: f64, profit_ticks: f64) -> OrderRequest {
    OrderRequest {
        stop_loss: Some(Exit::Ticks { ticks: stop_ticks }),
        take_profit: Some(Exit::Ticks {
            ticks: profit_ticks,
        }),
        ..market(id, side, 1.0)
    }
}

/// A resting limit order in ES.
pub fn limit(id: &str, side: Side, price: f64) -> OrderRequest {
    OrderRequest {
        order_type: OrderType::Limit,
        limit_price: Some(price),
        ..market(id, side, 1.0)
    }
}

/// The requests on `path` the venue received, with their JSON bodies.
pub async fn bodies(sim: &BrokerSim, path: &str) -> Vec<Value> {
    sim.requests("projectx", path)
        .await
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.eq_ignore_ascii_case(path))
        })
        .map(|r| {
            serde_json::from_str(r["body"].as_str().unwrap_or_default()).unwrap_or(Value::Null)
        })
        .collect()
}

/// How many placements carried `tag`.
pub async fn placements_tagged(sim: &BrokerSim, tag: &str) -> usize {
    bodies(sim, "/api/Order/place")
        .await
        .iter()
        .filter(|body| body["customTag"] == tag)
        .count()
}

/// The venue's orders of an account carrying `tag`, as its control API reads them back.
pub async fn venue_orders_tagged(sim: &BrokerSim, account: &str, tag: &str) -> Vec<Value> {
    let orders = sim
        .get(&format!("/projectx/orders?accountId={account}"))
        .await;
    orders["orders"]
        .as_array()
        .expect("the venue's orders")
        .iter()
        .filter(|order| order["customTag"] == tag)
        .cloned()
        .collect()
}

/// Waits for the first event that `wanted` accepts.
pub async fn next_event(
    events: &mut broadcast::Receiver<BrokerEvent>,
    what: &str,
    wanted: impl Fn(&BrokerEvent) -> bool,
) -> BrokerEvent {
    let found = async {
        loop {
            match events.recv().await {
                Ok(event) if wanted(&event) => return event,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("the stream ended: {what}"),
            }
        }
    };
    tokio::time::timeout(PATIENCE, found)
        .await
        .unwrap_or_else(|_| panic!("no event within {PATIENCE:?}: {what}"))
}

/// Polls `check` until it answers `Some`.
pub async fn eventually<T, F: Future<Output = Option<T>>>(
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The bearer token a journal entry carried.
pub fn bearer(request: &Value) -> String {
    request["headers"]["authorization"]
        .as_str()
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned()
}
