//! Contracts and orders: resolving symbols, brackets from the fill, cancelling, flattening
//! with nothing left working, and `customTag` never used twice, even after a rejection or a
//! lost answer.

use copytrade::brokers::projectx::{BracketSign, Settings};
use copytrade::brokers::{BrokerAdapter, BrokerError, Exit, OrderStatus, Side};
use serde_json::json;

use super::{
    adapter, adapter_with, bodies, bracketed, limit, market, placements_tagged, venue,
    venue_orders_tagged, venue_with,
};

#[tokio::test]
async fn symbols_resolve_to_front_month_contracts_and_es_never_picks_mes() {
    let (sim, _) = venue().await;
    let px = adapter(&sim);
    // The copier sees contracts by name (`ESZ6`); the venue gets their ids.
    let is_contract_of = |symbol: &str, root: &str| {
        symbol.len() == root.len() + 2
            && symbol.starts_with(root)
            && symbol[root.len()..root.len() + 1]
                .chars()
                .all(|c| "FGHJKMNQUVXZ".contains(c))
            && symbol[root.len() + 1..].chars().all(|c| c.is_ascii_digit())
    };
    let es = px.instrument("ES").await.expect("ES resolves");
    assert!(is_contract_of(&es.symbol, "ES"), "{es:?}");
    assert_eq!(
        (es.tick_size, es.multiplier, es.lot_size),
        (0.25, 50.0, 1.0)
    );
    let mes = px.instrument("mes").await.expect("MES resolves");
    assert!(is_contract_of(&mes.symbol, "MES"), "{mes:?}");
    assert_eq!(mes.multiplier, 5.0);
    // A full name and a contract id name the same contract.
    assert_eq!(
        px.instrument(&mes.symbol).await.expect("by name").symbol,
        mes.symbol
    );
    let id = format!("CON.F.US.MES.{}2{}", &mes.symbol[3..4], &mes.symbol[4..]);
    assert_eq!(px.instrument(&id).await.expect("by id").symbol, mes.symbol);
    assert!(matches!(
        px.instrument("XYZ").await,
        Err(BrokerError::UnknownSymbol(_))
    ));
    // Resolutions are kept for the day.
    let searches = sim.requests("projectx", "/api/Contract/search").await.len();
    px.instrument("ES").await.expect("cached");
    assert_eq!(
        sim.requests("projectx", "/api/Contract/search").await.len(),
        searches
    );
}

#[tokio::test]
async fn a_bracketed_market_order_fills_and_its_legs_work_from_the_fill() {
    let (sim, account) = venue().await;
    let px = adapter(&sim);
    let placed = px
        .place_order(&account, &bracketed("ct-bracket-1", Side::Buy, 8.0, 16.0))
        .await
        .expect("placed");
    assert_eq!(placed.client_order_id, "ct-bracket-1");
    assert!(placed.order_id.parse::<i64>().expect("a numeric id") > i64::from(i32::MAX));
    let sent = bodies(&sim, "/api/Order/place").await;
    assert_eq!(sent[0]["customTag"], "ct-bracket-1");
    assert_eq!(
        sent[0]["accountId"],
        account.parse::<i64>().expect("numeric")
    );
    assert_eq!(
        sent[0]["stopLossBracket"],
        json!({ "ticks": -8, "type": 4 })
    );
    assert_eq!(
        sent[0]["takeProfitBracket"],
        json!({ "ticks": 16, "type": 1 })
    );
    assert_eq!(
        (sent[0]["type"].clone(), sent[0]["side"].clone()),
        (json!(2), json!(0))
    );

    let found = px
        .find_order(&account, "ct-bracket-1")
        .await
        .expect("looked up")
        .expect("found by its tag");
    assert_eq!(found.status, OrderStatus::Filled);
    let fill = found.average_price.expect("a fill price");
    let position = px.snapshot(&account).await.expect("a snapshot").positions;
    assert_eq!(position.len(), 1);
    assert_eq!(
        (position[0].quantity, position[0].symbol.clone()),
        (1.0, placed.symbol.clone())
    );
    // The legs work at 8 and 16 ticks from the fill.
    let mut legs = px.open_orders(&account).await.expect("working orders");
    legs.sort_by(|a, b| a.order_type.as_str().cmp(b.order_type.as_str()));
    assert_eq!(legs.len(), 2, "{legs:?}");
    assert_eq!(legs[0].limit_price, Some(fill + 4.0));
    assert_eq!(legs[1].stop_price, Some(fill - 2.0));
    assert!(legs.iter().all(|leg| leg.side == Side::Sell));
}

