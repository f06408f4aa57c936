//! Linking broker accounts, as a trader does it through the API: the paper broker end to end,
//! credentials that never leak (SEC-3), one trader never touching another's connection
//! (SEC-12), master-key rotation while the server keeps reading (SEC-2), and balance reads
//! that a looping or flooding client cannot turn into a storm at the venue.

mod reads;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use copytrade::brokers::{BrokerAdapter, Exit, OrderRequest, OrderStatus, OrderType, Side};
use copytrade::config::MasterKeys;
use copytrade::db::schema::users;
use copytrade::db::types::Id;
use copytrade::db::{Db, DbError};
use copytrade::vault::{Vault, associated_data, fingerprint, rotation};
use diesel::{ExpressionMethods, QueryDsl};
use serde_json::{Value, json};

use crate::support::brokersim::BrokerSim;
use crate::support::sim_bybit::SimBybit;
use crate::support::trading::{LINK, link_paper};
use crate::support::{Backend, Caller, TestApp, on_both_databases};

const LIST: &str = "{ brokerConnections { id label status credentialHint rotationDue
    accounts { name balance positions { symbol quantity averagePrice } } } }";

fn error_code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

fn market(client_order_id: &str, side: Side, quantity: f64, price: f64) -> OrderRequest {
    OrderRequest {
        client_order_id: client_order_id.to_owned(),
        symbol: "ES".into(),
        side,
        order_type: OrderType::Market,
        quantity,
        limit_price: None,
        stop_price: None,
        take_profit: None,
        stop_loss: None,
        reference_price: Some(price),
    }
}

/// The adapter the copier would use for the trader's first connection.
async fn first_adapter(app: &TestApp, email: &str) -> (Arc<dyn BrokerAdapter>, String) {
    let connections = &app.app.state.connections;
    let user = copytrade::auth::User {
        id: user_id(app, email).await,
        email: email.to_owned(),
        created_at: chrono::Utc::now(),
        token_version: 0,
        totp_enabled: false,
        email_verified: false,
    };
    let connection = connections.list(&user).await.unwrap().remove(0);
    let adapter = connections.adapter(&connection).await.unwrap();
    let account = adapter.accounts().await.unwrap().remove(0).external_id;
    (adapter, account)
}

async fn user_id(app: &TestApp, email: &str) -> Id {
    use diesel_async::RunQueryDsl;
    let db = &app.app.state.db;
    let query = async {
        copytrade::with_conn!(db, read, |c| {
            Ok::<_, DbError>(
                users::table
                    .filter(users::email.eq(email))
                    .select(users::id)
                    .first::<Id>(c)
                    .await?,
            )
        })
    };
    query.await.unwrap()
}

/// Every user's sealed pending two-factor seed.
async fn pending_seeds(db: &Db) -> Vec<(Id, Vec<u8>)> {
    use diesel_async::RunQueryDsl;
    let query = async {
        copytrade::with_conn!(db, read, |c| {
            Ok::<_, DbError>(
                users::table
                    .select((users::id, users::totp_pending_secret))
                    .load::<(Id, Option<Vec<u8>>)>(c)
                    .await?,
            )
        })
    };
    query
        .await
        .unwrap()
        .into_iter()
        .filter_map(|(id, blob)| Some((id, blob?)))
        .collect()
}

