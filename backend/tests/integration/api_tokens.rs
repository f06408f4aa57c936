//! API tokens as an integrator uses them (docs/security.md, "Sessions, sudo mode and API
//! tokens"): created in sudo mode and shown once, limited to their scopes, never reaching the
//! account, listed with their last use, revocable, and all revoked by a password change.

use chrono::Duration;
use serde_json::{Value, json};

use crate::support::trading::create_webhook;
use crate::support::{Backend, Caller, TestApp, database_contains, on_both_databases};

const PASSWORD: &str = "a long trading passphrase";
const CREATE: &str = "mutation($n: String!, $s: [ApiTokenScope!]!, $x: DateTime!) {
    createApiToken(name: $n, scopes: $s, expiresAt: $x) {
        token apiToken { id name scopes tokenHint createdAt expiresAt lastUsedAt } } }";
const LIST: &str = "{ apiTokens { id name scopes tokenHint lastUsedAt } }";

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

fn in_days(app: &TestApp, days: i64) -> String {
    (app.clock.clock().now() + Duration::days(days)).to_rfc3339()
}

/// Creates a token with `scopes` for `owner`; returns the answer's `createApiToken`.
async fn create(app: &TestApp, owner: &Caller, name: &str, scopes: &[&str]) -> Value {
    let answer = app
        .gql_with(
            CREATE,
            json!({ "n": name, "s": scopes, "x": in_days(app, 30) }),
            owner,
        )
        .await
        .json();
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"]["createApiToken"].clone()
}

on_both_databases!(
    a_read_token_reads_and_is_refused_beyond_its_scope,
    no_token_reaches_the_account_whatever_its_scopes,
    a_token_is_shown_once_stored_hashed_and_listed_with_its_last_use,
    revoked_expired_and_password_changed_tokens_stop_working,
    bad_token_requests_say_what_is_wrong,
);

async fn a_read_token_reads_and_is_refused_beyond_its_scope(backend: Backend) {
    let app = TestApp::new(backend).await;
    let owner = app.register_trader("trader@example.com").await;
    create_webhook(&app, &owner, "hook").await;
    let reader = Caller::with_token(
        create(&app, &owner, "dashboard", &["READ"]).await["token"]
            .as_str()
            .unwrap(),
    );

    let read = app
        .gql_with(
            "{ me { email } webhooks { name } tradeLog { edges { cursor } } }",
            json!({}),
            &reader,
        )
        .await
        .json();
    assert!(read["errors"].is_null(), "{read}");
    assert_eq!(read["data"]["me"]["email"], "trader@example.com");
    assert_eq!(read["data"]["webhooks"][0]["name"], "hook");

    for (mutation, needs) in [
        (
            "mutation { killSwitch(flatten: true) { groupsPaused } }",
            "TRADE",
        ),
        (
            "mutation { createWebhook(name: \"x\") { token } }",
            "MANAGE",
        ),
    ] {
        let refused = app.gql_with(mutation, json!({}), &reader).await.json();
        assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
        assert!(refused.to_string().contains(needs), "{refused}");
    }
    // A MANAGE token creates webhooks without sudo mode: the token was made in sudo mode.
    let manager = Caller::with_token(
        create(&app, &owner, "ops", &["MANAGE", "TRADE"]).await["token"]
            .as_str()
            .unwrap(),
    );
    app.clock.advance(Duration::hours(3));
    let made = app
        .gql_with("mutation { createWebhook(name: \"by bot\") { token } killSwitch(flatten: false) { groupsPaused } }", json!({}), &manager)
        .await
        .json();
    assert!(made["errors"].is_null(), "{made}");
}

async fn no_token_reaches_the_account_whatever_its_scopes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let owner = app.register_trader("trader@example.com").await;
    let all = create(&app, &owner, "everything", &["READ", "TRADE", "MANAGE"]).await;
    let token = Caller::with_token(all["token"].as_str().unwrap());
    let expires = in_days(&app, 10);
    for (operation, variables) in [
        (
            "mutation { changePassword(currentPassword: \"a long trading passphrase\", newPassword: \"another long passphrase\") { token } }",
            json!({}),
        ),
        ("mutation { logoutEverywhere }", json!({})),
        (
            "mutation { deleteAccount(password: \"a long trading passphrase\") }",
            json!({}),
        ),
        ("mutation { beginTotpSetup { secret } }", json!({})),
        (
            "mutation { reauthenticate(password: \"a long trading passphrase\") { token } }",
            json!({}),
        ),
        (
            "mutation { linkBrokerAccount(input: { broker: PAPER, environment: DEMO, label: \"p\", credentials: {} }) { id } }",
            json!({}),
        ),
        (
            "mutation($x: DateTime!) { createApiToken(name: \"more\", scopes: [READ], expiresAt: $x) { token } }",
            json!({ "x": expires }),
        ),
        ("{ apiTokens { id } }", json!({})),
        ("{ securityEvents { kind } }", json!({})),
    ] {
        let refused = app.gql_with(operation, variables, &token).await.json();
        assert_eq!(code(&refused), "FORBIDDEN", "{operation}: {refused}");
    }
    // The account is untouched: the password still works, nothing was linked.
    let login = app
        .gql("mutation($p: String!) { login(email: \"trader@example.com\", password: $p) { token } }", json!({ "p": PASSWORD }))
        .await;
    assert!(login["data"]["login"]["token"].is_string(), "{login}");
    let connections = app
        .gql_with("{ brokerConnections { id } }", json!({}), &owner)
        .await
        .json();
    assert_eq!(connections["data"]["brokerConnections"], json!([]));
}

