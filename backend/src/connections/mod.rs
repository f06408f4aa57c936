//! Linked broker connections: a broker login or API key goes in once, is checked against the
//! broker, sealed by the vault field by field, and is never shown again (only a masked hint).
//!
//! Rules: every query is scoped by the session's user id (SEC-12); another user's connection
//! is `NotFound`. A key that can withdraw is refused and never stored (SEC-14). Unlinking
//! deletes the sealed credentials in the same transaction as the connection (SEC-3). What the
//! API asks a venue for a user is reused briefly and budgeted per user (`reads`).

mod db;
mod reads;
mod service;

use chrono::{DateTime, Duration, Utc};

use crate::auth::AuthError;
use crate::brokers::credentials::CredentialsError;
use crate::brokers::{AccountSnapshot, BrokerEnvironment, BrokerError, BrokerKind};
use crate::db::DbError;
use crate::db::types::Id;

pub use reads::{CACHE_SECONDS, READ_BURST, READS_PER_MINUTE};
pub use service::{Connections, LinkRequest};

/// Users who have stored broker credentials now (for a breach notice).
pub async fn credential_holders(db: &crate::db::Db) -> Result<Vec<Id>, DbError> {
    db::credential_holders(db).await
}

/// Credentials older than this should be replaced (SEC-16).
pub const ROTATION_DAYS: i64 = 30;

/// Whether CopyTrade can use a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum ConnectionStatus {
    /// The last check passed.
    Connected,
    /// The last check failed (`lastError` says why); copying to it is paused.
    Error,
    /// The key gained withdrawal rights: refused until replaced by a trade-only key.
    Refused,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "CONNECTED",
            Self::Error => "ERROR",
            Self::Refused => "REFUSED",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "CONNECTED" => Self::Connected,
            "REFUSED" => Self::Refused,
            _ => Self::Error,
        }
    }
}

/// A linked connection as the API shows it: never a credential, only the hint.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub id: Id,
    pub user_id: Id,
    pub broker: BrokerKind,
    pub environment: BrokerEnvironment,
    pub label: String,
    pub status: ConnectionStatus,
    pub last_error: Option<String>,
    pub credential_hint: String,
    pub credentials_updated_at: DateTime<Utc>,
    pub venue_key_created_at: Option<DateTime<Utc>>,
    pub can_withdraw: Option<bool>,
    pub last_checked_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl Connection {
    /// True once the credentials (or the venue's key, if older) are 30 days old. Paper
    /// connections have no credentials to rotate.
    pub fn rotation_due(&self, now: DateTime<Utc>) -> bool {
        if self.broker == BrokerKind::Paper {
            return false;
        }
        let oldest = self
            .venue_key_created_at
            .map_or(self.credentials_updated_at, |venue| {
                venue.min(self.credentials_updated_at)
            });
        now - oldest >= Duration::days(ROTATION_DAYS)
    }
}

/// A trading account a connection can see.
#[derive(Debug, Clone, PartialEq)]
pub struct TradingAccount {
    pub id: Id,
    pub connection_id: Id,
    pub external_id: String,
    pub name: String,
}

/// A trading account with what the broker says it holds (`None` if the broker could not be
/// asked just now).
#[derive(Debug, Clone)]
pub struct AccountView {
    pub account: TradingAccount,
    pub snapshot: Option<AccountSnapshot>,
    /// When the broker was asked (a read may be reused for [`CACHE_SECONDS`]); `None` when
    /// it was not.
    pub read_at: Option<DateTime<Utc>>,
}

/// Why a connection operation failed; each maps to one stable API error code.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("{field} {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Credentials(#[from] CredentialsError),
    #[error(
        "this {broker} key can withdraw funds, so CopyTrade refuses it and stored nothing; {how}"
    )]
    WithdrawalRefused {
        broker: &'static str,
        how: &'static str,
    },
    #[error("this {broker} key cannot trade futures; {how}")]
    TradingNotAllowed {
        broker: &'static str,
        how: &'static str,
    },
    #[error("{0}")]
    Broker(#[from] BrokerError),
    #[error("no such broker connection")]
    NotFound,
    /// The user's budget of broker reads is spent for now.
    #[error("too many broker reads; try again in {retry_after_seconds} seconds")]
    RateLimited { retry_after_seconds: i64 },
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for ConnectionError {
    fn from(err: DbError) -> Self {
        Self::Internal(err.to_string())
    }
}

/// How to make a key CopyTrade accepts (SEC-15), per venue.
pub fn trade_only_guidance(broker: BrokerKind) -> &'static str {
    match broker {
        BrokerKind::BinanceUsdm => {
            "create a new API key with only \"Enable Futures\" ticked, withdrawals off, and restrict it to trusted IPs"
        }
        BrokerKind::Bybit => {
            "create a new API key with Read-Write access to Contracts (Derivatives) only, no Wallet withdrawal rights, bound to trusted IPs"
        }
        BrokerKind::Okx => {
            "create a new API key with the Read and Trade permissions only (not Withdraw), bound to trusted IPs"
        }
        BrokerKind::Tradovate => {
            "in Tradovate's Application Settings, API Access, create a dedicated API app for CopyTrade with only the Orders, Positions, Account Information and Contract Library rights (never any funding or withdrawal right), then give its app id, cid and secret with your login"
        }
        BrokerKind::Apex => {
            "link the Tradovate login your Apex accounts trade under, with a dedicated Tradovate API app that has only the Orders, Positions, Account Information and Contract Library rights; Apex sets its own rules on automated and copied trading: check them in Apex's help centre before you copy"
        }
        BrokerKind::TopstepX => {
            "subscribe to TopstepX's API add-on, create an API key for CopyTrade alone, and give it with your TopstepX username; the key trades your accounts but cannot withdraw; Topstep sets its own rules on automated and copied trading: check them in Topstep's help centre before you copy"
        }
        BrokerKind::Paper => {
            "no key needed: CopyTrade simulates an account with the starting balance you choose"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(updated: &str, venue: Option<&str>) -> Connection {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        Connection {
            id: Id::new(),
            user_id: Id::new(),
            broker: BrokerKind::Bybit,
            environment: BrokerEnvironment::Demo,
            label: "x".into(),
            status: ConnectionStatus::Connected,
            last_error: None,
            credential_hint: "••••".into(),
            credentials_updated_at: at(updated),
            venue_key_created_at: venue.map(at),
            can_withdraw: Some(false),
            last_checked_at: at(updated),
            created_at: at(updated),
        }
    }

    #[test]
    fn rotation_is_due_from_day_30_of_the_older_of_our_date_and_the_venues() {
        let now: DateTime<Utc> = "2026-12-31T12:00:00Z".parse().unwrap();
        assert!(!connection("2026-12-02T12:00:01Z", None).rotation_due(now)); // day 29
        assert!(connection("2026-12-01T12:00:00Z", None).rotation_due(now)); // day 30
        assert!(connection("2026-12-30T00:00:00Z", Some("2026-11-01T00:00:00Z")).rotation_due(now));
        let mut paper = connection("2026-01-01T00:00:00Z", None);
        paper.broker = BrokerKind::Paper;
        assert!(!paper.rotation_due(now));
    }
}
