//! A forgotten password: the reset link works once, for 30 minutes, only the newest one;
//! using it ends every session; asking never tells whether an account exists; and with two-
//! factor login on, the code is still needed.

use chrono::Duration;
use serde_json::{Value, json};

use super::{PASSWORD, code, count_about, mail_about, security_log, until_mail_logged};
use crate::support::mailsink::{MailSink, link_token};
use crate::support::{Backend, Caller, TestApp, database_contains, on_both_databases};
use crate::two_factor::{authenticator_code, enrol};

const NEW_PASSWORD: &str = "a brand new trading passphrase";
const REQUEST: &str = "mutation($e: String!) { requestPasswordReset(email: $e) }";
const RESET: &str = "mutation($t: String!, $p: String!, $c: String) { resetPassword(token: $t, newPassword: $p, totpCode: $c) { token user { email emailVerified } } }";
const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

on_both_databases!(
    a_reset_link_sets_a_new_password_once_and_ends_every_session,
    asking_for_a_reset_answers_the_same_for_an_unknown_email,
    a_reset_link_expires_after_thirty_minutes_and_only_the_newest_works,
    with_two_factor_login_the_reset_still_needs_the_code_or_a_backup_code,
);

async fn ask(app: &TestApp, email: &str) -> Value {
    app.gql(REQUEST, json!({ "e": email })).await
}

async fn reset(app: &TestApp, token: &str, password: &str, totp: Option<&str>) -> Value {
    app.gql(RESET, json!({ "t": token, "p": password, "c": totp }))
        .await
}

async fn reset_token(sink: &MailSink, email: &str, n: usize) -> String {
    let mail = mail_about(sink, email, "Reset your", n).await;
    link_token(&mail, "/reset-password")
}

async fn a_reset_link_sets_a_new_password_once_and_ends_every_session(backend: Backend) {
    let sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    let old_session = app.register_trader("forgot@example.test").await;

    assert_eq!(
        ask(&app, "Forgot@Example.test ").await["data"]["requestPasswordReset"],
        true
    );
    let mail = mail_about(&sink, "forgot@example.test", "Reset your", 1).await;
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("https://copytrade.test/reset-password?token="),
        "{text}"
    );
    assert!(text.contains("30 minutes"), "{text}");
    let token = link_token(&mail, "/reset-password");

    // A weak password is refused without using the link up.
    let weak = reset(&app, &token, "short", None).await;
    assert_eq!(code(&weak), "INVALID_INPUT");
    assert_eq!(weak["errors"][0]["extensions"]["field"], "newPassword");

    let done = reset(&app, &token, NEW_PASSWORD, None).await;
    assert!(done["errors"].is_null(), "{done}");
    let fresh = Caller::with_token(done["data"]["resetPassword"]["token"].as_str().unwrap());
    // Opening the mailed link proved the address.
    assert_eq!(done["data"]["resetPassword"]["user"]["emailVerified"], true);

    let me = app
        .gql_with("{ me { email } }", json!({}), &old_session)
        .await
        .json();
    assert_eq!(code(&me), "UNAUTHENTICATED", "the old session ended");
    let me = app
        .gql_with("{ me { email } }", json!({}), &fresh)
        .await
        .json();
    assert_eq!(me["data"]["me"]["email"], "forgot@example.test");

    let old = app
        .gql(LOGIN, json!({ "e": "forgot@example.test", "p": PASSWORD }))
        .await;
    assert_eq!(code(&old), "BAD_CREDENTIALS");
    let new = app
        .gql(
            LOGIN,
            json!({ "e": "forgot@example.test", "p": NEW_PASSWORD }),
        )
        .await;
    assert!(new["errors"].is_null(), "{new}");

    assert_eq!(
        code(&reset(&app, &token, "yet another passphrase", None).await),
        "LINK_INVALID"
    );

    // The user hears of it, and the log shows the request, the reset and the mails.
    mail_about(&sink, "forgot@example.test", "password was reset", 1).await;
    let log = security_log(&app, &fresh).await;
    for kind in ["PASSWORD_RESET_REQUESTED", "PASSWORD_RESET"] {
        assert!(log.iter().any(|(k, _)| k == kind), "{kind} in {log:?}");
    }
    until_mail_logged(&app, &fresh, "password_reset").await;
    assert!(
        !database_contains(&app, &token).await,
        "only the token's hash is stored"
    );
}

