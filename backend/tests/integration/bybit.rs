//! Bybit through the API and the adapter, against a local fake that speaks Bybit v5 (signing,
//! envelope, error codes, private stream): linking a trade-only key, refusing one that can
//! withdraw, and the adapter's orders, fills, cancels and limits.

use std::time::Duration;

use copytrade::brokers::{BrokerError, BrokerEvent, OrderRequest, OrderStatus, OrderType, Side};
use serde_json::{Value, json};

use crate::support::fake_bybit::FakeBybit;
use crate::support::trading::{copies_of, create_webhook, ok, post_signal};
use crate::support::{Backend, Caller, TestApp, database_contains, on_both_databases};

const KEY: &str = "AKEY-bybit-0000-a9f2";
const CANARY: &str = "CANARY-bybit-secret-7d3e";
const LINK: &str = "mutation($input: LinkBrokerAccountInput!) { linkBrokerAccount(input: $input) {
    id status lastError credentialHint rotationDue canWithdraw accounts { id name externalId balance positions { symbol quantity } } } }";

/// Every path a Bybit adapter may call (SEC-13): reading, placing, cancelling, the stream.
const ALLOWED: [&str; 8] = [
    "GET /v5/private",
    "GET /v5/user/query-api",
    "GET /v5/account/wallet-balance",
    "GET /v5/position/list",
    "GET /v5/market/instruments-info",
    "GET /v5/order/realtime",
    "POST /v5/order/create",
    "POST /v5/order/cancel",
];

async fn app_with(fake: &FakeBybit, backend: Backend) -> TestApp {
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

fn assert_only_allowed_calls(fake: &FakeBybit) {
    for call in fake.calls() {
        assert!(
            ALLOWED.contains(&call.as_str()),
            "not an allowed Bybit call: {call}"
        );
    }
}

async fn a_trade_only_bybit_key_links_and_its_secret_is_never_shown_or_stored_in_clear(
    backend: Backend,
) {
    let fake = FakeBybit::start(KEY, CANARY).await;
    fake.set_key_created_at("2026-09-01T00:00:00Z");
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
    assert_only_allowed_calls(&fake);
}

async fn a_key_that_can_withdraw_is_refused_and_nothing_is_stored(backend: Backend) {
    let fake = FakeBybit::start(KEY, CANARY).await;
    fake.set_permissions(
        0,
        json!({ "ContractTrade": ["Order", "Position"], "Wallet": ["AccountTransfer", "Withdraw"] }),
    );
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
    );
    let linked = link(&app, &trader, CANARY).await;
    assert_eq!(
        linked["data"]["linkBrokerAccount"]["status"], "CONNECTED",
        "{linked}"
    );
    fake.set_permissions(
        0,
        json!({ "ContractTrade": ["Order", "Position"], "Wallet": ["Withdraw"] }),
    );
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
    assert_only_allowed_calls(&fake);
}

/// The copy of `signal` once the venue has settled it (`status` reached).
async fn copy_with_status(app: &TestApp, trader: &Caller, signal: &Value, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let entry = copies_of(&app.router, trader, signal, 1).await;
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
    let fake = FakeBybit::start(KEY, CANARY).await;
    fake.set_last_price("BTCUSDT", 90_000.0);
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
    fake.set_rate_limited(true);
    let alert = r#"{"ticker":"BYBIT:BTCUSDT.P","action":"buy","quantity":"0.025","price":"90000","id":"b-1"}"#;
    let sent = post_signal(&app.router, &token, alert).await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    tokio::time::sleep(Duration::from_millis(300)).await;
    fake.set_rate_limited(false);
    let copy = copy_with_status(&app, &trader, &sent.json()["signalId"], "FILLED").await;
    assert_eq!(copy["symbol"], "BTCUSDT");
    // 0.025 × 0.5 rounds down to Bybit's 0.001 step.
    assert_eq!(copy["quantity"].as_f64(), Some(0.012));
    assert_eq!(copy["filledQuantity"].as_f64(), Some(0.012));
    assert_eq!(fake.order_count(), 1);
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
    let copy = copy_with_status(&app, &trader, &sent.json()["signalId"], "REJECTED").await;
    assert!(
        copy["reason"].as_str().unwrap().contains("expect Rising"),
        "{copy}"
    );
    assert_eq!(fake.order_count(), 1);
    assert_only_allowed_calls(&fake);

    // Naming accounts (as the Dashboard does) asks Bybit nothing; balances do.
    let calls = fake.calls().len();
    let names = ok(
        &app.router,
        &trader,
        "{ brokerConnections { accounts { id name } } }",
        json!({}),
    )
    .await;
    assert_eq!(names["brokerConnections"][0]["accounts"][0]["id"], account);
    assert_eq!(fake.calls().len(), calls, "{:?}", &fake.calls()[calls..]);
    ok(
        &app.router,
        &trader,
        "{ brokerConnections { accounts { balance } } }",
        json!({}),
    )
    .await;
    assert!(fake.calls().len() > calls);
}

