//! Operations of the Dashboard and the Trade log: fills (live and recent), order updates, the
//! trade log and the kill switch. Same rules as [`super::operations`]: one struct per document
//! under `frontend/graphql/`.
//!
//! The enums these operations share (`Side`, `OrderType`, `CopyStatus`, `SignalStatus`) are
//! one Rust type each (`extern_enums`), so an order from the trade log and the same order from
//! the live feed compare and convert without a match per operation. A value this build does
//! not know (a newer server) reads as `Unknown`, which the app shows but never sends.

use graphql_client::GraphQLQuery;
use serde::{Deserialize, Serialize};

pub use super::operations::DateTime;

/// The schema's `Side`: which way an order or fill goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Side {
    Buy,
    Sell,
    #[serde(other)]
    Unknown,
}

impl Side {
    pub fn label(self) -> &'static str {
        match self {
            Self::Buy => "Buy",
            Self::Sell => "Sell",
            Self::Unknown => "Other",
        }
    }
}

/// The schema's `OrderType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    Market,
    Limit,
    Stop,
    StopLimit,
    #[serde(other)]
    Unknown,
}

impl OrderType {
    pub fn label(self) -> &'static str {
        match self {
            Self::Market => "Market",
            Self::Limit => "Limit",
            Self::Stop => "Stop",
            Self::StopLimit => "Stop limit",
            Self::Unknown => "Other",
        }
    }
}

/// The schema's `CopyStatus`: where a copied order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CopyStatus {
    /// Stored; not sent yet.
    Pending,
    /// Sent; the broker's answer is not in yet.
    Sending,
    /// Accepted by the broker and working (a limit or stop waiting).
    Working,
    Filled,
    Cancelled,
    /// The broker said no.
    Rejected,
    /// Not sent, on purpose (paused group, outside trading hours, a limit…).
    Skipped,
    /// Could not be sent.
    Error,
    #[serde(other)]
    Unknown,
}

impl CopyStatus {
    /// Every status a filter can ask for, in the order an order goes through them.
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

    /// As the API spells it (`FILLED`): for `data-status` attributes and the CSV.
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sending => "SENDING",
            Self::Working => "WORKING",
            Self::Filled => "FILLED",
            Self::Cancelled => "CANCELLED",
            Self::Rejected => "REJECTED",
            Self::Skipped => "SKIPPED",
            Self::Error => "ERROR",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// As people read it (`Filled`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Sending => "Sending",
            Self::Working => "Working",
            Self::Filled => "Filled",
            Self::Cancelled => "Cancelled",
            Self::Rejected => "Rejected",
            Self::Skipped => "Skipped",
            Self::Error => "Error",
            Self::Unknown => "Unknown",
        }
    }

    /// The badge modifier: green when done, red when it failed, amber when it did not go.
    pub fn badge_class(self) -> Option<&'static str> {
        match self {
            Self::Filled => Some("badge--success"),
            Self::Rejected | Self::Error => Some("badge--danger"),
            Self::Skipped | Self::Cancelled => Some("badge--warning"),
            Self::Pending | Self::Sending | Self::Working | Self::Unknown => None,
        }
    }
}

/// The schema's `SignalStatus`: whether the webhook took the signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SignalStatus {
    Accepted,
    Rejected,
    #[serde(other)]
    Unknown,
}

impl SignalStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Accepted => "ACCEPTED",
            Self::Rejected => "REJECTED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// `Query.brokerConnections`, names only: to name the account of a fill or an order.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/account_names.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct AccountNames;

/// `Query.copyGroups`, without the followers' settings: the Dashboard's group status and the
/// Trade log's group filter.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/copy_group_summaries.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct CopyGroupSummaries;

/// `Query.recentFills`: the latest fills, newest first.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/recent_fills.graphql",
    extern_enums("Side"),
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct RecentFills;

/// `Subscription.tradeFills`: each fill as the broker reports it.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/trade_fills.graphql",
    extern_enums("Side"),
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct TradeFills;

/// `Subscription.orderUpdates`: every change of a copied order.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/order_updates.graphql",
    extern_enums("Side", "OrderType", "CopyStatus"),
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct OrderUpdates;

/// `Query.tradeLog`: one page of signals with their copied orders.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/trade_log.graphql",
    extern_enums("Side", "OrderType", "CopyStatus", "SignalStatus"),
    variables_derives = "Clone, Debug, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct TradeLog;

/// `Mutation.killSwitch`: pause every group, and optionally flatten every follower.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/kill_switch.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct KillSwitch;
