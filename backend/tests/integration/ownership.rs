//! Mixed ownership (SEC-12), as an attacker with an account of their own tries it: naming
//! another trader's webhook, copy group, follower, trading account or broker connection in
//! any mutation, or in a trade-log filter, answers `NOT_FOUND`, exactly as an id that does not
//! exist, and changes nothing on either side.

use serde_json::{Value, json};

use crate::support::trading::{create_webhook, link_paper, ok};
use crate::support::{Backend, Caller, TestApp, on_both_databases};

/// What one trader has set up: a paper connection, a webhook and a group copying it to the
/// connection's account.
struct Setup {
    connection: Value,
    account: Value,
    webhook: Value,
    group: Value,
    follower: Value,
}

async fn set_up(app: &TestApp, trader: &Caller, name: &str) -> Setup {
    let linked = link_paper(app, trader, name, 10_000.0).await;
    let (webhook, _, _) = create_webhook(app, trader, name).await;
    let group = ok(
        &app.router,
        trader,
        "mutation($input: CreateCopyGroupInput!) { createCopyGroup(input: $input) { id } }",
        json!({ "input": { "name": name, "webhookId": webhook } }),
    )
    .await["createCopyGroup"]["id"]
        .clone();
    let account = linked["accounts"][0]["id"].clone();
    let follower = ok(
        &app.router,
        trader,
        "mutation($input: AddFollowerInput!) { addFollower(input: $input) { id } }",
        json!({ "input": { "copyGroupId": group, "tradingAccountId": account } }),
    )
    .await["addFollower"]["id"]
        .clone();
    Setup {
        connection: linked["id"].clone(),
        account,
        webhook,
        group,
        follower,
    }
}

/// Everything a trader can read about what they set up.
async fn everything(app: &TestApp, trader: &Caller) -> Value {
    ok(
        &app.router,
        trader,
        "{ webhooks { id name tokenHint requireSignature allowedIps lastSignalAt }
           recentSignals(first: 50) { id }
           copyGroups { id name enabled webhookId leaderAccountId
             followers { id tradingAccountId enabled multiplier fixedQuantity invert } }
           brokerConnections { id label status lastError credentialHint credentialsUpdatedAt
             lastCheckedAt accounts { id name balance } }
           tradeLog(first: 50) { edges { node { signal { id } } } } }",
        json!({}),
    )
    .await
}

async fn naming_another_traders_objects_answers_not_found_and_changes_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mallory = app.register_trader("mallory@example.com").await;
    let alice = app.register_trader("alice@example.com").await;
    let own = set_up(&app, &mallory, "Mallory").await;
    let theirs = set_up(&app, &alice, "Alice").await;
    let alice_before = everything(&app, &alice).await;
    let mallory_before = everything(&app, &mallory).await;

    let group_input =
        "mutation($input: CreateCopyGroupInput!) { createCopyGroup(input: $input) { id } }";
    let update_group =
        "mutation($input: UpdateCopyGroupInput!) { updateCopyGroup(input: $input) { id } }";
    let add_follower = "mutation($input: AddFollowerInput!) { addFollower(input: $input) { id } }";
    let attempts = [
        // Her webhook or her account behind a group of mine.
        (
            group_input,
            json!({ "input": { "name": "Stolen signals", "webhookId": theirs.webhook } }),
        ),
        (
            group_input,
            json!({ "input": { "name": "Mirror her", "leaderAccountId": theirs.account } }),
        ),
        (
            update_group,
            json!({ "input": { "id": own.group, "name": "Mallory", "webhookId": theirs.webhook } }),
        ),
        (
            update_group,
            json!({ "input": { "id": own.group, "name": "Mallory", "leaderAccountId": theirs.account } }),
        ),
        // Her account following my group; my account following hers.
        (
            add_follower,
            json!({ "input": { "copyGroupId": own.group, "tradingAccountId": theirs.account } }),
        ),
        (
            add_follower,
            json!({ "input": { "copyGroupId": theirs.group, "tradingAccountId": own.account } }),
        ),
        // Her follower.
        (
            "mutation($input: UpdateFollowerInput!) { updateFollower(input: $input) { id } }",
            json!({ "input": { "id": theirs.follower, "multiplier": 50.0 } }),
        ),
        (
            "mutation($id: ID!) { setFollowerEnabled(id: $id, enabled: false) { id } }",
            json!({ "id": theirs.follower }),
        ),
        (
            "mutation($id: ID!) { removeFollower(id: $id) }",
            json!({ "id": theirs.follower }),
        ),
        // Her group.
        (
            update_group,
            json!({ "input": { "id": theirs.group, "name": "Hijacked", "webhookId": own.webhook } }),
        ),
        (
            "mutation($id: ID!) { setCopyGroupEnabled(id: $id, enabled: false) { id } }",
            json!({ "id": theirs.group }),
        ),
        (
            "mutation($id: ID!) { deleteCopyGroup(id: $id) }",
            json!({ "id": theirs.group }),
        ),
        // Her webhook.
        (
            "mutation($id: ID!) { updateWebhook(id: $id, input: { name: \"Hijacked\", allowedIps: [] }) { id } }",
            json!({ "id": theirs.webhook }),
        ),
        (
            "mutation($id: ID!) { rotateWebhookToken(id: $id) { token } }",
            json!({ "id": theirs.webhook }),
        ),
        (
            "mutation($id: ID!) { sendTestSignal(id: $id) { status } }",
            json!({ "id": theirs.webhook }),
        ),
        (
            "mutation($id: ID!) { deleteWebhook(id: $id) }",
            json!({ "id": theirs.webhook }),
        ),
        // Her broker connection.
        (
            "mutation($id: ID!) { testBrokerConnection(id: $id) { id } }",
            json!({ "id": theirs.connection }),
        ),
        (
            "mutation($id: ID!) { updateBrokerCredentials(id: $id, credentials: {}) { id } }",
            json!({ "id": theirs.connection }),
        ),
        (
            "mutation($id: ID!) { unlinkBrokerAccount(id: $id) }",
            json!({ "id": theirs.connection }),
        ),
        // Her copies in my trade log.
        (
            "query($f: TradeLogFilterInput) { tradeLog(filter: $f) { edges { cursor } } }",
            json!({ "f": { "copyGroupId": theirs.group } }),
        ),
        (
            "query($f: TradeLogFilterInput) { tradeLog(filter: $f) { edges { cursor } } }",
            json!({ "f": { "tradingAccountId": theirs.account } }),
        ),
    ];
    for (operation, variables) in &attempts {
        let answer = app
            .gql_with(operation, variables.clone(), &mallory)
            .await
            .json();
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{operation} with {variables}: {answer}"
        );
        assert!(
            answer["data"].is_null()
                || answer["data"]
                    .as_object()
                    .is_some_and(|d| d.values().all(Value::is_null)),
            "{operation}: {answer}"
        );
    }

    assert_eq!(everything(&app, &alice).await, alice_before);
    assert_eq!(everything(&app, &mallory).await, mallory_before);
}

on_both_databases!(naming_another_traders_objects_answers_not_found_and_changes_nothing);