async fn a_paper_account_links_with_its_balance_and_its_orders_fill_and_move_positions(
    backend: Backend,
) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("paper@example.com").await;

    let linked = link_paper(&app, &trader, "  Practice  ", 25_000.0).await;
    assert_eq!(linked["label"], "Practice");
    assert_eq!(linked["broker"], "PAPER");
    assert_eq!(linked["status"], "CONNECTED");
    assert_eq!(linked["rotationDue"], false);
    assert_eq!(linked["canWithdraw"], false);
    assert_eq!(linked["accounts"][0]["balance"], 25_000.0);
    assert_eq!(linked["accounts"][0]["positions"], json!([]));

    // The copier's side: orders through the broker trait.
    let (paper, account) = first_adapter(&app, "paper@example.com").await;
    let bought = paper
        .place_order(&account, &market("sig-1:f-1", Side::Buy, 2.0, 6000.0))
        .await
        .unwrap();
    assert_eq!(bought.status, OrderStatus::Filled);
    assert_eq!(bought.average_price, Some(6000.0));
    // A retried placement with the same client order id finds the first order.
    let retried = paper
        .place_order(&account, &market("sig-1:f-1", Side::Buy, 2.0, 6000.0))
        .await
        .unwrap();
    assert_eq!(retried.order_id, bought.order_id);
    let sold = paper
        .place_order(&account, &market("sig-2:f-1", Side::Sell, 1.0, 6010.0))
        .await
        .unwrap();
    assert_eq!(sold.status, OrderStatus::Filled);

    // One ES contract closed 10 points up at $50 a point: +$500.
    let listed = app.gql_with(LIST, json!({}), &trader).await.json();
    let account_view = &listed["data"]["brokerConnections"][0]["accounts"][0];
    assert_eq!(account_view["balance"], 25_500.0);
    assert_eq!(
        account_view["positions"],
        json!([{ "symbol": "ES", "quantity": 1.0, "averagePrice": 6000.0 }])
    );

    // A limit far below the market keeps working; flattening cancels it and closes the rest.
    let mut resting = market("sig-3:f-1", Side::Buy, 1.0, 6000.0);
    resting.order_type = OrderType::Limit;
    resting.limit_price = Some(100.0);
    let working = paper.place_order(&account, &resting).await.unwrap();
    assert_eq!(working.status, OrderStatus::Working);
    app.app
        .state
        .brokers
        .paper
        .match_working_orders()
        .await
        .unwrap();
    assert_eq!(paper.open_orders(&account).await.unwrap().len(), 1);
    let mut bad = market("sig-4:f-1", Side::Buy, 1.0, 6000.0);
    bad.order_type = OrderType::StopLimit;
    bad.stop_price = Some(7000.0);
    let refused = paper.place_order(&account, &bad).await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        "the broker rejected the order: a STOP_LIMIT order needs a limit price"
    );
    paper.flatten(&account, None).await.unwrap();
    assert!(paper.open_orders(&account).await.unwrap().is_empty());
    let snapshot = paper.snapshot(&account).await.unwrap();
    assert!(snapshot.positions.is_empty(), "{snapshot:?}");
}

async fn bracket_legs_follow_the_entry_and_one_cancels_the_other(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("bracket@example.com").await;
    link_paper(&app, &trader, "Brackets", 100_000.0).await;
    let (paper, account) = first_adapter(&app, "bracket@example.com").await;
    let mut events = paper.events();

    let mut entry = market("sig-9:f-1", Side::Buy, 1.0, 6000.0);
    // The take-profit is already crossed by the simulated market (ES trades near 6000), the
    // stop-loss far away: the matcher fills the first and cancels the second.
    entry.take_profit = Some(Exit::Price(10.0));
    entry.stop_loss = Some(Exit::Price(1.0));
    let filled = paper.place_order(&account, &entry).await.unwrap();
    assert_eq!(filled.status, OrderStatus::Filled);
    let legs = paper.open_orders(&account).await.unwrap();
    let mut names: Vec<_> = legs
        .iter()
        .map(|o| (o.client_order_id.as_str(), o.order_type))
        .collect();
    names.sort_by_key(|(id, _)| *id);
    assert_eq!(
        names,
        [
            ("sig-9:f-1:sl", OrderType::Stop),
            ("sig-9:f-1:tp", OrderType::Limit)
        ]
    );

    assert_eq!(
        app.app
            .state
            .brokers
            .paper
            .match_working_orders()
            .await
            .unwrap(),
        1
    );
    assert!(paper.open_orders(&account).await.unwrap().is_empty());
    let sl = paper
        .find_order(&account, "sig-9:f-1:sl")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sl.status, OrderStatus::Cancelled);
    assert!(paper.snapshot(&account).await.unwrap().positions.is_empty());

    // Every step went out on the order-update stream, fills included.
    let mut fills = 0;
    while let Ok(event) = events.try_recv() {
        if matches!(event, copytrade::brokers::BrokerEvent::Fill(_)) {
            fills += 1;
        }
    }
    assert_eq!(fills, 2);
}

