//! Orders: brackets measured from the fill, cancels, flattening, and a placement whose answer
//! was lost found again rather than sent twice.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_carry_brackets_from_the_fill_cancel_and_flatten_leave_nothing_working() {
    let sim = venue().await;
    let accounts = user(&sim, "bracketer", &["DEMO200"]).await;
    let account = &accounts[0].1;
    let tradovate = adapter(&sim, "bracketer", PASSWORD, Scope::All);
    set_price(&sim, "ES", 6000.0).await;
    let mut events = tradovate.events();

    // Distances are measured from the actual fill (6000), not the signal's price (5990).
    let mut entry = order("bracket-1", Side::Buy, OrderType::Market, 2.0);
    entry.take_profit = Some(Exit::Ticks { ticks: 8.0 });
    entry.stop_loss = Some(Exit::Ticks { ticks: 4.0 });
    entry.reference_price = Some(5990.0);
    let placed = tradovate
        .place_order(account, &entry)
        .await
        .expect("placed");
    assert_eq!(placed.client_order_id, "bracket-1");
    let fill = fill_of(&mut events, &placed.order_id).await;
    assert_eq!(
        (fill.quantity, fill.price, fill.side),
        (2.0, 6000.0, Side::Buy)
    );
    assert_eq!(fill.client_order_id, "bracket-1");
    assert_eq!(
        (fill.account.as_str(), fill.symbol.len()),
        (account.as_str(), 4)
    );
    let orders = sim_orders(&sim, account).await;
    let legs = live(&orders);
    let target = legs
        .iter()
        .find(|o| o["orderType"] == "Limit")
        .expect("a take-profit");
    let stop = legs
        .iter()
        .find(|o| o["orderType"] == "Stop")
        .expect("a stop-loss");
    assert_eq!(
        (target["price"].clone(), target["action"].clone()),
        (json!(6002.0), json!("Sell"))
    );
    assert_eq!(
        (stop["stopPrice"].clone(), stop["orderQty"].clone()),
        (json!(5999.0), json!(2))
    );

    // Prices go in one bracket order; the resting entry's legs wait for it.
    let mut resting = order("bracket-2", Side::Sell, OrderType::Limit, 1.0);
    resting.limit_price = Some(6010.0);
    resting.take_profit = Some(Exit::Price(6000.0));
    resting.stop_loss = Some(Exit::Price(6015.0));
    let working = tradovate
        .place_order(account, &resting)
        .await
        .expect("placed");
    assert_eq!(working.status, OrderStatus::Working);
    assert_eq!(sim.requests(VENUE, "/order/placeoso").await.len(), 1);
    let open = tradovate.open_orders(account).await.expect("open orders");
    let mine = open
        .iter()
        .find(|o| o.order_id == working.order_id)
        .expect("the entry is open");
    assert_eq!(
        (mine.limit_price, mine.order_type),
        (Some(6010.0), OrderType::Limit)
    );
    assert_eq!(mine.client_order_id, "bracket-2");
    let cancelled = tradovate
        .cancel_order(account, &working.order_id)
        .await
        .expect("cancelled");
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert!(matches!(
        tradovate.cancel_order(account, &working.order_id).await,
        Err(BrokerError::Rejected(_))
    ));
    assert!(matches!(
        tradovate
            .place_order(account, &order("half", Side::Buy, OrderType::Market, 0.5))
            .await,
        Err(BrokerError::Rejected(_))
    ));

    // Flatten: the position closed and nothing left working (the brackets included).
    let mut far = order("far-below", Side::Buy, OrderType::Limit, 1.0);
    far.limit_price = Some(5000.0);
    tradovate.place_order(account, &far).await.expect("placed");
    tradovate
        .flatten(account, Some("ES"))
        .await
        .expect("flattened");
    let snapshot = tradovate.snapshot(account).await.expect("a snapshot");
    assert!(snapshot.positions.is_empty(), "{:?}", snapshot.positions);
    let orders = sim_orders(&sim, account).await;
    assert!(
        live(&orders).is_empty(),
        "left working: {:?}",
        live(&orders)
    );
    assert!(
        tradovate
            .open_orders(account)
            .await
            .expect("open orders")
            .is_empty()
    );

    // Every order said it was automated and carried our client order id.
    for path in ["/order/place", "/orderstrategy/startorderstrategy"] {
        for request in sim.requests(VENUE, path).await {
            let sent = body(&request);
            assert_eq!(sent["isAutomated"], true, "{sent}");
            assert!(
                sent["clOrdId"].as_str().is_some_and(|id| !id.is_empty()),
                "{sent}"
            );
        }
    }
    for request in sim.requests(VENUE, "/order/liquidateposition").await {
        let sent = body(&request);
        assert_eq!(
            (sent["isAutomated"].clone(), sent["admin"].clone()),
            (json!(true), json!(false))
        );
    }
    assert_eq!(logins(&sim).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placement_whose_answer_was_lost_is_found_and_never_sent_twice() {
    let sim = venue().await;
    let accounts = user(&sim, "unsure", &["DEMO500"]).await;
    let account = &accounts[0].1;
    let tradovate = adapter(&sim, "unsure", PASSWORD, Scope::All);
    set_price(&sim, "ES", 6000.0).await;
    tradovate.accounts().await.expect("logged in");

    sim.post(
        "/tradovate/faults",
        json!({ "path": "/v1/order/placeorder", "kind": "drop_answer" }),
    )
    .await;
    let request = order("lost-answer", Side::Buy, OrderType::Market, 1.0);
    let err = tradovate
        .place_order(account, &request)
        .await
        .expect_err("the answer is lost");
    assert!(matches!(err, BrokerError::UnknownOutcome(_)), "{err:?}");
    // As the copier does: look it up by our client order id, then (were it missing) resend.
    let found = tradovate
        .find_order(account, "lost-answer")
        .await
        .expect("looked up")
        .expect("the order exists");
    assert_eq!(
        (found.status, found.filled_quantity),
        (OrderStatus::Filled, 1.0)
    );
    assert_eq!(
        (found.average_price, found.client_order_id.as_str()),
        (Some(6000.0), "lost-answer")
    );
    let again = tradovate
        .place_order(account, &request)
        .await
        .expect("answered");
    assert_eq!(again.order_id, found.order_id);
    let orders = sim_orders(&sim, account).await;
    assert_eq!(orders.len(), 1, "one order at the venue: {orders:?}");
    assert!(
        tradovate
            .find_order(account, "never-sent")
            .await
            .expect("looked up")
            .is_none()
    );
}
