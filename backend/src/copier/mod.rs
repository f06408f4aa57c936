//! The copier: copy groups (a leader and its followers), and what happens to every accepted
//! signal: one copied order per follower, sized, mapped and limited per follower, placed on
//! every follower in parallel, exactly once, with every outcome and fill in the trade log and
//! on the user's live feed.
//!
//! Rules: a copied order is stored (with a client order id derived from signal and follower)
//! before its broker call, and its status moves PENDING → SENDING → an answer. Only errors the
//! adapter marks safe are retried; an unknown outcome is looked up by client order id first.
//! After a restart, unfinished copies are resumed by the same rules, so each follower ends with
//! one order per signal. Every query is scoped by user (SEC-12).

mod db;
mod dispatch;
mod feed;
mod groups;
mod log;
mod mirror;
pub mod plan;
mod relay;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::brokers::{BrokerError, Side};
use crate::connections::ConnectionError;
use crate::db::DbError;
use crate::db::types::Id;

pub use dispatch::{Copier, CopierSettings, KillSwitchResult, NO_COPY_GROUP};
pub use groups::{FollowerInput, GroupInput};
pub use log::{TradeLogFilter, TradeLogPage};

/// A copy group: where its signals come from, and whether it copies now.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyGroup {
    pub id: Id,
    pub user_id: Id,
    pub name: String,
    pub webhook_id: Option<Id>,
    /// A linked trading account whose own fills are mirrored.
    pub leader_account_id: Option<Id>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// One trading account copying a group, with its own sizing and limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Follower {
    pub id: Id,
    pub copy_group_id: Id,
    pub trading_account_id: Id,
    pub enabled: bool,
    pub multiplier: f64,
    pub fixed_quantity: Option<f64>,
    pub max_quantity: Option<f64>,
    pub max_position: Option<f64>,
    pub invert: bool,
    pub symbol_map: Vec<SymbolMapping>,
    pub daily_loss_limit: Option<f64>,
    pub trading_hours: Option<plan::TradingHours>,
    pub created_at: DateTime<Utc>,
}

/// The signal's symbol `from` is traded as `to` on this follower (`ES` → `MES`).
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    async_graphql::SimpleObject,
    async_graphql::InputObject,
)]
#[graphql(input_name = "SymbolMappingInput")]
pub struct SymbolMapping {
    pub from: String,
    pub to: String,
}

/// Where a copied order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum, Serialize, Deserialize)]
pub enum CopyStatus {
    /// Stored; not sent yet.
    Pending,
    /// Sent; the broker's answer is not in yet.
    Sending,
    /// Accepted by the broker and working (a limit or stop waiting).
    Working,
    Filled,
    Cancelled,
    /// The broker said no (`reason` is the broker's).
    Rejected,
    /// Not sent, on purpose (`reason` says why: paused, outside trading hours, a limit...).
    Skipped,
    /// Could not be sent (`reason` says why).
    Error,
}

impl CopyStatus {
    pub const ALL: [Self; 8] = [
        Self::Pending,
        Self::Sending,
        Self::Working,
        Self::Filled,
        Self::Cancelled,
        Self::Rejected,
        Self::Skipped,
        Self::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sending => "SENDING",
            Self::Working => "WORKING",
            Self::Filled => "FILLED",
            Self::Cancelled => "CANCELLED",
            Self::Rejected => "REJECTED",
            Self::Skipped => "SKIPPED",
            Self::Error => "ERROR",
        }
    }

    pub fn parse(text: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .unwrap_or(Self::Error)
    }

    /// Whether nothing more will be sent for it.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Sending)
    }
}

/// One follower's copy of one signal, as the trade log shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopiedOrder {
    pub id: Id,
    pub signal_id: Id,
    pub copy_group_id: Option<Id>,
    pub follower_id: Option<Id>,
    pub trading_account_id: Option<Id>,
    pub client_order_id: String,
    pub request: Option<plan::Request>,
    pub status: CopyStatus,
    pub reason: Option<String>,
    pub broker_order_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub filled_at: Option<DateTime<Utc>>,
    /// Summed over its fills.
    pub filled_quantity: f64,
    pub average_price: Option<f64>,
}

/// An execution on one of the user's trading accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeFill {
    pub id: Id,
    pub user_id: Id,
    /// `None` once the account is unlinked.
    pub trading_account_id: Option<Id>,
    pub copied_order_id: Option<Id>,
    pub signal_id: Option<Id>,
    pub broker_order_id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub side: Side,
    pub quantity: f64,
    pub price: f64,
    pub filled_at: DateTime<Utc>,
}

/// A copied order changed status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderUpdate {
    pub user_id: Id,
    pub order: CopiedOrder,
}

/// What the live feed carries; subscribers keep only their own user's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum CopierEvent {
    Fill(Box<TradeFill>),
    Order(Box<OrderUpdate>),
    /// Every follower of the signal has its answer (or a final status).
    SignalCopied {
        user_id: Id,
        signal_id: Id,
    },
}

impl CopierEvent {
    pub fn user_id(&self) -> Id {
        match self {
            Self::Fill(fill) => fill.user_id,
            Self::Order(update) => update.user_id,
            Self::SignalCopied { user_id, .. } => *user_id,
        }
    }
}

/// Why a copier operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CopierError {
    #[error("{field}: {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Broker(#[from] BrokerError),
    /// A stored setting cannot be read (the message names it); never replaced by a default.
    #[error("{0}")]
    Unreadable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for CopierError {
    fn from(err: DbError) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<ConnectionError> for CopierError {
    fn from(err: ConnectionError) -> Self {
        match err {
            ConnectionError::Broker(broker) => Self::Broker(broker),
            ConnectionError::NotFound => Self::NotFound("trading account"),
            other => Self::Internal(other.to_string()),
        }
    }
}
