//! Tradovate's ways of saying "slow down": penalty tickets waited out, captchas and 429s that
//! stop the calls.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn penalties_are_waited_out_and_captchas_and_429s_stop_calling() {
    let mut sim = venue().await;
    let accounts = user(&sim, "penalised", &["DEMO400"]).await;
    let account = &accounts[0].1;
    let tradovate = adapter(&sim, "penalised", PASSWORD, Scope::All);
    set_price(&sim, "ES", 6000.0).await;

    // A penalty ticket: wait p-time, resend the identical body plus the ticket.
    sim.post(
        "/tradovate/penalty",
        json!({ "path": "order/placeorder", "pTime": 1 }),
    )
    .await;
    tradovate
        .place_order(
            account,
            &order("ticketed", Side::Buy, OrderType::Market, 1.0),
        )
        .await
        .expect("placed after the wait");
    let sent = sim.requests(VENUE, "/order/placeorder").await;
    assert_eq!(sent.len(), 2);
    let (first, second) = (body(&sent[0]), body(&sent[1]));
    assert!(second["p-ticket"].is_string(), "{second}");
    let mut without = second.clone();
    without
        .as_object_mut()
        .expect("an object")
        .remove("p-ticket");
    assert_eq!(
        without, first,
        "the resend is the identical body plus the ticket"
    );
    assert_eq!(
        sim.get("/tradovate/orders").await.as_array().map(Vec::len),
        Some(1)
    );

    // A captcha: ActionRequired, and no further call until the user says it is solved.
    let fresh = adapter(&sim, "penalised", PASSWORD, Scope::All);
    sim.post("/tradovate/config", json!({ "captchaBlockSeconds": 1 }))
        .await;
    sim.post(
        "/tradovate/penalty",
        json!({ "path": "auth/accesstokenrequest", "captcha": true }),
    )
    .await;
    let err = fresh.accounts().await.expect_err("a captcha");
    assert!(matches!(err, BrokerError::ActionRequired(_)), "{err:?}");
    assert!(err.to_string().contains("Test connection"), "{err}");
    let tried = logins(&sim).await;
    assert!(matches!(
        fresh.accounts().await,
        Err(BrokerError::ActionRequired(_))
    ));
    assert_eq!(logins(&sim).await, tried, "no call while the captcha holds");
    // "Test connection" tries again once the user solved it.
    eventually(10, "the login goes through again", || async {
        fresh.authenticate().await.is_ok()
    })
    .await;
    assert_eq!(fresh.accounts().await.expect("accounts").len(), 1);

    // A user-level 429: slow down for an hour, without calling again meanwhile.
    sim.post(
        "/tradovate/faults",
        json!({ "path": "/v1/order/list", "kind": "status", "status": 429 }),
    )
    .await;
    let err = tradovate
        .open_orders(account)
        .await
        .expect_err("rate limited");
    assert_eq!(
        err,
        BrokerError::RateLimited {
            retry_after_ms: 3_600_000
        }
    );
    let calls = sim.requests(VENUE, "/").await.len();
    assert!(matches!(
        tradovate.snapshot(account).await,
        Err(BrokerError::RateLimited { retry_after_ms }) if retry_after_ms > 3_500_000
    ));
    assert_eq!(
        sim.requests(VENUE, "/").await.len(),
        calls,
        "paused calls never reach Tradovate"
    );
    assert!(sim.is_running(), "the simulator survived");
}
