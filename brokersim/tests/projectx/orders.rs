//! Orders through the gateway: fills, bracket legs, their rules, and closing positions.

use serde_json::{Value, json};

use crate::support::Sim;

fn orders_with_status(orders: &Value, status: i64) -> Vec<&Value> {
    orders
        .as_array()
        .expect("an order list")
        .iter()
        .filter(|o| o["status"] == status)
        .collect()
}

#[tokio::test]
async fn a_filled_entry_releases_its_suspended_brackets_at_signed_offsets() {
    let sim = Sim::start().await;
    let (token, account_id) = sim.trader("ann").await;
    let contract_id = sim.front(&token, "ES").await;
    sim.control("prices", json!({ "symbol": "ES", "price": 6000.0 }))
        .await;

    // A resting limit entry: its legs wait suspended, out of searchOpen.
    let limit = sim.ok("Order/place", &token, json!({
        "accountId": account_id, "contractId": contract_id, "type": 1, "side": 0, "size": 2, "limitPrice": 5990.0,
        "stopLossBracket": { "ticks": -8, "type": 4 }, "takeProfitBracket": { "ticks": 12, "type": 1 },
    })).await;
    assert_eq!(limit["success"], true, "{limit:?}");
    let open = sim
        .ok(
            "Order/searchOpen",
            &token,
            json!({ "accountId": account_id }),
        )
        .await;
    assert_eq!(open["orders"].as_array().map(Vec::len), Some(1), "{open:?}");
    let all = sim
        .ok("Order/search", &token, json!({ "accountId": account_id }))
        .await;
    assert_eq!(orders_with_status(&all["orders"], 8).len(), 2);

    let moved = sim
        .control("prices", json!({ "symbol": "ES", "price": 5989.75 }))
        .await;
    assert_eq!(moved["filledOrderIds"], json!([limit["orderId"]]));
    let open = sim
        .ok(
            "Order/searchOpen",
            &token,
            json!({ "accountId": account_id }),
        )
        .await;
    let legs = orders_with_status(&open["orders"], 1);
    let stop = legs
        .iter()
        .find(|o| o["type"] == 4)
        .expect("the stop-loss leg");
    let target = legs
        .iter()
        .find(|o| o["type"] == 1)
        .expect("the take-profit leg");
    assert_eq!(
        (stop["stopPrice"].clone(), stop["side"].clone()),
        (json!(5988.0), json!(1))
    );
    assert_eq!(target["limitPrice"], json!(5993.0));
    let positions = sim
        .ok(
            "Position/searchOpen",
            &token,
            json!({ "accountId": account_id }),
        )
        .await;
    let position = &positions["positions"][0];
    assert_eq!(
        (
            position["type"].clone(),
            position["size"].clone(),
            position["averagePrice"].clone()
        ),
        (json!(1), json!(2), json!(5990.0))
    );
}