async fn a_canary_secret_never_shows_up_in_answers_the_database_or_the_log(backend: Backend) {
    const CANARY: &str = "CANARY-sk-5f0c1d2e3a4b";
    // The futures venues take the canary as a password, an app secret and an API key; the
    // simulated venues accept it, so the links succeed and every path a secret takes is used.
    let sim = BrokerSim::start().await;
    sim.post(
        "/tradovate/users",
        json!({ "name": "canary-tv", "password": CANARY, "cid": 77, "sec": format!("{CANARY}-sec"),
                "appId": "CopyTrade", "accounts": [{ "name": "DEMO-CANARY" }, { "name": "APEX-7-01" }] }),
    )
    .await;
    sim.post(
        "/projectx/users",
        json!({ "userName": "canary-px", "apiKey": format!("{CANARY}-key"), "accounts": [{ "name": "PX-CANARY" }] }),
    )
    .await;
    let app = TestApp::with_env(backend, &sim.env()).await;
    let trader = app.register_trader("canary@example.com").await;
    let tradovate = json!({ "username": "canary-tv", "password": CANARY, "appId": "CopyTrade",
                            "cid": "77", "sec": format!("{CANARY}-sec") });
    let mut wrong_password = tradovate.clone();
    wrong_password["password"] = json!(format!("{CANARY}-wrong"));
    let mut answers = Vec::new();
    for (broker, credentials) in [
        (
            "BINANCE_USDM",
            json!({ "apiKey": "AKEY-canary-0000-9f2a", "apiSecret": CANARY }),
        ),
        (
            "OKX",
            json!({ "apiKey": "AKEY-canary-0000-9f2a", "apiSecret": CANARY }),
        ),
        ("TRADOVATE", wrong_password),
        ("PAPER", json!({ "apiSecret": CANARY })),
        ("TRADOVATE", tradovate.clone()),
        ("APEX", tradovate),
        (
            "TOPSTEPX",
            json!({ "username": "canary-px", "apiKey": format!("{CANARY}-wrong-key") }),
        ),
        (
            "TOPSTEPX",
            json!({ "username": "canary-px", "apiKey": format!("{CANARY}-key") }),
        ),
    ] {
        let answer = app
            .gql_with(
                LINK,
                json!({ "input": { "broker": broker, "environment": "LIVE", "label": "canary", "credentials": credentials } }),
                &trader,
            )
            .await
            .text();
        answers.push(answer);
    }
    assert!(answers[0].contains("BROKER_UNSUPPORTED"), "{}", answers[0]);
    assert!(
        answers[1].contains("OKX needs passphrase"),
        "{}",
        answers[1]
    );
    assert!(
        answers[2].contains("BROKER_BAD_CREDENTIALS"),
        "{}",
        answers[2]
    );
    assert!(
        answers[3].contains("does not take apiSecret"),
        "{}",
        answers[3]
    );
    for linked in [4, 5, 7] {
        assert!(answers[linked].contains("CONNECTED"), "{}", answers[linked]);
    }
    assert!(
        answers[6].contains("BROKER_BAD_CREDENTIALS"),
        "{}",
        answers[6]
    );
    let paper = link_paper(&app, &trader, "ok", 1000.0).await;
    answers.push(
        app.gql_with(
            "mutation($id: ID!, $c: BrokerCredentialsInput!) { updateBrokerCredentials(id: $id, credentials: $c) { id } }",
            json!({ "id": paper["id"], "c": { "apiSecret": CANARY } }),
            &trader,
        )
        .await
        .text(),
    );
    answers.push(app.gql_with(LIST, json!({}), &trader).await.text());
    for answer in &answers {
        assert!(
            !answer.contains(CANARY),
            "the canary leaked in an answer: {answer}"
        );
    }
    // The canary did travel: the venues received it at login.
    let logins = sim.requests("tradovate", "/auth/accesstokenrequest").await;
    assert!(
        logins
            .iter()
            .any(|r| r["body"].as_str().unwrap().contains(CANARY))
    );
    // The search itself works: it finds what is stored in plain text.
    assert!(crate::support::database_contains(&app, "canary@example.com").await);
    assert!(!crate::support::database_contains(&app, CANARY).await);
}