on_both_databases!(
    a_trade_only_bybit_key_links_and_its_secret_is_never_shown_or_stored_in_clear,
    a_key_that_can_withdraw_is_refused_and_nothing_is_stored,
    a_bybit_follower_is_copied_through_rate_limits_and_rejections,
);

fn order(link_id: &str, side: Side, order_type: OrderType, quantity: f64) -> OrderRequest {
    OrderRequest {
        client_order_id: link_id.to_owned(),
        symbol: "BTCUSDT".into(),
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

/// The adapter as the copier uses it: orders, fills on the stream, retries, cancels, limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bybit_adapter_places_streams_fills_cancels_and_flattens() {
    let fake = FakeBybit::start(KEY, CANARY).await;
    fake.set_last_price("BTCUSDT", 90_000.0);
    let app = app_with(&fake, Backend::Sqlite).await;
    let credentials = copytrade::brokers::Credentials::from_pairs([
        (
            copytrade::brokers::credentials::Field::ApiKey,
            Some(KEY.to_owned()),
        ),
        (
            copytrade::brokers::credentials::Field::ApiSecret,
            Some(CANARY.to_owned()),
        ),
    ]);
    let bybit = app
        .app
        .state
        .brokers
        .adapter(
            copytrade::brokers::BrokerKind::Bybit,
            copytrade::brokers::BrokerEnvironment::Live,
            "connection",
            &credentials,
        )
        .unwrap();
    let account = bybit.accounts().await.unwrap().remove(0).external_id;
    let instrument = bybit.instrument("btcusdt").await.unwrap();
    assert_eq!((instrument.tick_size, instrument.lot_size), (0.1, 0.001));
    assert!(matches!(
        bybit.instrument("NOPEUSDT").await,
        Err(BrokerError::UnknownSymbol(_))
    ));

    let mut events = bybit.events();
    // Give the stream time to log in and subscribe before the first order.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let placed = bybit
        .place_order(
            &account,
            &order("sig1-f1", Side::Buy, OrderType::Market, 0.002),
        )
        .await
        .unwrap();
    let fill = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(BrokerEvent::Fill(fill)) = events.recv().await {
                return fill;
            }
        }
    })
    .await
    .expect("a fill on the stream");
    assert_eq!(
        (fill.client_order_id.as_str(), fill.quantity, fill.price),
        ("sig1-f1", 0.002, 90_000.0)
    );
    assert_eq!(fill.order_id, placed.order_id);

    // The same client order id again: the existing order, not a second one.
    let again = bybit
        .place_order(
            &account,
            &order("sig1-f1", Side::Buy, OrderType::Market, 0.002),
        )
        .await
        .unwrap();
    assert_eq!(again.order_id, placed.order_id);
    assert_eq!(again.status, OrderStatus::Filled);
    assert_eq!(fake.order_count(), 1);

    let snapshot = bybit.snapshot(&account).await.unwrap();
    assert_eq!(snapshot.positions[0].quantity, 0.002);

    let mut resting = order("sig2-f1", Side::Buy, OrderType::Limit, 0.001);
    resting.limit_price = Some(80_000.0);
    let working = bybit.place_order(&account, &resting).await.unwrap();
    assert_eq!(bybit.open_orders(&account).await.unwrap().len(), 1);
    let cancelled = bybit
        .cancel_order(&account, &working.order_id)
        .await
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert!(matches!(
        bybit.cancel_order(&account, &working.order_id).await,
        Err(BrokerError::Rejected(_))
    ));

    bybit.flatten(&account, None).await.unwrap();
    assert!(bybit.snapshot(&account).await.unwrap().positions.is_empty());

    assert!(matches!(
        bybit
            .place_order(
                &account,
                &order("has:colon", Side::Buy, OrderType::Market, 0.001)
            )
            .await,
        Err(BrokerError::Rejected(_))
    ));
    fake.set_rate_limited(true);
    assert!(matches!(
        bybit.open_orders(&account).await,
        Err(BrokerError::RateLimited { .. })
    ));
    assert_only_allowed_calls(&fake);
}