#[tokio::test]
async fn a_filled_take_profit_cancels_the_stop_and_books_the_profit() {
    let sim = Sim::start().await;
    let (token, account_id) = sim.trader("ann").await;
    let contract_id = sim.front(&token, "MNQ").await;
    let placed = sim.ok("Order/place", &token, json!({
        "accountId": account_id, "contractId": contract_id, "type": 2, "side": 1, "size": 1,
        "stopLossBracket": { "ticks": 20, "type": 4 }, "takeProfitBracket": { "ticks": -40, "type": 1 },
    })).await;
    let entry_id = placed["orderId"].as_i64().expect("an order id");
    assert!(
        entry_id > i64::from(i32::MAX),
        "order ids exceed 2^31: {entry_id}"
    );

    // Short from 21000: the take-profit buys back 40 ticks lower.
    sim.control("prices", json!({ "symbol": "MNQ", "price": 20990.0 }))
        .await;
    let orders = sim
        .ok("Order/search", &token, json!({ "accountId": account_id }))
        .await;
    let legs: Vec<&Value> = orders["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter(|o| o["id"] != entry_id)
        .collect();
    let target = legs
        .iter()
        .find(|o| o["type"] == 1)
        .expect("the take-profit");
    let stop = legs.iter().find(|o| o["type"] == 4).expect("the stop-loss");
    assert_eq!(
        (target["status"].clone(), target["filledPrice"].clone()),
        (json!(2), json!(20990.0))
    );
    assert_eq!(stop["status"], 3, "the sibling is cancelled");

    let trades = sim
        .ok("Trade/search", &token, json!({ "accountId": account_id }))
        .await;
    let trades = trades["trades"].as_array().expect("trades");
    assert_eq!(
        trades[0]["profitAndLoss"],
        Value::Null,
        "an opening half-turn"
    );
    assert_eq!(trades[1]["profitAndLoss"], json!(20.0), "40 ticks at $0.50");
    let positions = sim
        .ok(
            "Position/searchOpen",
            &token,
            json!({ "accountId": account_id }),
        )
        .await;
    assert_eq!(positions["positions"], json!([]));
}

#[tokio::test]
async fn bracket_rules_and_reused_custom_tags_are_refused_with_code_2() {
    let sim = Sim::start().await;
    let (token, account_id) = sim.trader("ann").await;
    let contract_id = sim.front(&token, "ES").await;
    let order = |tag: &str, stop_ticks: i64, stop_type: i64| {
        json!({
            "accountId": account_id, "contractId": contract_id, "type": 2, "side": 0, "size": 1, "customTag": tag,
            "stopLossBracket": { "ticks": stop_ticks, "type": stop_type },
        })
    };

    let wrong_sign = sim.ok("Order/place", &token, order("t1", 40, 4)).await;
    assert_eq!(wrong_sign["errorCode"], 2);
    assert_eq!(
        wrong_sign["errorMessage"],
        "Invalid stop loss ticks (40). Ticks should be less than zero when longing."
    );
    assert!(
        wrong_sign["orderId"].is_i64(),
        "a rejected record: {wrong_sign:?}"
    );
    let wrong_type = sim.ok("Order/place", &token, order("t2", -40, 1)).await;
    assert_eq!(
        wrong_type["errorMessage"],
        "Invalid stop loss type (Limit)."
    );
    let too_close = sim.ok("Order/place", &token, order("t3", -2, 4)).await;
    assert_eq!(
        too_close["errorMessage"],
        "Stop loss tick value should be at least 4 ticks."
    );

    // The rejected order's tag stays used.
    let reused = sim.ok("Order/place", &token, order("t1", -40, 4)).await;
    assert_eq!(reused["errorCode"], 2);
    assert!(
        reused["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("already in use")),
        "{reused:?}"
    );

    sim.control("config", json!({ "bracketSign": "positive" }))
        .await;
    let positive = sim.ok("Order/place", &token, order("t4", 40, 4)).await;
    assert_eq!(positive["success"], true, "{positive:?}");

    sim.control(
        "accounts",
        json!({ "accountId": account_id, "autoOcoBrackets": false }),
    )
    .await;
    let no_oco = sim.ok("Order/place", &token, order("t5", 40, 4)).await;
    assert_eq!(
        no_oco["errorMessage"],
        "Brackets cannot be used with Position Brackets"
    );
}

#[tokio::test]
async fn close_contract_flattens_but_leaves_the_brackets_working() {
    let sim = Sim::start().await;
    let (token, account_id) = sim.trader("ann").await;
    let contract_id = sim.front(&token, "CL").await;
    sim.ok("Order/place", &token, json!({
        "accountId": account_id, "contractId": contract_id, "type": 2, "side": 0, "size": 3,
        "stopLossBracket": { "ticks": -10, "type": 4 }, "takeProfitBracket": { "ticks": 10, "type": 1 },
    })).await;
    let closed = sim
        .ok(
            "Position/closeContract",
            &token,
            json!({ "accountId": account_id, "contractId": contract_id }),
        )
        .await;
    assert_eq!(closed["success"], true, "{closed:?}");
    let positions = sim
        .ok(
            "Position/searchOpen",
            &token,
            json!({ "accountId": account_id }),
        )
        .await;
    assert_eq!(positions["positions"], json!([]));
    let open = sim
        .ok(
            "Order/searchOpen",
            &token,
            json!({ "accountId": account_id }),
        )
        .await;
    assert_eq!(
        open["orders"].as_array().map(Vec::len),
        Some(2),
        "both legs still work: {open:?}"
    );
    let again = sim
        .ok(
            "Position/closeContract",
            &token,
            json!({ "accountId": account_id, "contractId": contract_id }),
        )
        .await;
    assert_eq!(again["errorCode"], 2, "no position left");
}
