//! Security notices: each event that matters to an account's safety sends its owner a mail
//! saying what happened, when and from where, and the security log books each mail by kind.

use chrono::Duration;
use serde_json::{Value, json};

use super::{PASSWORD, count_about, mail_about, security_log, until_mail_logged, verified_trader};
use crate::support::mailsink::MailSink;
use crate::support::sim_bybit::SimBybit;
use crate::support::trading::link_paper;
use crate::support::{Backend, Caller, TestApp, on_both_databases};
use crate::two_factor::{authenticator_code, enrol};

on_both_databases!(
    a_sign_in_from_a_new_device_or_address_is_announced,
    password_and_two_factor_changes_are_announced,
    broker_links_changes_refusals_and_due_rotations_are_announced,
);

const LOGIN: &str = "mutation($e: String!, $p: String!, $c: String) { login(email: $e, password: $p, totpCode: $c) { token } }";

async fn login_from(app: &TestApp, email: &str, ip: [u8; 4], code: Option<&str>) -> Caller {
    login_as(app, email, &Caller::from_ip(ip), code).await.0
}

/// Logs in as `from` (its address, its device cookie if any); the session and the browser's
/// device cookie.
async fn login_as(
    app: &TestApp,
    email: &str,
    from: &Caller,
    code: Option<&str>,
) -> (Caller, String) {
    let response = app
        .gql_with(LOGIN, json!({ "e": email, "p": PASSWORD, "c": code }), from)
        .await;
    let device = response
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("copytrade_device="))
        .and_then(|value| value.split(';').next())
        .unwrap_or_else(|| panic!("no device cookie in {:?}", response.headers))
        .to_owned();
    let answer = response.json();
    let token = answer["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    (Caller::with_token(token), device)
}

async fn change_password(app: &TestApp, caller: &Caller, code: Option<&str>) -> Value {
    app.gql_with(
        "mutation($p: String!, $n: String!, $c: String) { changePassword(currentPassword: $p, newPassword: $n, totpCode: $c) { token } }",
        json!({ "p": PASSWORD, "n": PASSWORD, "c": code }),
        caller,
    )
    .await
    .json()
}

async fn a_sign_in_from_a_new_device_or_address_is_announced(backend: Backend) {
    let sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    let email = "roamer@example.test";
    app.register_trader(email).await;

    let home = Caller::from_ip([203, 0, 113, 7]);
    let (caller, device) = login_as(&app, email, &home, None).await;
    let mail = mail_about(&sink, email, "New sign-in", 1).await;
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("new browser or device, at an address"),
        "{text}"
    );
    assert!(text.contains("IP address 203.0.113.7"), "{text}");
    assert!(text.contains("If it was not you"), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");

    // The same browser at the same address again is not news.
    let browser = Caller {
        cookie: Some(device.clone()),
        ..home.clone()
    };
    login_as(&app, email, &browser, None).await;
    // The same browser elsewhere is.
    let travelling = Caller {
        cookie: Some(device),
        ..Caller::from_ip([198, 51, 100, 99])
    };
    login_as(&app, email, &travelling, None).await;
    let moved = mail_about(&sink, email, "New sign-in", 2).await;
    assert!(
        moved["text"]
            .as_str()
            .unwrap()
            .contains("from a new address"),
        "{moved}"
    );
    // So is another browser at a known address.
    login_as(&app, email, &home, None).await;
    let other = mail_about(&sink, email, "New sign-in", 3).await;
    assert!(
        other["text"]
            .as_str()
            .unwrap()
            .contains("new browser or device (at an address"),
        "{other}"
    );

    // Mail goes out in the order it was queued: once the next notice is in, a notice for the
    // known browser would be too.
    let changed = change_password(&app, &caller, None).await;
    assert!(changed["errors"].is_null(), "{changed}");
    mail_about(&sink, email, "password was changed", 1).await;
    assert_eq!(count_about(&sink, email, "New sign-in").await, 3);
    let session = Caller::with_token(changed["data"]["changePassword"]["token"].as_str().unwrap());
    until_mail_logged(&app, &session, "new_sign_in").await;
}