async fn asking_for_a_reset_answers_the_same_for_an_unknown_email(backend: Backend) {
    let sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    app.register_trader("known@example.test").await;

    let unknown = app
        .gql_with(
            REQUEST,
            json!({ "e": "nobody@example.test" }),
            &Caller::default(),
        )
        .await;
    let known = app
        .gql_with(
            REQUEST,
            json!({ "e": "known@example.test" }),
            &Caller::default(),
        )
        .await;
    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.body, known.body, "the same answer, byte for byte");
    let malformed = ask(&app, "not an email").await;
    assert_eq!(malformed["data"]["requestPasswordReset"], true);

    mail_about(&sink, "known@example.test", "Reset your", 1).await;
    // Nothing about the unknown address was stored or sent.
    assert!(!database_contains(&app, "nobody@example.test").await);
    assert!(sink.messages_to("nobody@example.test").await.is_empty());
}

async fn a_reset_link_expires_after_thirty_minutes_and_only_the_newest_works(backend: Backend) {
    let sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    app.register_trader("slow@example.test").await;

    ask(&app, "slow@example.test").await;
    let first = reset_token(&sink, "slow@example.test", 1).await;
    ask(&app, "slow@example.test").await;
    let second = reset_token(&sink, "slow@example.test", 2).await;
    assert_eq!(
        code(&reset(&app, &first, NEW_PASSWORD, None).await),
        "LINK_INVALID"
    );

    app.clock
        .advance(Duration::minutes(30) + Duration::seconds(1));
    assert_eq!(
        code(&reset(&app, &second, NEW_PASSWORD, None).await),
        "LINK_INVALID"
    );

    // At most three links an hour reach the account, however often someone asks.
    ask(&app, "slow@example.test").await;
    let third = reset_token(&sink, "slow@example.test", 3).await;
    for _ in 0..3 {
        ask(&app, "slow@example.test").await;
    }
    let done = reset(&app, &third, NEW_PASSWORD, None).await;
    assert!(done["errors"].is_null(), "{done}");
    // The reset's own notice arrives after every reset mail that was going to be sent.
    mail_about(&sink, "slow@example.test", "password was reset", 1).await;
    assert_eq!(
        count_about(&sink, "slow@example.test", "Reset your").await,
        3
    );
}

async fn with_two_factor_login_the_reset_still_needs_the_code_or_a_backup_code(backend: Backend) {
    let sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    let enrolled = enrol(&app).await;

    ask(&app, "trader@example.com").await;
    let mail = mail_about(&sink, "trader@example.com", "Reset your", 1).await;
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("two-factor login on")
    );
    let token = link_token(&mail, "/reset-password");

    let without = reset(&app, &token, NEW_PASSWORD, None).await;
    assert_eq!(code(&without), "TOTP_REQUIRED");
    let wrong = reset(&app, &token, NEW_PASSWORD, Some("000000")).await;
    assert!(["TOTP_INVALID"].contains(&code(&wrong)), "{wrong}");
    // The link survives a missing or wrong code. (The next step: enrolling used this one.)
    app.clock.advance(Duration::seconds(30));
    let code_now = authenticator_code(&app, &enrolled.secret);
    let done = reset(&app, &token, NEW_PASSWORD, Some(&code_now)).await;
    assert!(done["errors"].is_null(), "{done}");
    // A backup code does as well as the authenticator (once).
    ask(&app, "trader@example.com").await;
    let again = reset_token(&sink, "trader@example.com", 2).await;
    let backup = &enrolled.backup_codes[0];
    let done = reset(&app, &again, PASSWORD, Some(backup)).await;
    assert!(done["errors"].is_null(), "{done}");
    ask(&app, "trader@example.com").await;
    let third = reset_token(&sink, "trader@example.com", 3).await;
    assert_eq!(
        code(&reset(&app, &third, NEW_PASSWORD, Some(backup)).await),
        "TOTP_INVALID"
    );
    // Two-factor login stays on.
    let login = app
        .gql(LOGIN, json!({ "e": "trader@example.com", "p": PASSWORD }))
        .await;
    assert_eq!(code(&login), "TOTP_REQUIRED");
}
