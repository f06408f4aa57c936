//! Webhooks as a trader sets them up and TradingView (or a script) calls them: every signal is
//! stored before the answer, duplicates place nothing, malformed ones are logged as rejected,
//! and a token works only for its owner's webhook until it is rotated. Scripts that can set
//! headers sign with the webhook's signing secret (never its URL token); a signed request is
//! taken once and only near its timestamp, and whoever lacks the address or the secret cannot
//! spend the webhook's budget, which holds across instances.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::trading::{copies_of, create_webhook, post_signal_from};
use crate::support::{
    Backend, Caller, PgTestDb, TestApp, TestResponse, database_contains, on_both_databases,
};

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

/// `X-CopyTrade-Signature` as the README tells a script to make it.
fn sign(key: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={hex}")
}

const UPDATE: &str = "mutation($id: ID!, $i: UpdateWebhookInput!) { updateWebhook(id: $id, input: $i) { requireSignature allowedIps } }";

/// A webhook as `createWebhook` or `rotateWebhookToken` shows it, the one time it does.
struct Hook {
    id: Value,
    token: String,
    secret: String,
}

impl Hook {
    fn from_answer(created: &Value) -> Self {
        Self {
            id: created["webhook"]["id"].clone(),
            token: created["token"].as_str().unwrap().to_owned(),
            secret: created["signingSecret"].as_str().unwrap().to_owned(),
        }
    }
}

async fn new_hook(app: &TestApp, trader: &Caller, name: &str) -> Hook {
    let answer = app
        .gql_with(
            "mutation($n: String!) { createWebhook(name: $n) { webhook { id } token signingSecret } }",
            json!({ "n": name }),
            trader,
        )
        .await
        .json();
    assert!(answer["errors"].is_null(), "{answer}");
    Hook::from_answer(&answer["data"]["createWebhook"])
}

async fn rotate(app: &TestApp, trader: &Caller, id: &Value) -> Hook {
    let answer = app
        .gql_with(
            "mutation($id: ID!) { rotateWebhookToken(id: $id) { webhook { id } token signingSecret } }",
            json!({ "id": id }),
            trader,
        )
        .await
        .json();
    assert!(answer["errors"].is_null(), "{answer}");
    Hook::from_answer(&answer["data"]["rotateWebhookToken"])
}

async fn update(app: &TestApp, trader: &Caller, id: &Value, input: Value) -> Value {
    let answer = app
        .gql_with(UPDATE, json!({ "id": id, "i": input }), trader)
        .await
        .json();
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"]["updateWebhook"].clone()
}

/// The server's clock, in unix seconds (tests move it).
fn now(app: &TestApp) -> i64 {
    app.clock.clock().now().timestamp()
}

