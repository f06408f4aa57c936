//! Balances and positions as a trader's client asks for them, against TopstepX at brokersim:
//! a client looping the query reaches the venue once per cache window, readers arriving
//! together share one venue call, a failure is never kept, an order or new credentials show at
//! once, and a user who floods reads is refused (`RATE_LIMITED`) while others are served.

use copytrade::brokers::Side;
use copytrade::connections::{CACHE_SECONDS, READ_BURST};
use futures_util::future::join_all;
use serde_json::{Value, json};

use super::{error_code, first_adapter, market};
use crate::support::brokersim::BrokerSim;
use crate::support::trading::ok;
use crate::support::{Backend, Caller, TestApp, on_both_databases};

const BALANCES: &str =
    "{ brokerConnections { id accounts { balance readAt positions { symbol quantity } } } }";

/// A TopstepX login at the simulator with one $50,000 account; answers the credentials.
async fn topstep_login(sim: &BrokerSim, name: &str) -> Value {
    let key = format!("{name}-api-key");
    sim.post(
        "/projectx/users",
        json!({ "userName": name, "apiKey": key,
                "accounts": [{ "name": format!("{name}-50K"), "balance": 50_000.0 }] }),
    )
    .await;
    json!({ "username": name, "apiKey": key })
}

/// Links a TopstepX login, asking for no balance; answers the connection's id.
async fn link_topstep(app: &TestApp, trader: &Caller, credentials: Value) -> Value {
    let linked = ok(
        &app.router,
        trader,
        "mutation($input: LinkBrokerAccountInput!) { linkBrokerAccount(input: $input) { id status } }",
        json!({ "input": { "broker": "TOPSTEPX", "environment": "DEMO", "label": "TopstepX",
                           "credentials": credentials } }),
    )
    .await;
    assert_eq!(
        linked["linkBrokerAccount"]["status"], "CONNECTED",
        "{linked}"
    );
    linked["linkBrokerAccount"]["id"].clone()
}

/// How many times the venue was asked for positions (once per balance read of an account).
async fn position_reads(sim: &BrokerSim) -> usize {
    sim.requests("projectx", "/api/Position/searchOpen")
        .await
        .len()
}

/// How many times the venue listed accounts (every connection check does).
async fn account_searches(sim: &BrokerSim) -> usize {
    sim.requests("projectx", "/api/Account/search").await.len()
}

/// The first account of the trader's first connection, as the balance query answers it.
async fn first_account(app: &TestApp, trader: &Caller) -> Value {
    let data = ok(&app.router, trader, BALANCES, json!({})).await;
    data["brokerConnections"][0]["accounts"][0].clone()
}