async fn another_trader_can_neither_see_nor_touch_a_connection(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.register_trader("alice@example.com").await;
    let mallory = app.register_trader("mallory@example.com").await;
    let linked = link_paper(&app, &alice, "Alice's practice", 5_000.0).await;
    let id = linked["id"].clone();

    let seen = app.gql_with(LIST, json!({}), &mallory).await.json();
    assert_eq!(seen["data"]["brokerConnections"], json!([]));
    for mutation in [
        "mutation($id: ID!) { testBrokerConnection(id: $id) { id } }",
        "mutation($id: ID!) { unlinkBrokerAccount(id: $id) }",
        "mutation($id: ID!) { updateBrokerCredentials(id: $id, credentials: {}) { id } }",
    ] {
        let answer = app
            .gql_with(mutation, json!({ "id": id }), &mallory)
            .await
            .json();
        assert_eq!(error_code(&answer), "NOT_FOUND", "{mutation}: {answer}");
    }
    let unauthenticated = app.gql(LIST, json!({})).await;
    assert_eq!(error_code(&unauthenticated), "UNAUTHENTICATED");

    let still = app.gql_with(LIST, json!({}), &alice).await.json();
    assert_eq!(
        still["data"]["brokerConnections"][0]["accounts"][0]["balance"],
        5_000.0
    );
    assert_eq!(tested_status(&app, &alice, &id).await, "CONNECTED");
    let unlinked = app
        .gql_with(
            "mutation($id: ID!) { unlinkBrokerAccount(id: $id) }",
            json!({ "id": id }),
            &alice,
        )
        .await
        .json();
    assert_eq!(unlinked["data"]["unlinkBrokerAccount"], true);
    let gone = app.gql_with(LIST, json!({}), &alice).await.json();
    assert_eq!(gone["data"]["brokerConnections"], json!([]));
}

async fn bad_link_requests_say_what_is_wrong(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("typo@example.com").await;
    let cases = [
        (
            json!({ "broker": "PAPER", "environment": "DEMO", "label": " ", "credentials": {} }),
            "label: must not be empty",
        ),
        (
            json!({ "broker": "BYBIT", "environment": "LIVE", "label": "b", "credentials": { "apiKey": "k" } }),
            "credentials: Bybit needs apiSecret",
        ),
        (
            json!({ "broker": "PAPER", "environment": "DEMO", "label": "p", "credentials": {}, "paperStartingBalance": -5.0 }),
            "paperStartingBalance: must be between 1 and 1,000,000,000,000",
        ),
    ];
    for (input, message) in cases {
        let answer = app
            .gql_with(LINK, json!({ "input": input }), &trader)
            .await
            .json();
        assert_eq!(error_code(&answer), "INVALID_INPUT", "{answer}");
        assert_eq!(answer["errors"][0]["message"], message);
    }
    let seen = app.gql_with(LIST, json!({}), &trader).await.json();
    assert_eq!(seen["data"]["brokerConnections"], json!([]));
}

async fn linked_keys_are_checked_again_every_day(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("daily@example.com").await;
    link_paper(&app, &trader, "Daily", 1_000.0).await;
    let connections = &app.app.state.connections;
    assert_eq!(connections.check_stale().await.unwrap(), 0);
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(connections.check_stale().await.unwrap(), 1);
    // Checked now: not due again for a day.
    assert_eq!(connections.check_stale().await.unwrap(), 0);
    let listed = app
        .gql_with(
            "{ brokerConnections { status lastCheckedAt } }",
            json!({}),
            &trader,
        )
        .await
        .json();
    assert_eq!(
        listed["data"]["brokerConnections"][0]["status"],
        "CONNECTED"
    );
}

