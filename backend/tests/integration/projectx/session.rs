//! The login: one sign-in per adapter, what a refused one tells the user, the token rotating
//! through `Auth/validate` (the newest used everywhere), and the request budget.

use std::time::{Duration, Instant};

use copytrade::brokers::projectx::Settings;
use copytrade::brokers::{BrokerAdapter, BrokerError};
use serde_json::json;

use super::{adapter, adapter_with, bearer, eventually, venue, venue_with};

#[tokio::test]
async fn one_sign_in_serves_every_call_and_only_tradable_accounts_are_listed() {
    let (sim, ids) = venue_with(json!([
        { "name": "50K-EVAL-1", "balance": 50000.0 },
        { "name": "BREACHED-2", "balance": 47000.0, "canTrade": false },
    ]))
    .await;
    let px = adapter(&sim);
    px.authenticate().await.expect("the key signs in");
    let accounts = px.accounts().await.expect("the accounts");
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(accounts[0].external_id, ids[0]);
    assert_eq!(accounts[0].name, "50K-EVAL-1");
    let snapshot = px.snapshot(&ids[0]).await.expect("a snapshot");
    assert_eq!(snapshot.balance, Some(50000.0));
    assert!(snapshot.positions.is_empty());
    let permissions = px.permissions().await.expect("permissions");
    assert_eq!(permissions.can_withdraw, Some(false));
    assert_eq!(permissions.can_trade, Some(true));
    assert!(matches!(
        px.snapshot("not-a-number").await,
        Err(BrokerError::UnknownAccount(_))
    ));
    // Every call went out with the one token of the one sign-in.
    assert_eq!(
        sim.requests("projectx", "/api/Auth/loginKey").await.len(),
        1
    );
    let searches = sim.requests("projectx", "/api/Account/search").await;
    assert!(searches.iter().all(|r| bearer(r) == bearer(&searches[0])));
}

#[tokio::test]
async fn refused_sign_ins_say_what_the_user_must_fix() {
    let (sim, _) = venue().await;
    let wrong = adapter_with(&sim, "not-the-key", Settings::default());
    let err = wrong
        .authenticate()
        .await
        .expect_err("a wrong key is refused");
    assert!(matches!(err, BrokerError::BadCredentials(_)), "{err:?}");
    // The key never shows in what the user reads.
    assert!(!err.to_string().contains(super::KEY));

    sim.post(
        "/projectx/users",
        json!({ "userName": "no-addon", "apiKey": "addon-key", "apiSubscription": false, "accounts": [] }),
    )
    .await;
    let px = copytrade::brokers::projectx::ProjectXAdapter::new(
        copytrade::brokers::http::HttpClient::new(Duration::from_secs(3)).expect("a client"),
        super::endpoint(&sim),
        copytrade::vault::SecretString::new("no-addon"),
        copytrade::vault::SecretString::new("addon-key"),
    );
    match px.authenticate().await {
        Err(BrokerError::PermissionDenied(message)) => {
            assert!(message.contains("API access add-on"), "{message}");
        }
        other => panic!("a login without the API add-on is refused as such: {other:?}"),
    }
    assert!(matches!(
        px.accounts().await,
        Err(BrokerError::PermissionDenied(_))
    ));
}

#[tokio::test]
async fn an_expired_token_signs_in_again_once_and_the_call_goes_through() {
    let (sim, _) = venue().await;
    let px = adapter(&sim);
    px.authenticate().await.expect("signed in");
    sim.post("/projectx/tokens/expire", json!({})).await;
    let accounts = px.accounts().await.expect("the call survives the expiry");
    assert_eq!(accounts.len(), 1);
    let logins = sim.requests("projectx", "/api/Auth/loginKey").await;
    assert_eq!(logins.len(), 2, "one sign-in after the refused token");
    let searches = sim.requests("projectx", "/api/Account/search").await;
    assert_eq!(searches.len(), 2, "the refused call and its one retry");
    assert_ne!(bearer(&searches[0]), bearer(&searches[1]));
}

