//! The user hub: fills and order updates as they happen (both event forms), and a dropped
//! hub that reconnects, subscribes again and reads back the fill it missed.

use copytrade::brokers::{BrokerAdapter, BrokerEvent, OrderStatus, Side};
use serde_json::json;

use super::{adapter, bracketed, eventually, limit, next_event, venue};

fn fill_of(event: &BrokerEvent, client_order_id: &str) -> bool {
    matches!(event, BrokerEvent::Fill(fill) if fill.client_order_id == client_order_id)
}

#[tokio::test]
async fn fills_and_order_updates_arrive_on_the_hub_in_either_event_form() {
    for wrapper in ["bare", "action"] {
        let (sim, account) = venue().await;
        sim.post("/projectx/config", json!({ "eventWrapper": wrapper }))
            .await;
        let px = adapter(&sim);
        let mut events = px.events();
        let id = format!("ct-hub-{wrapper}");
        let placed = px
            .place_order(&account, &bracketed(&id, Side::Buy, 8.0, 16.0))
            .await
            .expect("placed");
        // The entry's fill and its filled state, in whatever order they come.
        let (mut fill, mut filled) = (None, false);
        while fill.is_none() || !filled {
            match next_event(
                &mut events,
                "the entry's fill and filled state",
                |e| match e {
                    BrokerEvent::Fill(f) => f.client_order_id == id,
                    BrokerEvent::Order(o) => {
                        o.client_order_id == id && o.status == OrderStatus::Filled
                    }
                },
            )
            .await
            {
                BrokerEvent::Fill(f) => fill = Some(f),
                BrokerEvent::Order(_) => filled = true,
            }
        }
        let fill = fill.expect("the fill");
        assert_eq!(fill.order_id, placed.order_id);
        assert_eq!(
            (fill.account.as_str(), fill.side, fill.quantity),
            (account.as_str(), Side::Buy, 1.0)
        );
        assert_eq!(fill.symbol, placed.symbol);
        // Subscribed per account, with the account id as a number, acknowledged.
        let frames = sim.requests("projectx", "/hubs/user").await;
        let subscribed = frames.iter().any(|f| {
            f["body"].as_str().is_some_and(|b| {
                b.contains("\"SubscribeTrades\"") && b.contains(&format!("[{account}]"))
            })
        });
        assert!(subscribed, "{frames:?}");
    }
}

#[tokio::test]
async fn a_fill_made_while_the_hub_was_down_is_read_back_after_the_reconnect() {
    let (sim, account) = venue().await;
    let px = adapter(&sim);
    let mut events = px.events();
    let resting = px
        .place_order(&account, &limit("ct-gap-1", Side::Buy, 5990.0))
        .await
        .expect("placed");
    next_event(
        &mut events,
        "the resting order on the hub",
        |e| matches!(e, BrokerEvent::Order(o) if o.order_id == resting.order_id),
    )
    .await;

    sim.post("/projectx/streams/drop", json!({ "hold": true }))
        .await;
    eventually("the hub is down", || async {
        (sim.get("/projectx/streams").await["connected"] == 0).then_some(())
    })
    .await;
    let trades_before = sim.requests("projectx", "/api/Trade/search").await.len();
    sim.post(
        "/projectx/prices",
        json!({ "symbol": "ES", "price": 5990.0 }),
    )
    .await;
    sim.post("/projectx/streams/allow", json!({})).await;

    let BrokerEvent::Fill(fill) =
        next_event(&mut events, "the missed fill", |e| fill_of(e, "ct-gap-1")).await
    else {
        unreachable!("a fill was asked for");
    };
    assert_eq!(fill.order_id, resting.order_id);
    assert_eq!(fill.price, 5990.0);
    // It came from the catch-up over REST, after subscribing again.
    assert!(sim.requests("projectx", "/api/Trade/search").await.len() > trades_before);
    let subscriptions = sim
        .requests("projectx", "/hubs/user")
        .await
        .iter()
        .filter(|f| {
            f["body"]
                .as_str()
                .is_some_and(|b| b.contains("\"SubscribeTrades\""))
        })
        .count();
    assert_eq!(subscriptions, 2, "subscribed once per connection");
}