async fn password_and_two_factor_changes_are_announced(backend: Backend) {
    let sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    let enrolled = enrol(&app).await;
    let email = "trader@example.com";
    let on = mail_about(&sink, email, "Two-factor login is on", 1).await;
    assert!(on["text"].as_str().unwrap().contains("When: "));

    // A backup code logs in (from a new address: a sign-in notice too).
    let caller = login_from(
        &app,
        email,
        [198, 51, 100, 4],
        Some(&enrolled.backup_codes[0]),
    )
    .await;
    mail_about(&sink, email, "backup code was used", 1).await;

    // Each code works once: the next step's, after the one enrolling used.
    app.clock.advance(Duration::seconds(30));
    let code = authenticator_code(&app, &enrolled.secret);
    let changed = change_password(&app, &caller, Some(&code)).await;
    assert!(changed["errors"].is_null(), "{changed}");
    mail_about(&sink, email, "password was changed", 1).await;

    app.clock.advance(Duration::seconds(30));
    let session = Caller::with_token(changed["data"]["changePassword"]["token"].as_str().unwrap());
    let off = app
        .gql_with(
            "mutation($p: String!, $c: String!) { disableTotp(password: $p, totpCode: $c) }",
            json!({ "p": PASSWORD, "c": authenticator_code(&app, &enrolled.secret) }),
            &session,
        )
        .await
        .json();
    assert_eq!(off["data"]["disableTotp"], true, "{off}");
    mail_about(&sink, email, "Two-factor login was turned off", 1).await;

    for kind in [
        "totp_enabled",
        "backup_code_used",
        "password_changed",
        "totp_disabled",
    ] {
        until_mail_logged(&app, &session, kind).await;
    }
}

const KEY: &str = "AKEY-notices-0000-b1c2";
const SECRET: &str = "bybit-secret-notices-3e4f";

async fn link_bybit(app: &TestApp, trader: &Caller) -> Value {
    app.gql_with(
        crate::support::trading::LINK,
        json!({ "input": { "broker": "BYBIT", "environment": "LIVE", "label": "Bybit",
            "credentials": { "apiKey": KEY, "apiSecret": SECRET } } }),
        trader,
    )
    .await
    .json()
}

async fn broker_links_changes_refusals_and_due_rotations_are_announced(backend: Backend) {
    let sink = MailSink::start().await;
    let venue = SimBybit::start(KEY, SECRET).await;
    let (rest, ws) = (venue.rest_url(), venue.ws_url());
    let app = TestApp::with_mail(
        backend,
        &sink,
        &[
            ("COPYTRADE_ENDPOINT_BYBIT", &rest),
            ("COPYTRADE_ENDPOINT_BYBIT_WS", &ws),
        ],
    )
    .await;
    let email = "broker@example.test";
    let trader = verified_trader(&app, &sink, email).await;

    link_paper(&app, &trader, "Paper", 10_000.0).await;
    mail_about(&sink, email, "broker account was linked", 1).await;

    venue
        .set_key_created_at(&chrono::Utc::now().to_rfc3339())
        .await;
    let linked = link_bybit(&app, &trader).await;
    assert!(linked["errors"].is_null(), "{linked}");
    mail_about(&sink, email, "broker account was linked", 2).await;
    let id = linked["data"]["linkBrokerAccount"]["id"].clone();

    let changed = app
        .gql_with(
            "mutation($id: ID!, $c: BrokerCredentialsInput!) { updateBrokerCredentials(id: $id, credentials: $c) { status } }",
            json!({ "id": id, "c": { "apiKey": KEY, "apiSecret": SECRET } }),
            &trader,
        )
        .await
        .json();
    assert!(changed["errors"].is_null(), "{changed}");
    mail_about(&sink, email, "credentials were changed", 1).await;

    // Thirty days on, the daily check tells the owner once.
    app.clock.advance(Duration::days(30) + Duration::minutes(1));
    let connections = &app.app.state.connections;
    assert_eq!(connections.notify_rotation_due().await.unwrap(), 1);
    assert_eq!(connections.notify_rotation_due().await.unwrap(), 0);
    let due = mail_about(&sink, email, "due for rotation", 1).await;
    assert!(
        due["text"].as_str().unwrap().contains("daily check"),
        "{due}"
    );
    // (The session from before ran out with those thirty days.)
    let trader = login_from(&app, email, [192, 0, 2, 10], None).await;

    venue
        .set_permissions(
            0,
            json!({ "ContractTrade": ["Order", "Position"], "Wallet": ["Withdraw"] }),
        )
        .await;
    let refused = link_bybit(&app, &trader).await;
    assert_eq!(super::code(&refused), "WITHDRAWAL_PERMISSION_REFUSED");
    let mail = mail_about(&sink, email, "refused a broker key", 1).await;
    assert!(!mail["text"].as_str().unwrap().contains(SECRET));

    for kind in [
        "broker_linked",
        "broker_credentials_changed",
        "broker_key_rotation_due",
        "broker_key_refused",
    ] {
        until_mail_logged(&app, &trader, kind).await;
    }
    let log = security_log(&app, &trader).await;
    assert!(
        log.iter().any(|(k, _)| k == "BROKER_KEY_ROTATION_DUE"),
        "{log:?}"
    );
}
