//! Email over real SMTP (the `mailsink` process): confirming an address, resetting a forgotten
//! password, security notices, mail that waits out an SMTP outage, and breach notices from
//! `copytrade notify-users`. Each test waits for the mail to arrive at the sink.

mod notices;
mod notify_users;
mod outage;
mod password_reset;
mod verification;

use serde_json::{Value, json};

use crate::support::mailsink::{MailSink, link_token, subject};
use crate::support::{Caller, TestApp};

pub const PASSWORD: &str = "a long trading passphrase";

pub fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

/// The `n`th mail (1-based) to `to` whose subject contains `about`, once it has arrived.
pub async fn mail_about(sink: &MailSink, to: &str, about: &str, n: usize) -> Value {
    // Other mails (notices) may go to the same address: wait until `n` of this kind are in.
    let mut seen = 0;
    loop {
        seen += 1;
        let messages = sink.wait_for(to, seen).await;
        let matching: Vec<&Value> = messages
            .iter()
            .filter(|m| subject(m).contains(about))
            .collect();
        if matching.len() >= n {
            return matching[n - 1].clone();
        }
        assert!(seen < 50, "no mail about {about} to {to}: {messages:?}");
    }
}

/// Mails to `to` whose subject contains `about`, as they stand now.
pub async fn count_about(sink: &MailSink, to: &str, about: &str) -> usize {
    sink.messages_to(to)
        .await
        .iter()
        .filter(|m| subject(m).contains(about))
        .count()
}

/// Registers `email` and confirms it through the link in the verification mail.
pub async fn verified_trader(app: &TestApp, sink: &MailSink, email: &str) -> Caller {
    let trader = app.register_trader(email).await;
    let mail = mail_about(sink, email, "Confirm your email", 1).await;
    let answer = verify(app, &link_token(&mail, "/verify-email")).await;
    assert_eq!(answer["data"]["verifyEmail"], true, "{answer}");
    trader
}

pub async fn verify(app: &TestApp, token: &str) -> Value {
    app.gql(
        "mutation($t: String!) { verifyEmail(token: $t) }",
        json!({ "t": token }),
    )
    .await
}

/// The kinds (and details) in the caller's security log, newest first.
pub async fn security_log(app: &TestApp, caller: &Caller) -> Vec<(String, Option<String>)> {
    let answer = app
        .gql_with(
            "{ securityEvents(first: 200) { kind detail } }",
            json!({}),
            caller,
        )
        .await
        .json();
    answer["data"]["securityEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_owned(),
                e["detail"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Waits until the caller's security log books a sent mail of `kind` (the sender logs it just
/// after the SMTP server took it, so it may trail the mail's arrival at the sink).
pub async fn until_mail_logged(app: &TestApp, caller: &Caller, kind: &str) {
    let entry = ("EMAIL_SENT".to_owned(), Some(kind.to_owned()));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let log = security_log(app, caller).await;
        if log.contains(&entry) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {kind} mail in {log:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
