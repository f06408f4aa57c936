//! Webhooks as a trader sets them up and TradingView (or a script) calls them: every signal is
//! stored before the answer, duplicates place nothing, malformed ones are logged as rejected,
//! and a token works only for its owner's webhook until it is rotated.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::trading::{copies_of, create_webhook, post_signal_from};
use crate::support::{Backend, Caller, TestApp, TestResponse, on_both_databases};

/// POSTs a body to a webhook as TradingView does (text/plain), from `ip`.
async fn post_signal(
    app: &TestApp,
    token: &str,
    body: &str,
    ip: [u8; 4],
    signature: Option<String>,
) -> TestResponse {
    post_signal_from(&app.router, token, body, ip, signature).await
}

const TRADINGVIEW_ALERT: &str = r#"{"ticker":"ES1!","action":"buy","sentiment":"long","quantity":"2","price":"6012.25","time":"2026-11-29T10:00:00Z","interval":"5"}"#;

async fn recent(app: &TestApp, trader: &Caller) -> Vec<Value> {
    let answer = app
        .gql_with(
            "{ recentSignals(first: 50) { id status rawPayload errorField error outcome } }",
            json!({}),
            trader,
        )
        .await
        .json();
    answer["data"]["recentSignals"].as_array().unwrap().clone()
}

async fn a_signal_is_stored_before_the_answer_and_repeats_place_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("hooks@example.com").await;
    let (_, url, token) = create_webhook(&app, &trader, "ES strategy").await;
    assert!(url.ends_with(&format!("/hooks/{token}")), "{url}");
    assert!(token.len() >= 43, "a token of at least 256 bits: {token}");

    let accepted = post_signal(&app, &token, TRADINGVIEW_ALERT, [52, 89, 214, 238], None).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    let first = accepted.json()["signalId"].clone();
    assert_eq!(accepted.json()["status"], "accepted");

    // TradingView resends: the same body within 5 seconds is the same signal.
    let again = post_signal(&app, &token, TRADINGVIEW_ALERT, [52, 89, 214, 238], None).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.json(),
        json!({ "signalId": first, "status": "duplicate" })
    );
    app.clock.advance(chrono::Duration::seconds(6));
    let later = post_signal(&app, &token, TRADINGVIEW_ALERT, [52, 89, 214, 238], None).await;
    assert_eq!(later.status, 202, "a later identical alert is a new signal");

    // With an id, the same id is a duplicate whenever it comes.
    let with_id = r#"Alert fired: {"ticker":"NQ1!","action":"SELL","quantity":1,"id":"order-77"}"#;
    let first_with_id = post_signal(&app, &token, with_id, [1, 2, 3, 4], None).await;
    assert_eq!(first_with_id.status, 202, "{}", first_with_id.text());
    app.clock.advance(chrono::Duration::hours(1));
    let replay = post_signal(&app, &token, with_id, [1, 2, 3, 4], None).await;
    assert_eq!(replay.json()["status"], "duplicate");
    assert_eq!(replay.json()["signalId"], first_with_id.json()["signalId"]);

    // A malformed signal is answered with what is wrong, and logged as rejected.
    let malformed = post_signal(
        &app,
        &token,
        r#"{"ticker":"ES1!","action":"hold"}"#,
        [1, 2, 3, 4],
        None,
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.json()["status"], "rejected");
    assert_eq!(malformed.json()["error"]["field"], "action");

    let log = recent(&app, &trader).await;
    assert_eq!(log.len(), 4, "{log:?}");
    assert_eq!(log[0]["status"], "REJECTED");
    assert_eq!(log[0]["errorField"], "action");
    assert_eq!(log[0]["rawPayload"], r#"{"ticker":"ES1!","action":"hold"}"#);
    assert!(log[1..].iter().all(|s| s["status"] == "ACCEPTED"));
    // No copy group uses the webhook: the copier says so, and places nothing.
    let first_id = log[3]["id"].clone();
    let copied = copies_of(&app.router, &trader, &first_id, 0).await;
    assert!(
        copied["signal"]["outcome"]
            .as_str()
            .unwrap()
            .contains("no copy group"),
        "{copied}"
    );
    let hooks = app
        .gql_with(
            "{ webhooks { name lastSignalAt tokenHint } }",
            json!({}),
            &trader,
        )
        .await
        .json();
    assert!(!hooks["data"]["webhooks"][0]["lastSignalAt"].is_null());
    assert!(
        !hooks.to_string().contains(&token),
        "the token is shown only once"
    );

    // Too large a body is refused before anything is read.
    let huge = format!(
        r#"{{"ticker":"ES1!","action":"buy","comment":"{}"}}"#,
        "x".repeat(17_000)
    );
    assert_eq!(
        post_signal(&app, &token, &huge, [1, 2, 3, 4], None)
            .await
            .status,
        413
    );
}