#[tokio::test]
async fn a_resting_order_is_cancelled_once() {
    let (sim, account) = venue().await;
    let px = adapter(&sim);
    let resting = px
        .place_order(&account, &limit("ct-rest-1", Side::Buy, 5900.0))
        .await
        .expect("placed");
    assert_eq!(resting.status, OrderStatus::Working);
    assert_eq!(px.open_orders(&account).await.expect("listed").len(), 1);
    let cancelled = px
        .cancel_order(&account, &resting.order_id)
        .await
        .expect("cancelled");
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(cancelled.client_order_id, "ct-rest-1");
    assert!(px.open_orders(&account).await.expect("listed").is_empty());
    assert!(matches!(
        px.cancel_order(&account, &resting.order_id).await,
        Err(BrokerError::Rejected(_))
    ));
}

#[tokio::test]
async fn flatten_closes_the_position_then_cancels_the_legs_it_leaves_working() {
    let (sim, account) = venue().await;
    let px = adapter(&sim);
    px.place_order(&account, &bracketed("ct-flat-1", Side::Sell, 10.0, 20.0))
        .await
        .expect("placed");
    assert_eq!(px.open_orders(&account).await.expect("legs").len(), 2);
    px.flatten(&account, Some("ES")).await.expect("flattened");
    assert!(
        px.snapshot(&account)
            .await
            .expect("snapshot")
            .positions
            .is_empty()
    );
    assert!(px.open_orders(&account).await.expect("listed").is_empty());
    let venue_orders = sim
        .get(&format!("/projectx/orders?accountId={account}"))
        .await;
    let working = venue_orders["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter(|o| [1, 6, 7, 8].contains(&o["status"].as_i64().unwrap_or(0)))
        .count();
    assert_eq!(working, 0, "{venue_orders}");
    // The close came first; the legs were cancelled after it.
    let journal = sim.requests("projectx", "/api/").await;
    let at = |path: &str| journal.iter().position(|r| r["path"] == path);
    let close = at("/api/Position/closeContract").expect("closeContract was called");
    let cancel = at("/api/Order/cancel").expect("the legs were cancelled");
    assert!(close < cancel);
}

#[tokio::test]
async fn waiting_bracket_legs_count_as_working_even_without_the_v2_query() {
    let (sim, account) = venue().await;
    let px = adapter(&sim);
    // A resting entry: its legs wait, suspended, for the fill.
    let mut entry = bracketed("ct-wait-1", Side::Buy, 8.0, 16.0);
    entry.order_type = copytrade::brokers::OrderType::Limit;
    entry.limit_price = Some(5900.0);
    px.place_order(&account, &entry).await.expect("placed");
    assert_eq!(px.open_orders(&account).await.expect("listed").len(), 3);
    // Where `Order/v2/query` is not served, `searchOpen` and the day's orders stand in.
    sim.post(
        "/projectx/faults",
        json!({ "path": "/api/Order/v2/query", "kind": "status", "status": 404 }),
    )
    .await;
    let searches = sim
        .requests("projectx", "/api/Order/searchOpen")
        .await
        .len();
    assert_eq!(px.open_orders(&account).await.expect("listed").len(), 3);
    assert_eq!(
        sim.requests("projectx", "/api/Order/searchOpen")
            .await
            .len(),
        searches + 1
    );
    px.flatten(&account, None).await.expect("flattened");
    assert!(px.open_orders(&account).await.expect("listed").is_empty());
}

#[tokio::test]
async fn brackets_on_the_wrong_side_or_too_close_are_never_sent() {
    let (sim, account) = venue().await;
    let px = adapter(&sim);
    let mut wrong = market("ct-wrong-1", Side::Buy, 1.0);
    wrong.reference_price = Some(6000.0);
    wrong.take_profit = Some(Exit::Price(5990.0));
    assert!(matches!(
        px.place_order(&account, &wrong).await,
        Err(BrokerError::Rejected(m)) if m.contains("wrong side")
    ));
    assert!(matches!(
        px.place_order(&account, &bracketed("ct-near-1", Side::Sell, 2.0, 12.0)).await,
        Err(BrokerError::Rejected(m)) if m.contains("at least 4")
    ));
    assert!(bodies(&sim, "/api/Order/place").await.is_empty());

    // Where a venue wants positive distances, the setting sends them so.
    sim.post("/projectx/config", json!({ "bracketSign": "positive" }))
        .await;
    let positive = adapter_with(
        &sim,
        super::KEY,
        Settings {
            bracket_sign: BracketSign::Positive,
            ..Settings::default()
        },
    );
    positive
        .place_order(&account, &bracketed("ct-pos-1", Side::Buy, 8.0, 16.0))
        .await
        .expect("placed with positive ticks");
    let sent = bodies(&sim, "/api/Order/place").await;
    assert_eq!(sent[0]["stopLossBracket"]["ticks"], 8);
}

#[tokio::test]
async fn a_rejected_tag_is_never_sent_again() {
    let (sim, ids) = venue_with(json!([{ "name": "NO-OCO", "autoOcoBrackets": false }])).await;
    let account = &ids[0];
    let px = adapter(&sim);
    let order = bracketed("ct-rejected-1", Side::Buy, 8.0, 16.0);
    match px.place_order(account, &order).await {
        Err(BrokerError::Rejected(message)) => {
            assert!(message.contains("Brackets cannot be used"), "{message}");
        }
        other => panic!("the venue refuses brackets here: {other:?}"),
    }
    // The copier sends the same order again: the adapter finds the rejected one instead.
    let again = px
        .place_order(account, &order)
        .await
        .expect("the venue's answer");
    assert_eq!(again.status, OrderStatus::Rejected);
    assert_eq!(again.client_order_id, "ct-rejected-1");
    assert_eq!(placements_tagged(&sim, "ct-rejected-1").await, 1);
    let found = px
        .find_order(account, "ct-rejected-1")
        .await
        .expect("looked up");
    assert_eq!(found.map(|o| o.status), Some(OrderStatus::Rejected));
}

#[tokio::test]
async fn a_lost_answer_is_reconciled_without_a_second_order() {
    let (sim, account) = venue().await;
    let px = adapter(&sim);
    sim.post(
        "/projectx/faults",
        json!({ "path": "/api/Order/place", "kind": "drop_answer" }),
    )
    .await;
    let order = market("ct-lost-1", Side::Buy, 2.0);
    let err = px
        .place_order(&account, &order)
        .await
        .expect_err("the answer was lost");
    assert!(matches!(err, BrokerError::UnknownOutcome(_)), "{err:?}");
    let found = px
        .find_order(&account, "ct-lost-1")
        .await
        .expect("looked up")
        .expect("the venue took it");
    assert_eq!(found.status, OrderStatus::Filled);
    // A resend returns that order rather than making a second one.
    let again = px.place_order(&account, &order).await.expect("reconciled");
    assert_eq!(again.order_id, found.order_id);
    assert_eq!(placements_tagged(&sim, "ct-lost-1").await, 1);
    assert_eq!(
        venue_orders_tagged(&sim, &account, "ct-lost-1").await.len(),
        1
    );
}

#[tokio::test]
async fn a_429_on_a_placement_is_looked_up_before_it_goes_again() {
    let (sim, account) = venue().await;
    let px = adapter(&sim);
    sim.post(
        "/projectx/faults",
        json!({ "path": "/api/Order/place", "kind": "status", "status": 429, "headers": { "Retry-After": "1" } }),
    )
    .await;
    let order = market("ct-busy-1", Side::Sell, 1.0);
    let err = px
        .place_order(&account, &order)
        .await
        .expect_err("slowed down");
    assert!(matches!(err, BrokerError::UnknownOutcome(_)), "{err:?}");
    assert_eq!(
        px.find_order(&account, "ct-busy-1")
            .await
            .expect("looked up"),
        None
    );
    let placed = px
        .place_order(&account, &order)
        .await
        .expect("sent after the pause");
    assert_eq!(placed.client_order_id, "ct-busy-1");
    assert_eq!(
        venue_orders_tagged(&sim, &account, "ct-busy-1").await.len(),
        1
    );
}

#[tokio::test]
async fn a_refusal_that_may_use_the_tag_up_retries_under_a_derived_tag() {
    let (sim, account) = venue().await;
    let px = adapter(&sim);
    // The venue answers "tag in use" for a tag no order carries (it went with a refusal).
    sim.post(
        "/projectx/faults",
        json!({ "path": "/api/Order/place", "kind": "venue_error", "code": 2,
            "message": "Custom tag 'ct-burnt-1' is already in use for this account." }),
    )
    .await;
    let order = market("ct-burnt-1", Side::Buy, 1.0);
    let err = px.place_order(&account, &order).await.expect_err("refused");
    assert!(err.is_retryable(), "{err:?}");
    let placed = px.place_order(&account, &order).await.expect("sent again");
    assert_eq!(placed.client_order_id, "ct-burnt-1");
    assert_eq!(placements_tagged(&sim, "ct-burnt-1").await, 1);
    assert_eq!(placements_tagged(&sim, "ct-burnt-1-r2").await, 1);
    let found = px
        .find_order(&account, "ct-burnt-1")
        .await
        .expect("looked up");
    assert_eq!(found.map(|o| o.order_id), Some(placed.order_id));
}
