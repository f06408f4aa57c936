//! The Tradovate trading socket: framing, authorize, REST over the socket, sync snapshots and
//! `props` pushes, the connection limit, heartbeat timeouts and dropped streams.

mod tradovate_common;

use serde_json::json;
use tradovate_common::{Sim, front, market_buy};

#[tokio::test]
async fn a_synced_socket_gets_the_snapshot_answers_requests_and_receives_pushes() {
    let sim = Sim::start().await;
    let (user_id, account) = sim.user("hana", "HANA-1").await;
    let token = sim.login("hana").await;
    let (_, symbol) = front(&sim, &token, "GC").await;
    let mut socket = sim.socket().await;

    socket.send("authorize\n0\n\nnot-a-token").await;
    let refused = socket.answer(0).await;
    assert_eq!(
        refused,
        json!({ "i": 0, "s": 401, "d": "Invalid access token" })
    );
    socket.authorize(&token).await;

    let both = json!({ "users": [user_id], "entityTypes": ["order"] });
    socket.send(&format!("user/syncrequest\n1\n\n{both}")).await;
    let refused = socket.answer(1).await;
    assert!(refused["d"]["errorText"].is_string(), "{refused}");
    socket
        .send(&format!(
            "user/syncrequest\n2\n\n{}",
            json!({ "users": [user_id] })
        ))
        .await;
    let snapshot = socket.answer(2).await;
    assert_eq!(snapshot["s"], 200);
    assert_eq!(snapshot["d"]["accounts"][0]["id"], account);
    assert!(
        snapshot["d"]["orders"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    let order = market_buy(account, &symbol, 1);
    socket
        .send(&format!("order/placeorder\n7\n\n{order}"))
        .await;
    let placed = socket.answer(7).await;
    assert_eq!(placed["s"], 200);
    let order_id = placed["d"]["orderId"].as_i64().expect("an order id");
    let fill = socket
        .wait_for(|m| m["e"] == "props" && m["d"]["entityType"] == "fill")
        .await;
    assert_eq!(fill["d"]["eventType"], "Created");
    assert_eq!(fill["d"]["entity"]["orderId"], order_id);

    // A REST call's changes are pushed too; the socket's query line carries GET parameters.
    let (_, rest) = sim
        .post("order/placeorder", &token, market_buy(account, &symbol, 1))
        .await;
    let pushed = socket
        .wait_for(|m| m["d"]["entityType"] == "order" && m["d"]["entity"]["id"] == rest["orderId"])
        .await;
    assert_eq!(pushed["d"]["eventType"], "Created");
    socket.send("contract/suggest\n9\nl=10&t=GC\n").await;
    let suggested = socket.answer(9).await;
    assert_eq!(suggested["d"][0]["name"], symbol.as_str());
}

#[tokio::test]
async fn entity_types_narrow_the_pushes() {
    let sim = Sim::start().await;
    let (_, account) = sim.user("ivan", "IVAN-1").await;
    let token = sim.login("ivan").await;
    let (contract_id, symbol) = front(&sim, &token, "MES").await;
    let mut socket = sim.socket().await;
    socket.authorize(&token).await;
    let body =
        json!({ "splitResponses": true, "accounts": [account], "entityTypes": ["position"] });
    socket.send(&format!("user/syncrequest\n3\n\n{body}")).await;
    let snapshot = socket.answer(3).await;
    assert!(snapshot["d"].get("positions").is_some() && snapshot["d"].get("orders").is_none());

    sim.post("order/placeorder", &token, market_buy(account, &symbol, 3))
        .await;
    // Orders, commands and reports come before the position change: the first push must be it.
    let first = socket.wait_for(|m| m["e"] == "props").await;
    assert_eq!(first["d"]["entityType"], "position", "{first}");
    assert_eq!(first["d"]["entity"]["netPos"], 3);
    assert_eq!(first["d"]["entity"]["contractId"], contract_id);
}

#[tokio::test]
async fn past_the_socket_limit_the_oldest_closes_and_its_token_is_revoked() {
    let sim = Sim::start().await;
    sim.user("jack", "JACK-1").await;
    sim.control("config", json!({ "socketsPerUser": 1 })).await;
    let old_token = sim.login("jack").await;
    let mut oldest = sim.socket().await;
    oldest.authorize(&old_token).await;

    let new_token = sim.login("jack").await;
    let mut newest = sim.socket().await;
    newest.authorize(&new_token).await;
    let close = oldest.close_frame().await;
    assert!(
        close.starts_with("c[") && close.contains("limit"),
        "{close}"
    );
    let (status, _) = sim.get("account/list", &old_token).await;
    assert_eq!(status, 401, "the oldest socket's token is revoked");
    let (status, _) = sim.get("account/list", &new_token).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_silent_socket_is_closed_and_a_dropped_stream_refuses_upgrades_while_held() {
    let sim = Sim::start().await;
    sim.user("kim", "KIM-1").await;
    let token = sim.login("kim").await;
    sim.control("config", json!({ "heartbeatTimeoutSeconds": 1 }))
        .await;
    let mut silent = sim.socket().await;
    silent.authorize(&token).await;
    let close = silent.close_frame().await;
    assert!(close.contains("heartbeat"), "{close}");

    sim.control("config", json!({ "heartbeatTimeoutSeconds": 30 }))
        .await;
    let mut socket = sim.socket().await;
    socket.authorize(&token).await;
    socket.send("[]").await;
    sim.control("streams/drop", json!({ "hold": true })).await;
    let close = socket.close_frame().await;
    assert!(close.starts_with("c["), "{close}");
    assert_eq!(
        socket.next_text().await,
        None,
        "the socket closes after c[...]"
    );

    let url = format!("ws://{}/tradovate/v1/websocket", sim.addr);
    match tokio_tungstenite::connect_async(url.clone()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
        }
        other => panic!(
            "a held stream must refuse the upgrade, got {:?}",
            other.map(|_| ())
        ),
    }
    sim.control("streams/allow", json!({})).await;
    let mut again = sim.socket().await;
    again.authorize(&token).await;
}