/// A signal with its own `id`, so that no two are duplicates.
fn order(n: u32) -> String {
    format!(r#"{{"ticker":"ES1!","action":"buy","quantity":1,"id":"order-{n}"}}"#)
}

fn error_of(answer: &TestResponse) -> String {
    answer.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn signatures_and_allow_lists_keep_strangers_out(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("signed@example.com").await;
    let Hook {
        id: hook,
        token,
        secret,
    } = new_hook(&app, &trader, "signed").await;
    let update = UPDATE;
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
        Some(sign(&secret, now - 600, TRADINGVIEW_ALERT)),
    )
    .await;
    assert_eq!(stale.status, 401);
    let signed = post_signal(
        &app,
        &token,
        TRADINGVIEW_ALERT,
        [1, 2, 3, 4],
        Some(sign(&secret, now, TRADINGVIEW_ALERT)),
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

async fn a_signed_webhook_request_replayed_is_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("replay@example.com").await;
    let hook = new_hook(&app, &trader, "script").await;
    update(&app, &trader, &hook.id, json!({ "requireSignature": true })).await;

    let body = r#"{"ticker":"ES1!","action":"buy","quantity":1}"#;
    let header = sign(&hook.secret, now(&app), body);
    let first = post_signal(&app, &hook.token, body, [1, 2, 3, 4], Some(header.clone())).await;
    assert_eq!(first.status, 202, "{}", first.text());

    // Someone who recorded the request sends it again: at once, and after the 5-second
    // duplicate window (where a plain repeat would be a new signal and trade again).
    let at_once = post_signal(&app, &hook.token, body, [6, 6, 6, 6], Some(header.clone())).await;
    assert_eq!(at_once.status, 401, "{}", at_once.text());
    assert!(
        error_of(&at_once).contains("received already"),
        "{}",
        at_once.text()
    );
    app.clock.advance(chrono::Duration::seconds(6));
    let later = post_signal(&app, &hook.token, body, [6, 6, 6, 6], Some(header.clone())).await;
    assert_eq!(later.status, 401, "{}", later.text());
    // Spelling the same signature another way changes nothing.
    let (stamp, tag) = header.split_once(",v1=").unwrap();
    let respelled = format!("{stamp}, v1={}", tag.to_uppercase());
    let respelled = post_signal(&app, &hook.token, body, [6, 6, 6, 6], Some(respelled)).await;
    assert_eq!(respelled.status, 401, "{}", respelled.text());

    // The sender signs each request anew: the same order, signed now, is taken.
    let resigned = sign(&hook.secret, now(&app), body);
    let again = post_signal(&app, &hook.token, body, [1, 2, 3, 4], Some(resigned)).await;
    assert_eq!(again.status, 202, "{}", again.text());

    // A webhook that does not require signatures still takes a signed request once only,
    // and unsigned ones as before (TradingView cannot sign).
    let open = new_hook(&app, &trader, "open").await;
    let signed = sign(&open.secret, now(&app), &order(1));
    let taken = post_signal(
        &app,
        &open.token,
        &order(1),
        [1, 2, 3, 4],
        Some(signed.clone()),
    )
    .await;
    assert_eq!(taken.status, 202, "{}", taken.text());
    let replayed = post_signal(&app, &open.token, &order(1), [1, 2, 3, 4], Some(signed)).await;
    assert_eq!(replayed.status, 401, "{}", replayed.text());
    let unsigned = post_signal(&app, &open.token, &order(2), [1, 2, 3, 4], None).await;
    assert_eq!(unsigned.status, 202, "{}", unsigned.text());

    // Each replay is in the log, saying why; only the two real orders traded on "script".
    let log = recent(&app, &trader).await;
    let replays = log
        .iter()
        .filter(|s| {
            s["errorField"] == "X-CopyTrade-Signature"
                && s["error"].as_str().unwrap().contains("received already")
        })
        .count();
    assert_eq!(replays, 4, "{log:?}");
    assert_eq!(
        log.iter().filter(|s| s["status"] == "ACCEPTED").count(),
        4,
        "{log:?}"
    );
}

async fn a_stale_signature_is_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("stale@example.com").await;
    let hook = new_hook(&app, &trader, "script").await;
    update(&app, &trader, &hook.id, json!({ "requireSignature": true })).await;

    for (n, skew) in [(1, -301), (2, 301), (3, -86_400)] {
        let header = sign(&hook.secret, now(&app) + skew, &order(n));
        let answer = post_signal(&app, &hook.token, &order(n), [1, 2, 3, 4], Some(header)).await;
        assert_eq!(answer.status, 401, "{skew} s: {}", answer.text());
        assert!(error_of(&answer).contains("5 minutes"), "{}", answer.text());
    }
    // A clock a little off is fine.
    let header = sign(&hook.secret, now(&app) - 290, &order(4));
    let taken = post_signal(
        &app,
        &hook.token,
        &order(4),
        [1, 2, 3, 4],
        Some(header.clone()),
    )
    .await;
    assert_eq!(taken.status, 202, "{}", taken.text());
    // Once its timestamp is old, a recorded request is stale, whoever sends it.
    app.clock.advance(chrono::Duration::seconds(20));
    let old = post_signal(&app, &hook.token, &order(4), [6, 6, 6, 6], Some(header)).await;
    assert_eq!(old.status, 401, "{}", old.text());
    assert!(error_of(&old).contains("5 minutes"), "{}", old.text());

    let log = recent(&app, &trader).await;
    let stale = log
        .iter()
        .filter(|s| s["status"] == "REJECTED" && s["error"].as_str().unwrap().contains("5 minutes"))
        .count();
    assert_eq!(stale, 4, "{log:?}");
}

async fn the_url_token_alone_cannot_sign(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("token-signs@example.com").await;
    let hook = new_hook(&app, &trader, "script").await;
    assert!(hook.secret.starts_with("whsec_"), "{}", hook.secret);
    assert!(hook.secret.len() >= 6 + 43, "256 bits: {}", hook.secret);
    assert_ne!(hook.secret, hook.token);
    update(&app, &trader, &hook.id, json!({ "requireSignature": true })).await;

    // Whoever has only the URL (a leaked alert, a proxy's log) signs with the token: refused.
    let forged = sign(&hook.token, now(&app), &order(1));
    let refused = post_signal(&app, &hook.token, &order(1), [1, 2, 3, 4], Some(forged)).await;
    assert_eq!(refused.status, 401, "{}", refused.text());
    assert!(
        error_of(&refused).contains("signing secret"),
        "{}",
        refused.text()
    );
    let signed = sign(&hook.secret, now(&app), &order(1));
    let taken = post_signal(&app, &hook.token, &order(1), [1, 2, 3, 4], Some(signed)).await;
    assert_eq!(taken.status, 202, "{}", taken.text());

    // The secret is shown once: never listed, and not kept in the clear.
    let listed = app
        .gql_with(
            "{ webhooks { id tokenHint requireSignature } }",
            json!({}),
            &trader,
        )
        .await
        .text();
    assert!(!listed.contains(&hook.secret), "{listed}");
    let log = recent(&app, &trader).await;
    assert!(!json!(log).to_string().contains(&hook.secret));
    assert!(
        !database_contains(&app, &hook.secret).await,
        "the signing secret is sealed in the database"
    );
    assert!(!database_contains(&app, &hook.token).await);
}

async fn rotating_the_token_rotates_the_signing_secret(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("rotate-secret@example.com").await;
    let old = new_hook(&app, &trader, "script").await;
    update(&app, &trader, &old.id, json!({ "requireSignature": true })).await;
    let new = rotate(&app, &trader, &old.id).await;
    assert_eq!(new.id, old.id);
    assert_ne!(new.token, old.token);
    assert_ne!(new.secret, old.secret);

    let with_old_secret = sign(&old.secret, now(&app), &order(1));
    let old_url = post_signal(
        &app,
        &old.token,
        &order(1),
        [1, 2, 3, 4],
        Some(with_old_secret.clone()),
    )
    .await;
    assert_eq!(old_url.status, 404);
    let refused = post_signal(
        &app,
        &new.token,
        &order(1),
        [1, 2, 3, 4],
        Some(with_old_secret),
    )
    .await;
    assert_eq!(
        refused.status,
        401,
        "the old secret signs nothing: {}",
        refused.text()
    );
    let with_new_secret = sign(&new.secret, now(&app), &order(1));
    let taken = post_signal(
        &app,
        &new.token,
        &order(1),
        [1, 2, 3, 4],
        Some(with_new_secret),
    )
    .await;
    assert_eq!(taken.status, 202, "{}", taken.text());
}

async fn webhook_changes_go_into_the_security_log(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("hook-events@example.com").await;
    let hook = new_hook(&app, &trader, "script").await;
    rotate(&app, &trader, &hook.id).await;
    // A new name changes nobody's access; the same setting again changes nothing.
    update(&app, &trader, &hook.id, json!({ "name": "renamed" })).await;
    update(&app, &trader, &hook.id, json!({ "requireSignature": true })).await;
    update(&app, &trader, &hook.id, json!({ "requireSignature": true })).await;
    update(&app, &trader, &hook.id, json!({ "tradingviewOnly": true })).await;

    let answer = app
        .gql_with("{ securityEvents { kind } }", json!({}), &trader)
        .await
        .json();
    let kinds: Vec<&str> = answer["data"]["securityEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "WEBHOOK_ACCESS_CHANGED",
            "WEBHOOK_ACCESS_CHANGED",
            "WEBHOOK_ROTATED",
            "WEBHOOK_CREATED",
            "REGISTERED"
        ],
        "{answer}"
    );
    assert!(!answer.to_string().contains(&hook.secret));
}

