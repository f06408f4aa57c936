//! Bybit through the API and the adapter, against the `brokersim` process speaking Bybit v5
//! (signing, envelope, error codes, private stream): linking a trade-only key, refusing one
//! that can withdraw, a follower copied through rate limits and rejections, and a fill made
//! while the stream was down caught up after it reconnects. `adapter` tests the adapter alone.

mod adapter;

use std::time::Duration;

use axum::Router;
use serde_json::{Value, json};

use crate::support::live::{next_within, subscribe_to_fills};
use crate::support::sim_bybit::SimBybit;
use crate::support::trading::{copies_of, create_webhook, ok, post_signal};
use crate::support::{Backend, Caller, TestApp, database_contains, on_both_databases};

const KEY: &str = "AKEY-bybit-0000-a9f2";
const CANARY: &str = "CANARY-bybit-secret-7d3e";
const LINK: &str = "mutation($input: LinkBrokerAccountInput!) { linkBrokerAccount(input: $input) {
    id status lastError credentialHint rotationDue canWithdraw accounts { id name externalId balance positions { symbol quantity } } } }";

/// Every path a Bybit adapter may call (SEC-13): reading, placing, cancelling, the stream and
/// catching up on executions after the stream reconnects.
const ALLOWED: [&str; 9] = [
    "GET /v5/private",
    "GET /v5/user/query-api",
    "GET /v5/account/wallet-balance",
    "GET /v5/position/list",
    "GET /v5/market/instruments-info",
    "GET /v5/order/realtime",
    "GET /v5/execution/list",
    "POST /v5/order/create",
    "POST /v5/order/cancel",
];

async fn app_with(fake: &SimBybit, backend: Backend) -> TestApp {
    TestApp::with_env(
        backend,
        &[
            ("COPYTRADE_ENDPOINT_BYBIT", &fake.rest_url()),
            ("COPYTRADE_ENDPOINT_BYBIT_WS", &fake.ws_url()),
        ],
    )
    .await
}

async fn link(app: &TestApp, trader: &Caller, secret: &str) -> Value {
    app.gql_with(
        LINK,
        json!({ "input": { "broker": "BYBIT", "environment": "LIVE", "label": "Bybit main",
            "credentials": { "apiKey": KEY, "apiSecret": secret } } }),
        trader,
    )
    .await
    .json()
}

async fn assert_only_allowed_calls(fake: &SimBybit) {
    for call in fake.calls().await {
        assert!(
            ALLOWED.contains(&call.as_str()),
            "not an allowed Bybit call: {call}"
        );
    }
}

