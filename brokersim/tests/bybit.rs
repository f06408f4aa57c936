//! The Bybit simulator over real HTTP and WebSocket: signing refusals, many keys with their own
//! accounts, orders filled and pushed, take-profit and stop-loss, the execution list, injected
//! faults, rate limits, dropped streams and the control API's checks.

mod bybit_common;

use bybit_common::{Sim, next_json, next_push, now};
use serde_json::{Value, json};

const BUY_MARKET: &str = r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.010","orderLinkId":"copy-1"}"#;

fn market(link: &str, side: &str, qty: &str) -> Value {
    json!({"category": "linear", "symbol": "BTCUSDT", "side": side, "orderType": "Market",
        "qty": qty, "orderLinkId": link})
}

#[tokio::test]
async fn each_key_answers_query_api_for_its_own_account() {
    let sim = Sim::start().await;
    let alice = sim.key("AKEY-alice", "alice-secret").await;
    let bob = sim.key("AKEY-bob", "bob-secret").await;
    assert_eq!(alice.uid, 5_550_001);
    assert_ne!(alice.uid, bob.uid);
    // A second key on Alice's account.
    let joined = sim
        .ok(
            "POST",
            "/users",
            Some(json!({ "apiKey": "AKEY-alice-2", "apiSecret": "s2",
            "userId": alice.uid, "readOnly": 1, "createdAt": "2026-09-01T00:00:00Z" })),
        )
        .await;
    assert_eq!(joined["userId"], alice.uid);

    let answer = sim.get(&alice, "/v5/user/query-api").await;
    assert_eq!(answer["retCode"], 0, "{answer}");
    assert_eq!(answer["result"]["userID"], alice.uid);
    assert_eq!(answer["result"]["apiKey"], "AKEY-alice");
    assert_eq!(answer["result"]["readOnly"], 0);
    assert_eq!(answer["result"]["permissions"]["Wallet"], json!([]));
    let answer = sim
        .signed_as("GET", "/v5/user/query-api", "", "AKEY-alice-2", "s2", now())
        .await;
    assert_eq!(answer["result"]["userID"], alice.uid, "{answer}");
    assert_eq!(answer["result"]["readOnly"], 1);
    assert_eq!(answer["result"]["createdAt"], "2026-09-01T00:00:00Z");
    let answer = sim.get(&bob, "/v5/user/query-api").await;
    assert_eq!(answer["result"]["userID"], bob.uid, "{answer}");

    // The read-only key cannot trade.
    let refused = sim
        .signed_as(
            "POST",
            "/v5/order/create",
            BUY_MARKET,
            "AKEY-alice-2",
            "s2",
            now(),
        )
        .await;
    assert_eq!(refused["retCode"], 10005, "{refused}");

    let journal = sim.ok("GET", "/requests?path=query-api", None).await;
    let requests = journal["requests"].as_array().expect("a list");
    assert_eq!(requests.len(), 3, "{journal}");
    assert_eq!(requests[0]["path"], "/v5/user/query-api");
}

#[tokio::test]
async fn bad_keys_timestamps_signatures_and_routes_are_refused_with_their_codes() {
    let sim = Sim::start().await;
    let key = sim.key("AKEY-1", "the-secret").await;
    let ask = |key: &'static str, secret: &'static str, ts: i64| {
        let sim = &sim;
        async move {
            sim.signed_as("GET", "/v5/user/query-api", "", key, secret, ts)
                .await
        }
    };
    assert_eq!(ask("AKEY-2", "the-secret", now()).await["retCode"], 10003);
    for ts in [now() - 6_000, now() + 2_000] {
        assert_eq!(ask("AKEY-1", "the-secret", ts).await["retCode"], 10002);
    }
    let answer = ask("AKEY-1", "another-secret", now()).await;
    assert_eq!(answer["retCode"], 10004, "{answer}");
    let message = answer["retMsg"].as_str().expect("a message");
    assert!(message.starts_with("error sign!"), "{message}");
    assert!(!message.contains("the-secret"), "{message}");

    for path in ["/bybit/v5/nothing/here", "/bybit/v5/asset/withdraw/create"] {
        let (status, body) = sim.http("POST", path, "", "{}").await;
        assert_eq!(status, 404, "{path}");
        assert!(body.contains("10017"), "{body}");
    }
    // Integers are integers: a string positionIdx is refused unless the switch allows it.
    let mut order = market("idx", "Buy", "0.001");
    order["positionIdx"] = json!("0");
    assert_eq!(
        sim.post(&key, "/v5/order/create", order.clone()).await["retCode"],
        10001
    );
    sim.ok(
        "POST",
        "/config",
        Some(json!({ "numericStringIntegers": true })),
    )
    .await;
    assert_eq!(
        sim.post(&key, "/v5/order/create", order).await["retCode"],
        0
    );
}

