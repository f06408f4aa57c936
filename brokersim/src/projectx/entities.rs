//! The venue's entities and their JSON shapes: users, accounts, orders (with bracket links),
//! positions and trades, plus the order enums the venue's messages name.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::contracts::Product;
use super::wire::timestamp;

/// Order `status` values.
pub mod status {
    pub const OPEN: i32 = 1;
    pub const FILLED: i32 = 2;
    pub const CANCELLED: i32 = 3;
    pub const REJECTED: i32 = 5;
    pub const PENDING: i32 = 6;
    pub const SUSPENDED: i32 = 8;
}

/// Order `type` values.
pub mod kind {
    pub const LIMIT: i32 = 1;
    pub const MARKET: i32 = 2;
    pub const STOP: i32 = 4;
    pub const TRAILING_STOP: i32 = 5;
    pub const JOIN_BID: i32 = 6;
    pub const JOIN_ASK: i32 = 7;

    /// The Swagger's enum names, which the venue's messages quote.
    pub fn name(kind: i32) -> &'static str {
        match kind {
            1 => "Limit",
            2 => "Market",
            3 => "StopLimit",
            4 => "Stop",
            5 => "TrailingStop",
            6 => "JoinBid",
            7 => "JoinAsk",
            _ => "Unknown",
        }
    }
}

/// Order `side`: 0 Bid (buy), 1 Ask (sell).
pub const BUY: i32 = 0;

pub struct User {
    pub id: i64,
    pub user_name: String,
    pub api_key: String,
    /// Whether the paid API add-on is on; without it login answers code 9.
    pub api_subscription: bool,
}

pub struct Account {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub balance: f64,
    pub can_trade: bool,
    pub is_visible: bool,
    pub simulated: bool,
    /// The account's "Auto OCO Brackets" setting; brackets on `Order/place` need it.
    pub auto_oco: bool,
}

impl Account {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "balance": self.balance,
            "canTrade": self.can_trade,
            "isVisible": self.is_visible,
            "simulated": self.simulated,
        })
    }
}

/// How a bracket leg relates to its entry.
#[derive(Clone, Copy)]
pub struct Leg {
    /// The other leg, when the entry has both.
    pub sibling: Option<i64>,
    /// Signed distance from the entry's fill price, in ticks.
    pub offset_ticks: i64,
}

#[derive(Clone)]
pub struct Order {
    pub id: i64,
    pub account_id: i64,
    pub contract_id: String,
    pub symbol_id: String,
    pub product: &'static Product,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub status: i32,
    pub kind: i32,
    pub side: i32,
    pub size: i64,
    pub limit_price: Option<f64>,
    pub stop_price: Option<f64>,
    /// A trailing stop's distance in price units (what search answers call `trailPrice`).
    pub trail_distance: Option<f64>,
    pub filled_price: Option<f64>,
    pub fill_volume: i64,
    pub custom_tag: Option<String>,
    /// On an entry: its bracket legs, suspended until it fills.
    pub legs: Vec<i64>,
    /// On a bracket leg: its entry and sibling.
    pub leg: Option<Leg>,
}

impl Order {
    pub fn is_buy(&self) -> bool {
        self.side == BUY
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "accountId": self.account_id,
            "contractId": self.contract_id,
            "symbolId": self.symbol_id,
            "creationTimestamp": timestamp(self.created),
            "updateTimestamp": timestamp(self.updated),
            "status": self.status,
            "type": self.kind,
            "side": self.side,
            "size": self.size,
            "limitPrice": self.limit_price,
            "stopPrice": self.stop_price,
            "trailPrice": self.trail_distance,
            "filledPrice": self.filled_price,
            "fillVolume": self.fill_volume,
            "customTag": self.custom_tag,
        })
    }
}

pub struct Position {
    pub id: i64,
    pub account_id: i64,
    pub contract_id: String,
    pub created: DateTime<Utc>,
    /// Signed: above zero long, below zero short.
    pub net: i64,
    pub average_price: f64,
}

impl Position {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "accountId": self.account_id,
            "contractId": self.contract_id,
            "creationTimestamp": timestamp(self.created),
            "type": if self.net >= 0 { 1 } else { 2 },
            "size": self.net.abs(),
            "averagePrice": self.average_price,
        })
    }
}

pub struct Trade {
    pub id: i64,
    pub account_id: i64,
    pub contract_id: String,
    pub created: DateTime<Utc>,
    pub price: f64,
    /// `None` on an opening half-turn.
    pub profit_and_loss: Option<f64>,
    pub fees: f64,
    pub side: i32,
    pub size: i64,
    pub order_id: i64,
}

impl Trade {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "accountId": self.account_id,
            "contractId": self.contract_id,
            "creationTimestamp": timestamp(self.created),
            "price": self.price,
            "profitAndLoss": self.profit_and_loss,
            "fees": self.fees,
            "side": self.side,
            "size": self.size,
            "voided": false,
            "orderId": self.order_id,
        })
    }
}