async fn a_request_with_a_wrong_token_or_signature_does_not_spend_the_webhook_budget(
    backend: Backend,
) {
    // 4 a minute: a burst of 2, then one every 15 seconds.
    let app = TestApp::with_env(backend, &[("COPYTRADE_SIGNAL_RATE", "4")]).await;
    let trader = app.register_trader("budget@example.com").await;
    let hook = new_hook(&app, &trader, "script").await;
    update(
        &app,
        &trader,
        &hook.id,
        json!({ "requireSignature": true, "allowedIps": ["203.0.113.0/24"] }),
    )
    .await;
    const SENDER: [u8; 4] = [203, 0, 113, 5];
    let first = sign(&hook.secret, now(&app), &order(1));
    let taken = post_signal(&app, &hook.token, &order(1), SENDER, Some(first.clone())).await;
    assert_eq!(taken.status, 202, "{}", taken.text());

    // An attacker floods the webhook: guessed tokens, a stranger's address, no signature, a
    // forged one, and the recorded first request again.
    for n in 0..10 {
        let guessed = format!("{}{n}", &hook.token[..20]);
        let unknown = post_signal(&app, &guessed, &order(100 + n), SENDER, None).await;
        assert_eq!(unknown.status, 404);
        let stranger = sign(&hook.secret, now(&app), &order(200 + n));
        let outside = post_signal(
            &app,
            &hook.token,
            &order(200 + n),
            [8, 8, 8, 8],
            Some(stranger),
        )
        .await;
        assert_eq!(outside.status, 403, "{}", outside.text());
        let unsigned = post_signal(&app, &hook.token, &order(300 + n), SENDER, None).await;
        assert_eq!(unsigned.status, 401, "{}", unsigned.text());
        let forged = sign("whsec_guess", now(&app), &order(400 + n));
        let forged = post_signal(&app, &hook.token, &order(400 + n), SENDER, Some(forged)).await;
        assert_eq!(forged.status, 401, "{}", forged.text());
        let replayed = post_signal(&app, &hook.token, &order(1), SENDER, Some(first.clone())).await;
        assert_eq!(replayed.status, 401, "{}", replayed.text());
    }

    // The owner's next signal still goes through; the one after is over the budget, which
    // is real.
    let second = sign(&hook.secret, now(&app), &order(2));
    let taken = post_signal(&app, &hook.token, &order(2), SENDER, Some(second)).await;
    assert_eq!(taken.status, 202, "{}", taken.text());
    let third = sign(&hook.secret, now(&app), &order(3));
    let limited = post_signal(&app, &hook.token, &order(3), SENDER, Some(third.clone())).await;
    assert_eq!(limited.status, 429, "{}", limited.text());
    let wait: i64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=15).contains(&wait), "retry after {wait} s");
    // A request refused for the budget did not use up its signature: sent again once the
    // budget is back, it is taken.
    app.clock.advance(chrono::Duration::seconds(15));
    let retried = post_signal(&app, &hook.token, &order(3), SENDER, Some(third)).await;
    assert_eq!(retried.status, 202, "{}", retried.text());
}

