//! The venue's state behind one lock: the key and its permissions, the account's equity, last
//! prices, every order (the venue's own take-profit and stop-loss orders included), positions,
//! the calls served, and the broadcast channel the private stream reads pushes from. Changing
//! an order's status always pushes it on the `order` topic.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::now_ms;
use super::numbers::{fmt_num, fmt_opt, fmt_units, units_f64};
use super::positions::Position;

const DEFAULT_LAST_PRICE: f64 = 100.0;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Buy,
    Sell,
}

impl Side {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "Buy",
            Self::Sell => "Sell",
        }
    }

    pub(super) fn sign(self) -> i64 {
        match self {
            Self::Buy => 1,
            Self::Sell => -1,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum OrderType {
    Market,
    Limit,
}

impl OrderType {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Market => "Market",
            Self::Limit => "Limit",
        }
    }
}

pub(super) struct Order {
    pub(super) order_id: String,
    pub(super) order_link_id: String,
    pub(super) symbol: String,
    pub(super) side: Side,
    pub(super) order_type: OrderType,
    pub(super) price: Option<f64>,
    pub(super) qty: i64,
    pub(super) cum_exec_qty: i64,
    pub(super) cum_exec_value: f64,
    pub(super) cum_exec_fee: f64,
    pub(super) status: &'static str,
    pub(super) reject_reason: &'static str,
    pub(super) trigger_price: Option<f64>,
    pub(super) trigger_direction: i64,
    pub(super) take_profit: Option<f64>,
    pub(super) stop_loss: Option<f64>,
    pub(super) reduce_only: bool,
    pub(super) close_on_trigger: bool,
    pub(super) time_in_force: String,
    /// "" for a plain order; "TakeProfit"/"StopLoss" for those the venue places itself.
    pub(super) stop_order_type: &'static str,
    pub(super) created_ms: i64,
    pub(super) updated_ms: i64,
}

impl Order {
    pub(super) fn is_open(&self) -> bool {
        matches!(self.status, "New" | "PartiallyFilled" | "Untriggered")
    }

    pub(super) fn leaves_qty(&self) -> i64 {
        // A Triggered order is on its way to the book: nothing of it has been closed yet.
        if self.is_open() || self.status == "Triggered" {
            self.qty - self.cum_exec_qty
        } else {
            0
        }
    }

    fn avg_price(&self) -> Option<f64> {
        (self.cum_exec_qty > 0).then(|| self.cum_exec_value / units_f64(self.cum_exec_qty))
    }

    /// The fields `/v5/order/realtime` lists; the `order` topic adds `category`.
    pub(super) fn to_json(&self) -> Value {
        let leaves = self.leaves_qty();
        json!({
            "orderId": self.order_id, "orderLinkId": self.order_link_id, "blockTradeId": "",
            "symbol": self.symbol, "price": fmt_opt(self.price, "0"), "qty": fmt_units(self.qty),
            "side": self.side.as_str(), "isLeverage": "", "positionIdx": 0,
            "orderStatus": self.status, "cancelType": "UNKNOWN", "rejectReason": self.reject_reason,
            "avgPrice": fmt_opt(self.avg_price(), "0"), "leavesQty": fmt_units(leaves),
            "leavesValue": fmt_num(self.price.unwrap_or(0.0) * units_f64(leaves)),
            "cumExecQty": fmt_units(self.cum_exec_qty),
            "cumExecValue": fmt_num(self.cum_exec_value), "cumExecFee": fmt_num(self.cum_exec_fee),
            "timeInForce": self.time_in_force, "orderType": self.order_type.as_str(),
            "stopOrderType": self.stop_order_type, "orderIv": "",
            "triggerPrice": fmt_opt(self.trigger_price, "0"),
            "triggerDirection": self.trigger_direction,
            "triggerBy": if self.trigger_price.is_some() { "LastPrice" } else { "" },
            "takeProfit": fmt_opt(self.take_profit, "0"), "stopLoss": fmt_opt(self.stop_loss, "0"),
            "tpTriggerBy": if self.take_profit.is_some() { "LastPrice" } else { "" },
            "slTriggerBy": if self.stop_loss.is_some() { "LastPrice" } else { "" },
            "tpslMode": if self.take_profit.is_some() || self.stop_loss.is_some() { "Full" } else { "" },
            "reduceOnly": self.reduce_only, "closeOnTrigger": self.close_on_trigger,
            "smpType": "None", "smpGroup": 0, "smpOrderId": "",
            "createdTime": self.created_ms.to_string(), "updatedTime": self.updated_ms.to_string(),
        })
    }
}

#[derive(Clone, Debug)]
pub(super) enum Push {
    /// One frame's `data` for a base topic (`order`, `execution`, `position`).
    Frame {
        topic: &'static str,
        data: Value,
    },
    Close,
}

pub(super) struct Venue {
    pub(super) api_key: String,
    pub(super) api_secret: String,
    pub(super) read_only: u8,
    pub(super) permissions: Value,
    pub(super) created_at: String,
    pub(super) equity: f64,
    pub(super) rate_limited: bool,
    pub(super) last_prices: BTreeMap<String, f64>,
    pub(super) orders: Vec<Order>,
    pub(super) positions: BTreeMap<String, Position>,
    pub(super) created: usize,
    pub(super) calls: Vec<String>,
    pub(super) tx: broadcast::Sender<Push>,
}

impl Venue {
    pub(super) fn new(api_key: &str, api_secret: &str, tx: broadcast::Sender<Push>) -> Self {
        Self {
            api_key: api_key.to_owned(),
            api_secret: api_secret.to_owned(),
            read_only: 0,
            permissions: json!({
                "ContractTrade": ["Order", "Position"], "Spot": [], "Wallet": [], "Options": [],
                "Derivatives": ["DerivativesTrade"], "CopyTrading": [], "BlockTrade": [],
                "Exchange": [], "NFT": [],
            }),
            created_at: "2026-11-01T00:00:00Z".to_owned(),
            equity: 10_000.0,
            rate_limited: false,
            last_prices: BTreeMap::new(),
            orders: Vec::new(),
            positions: BTreeMap::new(),
            created: 0,
            calls: Vec::new(),
            tx,
        }
    }

    pub(super) fn last_price(&self, symbol: &str) -> f64 {
        self.last_prices
            .get(symbol)
            .copied()
            .unwrap_or(DEFAULT_LAST_PRICE)
    }

    pub(super) fn push(&self, topic: &'static str, entry: Value) {
        // Nobody listening is not an error: the venue pushes regardless.
        let _ = self.tx.send(Push::Frame {
            topic,
            data: json!([entry]),
        });
    }

    pub(super) fn push_order(&self, idx: usize) {
        let mut entry = self.orders[idx].to_json();
        entry["category"] = json!("linear");
        self.push("order", entry);
    }

    pub(super) fn set_status(&mut self, idx: usize, status: &'static str, reason: &'static str) {
        let order = &mut self.orders[idx];
        order.status = status;
        order.reject_reason = reason;
        order.updated_ms = now_ms();
        self.push_order(idx);
    }
}