async fn deleting_the_account_removes_its_paper_books(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("leaving@example.com").await;
    let stays = app.register_trader("staying@example.com").await;
    link_paper(&app, &trader, "Going", 1_000.0).await;
    link_paper(&app, &stays, "Staying", 2_000.0).await;
    let paper = &app.app.state.brokers.paper;
    let deleted = app
        .gql_with(
            "mutation { deleteAccount(password: \"a long trading passphrase\") }",
            json!({}),
            &trader,
        )
        .await
        .json();
    assert_eq!(deleted["data"]["deleteAccount"], true, "{deleted}");
    // Not at once: a paper account being linked right now has no trading account yet.
    assert_eq!(paper.remove_orphans().await.unwrap(), 0);
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(paper.remove_orphans().await.unwrap(), 1);
    let listed = app.gql_with(LIST, json!({}), &stays).await.json();
    assert_eq!(
        listed["data"]["brokerConnections"][0]["accounts"][0]["balance"],
        2_000.0
    );
}

/// Checks a connection with its broker now, as the trader's "Test connection" button does.
async fn tested_status(app: &TestApp, trader: &Caller, id: &Value) -> String {
    let tested = app
        .gql_with(
            "mutation($id: ID!) { testBrokerConnection(id: $id) { status lastError } }",
            json!({ "id": id }),
            trader,
        )
        .await
        .json();
    tested["data"]["testBrokerConnection"]["status"]
        .as_str()
        .unwrap_or_else(|| panic!("no status in {tested}"))
        .to_owned()
}

