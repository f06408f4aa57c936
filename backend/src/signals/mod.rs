//! Trading signals: the webhooks that receive them (TradingView alerts or any HTTP client), and
//! every signal received, accepted or rejected, in the user's log.
//!
//! Rules: a webhook's token is at least 256 random bits, shown once and stored only as its
//! SHA-256 (SEC-18); an unknown or rotated token is a plain 404 that reveals nothing. Its
//! signing secret (the key of `X-CopyTrade-Signature`) is another 256 random bits, shown once
//! with the token, sealed by the vault, and rotated with the token; a signed request is taken
//! once, within 5 minutes of its timestamp ([`signature`]). A signal is stored before anything
//! acts on it, and a malformed one is stored too, as rejected, with what was wrong (SEC-17).
//! The same `id` again, or the same body within 5 seconds, is a duplicate and places nothing.
//! Each webhook's budget is kept in the database ([`budget`]), so it holds across instances.

mod budget;
mod db;
mod intake;
pub mod parse;
mod service;
pub mod signature;

use chrono::{DateTime, Utc};

use crate::db::DbError;
use crate::db::types::Id;
use crate::vault::SecretString;

pub(crate) use db::SignalRow;
pub use intake::{Intake, Receipt, SIGNATURE_HEADER};
pub use service::Signals;
pub(crate) use signature::secret_ad as signing_secret_ad;

/// TradingView's alert senders (docs/brokers.md §8.2), for the one-click allow-list preset.
pub const TRADINGVIEW_IPS: [&str; 4] = [
    "52.89.214.238",
    "34.212.75.30",
    "54.218.53.128",
    "52.32.178.7",
];

/// SEC-18: the largest signal body.
pub const MAX_SIGNAL_BYTES: usize = 16 * 1024;

/// A webhook as its owner sees it (never the token).
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: Id,
    pub user_id: Id,
    pub name: String,
    pub token_hint: String,
    pub require_signature: bool,
    pub allowed_ips: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_signal_at: Option<DateTime<Utc>>,
}

/// A new or rotated webhook with its token and signing secret: the only time they are shown.
#[derive(Debug, Clone)]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub token: String,
    pub signing_secret: SecretString,
}

/// A webhook after a change, and whether who may send to it changed (the signature
/// requirement or the allowed addresses), for the security log.
#[derive(Debug, Clone)]
pub struct UpdatedWebhook {
    pub webhook: Webhook,
    pub access_changed: bool,
}

/// Whether a signal was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum SignalStatus {
    Accepted,
    Rejected,
}

impl SignalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "ACCEPTED",
            Self::Rejected => "REJECTED",
        }
    }
}

/// A received signal as the log shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalRecord {
    pub id: Id,
    pub webhook_id: Option<Id>,
    pub received_at: DateTime<Utc>,
    pub status: SignalStatus,
    pub raw_payload: String,
    pub error_field: Option<String>,
    pub error: Option<String>,
    pub outcome: Option<String>,
}

/// Why a webhook operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SignalsError {
    #[error("{field}: {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error("no such webhook")]
    NotFound,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for SignalsError {
    fn from(err: DbError) -> Self {
        Self::Internal(err.to_string())
    }
}
