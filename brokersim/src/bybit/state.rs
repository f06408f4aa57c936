//! The venue's state behind one lock: API keys (each with its permissions and creation date),
//! accounts by UID (equity, orders — the venue's own take-profit and stop-loss orders
//! included — positions and executions), last prices, behaviour switches, and the broadcast
//! channel the private streams read pushes from. Changing an order's status always pushes it
//! on the `order` topic.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::instruments::instrument;
use super::now_ms;
use super::numbers::{fmt_num, fmt_opt, fmt_units, units_f64};
use super::positions::Position;

/// The first UID handed out; the next keys get the following ones.
const FIRST_UID: u64 = 5_550_001;
const DEFAULT_EQUITY: f64 = 10_000.0;
/// A key's creation date unless a test sets one (old enough that rotation is due).
const DEFAULT_CREATED_AT: &str = "2026-11-01T00:00:00Z";
/// The last price of a symbol no instrument lists (never reached: orders need an instrument).
const FALLBACK_PRICE: f64 = 100.0;

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

/// One frame's `data` for a base topic (`order`, `execution`, `position`), for the streams
/// logged in to account `uid`.
#[derive(Clone, Debug)]
pub(super) struct Push {
    pub(super) uid: u64,
    pub(super) topic: &'static str,
    pub(super) data: Value,
}

/// One API key; its account is `uid`.
#[derive(Clone)]
pub(super) struct Key {
    /// The key's own id at Bybit (query-api's `id`).
    pub(super) id: u64,
    pub(super) api_key: String,
    pub(super) api_secret: String,
    pub(super) uid: u64,
    pub(super) read_only: u8,
    pub(super) permissions: Value,
    pub(super) created_at: String,
    /// While on, every private REST call (once authenticated) answers retCode 10006.
    pub(super) rate_limited: bool,
}

impl Key {
    pub(super) fn new(id: u64, api_key: &str, api_secret: &str, uid: u64) -> Self {
        Self {
            id,
            api_key: api_key.to_owned(),
            api_secret: api_secret.to_owned(),
            uid,
            read_only: 0,
            // A trade-only key: contracts and derivatives, nothing in Wallet.
            permissions: json!({
                "ContractTrade": ["Order", "Position"], "Spot": [], "Wallet": [], "Options": [],
                "Derivatives": ["DerivativesTrade"], "CopyTrading": [], "BlockTrade": [],
                "Exchange": [], "NFT": [],
            }),
            created_at: DEFAULT_CREATED_AT.to_owned(),
            rate_limited: false,
        }
    }
}

/// One executed trade, kept for `/v5/execution/list`.
pub(super) struct Execution {
    /// Increasing per account: the order of the list and the page cursor.
    pub(super) seq: u64,
    pub(super) time_ms: i64,
    /// As the `execution` topic pushes it (with `category`).
    pub(super) data: Value,
}

/// One UNIFIED account (a UID) and everything traded in it.
pub(super) struct Account {
    pub(super) uid: u64,
    pub(super) equity: f64,
    pub(super) orders: Vec<Order>,
    pub(super) positions: BTreeMap<String, Position>,
    pub(super) executions: Vec<Execution>,
    /// Orders created through `/v5/order/create`.
    pub(super) created: usize,
    tx: broadcast::Sender<Push>,
}

impl Account {
    fn new(uid: u64, tx: broadcast::Sender<Push>) -> Self {
        Self {
            uid,
            equity: DEFAULT_EQUITY,
            orders: Vec::new(),
            positions: BTreeMap::new(),
            executions: Vec::new(),
            created: 0,
            tx,
        }
    }

    pub(super) fn push(&self, topic: &'static str, entry: Value) {
        // Nobody listening is not an error: the venue pushes regardless.
        let _ = self.tx.send(Push {
            uid: self.uid,
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

/// Last prices by symbol.
#[derive(Default)]
pub(super) struct Prices(BTreeMap<String, f64>);

impl Prices {
    pub(super) fn last(&self, symbol: &str) -> f64 {
        self.0
            .get(symbol)
            .copied()
            .unwrap_or_else(|| instrument(symbol).map_or(FALLBACK_PRICE, |i| i.default_price))
    }

    pub(super) fn set(&mut self, symbol: &str, price: f64) {
        self.0.insert(symbol.to_owned(), price);
    }
}

/// Behaviour switches (`/_sim/bybit/config`).
#[derive(Default, Clone, Copy)]
pub(super) struct Config {
    /// Every key answers retCode 10006 (on top of each key's own switch).
    pub(super) rate_limited: bool,
    /// Integer fields (`positionIdx`, `triggerDirection`) also taken as numeric strings.
    pub(super) numeric_string_integers: bool,
}

pub(super) struct State {
    pub(super) keys: BTreeMap<String, Key>,
    pub(super) accounts: BTreeMap<u64, Account>,
    pub(super) prices: Prices,
    pub(super) config: Config,
    pub(super) tx: broadcast::Sender<Push>,
}

impl State {
    pub(super) fn new() -> Self {
        Self {
            keys: BTreeMap::new(),
            accounts: BTreeMap::new(),
            prices: Prices::default(),
            config: Config::default(),
            tx: broadcast::channel(4096).0,
        }
    }

    /// Everything but the stream channel (open streams stay, with nothing to hear).
    pub(super) fn reset(&mut self) {
        let tx = self.tx.clone();
        *self = Self { tx, ..Self::new() };
    }

    /// The next UID nobody has.
    pub(super) fn free_uid(&self) -> u64 {
        (FIRST_UID..)
            .find(|uid| !self.accounts.contains_key(uid))
            .unwrap_or(FIRST_UID)
    }

    /// The account `uid`, opened if it is new.
    pub(super) fn account_entry(&mut self, uid: u64) -> &mut Account {
        let tx = self.tx.clone();
        self.accounts
            .entry(uid)
            .or_insert_with(|| Account::new(uid, tx))
    }
}