/// Seeds sealed records: traders who began two-factor setup (their seed is sealed).
async fn traders_with_sealed_seeds(app: &TestApp, count: usize) -> Vec<(Id, String)> {
    let mut seeds = Vec::new();
    for n in 0..count {
        let email = format!("seed{n}@example.com");
        let trader = app.register_trader(&email).await;
        let setup = app
            .gql_with("mutation { beginTotpSetup { secret } }", json!({}), &trader)
            .await
            .json();
        let secret = setup["data"]["beginTotpSetup"]["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        seeds.push((user_id(app, &email).await, secret));
    }
    seeds
}

async fn rotating_the_master_key_under_concurrent_reads_loses_nothing(backend: Backend) {
    let bybit = SimBybit::start("AKEY-rotation-0001", "rotation-secret").await;
    let app = TestApp::with_env(
        backend,
        &[
            ("COPYTRADE_ENDPOINT_BYBIT", &bybit.rest_url()),
            ("COPYTRADE_ENDPOINT_BYBIT_WS", &bybit.ws_url()),
            // Thirteen traders sign up from the test's one address.
            ("COPYTRADE_REGISTER_LIMIT", "100"),
        ],
    )
    .await;
    let seeds = Arc::new(traders_with_sealed_seeds(&app, 12).await);
    // And a linked Bybit key: two sealed credential fields.
    let trader = app.register_trader("bybit-rotation@example.com").await;
    let linked = app
        .gql_with(
            LINK,
            json!({ "input": { "broker": "BYBIT", "environment": "LIVE", "label": "rotating",
                "credentials": { "apiKey": "AKEY-rotation-0001", "apiSecret": "rotation-secret" } } }),
            &trader,
        )
        .await
        .json();
    let connection = linked["data"]["linkBrokerAccount"]["id"].clone();
    assert!(!connection.is_null(), "{linked}");
    let data_dir = app.app.config.data_dir.clone();
    let old_key = fingerprint(&MasterKeys::reload_files(&data_dir).unwrap().active);

    // Readers open every sealed seed again and again, as a running server does, with a vault
    // that watches the key files.
    let stop = Arc::new(AtomicBool::new(false));
    let (reads, failures) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut readers = Vec::new();
    for _ in 0..3 {
        let vault = Vault::new(&MasterKeys::reload_files(&data_dir).unwrap());
        let (stop, reads, failures) = (stop.clone(), reads.clone(), failures.clone());
        let db = app.app.state.db.clone();
        let seeds = seeds.clone();
        readers.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                for (id, blob) in pending_seeds(&db).await {
                    let user = id.to_string();
                    let ad = associated_data(&user, &user, "totp_seed");
                    let expected = &seeds
                        .iter()
                        .find(|(seed_user, _)| *seed_user == id)
                        .unwrap()
                        .1;
                    match vault.open(&blob, &ad) {
                        Ok(seed) if base32(&seed) == *expected => {
                            reads.fetch_add(1, Ordering::SeqCst)
                        }
                        _ => failures.fetch_add(1, Ordering::SeqCst),
                    };
                }
                tokio::task::yield_now().await;
            }
        }));
    }

    // An operator runs the command; a first run is cut short, the second completes it.
    let config = app.app.config.clone();
    let interrupted =
        tokio::spawn(async move { copytrade::app::rotate_master_key(&config, |_| None).await });
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    interrupted.abort();
    let _ = interrupted.await;
    let report = copytrade::app::rotate_master_key(&app.app.config, |_| None)
        .await
        .unwrap();
    assert!(report.contains("re-encrypted"), "{report}");

    stop.store(true, Ordering::SeqCst);
    for reader in readers {
        reader.await.unwrap();
    }
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "a read failed during rotation"
    );
    assert!(reads.load(Ordering::SeqCst) >= seeds.len() as u64);

    // Every record is under the new key and holds what it held; the old key is retired.
    let keys = MasterKeys::reload_files(&data_dir).unwrap();
    let new_key = fingerprint(&keys.active);
    assert_ne!(new_key, old_key);
    assert!(
        keys.previous.is_empty(),
        "the old key was not retired: {report}"
    );
    let census = rotation::census(&app.app.state.db).await.unwrap();
    assert_eq!(
        census.into_iter().collect::<Vec<_>>(),
        vec![(new_key, seeds.len() as u64 + 2)]
    );
    // The server opens the re-encrypted credentials: the broker check still logs in.
    assert_eq!(tested_status(&app, &trader, &connection).await, "CONNECTED");
    // The trader's security log says their secrets were re-encrypted.
    let log = app
        .gql_with("{ securityEvents { kind userAgent } }", json!({}), &trader)
        .await
        .json();
    assert!(
        log["data"]["securityEvents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|event| event["kind"] == "VAULT_KEY_ROTATED"
                && event["userAgent"] == "copytrade rotate-master-key"),
        "{log}"
    );
    let vault = Vault::new(&keys);
    for (id, blob) in pending_seeds(&app.app.state.db).await {
        let user = id.to_string();
        let seed = vault
            .open(&blob, &associated_data(&user, &user, "totp_seed"))
            .unwrap();
        let expected = &seeds
            .iter()
            .find(|(seed_user, _)| *seed_user == id)
            .unwrap()
            .1;
        assert_eq!(base32(&seed), *expected);
    }
    // The running server noticed the new key: what it seals now is under it.
    let late = app.register_trader("late@example.com").await;
    app.gql_with("mutation { beginTotpSetup { secret } }", json!({}), &late)
        .await;
    let census = rotation::census(&app.app.state.db).await.unwrap();
    assert_eq!(census.keys().copied().collect::<Vec<_>>(), vec![new_key]);
}

/// RFC 4648 base32 without padding, as the API shows TOTP seeds.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

on_both_databases!(
    a_paper_account_links_with_its_balance_and_its_orders_fill_and_move_positions,
    bracket_legs_follow_the_entry_and_one_cancels_the_other,
    a_canary_secret_never_shows_up_in_answers_the_database_or_the_log,
    another_trader_can_neither_see_nor_touch_a_connection,
    bad_link_requests_say_what_is_wrong,
    linked_keys_are_checked_again_every_day,
    deleting_the_account_removes_its_paper_books,
    rotating_the_master_key_under_concurrent_reads_loses_nothing,
);
