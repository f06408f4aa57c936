//! Mail that the SMTP server cannot take yet waits in the database and goes out once it can:
//! a server that defers, one that is down, and a CopyTrade restart in between lose nothing.

use std::time::Duration;

use serde_json::json;

use super::mail_about;
use crate::support::mailsink::MailSink;
use crate::support::{Backend, TestApp, on_both_databases};

on_both_databases!(
    deferred_mail_is_retried_until_the_server_takes_it,
    mail_waits_out_an_smtp_outage_and_a_crash,
);

async fn deferred_mail_is_retried_until_the_server_takes_it(backend: Backend) {
    let sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    sink.fault("temporary_failure", 2).await;
    app.register_trader("patient@example.test").await;
    let mail = mail_about(&sink, "patient@example.test", "Confirm your email", 1).await;
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("/verify-email?token=")
    );
    assert_eq!(sink.faults().await, json!([]), "both deferrals were tried");
    until_nothing_waits(&app).await;
}

/// Waits until the queue is empty (the sender books a mail sent just after the SMTP server took
/// it, so it may trail the mail's arrival).
async fn until_nothing_waits(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let waiting = app.app.state.mail.waiting().await.unwrap();
        if waiting.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still waiting: {waiting:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the queued mail has been tried and failed at least once.
async fn until_a_try_failed(app: &TestApp) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let waiting = app.app.state.mail.waiting().await.unwrap();
        if let Some(error) = waiting.iter().find_map(|mail| mail.last_error.clone()) {
            return error;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no try failed: {waiting:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn mail_waits_out_an_smtp_outage_and_a_crash(backend: Backend) {
    let mut sink = MailSink::start().await;
    let app = TestApp::with_mail(backend, &sink, &[]).await;
    sink.stop().await;
    app.register_trader("outage@example.test").await;
    let error = until_a_try_failed(&app).await;
    assert!(error.contains("unreachable"), "{error}");

    // CopyTrade crashes while the mail waits; the new process finds it in the database.
    let app = app.restart().await;
    sink.restart().await;
    let mail = mail_about(&sink, "outage@example.test", "Confirm your email", 1).await;
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("/verify-email?token=")
    );
    until_nothing_waits(&app).await;
}
