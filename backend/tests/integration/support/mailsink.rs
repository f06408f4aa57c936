//! `mailsink` as a separate process, as CopyTrade meets a real SMTP server: started on free
//! loopback ports, read through its control API, stopped when dropped (docs/mailsink.md).
//!
//! The binary is built once per test run (`cargo build -p mailsink`), so a changed sink is
//! never tested stale.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::http::request;

/// The sender every test server uses.
pub const MAIL_FROM: &str = "CopyTrade <mail@copytrade.test>";

/// A running sink. Dropping it kills the process.
pub struct MailSink {
    pub smtp: SocketAddr,
    pub http: SocketAddr,
    child: Child,
}

/// The sink's binary, built on first use.
fn binary() -> &'static PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| super::workspace_binary("mailsink"))
}

impl MailSink {
    /// Starts a fresh sink with ports of its own.
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0", "127.0.0.1:0").await
    }

    async fn start_on(smtp: &str, http: &str) -> Self {
        let path = binary().clone();
        let mut child = Command::new(&path)
            .args(["--smtp", smtp, "--http", http])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", path.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("mailsink prints its addresses within 20 s")
            .expect("mailsink's output")
            .expect("mailsink exited before it listened");
        let addresses: Value = serde_json::from_str(&first).expect("a JSON line of addresses");
        let addr = |name: &str| -> SocketAddr {
            addresses[name]
                .as_str()
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| panic!("no {name} address in {first}"))
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            smtp: addr("smtp"),
            http: addr("http"),
            child,
        }
    }

    /// Stops the process, as an SMTP server outage would: connections are refused.
    pub async fn stop(&mut self) {
        self.child.kill().await.expect("mailsink stops");
    }

    /// Starts the sink again on the same ports (its messages are gone).
    pub async fn restart(&mut self) {
        let (smtp, http) = (self.smtp.to_string(), self.http.to_string());
        *self = Self::start_on(&smtp, &http).await;
    }

    /// The settings that point CopyTrade at this sink.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("COPYTRADE_SMTP_URL".into(), format!("smtp://{}", self.smtp)),
            ("COPYTRADE_MAIL_FROM".into(), MAIL_FROM.into()),
            (
                "COPYTRADE_PUBLIC_URL".into(),
                "https://copytrade.test".into(),
            ),
        ]
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let (status, text) = request(self.http, method, path, body.as_deref())
            .await
            .unwrap_or_else(|err| panic!("mailsink {method} {path}: {err}"));
        assert!(
            (200..300).contains(&status),
            "mailsink {method} {path} answered {status}: {text}"
        );
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    }

    /// Every message received for `to`, oldest first.
    pub async fn messages_to(&self, to: &str) -> Vec<Value> {
        self.wait_for(to, 0).await
    }

    /// Waits (up to 30 s) until `to` has received `count` messages, then returns them all.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Value> {
        let path = format!("/messages?to={to}&min={count}&timeout_ms=30000");
        let messages = self.call("GET", &path, None).await;
        let messages = messages.as_array().cloned().unwrap_or_default();
        assert!(
            messages.len() >= count,
            "{to} received {} message(s), not {count}: {messages:?}",
            messages.len()
        );
        messages
    }

    /// Every message received, oldest first.
    pub async fn all(&self) -> Vec<Value> {
        let messages = self.call("GET", "/messages", None).await;
        messages.as_array().cloned().unwrap_or_default()
    }

    /// Queues a fault for the next `count` transactions.
    pub async fn fault(&self, kind: &str, count: u32) {
        self.call(
            "POST",
            "/faults",
            Some(json!({ "kind": kind, "count": count })),
        )
        .await;
    }

    /// The faults still queued.
    pub async fn faults(&self) -> Value {
        self.call("GET", "/faults", None).await
    }

    pub async fn clear_faults(&self) {
        self.call("DELETE", "/faults", None).await;
    }
}

/// The `token` of the first link to `path` in a message's text.
pub fn link_token(message: &Value, path: &str) -> String {
    let text = message["text"].as_str().expect("a plain-text body");
    let marker = format!("{path}?token=");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no {path} link in: {text}"))
        + marker.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// A message's subject.
pub fn subject(message: &Value) -> &str {
    message["subject"].as_str().unwrap_or_default()
}
