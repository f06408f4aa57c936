//! `brokersim` as a separate process, as the adapters meet a real venue: started on a free
//! loopback port, set up through its control API (`/_sim/...`), stopped when dropped.
//!
//! The binary is built once per test run (`cargo build -p brokersim`, quick when fresh), so a
//! changed simulator is never tested stale.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::http::request;

/// A running simulator. Dropping it kills the process.
pub struct BrokerSim {
    pub addr: SocketAddr,
    /// The `COPYTRADE_ENDPOINT_*` settings it printed at start-up.
    endpoints: Vec<(String, String)>,
    child: Child,
}

/// The simulator binary, built on first use.
fn binary() -> &'static PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| super::workspace_binary("brokersim"))
}

impl BrokerSim {
    /// Starts a fresh simulator on 127.0.0.1 with a port of its own.
    pub async fn start() -> Self {
        let path = binary().clone();
        let mut child = Command::new(&path)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", path.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut endpoints = Vec::new();
        let addr = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.expect("brokersim's output") {
                if let Some(rest) = line.strip_prefix("brokersim listening on ") {
                    let addr = rest.split_whitespace().next().expect("an address");
                    return addr.parse::<SocketAddr>().expect("a socket address");
                }
                if let Some((name, value)) = line.split_once('=') {
                    endpoints.push((name.to_owned(), value.to_owned()));
                }
            }
            panic!("brokersim exited before it listened");
        })
        .await
        .expect("brokersim listens within 20 s");
        // Keep reading its output so the pipe never fills.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            addr,
            endpoints,
            child,
        }
    }

    /// The printed `COPYTRADE_ENDPOINT_*` settings, to start CopyTrade with.
    pub fn env(&self) -> Vec<(&str, &str)> {
        self.endpoints
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }

    /// One printed setting, e.g. `COPYTRADE_ENDPOINT_TRADOVATE`.
    pub fn endpoint(&self, name: &str) -> &str {
        self.endpoints
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or_else(|| panic!("brokersim printed no {name}"))
    }

    /// A control call (`path` below `/_sim`); panics unless it succeeds.
    pub async fn control(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let (status, text) = request(self.addr, method, &format!("/_sim{path}"), body.as_deref())
            .await
            .unwrap_or_else(|err| panic!("brokersim control {path}: {err}"));
        assert!(
            (200..300).contains(&status),
            "brokersim control {method} {path} answered {status}: {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.control("POST", path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> Value {
        self.control("GET", path, None).await
    }

    /// The requests `venue` received whose path contains `path` (any case).
    pub async fn requests(&self, venue: &str, path: &str) -> Vec<Value> {
        let answer = self.get(&format!("/{venue}/requests?path={path}")).await;
        answer["requests"].as_array().cloned().unwrap_or_default()
    }

    /// Whether the process is still running (it must survive everything the tests do).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}