#[tokio::test]
async fn a_market_order_fills_and_is_pushed_only_to_its_own_account() {
    let sim = Sim::start().await;
    let alice = sim.key("AKEY-alice", "alice-secret").await;
    let bob = sim.key("AKEY-bob", "bob-secret").await;
    let mut alice_ws = sim.stream(&alice, &["order", "execution"]).await;
    let mut bob_ws = sim.stream(&bob, &["order.linear"]).await;

    let created = sim
        .signed_as(
            "POST",
            "/v5/order/create",
            BUY_MARKET,
            &alice.key,
            &alice.secret,
            now(),
        )
        .await;
    assert_eq!(created["retCode"], 0, "{created}");
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (label, entry) = next_push(&mut alice_ws).await;
        assert_eq!(entry["orderLinkId"], "copy-1");
        seen.push(label);
    }
    assert_eq!(seen, ["order New", "execution ", "order Filled"]);

    // Bob's stream never heard of Alice's order: its first push is Bob's own.
    sim.post(&bob, "/v5/order/create", market("bob-1", "Sell", "0.002"))
        .await;
    let frame = next_json(&mut bob_ws).await;
    assert_eq!(frame["topic"], "order.linear");
    assert_eq!(frame["data"][0]["orderLinkId"], "bob-1", "{frame}");

    let positions = sim
        .get(&alice, "/v5/position/list?category=linear&symbol=BTCUSDT")
        .await;
    let position = &positions["result"]["list"][0];
    assert_eq!(
        (&position["size"], &position["side"]),
        (&json!("0.01"), &json!("Buy"))
    );
    let positions = sim
        .get(&bob, "/v5/position/list?category=linear&settleCoin=USDT")
        .await;
    assert_eq!(
        positions["result"]["list"][0]["side"], "Sell",
        "{positions}"
    );

    let again = sim
        .signed_as(
            "POST",
            "/v5/order/create",
            BUY_MARKET,
            &alice.key,
            &alice.secret,
            now(),
        )
        .await;
    assert_eq!(again["retCode"], 110072, "{again}");
    // The same link id is fine on another account.
    let body: Value = serde_json::from_str(BUY_MARKET).expect("JSON");
    assert_eq!(sim.post(&bob, "/v5/order/create", body).await["retCode"], 0);
    let orders = sim
        .ok("GET", &format!("/orders?accountId={}", alice.uid), None)
        .await;
    assert_eq!(orders["created"], 1, "{orders}");
}

