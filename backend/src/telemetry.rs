//! Structured logs through `tracing`, filtered by `RUST_LOG` (default `info`).
//!
//! Rule: never log a password, token, TOTP code, webhook token or broker key; skip such
//! arguments in `#[instrument]` and keep them in secret types whose `Debug` is masked.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // try_init: a second call (tests) keeps the first subscriber instead of panicking.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
