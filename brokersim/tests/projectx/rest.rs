//! The gateway's REST side: logins and tokens, the JSON rules, faults and the rate limit.

use serde_json::{Value, json};

use crate::support::Sim;

#[tokio::test]
async fn login_answers_a_token_and_refuses_bad_keys_unknown_users_and_missing_add_ons() {
    let sim = Sim::start().await;
    sim.control(
        "users",
        json!({ "userName": "ann", "apiKey": "right", "accounts": [{ "name": "A" }] }),
    )
    .await;
    sim.control(
        "users",
        json!({ "userName": "bob", "apiKey": "k", "apiSubscription": false }),
    )
    .await;

    let ok = sim.login("ann", "right").await;
    assert_eq!(
        (ok["success"].clone(), ok["errorCode"].clone()),
        (json!(true), json!(0))
    );
    let token = ok["token"].as_str().expect("a token");
    assert_eq!(token.split('.').count(), 3, "a JWT-looking token: {token}");

    assert_eq!(sim.login("ann", "wrong").await["errorCode"], 3);
    assert_eq!(sim.login("nobody", "right").await["errorCode"], 1);
    let no_add_on = sim.login("bob", "k").await;
    assert_eq!(
        (no_add_on["success"].clone(), no_add_on["errorCode"].clone()),
        (json!(false), json!(9))
    );
    assert_eq!(no_add_on["token"], Value::Null);
}

#[tokio::test]
async fn expired_tokens_get_401_and_validate_reports_code_3() {
    let sim = Sim::start().await;
    let (token, _) = sim.trader("ann").await;
    assert_eq!(
        sim.api(
            "Account/search",
            Some(&token),
            json!({ "onlyActiveAccounts": true })
        )
        .await
        .status,
        200
    );

    sim.control("tokens/expire", json!({})).await;

    let refused = sim
        .api(
            "Account/search",
            Some(&token),
            json!({ "onlyActiveAccounts": true }),
        )
        .await;
    assert_eq!((refused.status, refused.body), (401, Value::Null));
    let validate = sim.api("Auth/validate", Some(&token), json!({})).await;
    assert_eq!(validate.body["errorCode"], 3, "{:?}", validate.body);
    assert_eq!(sim.api("Account/search", None, json!({})).await.status, 401);
}

#[tokio::test]
async fn validate_rotates_the_token_and_logout_ends_the_session() {
    let sim = Sim::start().await;
    let (token, _) = sim.trader("ann").await;
    let validated = sim.ok("Auth/validate", &token, json!({})).await;
    let new_token = validated["newToken"]
        .as_str()
        .expect("a new token")
        .to_owned();
    assert_ne!(new_token, token);
    // Both work until logout, which ends the session they share.
    for t in [&token, &new_token] {
        assert_eq!(
            sim.api(
                "Account/search",
                Some(t),
                json!({ "onlyActiveAccounts": false })
            )
            .await
            .status,
            200
        );
    }
    sim.ok("Auth/logout", &new_token, json!({})).await;
    assert_eq!(
        sim.api(
            "Account/search",
            Some(&token),
            json!({ "onlyActiveAccounts": false })
        )
        .await
        .status,
        401
    );
}

#[tokio::test]
async fn wrong_json_types_are_refused_with_problem_details_not_coerced() {
    let sim = Sim::start().await;
    let (token, account_id) = sim.trader("ann").await;
    let contract_id = sim.front(&token, "ES").await;
    let base = json!({ "accountId": account_id, "contractId": contract_id, "type": 2, "side": 0, "size": 1 });
    for (field, bad) in [
        ("accountId", json!(account_id.to_string())),
        ("size", json!(1.5)),
        ("side", json!("0")),
    ] {
        let mut body = base.clone();
        body[field] = bad;
        let reply = sim.api("Order/place", Some(&token), body).await;
        assert_eq!(reply.status, 400, "{field}: {:?}", reply.body);
        assert_eq!(reply.body["status"], 400);
        assert!(
            reply.body["errors"][format!("$.{field}")].is_array(),
            "{:?}",
            reply.body
        );
    }
    let orders = sim
        .ok("Order/search", &token, json!({ "accountId": account_id }))
        .await;
    assert_eq!(orders["orders"], json!([]), "nothing was placed");
}

#[tokio::test]
async fn an_injected_fault_applies_once_then_the_venue_answers_again() {
    let sim = Sim::start().await;
    let (token, _) = sim.trader("ann").await;
    sim.control(
        "faults",
        json!({ "path": "/api/Account/search", "kind": "status", "status": 503 }),
    )
    .await;
    let body = json!({ "onlyActiveAccounts": true });
    assert_eq!(
        sim.api("Account/search", Some(&token), body.clone())
            .await
            .status,
        503
    );
    let reply = sim.api("Account/search", Some(&token), body).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["accounts"][0]["name"], "50K-1");
}

#[tokio::test]
async fn over_the_rate_limit_answers_429_with_retry_after() {
    let sim = Sim::start().await;
    let (token, _) = sim.trader("ann").await;
    sim.control("config", json!({ "requestsPer60s": 2 })).await;
    let body = json!({ "onlyActiveAccounts": true });
    for _ in 0..2 {
        assert_eq!(
            sim.api("Account/search", Some(&token), body.clone())
                .await
                .status,
            200
        );
    }
    let limited = sim.api("Account/search", Some(&token), body).await;
    assert_eq!(limited.status, 429);
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // Ping is not counted.
    let ping = sim
        .call("GET", "/projectx/api/Status/ping", None, None)
        .await;
    assert_eq!((ping.status, ping.body), (200, json!("pong")));
}
