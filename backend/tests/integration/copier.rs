//! Copying as a trader uses it: a TradingView alert reaches a webhook, and every follower
//! account of the group trades it once, sized and mapped its own way, with every outcome and
//! fill in the trade log and on the trader's (and only the trader's) live feed.

use std::time::Duration;

use copytrade::brokers::paper::PaperExchange;
use copytrade::brokers::{BrokerAdapter, OrderRequest, OrderType, Side};
use copytrade::db::schema::{copied_orders, followers, signals};
use copytrade::db::types::{Id, Ts};
use diesel::ExpressionMethods;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use crate::support::live::{next_message, next_within, subscribe_to_fills};
use crate::support::trading::{
    copies_of, create_webhook, filled_copies_of, link_paper, ok, post_signal,
};
use crate::support::{Backend, Caller, TestApp, on_both_databases};

const CREATE_GROUP: &str = "mutation($input: CreateCopyGroupInput!) {
    createCopyGroup(input: $input) { id name enabled webhookId leaderAccountId } }";
const ADD_FOLLOWER: &str = "mutation($input: AddFollowerInput!) {
    addFollower(input: $input) { id multiplier fixedQuantity invert symbolMap { from to } } }";
const POSITIONS: &str = "{ brokerConnections { label accounts { id balance positions { symbol quantity averagePrice } } } }";

/// A paper account: its trading account id and its label.
struct Paper {
    account: Value,
    connection: String,
}

async fn paper(app: &TestApp, trader: &Caller, label: &str) -> Paper {
    let linked = link_paper(app, trader, label, 100_000.0).await;
    Paper {
        account: linked["accounts"][0]["id"].clone(),
        connection: linked["id"].as_str().unwrap().to_owned(),
    }
}

async fn group(app: &TestApp, trader: &Caller, input: Value) -> Value {
    ok(&app.router, trader, CREATE_GROUP, json!({ "input": input })).await["createCopyGroup"]["id"]
        .clone()
}

async fn follow(app: &TestApp, trader: &Caller, input: Value) -> Value {
    ok(&app.router, trader, ADD_FOLLOWER, json!({ "input": input })).await["addFollower"].clone()
}