async fn repeated_balance_reads_reach_the_venue_once_per_cache_window(backend: Backend) {
    let sim = BrokerSim::start().await;
    let credentials = topstep_login(&sim, "looper").await;
    let app = TestApp::with_env(backend, &sim.env()).await;
    let trader = app.register_trader("looper@example.com").await;
    let id = link_topstep(&app, &trader, credentials.clone()).await;
    assert_eq!(position_reads(&sim).await, 0, "linking reads no balances");

    // "Test connection" right after linking: the link's own check stands.
    let searches = account_searches(&sim).await;
    let test = "mutation($id: ID!) { testBrokerConnection(id: $id) { status lastCheckedAt } }";
    let linked = ok(&app.router, &trader, test, json!({ "id": id })).await;
    assert_eq!(linked["testBrokerConnection"]["status"], "CONNECTED");
    assert_eq!(account_searches(&sim).await, searches);

    // A client looping the query, and one asking twice in one operation.
    let account = first_account(&app, &trader).await;
    assert_eq!(account["balance"], 50_000.0, "{account}");
    assert!(account["readAt"].is_string(), "{account}");
    for _ in 0..5 {
        assert_eq!(first_account(&app, &trader).await, account);
    }
    let twice = ok(
        &app.router,
        &trader,
        "{ a: brokerConnections { accounts { balance } } b: brokerConnections { accounts { balance } } }",
        json!({}),
    )
    .await;
    assert_eq!(twice["b"][0]["accounts"][0]["balance"], 50_000.0, "{twice}");
    assert_eq!(position_reads(&sim).await, 1);

    // Once the window has passed, readers arriving together share one venue call, and so do
    // testers.
    app.clock.advance(chrono::Duration::seconds(CACHE_SECONDS));
    let together = join_all((0..4).map(|_| first_account(&app, &trader))).await;
    assert!(
        together.iter().all(|a| a["balance"] == 50_000.0),
        "{together:?}"
    );
    assert_ne!(together[0]["readAt"], account["readAt"]);
    assert_eq!(position_reads(&sim).await, 2);
    let tests = join_all((0..3).map(|_| ok(&app.router, &trader, test, json!({ "id": id })))).await;
    let checked: Vec<&Value> = tests.iter().map(|t| &t["testBrokerConnection"]).collect();
    assert_eq!(checked[0]["status"], "CONNECTED");
    assert_ne!(
        checked[0]["lastCheckedAt"],
        linked["testBrokerConnection"]["lastCheckedAt"]
    );
    assert!(
        checked.iter().all(|c| *c == checked[0]),
        "one check, three answers: {checked:?}"
    );

    // A failed read says so and is not kept: the next one asks again.
    app.clock.advance(chrono::Duration::seconds(CACHE_SECONDS));
    sim.post(
        "/projectx/faults",
        json!({ "path": "/api/Position/searchOpen", "kind": "status", "status": 503 }),
    )
    .await;
    assert_eq!(first_account(&app, &trader).await["balance"], Value::Null);
    assert_eq!(first_account(&app, &trader).await["balance"], 50_000.0);
    assert_eq!(position_reads(&sim).await, 4);

    // An order through the connection (as the copier sends it) shows at once.
    let (adapter, external) = first_adapter(&app, "looper@example.com").await;
    adapter
        .place_order(&external, &market("loop-1", Side::Buy, 1.0, 6000.0))
        .await
        .unwrap();
    // (Placing it read the venue's positions itself.)
    let reads = position_reads(&sim).await;
    let traded = first_account(&app, &trader).await;
    assert_eq!(traded["positions"][0]["quantity"], 1.0, "{traded}");
    assert_eq!(position_reads(&sim).await, reads + 1);

    // New credentials: nothing read with the old ones is shown.
    let rekeyed = ok(
        &app.router,
        &trader,
        "mutation($id: ID!, $c: BrokerCredentialsInput!) { updateBrokerCredentials(id: $id, credentials: $c) { status } }",
        json!({ "id": id, "c": credentials }),
    )
    .await;
    assert_eq!(rekeyed["updateBrokerCredentials"]["status"], "CONNECTED");
    assert_eq!(
        first_account(&app, &trader).await["positions"][0]["quantity"],
        1.0
    );
    assert_eq!(position_reads(&sim).await, reads + 2);
}

async fn a_user_flooding_broker_reads_is_rate_limited_and_other_users_are_not(backend: Backend) {
    let sim = BrokerSim::start().await;
    let app = TestApp::with_env(backend, &sim.env()).await;
    let flooder = app.register_trader("flooder@example.com").await;
    let neighbour = app.register_trader("neighbour@example.com").await;
    // One connection more than the burst: one look at every balance is one venue read too many.
    let many = READ_BURST as usize + 1;
    for n in 0..many {
        let credentials = topstep_login(&sim, &format!("flood-{n}")).await;
        link_topstep(&app, &flooder, credentials).await;
    }
    let credentials = topstep_login(&sim, "neighbour").await;
    link_topstep(&app, &neighbour, credentials).await;

    let refused = app.gql_with(BALANCES, json!({}), &flooder).await.json();
    assert_eq!(error_code(&refused), "RATE_LIMITED", "{refused}");
    let retry = refused["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_i64()
        .unwrap_or_else(|| panic!("no retryAfterSeconds in {refused}"));
    assert!((1..=2).contains(&retry), "{refused}");
    assert!(position_reads(&sim).await <= READ_BURST as usize);

    // Another trader is served at once.
    let theirs = first_account(&app, &neighbour).await;
    assert_eq!(theirs["balance"], 50_000.0, "{theirs}");
    // The copier reads the flooder's accounts through the adapter, never throttled.
    let (adapter, external) = first_adapter(&app, "flooder@example.com").await;
    let snapshot = adapter.snapshot(&external).await.unwrap();
    assert_eq!(snapshot.balance, Some(50_000.0));

    // After the wait it was told, the flooder sees every balance: the reads it paid for were
    // kept, so only the one refused goes to the venue.
    app.clock.advance(chrono::Duration::seconds(retry));
    let all = ok(&app.router, &flooder, BALANCES, json!({})).await;
    let balances: Vec<&Value> = all["brokerConnections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["accounts"][0]["balance"])
        .collect();
    assert_eq!(balances.len(), many);
    assert!(balances.iter().all(|b| **b == 50_000.0), "{all}");
    // The flooder's reads, the neighbour's one, and the copier's.
    assert_eq!(position_reads(&sim).await, many + 2);
}

on_both_databases!(
    repeated_balance_reads_reach_the_venue_once_per_cache_window,
    a_user_flooding_broker_reads_is_rate_limited_and_other_users_are_not,
);
