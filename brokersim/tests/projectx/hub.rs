//! The SignalR user hub.

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;

use crate::support::{Hub, Sim};

/// The HTTP status a refused hub upgrade answered.
async fn refused_status(sim: &Sim, token: &str) -> u16 {
    match tokio_tungstenite::connect_async(sim.hub_url(token)).await {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("the hub accepted the connection"),
    }
}

#[tokio::test]
async fn the_hub_refuses_a_bad_token_before_the_upgrade() {
    let sim = Sim::start().await;
    assert_eq!(refused_status(&sim, "not-a-token").await, 401);
    let (token, _) = sim.trader("ann").await;
    sim.control("tokens/expire", json!({})).await;
    assert_eq!(refused_status(&sim, &token).await, 401);
}

#[tokio::test]
async fn subscribed_accounts_get_order_events_in_the_action_wrapper() {
    let sim = Sim::start().await;
    let (token, account_id) = sim.trader("ann").await;
    let contract_id = sim.front(&token, "ES").await;
    let mut hub = Hub::connect(&sim, &token).await;

    let done = hub
        .invoke("SubscribeOrders", json!([account_id]), "1")
        .await;
    assert_eq!(
        done,
        json!({ "type": 3, "invocationId": "1", "result": null })
    );
    let wrong = hub
        .invoke("subscribeOrders", json!([account_id]), "2")
        .await;
    assert!(
        wrong["error"].is_string(),
        "targets are case-sensitive: {wrong:?}"
    );
    let foreign = hub
        .invoke("SubscribeTrades", json!([account_id + 1000]), "3")
        .await;
    assert!(
        foreign["error"].is_string(),
        "not the user's account: {foreign:?}"
    );

    let placed = sim.ok("Order/place", &token, json!({
        "accountId": account_id, "contractId": contract_id, "type": 1, "side": 0, "size": 1, "limitPrice": 5900.0,
    })).await;
    let event = hub.next_where(|m| m["target"] == "GatewayUserOrder").await;
    let payload = &event["arguments"][0];
    assert_eq!(payload["action"], 0, "{event:?}");
    assert_eq!(payload["data"]["id"], placed["orderId"]);
    assert_eq!(
        (
            payload["data"]["status"].clone(),
            payload["data"]["limitPrice"].clone()
        ),
        (json!(1), json!(5900.0))
    );

    // Bare entities once switched; only the subscribed topics arrive.
    sim.control("config", json!({ "eventWrapper": "bare" }))
        .await;
    let order_id = placed["orderId"].clone();
    sim.ok(
        "Order/cancel",
        &token,
        json!({ "accountId": account_id, "orderId": order_id }),
    )
    .await;
    let event = hub.next_where(|m| m["type"] == 1).await;
    assert_eq!(event["target"], "GatewayUserOrder");
    assert_eq!(
        (
            event["arguments"][0]["id"].clone(),
            event["arguments"][0]["status"].clone()
        ),
        (order_id, json!(3))
    );
    let journal = sim
        .call("GET", "/_sim/projectx/requests?path=/hubs/user", None, None)
        .await;
    let frames: Vec<&Value> = journal.body["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| r["method"] == "WS")
        .collect();
    assert!(
        frames.len() >= 4,
        "the handshake and invocations are recorded: {frames:?}"
    );
}

#[tokio::test]
async fn a_dropped_stream_closes_with_allow_reconnect_and_holds_new_connections() {
    let sim = Sim::start().await;
    let (token, _) = sim.trader("ann").await;
    let mut hub = Hub::connect(&sim, &token).await;
    hub.invoke("SubscribeAccounts", json!([]), "1").await;

    sim.control("streams/drop", json!({ "hold": true })).await;
    let close = hub.next_where(|m| m["type"] != 6).await;
    assert_eq!(
        (close["type"].clone(), close["allowReconnect"].clone()),
        (json!(7), json!(true))
    );
    assert!(
        hub.try_next().await.is_none(),
        "the server closes after the close message"
    );
    assert_eq!(refused_status(&sim, &token).await, 503);

    sim.control("streams/allow", json!({})).await;
    let mut again = Hub::connect(&sim, &token).await;
    let done = again.invoke("SubscribeAccounts", json!([]), "9").await;
    assert_eq!(done["error"], Value::Null, "{done:?}");
}

#[tokio::test]
async fn negotiate_hands_out_a_connection_token_to_connect_with() {
    let sim = Sim::start().await;
    let (token, _) = sim.trader("ann").await;
    let path = format!("/projectx/hubs/user/negotiate?negotiateVersion=1&access_token={token}");
    let negotiated = sim.call("POST", &path, None, Some("")).await;
    assert_eq!(negotiated.status, 200, "{:?}", negotiated.body);
    assert_eq!(
        negotiated.body["availableTransports"][0]["transport"],
        "WebSockets"
    );
    let id = negotiated.body["connectionToken"]
        .as_str()
        .expect("a connection token");
    let url = format!(
        "ws://{}/projectx/hubs/user?id={id}&access_token={token}",
        sim.addr
    );
    assert!(
        tokio_tungstenite::connect_async(url.as_str()).await.is_ok(),
        "the negotiated id connects"
    );
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 404),
        _ => panic!("a connection token works once"),
    }
}
