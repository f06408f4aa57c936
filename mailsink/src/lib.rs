//! mailsink: a small SMTP server for tests. It accepts mail on one loopback port the way a real
//! server does (RFC 5321, plain TCP; see `docs/mailsink.md`), keeps every message it accepts in
//! memory, and shows them through a JSON control API on another port, where a test can also
//! make the next transactions fail.
//!
//! - [`smtp`]: the sessions; [`auth`]: `AUTH PLAIN` and `LOGIN`; [`path`], [`lines`]: the
//!   command syntax and the line limits;
//! - [`message`], [`encoding`]: reading headers and the plain-text body of what arrived;
//! - [`store`]: the messages and the fault queue; [`control`]: the HTTP API.
//!
//! Nothing is relayed anywhere: the sink is the end of the line.

pub mod auth;
pub mod control;
pub mod encoding;
pub mod lines;
pub mod message;
pub mod path;
pub mod smtp;
pub mod store;

use std::io;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use store::Store;

/// How the SMTP side behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// The name in the greeting and in replies.
    pub hostname: String,
    /// Largest message accepted, in octets (advertised with `SIZE`).
    pub max_size: usize,
    /// With a user and password, `AUTH PLAIN LOGIN` is offered and required before `MAIL`.
    pub auth: Option<(String, String)>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            hostname: "localhost".to_owned(),
            max_size: 10 * 1024 * 1024,
            auth: None,
        }
    }
}

/// Serves SMTP on `smtp` and the control API on `http`, sharing `store`, until the control
/// server fails.
pub async fn run(
    smtp: TcpListener,
    http: TcpListener,
    config: Config,
    store: Store,
) -> io::Result<()> {
    let mail = tokio::spawn(smtp::serve(smtp, Arc::new(config), store.clone()));
    let result = axum::serve(http, control::router(store)).await;
    mail.abort();
    result
}