#[tokio::test]
async fn a_limit_entry_works_until_crossed_and_its_take_profit_ends_the_stop_loss() {
    let sim = Sim::start().await;
    let key = sim.key("AKEY-1", "secret").await;
    sim.set_price("BTCUSDT", 90_000.0).await;
    let entry = json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
        "orderType": "Limit", "price": "89000", "qty": "0.01", "orderLinkId": "entry",
        "takeProfit": "95000", "stopLoss": "85000"});
    assert_eq!(
        sim.post(&key, "/v5/order/create", entry).await["retCode"],
        0
    );
    let open = sim
        .get(&key, "/v5/order/realtime?category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(open["result"]["list"][0]["orderStatus"], "New", "{open}");

    // Crossed: filled at its own price, and the position carries the take-profit and stop-loss.
    sim.set_price("BTCUSDT", 88_900.0).await;
    let by_link = sim
        .get(&key, "/v5/order/realtime?category=linear&orderLinkId=entry")
        .await;
    let order = &by_link["result"]["list"][0];
    assert_eq!(
        (&order["orderStatus"], &order["avgPrice"]),
        (&json!("Filled"), &json!("89000"))
    );
    let path = format!("/positions?accountId={}", key.uid);
    let position = sim.ok("GET", &path, None).await["list"][0].clone();
    assert_eq!(
        (&position["takeProfit"], &position["stopLoss"]),
        (&json!("95000"), &json!("85000"))
    );

    // The take-profit closes the position; the stop-loss goes with it.
    sim.set_price("BTCUSDT", 95_000.0).await;
    assert_eq!(sim.ok("GET", &path, None).await["list"], json!([]));
    let orders_path = format!("/orders?accountId={}", key.uid);
    let orders = sim.ok("GET", &orders_path, None).await["list"].clone();
    assert_eq!(orders[0]["stopOrderType"], "TakeProfit", "{orders}");
    assert_eq!(orders[0]["orderStatus"], "Filled");
    sim.set_price("BTCUSDT", 84_000.0).await;
    let after = sim.ok("GET", &orders_path, None).await["list"].clone();
    assert_eq!(
        after.as_array().map(Vec::len),
        Some(2),
        "no stop-loss fired: {after}"
    );
}

#[tokio::test]
async fn the_execution_list_pages_newest_first_and_checks_its_parameters() {
    let sim = Sim::start().await;
    let key = sim.key("AKEY-1", "secret").await;
    let start = now();
    for (link, side) in [("e-1", "Buy"), ("e-2", "Buy"), ("e-3", "Sell")] {
        assert_eq!(
            sim.post(&key, "/v5/order/create", market(link, side, "0.001"))
                .await["retCode"],
            0
        );
    }
    let first = sim
        .get(
            &key,
            &format!("/v5/execution/list?category=linear&startTime={start}&limit=2"),
        )
        .await;
    let list = first["result"]["list"].as_array().expect("a list").clone();
    let links: Vec<&str> = list
        .iter()
        .filter_map(|e| e["orderLinkId"].as_str())
        .collect();
    assert_eq!(links, ["e-3", "e-2"], "{first}");
    assert_eq!(list[0]["execType"], "Trade");
    assert_eq!(list[0]["execPrice"], "90000");
    assert_eq!(list[0]["execQty"], "0.001");
    assert!(list[0]["execTime"].is_string() && list[0]["execFee"].is_string());
    let cursor = first["result"]["nextPageCursor"]
        .as_str()
        .expect("a cursor");
    assert!(!cursor.is_empty());
    let second = sim
        .get(
            &key,
            &format!(
                "/v5/execution/list?category=linear&startTime={start}&limit=2&cursor={cursor}"
            ),
        )
        .await;
    assert_eq!(
        second["result"]["list"][0]["orderLinkId"], "e-1",
        "{second}"
    );
    assert_eq!(second["result"]["nextPageCursor"], "");

    let by_link = sim
        .get(
            &key,
            "/v5/execution/list?category=linear&orderLinkId=e-2&symbol=ETHUSDT",
        )
        .await;
    assert_eq!(
        by_link["result"]["list"].as_array().map(Vec::len),
        Some(1),
        "{by_link}"
    );
    let later = sim
        .get(
            &key,
            &format!(
                "/v5/execution/list?category=linear&startTime={}",
                now() + 60_000
            ),
        )
        .await;
    assert_eq!(later["result"]["list"], json!([]));
    let week = 7 * 24 * 3_600_000;
    for query in [
        format!(
            "category=linear&startTime={start}&endTime={}",
            start + week + 1
        ),
        "category=linear&limit=101".to_owned(),
        "symbol=BTCUSDT".to_owned(),
        "category=linear&cursor=nonsense".to_owned(),
    ] {
        let refused = sim.get(&key, &format!("/v5/execution/list?{query}")).await;
        assert_eq!(refused["retCode"], 10001, "{query}: {refused}");
    }
}

