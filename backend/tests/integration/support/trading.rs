//! What a trader sets up before trading: paper accounts, webhooks, copy groups; and signals
//! sent to a webhook the way TradingView sends them.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use serde_json::{Value, json};

use super::{Caller, TestApp, TestResponse, gql_on, send};

pub const LINK: &str =
    "mutation($input: LinkBrokerAccountInput!) { linkBrokerAccount(input: $input) {
    id broker environment label status lastError credentialHint rotationDue canWithdraw
    accounts { id name externalId balance positions { symbol quantity averagePrice } } } }";

/// Links a paper account with `balance`; returns the connection as the API answered.
pub async fn link_paper(app: &TestApp, trader: &Caller, label: &str, balance: f64) -> Value {
    let answer = app
        .gql_with(
            LINK,
            json!({ "input": {
                "broker": "PAPER", "environment": "DEMO", "label": label,
                "credentials": {}, "paperStartingBalance": balance } }),
            trader,
        )
        .await
        .json();
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"]["linkBrokerAccount"].clone()
}

/// Creates a webhook; returns its id, URL and token.
pub async fn create_webhook(app: &TestApp, trader: &Caller, name: &str) -> (Value, String, String) {
    let created = app
        .gql_with(
            "mutation($n: String!) { createWebhook(name: $n) { webhook { id name createdAt lastSignalAt } url token } }",
            json!({ "n": name }),
            trader,
        )
        .await
        .json();
    let created = &created["data"]["createWebhook"];
    (
        created["webhook"]["id"].clone(),
        created["url"].as_str().unwrap().to_owned(),
        created["token"].as_str().unwrap().to_owned(),
    )
}

/// POSTs a body to a webhook as TradingView does (text/plain), from `ip`.
pub async fn post_signal_from(
    router: &Router,
    token: &str,
    body: &str,
    ip: [u8; 4],
    signature: Option<String>,
) -> TestResponse {
    let mut request = Request::post(format!("/hooks/{token}")).header("content-type", "text/plain");
    if let Some(signature) = signature {
        request = request.header("x-copytrade-signature", signature);
    }
    let mut request = request.body(Body::from(body.to_owned())).unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(IpAddr::from(ip), 40000)));
    send(router, request).await
}

/// POSTs a signal from TradingView's first address.
pub async fn post_signal(router: &Router, token: &str, body: &str) -> TestResponse {
    post_signal_from(router, token, body, [52, 89, 214, 238], None).await
}

/// Runs a GraphQL operation that must succeed; returns its `data`.
pub async fn ok(router: &Router, trader: &Caller, query: &str, variables: Value) -> Value {
    let answer = gql_on(router, query, variables, trader).await.json();
    assert!(answer["errors"].is_null(), "{query}: {answer}");
    answer["data"].clone()
}

pub const TRADE_LOG: &str = "query($first: Int!, $filter: TradeLogFilterInput) {
    tradeLog(first: $first, filter: $filter) {
        edges { cursor node {
            signal { id status rawPayload errorField error outcome receivedAt }
            orders { id tradingAccountId followerId clientOrderId symbol side quantity status
                     reason brokerOrderId filledQuantity averagePrice signalPrice slippage
                     sentAt acknowledgedAt filledAt }
        } }
        pageInfo { hasNextPage endCursor } } }";

/// The trade log entry of one signal once every copy has its final answer (all copies
/// FILLED, REJECTED, SKIPPED...); fails after 10 s.
pub async fn copies_of(router: &Router, trader: &Caller, signal: &Value, count: usize) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let data = ok(router, trader, TRADE_LOG, json!({ "first": 100 })).await;
        let entry = data["tradeLog"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"].clone())
            .find(|node| node["signal"]["id"] == *signal);
        if let Some(entry) = &entry {
            let orders = entry["orders"].as_array().unwrap();
            let done = orders.len() == count
                && orders
                    .iter()
                    .all(|o| !matches!(o["status"].as_str(), Some("PENDING" | "SENDING")))
                && !matches!(
                    entry["signal"]["outcome"].as_str().unwrap_or_default(),
                    outcome if outcome.starts_with("copying") || outcome.starts_with("waiting")
                );
            if done {
                return entry.clone();
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "signal {signal} did not get {count} final copies: {entry:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Like [`copies_of`], and also waits until every FILLED copy has its fills stored: the
/// broker's FILLED answer can come in before the stream's fills are recorded.
pub async fn filled_copies_of(
    router: &Router,
    trader: &Caller,
    signal: &Value,
    count: usize,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let entry = copies_of(router, trader, signal, count).await;
        let stored = entry["orders"].as_array().unwrap().iter().all(|o| {
            o["status"] != "FILLED" || o["filledQuantity"].as_f64() >= o["quantity"].as_f64()
        });
        if stored {
            return entry;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fills of signal {signal} were not all stored: {entry}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Like [`copies_of`], and also waits until every copy reached `status`: a fill's live event
/// can come in before the venue's order update that makes the copy final.
pub async fn copies_all_in(
    router: &Router,
    trader: &Caller,
    signal: &Value,
    count: usize,
    status: &str,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let entry = copies_of(router, trader, signal, count).await;
        if entry["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|order| order["status"] == status)
        {
            return entry;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the copies of signal {signal} did not all reach {status}: {entry}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A trader ready to copy: a paper account following a group fed by a webhook. Returns the
/// trader logged in, the webhook's token and the paper account's trading account id.
pub async fn copying_trader(app: &TestApp, email: &str) -> (Caller, String, Value) {
    let trader = app.register_trader(email).await;
    let (webhook, _, token) = create_webhook(app, &trader, "hook").await;
    let account = link_paper(app, &trader, "Paper", 100_000.0).await["accounts"][0]["id"].clone();
    let group = ok(
        &app.router,
        &trader,
        "mutation($input: CreateCopyGroupInput!) { createCopyGroup(input: $input) { id } }",
        json!({ "input": { "name": "group", "webhookId": webhook } }),
    )
    .await["createCopyGroup"]["id"]
        .clone();
    ok(
        &app.router,
        &trader,
        "mutation($input: AddFollowerInput!) { addFollower(input: $input) { id } }",
        json!({ "input": { "copyGroupId": group, "tradingAccountId": account } }),
    )
    .await;
    (trader, token, account)
}