async fn refusals_are_answered_alike_but_logged_only_within_their_own_budget(backend: Backend) {
    // 3 a minute: a burst of 1. Refusals have a budget of the same size, apart.
    let app = TestApp::with_env(backend, &[("COPYTRADE_SIGNAL_RATE", "3")]).await;
    let trader = app.register_trader("refusal-flood@example.com").await;
    let hook = new_hook(&app, &trader, "script").await;
    update(&app, &trader, &hook.id, json!({ "requireSignature": true })).await;

    let answers: Vec<Value> = {
        let mut answers = Vec::new();
        for n in 0..5 {
            let forged = sign("whsec_guess", now(&app), &order(n));
            let answer =
                post_signal(&app, &hook.token, &order(n), [6, 6, 6, 6], Some(forged)).await;
            assert_eq!(answer.status, 401, "{}", answer.text());
            answers.push(answer.json());
        }
        answers
    };
    assert!(answers[0]["signalId"].is_string(), "{}", answers[0]);
    for answer in &answers[1..] {
        assert!(answer["signalId"].is_null(), "not logged: {answer}");
        assert_eq!(answer["error"], answers[0]["error"]);
    }
    assert_eq!(recent(&app, &trader).await.len(), 1);

    let signed = sign(&hook.secret, now(&app), &order(9));
    let taken = post_signal(&app, &hook.token, &order(9), [1, 2, 3, 4], Some(signed)).await;
    assert_eq!(taken.status, 202, "{}", taken.text());
}

