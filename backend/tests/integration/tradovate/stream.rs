//! The trading WebSocket: fills on the stream, none lost over a reconnect, both sync forms.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_made_while_the_stream_was_down_arrives_after_the_reconnect() {
    let sim = venue().await;
    let accounts = user(&sim, "streamer", &["DEMO300"]).await;
    let account = &accounts[0].1;
    let tradovate = adapter(&sim, "streamer", PASSWORD, Scope::All);
    set_price(&sim, "ES", 6000.0).await;
    let mut events = tradovate.events();
    eventually(10, "the stream is synced", || async {
        sim.requests(VENUE, "/websocket").await.iter().any(|r| {
            r["body"]
                .as_str()
                .unwrap_or_default()
                .starts_with("user/syncrequest")
        })
    })
    .await;

    let mut resting = order("missed-1", Side::Buy, OrderType::Limit, 1.0);
    resting.limit_price = Some(5990.0);
    let placed = tradovate
        .place_order(account, &resting)
        .await
        .expect("placed");
    sim.post("/tradovate/streams/drop", json!({ "hold": true }))
        .await;
    eventually(10, "the stream is down", || async {
        sim.get("/tradovate/streams").await["connected"] == 0
    })
    .await;
    set_price(&sim, "ES", 5989.0).await;
    sim.post("/tradovate/streams/allow", json!({})).await;
    let fill = fill_of(&mut events, &placed.order_id).await;
    assert_eq!(
        (fill.client_order_id.as_str(), fill.price),
        ("missed-1", 5990.0)
    );
    assert!(sim.get("/tradovate/streams").await["opened"].as_u64() >= Some(2));

    // The resync sends each fill once: a fill made now arrives once, the old one not again.
    let again = tradovate
        .place_order(
            account,
            &order("after-1", Side::Sell, OrderType::Market, 1.0),
        )
        .await
        .expect("placed");
    let next = fill_of(&mut events, &again.order_id).await;
    assert_eq!(next.client_order_id, "after-1");
    while let Ok(event) = events.try_recv() {
        if let BrokerEvent::Fill(fill) = event {
            assert_ne!(fill.order_id, placed.order_id, "a fill sent twice");
        }
    }
    // One socket per login, never one per account.
    assert_eq!(sim.get("/tradovate/streams").await["connected"], 1);
}

/// The partner guide's sync form (`accounts` + `entityTypes`) works as the official one does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_partner_sync_form_streams_fills_too() {
    let sim = venue().await;
    let accounts = user(&sim, "partner", &["APEX-77-01", "DEMO77"]).await;
    let account = &accounts[0].1;
    let settings = TradovateSettings {
        sync_form: SyncForm::Accounts,
        ..TradovateSettings::default()
    };
    let apex = adapter_with(&sim, "partner", PASSWORD, Scope::Apex, settings);
    set_price(&sim, "MNQ", 21000.0).await;
    let mut events = apex.events();
    let mut request = order("partner-1", Side::Sell, OrderType::Market, 3.0);
    request.symbol = "MNQ".into();
    let placed = apex.place_order(account, &request).await.expect("placed");
    let fill = fill_of(&mut events, &placed.order_id).await;
    assert_eq!(
        (fill.quantity, fill.side, fill.price),
        (3.0, Side::Sell, 21000.0)
    );
    assert!(fill.symbol.starts_with("MNQ"), "{}", fill.symbol);
    let syncs: Vec<String> = sim
        .requests(VENUE, "/websocket")
        .await
        .iter()
        .filter_map(|r| r["body"].as_str().map(str::to_owned))
        .filter(|frame| frame.starts_with("user/syncrequest"))
        .collect();
    let sent: Value = serde_json::from_str(syncs[0].splitn(4, '\n').nth(3).expect("a body"))
        .expect("a JSON body");
    assert_eq!(
        sent["accounts"],
        json!([account.parse::<i64>().expect("an id")])
    );
    assert!(
        sent["entityTypes"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{sent}"
    );
    assert!(sent.get("users").is_none());
}
