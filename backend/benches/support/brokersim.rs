//! `brokersim` as a separate process for a bench, as the adapters meet a real venue: built
//! with the bench's own profile (a release bench talks to a release simulator), started on a
//! free loopback port, set up through its control API (`/_sim/...`), killed when dropped.
//!
//! The tests have their own starter (`tests/integration/support/brokersim.rs`); a bench cannot
//! import test modules. A bench includes this file with
//! `#[path = "support/brokersim.rs"] mod brokersim;`, so benches that do not use it do not
//! compile it (nothing here is dead code in them).

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running simulator. Dropping it kills the process.
pub struct BrokerSim {
    pub addr: SocketAddr,
    /// The `COPYTRADE_ENDPOINT_*` settings it printed at start-up.
    pub endpoints: Vec<(String, String)>,
    _child: Child,
}

impl BrokerSim {
    /// Builds (quick when fresh) and starts a simulator on 127.0.0.1 with a port of its own.
    pub async fn start() -> Self {
        let path = tokio::task::spawn_blocking(|| crate::workspace_binary::build("brokersim"))
            .await
            .expect("the build task ends");
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
            _child: child,
        }
    }

    /// A control call (`path` below `/_sim`) with a JSON body; panics unless it succeeds.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let (status, text) = crate::raw_http::request(
            self.addr,
            "POST",
            &format!("/_sim{path}"),
            "Content-Type: application/json\r\n",
            &body.to_string(),
        )
        .await
        .unwrap_or_else(|err| panic!("brokersim control {path}: {err}"));
        assert!(
            (200..300).contains(&status),
            "brokersim control {path} answered {status}: {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}