async fn a_master_key_rotation_keeps_signing_secrets_working(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("key-rotation-hooks@example.com").await;
    let hooks = [
        new_hook(&app, &trader, "one").await,
        new_hook(&app, &trader, "two").await,
    ];
    // The operator rotates the master key while the server runs: both sealed secrets move to
    // the new key, and the old key is retired only because none is left under it.
    let report = copytrade::app::rotate_master_key(&app.app.config, |_| None)
        .await
        .unwrap();
    assert!(report.contains("re-encrypted 2 record(s)"), "{report}");
    let keys = copytrade::config::MasterKeys::reload_files(&app.app.config.data_dir).unwrap();
    assert!(keys.previous.is_empty(), "{report}");
    for (n, hook) in (1..).zip(&hooks) {
        update(&app, &trader, &hook.id, json!({ "requireSignature": true })).await;
        let signed = sign(&hook.secret, now(&app), &order(n));
        let taken = post_signal(&app, &hook.token, &order(n), [1, 2, 3, 4], Some(signed)).await;
        assert_eq!(taken.status, 202, "{}", taken.text());
    }
}

on_both_databases!(
    a_master_key_rotation_keeps_signing_secrets_working,
    a_signal_is_stored_before_the_answer_and_repeats_place_nothing,
    an_unknown_or_rotated_token_reveals_nothing_and_traders_stay_apart,
    signatures_and_allow_lists_keep_strangers_out,
    a_signed_webhook_request_replayed_is_refused,
    a_stale_signature_is_refused,
    the_url_token_alone_cannot_sign,
    rotating_the_token_rotates_the_signing_secret,
    webhook_changes_go_into_the_security_log,
    a_request_with_a_wrong_token_or_signature_does_not_spend_the_webhook_budget,
    refusals_are_answered_alike_but_logged_only_within_their_own_budget,
);

/// Keys every instance of one deployment shares (base64 of 32 bytes).
const SHARED_KEY: &str = "c2hhcmVkLWtleS1zaGFyZWQta2V5LXNoYXJlZC1rZXk=";

/// Two servers on one PostgreSQL database, as in production, each taking 6 signals a minute
/// per webhook (a burst of 2): together they take 2, not 4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_webhook_limit_holds_across_two_instances() {
    let pg = PgTestDb::create().await;
    let env = [
        ("COPYTRADE_DATABASE_URL", pg.url.as_str()),
        ("COPYTRADE_JWT_SECRET", SHARED_KEY),
        ("COPYTRADE_MASTER_KEY", SHARED_KEY),
        ("COPYTRADE_SIGNAL_RATE", "6"),
    ];
    let a = TestApp::with_env(Backend::Sqlite, &env).await;
    let b = TestApp::with_env(Backend::Sqlite, &env).await;
    let trader = a.register_trader("two-instances@example.com").await;
    let hook = new_hook(&a, &trader, "script").await;

    let on_a = post_signal(&a, &hook.token, &order(1), [1, 2, 3, 4], None).await;
    assert_eq!(on_a.status, 202, "{}", on_a.text());
    // Signed on one instance's secret, checked by the other: they share the vault's key.
    let signed = sign(&hook.secret, now(&b), &order(2));
    let on_b = post_signal(&b, &hook.token, &order(2), [1, 2, 3, 4], Some(signed)).await;
    assert_eq!(on_b.status, 202, "{}", on_b.text());
    for (n, app) in [(3, &a), (4, &b)] {
        let over = post_signal(app, &hook.token, &order(n), [1, 2, 3, 4], None).await;
        assert_eq!(over.status, 429, "signal {n}: {}", over.text());
    }
}
