//! One signal, every venue: a trader links a Tradovate login, an Apex login, a TopstepX key, a
//! Bybit key and a paper account (every venue simulated by `brokersim`, a separate process),
//! makes them followers of one copy group, and one TradingView alert places exactly one
//! correct order on each, with every fill in the trade log and on the live feed.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::brokersim::BrokerSim;
use crate::support::live::{next_message, subscribe_to_fills};
use crate::support::trading::{
    LINK, copies_all_in, copies_of, create_webhook, link_paper, ok, post_signal,
};
use crate::support::{Backend, Caller, TestApp, on_both_databases};

/// Links a venue login through the API as the web app does; returns the connection.
async fn link(
    app: &TestApp,
    trader: &Caller,
    broker: &str,
    label: &str,
    credentials: Value,
) -> Value {
    let answer = app
        .gql_with(
            LINK,
            json!({ "input": { "broker": broker, "environment": "DEMO", "label": label,
                               "credentials": credentials } }),
            trader,
        )
        .await
        .json();
    assert!(answer["errors"].is_null(), "linking {broker}: {answer}");
    answer["data"]["linkBrokerAccount"].clone()
}

/// The id of the connection's trading account called `name`.
fn account_named(connection: &Value, name: &str) -> Value {
    connection["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["name"] == name || account["externalId"] == name)
        .unwrap_or_else(|| panic!("no account {name} in {connection}"))["id"]
        .clone()
}

/// The bodies of the requests a venue received on `path`, parsed.
async fn bodies(sim: &BrokerSim, venue: &str, path: &str) -> Vec<Value> {
    sim.requests(venue, path)
        .await
        .iter()
        .filter(|request| request["method"] == "POST")
        .map(|request| serde_json::from_str(request["body"].as_str().unwrap()).unwrap())
        .collect()
}

async fn one_signal_places_one_order_on_every_venue(backend: Backend) {
    let sim = BrokerSim::start().await;
    sim.post(
        "/tradovate/users",
        json!({ "name": "tv-trader", "password": "tv-password-1", "cid": 4242, "sec": "tv-app-secret",
                "appId": "CopyTrade", "accounts": [{ "name": "DEMO70001" }] }),
    )
    .await;
    sim.post(
        "/tradovate/users",
        json!({ "name": "apex-trader", "password": "apex-password-1", "cid": 4243, "sec": "apex-app-secret",
                "appId": "CopyTrade", "accounts": [{ "name": "APEX-7001-01" }, { "name": "DEMO70002" }] }),
    )
    .await;
    sim.post(
        "/projectx/users",
        json!({ "userName": "topstep-trader", "apiKey": "px-api-key-1", "accounts": [{ "name": "50KTC-V2-7001" }] }),
    )
    .await;
    sim.post(
        "/bybit/users",
        json!({ "apiKey": "bybit-key-7001", "apiSecret": "bybit-secret-7001",
                "permissions": { "ContractTrade": ["Order", "Position"] } }),
    )
    .await;

    let app = TestApp::with_env(backend, &sim.env()).await;
    let trader = app.register_trader("everywhere@example.com").await;
    let tradovate = link(
        &app,
        &trader,
        "TRADOVATE",
        "Tradovate",
        json!({ "username": "tv-trader", "password": "tv-password-1", "appId": "CopyTrade",
                "cid": "4242", "sec": "tv-app-secret" }),
    )
    .await;
    let apex = link(
        &app,
        &trader,
        "APEX",
        "Apex",
        json!({ "username": "apex-trader", "password": "apex-password-1", "appId": "CopyTrade",
                "cid": "4243", "sec": "apex-app-secret" }),
    )
    .await;
    // Apex lists only the login's Apex accounts.
    assert_eq!(apex["accounts"].as_array().unwrap().len(), 1, "{apex}");
    let topstep = link(
        &app,
        &trader,
        "TOPSTEPX",
        "TopstepX",
        json!({ "username": "topstep-trader", "apiKey": "px-api-key-1" }),
    )
    .await;
    let bybit = link(
        &app,
        &trader,
        "BYBIT",
        "Bybit",
        json!({ "apiKey": "bybit-key-7001", "apiSecret": "bybit-secret-7001" }),
    )
    .await;
    let paper = link_paper(&app, &trader, "Paper", 100_000.0).await;

    let (webhook, _, token) = create_webhook(&app, &trader, "ES everywhere").await;
    let group = ok(
        &app.router,
        &trader,
        "mutation($input: CreateCopyGroupInput!) { createCopyGroup(input: $input) { id } }",
        json!({ "input": { "name": "All venues", "webhookId": webhook } }),
    )
    .await["createCopyGroup"]["id"]
        .clone();
    let followers = [
        (account_named(&tradovate, "DEMO70001"), json!({})),
        (account_named(&apex, "APEX-7001-01"), json!({})),
        (topstep["accounts"][0]["id"].clone(), json!({})),
        (
            bybit["accounts"][0]["id"].clone(),
            json!({ "symbolMap": [{ "from": "ES", "to": "BTCUSDT" }], "fixedQuantity": 0.01 }),
        ),
        (paper["accounts"][0]["id"].clone(), json!({})),
    ];
    for (account, settings) in &followers {
        let mut input = json!({ "copyGroupId": group, "tradingAccountId": account });
        for (key, value) in settings.as_object().unwrap() {
            input[key] = value.clone();
        }
        ok(
            &app.router,
            &trader,
            "mutation($input: AddFollowerInput!) { addFollower(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await;
    }

    let server = app.serve().await;
    let mut feed = subscribe_to_fills(server.addr, &trader).await;
    let sent = post_signal(
        &server.router,
        &token,
        r#"{"ticker":"CME_MINI:ES1!","action":"buy","quantity":1,"id":"everywhere-1"}"#,
    )
    .await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    let signal = sent.json()["signalId"].clone();

    // Every follower's fill reaches the trader live.
    let mut live = HashSet::new();
    while live.len() < followers.len() {
        let message = next_message(&mut feed)
            .await
            .unwrap_or_else(|| panic!("only {} of 5 fills arrived live: {live:?}", live.len()));
        let fill = &message["payload"]["data"]["tradeFills"];
        assert_eq!(fill["signalId"], signal, "{message}");
        assert_eq!(fill["side"], "BUY", "{message}");
        live.insert(fill["tradingAccountId"].as_str().unwrap().to_owned());
    }
    let entry = copies_all_in(&server.router, &trader, &signal, followers.len(), "FILLED").await;
    for order in entry["orders"].as_array().unwrap() {
        assert!(live.contains(order["tradingAccountId"].as_str().unwrap()));
    }

    // Exactly one order per follower reached each venue, as the venue wants it.
    let tradovate_orders = bodies(&sim, "tradovate", "/order/placeorder").await;
    assert_eq!(tradovate_orders.len(), 2, "{tradovate_orders:?}");
    for order in &tradovate_orders {
        assert_eq!(order["action"], "Buy", "{order}");
        assert_eq!(order["orderQty"], 1, "{order}");
        assert_eq!(order["orderType"], "Market", "{order}");
        assert_eq!(order["isAutomated"], true, "{order}");
        let symbol = order["symbol"].as_str().unwrap();
        assert!(
            symbol.starts_with("ES") && symbol.len() == 4,
            "a front-month ES contract: {order}"
        );
    }
    let topstep_orders = bodies(&sim, "projectx", "/api/Order/place").await;
    assert_eq!(topstep_orders.len(), 1, "{topstep_orders:?}");
    let order = &topstep_orders[0];
    assert_eq!(
        (
            order["side"].as_i64(),
            order["size"].as_i64(),
            order["type"].as_i64()
        ),
        (Some(0), Some(1), Some(2)),
        "{order}"
    );
    assert!(
        order["contractId"]
            .as_str()
            .unwrap()
            .starts_with("CON.F.US.EP."),
        "{order}"
    );
    let bybit_orders = bodies(&sim, "bybit", "/v5/order/create").await;
    assert_eq!(bybit_orders.len(), 1, "{bybit_orders:?}");
    assert_eq!(
        (
            bybit_orders[0]["symbol"].as_str(),
            bybit_orders[0]["side"].as_str(),
            bybit_orders[0]["qty"].as_str()
        ),
        (Some("BTCUSDT"), Some("Buy"), Some("0.01"))
    );

    // The trade log keeps every fill of the signal.
    let fills = ok(
        &server.router,
        &trader,
        "{ recentFills { tradingAccountId signalId side quantity } }",
        json!({}),
    )
    .await;
    let of_signal: Vec<&Value> = fills["recentFills"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|fill| fill["signalId"] == signal)
        .collect();
    assert_eq!(of_signal.len(), followers.len(), "{fills}");
}

on_both_databases!(one_signal_places_one_order_on_every_venue);

/// A venue that asks for a long pause is not waited out: Tradovate answers a user over its
/// limit with a 429 that lasts an hour, and a signal traded an hour late is not the trader's
/// signal. The copy ends with the reason at once, and nothing is placed later.
async fn a_long_rate_limit_stops_the_copy_instead_of_trading_an_hour_late(backend: Backend) {
    let sim = BrokerSim::start().await;
    sim.post(
        "/tradovate/users",
        json!({ "name": "busy-trader", "password": "busy-password-1", "cid": 4244, "sec": "busy-app-secret",
                "appId": "CopyTrade", "accounts": [{ "name": "DEMO70003" }] }),
    )
    .await;
    let app = TestApp::with_env(backend, &sim.env()).await;
    let trader = app.register_trader("busy@example.com").await;
    let tradovate = link(
        &app,
        &trader,
        "TRADOVATE",
        "Tradovate",
        json!({ "username": "busy-trader", "password": "busy-password-1", "appId": "CopyTrade",
                "cid": "4244", "sec": "busy-app-secret" }),
    )
    .await;
    let (webhook, _, token) = create_webhook(&app, &trader, "busy").await;
    let group = ok(
        &app.router,
        &trader,
        "mutation($input: CreateCopyGroupInput!) { createCopyGroup(input: $input) { id } }",
        json!({ "input": { "name": "Busy", "webhookId": webhook } }),
    )
    .await["createCopyGroup"]["id"]
        .clone();
    ok(
        &app.router,
        &trader,
        "mutation($input: AddFollowerInput!) { addFollower(input: $input) { id } }",
        json!({ "input": { "copyGroupId": group, "tradingAccountId": tradovate["accounts"][0]["id"] } }),
    )
    .await;
    sim.post(
        "/tradovate/faults",
        json!({ "path": "/v1/order/placeorder", "kind": "status", "status": 429 }),
    )
    .await;

    let sent = post_signal(
        &app.router,
        &token,
        r#"{"ticker":"ES1!","action":"buy","quantity":1,"id":"busy-1"}"#,
    )
    .await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    let entry = copies_of(&app.router, &trader, &sent.json()["signalId"], 1).await;
    let copy = &entry["orders"][0];
    assert_eq!(copy["status"], "ERROR", "{copy}");
    let reason = copy["reason"].as_str().unwrap();
    assert!(reason.contains("asks to wait 3600 s"), "{reason}");
    // The venue saw the one refused placement, and nothing after it.
    assert_eq!(
        bodies(&sim, "tradovate", "/order/placeorder").await.len(),
        1
    );
}

on_both_databases!(a_long_rate_limit_stops_the_copy_instead_of_trading_an_hour_late);
