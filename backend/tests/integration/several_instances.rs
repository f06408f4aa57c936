//! Several server instances sharing one PostgreSQL database, as in production: the login
//! limits and session revocations hold across all of them.

use serde_json::json;

use crate::support::live::{next_message, subscribe_to_fills};
use crate::support::trading::{create_webhook, link_paper, ok, post_signal};
use crate::support::{Backend, Caller, PgTestDb, TestApp};

const PASSWORD: &str = "a long trading passphrase";
const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

/// One instance; all share the database and, as the README requires, the keys.
async fn instance(pg: &PgTestDb) -> TestApp {
    let shared_key = "c2hhcmVkLWtleS1zaGFyZWQta2V5LXNoYXJlZC1rZXk="; // 32 bytes, base64
    let env = [
        ("COPYTRADE_DATABASE_URL", pg.url.as_str()),
        ("COPYTRADE_JWT_SECRET", shared_key),
        ("COPYTRADE_MASTER_KEY", shared_key),
    ];
    TestApp::with_env(Backend::Sqlite, &env).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_limits_and_revocations_hold_across_instances() {
    let pg = PgTestDb::create().await;
    let (a, b) = (instance(&pg).await, instance(&pg).await);
    let answer = a
        .gql("mutation($p: String!) { register(email: \"trader@example.com\", password: $p) { token } }", json!({ "p": PASSWORD }))
        .await;
    let token = answer["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let on_a = a
        .gql_with("{ me { email } }", json!({}), &Caller::with_token(&token))
        .await
        .json();
    assert_eq!(on_a["data"]["me"]["email"], "trader@example.com", "{on_a}");
    // A session made on one instance works on the other, and dies on both when revoked.
    let me = b
        .gql_with("{ me { email } }", json!({}), &Caller::with_token(&token))
        .await
        .json();
    assert_eq!(me["data"]["me"]["email"], "trader@example.com", "{me}");
    a.gql_with(
        "mutation { logoutEverywhere }",
        json!({}),
        &Caller::with_token(&token),
    )
    .await;
    let me = b
        .gql_with("{ me { email } }", json!({}), &Caller::with_token(&token))
        .await
        .json();
    assert_eq!(me["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    // Ten attempts from one IP, spread over both instances, use up that IP's allowance.
    let attacker = Caller::from_ip([203, 0, 113, 77]);
    for n in 0..10 {
        let app = if n % 2 == 0 { &a } else { &b };
        let wrong = app
            .gql_with(
                LOGIN,
                json!({ "e": format!("guess{n}@example.com"), "p": "wrong guess here" }),
                &attacker,
            )
            .await
            .json();
        assert_eq!(wrong["errors"][0]["extensions"]["code"], "BAD_CREDENTIALS");
    }
    for app in [&a, &b] {
        let refused = app
            .gql_with(
                LOGIN,
                json!({ "e": "trader@example.com", "p": PASSWORD }),
                &attacker,
            )
            .await
            .json();
        assert_eq!(refused["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    }
}

/// A trader watching fills on one instance sees the fills another instance placed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fills_reach_the_trader_whichever_instance_they_watch() {
    let pg = PgTestDb::create().await;
    let a = instance(&pg).await;
    let trader = a.register_trader("live@example.com").await;
    let (webhook, _, token) = create_webhook(&a, &trader, "hook").await;
    let linked = link_paper(&a, &trader, "Paper", 50_000.0).await;
    let group = ok(
        &a.router,
        &trader,
        "mutation($i: CreateCopyGroupInput!) { createCopyGroup(input: $i) { id } }",
        json!({ "i": { "name": "g", "webhookId": webhook } }),
    )
    .await["createCopyGroup"]["id"]
        .clone();
    ok(
        &a.router,
        &trader,
        "mutation($i: AddFollowerInput!) { addFollower(input: $i) { id } }",
        json!({ "i": { "copyGroupId": group, "tradingAccountId": linked["accounts"][0]["id"] } }),
    )
    .await;
    let a = a.serve().await;
    let b = instance(&pg).await.serve().await;
    let mut on_b = subscribe_to_fills(b.addr, &trader).await;
    // Both instances listen before the signal goes out.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let sent = post_signal(
        &a.router,
        &token,
        r#"{"ticker":"ES1!","action":"buy","quantity":1}"#,
    )
    .await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    let fill = next_message(&mut on_b)
        .await
        .expect("the fill reaches the other instance");
    assert_eq!(
        fill["payload"]["data"]["tradeFills"]["symbol"], "ES",
        "{fill}"
    );
    assert_eq!(
        fill["payload"]["data"]["tradeFills"]["signalId"],
        sent.json()["signalId"]
    );
}
