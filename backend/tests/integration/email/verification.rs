//! Confirming the email address: the sign-up mail's link, once; again on request within a
//! limit; a live broker account only after it; and a server without mail that says so.

use chrono::Duration;
use serde_json::json;

use super::{code, mail_about, security_log, until_mail_logged, verified_trader, verify};
use crate::support::mailsink::{MailSink, link_token};
use crate::support::trading::LINK;
use crate::support::{Backend, Caller, TestApp, on_both_databases};

const ME: &str = "{ me { email emailVerified } }";
const RESEND: &str = "mutation { resendVerificationEmail }";

on_both_databases!(
    the_sign_up_mail_confirms_the_address_once,
    a_verification_link_expires_after_two_days,
    another_link_can_be_asked_for_five_times_an_hour,
    a_live_broker_account_needs_a_confirmed_address,
    a_server_without_mail_says_so_and_does_not_ask_for_confirmation,
);

async fn the_sign_up_mail_confirms_the_address_once(backend: Backend) {
    let sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    let trader = app.register_trader("alice@example.test").await;
    let me = app.gql_with(ME, json!({}), &trader).await.json();
    assert_eq!(me["data"]["me"]["emailVerified"], false);

    let mail = mail_about(&sink, "alice@example.test", "Confirm your email", 1).await;
    assert_eq!(mail["from"], "CopyTrade <mail@copytrade.test>");
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("https://copytrade.test/verify-email?token="),
        "{text}"
    );
    let token = link_token(&mail, "/verify-email");
    assert_eq!(token.len(), 43, "32 random bytes, base64url");

    let answer = verify(&app, &token).await;
    assert_eq!(answer["data"]["verifyEmail"], true, "{answer}");
    let me = app.gql_with(ME, json!({}), &trader).await.json();
    assert_eq!(me["data"]["me"]["emailVerified"], true);

    let again = verify(&app, &token).await;
    assert_eq!(code(&again), "LINK_INVALID");
    assert_eq!(code(&verify(&app, "not-a-token").await), "LINK_INVALID");

    let log = security_log(&app, &trader).await;
    assert!(log.contains(&("EMAIL_VERIFIED".into(), None)), "{log:?}");
    until_mail_logged(&app, &trader, "verify_email").await;
    // The token is kept only as a hash; the mail's body only until it was sent.
    assert!(!crate::support::database_contains(&app, &token).await);
}

async fn a_verification_link_expires_after_two_days(backend: Backend) {
    let sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    let trader = app.register_trader("late@example.test").await;
    let mail = mail_about(&sink, "late@example.test", "Confirm your email", 1).await;
    app.clock
        .advance(Duration::hours(48) + Duration::seconds(1));
    assert_eq!(
        code(&verify(&app, &link_token(&mail, "/verify-email")).await),
        "LINK_INVALID"
    );
    let resent = app.gql_with(RESEND, json!({}), &trader).await.json();
    assert_eq!(resent["data"]["resendVerificationEmail"], true, "{resent}");
    let fresh = mail_about(&sink, "late@example.test", "Confirm your email", 2).await;
    let answer = verify(&app, &link_token(&fresh, "/verify-email")).await;
    assert_eq!(answer["data"]["verifyEmail"], true, "{answer}");
}

async fn another_link_can_be_asked_for_five_times_an_hour(backend: Backend) {
    let sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    let trader = app.register_trader("again@example.test").await;
    // The sign-up mail is the first of the five.
    for _ in 0..4 {
        let answer = app.gql_with(RESEND, json!({}), &trader).await.json();
        assert_eq!(answer["data"]["resendVerificationEmail"], true, "{answer}");
    }
    let sixth = app.gql_with(RESEND, json!({}), &trader).await.json();
    assert_eq!(code(&sixth), "RATE_LIMITED");
    let fifth = mail_about(&sink, "again@example.test", "Confirm your email", 5).await;
    // Every link works until used (each is single-use): the newest does.
    let answer = verify(&app, &link_token(&fifth, "/verify-email")).await;
    assert_eq!(answer["data"]["verifyEmail"], true, "{answer}");
    // Once confirmed, asking again sends nothing and is not an error.
    let after = app.gql_with(RESEND, json!({}), &trader).await.json();
    assert_eq!(after["data"]["resendVerificationEmail"], true, "{after}");
    // An API client cannot ask (sessions only), and neither can a visitor.
    let visitor = app
        .gql_with(RESEND, json!({}), &Caller::default())
        .await
        .json();
    assert_eq!(code(&visitor), "UNAUTHENTICATED");
}

async fn link_live_tradovate(app: &TestApp, trader: &Caller) -> serde_json::Value {
    app.gql_with(
        LINK,
        json!({ "input": { "broker": "TRADOVATE", "environment": "LIVE", "label": "Live",
            "credentials": { "username": "live-trader", "password": "live-password-1",
                "appId": "CopyTrade", "cid": "4242", "sec": "live-app-secret" } } }),
        trader,
    )
    .await
    .json()
}

async fn a_live_broker_account_needs_a_confirmed_address(backend: Backend) {
    let sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    let trader = app.register_trader("live@example.test").await;
    let refused = link_live_tradovate(&app, &trader).await;
    assert_eq!(code(&refused), "EMAIL_NOT_VERIFIED", "{refused}");
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("confirm your email address"), "{message}");
    // A demo account does not need it.
    let paper = app
        .gql_with(
            LINK,
            json!({ "input": { "broker": "PAPER", "environment": "DEMO", "label": "Paper",
                "credentials": {}, "paperStartingBalance": 1000.0 } }),
            &trader,
        )
        .await
        .json();
    assert!(paper["errors"].is_null(), "{paper}");

    let confirmed = verified_trader(&app, &sink, "confirmed@example.test").await;
    let tried = link_live_tradovate(&app, &confirmed).await;
    // Past the check, the (unreachable) broker is what answers.
    assert_ne!(code(&tried), "EMAIL_NOT_VERIFIED", "{tried}");
}

async fn a_server_without_mail_says_so_and_does_not_ask_for_confirmation(backend: Backend) {
    let app = TestApp::new(backend).await;
    let info = app.gql("{ serverInfo { mailEnabled } }", json!({})).await;
    assert_eq!(info["data"]["serverInfo"]["mailEnabled"], false);
    let trader = app.register_trader("nomail@example.test").await;
    let resend = app.gql_with(RESEND, json!({}), &trader).await.json();
    assert_eq!(code(&resend), "MAIL_DISABLED");
    assert!(
        resend["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sends no email")
    );
    let reset = app
        .gql(
            "mutation($e: String!) { requestPasswordReset(email: $e) }",
            json!({ "e": "nomail@example.test" }),
        )
        .await;
    assert_eq!(reset["data"]["requestPasswordReset"], true);
    let tried = link_live_tradovate(&app, &trader).await;
    assert_ne!(code(&tried), "EMAIL_NOT_VERIFIED", "{tried}");
}
