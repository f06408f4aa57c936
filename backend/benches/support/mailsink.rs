//! `mailsink` as a separate process for a bench, as CopyTrade meets a real SMTP server: built
//! with the bench's own profile (a release bench talks to a release sink), started on free
//! loopback ports, read through its control API (docs/mailsink.md), stopped and started again
//! on the same two ports to act out an outage, killed when dropped.
//!
//! The tests have their own starter (`tests/integration/support/mailsink.rs`); a bench cannot
//! import test modules. A bench includes this file with
//! `#[path = "support/mailsink.rs"] mod mailsink;`, so benches that do not use it do not
//! compile it (nothing here is dead code in them).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The sender of every mail in the bench.
pub const MAIL_FROM: &str = "CopyTrade <mail@copytrade.test>";

/// How long a restart keeps trying to listen on the old ports (one may briefly be taken).
const RESTART_PATIENCE: Duration = Duration::from_secs(10);

/// A running (or stopped) sink. Dropping it kills the process.
pub struct MailSink {
    pub smtp: SocketAddr,
    pub http: SocketAddr,
    path: PathBuf,
    /// `None` while stopped.
    child: Option<Child>,
}

/// Starts the binary on the given addresses; the process and the addresses it bound, or why it
/// did not start listening.
async fn spawn(
    path: &PathBuf,
    smtp: &str,
    http: &str,
) -> Result<(Child, SocketAddr, SocketAddr), String> {
    let mut child = Command::new(path)
        .args(["--smtp", smtp, "--http", http])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| format!("cannot start {}: {err}", path.display()))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .map_err(|_| "mailsink printed no addresses within 20 s".to_owned())?
        .map_err(|err| format!("mailsink's output: {err}"))?
        .ok_or_else(|| "mailsink exited before it listened".to_owned())?;
    let addresses: Value = serde_json::from_str(&first)
        .map_err(|_| format!("not a JSON line of addresses: {first}"))?;
    let addr = |name: &str| -> Result<SocketAddr, String> {
        addresses[name]
            .as_str()
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("no {name} address in {first}"))
    };
    let (smtp, http) = (addr("smtp")?, addr("http")?);
    // Keep reading its output so the pipe never fills.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, smtp, http))
}

impl MailSink {
    /// Builds (quick when fresh) and starts a sink on 127.0.0.1 with two ports of its own.
    pub async fn start() -> Self {
        let path = tokio::task::spawn_blocking(|| crate::workspace_binary::build("mailsink"))
            .await
            .expect("the build task ends");
        let (child, smtp, http) = spawn(&path, "127.0.0.1:0", "127.0.0.1:0")
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        Self {
            smtp,
            http,
            path,
            child: Some(child),
        }
    }

    /// Kills the process, as an SMTP server outage: connections to its ports are refused. Its
    /// messages are gone with it.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("mailsink stops");
        }
    }

    /// Starts the sink again on the same two ports, empty. Returns once it listens.
    pub async fn restart(&mut self) {
        self.stop().await;
        let (smtp, http) = (self.smtp.to_string(), self.http.to_string());
        let deadline = tokio::time::Instant::now() + RESTART_PATIENCE;
        loop {
            match spawn(&self.path, &smtp, &http).await {
                Ok((child, _, _)) => {
                    self.child = Some(child);
                    return;
                }
                Err(err) if tokio::time::Instant::now() < deadline => {
                    eprintln!(
                        "mailsink did not start again on {smtp} and {http} ({err}); retrying"
                    );
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(err) => panic!("mailsink cannot listen on {smtp} and {http} again: {err}"),
            }
        }
    }

    /// The settings that point CopyTrade at this sink.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("COPYTRADE_SMTP_URL".into(), format!("smtp://{}", self.smtp)),
            ("COPYTRADE_MAIL_FROM".into(), MAIL_FROM.into()),
        ]
    }

    /// `GET /messages` with `query` (`to=…&min=…&timeout_ms=…`, or empty); the messages, oldest
    /// first. Panics unless the sink answers 200 with a list.
    pub async fn messages(&self, query: &str) -> Vec<Value> {
        let path = if query.is_empty() {
            "/messages".to_owned()
        } else {
            format!("/messages?{query}")
        };
        // The sink waits at most 60 s; a sink that answers nothing for longer is broken.
        let (status, text) = tokio::time::timeout(
            Duration::from_secs(90),
            crate::raw_http::request(self.http, "GET", &path, "", ""),
        )
        .await
        .unwrap_or_else(|_| panic!("mailsink GET {path}: no answer in 90 s"))
        .unwrap_or_else(|err| panic!("mailsink GET {path}: {err}"));
        assert_eq!(status, 200, "mailsink GET {path}: {text}");
        match serde_json::from_str(&text) {
            Ok(Value::Array(messages)) => messages,
            _ => panic!("mailsink GET {path}: not a list of messages: {text}"),
        }
    }

    /// Waits up to `timeout` (at most 60 s) until `to` has received `min` messages; every
    /// message `to` has received by then, oldest first.
    pub async fn wait_for(&self, to: &str, min: usize, timeout: Duration) -> Vec<Value> {
        self.messages(&format!(
            "to={to}&min={min}&timeout_ms={}",
            timeout.as_millis()
        ))
        .await
    }

    /// Waits up to `timeout` (at most 60 s) until the sink holds `min` messages in all; every
    /// message by then.
    pub async fn wait_for_all(&self, min: usize, timeout: Duration) -> Vec<Value> {
        self.messages(&format!("min={min}&timeout_ms={}", timeout.as_millis()))
            .await
    }
}
