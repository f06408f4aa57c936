//! `copytrade notify-users`, as an operator runs it after a breach: every affected user gets
//! one mail, each send is in their security log, and a run the SMTP server cut short is
//! finished by running the same command again, with nobody mailed twice.

use serde_json::{Value, json};

use super::security_log;
use crate::support::mailsink::{MailSink, subject};
use crate::support::sim_bybit::SimBybit;
use crate::support::trading::{LINK, link_paper};
use crate::support::{Backend, Caller, TestApp, on_both_databases};

on_both_databases!(
    an_interrupted_notice_is_finished_by_running_it_again_and_nobody_gets_two,
    with_credentials_only_those_who_held_broker_keys_are_told,
);

const SUBJECT: &str = "Security incident at CopyTrade";
const BODY: &str = "On 1 December we found that an attacker read part of our database.\n";

/// Runs `copytrade notify-users` on the app's database, sending through `sink`.
async fn notify_users(app: &TestApp, sink: &MailSink, args: &[&str]) -> (i32, String, String) {
    let body = app.dir.path().join("notice.txt");
    std::fs::write(&body, BODY).unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_copytrade"));
    command
        .arg("notify-users")
        .args(["--subject", SUBJECT, "--body-file"])
        .arg(&body)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (name, value) in app.env().iter().cloned().chain(sink.env()) {
        command.env(name, value);
    }
    let output = command.output().await.unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn notices_to(sink: &MailSink, email: &str) -> Vec<Value> {
    sink.messages_to(email)
        .await
        .into_iter()
        .filter(|m| subject(m) == SUBJECT)
        .collect()
}

async fn notices_in_log(app: &TestApp, trader: &Caller) -> usize {
    security_log(app, trader)
        .await
        .iter()
        .filter(|entry| **entry == ("EMAIL_SENT".to_owned(), Some("breach_notice".to_owned())))
        .count()
}

async fn an_interrupted_notice_is_finished_by_running_it_again_and_nobody_gets_two(
    backend: Backend,
) {
    let sink = MailSink::start().await;
    let app = TestApp::new(backend).await;
    let emails = [
        "a@example.test",
        "b@example.test",
        "c@example.test",
        "d@example.test",
    ];
    let mut traders = Vec::new();
    for email in emails {
        traders.push(app.register_trader(email).await);
    }

    // The SMTP server takes two mails, then fails for a while.
    sink.fault("pass", 2).await;
    sink.fault("temporary_failure", 100).await;
    let (status, stdout, stderr) = notify_users(&app, &sink, &[]).await;
    assert_eq!(status, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "4 recipient(s); 2 sent now, 0 sent by an earlier run, 0 refused, 2 still queued"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("run the same command again"), "{stdout}");
    assert!(stderr.contains("2 notice(s) are still queued"), "{stderr}");
    assert_eq!(sink.all().await.len(), 2);

    sink.clear_faults().await;
    let (status, stdout, stderr) = notify_users(&app, &sink, &[]).await;
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "4 recipient(s); 2 sent now, 2 sent by an earlier run, 0 refused, 0 still queued"
        ),
        "{stdout}"
    );
    // A third run has nothing left to do.
    let (status, stdout, _) = notify_users(&app, &sink, &[]).await;
    assert_eq!(status, 0);
    assert!(
        stdout.contains("0 sent now, 4 sent by an earlier run"),
        "{stdout}"
    );

    for (email, trader) in emails.iter().zip(&traders) {
        let mails = notices_to(&sink, email).await;
        assert_eq!(mails.len(), 1, "{email}: {mails:?}");
        let text = mails[0]["text"].as_str().unwrap();
        assert!(text.starts_with("On 1 December we found"), "{text}");
        assert!(
            text.contains("You get this mail because you have an account"),
            "{text}"
        );
        assert_eq!(notices_in_log(&app, trader).await, 1, "{email}");
    }
}

const KEY: &str = "AKEY-breach-0000-c3d4";
const SECRET: &str = "bybit-secret-breach-5e6f";

async fn with_credentials_only_those_who_held_broker_keys_are_told(backend: Backend) {
    let sink = MailSink::start().await;
    let venue = SimBybit::start(KEY, SECRET).await;
    let (rest, ws) = (venue.rest_url(), venue.ws_url());
    let app = TestApp::with_env(
        backend,
        &[
            ("COPYTRADE_ENDPOINT_BYBIT", &rest),
            ("COPYTRADE_ENDPOINT_BYBIT_WS", &ws),
        ],
    )
    .await;
    let link_bybit = async |trader: &Caller| {
        let answer = app
            .gql_with(
                LINK,
                json!({ "input": { "broker": "BYBIT", "environment": "LIVE", "label": "Bybit",
                    "credentials": { "apiKey": KEY, "apiSecret": SECRET } } }),
                trader,
            )
            .await
            .json();
        assert!(answer["errors"].is_null(), "{answer}");
        answer["data"]["linkBrokerAccount"]["id"].clone()
    };
    let holder = app.register_trader("holder@example.test").await;
    link_bybit(&holder).await;
    let former = app.register_trader("former@example.test").await;
    let id = link_bybit(&former).await;
    let unlinked = app
        .gql_with(
            "mutation($id: ID!) { unlinkBrokerAccount(id: $id) }",
            json!({ "id": id }),
            &former,
        )
        .await
        .json();
    assert!(unlinked["errors"].is_null(), "{unlinked}");
    let paper = app.register_trader("paper@example.test").await;
    link_paper(&app, &paper, "Paper", 1_000.0).await;
    app.register_trader("none@example.test").await;

    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let (status, stdout, stderr) =
        notify_users(&app, &sink, &["--with-credentials", "--since", &yesterday]).await;
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(stdout.contains("2 recipient(s); 2 sent now"), "{stdout}");
    for (email, told) in [
        ("holder@example.test", 1),
        ("former@example.test", 1),
        ("paper@example.test", 0),
        ("none@example.test", 0),
    ] {
        assert_eq!(notices_to(&sink, email).await.len(), told, "{email}");
    }

    // A mistake in the command stops it before anything is sent.
    let (status, _, stderr) = notify_users(&app, &sink, &["--since", "yesterday"]).await;
    assert_eq!(status, 1);
    assert!(stderr.contains("is not a date"), "{stderr}");
}