/// Each account's positions by connection label: `[(symbol, quantity)]`.
async fn positions(router: &axum::Router, trader: &Caller, label: &str) -> Vec<(String, f64)> {
    let data = ok(router, trader, POSITIONS, json!({})).await;
    let connection = data["brokerConnections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == label)
        .unwrap_or_else(|| panic!("no connection {label}: {data}"))
        .clone();
    connection["accounts"][0]["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["symbol"].as_str().unwrap().to_owned(),
                p["quantity"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn order_of<'a>(entry: &'a Value, account: &Value) -> &'a Value {
    entry["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|order| order["tradingAccountId"] == *account)
        .unwrap_or_else(|| panic!("no copy for {account}: {entry}"))
}

/// Sets up a trader with a webhook and a group of three paper followers: A as the signal
/// says, B three times as big on the micro contract, C one contract the other way.
async fn three_followers(app: &TestApp, email: &str) -> (Caller, String, [Paper; 3]) {
    let trader = app.register_trader(email).await;
    let (webhook, _, token) = create_webhook(app, &trader, "ES strategy").await;
    let followers = [
        paper(app, &trader, "A").await,
        paper(app, &trader, "B micro").await,
        paper(app, &trader, "C inverted").await,
    ];
    let group = group(
        app,
        &trader,
        json!({ "name": "ES copies", "webhookId": webhook }),
    )
    .await;
    follow(
        app,
        &trader,
        json!({ "copyGroupId": group, "tradingAccountId": followers[0].account }),
    )
    .await;
    let micro = follow(
        app,
        &trader,
        json!({ "copyGroupId": group, "tradingAccountId": followers[1].account,
                "multiplier": 3, "symbolMap": [{ "from": "ES", "to": "MES" }] }),
    )
    .await;
    assert_eq!(micro["symbolMap"], json!([{ "from": "ES", "to": "MES" }]));
    follow(
        app,
        &trader,
        json!({ "copyGroupId": group, "tradingAccountId": followers[2].account,
                "fixedQuantity": 1, "invert": true }),
    )
    .await;
    (trader, token, followers)
}

async fn one_signal_trades_every_follower_once_sized_and_mapped(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (trader, token, [a, b, c]) = three_followers(&app, "copier@example.com").await;

    let entry_alert =
        r#"{"ticker":"ES1!","action":"buy","quantity":"2","price":"6000.25","id":"entry-1"}"#;
    let accepted = post_signal(&app.router, &token, entry_alert).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    let signal = accepted.json()["signalId"].clone();
    let entry = filled_copies_of(&app.router, &trader, &signal, 3).await;
    assert_eq!(
        entry["signal"]["outcome"], "3 follower(s): 3 filled",
        "{entry}"
    );

    let expect = |account: &Value, symbol: &str, side: &str, quantity: f64| {
        let order = order_of(&entry, account);
        assert_eq!(order["status"], "FILLED", "{order}");
        assert_eq!(
            (
                order["symbol"].as_str(),
                order["side"].as_str(),
                order["quantity"].as_f64()
            ),
            (Some(symbol), Some(side), Some(quantity)),
            "{order}"
        );
        assert_eq!(order["filledQuantity"].as_f64(), Some(quantity));
        // Paper market orders fill at the signal's price: no slippage.
        assert_eq!(order["averagePrice"].as_f64(), Some(6000.25));
        assert_eq!(order["slippage"].as_f64(), Some(0.0));
        let client_id = order["clientOrderId"].as_str().unwrap();
        assert!(client_id.len() == 32 && client_id.chars().all(|c| c.is_ascii_alphanumeric()));
        for stamp in ["sentAt", "acknowledgedAt", "filledAt"] {
            assert!(order[stamp].is_string(), "{stamp} missing: {order}");
        }
    };
    expect(&a.account, "ES", "BUY", 2.0);
    expect(&b.account, "MES", "BUY", 6.0);
    expect(&c.account, "ES", "SELL", 1.0);
    assert_eq!(
        positions(&app.router, &trader, "A").await,
        [("ES".to_owned(), 2.0)]
    );
    assert_eq!(
        positions(&app.router, &trader, "B micro").await,
        [("MES".to_owned(), 6.0)]
    );
    assert_eq!(
        positions(&app.router, &trader, "C inverted").await,
        [("ES".to_owned(), -1.0)]
    );
    let fills = ok(
        &app.router,
        &trader,
        "{ recentFills { symbol side quantity price signalId } }",
        json!({}),
    )
    .await;
    assert_eq!(fills["recentFills"].as_array().unwrap().len(), 3, "{fills}");
    assert!(
        fills["recentFills"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["signalId"] == signal)
    );

    // TradingView retries: the same alert again places nothing.
    let again = post_signal(&app.router, &token, entry_alert).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["status"], "duplicate");
    // The web app's test signal is logged, never copied.
    let webhook =
        ok(&app.router, &trader, "{ webhooks { id } }", json!({})).await["webhooks"][0]["id"]
            .clone();
    let test = ok(
        &app.router,
        &trader,
        "mutation($id: ID!) { sendTestSignal(id: $id) { status signalId } }",
        json!({ "id": webhook }),
    )
    .await;
    let tested = copies_of(&app.router, &trader, &test["sendTestSignal"]["signalId"], 0).await;
    assert!(
        tested["signal"]["outcome"]
            .as_str()
            .unwrap()
            .contains("not copied"),
        "{tested}"
    );
    // A malformed alert is logged as rejected, with no copies.
    let malformed = post_signal(&app.router, &token, r#"{"ticker":"ES1!","action":"hold"}"#).await;
    assert_eq!(malformed.status, 400);
    let rejected = malformed.json()["signalId"].clone();
    let logged = copies_of(&app.router, &trader, &rejected, 0).await;
    assert_eq!(logged["signal"]["status"], "REJECTED");
    assert_eq!(logged["signal"]["errorField"], "action");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        positions(&app.router, &trader, "A").await,
        [("ES".to_owned(), 2.0)]
    );
    let fills = ok(&app.router, &trader, "{ recentFills { id } }", json!({})).await;
    assert_eq!(fills["recentFills"].as_array().unwrap().len(), 3);

    // The exit closes every follower's own position, whatever its size and side.
    let exit = post_signal(
        &app.router,
        &token,
        r#"{"ticker":"ES1!","action":"exit","id":"exit-1"}"#,
    )
    .await;
    let exit = copies_of(&app.router, &trader, &exit.json()["signalId"], 3).await;
    assert_eq!(order_of(&exit, &a.account)["side"], "SELL");
    assert_eq!(order_of(&exit, &b.account)["quantity"].as_f64(), Some(6.0));
    assert_eq!(order_of(&exit, &c.account)["side"], "BUY");
    for label in ["A", "B micro", "C inverted"] {
        assert!(
            positions(&app.router, &trader, label).await.is_empty(),
            "{label} still holds"
        );
    }
    // Nothing left to close: the next exit skips, saying why.
    let exit = post_signal(
        &app.router,
        &token,
        r#"{"ticker":"ES1!","action":"exit","id":"exit-2"}"#,
    )
    .await;
    let exit = copies_of(&app.router, &trader, &exit.json()["signalId"], 3).await;
    let reason = order_of(&exit, &a.account)["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(order_of(&exit, &a.account)["status"], "SKIPPED");
    assert!(reason.contains("no open position"), "{reason}");

    // The log pages newest first and filters by account and status.
    let page = ok(
        &app.router,
        &trader,
        "query($f: TradeLogFilterInput) { tradeLog(first: 2, filter: $f) { edges { node { signal { id } orders { status } } } pageInfo { hasNextPage } } }",
        json!({ "f": { "tradingAccountId": b.account, "status": "FILLED" } }),
    )
    .await;
    let edges = page["tradeLog"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2, "{page}");
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["orders"].as_array().unwrap().len() == 1)
    );
    assert_eq!(page["tradeLog"]["pageInfo"]["hasNextPage"], false);
    let _ = c.connection;
}

async fn limits_pauses_and_the_kill_switch_are_obeyed_and_logged(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (trader, token, [a, b, c]) = three_followers(&app, "limits@example.com").await;
    let followers = ok(
        &app.router,
        &trader,
        "{ copyGroups { id followers { id tradingAccountId } } }",
        json!({}),
    )
    .await;
    let group = followers["copyGroups"][0]["id"].clone();
    let follower_of = |account: &Value| {
        followers["copyGroups"][0]["followers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["tradingAccountId"] == *account)
            .unwrap()["id"]
            .clone()
    };
    // A caps orders at 1; B trades only in an hour that is not now; C is paused.
    let now = chrono::Utc::now();
    let window = format!(
        "{}-{}",
        (now + chrono::Duration::hours(2)).format("%H:%M"),
        (now + chrono::Duration::hours(3)).format("%H:%M")
    );
    ok(
        &app.router,
        &trader,
        "mutation($i: UpdateFollowerInput!) { updateFollower(input: $i) { id } }",
        json!({ "i": { "id": follower_of(&a.account), "maxQuantity": 1 } }),
    )
    .await;
    ok(
        &app.router,
        &trader,
        "mutation($i: UpdateFollowerInput!) { updateFollower(input: $i) { tradingHours } }",
        json!({ "i": { "id": follower_of(&b.account), "tradingHours": window } }),
    )
    .await;
    ok(
        &app.router,
        &trader,
        "mutation($id: ID!) { setFollowerEnabled(id: $id, enabled: false) { enabled } }",
        json!({ "id": follower_of(&c.account) }),
    )
    .await;
    let bad = app
        .gql_with(
            "mutation($i: UpdateFollowerInput!) { updateFollower(input: $i) { id } }",
            json!({ "i": { "id": follower_of(&a.account), "tradingHours": "9-5" } }),
            &trader,
        )
        .await
        .json();
    assert_eq!(
        bad["errors"][0]["extensions"]["field"], "tradingHours",
        "{bad}"
    );

    let sent = post_signal(
        &app.router,
        &token,
        r#"{"ticker":"ES1!","action":"buy","quantity":3}"#,
    )
    .await;
    let entry = copies_of(&app.router, &trader, &sent.json()["signalId"], 3).await;
    assert_eq!(order_of(&entry, &a.account)["quantity"].as_f64(), Some(1.0));
    assert_eq!(order_of(&entry, &a.account)["status"], "FILLED");
    let skipped_b = order_of(&entry, &b.account);
    assert_eq!(skipped_b["status"], "SKIPPED");
    assert!(
        skipped_b["reason"]
            .as_str()
            .unwrap()
            .contains("trading hours"),
        "{skipped_b}"
    );
    assert_eq!(
        order_of(&entry, &c.account)["reason"],
        "the follower is paused"
    );

    // The kill switch pauses the group and closes what the followers hold.
    let killed = ok(&app.router, &trader, "mutation { killSwitch(flatten: true) { groupsPaused accountsFlattened failures { error } } }", json!({})).await;
    assert_eq!(killed["killSwitch"]["groupsPaused"], 1, "{killed}");
    assert_eq!(
        killed["killSwitch"]["accountsFlattened"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(positions(&app.router, &trader, "A").await.is_empty());
    let sent = post_signal(
        &app.router,
        &token,
        r#"{"ticker":"ES1!","action":"buy","quantity":1}"#,
    )
    .await;
    let entry = copies_of(&app.router, &trader, &sent.json()["signalId"], 3).await;
    assert!(
        entry["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["reason"] == "the copy group is paused"),
        "{entry}"
    );
    let enabled = ok(
        &app.router,
        &trader,
        "mutation($id: ID!) { setCopyGroupEnabled(id: $id, enabled: true) { enabled } }",
        json!({ "id": group }),
    )
    .await;
    assert_eq!(enabled["setCopyGroupEnabled"]["enabled"], true);

    // Another trader's ids are unknown here.
    let other = app.register_trader("other@example.com").await;
    let stolen = app
        .gql_with(
            "mutation($input: AddFollowerInput!) { addFollower(input: $input) { id } }",
            json!({ "input": { "copyGroupId": group, "tradingAccountId": a.account } }),
            &other,
        )
        .await
        .json();
    assert_eq!(
        stolen["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{stolen}"
    );
    let log = ok(
        &app.router,
        &other,
        "{ tradeLog { edges { cursor } } copyGroups { id } recentFills { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        log,
        json!({ "tradeLog": { "edges": [] }, "copyGroups": [], "recentFills": [] })
    );
}

async fn a_leader_accounts_own_trades_are_mirrored_without_loops(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("mirror@example.com").await;
    let leader = paper(&app, &trader, "Leader").await;
    let follower = paper(&app, &trader, "Follower").await;
    let first = group(
        &app,
        &trader,
        json!({ "name": "Mirror", "leaderAccountId": leader.account }),
    )
    .await;
    follow(
        &app,
        &trader,
        json!({ "copyGroupId": first, "tradingAccountId": follower.account, "multiplier": 2 }),
    )
    .await;
    // The follower leads a group the leader follows: copies must not bounce back.
    let back = group(
        &app,
        &trader,
        json!({ "name": "Back", "leaderAccountId": follower.account }),
    )
    .await;
    follow(
        &app,
        &trader,
        json!({ "copyGroupId": back, "tradingAccountId": leader.account }),
    )
    .await;

    // The trader trades on the leader account by hand.
    let login = app.app.state.brokers.paper.login(&leader.connection);
    let external = PaperExchange::account_id(&leader.connection);
    let manual = OrderRequest {
        client_order_id: "manual-1".into(),
        symbol: "NQ".into(),
        side: Side::Buy,
        order_type: OrderType::Market,
        quantity: 1.0,
        limit_price: None,
        stop_price: None,
        take_profit: None,
        stop_loss: None,
        reference_price: Some(21_000.0),
    };
    login.place_order(&external, &manual).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while positions(&app.router, &trader, "Follower").await != [("NQ".to_owned(), 2.0)] {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the leader's trade was not mirrored"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        positions(&app.router, &trader, "Leader").await,
        [("NQ".to_owned(), 1.0)],
        "a copy bounced back"
    );
    let log = ok(
        &app.router,
        &trader,
        "{ tradeLog { edges { node { signal { rawPayload } orders { status } } } } }",
        json!({}),
    )
    .await;
    let edges = log["tradeLog"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "{log}");
    assert!(
        edges[0]["node"]["signal"]["rawPayload"]
            .as_str()
            .unwrap()
            .contains("leaderAccountId")
    );
}

/// Inserts an accepted signal as the intake stores it, so a test controls what happens next.
async fn stored_signal(app: &TestApp, user: Id, webhook: Id, body: &str) -> Id {
    let id = Id::new();
    let db = &app.app.state.db;
    let now = Ts::new(chrono::Utc::now());
    let parsed =
        serde_json::to_string(&copytrade::signals::parse::parse(body.as_bytes()).unwrap()).unwrap();
    let inserted: Result<usize, copytrade::db::DbError> = async {
        copytrade::with_conn!(db, write, |c| {
            Ok(diesel::insert_into(signals::table)
                .values((
                    signals::id.eq(id),
                    signals::user_id.eq(user),
                    signals::webhook_id.eq(Some(webhook)),
                    signals::received_at.eq(now),
                    signals::status.eq("ACCEPTED"),
                    signals::body_hash.eq("test"),
                    signals::raw_payload.eq(body),
                    signals::parsed.eq(Some(parsed.clone())),
                ))
                .execute(c)
                .await?)
        })
    }
    .await;
    inserted.unwrap();
    id
}

async fn a_restart_between_storing_and_sending_places_exactly_one_order_per_follower(
    backend: Backend,
) {
    let app = TestApp::new(backend).await;
    let (trader, token, [a, b, c]) = three_followers(&app, "restart@example.com").await;
    // A buy limit far below the market works at A and B (inverted, C's sell fills at once).
    let limit = post_signal(
        &app.router,
        &token,
        r#"{"ticker":"ES1!","action":"buy","orderType":"limit","limitPrice":"1000","quantity":1}"#,
    )
    .await;
    let limit = limit.json()["signalId"].clone();
    let working = copies_of(&app.router, &trader, &limit, 3).await;
    assert_eq!(
        order_of(&working, &a.account)["status"],
        "WORKING",
        "{working}"
    );
    assert_eq!(
        order_of(&working, &b.account)["status"],
        "WORKING",
        "{working}"
    );
    assert_eq!(
        order_of(&working, &c.account)["status"],
        "FILLED",
        "{working}"
    );
    let me = ok(
        &app.router,
        &trader,
        "{ me { id } webhooks { id } }",
        json!({}),
    )
    .await;
    let user: Id = me["me"]["id"].as_str().unwrap().parse().unwrap();
    let webhook: Id = me["webhooks"][0]["id"].as_str().unwrap().parse().unwrap();
    let signal = stored_signal(
        &app,
        user,
        webhook,
        r#"{"ticker":"ES1!","action":"buy","quantity":1,"price":6000}"#,
    )
    .await;
    // The copies are stored...
    assert!(app.app.state.copier.prepare(signal).await.unwrap());
    let signal_json = json!(signal.to_string());
    let pending = ok(
        &app.router,
        &trader,
        crate::support::trading::TRADE_LOG,
        json!({ "first": 5 }),
    )
    .await;
    let orders = pending["tradeLog"]["edges"][0]["node"]["orders"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        orders.iter().all(|o| o["status"] == "PENDING"),
        "{orders:?}"
    );
    // ...and A's even reached the broker, but the answer was never recorded.
    let a_copy = orders
        .iter()
        .find(|o| o["tradingAccountId"] == a.account)
        .unwrap()
        .clone();
    let db = &app.app.state.db;
    let a_id: Id = a_copy["id"].as_str().unwrap().parse().unwrap();
    let marked: Result<usize, copytrade::db::DbError> = async {
        copytrade::with_conn!(db, write, |c| {
            Ok(diesel::update(copied_orders::table)
                .filter(copied_orders::id.eq(a_id))
                .set((
                    copied_orders::status.eq("SENDING"),
                    copied_orders::sent_at.eq(Some(Ts::new(chrono::Utc::now()))),
                ))
                .execute(c)
                .await?)
        })
    }
    .await;
    marked.unwrap();
    let login = app.app.state.brokers.paper.login(&a.connection);
    let external = PaperExchange::account_id(&a.connection);
    let order = OrderRequest {
        client_order_id: a_copy["clientOrderId"].as_str().unwrap().to_owned(),
        symbol: "ES".into(),
        side: Side::Buy,
        order_type: OrderType::Market,
        quantity: 1.0,
        limit_price: None,
        stop_price: None,
        take_profit: None,
        stop_loss: None,
        reference_price: Some(6000.0),
    };
    let at_broker = login.place_order(&external, &order).await.unwrap();
    assert!(positions(&app.router, &trader, "B micro").await.is_empty());

    // The server dies here and comes back; its resumer finishes the job.
    let app = app.restart().await;
    // While it was down, A's working limit order was cancelled at the broker.
    let a_limit = order_of(&working, &a.account)["brokerOrderId"]
        .as_str()
        .unwrap()
        .to_owned();
    app.app
        .state
        .brokers
        .paper
        .login(&a.connection)
        .cancel_order(&PaperExchange::account_id(&a.connection), &a_limit)
        .await
        .unwrap();
    assert_eq!(app.app.state.copier.follow_working().await.unwrap(), 1);
    let followed = copies_of(&app.router, &trader, &limit, 3).await;
    assert_eq!(
        order_of(&followed, &a.account)["status"],
        "CANCELLED",
        "{followed}"
    );
    assert_eq!(order_of(&followed, &b.account)["status"], "WORKING");
    app.clock.advance(chrono::Duration::seconds(31));
    assert!(app.app.state.copier.resume().await.unwrap() > 0);
    let entry = copies_of(&app.router, &trader, &signal_json, 3).await;
    assert!(
        entry["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "FILLED"),
        "{entry}"
    );
    assert_eq!(
        order_of(&entry, &a.account)["brokerOrderId"],
        json!(at_broker.order_id)
    );
    assert_eq!(
        positions(&app.router, &trader, "A").await,
        [("ES".to_owned(), 1.0)]
    );
    assert_eq!(
        positions(&app.router, &trader, "B micro").await,
        [("MES".to_owned(), 3.0)]
    );
    // C sold one on the limit signal and one now.
    assert_eq!(
        positions(&app.router, &trader, "C inverted").await,
        [("ES".to_owned(), -2.0)]
    );
    // Resuming again (another restart, another instance) changes nothing.
    app.app.state.copier.resume().await.unwrap();
    assert_eq!(
        positions(&app.router, &trader, "A").await,
        [("ES".to_owned(), 1.0)]
    );
    assert_eq!(
        positions(&app.router, &trader, "B micro").await,
        [("MES".to_owned(), 3.0)]
    );
    let _ = (b, c);
}

async fn a_trader_receives_their_own_fills_live_and_nobody_elses(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut setups = Vec::new();
    for email in ["alice@example.com", "bob@example.com"] {
        let trader = app.register_trader(email).await;
        let (webhook, _, token) = create_webhook(&app, &trader, "hook").await;
        let account = paper(&app, &trader, "P").await;
        let id = group(&app, &trader, json!({ "name": "g", "webhookId": webhook })).await;
        follow(
            &app,
            &trader,
            json!({ "copyGroupId": id, "tradingAccountId": account.account }),
        )
        .await;
        setups.push((trader, token, account));
    }
    let server = app.serve().await;
    let (alice, alice_token, alice_account) = &setups[0];
    let (bob, bob_token, bob_account) = &setups[1];
    let mut alice_feed = subscribe_to_fills(server.addr, alice).await;
    let mut bob_feed = subscribe_to_fills(server.addr, bob).await;

    let sent = post_signal(
        &server.router,
        alice_token,
        r#"{"ticker":"ES1!","action":"buy","quantity":1}"#,
    )
    .await;
    assert_eq!(sent.status, 202);
    let fill = next_message(&mut alice_feed)
        .await
        .expect("alice's fill arrives");
    assert_eq!(
        fill["payload"]["data"]["tradeFills"]["tradingAccountId"], alice_account.account,
        "{fill}"
    );
    assert_eq!(
        fill["payload"]["data"]["tradeFills"]["signalId"],
        sent.json()["signalId"]
    );
    // Bob hears nothing of it...
    assert_eq!(
        next_within(&mut bob_feed, Duration::from_millis(500)).await,
        None
    );
    // ...only of his own.
    post_signal(
        &server.router,
        bob_token,
        r#"{"ticker":"NQ1!","action":"sell","quantity":1}"#,
    )
    .await;
    let fill = next_message(&mut bob_feed)
        .await
        .expect("bob's fill arrives");
    assert_eq!(
        fill["payload"]["data"]["tradeFills"]["tradingAccountId"], bob_account.account,
        "{fill}"
    );
    assert_eq!(fill["payload"]["data"]["tradeFills"]["symbol"], "NQ");
    assert_eq!(
        next_within(&mut alice_feed, Duration::from_millis(500)).await,
        None
    );
    let _ = bob;
}

async fn the_daily_loss_limit_stops_new_positions_but_not_exits(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("loss@example.com").await;
    let (webhook, _, token) = create_webhook(&app, &trader, "ES").await;
    let account = paper(&app, &trader, "Careful").await;
    let group = group(&app, &trader, json!({ "name": "g", "webhookId": webhook })).await;
    follow(
        &app,
        &trader,
        json!({ "copyGroupId": group, "tradingAccountId": account.account, "dailyLossLimit": 300 }),
    )
    .await;
    let send = |body: &'static str| {
        let router = app.router.clone();
        let token = token.clone();
        let trader = trader.clone();
        async move {
            let sent = post_signal(&router, &token, body).await;
            assert_eq!(sent.status, 202, "{}", sent.text());
            let entry = copies_of(&router, &trader, &sent.json()["signalId"], 1).await;
            entry["orders"][0].clone()
        }
    };
    // Long two ES at 6000, one out at 5990: 10 points at $50 lost $500 today.
    let entry =
        send(r#"{"ticker":"ES1!","action":"buy","quantity":2,"price":6000,"id":"1"}"#).await;
    assert_eq!(entry["status"], "FILLED", "{entry}");
    let out = send(r#"{"ticker":"ES1!","action":"sell","quantity":1,"price":5990,"id":"2"}"#).await;
    assert_eq!(out["status"], "FILLED", "{out}");
    // No new position past the limit...
    let skipped =
        send(r#"{"ticker":"ES1!","action":"buy","quantity":1,"price":5990,"id":"3"}"#).await;
    assert_eq!(skipped["status"], "SKIPPED", "{skipped}");
    assert!(
        skipped["reason"]
            .as_str()
            .unwrap()
            .contains("daily loss limit"),
        "{skipped}"
    );
    // ...but the way out stays open.
    let exit = send(r#"{"ticker":"ES1!","action":"exit","id":"4"}"#).await;
    assert_eq!(exit["status"], "FILLED", "{exit}");
    assert!(positions(&app.router, &trader, "Careful").await.is_empty());
}

/// A follower whose stored settings cannot be read is stopped with the reason, never copied
/// with defaults: with its symbol map unreadable it would trade ES where MES was meant, ten
/// times the size.
async fn a_follower_whose_settings_cannot_be_read_places_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (trader, token, [a, b, c]) = three_followers(&app, "unreadable@example.com").await;
    let b_account: Id = b.account.as_str().unwrap().parse().unwrap();
    let db = &app.app.state.db;
    let broken: Result<usize, copytrade::db::DbError> = async {
        copytrade::with_conn!(db, write, |conn| {
            Ok(diesel::update(followers::table)
                .filter(followers::trading_account_id.eq(b_account))
                .set(followers::symbol_map.eq("[{\"from\": \"ES\""))
                .execute(conn)
                .await?)
        })
    }
    .await;
    assert_eq!(broken.unwrap(), 1);

    let alert =
        r#"{"ticker":"ES1!","action":"buy","quantity":"2","price":"6000","id":"broken-map"}"#;
    let accepted = post_signal(&app.router, &token, alert).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    let entry = copies_of(&app.router, &trader, &accepted.json()["signalId"], 3).await;
    let copy = order_of(&entry, &b.account);
    assert_eq!(copy["status"], "ERROR", "{copy}");
    let reason = copy["reason"].as_str().unwrap();
    assert!(reason.contains("symbol map cannot be read"), "{reason}");
    assert!(reason.contains("nothing was placed"), "{reason}");
    assert!(copy["symbol"].is_null(), "no order was planned: {copy}");
    assert_eq!(positions(&app.router, &trader, "B micro").await, []);
    // The others trade as usual.
    assert_eq!(order_of(&entry, &a.account)["status"], "FILLED");
    assert_eq!(order_of(&entry, &c.account)["status"], "FILLED");
    assert_eq!(
        entry["signal"]["outcome"], "3 follower(s): 2 filled, 1 error",
        "{entry}"
    );
    // Showing the follower says what is wrong instead of showing made-up settings.
    let shown = app
        .gql_with(
            "{ copyGroups { followers { id symbolMap { from to } } } }",
            json!({}),
            &trader,
        )
        .await
        .json();
    assert_eq!(
        shown["errors"][0]["extensions"]["code"], "SETTINGS_UNREADABLE",
        "{shown}"
    );
    assert!(
        shown["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("symbol map cannot be read"),
        "{shown}"
    );
}

on_both_databases!(
    a_follower_whose_settings_cannot_be_read_places_nothing,
    one_signal_trades_every_follower_once_sized_and_mapped,
    the_daily_loss_limit_stops_new_positions_but_not_exits,
    limits_pauses_and_the_kill_switch_are_obeyed_and_logged,
    a_leader_accounts_own_trades_are_mirrored_without_loops,
    a_restart_between_storing_and_sending_places_exactly_one_order_per_follower,
    a_trader_receives_their_own_fills_live_and_nobody_elses,
);