async fn a_trade_only_bybit_key_links_and_its_secret_is_never_shown_or_stored_in_clear(
    backend: Backend,
) {
    let fake = SimBybit::start(KEY, CANARY).await;
    fake.set_key_created_at("2026-09-01T00:00:00Z").await;
    let app = app_with(&fake, backend).await;
    let trader = app.register_trader("bybit@example.com").await;

    let wrong = link(&app, &trader, "not-the-secret").await;
    assert_eq!(
        wrong["errors"][0]["extensions"]["code"], "BROKER_BAD_CREDENTIALS",
        "{wrong}"
    );

    let linked = link(&app, &trader, CANARY).await;
    let connection = &linked["data"]["linkBrokerAccount"];
    assert_eq!(connection["status"], "CONNECTED", "{linked}");
    assert_eq!(connection["credentialHint"], "••••a9f2");
    assert_eq!(connection["canWithdraw"], false);
    // The key itself is older than 30 days at Bybit: time to rotate.
    assert_eq!(connection["rotationDue"], true);
    assert_eq!(connection["accounts"][0]["externalId"], "5550001");
    assert_eq!(connection["accounts"][0]["balance"], 10_000.0);

    let id = connection["id"].clone();
    let mut answers = vec![linked.to_string(), wrong.to_string()];
    for (query, variables) in [
        (
            "mutation($id: ID!) { testBrokerConnection(id: $id) { status lastError credentialHint } }",
            json!({ "id": id }),
        ),
        (
            "{ brokerConnections { id credentialHint accounts { balance } } }",
            json!({}),
        ),
        (
            "mutation($id: ID!, $c: BrokerCredentialsInput!) { updateBrokerCredentials(id: $id, credentials: $c) { id status } }",
            json!({ "id": id, "c": { "apiKey": KEY, "apiSecret": format!("{CANARY}-wrong") } }),
        ),
        ("{ securityEvents { kind } }", json!({})),
    ] {
        answers.push(app.gql_with(query, variables, &trader).await.text());
    }
    for answer in &answers {
        assert!(
            !answer.contains(CANARY),
            "the secret leaked in an answer: {answer}"
        );
        assert!(
            !answer.contains(KEY),
            "the key leaked in an answer: {answer}"
        );
    }
    assert!(answers[2].contains("CONNECTED"), "{}", answers[2]);
    assert!(
        answers[4].contains("BROKER_BAD_CREDENTIALS"),
        "{}",
        answers[4]
    );
    assert!(database_contains(&app, "bybit@example.com").await);
    assert!(
        !database_contains(&app, CANARY).await,
        "the secret is in the database in clear"
    );
    assert!(
        !database_contains(&app, KEY).await,
        "the key is in the database in clear"
    );
    assert_only_allowed_calls(&fake).await;
}

async fn a_key_that_can_withdraw_is_refused_and_nothing_is_stored(backend: Backend) {
    let fake = SimBybit::start(KEY, CANARY).await;
    fake.set_permissions(
        0,
        json!({ "ContractTrade": ["Order", "Position"], "Wallet": ["AccountTransfer", "Withdraw"] }),
    ).await;
    let app = app_with(&fake, backend).await;
    let trader = app.register_trader("withdraw@example.com").await;

    let refused = link(&app, &trader, CANARY).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "WITHDRAWAL_PERMISSION_REFUSED"
    );
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("can withdraw funds"), "{message}");
    assert!(message.contains("no Wallet withdrawal rights"), "{message}");
    let listed = app
        .gql_with("{ brokerConnections { id } }", json!({}), &trader)
        .await
        .json();
    assert_eq!(listed["data"]["brokerConnections"], json!([]));
    assert!(!database_contains(&app, KEY).await);
    let log = app
        .gql_with("{ securityEvents { kind } }", json!({}), &trader)
        .await
        .json();
    assert!(log.to_string().contains("BROKER_KEY_REFUSED"), "{log}");

    // A trade-only key links; if it gains withdrawal rights later, the daily check refuses it.
    fake.set_permissions(
        0,
        json!({ "ContractTrade": ["Order", "Position"], "Wallet": [] }),
    )
    .await;
    let linked = link(&app, &trader, CANARY).await;
    assert_eq!(
        linked["data"]["linkBrokerAccount"]["status"], "CONNECTED",
        "{linked}"
    );
    fake.set_permissions(
        0,
        json!({ "ContractTrade": ["Order", "Position"], "Wallet": ["Withdraw"] }),
    )
    .await;
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(app.app.state.connections.check_stale().await.unwrap(), 1);
    let listed = app
        .gql_with(
            "{ brokerConnections { status canWithdraw lastError } }",
            json!({}),
            &trader,
        )
        .await
        .json();
    let connection = &listed["data"]["brokerConnections"][0];
    assert_eq!(connection["status"], "REFUSED", "{listed}");
    assert_eq!(connection["canWithdraw"], true);
    assert_only_allowed_calls(&fake).await;
}