async fn an_unknown_or_rotated_token_reveals_nothing_and_traders_stay_apart(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.register_trader("alice-hooks@example.com").await;
    let bob = app.register_trader("bob-hooks@example.com").await;
    let (alice_hook, _, old_token) = create_webhook(&app, &alice, "alice").await;

    let unknown = post_signal(&app, "not-a-token", TRADINGVIEW_ALERT, [1, 2, 3, 4], None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json(), json!({ "error": "not found" }));

    let rotated = app
        .gql_with(
            "mutation($id: ID!) { rotateWebhookToken(id: $id) { token url } }",
            json!({ "id": alice_hook }),
            &alice,
        )
        .await
        .json();
    let new_token = rotated["data"]["rotateWebhookToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_token, old_token);
    let old = post_signal(&app, &old_token, TRADINGVIEW_ALERT, [1, 2, 3, 4], None).await;
    assert_eq!(
        (old.status.as_u16(), old.json()),
        (404, json!({ "error": "not found" }))
    );
    assert_eq!(
        post_signal(&app, &new_token, TRADINGVIEW_ALERT, [1, 2, 3, 4], None)
            .await
            .status,
        202
    );

    // Bob sees none of it and can change none of it.
    assert!(recent(&app, &bob).await.is_empty());
    let bobs_view = app
        .gql_with("{ webhooks { id } }", json!({}), &bob)
        .await
        .json();
    assert_eq!(bobs_view["data"]["webhooks"], json!([]));
    for mutation in [
        "mutation($id: ID!) { rotateWebhookToken(id: $id) { token } }",
        "mutation($id: ID!) { deleteWebhook(id: $id) }",
        "mutation($id: ID!) { updateWebhook(id: $id, input: { name: \"mine\" }) { id } }",
    ] {
        let answer = app
            .gql_with(mutation, json!({ "id": alice_hook }), &bob)
            .await
            .json();
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{mutation}: {answer}"
        );
    }
    assert_eq!(recent(&app, &alice).await.len(), 1);

    // The web app's "send test signal": the owner only, logged like any other.
    let test = "mutation($id: ID!, $p: String) { sendTestSignal(id: $id, payload: $p) { status signalId errorField error } }";
    let strangers = app
        .gql_with(test, json!({ "id": alice_hook }), &bob)
        .await
        .json();
    assert_eq!(strangers["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let sample = app
        .gql_with(test, json!({ "id": alice_hook }), &alice)
        .await
        .json();
    assert_eq!(
        sample["data"]["sendTestSignal"]["status"], "accepted",
        "{sample}"
    );
    let broken = app
        .gql_with(
            test,
            json!({ "id": alice_hook, "p": "{\"ticker\":\"ES1!\"}" }),
            &alice,
        )
        .await
        .json();
    assert_eq!(broken["data"]["sendTestSignal"]["status"], "rejected");
    assert_eq!(broken["data"]["sendTestSignal"]["errorField"], "action");
    assert_eq!(recent(&app, &alice).await.len(), 3);

    // Deleting the webhook kills its URL; the log keeps what it received.
    let deleted = app
        .gql_with(
            "mutation($id: ID!) { deleteWebhook(id: $id) }",
            json!({ "id": alice_hook }),
            &alice,
        )
        .await
        .json();
    assert_eq!(deleted["data"]["deleteWebhook"], true);
    assert_eq!(
        post_signal(&app, &new_token, TRADINGVIEW_ALERT, [1, 2, 3, 4], None)
            .await
            .status,
        404
    );
    assert_eq!(recent(&app, &alice).await.len(), 3);
}

fn sign(token: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={hex}")
}

async fn signatures_and_allow_lists_keep_strangers_out(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("signed@example.com").await;
    let (hook, _, token) = create_webhook(&app, &trader, "signed").await;
    let update = "mutation($id: ID!, $i: UpdateWebhookInput!) { updateWebhook(id: $id, input: $i) { requireSignature allowedIps } }";
    let required = app
        .gql_with(
            update,
            json!({ "id": hook, "i": { "requireSignature": true } }),
            &trader,
        )
        .await
        .json();
    assert_eq!(required["data"]["updateWebhook"]["requireSignature"], true);

    let unsigned = post_signal(&app, &token, TRADINGVIEW_ALERT, [1, 2, 3, 4], None).await;
    assert_eq!(unsigned.status, 401);
    let now = app.clock.clock().now().timestamp();
    let forged = post_signal(
        &app,
        &token,
        TRADINGVIEW_ALERT,
        [1, 2, 3, 4],
        Some(sign("wrong", now, TRADINGVIEW_ALERT)),
    )
    .await;
    assert_eq!(forged.status, 401);
    let stale = post_signal(
        &app,
        &token,
        TRADINGVIEW_ALERT,
        [1, 2, 3, 4],
        Some(sign(&token, now - 600, TRADINGVIEW_ALERT)),
    )
    .await;
    assert_eq!(stale.status, 401);
    let signed = post_signal(
        &app,
        &token,
        TRADINGVIEW_ALERT,
        [1, 2, 3, 4],
        Some(sign(&token, now, TRADINGVIEW_ALERT)),
    )
    .await;
    assert_eq!(signed.status, 202, "{}", signed.text());

    let preset = app
        .gql_with(
            update,
            json!({ "id": hook, "i": { "requireSignature": false, "tradingviewOnly": true } }),
            &trader,
        )
        .await
        .json();
    assert_eq!(
        preset["data"]["updateWebhook"]["allowedIps"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let stranger = post_signal(
        &app,
        &token,
        r#"{"ticker":"CL1!","action":"sell"}"#,
        [8, 8, 8, 8],
        None,
    )
    .await;
    assert_eq!(stranger.status, 403);
    let tradingview = post_signal(
        &app,
        &token,
        r#"{"ticker":"CL1!","action":"sell"}"#,
        [34, 212, 75, 30],
        None,
    )
    .await;
    assert_eq!(tradingview.status, 202, "{}", tradingview.text());

    let bad_list = app
        .gql_with(
            update,
            json!({ "id": hook, "i": { "allowedIps": ["not an ip"] } }),
            &trader,
        )
        .await
        .json();
    assert_eq!(
        bad_list["errors"][0]["extensions"]["field"], "allowedIps",
        "{bad_list}"
    );

    // Refused requests are in the log too, with why.
    let log = recent(&app, &trader).await;
    let refused: Vec<_> = log.iter().filter(|s| s["status"] == "REJECTED").collect();
    assert_eq!(refused.len(), 4, "{log:?}");
    assert!(refused.iter().any(|s| s["errorField"] == "client address"));
    assert!(
        refused
            .iter()
            .any(|s| s["errorField"] == "X-CopyTrade-Signature")
    );
}

on_both_databases!(
    a_signal_is_stored_before_the_answer_and_repeats_place_nothing,
    an_unknown_or_rotated_token_reveals_nothing_and_traders_stay_apart,
    signatures_and_allow_lists_keep_strangers_out,
);