async fn a_token_is_shown_once_stored_hashed_and_listed_with_its_last_use(backend: Backend) {
    let app = TestApp::new(backend).await;
    let owner = app.register_trader("trader@example.com").await;
    let created = create(&app, &owner, "  my bot ", &["READ", "READ"]).await;
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ctk_") && token.len() > 40, "{token}");
    assert_eq!(created["apiToken"]["name"], "my bot");
    assert_eq!(created["apiToken"]["scopes"], json!(["READ"]));
    assert_eq!(created["apiToken"]["tokenHint"], &token[token.len() - 4..]);
    assert!(created["apiToken"]["lastUsedAt"].is_null());
    assert!(
        !database_contains(&app, &token).await,
        "only a hash is stored"
    );

    let listed = app.gql_with(LIST, json!({}), &owner).await.json();
    assert!(!listed.to_string().contains(&token), "{listed}");
    assert!(listed["data"]["apiTokens"][0]["lastUsedAt"].is_null());
    app.gql_with("{ me { id } }", json!({}), &Caller::with_token(&token))
        .await;
    let used = app.gql_with(LIST, json!({}), &owner).await.json();
    assert!(
        used["data"]["apiTokens"][0]["lastUsedAt"].is_string(),
        "{used}"
    );
}

async fn revoked_expired_and_password_changed_tokens_stop_working(backend: Backend) {
    let app = TestApp::new(backend).await;
    let owner = app.register_trader("trader@example.com").await;
    let works = |answer: &Value| answer["data"]["me"]["email"] == "trader@example.com";
    let me = "{ me { email } }";

    // Revoked one by one: that token dies, the other lives.
    let first = create(&app, &owner, "first", &["READ"]).await;
    let second = create(&app, &owner, "second", &["READ"]).await;
    let revoke = app
        .gql_with(
            "mutation($id: ID!) { revokeApiToken(id: $id) }",
            json!({ "id": first["apiToken"]["id"] }),
            &owner,
        )
        .await
        .json();
    assert_eq!(revoke["data"]["revokeApiToken"], true, "{revoke}");
    let first_token = Caller::with_token(first["token"].as_str().unwrap());
    let second_token = Caller::with_token(second["token"].as_str().unwrap());
    assert_eq!(
        code(&app.gql_with(me, json!({}), &first_token).await.json()),
        "UNAUTHENTICATED"
    );
    assert!(works(
        &app.gql_with(me, json!({}), &second_token).await.json()
    ));
    // Another user cannot revoke it: not found, and it keeps working.
    let other = app.register_trader("other@example.com").await;
    let theirs = app
        .gql_with(
            "mutation($id: ID!) { revokeApiToken(id: $id) }",
            json!({ "id": second["apiToken"]["id"] }),
            &other,
        )
        .await
        .json();
    assert_eq!(code(&theirs), "NOT_FOUND");
    assert!(works(
        &app.gql_with(me, json!({}), &second_token).await.json()
    ));

    // A password change revokes every token.
    let changed = app
        .gql_with("mutation($p: String!) { changePassword(currentPassword: $p, newPassword: \"another long passphrase\") { token } }", json!({ "p": PASSWORD }), &owner)
        .await
        .json();
    let owner = Caller::with_token(changed["data"]["changePassword"]["token"].as_str().unwrap());
    assert_eq!(
        code(&app.gql_with(me, json!({}), &second_token).await.json()),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.gql_with(LIST, json!({}), &owner).await.json()["data"]["apiTokens"],
        json!([])
    );

    // A token dies at its expiry.
    let short = create(&app, &owner, "short", &["READ"]).await;
    let short_token = Caller::with_token(short["token"].as_str().unwrap());
    assert!(works(
        &app.gql_with(me, json!({}), &short_token).await.json()
    ));
    app.clock.advance(Duration::days(31));
    assert_eq!(
        code(&app.gql_with(me, json!({}), &short_token).await.json()),
        "UNAUTHENTICATED"
    );
}

async fn bad_token_requests_say_what_is_wrong(backend: Backend) {
    let app = TestApp::new(backend).await;
    let owner = app.register_trader("trader@example.com").await;
    for (name, scopes, expires, field) in [
        ("", json!(["READ"]), in_days(&app, 1), "name"),
        ("bot", json!([]), in_days(&app, 1), "scopes"),
        ("bot", json!(["READ"]), in_days(&app, -1), "expiresAt"),
        ("bot", json!(["READ"]), in_days(&app, 400), "expiresAt"),
    ] {
        let answer = app
            .gql_with(
                CREATE,
                json!({ "n": name, "s": scopes, "x": expires }),
                &owner,
            )
            .await
            .json();
        assert_eq!(code(&answer), "INVALID_INPUT", "{answer}");
        assert_eq!(
            answer["errors"][0]["extensions"]["field"], field,
            "{answer}"
        );
    }
}
