//! The floor for the venues bench: market orders sent straight to the simulator, as a script
//! with a token would, one after another, each on a new connection (the copier's HTTP client
//! keeps its connections, so this floor is, if anything, a little high). Each venue gets a
//! login of its own, so these orders share nothing with the copier's.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::brokersim::BrokerSim;
use crate::raw_http::request;

/// The path part of a printed endpoint (`http://127.0.0.1:1234/tradovate/v1` → `/tradovate/v1`).
fn path_of(sim: &BrokerSim, setting: &str) -> String {
    let url = sim
        .endpoints
        .iter()
        .find(|(name, _)| name == setting)
        .map(|(_, url)| url.as_str())
        .unwrap_or_else(|| panic!("brokersim printed no {setting}"));
    let host_and_path = url.split_once("://").map_or(url, |(_, rest)| rest);
    host_and_path
        .find('/')
        .map_or_else(String::new, |slash| host_and_path[slash..].to_owned())
}

/// A JSON POST to the simulator's venue side; the status and the parsed answer.
async fn post(sim: &BrokerSim, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    let headers = format!("Content-Type: application/json\r\n{auth}");
    let (status, text) = request(sim.addr, "POST", path, &headers, &body.to_string())
        .await
        .unwrap_or_else(|err| panic!("{path}: {err}"));
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The contract the simulator quotes first for ES (its front month), on `venue`.
async fn front_month(sim: &BrokerSim, venue: &str) -> Value {
    // The price is the simulator's default: this only reads which contract is the front.
    sim.control(
        &format!("/{venue}/prices"),
        json!({ "symbol": "ES", "price": 6000 }),
    )
    .await
}

/// `warm_up` then `count` market orders, alternating buy and sell, each timed from sending to
/// its answer; the timings of the counted ones.
async fn timed<F, Fut>(warm_up: usize, count: usize, mut place: F) -> Vec<Duration>
where
    F: FnMut(bool) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(count);
    for n in 0..warm_up + count {
        let started = Instant::now();
        place(n % 2 == 0).await;
        if n >= warm_up {
            samples.push(started.elapsed());
        }
    }
    samples
}

/// Tradovate: a token from `/auth/accesstokenrequest`, then `/order/placeorder`.
pub async fn tradovate_orders(sim: &BrokerSim, warm_up: usize, count: usize) -> Vec<Duration> {
    let base = path_of(sim, "COPYTRADE_ENDPOINT_TRADOVATE");
    let account = "DEMO69001";
    let user = sim
        .control(
            "/tradovate/users",
            json!({ "name": "bench-direct", "password": "bench-direct-password", "cid": 6900,
                    "sec": "bench-direct-secret", "appId": "CopyTrade",
                    "accounts": [{ "name": account }] }),
        )
        .await;
    let account_id = user["accounts"][0]["id"]
        .as_i64()
        .expect("the account's id");
    let symbol = front_month(sim, "tradovate").await["contracts"][0]["name"]
        .as_str()
        .expect("a contract name")
        .to_owned();
    let (_, login) = post(
        sim,
        &format!("{base}/auth/accesstokenrequest"),
        None,
        json!({ "name": "bench-direct", "password": "bench-direct-password", "appId": "CopyTrade",
                "appVersion": "1.0", "deviceId": "bench-direct-device", "cid": 6900,
                "sec": "bench-direct-secret" }),
    )
    .await;
    let token = login["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("a Tradovate token: {login}"))
        .to_owned();
    let path = &format!("{base}/order/placeorder");
    let (token, symbol) = (&token, &symbol);
    timed(warm_up, count, move |buy| {
        let order = json!({ "accountSpec": account, "accountId": account_id,
                            "action": if buy { "Buy" } else { "Sell" }, "symbol": symbol,
                            "orderQty": 1, "orderType": "Market", "isAutomated": true });
        async move {
            let (status, answer) = post(sim, path, Some(token), order).await;
            assert!(
                status == 200 && answer["orderId"].is_i64(),
                "Tradovate placed the order: {status} {answer}"
            );
        }
    })
    .await
}

/// ProjectX: a token from `/api/Auth/loginKey`, then `/api/Order/place`.
pub async fn projectx_orders(sim: &BrokerSim, warm_up: usize, count: usize) -> Vec<Duration> {
    let base = path_of(sim, "COPYTRADE_ENDPOINT_TOPSTEPX");
    let user = sim
        .control(
            "/projectx/users",
            json!({ "userName": "bench-direct", "apiKey": "bench-direct-key",
                    "accounts": [{ "name": "50KTC-V2-69001" }] }),
        )
        .await;
    let account_id = user["accounts"][0]["id"]
        .as_i64()
        .expect("the account's id");
    let contract = front_month(sim, "projectx").await["contractId"]
        .as_str()
        .expect("a contract id")
        .to_owned();
    let (_, login) = post(
        sim,
        &format!("{base}/api/Auth/loginKey"),
        None,
        json!({ "userName": "bench-direct", "apiKey": "bench-direct-key" }),
    )
    .await;
    let token = login["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a ProjectX token: {login}"))
        .to_owned();
    let path = &format!("{base}/api/Order/place");
    let (token, contract) = (&token, &contract);
    timed(warm_up, count, move |buy| {
        let order = json!({ "accountId": account_id, "contractId": contract, "type": 2,
                            "side": if buy { 0 } else { 1 }, "size": 1 });
        async move {
            let (status, answer) = post(sim, path, Some(token), order).await;
            assert!(
                status == 200 && answer["success"] == true,
                "ProjectX placed the order: {status} {answer}"
            );
        }
    })
    .await
}
