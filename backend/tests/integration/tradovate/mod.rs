//! The Tradovate adapter (also Apex) against brokersim's Tradovate, a separate process speaking
//! Tradovate's REST API and trading WebSocket: one session per login (renewed, never a second
//! login while it lives), penalty tickets and captchas, contracts, orders with brackets measured
//! from the fill, cancels, flattening, fills on the stream (none lost over a reconnect), rate
//! limits, and an unknown outcome reconciled without a second order.

use std::future::Future;
use std::time::Duration;

use copytrade::brokers::endpoints::Endpoint;
use copytrade::brokers::http::HttpClient;
use copytrade::brokers::tradovate::{
    Scope, SyncForm, TradovateAdapter, TradovateLogin, TradovateSettings,
};
use copytrade::brokers::{
    BrokerAdapter, BrokerError, BrokerEvent, Exit, Fill, OrderRequest, OrderStatus, OrderType, Side,
};
use copytrade::vault::SecretString;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::support::brokersim::BrokerSim;

mod limits;
mod session;
mod stream;
mod trading;

const PASSWORD: &str = "CANARY-tradovate-password-5e1c";
const VENUE: &str = "tradovate";

async fn venue() -> BrokerSim {
    BrokerSim::start().await
}

/// A user with the given accounts; answers their ids by name.
async fn user(sim: &BrokerSim, name: &str, accounts: &[&str]) -> Vec<(String, String)> {
    let accounts: Vec<Value> = accounts.iter().map(|a| json!({ "name": a })).collect();
    let answer = sim
        .post(
            "/tradovate/users",
            json!({ "name": name, "password": PASSWORD, "cid": 8, "sec": "sec-8",
                "accounts": accounts }),
        )
        .await;
    answer["accounts"]
        .as_array()
        .expect("the created accounts")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().expect("a name").to_owned(),
                a["id"].to_string(),
            )
        })
        .collect()
}

fn adapter(sim: &BrokerSim, name: &str, password: &str, scope: Scope) -> TradovateAdapter {
    adapter_with(sim, name, password, scope, TradovateSettings::default())
}

fn adapter_with(
    sim: &BrokerSim,
    name: &str,
    password: &str,
    scope: Scope,
    settings: TradovateSettings,
) -> TradovateAdapter {
    let secret = |value: &str| SecretString::new(value.to_owned());
    TradovateAdapter::new(
        HttpClient::new(Duration::from_secs(3)).expect("an HTTP client"),
        Endpoint {
            rest: sim.endpoint("COPYTRADE_ENDPOINT_TRADOVATE").to_owned(),
            ws: sim.endpoint("COPYTRADE_ENDPOINT_TRADOVATE_WS").to_owned(),
        },
        scope,
        TradovateLogin {
            username: secret(name),
            password: secret(password),
            app_id: secret("CopyTrade"),
            app_version: None,
            cid: secret("8"),
            sec: secret("sec-8"),
            device_id: secret("device-0001"),
        },
        settings,
    )
}

fn order(id: &str, side: Side, order_type: OrderType, quantity: f64) -> OrderRequest {
    OrderRequest {
        client_order_id: id.to_owned(),
        symbol: "ES".to_owned(),
        side,
        order_type,
        quantity,
        limit_price: None,
        stop_price: None,
        take_profit: None,
        stop_loss: None,
        reference_price: None,
    }
}

async fn set_price(sim: &BrokerSim, symbol: &str, price: f64) {
    sim.post(
        "/tradovate/prices",
        json!({ "symbol": symbol, "price": price }),
    )
    .await;
}

/// The simulator's orders of one account (with their `clOrdIds` and prices).
async fn sim_orders(sim: &BrokerSim, account: &str) -> Vec<Value> {
    let answer = sim
        .get(&format!("/tradovate/orders?accountId={account}"))
        .await;
    answer.as_array().cloned().expect("the orders")
}

fn live(orders: &[Value]) -> Vec<&Value> {
    orders
        .iter()
        .filter(|o| matches!(o["ordStatus"].as_str(), Some("Working" | "Suspended")))
        .collect()
}

/// Waits (up to `seconds`) until `check` holds.
async fn eventually<F, Fut>(seconds: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    tokio::time::timeout(Duration::from_secs(seconds), async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting until {what}"));
}

/// The next fill on the stream for `order_id`.
async fn fill_of(events: &mut broadcast::Receiver<BrokerEvent>, order_id: &str) -> Fill {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.recv().await {
                Ok(BrokerEvent::Fill(fill)) if fill.order_id == order_id => return fill,
                Ok(_) => {}
                Err(err) => panic!("the stream ended: {err}"),
            }
        }
    })
    .await
    .expect("a fill on the stream")
}

async fn logins(sim: &BrokerSim) -> usize {
    sim.requests(VENUE, "/auth/accesstokenrequest").await.len()
}

fn body(request: &Value) -> Value {
    serde_json::from_str(request["body"].as_str().unwrap_or_default()).unwrap_or(Value::Null)
}
