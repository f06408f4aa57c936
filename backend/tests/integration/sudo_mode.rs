//! Sudo mode (docs/security.md, "Sessions, sudo mode and API tokens"): a stolen session can read,
//! and stop trading, but not re-point the user's money (a new webhook, group or follower, a
//! broker link) or lock them out without the password from the last 2 hours.

use chrono::Duration;
use serde_json::{Value, json};

use crate::support::trading::{create_webhook, link_paper};
use crate::support::{Backend, Caller, TestApp, on_both_databases};

const PASSWORD: &str = "a long trading passphrase";
const REAUTHENTICATE: &str =
    "mutation($p: String!) { reauthenticate(password: $p) { token expiresAt } }";

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

/// Each mutation that needs recent authentication, with variables that would otherwise succeed.
fn sensitive(
    app: &TestApp,
    webhook: &Value,
    group: &Value,
    spare_account: &Value,
    follower: &Value,
) -> Vec<(&'static str, Value)> {
    let expires = (app.clock.clock().now() + Duration::days(30)).to_rfc3339();
    vec![
        (
            "mutation { createWebhook(name: \"new\") { token } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { rotateWebhookToken(id: $id) { token } }",
            json!({ "id": webhook }),
        ),
        (
            "mutation($id: ID!) { updateWebhook(id: $id, input: { allowedIps: [] }) { id } }",
            json!({ "id": webhook }),
        ),
        (
            "mutation($w: ID!) { createCopyGroup(input: { name: \"g2\", webhookId: $w }) { id } }",
            json!({ "w": webhook }),
        ),
        (
            "mutation($g: ID!, $a: ID!) { addFollower(input: { copyGroupId: $g, tradingAccountId: $a, multiplier: 5 }) { id } }",
            json!({ "g": group, "a": spare_account }),
        ),
        (
            "mutation($f: ID!) { updateFollower(input: { id: $f, multiplier: 50 }) { id } }",
            json!({ "f": follower }),
        ),
        (
            "mutation { linkBrokerAccount(input: { broker: PAPER, environment: DEMO, label: \"p2\", credentials: {} }) { id } }",
            json!({}),
        ),
        (
            "mutation($x: DateTime!) { createApiToken(name: \"bot\", scopes: [READ], expiresAt: $x) { token } }",
            json!({ "x": expires }),
        ),
    ]
}

on_both_databases!(
    sensitive_changes_need_a_login_from_the_last_two_hours,
    reauthenticating_needs_the_right_password_and_counts_as_an_attempt,
);

async fn sensitive_changes_need_a_login_from_the_last_two_hours(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("trader@example.com").await;
    // Set up within the sign-up's own sudo window.
    let (webhook, _, _) = create_webhook(&app, &trader, "hook").await;
    let account = link_paper(&app, &trader, "Paper", 100_000.0).await["accounts"][0]["id"].clone();
    let spare = link_paper(&app, &trader, "Spare", 50_000.0).await["accounts"][0]["id"].clone();
    let group = app
        .gql_with(
            "mutation($w: ID!) { createCopyGroup(input: { name: \"g\", webhookId: $w }) { id } }",
            json!({ "w": webhook }),
            &trader,
        )
        .await
        .json()["data"]["createCopyGroup"]["id"]
        .clone();
    let follower = app
        .gql_with(
            "mutation($g: ID!, $a: ID!) { addFollower(input: { copyGroupId: $g, tradingAccountId: $a }) { id } }",
            json!({ "g": group, "a": account }),
            &trader,
        )
        .await
        .json()["data"]["addFollower"]["id"]
        .clone();

    // Two hours and a minute later, the same session (or a thief holding it) is refused.
    app.clock.advance(Duration::minutes(121));
    for (mutation, variables) in sensitive(&app, &webhook, &group, &spare, &follower) {
        let answer = app.gql_with(mutation, variables, &trader).await.json();
        assert_eq!(code(&answer), "REAUTH_REQUIRED", "{mutation}: {answer}");
    }
    // Nothing changed.
    let state = app
        .gql_with(
            "{ webhooks { id } copyGroups { id followers { multiplier } } brokerConnections { id } apiTokens { id } }",
            json!({}),
            &trader,
        )
        .await
        .json();
    let data = &state["data"];
    assert_eq!(data["webhooks"].as_array().unwrap().len(), 1, "{state}");
    assert_eq!(data["copyGroups"].as_array().unwrap().len(), 1, "{state}");
    assert_eq!(data["copyGroups"][0]["followers"][0]["multiplier"], 1.0);
    assert_eq!(data["brokerConnections"].as_array().unwrap().len(), 2);
    assert_eq!(data["apiTokens"].as_array().unwrap().len(), 0);
    // What only reduces exposure still works at once: pause, kill switch, delete.
    let pause = app
        .gql_with(
            "mutation($g: ID!) { setCopyGroupEnabled(id: $g, enabled: false) { enabled } killSwitch(flatten: false) { groupsPaused } }",
            json!({ "g": group }),
            &trader,
        )
        .await
        .json();
    assert!(pause["errors"].is_null(), "{pause}");

    // The password starts a fresh session in sudo mode; the change then goes through.
    let fresh = app
        .gql_with(REAUTHENTICATE, json!({ "p": PASSWORD }), &trader)
        .await
        .json();
    let token = fresh["data"]["reauthenticate"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{fresh}"));
    let again = Caller::with_token(token);
    for (mutation, variables) in sensitive(&app, &webhook, &group, &spare, &follower) {
        let answer = app.gql_with(mutation, variables, &again).await.json();
        assert!(answer["errors"].is_null(), "{mutation}: {answer}");
    }
    let events = app
        .gql_with("{ securityEvents { kind } }", json!({}), &again)
        .await
        .json();
    let kinds = events["data"]["securityEvents"].to_string();
    assert!(
        kinds.contains("REAUTHENTICATED") && kinds.contains("KILL_SWITCH_USED"),
        "{kinds}"
    );
    assert!(
        kinds.contains("WEBHOOK_CREATED") && kinds.contains("API_TOKEN_CREATED"),
        "{kinds}"
    );
}

async fn reauthenticating_needs_the_right_password_and_counts_as_an_attempt(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("trader@example.com").await;
    app.clock.advance(Duration::hours(3));
    let thief = Caller {
        ip: Some([203, 0, 113, 4].into()),
        ..trader.clone()
    };
    for i in 0..10 {
        let wrong = app
            .gql_with(REAUTHENTICATE, json!({ "p": format!("guess {i}") }), &thief)
            .await
            .json();
        assert_eq!(code(&wrong), "BAD_CREDENTIALS", "{wrong}");
    }
    let refused = app
        .gql_with(REAUTHENTICATE, json!({ "p": PASSWORD }), &thief)
        .await
        .json();
    assert_eq!(code(&refused), "RATE_LIMITED", "{refused}");
    // Without a session there is nothing to reauthenticate.
    let nobody = app
        .gql_with(REAUTHENTICATE, json!({ "p": PASSWORD }), &Caller::default())
        .await
        .json();
    assert_eq!(code(&nobody), "UNAUTHENTICATED");
}