#[tokio::test]
async fn the_token_rotates_and_the_newest_one_serves_rest_and_the_hub() {
    let (sim, _) = venue().await;
    // A rotated token dies at once, so any use of an old one would show.
    sim.post("/projectx/config", json!({ "oldTokenGraceSeconds": 0 }))
        .await;
    let settings = Settings {
        renew_after: Duration::from_secs(2),
        ..Settings::default()
    };
    let px = adapter_with(&sim, super::KEY, settings);
    let _events = px.events();
    let first_hub = eventually("the hub connects", || async {
        sim.requests("projectx", "/hubs/user")
            .await
            .into_iter()
            .find(|r| r["method"] == "GET")
    })
    .await;
    let first_token = first_hub["query"]
        .as_str()
        .and_then(|q| q.strip_prefix("access_token="))
        .expect("the hub URL carries the token")
        .to_owned();
    // The timer renews the session without any call asking for it.
    let renewal = eventually("the session is renewed", || async {
        sim.requests("projectx", "/api/Auth/validate")
            .await
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(bearer(&renewal), first_token);
    px.accounts().await.expect("the renewed token works");
    let searches = sim.requests("projectx", "/api/Account/search").await;
    let used = bearer(searches.last().expect("the account search"));
    assert_ne!(used, first_token, "REST went on with the rotated-out token");

    // A reconnect uses a renewed token too (the first one is dead by now).
    sim.post("/projectx/streams/drop", json!({})).await;
    let second_hub = eventually("the hub reconnects", || async {
        let hubs: Vec<_> = sim
            .requests("projectx", "/hubs/user")
            .await
            .into_iter()
            .filter(|r| r["method"] == "GET")
            .collect();
        (hubs.len() >= 2).then(|| hubs[1].clone())
    })
    .await;
    assert!(
        !second_hub["query"]
            .as_str()
            .unwrap_or_default()
            .contains(&first_token)
    );
    eventually("the reconnected hub stays up", || async {
        let streams = sim.get("/projectx/streams").await;
        (streams["connected"] == 1 && streams["opened"].as_u64() >= Some(2)).then_some(())
    })
    .await;
    // Never a second sign-in: rotation kept the session.
    assert_eq!(
        sim.requests("projectx", "/api/Auth/loginKey").await.len(),
        1
    );
}

#[tokio::test]
async fn the_minute_budget_is_waited_for_instead_of_failing() {
    let (sim, account) = venue().await;
    sim.post("/projectx/config", json!({ "requestsPer60s": 4 }))
        .await;
    let settings = Settings {
        requests_per_window: 4,
        ..Settings::default()
    };
    let px = adapter_with(&sim, super::KEY, settings);
    for _ in 0..2 {
        px.snapshot(&account).await.expect("within the budget");
    }
    // The budget (4 calls; a snapshot takes 2) is spent: the next call waits for room rather
    // than going out into a 429.
    let waiting = tokio::time::timeout(Duration::from_secs(2), px.accounts()).await;
    assert!(
        waiting.is_err(),
        "the call went out beyond the budget: {waiting:?}"
    );
    let counted = sim.requests("projectx", "/api/").await.len();
    assert_eq!(
        counted,
        1 + 4,
        "the sign-in and the four calls of the budget"
    );

    // Without the budget, the venue's limit answers 429: the limit is real.
    let eager = adapter_with(
        &sim,
        super::KEY,
        Settings {
            requests_per_window: 1000,
            ..Settings::default()
        },
    );
    let err = eager.accounts().await.expect_err("over the venue's limit");
    assert!(matches!(err, BrokerError::RateLimited { .. }), "{err:?}");
}

#[tokio::test]
async fn a_429_pauses_the_next_calls_for_its_retry_after() {
    let (sim, _) = venue().await;
    let px = adapter(&sim);
    px.authenticate().await.expect("signed in");
    sim.post(
        "/projectx/faults",
        json!({ "path": "/api/Account/search", "kind": "status", "status": 429, "headers": { "Retry-After": "1" } }),
    )
    .await;
    let refused_at = Instant::now();
    match px.accounts().await {
        Err(BrokerError::RateLimited { retry_after_ms }) => assert_eq!(retry_after_ms, 1000),
        other => panic!("a 429 asks to slow down: {other:?}"),
    }
    // The next call waits the second out, and then goes through.
    let accounts = px.accounts().await.expect("after the pause");
    assert_eq!(accounts.len(), 1);
    assert!(refused_at.elapsed() >= Duration::from_millis(950));
    assert_eq!(
        sim.requests("projectx", "/api/Account/search").await.len(),
        2
    );
}
