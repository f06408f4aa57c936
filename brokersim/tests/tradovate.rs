//! The Tradovate simulator over real HTTP: login, tokens, orders with brackets, the rules it
//! enforces, penalty tickets and injected faults.

mod tradovate_common;

use serde_json::{Value, json};
use tradovate_common::{Sim, front, market_buy};

#[tokio::test]
async fn login_answers_a_token_and_refuses_bad_credentials_with_200() {
    let sim = Sim::start().await;
    let (user_id, account_id) = sim.user("alice", "APEX-41234-01").await;

    let wrong = json!({ "name": "alice", "password": "nope", "cid": 8, "sec": "secret" });
    let (status, answer) = sim
        .call(
            "POST",
            "/tradovate/v1/auth/accesstokenrequest",
            None,
            Some(&wrong.to_string()),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        answer["errorText"].is_string() && answer.get("accessToken").is_none(),
        "{answer}"
    );

    // cid as a string is accepted too; a wrong secret is not.
    let bad_app = json!({ "name": "alice", "password": "pw", "cid": "8", "sec": "other" });
    let (status, answer) = sim
        .call(
            "POST",
            "/tradovate/v1/auth/accessTokenRequest",
            None,
            Some(&bad_app.to_string()),
        )
        .await;
    assert_eq!(status, 200);
    assert!(answer["errorText"].is_string(), "{answer}");

    let token = sim.login("alice").await;
    let (status, accounts) = sim.get("account/list", &token).await;
    assert_eq!(status, 200);
    assert_eq!(accounts[0]["id"], account_id);
    assert_eq!(accounts[0]["name"], "APEX-41234-01");
    assert_eq!(accounts[0]["userId"], user_id);
    assert_eq!(accounts[0]["accountType"], "Customer");

    let (status, _) = sim
        .call("GET", "/tradovate/v1/account/list", None, None)
        .await;
    assert_eq!(status, 401, "no token");
    let (status, _) = sim.get("account/nosuchthing", &token).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_expired_token_is_refused_and_renewal_extends_a_live_one() {
    let sim = Sim::start().await;
    sim.user("bob", "BOB-1").await;
    let token = sim.login("bob").await;
    let (status, renewed) = sim.get("auth/renewaccesstoken", &token).await;
    assert_eq!(status, 200);
    assert_eq!(renewed["accessToken"], token.as_str());
    assert!(renewed["expirationTime"].is_string());

    sim.control("tokens/expire", json!({})).await;
    let (status, body) = sim.get("account/list", &token).await;
    assert_eq!(status, 401);
    assert_eq!(body, Value::Null, "an empty body");
    let (status, _) = sim.get("auth/renewaccesstoken", &token).await;
    assert_eq!(status, 401, "an expired session cannot be renewed");
}

#[tokio::test]
async fn an_oso_entry_fills_its_legs_work_and_one_leg_filling_cancels_the_other() {
    let sim = Sim::start().await;
    let (_, account) = sim.user("carol", "CAROL-1").await;
    let token = sim.login("carol").await;
    let (contract_id, symbol) = front(&sim, &token, "ES").await;
    sim.control("prices", json!({ "symbol": "ES", "price": 6000 }))
        .await;

    let mut order = market_buy(account, &symbol, 2);
    order["clOrdId"] = json!("copy-1");
    order["bracket1"] = json!({ "action": "Sell", "orderType": "Limit", "price": 6010.0 });
    order["bracket2"] = json!({ "action": "Sell", "orderType": "Stop", "stopPrice": 5990.0 });
    let (status, placed) = sim.post("order/placeOSO", &token, order).await;
    assert_eq!(status, 200, "{placed}");
    let (entry, take_profit, stop_loss) = (
        placed["orderId"].as_i64().expect("orderId"),
        placed["oso1Id"].as_i64().expect("oso1Id"),
        placed["oso2Id"].as_i64().expect("oso2Id"),
    );

    let status_of = |orders: &Value, id: i64| -> String {
        orders
            .as_array()
            .and_then(|all| all.iter().find(|o| o["id"] == id))
            .map(|o| o["ordStatus"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    };
    let (_, orders) = sim.get("order/list", &token).await;
    assert_eq!(status_of(&orders, entry), "Filled");
    assert_eq!(status_of(&orders, take_profit), "Working");
    assert_eq!(status_of(&orders, stop_loss), "Working");
    assert!(
        orders[0].get("clOrdId").is_none(),
        "clOrdId lives on the Command only"
    );
    let (_, positions) = sim.get("position/list", &token).await;
    assert_eq!(positions[0]["netPos"], 2);
    assert_eq!(positions[0]["netPrice"], 6000.0);
    assert_eq!(positions[0]["contractId"], contract_id);

    let (_, commands) = sim
        .get(&format!("command/deps?masterid={entry}"), &token)
        .await;
    assert_eq!(commands[0]["clOrdId"], "copy-1");
    assert_eq!(commands[0]["commandType"], "New");
    let (_, versions) = sim
        .get(&format!("orderVersion/deps?masterid={take_profit}"), &token)
        .await;
    assert_eq!(versions[0]["price"], 6010.0);

    sim.control("prices", json!({ "symbol": symbol, "price": 6012.5 }))
        .await;
    let (_, orders) = sim.get("order/list", &token).await;
    assert_eq!(status_of(&orders, take_profit), "Filled");
    assert_eq!(status_of(&orders, stop_loss), "Canceled");
    let (_, fills) = sim
        .get(&format!("fill/deps?masterid={take_profit}"), &token)
        .await;
    assert_eq!(
        fills[0]["price"], 6010.0,
        "a resting limit fills at its limit"
    );
    let (_, reports) = sim
        .get(
            &format!("executionReport/deps?masterid={take_profit}"),
            &token,
        )
        .await;
    assert!(
        reports
            .as_array()
            .expect("a list")
            .iter()
            .any(|r| r["execType"] == "Trade" && r["lastQty"] == 2 && r["lastPx"] == 6010.0)
    );
    let (_, positions) = sim.get("position/list", &token).await;
    assert_eq!(positions[0]["netPos"], 0);
    let (_, cash) = sim
        .post(
            "cashBalance/getcashbalancesnapshot",
            &token,
            json!({ "accountId": account }),
        )
        .await;
    assert_eq!(cash["realizedPnL"], 1000.0, "10 points x 2 contracts x $50");
}

#[tokio::test]
async fn order_rules_are_enforced_with_tradovate_shapes() {
    let sim = Sim::start().await;
    let (_, account) = sim.user("dave", "DAVE-1").await;
    let (_, other_account) = sim.user("erin", "ERIN-1").await;
    let token = sim.login("dave").await;
    let (_, symbol) = front(&sim, &token, "MNQ").await;

    let mut human = market_buy(account, &symbol, 1);
    human["isAutomated"] = json!(false);
    let (_, refused) = sim.post("order/placeorder", &token, human).await;
    assert!(refused["failureReason"].is_string(), "{refused}");
    assert!(
        refused["failureText"]
            .as_str()
            .is_some_and(|t| t.contains("isAutomated"))
    );

    let (status, _) = sim
        .post(
            "order/placeorder",
            &token,
            market_buy(account, &symbol, 1).tap(|o| o["orderQty"] = json!("1")),
        )
        .await;
    assert_eq!(status, 400, "a string quantity is refused, never coerced");
    let (status, _) = sim
        .call(
            "POST",
            "/tradovate/v1/order/placeorder",
            Some(&token),
            Some("{not json"),
        )
        .await;
    assert_eq!(status, 400);

    let (_, unknown) = sim
        .post("order/placeorder", &token, market_buy(account, "ZZZ9", 1))
        .await;
    assert_eq!(unknown["failureReason"], "InvalidContract");
    let (_, foreign) = sim
        .post(
            "order/placeorder",
            &token,
            market_buy(other_account, &symbol, 1),
        )
        .await;
    assert!(foreign.get("orderId").is_none() && foreign["failureReason"].is_string());
    let (status, _) = sim
        .get(&format!("account/item?id={other_account}"), &token)
        .await;
    assert_eq!(status, 404, "another user's account is not found");

    // Duplicate clOrdIds are not refused: Tradovate has no idempotency.
    let mut tagged = market_buy(account, &symbol, 1);
    tagged["clOrdId"] = json!("same");
    let (_, first) = sim.post("order/placeorder", &token, tagged.clone()).await;
    let (_, second) = sim.post("order/placeorder", &token, tagged).await;
    assert!(first["orderId"].is_i64() && second["orderId"].is_i64());
    assert_ne!(first["orderId"], second["orderId"]);

    // A session that logged in without a deviceId cannot place orders.
    let no_device = json!({ "name": "dave", "password": "pw", "cid": 8, "sec": "secret" });
    let (_, login) = sim
        .call(
            "POST",
            "/tradovate/v1/auth/accesstokenrequest",
            None,
            Some(&no_device.to_string()),
        )
        .await;
    let bare = login["accessToken"].as_str().expect("a token");
    let (status, _) = sim
        .post("order/placeorder", bare, market_buy(account, &symbol, 1))
        .await;
    assert_eq!(status, 401);
    let sessions = sim.control_get("sessions").await;
    assert!(
        sessions
            .as_array()
            .expect("a list")
            .iter()
            .any(|s| s["deviceId"] == "device-1")
    );
}

#[tokio::test]
async fn a_strategy_places_brackets_at_signed_offsets_once_the_entry_fills() {
    let sim = Sim::start().await;
    let (_, account) = sim.user("fay", "FAY-1").await;
    let token = sim.login("fay").await;
    let (_, symbol) = front(&sim, &token, "NQ").await;
    sim.control("prices", json!({ "symbol": "NQ", "price": 21000 }))
        .await;
    let params = json!({
        "entryVersion": { "orderQty": 1, "orderType": "Market", "timeInForce": "Day" },
        "brackets": [{ "qty": 1, "profitTarget": 20, "stopLoss": -10, "trailingStop": false }],
    });
    let mut body = json!({ "accountId": account, "accountSpec": "FAY-1", "symbol": symbol,
                           "action": "Buy", "orderStrategyTypeId": 2, "isAutomated": true });
    body["params"] = params.clone();
    let (status, _) = sim
        .post("orderStrategy/startOrderStrategy", &token, body.clone())
        .await;
    assert_eq!(status, 400, "params must be a JSON string, not an object");
    body["params"] = json!(params.to_string());
    let (status, started) = sim
        .post("orderStrategy/startorderstrategy", &token, body)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        started["orderStrategy"]["status"], "ActiveStrategy",
        "{started}"
    );

    let orders = sim
        .control_get(&format!("orders?accountId={account}"))
        .await;
    let working: Vec<&Value> = orders
        .as_array()
        .expect("a list")
        .iter()
        .filter(|o| o["ordStatus"] == "Working")
        .collect();
    assert_eq!(working.len(), 2, "{orders}");
    assert!(
        working
            .iter()
            .any(|o| o["orderType"] == "Limit" && o["price"] == 21020.0)
    );
    assert!(
        working
            .iter()
            .any(|o| o["orderType"] == "Stop" && o["stopPrice"] == 20990.0)
    );
}

#[tokio::test]
async fn a_penalty_ticket_is_served_on_resend_a_fault_applies_once_and_429_limits() {
    let sim = Sim::start().await;
    let (_, account) = sim.user("gus", "GUS-1").await;
    let token = sim.login("gus").await;
    let (_, symbol) = front(&sim, &token, "CL").await;
    sim.control(
        "penalty",
        json!({ "path": "/v1/order/placeorder", "pTime": 0, "captcha": false, "count": 1 }),
    )
    .await;
    let order = market_buy(account, &symbol, 1);
    let (status, penalty) = sim.post("order/placeorder", &token, order.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(penalty["p-captcha"], false);
    let ticket = penalty["p-ticket"].as_str().expect("a ticket").to_owned();
    let mut resend = order.clone();
    resend["p-ticket"] = json!(ticket);
    let (_, placed) = sim.post("order/placeorder", &token, resend).await;
    assert!(placed["orderId"].is_i64(), "{placed}");

    sim.control(
        "faults",
        json!({ "path": "/v1/order/placeorder", "kind": "status", "status": 503 }),
    )
    .await;
    let (status, _) = sim.post("order/placeorder", &token, order.clone()).await;
    assert_eq!(status, 503);
    let (status, placed) = sim.post("order/placeorder", &token, order).await;
    assert_eq!(status, 200);
    assert!(
        placed["orderId"].is_i64(),
        "the fault was one-shot: {placed}"
    );

    // Past the per-user limit: HTTP 429 with an empty body (a fresh user: an empty minute).
    sim.control("config", json!({ "requestsPerMinute": 1 }))
        .await;
    sim.user("hal", "HAL-1").await;
    let fresh = sim.login("hal").await;
    let (status, _) = sim.get("account/list", &fresh).await;
    assert_eq!(status, 200);
    let (status, body) = sim.get("account/list", &fresh).await;
    assert_eq!((status, body), (429, Value::Null));
}

/// `value.tap(|v| ...)`: a changed copy, for one-line variations of a request.
trait Tap {
    fn tap(self, change: impl FnOnce(&mut Self)) -> Self;
}

impl Tap for Value {
    fn tap(mut self, change: impl FnOnce(&mut Self)) -> Self {
        change(&mut self);
        self
    }
}