#[tokio::test]
async fn an_injected_venue_error_applies_once_and_rate_limits_answer_10006() {
    let sim = Sim::start().await;
    let key = sim.key("AKEY-1", "secret").await;
    sim.ok(
        "POST",
        "/faults",
        Some(json!({ "path": "/v5/order/create", "kind": "venue_error",
        "code": 110007, "message": "ab not enough for new order" })),
    )
    .await;
    let refused = sim
        .post(&key, "/v5/order/create", market("f-1", "Buy", "0.001"))
        .await;
    assert_eq!(refused["retCode"], 110007, "{refused}");
    assert_eq!(refused["retMsg"], "ab not enough for new order");
    assert_eq!(
        (&refused["result"], &refused["retExtInfo"]),
        (&json!({}), &json!({}))
    );
    assert!(refused["time"].is_i64());
    let placed = sim
        .post(&key, "/v5/order/create", market("f-1", "Buy", "0.001"))
        .await;
    assert_eq!(placed["retCode"], 0, "the fault applied once: {placed}");

    sim.ok(
        "POST",
        "/users",
        Some(json!({ "apiKey": "AKEY-1", "rateLimited": true })),
    )
    .await;
    let limited = sim
        .get(&key, "/v5/order/realtime?category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(limited["retCode"], 10006, "{limited}");
    sim.ok(
        "POST",
        "/users",
        Some(json!({ "apiKey": "AKEY-1", "rateLimited": false })),
    )
    .await;
    let open = sim
        .get(&key, "/v5/order/realtime?category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(open["retCode"], 0, "{open}");
}

#[tokio::test]
async fn dropped_streams_close_and_stay_refused_while_held() {
    let sim = Sim::start().await;
    let key = sim.key("AKEY-1", "secret").await;
    let mut ws = sim.stream(&key, &["order"]).await;
    assert_eq!(sim.ok("GET", "/streams", None).await["connected"], 1);

    sim.ok("POST", "/streams/drop", Some(json!({ "hold": true })))
        .await;
    loop {
        match tokio::time::timeout(
            std::time::Duration::from_secs(5),
            futures_util::StreamExt::next(&mut ws),
        )
        .await
        .expect("the stream closes within 5 s")
        {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | None | Some(Err(_)) => {
                break;
            }
            Some(Ok(_)) => {}
        }
    }
    match tokio_tungstenite::connect_async(sim.ws_url()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
        }
        other => panic!("a held stream must be refused, got {:?}", other.map(|_| ())),
    }
    sim.ok("POST", "/streams/allow", None).await;
    let mut ws = sim.stream(&key, &["order"]).await;
    sim.post(&key, "/v5/order/create", market("after", "Buy", "0.001"))
        .await;
    let (label, _) = next_push(&mut ws).await;
    assert_eq!(label, "order New");
}

#[tokio::test]
async fn the_control_api_refuses_bad_input_with_400() {
    let sim = Sim::start().await;
    sim.key("AKEY-1", "secret").await;
    for (path, body) in [
        ("/users", json!({ "apiKey": "AKEY-new" })),
        ("/users", json!({ "apiKey": "AKEY-1", "equity": "10" })),
        ("/users", json!({ "apiKey": "AKEY-1", "userId": 42 })),
        (
            "/users",
            json!({ "apiKey": "AKEY-1", "createdAt": "yesterday" }),
        ),
        ("/prices", json!({ "symbol": "BTCUSDT", "price": "91000" })),
        ("/prices", json!({ "symbol": "DOGEUSDT", "price": 1.0 })),
    ] {
        let (status, answer) = sim.control("POST", path, Some(body.clone())).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    let (status, _) = sim.control("GET", "/orders?accountId=nope", None).await;
    assert_eq!(status, 400);
}