/// The copy of `signal` once the venue has settled it (`status` reached).
async fn copy_with_status(router: &Router, trader: &Caller, signal: &Value, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let entry = copies_of(router, trader, signal, 1).await;
        if entry["orders"][0]["status"] == status {
            return entry["orders"][0].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {status}: {entry}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_bybit_follower_is_copied_through_rate_limits_and_rejections(backend: Backend) {
    let fake = SimBybit::start(KEY, CANARY).await;
    fake.set_last_price("BTCUSDT", 90_000.0).await;
    let app = app_with(&fake, backend).await;
    let trader = app.register_trader("bybit-copier@example.com").await;
    let linked = link(&app, &trader, CANARY).await;
    let account = linked["data"]["linkBrokerAccount"]["accounts"][0]["id"].clone();
    let (webhook, _, token) = create_webhook(&app, &trader, "BTC perp").await;
    let group = ok(
        &app.router,
        &trader,
        "mutation($i: CreateCopyGroupInput!) { createCopyGroup(input: $i) { id } }",
        json!({ "i": { "name": "BTC", "webhookId": webhook } }),
    )
    .await["createCopyGroup"]["id"]
        .clone();
    ok(
        &app.router,
        &trader,
        "mutation($i: AddFollowerInput!) { addFollower(input: $i) { id } }",
        json!({ "i": { "copyGroupId": group, "tradingAccountId": account, "multiplier": 0.5 } }),
    )
    .await;

    // Bybit asks to slow down: the copier waits and sends again, and one order results.
    fake.set_rate_limited(true).await;
    let alert = r#"{"ticker":"BYBIT:BTCUSDT.P","action":"buy","quantity":"0.025","price":"90000","id":"b-1"}"#;
    let sent = post_signal(&app.router, &token, alert).await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    tokio::time::sleep(Duration::from_millis(300)).await;
    fake.set_rate_limited(false).await;
    let copy = copy_with_status(&app.router, &trader, &sent.json()["signalId"], "FILLED").await;
    assert_eq!(copy["symbol"], "BTCUSDT");
    // 0.025 × 0.5 rounds down to Bybit's 0.001 step.
    assert_eq!(copy["quantity"].as_f64(), Some(0.012));
    assert_eq!(copy["filledQuantity"].as_f64(), Some(0.012));
    assert_eq!(fake.order_count().await, 1);
    // It waited the limit out (instead of failing or sending twice).
    let at = |field: &str| {
        copy[field]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    assert!(
        at("acknowledgedAt") - at("sentAt") >= chrono::Duration::milliseconds(300),
        "{copy}"
    );

    // Bybit refuses a stop below the market for a buy: the copy says why, in Bybit's words.
    let stop = r#"{"ticker":"BTCUSDT.P","action":"buy","orderType":"stop","stopPrice":"1000","quantity":"0.01","id":"b-2"}"#;
    let sent = post_signal(&app.router, &token, stop).await;
    let copy = copy_with_status(&app.router, &trader, &sent.json()["signalId"], "REJECTED").await;
    assert!(
        copy["reason"].as_str().unwrap().contains("expect Rising"),
        "{copy}"
    );
    assert_eq!(fake.order_count().await, 1);
    assert_only_allowed_calls(&fake).await;

    // Naming accounts (as the Dashboard does) asks Bybit nothing; balances do.
    let calls = fake.calls().await.len();
    let names = ok(
        &app.router,
        &trader,
        "{ brokerConnections { accounts { id name } } }",
        json!({}),
    )
    .await;
    assert_eq!(names["brokerConnections"][0]["accounts"][0]["id"], account);
    assert_eq!(
        fake.calls().await.len(),
        calls,
        "{:?}",
        &fake.calls().await[calls..]
    );
    ok(
        &app.router,
        &trader,
        "{ brokerConnections { accounts { balance } } }",
        json!({}),
    )
    .await;
    assert!(fake.calls().await.len() > calls);
}

/// Waits until `count` private streams are open at the simulator.
async fn until_open_streams(fake: &SimBybit, count: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while fake.open_streams().await != count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {count} open Bybit streams"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn a_fill_made_while_the_bybit_stream_was_down_reaches_the_trade_log_and_the_live_feed(
    backend: Backend,
) {
    let fake = SimBybit::start(KEY, CANARY).await;
    fake.set_last_price("BTCUSDT", 90_000.0).await;
    let app = app_with(&fake, backend).await;
    let trader = app.register_trader("bybit-reconnect@example.com").await;
    let linked = link(&app, &trader, CANARY).await;
    let account = linked["data"]["linkBrokerAccount"]["accounts"][0]["id"].clone();
    let (webhook, _, token) = create_webhook(&app, &trader, "BTC perp").await;
    let group = ok(
        &app.router,
        &trader,
        "mutation($i: CreateCopyGroupInput!) { createCopyGroup(input: $i) { id } }",
        json!({ "i": { "name": "BTC", "webhookId": webhook } }),
    )
    .await["createCopyGroup"]["id"]
        .clone();
    ok(
        &app.router,
        &trader,
        "mutation($i: AddFollowerInput!) { addFollower(input: $i) { id } }",
        json!({ "i": { "copyGroupId": group, "tradingAccountId": account } }),
    )
    .await;
    let server = app.serve().await;
    let mut feed = subscribe_to_fills(server.addr, &trader).await;

    // A buy limit under the market: copied, and working at Bybit.
    let alert = r#"{"ticker":"BYBIT:BTCUSDT.P","action":"buy","orderType":"limit","limitPrice":"89000","quantity":"0.01","id":"r-1"}"#;
    let sent = post_signal(&server.router, &token, alert).await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    let signal = sent.json()["signalId"].clone();
    copy_with_status(&server.router, &trader, &signal, "WORKING").await;

    // Bybit drops the adapter's stream and keeps it out; meanwhile the limit fills.
    until_open_streams(&fake, 1).await;
    fake.hold_streams().await;
    until_open_streams(&fake, 0).await;
    fake.set_last_price("BTCUSDT", 88_900.0).await;
    let entry = copies_of(&server.router, &trader, &signal, 1).await;
    assert_eq!(
        entry["orders"][0]["status"], "WORKING",
        "nothing could have told CopyTrade yet: {entry}"
    );

    // The stream comes back: the adapter catches up on what it missed.
    fake.allow_streams().await;
    let fill = next_within(&mut feed, Duration::from_secs(30))
        .await
        .expect("the missed fill arrives on the live feed");
    let fill = &fill["payload"]["data"]["tradeFills"];
    assert_eq!(fill["signalId"], signal, "{fill}");
    assert_eq!(fill["tradingAccountId"], account);
    assert_eq!(fill["symbol"], "BTCUSDT");
    assert_eq!(fill["side"], "BUY");
    assert_eq!(fill["quantity"].as_f64(), Some(0.01));
    assert_eq!(fill["price"].as_f64(), Some(89_000.0));
    let copy = copy_with_status(&server.router, &trader, &signal, "FILLED").await;
    assert_eq!(copy["filledQuantity"].as_f64(), Some(0.01), "{copy}");
    assert_eq!(copy["averagePrice"].as_f64(), Some(89_000.0), "{copy}");
    let fills = ok(
        &server.router,
        &trader,
        "{ recentFills { symbol quantity price signalId } }",
        json!({}),
    )
    .await;
    assert_eq!(
        fills["recentFills"],
        json!([{ "symbol": "BTCUSDT", "quantity": 0.01, "price": 89_000.0, "signalId": signal }])
    );
    assert!(
        fake.calls()
            .await
            .contains(&"GET /v5/execution/list".to_owned()),
        "the adapter never asked for the executions it missed"
    );
    assert_eq!(fake.order_count().await, 1);
    assert_only_allowed_calls(&fake).await;
}

on_both_databases!(
    a_trade_only_bybit_key_links_and_its_secret_is_never_shown_or_stored_in_clear,
    a_key_that_can_withdraw_is_refused_and_nothing_is_stored,
    a_bybit_follower_is_copied_through_rate_limits_and_rejections,
    a_fill_made_while_the_bybit_stream_was_down_reaches_the_trade_log_and_the_live_feed,
);
