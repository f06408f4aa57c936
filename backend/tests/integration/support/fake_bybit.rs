//! A local fake of Bybit v5 (`../shared/brokers.md` §5) that the Bybit adapter's tests run
//! against: REST and the private WebSocket on one loopback port, one API key, the `linear`
//! category in one-way position mode.
//!
//! What it keeps from the venue, because the adapter must cope with exactly that:
//! - Private REST calls are signed (`X-BAPI-*` headers, lowercase hex HMAC-SHA256 over
//!   `timestamp + apiKey + recvWindow + rawQuery | rawBody`) and checked in this order:
//!   unknown key 10003, timestamp outside `now - recvWindow <= ts < now + 1000` 10002, bad
//!   signature 10004. Public market routes need no signature.
//! - Every answer is the v5 envelope with HTTP 200, errors included; the one exception is an
//!   unknown route (and any withdraw or transfer path), which is HTTP 404 carrying retCode 10017.
//! - Order creation answers only `{orderId, orderLinkId}`; what happens next (New or
//!   Untriggered, then fills, cancels) is visible on the private stream's `order`, `execution`
//!   and `position` topics, and in `/v5/order/realtime`.
//! - Numbers in results and pushes are strings; absent order prices are "0", absent position
//!   take-profit and stop-loss are "".
//!
//! Every request is recorded (SEC-13: tests assert no withdraw or transfer path is ever called),
//! and query-api reports whatever permissions a test sets (SEC-14).

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

const USER_ID: u64 = 5_550_001;
const DEFAULT_RECV_WINDOW: i64 = 5000;
const DEFAULT_LAST_PRICE: f64 = 100.0;
/// Quantities are kept as integers of 1e-8 so that step checks and sums are exact.
const UNITS: i64 = 100_000_000;
const TAKER_FEE_RATE: f64 = 0.00055;
const MAKER_FEE_RATE: f64 = 0.0002;
/// The per-UID limit the fake reports in `X-Bapi-Limit` (order create allows 10/s for linear).
const UID_LIMIT: &str = "10";

type Shared = Arc<Mutex<Venue>>;

/// The fake venue on a loopback port. Dropping it stops the server and closes its streams.
pub struct FakeBybit {
    pub addr: SocketAddr,
    shared: Shared,
    server: JoinHandle<()>,
}

// Used by the Bybit adapter tests.
#[allow(dead_code)]
impl FakeBybit {
    /// Starts on 127.0.0.1:0 with one API key; serves REST and the private WebSocket on the same
    /// port.
    pub async fn start(api_key: &str, api_secret: &str) -> Self {
        let (tx, _) = broadcast::channel(1024);
        let shared: Shared = Arc::new(Mutex::new(Venue::new(api_key, api_secret, tx)));
        let router = Router::new()
            .route("/v5/private", any(private_stream))
            .fallback(rest)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port for the fake Bybit");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let server = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, router).await {
                eprintln!("fake Bybit stopped: {err}");
            }
        });
        Self {
            addr,
            shared,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT/v5/private`
    pub fn ws_url(&self) -> String {
        format!("ws://{}/v5/private", self.addr)
    }

    /// The key's permissions as query-api reports them, taken as given (the `permissions`
    /// object replaces the default one whole).
    pub fn set_permissions(&self, read_only: u8, permissions: Value) {
        let mut venue = lock(&self.shared);
        venue.read_only = read_only;
        venue.permissions = permissions;
    }

    pub fn set_key_created_at(&self, created_at: &str) {
        lock(&self.shared).created_at = created_at.to_owned();
    }

    /// Moves the symbol's last price: triggers conditional orders, fills resting Limit orders it
    /// crosses (at their limit price) and position take-profits and stop-losses it reaches.
    pub fn set_last_price(&self, symbol: &str, price: f64) {
        lock(&self.shared).set_last_price(symbol, price);
    }

    pub fn set_equity(&self, total_equity: f64) {
        lock(&self.shared).equity = total_equity;
    }

    /// While on, every private REST call (once authenticated) answers retCode 10006.
    pub fn set_rate_limited(&self, on: bool) {
        lock(&self.shared).rate_limited = on;
    }

    /// Every request served so far, in order, as `"GET /v5/user/query-api"` (no query).
    pub fn calls(&self) -> Vec<String> {
        lock(&self.shared).calls.clone()
    }

    /// Orders created through `/v5/order/create` (refused ones and the venue's own
    /// take-profit/stop-loss orders not counted).
    pub fn order_count(&self) -> usize {
        lock(&self.shared).created
    }

    /// Closes every private stream connection, as the venue does on maintenance.
    pub fn close_streams(&self) {
        // No connection open is fine: there is nothing to close.
        let _ = lock(&self.shared).tx.send(Push::Close);
    }
}

impl Drop for FakeBybit {
    fn drop(&mut self) {
        self.close_streams();
        self.server.abort();
    }
}

/// A poisoned lock only means another test thread panicked; the state is still readable.
fn lock(shared: &Shared) -> MutexGuard<'_, Venue> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

/// A non-negative decimal string as 1e-8 units; `None` when it is not one or is finer than 1e-8.
fn to_units(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return None;
    }
    if frac.bytes().skip(8).any(|b| b != b'0') {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(8)
        .fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    whole.checked_mul(UNITS)?.checked_add(frac)
}

fn units_f64(units: i64) -> f64 {
    units as f64 / UNITS as f64
}

fn fmt_units(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let (whole, frac) = (units.abs() / UNITS, units.abs() % UNITS);
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let frac = format!("{frac:08}");
        format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
    }
}

fn fmt_num(value: f64) -> String {
    let text = format!("{value:.8}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

fn fmt_opt(value: Option<f64>, absent: &str) -> String {
    value.map_or_else(|| absent.to_owned(), fmt_num)
}

fn parse_price(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p > 0.0)
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

fn mac_over(secret: &str, parts: &[&[u8]]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether `signature` (hex) is the HMAC of `parts`, compared in constant time.
fn signature_matches(secret: &str, parts: &[&[u8]], signature: &str) -> bool {
    unhex(signature).is_some_and(|tag| mac_over(secret, parts).verify_slice(&tag).is_ok())
}

// ---------------------------------------------------------------------------------------------
// Instruments
// ---------------------------------------------------------------------------------------------

struct Instrument {
    symbol: &'static str,
    base_coin: &'static str,
    tick_size: &'static str,
    qty_step: &'static str,
    min_price: &'static str,
    max_price: &'static str,
    max_order_qty: &'static str,
    max_mkt_order_qty: &'static str,
    price_scale: &'static str,
}

const INSTRUMENTS: [Instrument; 3] = [
    Instrument {
        symbol: "BTCUSDT",
        base_coin: "BTC",
        tick_size: "0.10",
        qty_step: "0.001",
        min_price: "0.10",
        max_price: "1999999.80",
        max_order_qty: "1190.000",
        max_mkt_order_qty: "119.000",
        price_scale: "2",
    },
    Instrument {
        symbol: "ETHUSDT",
        base_coin: "ETH",
        tick_size: "0.01",
        qty_step: "0.01",
        min_price: "0.01",
        max_price: "199999.98",
        max_order_qty: "7240.00",
        max_mkt_order_qty: "724.00",
        price_scale: "2",
    },
    Instrument {
        symbol: "SOLUSDT",
        base_coin: "SOL",
        tick_size: "0.001",
        qty_step: "0.1",
        min_price: "0.010",
        max_price: "19999.980",
        max_order_qty: "79770.0",
        max_mkt_order_qty: "7977.0",
        price_scale: "3",
    },
];

fn instrument(symbol: &str) -> Option<&'static Instrument> {
    INSTRUMENTS.iter().find(|i| i.symbol == symbol)
}

fn instrument_json(i: &Instrument) -> Value {
    json!({
        "symbol": i.symbol, "contractType": "LinearPerpetual", "status": "Trading",
        "baseCoin": i.base_coin, "quoteCoin": "USDT", "settleCoin": "USDT",
        "launchTime": "1584230400000", "deliveryTime": "0", "deliveryFeeRate": "",
        "priceScale": i.price_scale,
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": i.min_price, "maxPrice": i.max_price, "tickSize": i.tick_size},
        "lotSizeFilter": {
            "maxOrderQty": i.max_order_qty, "minOrderQty": i.qty_step, "qtyStep": i.qty_step,
            "postOnlyMaxOrderQty": i.max_order_qty, "maxMktOrderQty": i.max_mkt_order_qty,
            "minNotionalValue": "5",
        },
        "unifiedMarginTrade": true, "fundingInterval": 480, "copyTrading": "both",
        "upperFundingRate": "0.005", "lowerFundingRate": "-0.005", "isPreListing": false,
    })
}

// ---------------------------------------------------------------------------------------------
// Orders and positions
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Buy,
    Sell,
}

impl Side {
    fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "Buy",
            Self::Sell => "Sell",
        }
    }

    fn sign(self) -> i64 {
        match self {
            Self::Buy => 1,
            Self::Sell => -1,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OrderType {
    Market,
    Limit,
}

impl OrderType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Market => "Market",
            Self::Limit => "Limit",
        }
    }
}

struct Order {
    order_id: String,
    order_link_id: String,
    symbol: String,
    side: Side,
    order_type: OrderType,
    price: Option<f64>,
    qty: i64,
    cum_exec_qty: i64,
    cum_exec_value: f64,
    cum_exec_fee: f64,
    status: &'static str,
    reject_reason: &'static str,
    trigger_price: Option<f64>,
    trigger_direction: i64,
    take_profit: Option<f64>,
    stop_loss: Option<f64>,
    reduce_only: bool,
    close_on_trigger: bool,
    time_in_force: String,
    /// "" for a plain order; "TakeProfit"/"StopLoss" for those the venue places itself.
    stop_order_type: &'static str,
    created_ms: i64,
    updated_ms: i64,
}

impl Order {
    fn is_open(&self) -> bool {
        matches!(self.status, "New" | "PartiallyFilled" | "Untriggered")
    }

    fn leaves_qty(&self) -> i64 {
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
    fn to_json(&self) -> Value {
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

/// One-way mode: one net position per symbol, positive long, negative short.
#[derive(Default)]
struct Position {
    size: i64,
    avg_price: f64,
    realised: f64,
    take_profit: Option<f64>,
    stop_loss: Option<f64>,
    created_ms: i64,
    updated_ms: i64,
}

#[derive(Clone, Debug)]
enum Push {
    /// One frame's `data` for a base topic (`order`, `execution`, `position`).
    Frame {
        topic: &'static str,
        data: Value,
    },
    Close,
}

struct Venue {
    api_key: String,
    api_secret: String,
    read_only: u8,
    permissions: Value,
    created_at: String,
    equity: f64,
    rate_limited: bool,
    last_prices: BTreeMap<String, f64>,
    orders: Vec<Order>,
    positions: BTreeMap<String, Position>,
    created: usize,
    calls: Vec<String>,
    tx: broadcast::Sender<Push>,
}

impl Venue {
    fn new(api_key: &str, api_secret: &str, tx: broadcast::Sender<Push>) -> Self {
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

    fn last_price(&self, symbol: &str) -> f64 {
        self.last_prices
            .get(symbol)
            .copied()
            .unwrap_or(DEFAULT_LAST_PRICE)
    }

    fn can_trade(&self) -> bool {
        let has = |group: &str, right: &str| {
            self.permissions[group]
                .as_array()
                .is_some_and(|rights| rights.iter().any(|r| r == right))
        };
        self.read_only == 0
            && (has("ContractTrade", "Order") || has("Derivatives", "DerivativesTrade"))
    }

    fn push(&self, topic: &'static str, entry: Value) {
        // Nobody listening is not an error: the venue pushes regardless.
        let _ = self.tx.send(Push::Frame {
            topic,
            data: json!([entry]),
        });
    }

    fn push_order(&self, idx: usize) {
        let mut entry = self.orders[idx].to_json();
        entry["category"] = json!("linear");
        self.push("order", entry);
    }

    fn set_status(&mut self, idx: usize, status: &'static str, reason: &'static str) {
        let order = &mut self.orders[idx];
        order.status = status;
        order.reject_reason = reason;
        order.updated_ms = now_ms();
        self.push_order(idx);
    }

    /// How much of the position an order on `side` can reduce.
    fn reducible(&self, symbol: &str, side: Side) -> i64 {
        let size = self.positions.get(symbol).map_or(0, |p| p.size);
        if size.signum() == -side.sign() {
            size.abs()
        } else {
            0
        }
    }

    /// Books a new order and lets it run: pushed as New (or Untriggered), then matched.
    fn place(&mut self, order: Order) -> usize {
        self.orders.push(order);
        let idx = self.orders.len() - 1;
        self.push_order(idx);
        self.work(idx, true);
        idx
    }

    /// Triggers, fills or cancels an open order against the last price. `fresh` (just placed
    /// or just triggered) orders take liquidity at the last price; resting Limit orders that a
    /// price move crosses fill at their own price.
    fn work(&mut self, idx: usize, fresh: bool) {
        let last = self.last_price(&self.orders[idx].symbol);
        let mut taker = fresh;
        if self.orders[idx].status == "Untriggered" {
            let order = &self.orders[idx];
            let trigger = order.trigger_price.unwrap_or(last);
            let hit = match order.trigger_direction {
                1 => last >= trigger,
                _ => last <= trigger,
            };
            if !hit {
                return;
            }
            self.set_status(idx, "Triggered", "EC_NoError");
            self.set_status(idx, "New", "EC_NoError");
            taker = true;
        }
        let order = &self.orders[idx];
        if !matches!(order.status, "New" | "PartiallyFilled") {
            return;
        }
        match order.order_type {
            OrderType::Market => self.fill(idx, last, false),
            OrderType::Limit => {
                let price = order.price.unwrap_or(last);
                let crosses = match order.side {
                    Side::Buy => price >= last,
                    Side::Sell => price <= last,
                };
                let tif = order.time_in_force.as_str();
                if crosses && taker && tif == "PostOnly" {
                    self.set_status(idx, "Cancelled", "EC_PostOnlyWillTakeLiquidity");
                } else if crosses {
                    self.fill(idx, if taker { last } else { price }, !taker);
                } else if taker && matches!(tif, "IOC" | "FOK") {
                    self.set_status(idx, "Cancelled", "EC_NoImmediateQtyToFill");
                }
            }
        }
    }

    /// Fills what is left of an order at `price`: pushes the execution, the Filled order and
    /// the position. A reduce-only order shrinks to the position it can still reduce.
    fn fill(&mut self, idx: usize, price: f64, maker: bool) {
        let order = &self.orders[idx];
        let (symbol, side, reduce_only) = (order.symbol.clone(), order.side, order.reduce_only);
        let leaves = order.leaves_qty();
        let reducible = self.reducible(&symbol, side);
        let qty = if reduce_only {
            leaves.min(reducible)
        } else {
            leaves
        };
        if qty <= 0 {
            self.set_status(idx, "Cancelled", "EC_NoError");
            return;
        }
        let value = price * units_f64(qty);
        let fee = value
            * if maker {
                MAKER_FEE_RATE
            } else {
                TAKER_FEE_RATE
            };
        let now = now_ms();
        let order = &mut self.orders[idx];
        order.qty -= leaves - qty;
        order.cum_exec_qty += qty;
        order.cum_exec_value += value;
        order.cum_exec_fee += fee;
        order.status = "Filled";
        order.updated_ms = now;
        let execution = json!({
            "category": "linear", "symbol": symbol, "orderId": order.order_id,
            "orderLinkId": order.order_link_id, "side": side.as_str(),
            "execId": uuid::Uuid::new_v4().to_string(), "execPrice": fmt_num(price),
            "execQty": fmt_units(qty), "execValue": fmt_num(value), "execFee": fmt_num(fee),
            "feeRate": fmt_num(if maker { MAKER_FEE_RATE } else { TAKER_FEE_RATE }),
            "execType": "Trade", "execTime": now.to_string(), "isMaker": maker,
            "orderType": order.order_type.as_str(), "orderPrice": fmt_opt(order.price, "0"),
            "orderQty": fmt_units(order.qty), "leavesQty": "0",
            "closedSize": fmt_units(reducible.min(qty)), "markPrice": fmt_num(price),
            "stopOrderType": order.stop_order_type, "blockTradeId": "", "seq": now,
        });
        let (take_profit, stop_loss) = if reduce_only {
            (None, None)
        } else {
            (order.take_profit, order.stop_loss)
        };
        self.push("execution", execution);
        self.apply_fill(&symbol, side.sign() * qty, price, take_profit, stop_loss);
        self.push_order(idx);
        let mut position = self.position_json(&symbol);
        if let Some(entry) = position.as_object_mut() {
            // The stream names the average price entryPrice.
            let avg = entry.remove("avgPrice").unwrap_or_default();
            entry.insert("entryPrice".to_owned(), avg);
            entry.insert("category".to_owned(), json!("linear"));
        }
        self.push("position", position);
    }

    /// Nets a fill of `signed` units (positive bought) into the one-way position.
    fn apply_fill(
        &mut self,
        symbol: &str,
        signed: i64,
        price: f64,
        take_profit: Option<f64>,
        stop_loss: Option<f64>,
    ) {
        let now = now_ms();
        let pos = self.positions.entry(symbol.to_owned()).or_default();
        let old = pos.size;
        let new = old + signed;
        if old == 0 || old.signum() == signed.signum() {
            let total = units_f64(old.abs() + signed.abs());
            pos.avg_price =
                (pos.avg_price * units_f64(old.abs()) + price * units_f64(signed.abs())) / total;
            if old == 0 {
                pos.created_ms = now;
            }
        } else {
            let closing = units_f64(old.abs().min(signed.abs()));
            pos.realised += (price - pos.avg_price) * closing * old.signum() as f64;
            if new == 0 || new.signum() != old.signum() {
                pos.avg_price = if new == 0 { 0.0 } else { price };
                pos.take_profit = None;
                pos.stop_loss = None;
                pos.created_ms = now;
            }
        }
        pos.size = new;
        if new != 0 {
            pos.take_profit = take_profit.or(pos.take_profit);
            pos.stop_loss = stop_loss.or(pos.stop_loss);
        }
        pos.updated_ms = now;
    }

    fn position_json(&self, symbol: &str) -> Value {
        let empty = Position::default();
        let pos = self.positions.get(symbol).unwrap_or(&empty);
        let last = self.last_price(symbol);
        let size = units_f64(pos.size.abs());
        let value = size * pos.avg_price;
        let side = match pos.size.signum() {
            1 => "Buy",
            -1 => "Sell",
            _ => "",
        };
        json!({
            "positionIdx": 0, "riskId": 1, "riskLimitValue": "2000000", "symbol": symbol,
            "side": side, "size": fmt_units(pos.size.abs()), "avgPrice": fmt_num(pos.avg_price),
            "positionValue": fmt_num(value), "tradeMode": 0, "autoAddMargin": 0,
            "positionStatus": "Normal", "leverage": "10", "markPrice": fmt_num(last),
            "liqPrice": "", "bustPrice": "", "positionIM": fmt_num(value / 10.0),
            "positionMM": fmt_num(value * 0.005), "positionBalance": fmt_num(value / 10.0),
            "tpslMode": "Full", "takeProfit": fmt_opt(pos.take_profit, ""),
            "stopLoss": fmt_opt(pos.stop_loss, ""), "trailingStop": "0",
            "unrealisedPnl": fmt_num((last - pos.avg_price) * units_f64(pos.size)),
            "curRealisedPnl": fmt_num(pos.realised), "cumRealisedPnl": fmt_num(pos.realised),
            "adlRankIndicator": if pos.size == 0 { 0 } else { 2 },
            "createdTime": pos.created_ms.to_string(), "updatedTime": pos.updated_ms.to_string(),
            "seq": pos.updated_ms, "isReduceOnly": false, "sessionAvgPrice": "",
        })
    }

    fn set_last_price(&mut self, symbol: &str, price: f64) {
        self.last_prices.insert(symbol.to_owned(), price);
        let open: Vec<usize> = (0..self.orders.len())
            .filter(|&i| self.orders[i].symbol == symbol && self.orders[i].is_open())
            .collect();
        for idx in open {
            self.work(idx, false);
        }
        self.check_take_profit_stop_loss(symbol);
    }

    /// Closes the position with a market order of the venue's own when the last price reaches
    /// its take-profit or stop-loss.
    fn check_take_profit_stop_loss(&mut self, symbol: &str) {
        let last = self.last_price(symbol);
        let Some(pos) = self.positions.get(symbol).filter(|p| p.size != 0) else {
            return;
        };
        let long = pos.size > 0;
        let tp = pos
            .take_profit
            .filter(|&tp| if long { last >= tp } else { last <= tp });
        let sl = pos
            .stop_loss
            .filter(|&sl| if long { last <= sl } else { last >= sl });
        let (kind, trigger, rising) = match (tp, sl) {
            (Some(tp), _) => ("TakeProfit", tp, long),
            (None, Some(sl)) => ("StopLoss", sl, !long),
            (None, None) => return,
        };
        let now = now_ms();
        let order = Order {
            order_id: uuid::Uuid::new_v4().to_string(),
            order_link_id: String::new(),
            symbol: symbol.to_owned(),
            side: if long { Side::Sell } else { Side::Buy },
            order_type: OrderType::Market,
            price: None,
            qty: pos.size.abs(),
            cum_exec_qty: 0,
            cum_exec_value: 0.0,
            cum_exec_fee: 0.0,
            status: "Untriggered",
            reject_reason: "EC_NoError",
            trigger_price: Some(trigger),
            trigger_direction: if rising { 1 } else { 2 },
            take_profit: None,
            stop_loss: None,
            reduce_only: true,
            close_on_trigger: true,
            time_in_force: "IOC".to_owned(),
            stop_order_type: kind,
            created_ms: now,
            updated_ms: now,
        };
        self.place(order);
    }
}

// ---------------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------------

/// One answer in the v5 envelope.
struct Reply {
    http: StatusCode,
    code: i64,
    msg: String,
    result: Value,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn ok(result: Value) -> Self {
        Self {
            http: StatusCode::OK,
            code: 0,
            msg: "OK".to_owned(),
            result,
            headers: Vec::new(),
        }
    }

    fn err(code: i64, msg: impl Into<String>) -> Self {
        Self {
            http: StatusCode::OK,
            code,
            msg: msg.into(),
            result: json!({}),
            headers: Vec::new(),
        }
    }

    fn not_found() -> Self {
        Self {
            http: StatusCode::NOT_FOUND,
            ..Self::err(10017, "route not found")
        }
    }

    /// The per-UID limit headers private answers carry.
    fn with_limit(mut self, remaining: u32) -> Self {
        self.headers.push(("x-bapi-limit", UID_LIMIT.to_owned()));
        self.headers
            .push(("x-bapi-limit-status", remaining.to_string()));
        self.headers.push((
            "x-bapi-limit-reset-timestamp",
            (now_ms() + 1000).to_string(),
        ));
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let body = json!({
            "retCode": self.code, "retMsg": self.msg, "result": self.result,
            "retExtInfo": {}, "time": now_ms(),
        });
        let mut response = (self.http, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

fn bad(msg: impl Into<String>) -> Reply {
    Reply::err(10001, msg)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters; an empty value counts as absent.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: &str) -> Self {
        Self(
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (percent_decode(name), percent_decode(value))
                })
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    fn linear(&self) -> Result<(), Reply> {
        match self.get("category") {
            Some("linear") => Ok(()),
            _ => Err(bad(
                "params error: category invalid (the fake serves linear only)",
            )),
        }
    }
}

/// A string field of a JSON body; absent, null and "" are all "not given".
fn text_field<'a>(body: &'a Value, name: &str) -> Result<Option<&'a str>, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("params error: {name} must be a string"))),
    }
}

/// An integer field, given as a JSON number or a numeric string.
fn int_field(body: &Value, name: &str) -> Result<Option<i64>, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(format!("params error: {name} invalid"))),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| bad(format!("params error: {name} invalid"))),
        Some(_) => Err(bad(format!("params error: {name} invalid"))),
    }
}

fn bool_field(body: &Value, name: &str) -> Result<bool, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(bad(format!("params error: {name} must be a boolean"))),
    }
}

fn price_field(body: &Value, name: &str) -> Result<Option<f64>, Reply> {
    text_field(body, name)?
        .map(|text| parse_price(text).ok_or_else(|| bad(format!("params error: {name} invalid"))))
        .transpose()
}

async fn rest(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut venue = lock(&shared);
    venue.calls.push(format!("{method} {}", uri.path()));
    venue
        .serve(
            &method,
            uri.path(),
            uri.query().unwrap_or(""),
            &headers,
            &body,
        )
        .into_response()
}

impl Venue {
    fn serve(
        &mut self,
        method: &Method,
        path: &str,
        query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Reply {
        let lower = path.to_ascii_lowercase();
        if lower.contains("withdraw") || lower.contains("transfer") {
            return Reply::not_found();
        }
        let params = Params::parse(query);
        match (method.as_str(), path) {
            ("GET", "/v5/market/time") => return server_time(),
            ("GET", "/v5/market/instruments-info") => return respond(instruments_info(&params)),
            ("GET", "/v5/user/query-api")
            | ("GET", "/v5/account/wallet-balance")
            | ("GET", "/v5/position/list")
            | ("GET", "/v5/order/realtime")
            | ("POST", "/v5/order/create")
            | ("POST", "/v5/order/cancel") => {}
            _ => return Reply::not_found(),
        }
        let signed = if method == Method::GET {
            query.as_bytes()
        } else {
            body
        };
        if let Err(reply) = self.authenticate(headers, signed) {
            return reply;
        }
        if self.rate_limited {
            return Reply::err(10006, "Too many visits!").with_limit(0);
        }
        let outcome = match path {
            "/v5/user/query-api" => Ok(self.query_api()),
            "/v5/account/wallet-balance" => self.wallet_balance(&params),
            "/v5/position/list" => self.position_list(&params),
            "/v5/order/realtime" => self.order_realtime(&params),
            _ => json_body(headers, body).and_then(|body| {
                if path == "/v5/order/create" {
                    self.create_order(&body)
                } else {
                    self.cancel_order(&body)
                }
            }),
        };
        respond(outcome).with_limit(9)
    }

    fn authenticate(&self, headers: &HeaderMap, payload: &[u8]) -> Result<(), Reply> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let key = header("x-bapi-api-key").unwrap_or_default();
        if key.is_empty() || key != self.api_key {
            return Err(Reply::err(10003, "API key is invalid."));
        }
        let window_text = header("x-bapi-recv-window");
        let recv_window = match window_text {
            None => DEFAULT_RECV_WINDOW,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|w| *w > 0)
                .ok_or_else(|| bad("params error: recv_window invalid"))?,
        };
        let timestamp_text = header("x-bapi-timestamp").unwrap_or_default();
        let now = now_ms();
        let timestamp = timestamp_text.parse::<i64>().ok();
        if !timestamp.is_some_and(|ts| now - recv_window <= ts && ts < now + 1000) {
            return Err(Reply::err(
                10002,
                format!(
                    "invalid request, please check your server timestamp or recv_window param. \
                     req_timestamp[{timestamp_text}],server_timestamp[{now}],recv_window[{recv_window}]"
                ),
            ));
        }
        let signature = header("x-bapi-sign").unwrap_or_default();
        // The window goes into the string to sign as sent. Without the header the docs only
        // say the window defaults to 5000, so a signature over "5000" or over nothing passes.
        let windows: Vec<String> = match window_text {
            Some(text) => vec![text.to_owned()],
            None => vec![DEFAULT_RECV_WINDOW.to_string(), String::new()],
        };
        let signed_ok = windows.iter().any(|window| {
            let prefix = format!("{timestamp_text}{key}{window}");
            signature_matches(&self.api_secret, &[prefix.as_bytes(), payload], signature)
        });
        if !signed_ok {
            // Like Bybit, echo what should have been signed (never the secret).
            let origin = format!(
                "{timestamp_text}{key}{}{}",
                windows[0],
                String::from_utf8_lossy(payload)
            );
            return Err(Reply::err(
                10004,
                format!("error sign! origin_string[{origin}]"),
            ));
        }
        Ok(())
    }

    fn query_api(&self) -> Value {
        json!({
            "id": "80000001", "note": "copytrade", "apiKey": self.api_key,
            "readOnly": self.read_only, "secret": "", "permissions": self.permissions,
            "ips": ["*"], "type": 1, "deadlineDay": -1, "expiredAt": "",
            "createdAt": self.created_at, "unified": 0, "uta": 1, "userID": USER_ID,
            "inviterID": 0, "vipLevel": "No VIP", "mktMakerLevel": "0", "affiliateID": 0,
        })
    }

    fn wallet_balance(&self, params: &Params) -> Result<Value, Reply> {
        if params.get("accountType") != Some("UNIFIED") {
            return Err(bad("accountType only support UNIFIED"));
        }
        let equity = fmt_num(self.equity);
        Ok(json!({"list": [{
            "accountType": "UNIFIED", "totalEquity": equity, "totalWalletBalance": equity,
            "totalMarginBalance": equity, "totalAvailableBalance": equity,
            "totalPerpUPL": "0", "totalInitialMargin": "0", "totalMaintenanceMargin": "0",
            "accountIMRate": "0", "accountMMRate": "0", "accountLTV": "0", "coin": [],
        }]}))
    }

    fn position_list(&self, params: &Params) -> Result<Value, Reply> {
        params.linear()?;
        let list: Vec<Value> = match (params.get("symbol"), params.get("settleCoin")) {
            (Some(symbol), _) => {
                instrument(symbol).ok_or_else(|| bad("params error: symbol invalid"))?;
                // Asked by symbol, Bybit lists the flat position too (size "0", side "").
                vec![self.position_json(symbol)]
            }
            (None, Some("USDT")) => self
                .positions
                .iter()
                .filter(|(_, p)| p.size != 0)
                .map(|(symbol, _)| self.position_json(symbol))
                .collect(),
            (None, Some(_)) => Vec::new(),
            (None, None) => return Err(bad("Symbol or settleCoin is required")),
        };
        Ok(json!({"category": "linear", "list": list, "nextPageCookie": ""}))
    }

    fn order_realtime(&self, params: &Params) -> Result<Value, Reply> {
        params.linear()?;
        let symbol = params.get("symbol");
        let by_id = params.get("orderId");
        let by_link = params.get("orderLinkId");
        let settle = params.get("settleCoin");
        let base = params.get("baseCoin");
        if by_id.is_none()
            && by_link.is_none()
            && symbol.is_none()
            && settle.is_none()
            && base.is_none()
        {
            return Err(bad("Symbol or settleCoin is required"));
        }
        let list: Vec<Value> = self
            .orders
            .iter()
            .rev()
            .filter(|o| symbol.is_none_or(|s| o.symbol == s))
            .filter(|o| by_id.is_none_or(|id| o.order_id == id))
            .filter(|o| by_link.is_none_or(|link| o.order_link_id == link))
            // Every linear symbol here settles in USDT.
            .filter(|_| settle.is_none_or(|coin| coin == "USDT"))
            .filter(|o| {
                base.is_none_or(|coin| instrument(&o.symbol).is_some_and(|i| i.base_coin == coin))
            })
            // Asked by id, any status; otherwise open orders only.
            .filter(|o| by_id.is_some() || by_link.is_some() || o.is_open())
            .map(Order::to_json)
            .collect();
        Ok(json!({"category": "linear", "list": list, "nextPageCursor": ""}))
    }

    fn create_order(&mut self, body: &Value) -> Result<Value, Reply> {
        if !self.can_trade() {
            return Err(Reply::err(
                10005,
                "Permission denied, please check your API key permissions.",
            ));
        }
        if text_field(body, "category")? != Some("linear") {
            return Err(bad(
                "params error: category invalid (the fake serves linear only)",
            ));
        }
        let symbol = text_field(body, "symbol")?.unwrap_or_default();
        let instrument = instrument(symbol).ok_or_else(|| bad("params error: symbol invalid"))?;
        let side = match text_field(body, "side")? {
            Some("Buy") => Side::Buy,
            Some("Sell") => Side::Sell,
            _ => return Err(bad("params error: side invalid")),
        };
        let order_type = match text_field(body, "orderType")? {
            Some("Market") => OrderType::Market,
            Some("Limit") => OrderType::Limit,
            _ => return Err(bad("params error: orderType invalid")),
        };
        let reduce_only = bool_field(body, "reduceOnly")?;
        let close_on_trigger = bool_field(body, "closeOnTrigger")?;
        let qty = text_field(body, "qty")?
            .and_then(to_units)
            .ok_or_else(|| bad("Qty invalid"))?;
        let step = to_units(instrument.qty_step).expect("built-in steps are decimals");
        let max = to_units(match order_type {
            OrderType::Market => instrument.max_mkt_order_qty,
            OrderType::Limit => instrument.max_order_qty,
        })
        .expect("built-in limits are decimals");
        // qty "0" with reduceOnly and closeOnTrigger closes the whole position (brokers.md §5,
        // Flatten); any other quantity must be a positive multiple of the step.
        let flatten =
            qty == 0 && reduce_only && close_on_trigger && order_type == OrderType::Market;
        if !flatten && (qty <= 0 || qty % step != 0 || qty > max) {
            return Err(bad("Qty invalid"));
        }
        let price = price_field(body, "price")?;
        if order_type == OrderType::Limit && price.is_none() {
            return Err(bad("params error: price is required for a Limit order"));
        }
        let trigger_price = price_field(body, "triggerPrice")?;
        let trigger_direction = int_field(body, "triggerDirection")?;
        let last = self.last_price(symbol);
        if let Some(trigger) = trigger_price {
            // 110092/110093 are from Bybit's error-code list, not covered by brokers.md.
            match trigger_direction {
                Some(1) if trigger <= last => {
                    return Err(Reply::err(
                        110092,
                        format!(
                            "expect Rising, but trigger_price[{}] <= current[{}]",
                            fmt_num(trigger),
                            fmt_num(last)
                        ),
                    ));
                }
                Some(2) if trigger >= last => {
                    return Err(Reply::err(
                        110093,
                        format!(
                            "expect Falling, but trigger_price[{}] >= current[{}]",
                            fmt_num(trigger),
                            fmt_num(last)
                        ),
                    ));
                }
                Some(1 | 2) => {}
                _ => return Err(bad("params error: triggerDirection invalid")),
            }
        }
        let take_profit = price_field(body, "takeProfit")?;
        let stop_loss = price_field(body, "stopLoss")?;
        match int_field(body, "positionIdx")? {
            None | Some(0) => {}
            Some(1 | 2) => return Err(bad("position idx not match position mode")),
            Some(_) => return Err(bad("params error: positionIdx invalid")),
        }
        let time_in_force = match text_field(body, "timeInForce")? {
            None if order_type == OrderType::Market => "IOC",
            None => "GTC",
            Some(tif @ ("GTC" | "IOC" | "FOK" | "PostOnly" | "RPI")) => tif,
            Some(_) => return Err(bad("params error: timeInForce invalid")),
        };
        let order_link_id = text_field(body, "orderLinkId")?.unwrap_or_default();
        let link_ok = order_link_id.len() <= 36
            && order_link_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !link_ok {
            return Err(bad(
                "params error: orderLinkId invalid (at most 36 of A-Z a-z 0-9 - _)",
            ));
        }
        if !order_link_id.is_empty() && self.orders.iter().any(|o| o.order_link_id == order_link_id)
        {
            // 110072 is from Bybit's error-code list, not covered by brokers.md.
            return Err(Reply::err(110072, "OrderLinkedID is duplicate"));
        }
        let reducible = self.reducible(symbol, side);
        if reduce_only && reducible == 0 {
            return Err(Reply::err(
                110017,
                "Reduce-only order rejected: quantity truncated to zero, no position to reduce",
            ));
        }
        let now = now_ms();
        let order = Order {
            order_id: uuid::Uuid::new_v4().to_string(),
            order_link_id: order_link_id.to_owned(),
            symbol: symbol.to_owned(),
            side,
            order_type,
            price: if order_type == OrderType::Limit {
                price
            } else {
                None
            },
            qty: if flatten { reducible } else { qty },
            cum_exec_qty: 0,
            cum_exec_value: 0.0,
            cum_exec_fee: 0.0,
            status: if trigger_price.is_some() {
                "Untriggered"
            } else {
                "New"
            },
            reject_reason: "EC_NoError",
            trigger_price,
            trigger_direction: trigger_direction
                .filter(|_| trigger_price.is_some())
                .unwrap_or(0),
            take_profit,
            stop_loss,
            reduce_only,
            close_on_trigger,
            time_in_force: time_in_force.to_owned(),
            stop_order_type: "",
            created_ms: now,
            updated_ms: now,
        };
        let result = json!({"orderId": order.order_id, "orderLinkId": order.order_link_id});
        self.created += 1;
        self.place(order);
        Ok(result)
    }

    fn cancel_order(&mut self, body: &Value) -> Result<Value, Reply> {
        if !self.can_trade() {
            return Err(Reply::err(
                10005,
                "Permission denied, please check your API key permissions.",
            ));
        }
        if text_field(body, "category")? != Some("linear") {
            return Err(bad(
                "params error: category invalid (the fake serves linear only)",
            ));
        }
        let symbol =
            text_field(body, "symbol")?.ok_or_else(|| bad("params error: symbol invalid"))?;
        let by_id = text_field(body, "orderId")?;
        let by_link = text_field(body, "orderLinkId")?;
        if by_id.is_none() && by_link.is_none() {
            return Err(bad("params error: orderId or orderLinkId is required"));
        }
        let idx = self
            .orders
            .iter()
            .position(|o| {
                o.symbol == symbol
                    && by_id.is_none_or(|id| o.order_id == id)
                    && by_link.is_none_or(|link| o.order_link_id == link)
                    && o.is_open()
            })
            .ok_or_else(|| Reply::err(110001, "order not exists or too late to cancel"))?;
        // A conditional order cancelled before it triggers ends Deactivated, not Cancelled.
        let status = if self.orders[idx].status == "Untriggered" {
            "Deactivated"
        } else {
            "Cancelled"
        };
        self.set_status(idx, status, "EC_NoError");
        let order = &self.orders[idx];
        Ok(json!({"orderId": order.order_id, "orderLinkId": order.order_link_id}))
    }
}

fn respond(outcome: Result<Value, Reply>) -> Reply {
    outcome.map_or_else(|reply| reply, Reply::ok)
}

fn server_time() -> Reply {
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    Reply::ok(json!({
        "timeSecond": (nanos / 1_000_000_000).to_string(),
        "timeNano": nanos.to_string(),
    }))
}

fn instruments_info(params: &Params) -> Result<Value, Reply> {
    params.linear()?;
    let list: Vec<Value> = INSTRUMENTS
        .iter()
        .filter(|i| params.get("symbol").is_none_or(|s| s == i.symbol))
        .filter(|i| params.get("baseCoin").is_none_or(|c| c == i.base_coin))
        .map(instrument_json)
        .collect();
    Ok(json!({"category": "linear", "list": list, "nextPageCursor": ""}))
}

fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, Reply> {
    let json_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json_type {
        return Err(bad("params error: Content-Type must be application/json"));
    }
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| bad("params error: the body is not a JSON object"))
}

// ---------------------------------------------------------------------------------------------
// Private WebSocket
// ---------------------------------------------------------------------------------------------

const TOPICS: [&str; 7] = [
    "order",
    "execution",
    "position",
    "wallet",
    "order.linear",
    "execution.linear",
    "position.linear",
];

async fn private_stream(
    State(shared): State<Shared>,
    method: Method,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    lock(&shared).calls.push(format!("{method} /v5/private"));
    match upgrade {
        Ok(upgrade) => upgrade.on_upgrade(move |socket| session(socket, shared)),
        Err(rejection) => rejection.into_response(),
    }
}

/// One connection's state: authenticated or not, and what it subscribed to.
struct Session {
    conn_id: String,
    authed: bool,
    topics: HashSet<String>,
}

async fn session(mut socket: WebSocket, shared: Shared) {
    let mut pushes = lock(&shared).tx.subscribe();
    let mut session = Session {
        conn_id: uuid::Uuid::new_v4().to_string(),
        authed: false,
        topics: HashSet::new(),
    };
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    // Protocol pings are answered by the WebSocket layer itself.
                    Some(Ok(_)) => continue,
                };
                let reply = session.answer(&shared, text.as_str());
                if socket.send(Message::Text(reply.to_string().into())).await.is_err() {
                    break;
                }
            }
            push = pushes.recv() => match push {
                Ok(Push::Frame { topic, data }) => {
                    for frame in session.frames(topic, &data) {
                        if socket.send(Message::Text(frame.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                }
                Ok(Push::Close) | Err(RecvError::Closed) => {
                    // The peer may already be gone; closing is all that is left to do.
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
                // A slow reader loses pushes, as on the venue.
                Err(RecvError::Lagged(_)) => {}
            },
        }
    }
}

impl Session {
    /// The frames this connection gets for one push: none before auth, one per subscribed form
    /// of the topic (`order` and `order.linear` are pushed under their own names).
    fn frames(&self, topic: &str, data: &Value) -> Vec<Value> {
        if !self.authed {
            return Vec::new();
        }
        [topic.to_owned(), format!("{topic}.linear")]
            .into_iter()
            .filter(|name| self.topics.contains(name))
            .map(|name| {
                json!({
                    "id": uuid::Uuid::new_v4().to_string(), "topic": name,
                    "creationTime": now_ms(), "data": data,
                })
            })
            .collect()
    }

    fn answer(&mut self, shared: &Shared, text: &str) -> Value {
        let request: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let op = request["op"].as_str().unwrap_or_default();
        let args = &request["args"];
        let outcome = match op {
            "auth" => self.auth(shared, args),
            "subscribe" | "unsubscribe" => self.subscribe(op == "subscribe", args),
            "ping" => Ok(()),
            _ => Err("Params Error"),
        };
        let mut reply = match outcome {
            Ok(()) if op == "ping" => json!({
                "success": true, "ret_msg": "pong", "op": "pong",
                "args": [now_ms().to_string()],
            }),
            Ok(()) => json!({"success": true, "ret_msg": "", "op": op}),
            Err(msg) => json!({"success": false, "ret_msg": msg, "op": op}),
        };
        reply["conn_id"] = json!(self.conn_id);
        if let Some(req_id) = request.get("req_id") {
            reply["req_id"] = req_id.clone();
        }
        reply
    }

    fn auth(&mut self, shared: &Shared, args: &Value) -> Result<(), &'static str> {
        let expires_text = match &args[1] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let (Some(key), Ok(expires), Some(signature), Some(3)) = (
            args[0].as_str(),
            expires_text.parse::<i64>(),
            args[2].as_str(),
            args.as_array().map(Vec::len),
        ) else {
            return Err("Params Error");
        };
        if expires <= now_ms() {
            return Err("Params Error");
        }
        let venue = lock(shared);
        let payload = format!("GET/realtime{expires_text}");
        if key != venue.api_key
            || !signature_matches(&venue.api_secret, &[payload.as_bytes()], signature)
        {
            return Err("Request not authorized");
        }
        self.authed = true;
        Ok(())
    }

    fn subscribe(&mut self, on: bool, args: &Value) -> Result<(), &'static str> {
        if !self.authed {
            return Err("Request not authorized");
        }
        let topics: Vec<&str> = args
            .as_array()
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let well_formed = !topics.is_empty()
            && args.as_array().map(Vec::len) == Some(topics.len())
            && topics.iter().all(|t| TOPICS.contains(t));
        // One request cannot mix all-category topics with per-category ones (brokers.md §5).
        let per_category = topics.iter().filter(|t| t.contains('.')).count();
        if !well_formed || (per_category != 0 && per_category != topics.len()) {
            return Err("Params Error");
        }
        for topic in topics {
            if on {
                self.topics.insert(topic.to_owned());
            } else {
                self.topics.remove(topic);
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The fake's own checks
// ---------------------------------------------------------------------------------------------

mod tests {
    use std::fmt::Write as _;
    use std::time::Duration;

    use futures_util::{SinkExt, StreamExt};
    use hmac::{Hmac, KeyInit, Mac};
    use serde_json::{Value, json};
    use sha2::Sha256;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio_tungstenite::tungstenite::Message;

    use super::FakeBybit;

    const KEY: &str = "XXXXXXXXXX";
    const SECRET: &str = "fake-bybit-test-secret";

    /// Written apart from the fake's verifier, so one mistake cannot hide in both.
    fn sign(secret: &str, text: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(text.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .fold(String::new(), |mut out, b| {
                write!(out, "{b:02x}").unwrap();
                out
            })
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp_millis()
    }

    /// One signed request over a fresh connection; the envelope it answered.
    async fn call(
        fake: &FakeBybit,
        method: &str,
        target: &str,
        body: &str,
        key: &str,
        secret: &str,
        ts: i64,
    ) -> Value {
        let payload = if method == "GET" {
            target.split_once('?').map_or("", |(_, q)| q)
        } else {
            body
        };
        let signature = sign(secret, &format!("{ts}{key}5000{payload}"));
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\n\
             X-BAPI-API-KEY: {key}\r\nX-BAPI-TIMESTAMP: {ts}\r\nX-BAPI-SIGN: {signature}\r\n\
             X-BAPI-RECV-WINDOW: 5000\r\nContent-Length: {}\r\n\r\n{body}",
            fake.addr,
            body.len()
        );
        let mut stream = TcpStream::connect(fake.addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).await.unwrap();
        assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
        serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap()
    }

    async fn get(fake: &FakeBybit, target: &str) -> Value {
        call(fake, "GET", target, "", KEY, SECRET, now()).await
    }

    #[tokio::test]
    async fn fake_bybit_answers_a_correctly_signed_query_api() {
        let fake = FakeBybit::start(KEY, SECRET).await;
        let answer = get(&fake, "/v5/user/query-api").await;
        assert_eq!(answer["retCode"], 0, "{answer}");
        assert_eq!(answer["result"]["userID"], 5_550_001);
        assert_eq!(answer["result"]["apiKey"], KEY);
        assert_eq!(answer["result"]["permissions"]["Wallet"], json!([]));
        assert_eq!(fake.calls(), ["GET /v5/user/query-api"]);
    }

    #[tokio::test]
    async fn fake_bybit_refuses_a_bad_signature_with_10004() {
        let fake = FakeBybit::start(KEY, SECRET).await;
        let answer = call(
            &fake,
            "GET",
            "/v5/user/query-api",
            "",
            KEY,
            "another-secret",
            now(),
        )
        .await;
        assert_eq!(answer["retCode"], 10004, "{answer}");
        let message = answer["retMsg"].as_str().unwrap();
        assert!(message.starts_with("error sign!"), "{message}");
        assert!(!message.contains(SECRET), "{message}");
    }

    #[tokio::test]
    async fn fake_bybit_refuses_a_stale_or_future_timestamp_with_10002() {
        let fake = FakeBybit::start(KEY, SECRET).await;
        for ts in [now() - 6_000, now() + 2_000] {
            let answer = call(&fake, "GET", "/v5/user/query-api", "", KEY, SECRET, ts).await;
            assert_eq!(answer["retCode"], 10002, "{answer}");
        }
    }

    #[tokio::test]
    async fn fake_bybit_refuses_an_unknown_key_with_10003() {
        let fake = FakeBybit::start(KEY, SECRET).await;
        let answer = call(
            &fake,
            "GET",
            "/v5/user/query-api",
            "",
            "YYYYYYYYYY",
            SECRET,
            now(),
        )
        .await;
        assert_eq!(answer["retCode"], 10003, "{answer}");
    }

    #[tokio::test]
    async fn fake_bybit_fills_a_market_order_and_pushes_it() {
        let fake = FakeBybit::start(KEY, SECRET).await;
        let (mut ws, _) = tokio_tungstenite::connect_async(fake.ws_url())
            .await
            .unwrap();
        let expires = now() + 10_000;
        let auth = json!({"req_id": "a", "op": "auth", "args": [KEY, expires, sign(SECRET, &format!("GET/realtime{expires}"))]});
        let subscribe = json!({"req_id": "s", "op": "subscribe", "args": ["order", "execution"]});
        let mut replies = Vec::new();
        for request in [auth, subscribe] {
            ws.send(Message::text(request.to_string())).await.unwrap();
            replies.push(next_json(&mut ws).await);
        }
        assert_eq!(replies[0]["success"], true, "{}", replies[0]);
        assert_eq!(replies[1]["success"], true, "{}", replies[1]);

        let order = r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.010","orderLinkId":"copy-1"}"#;
        let created = call(&fake, "POST", "/v5/order/create", order, KEY, SECRET, now()).await;
        assert_eq!(created["retCode"], 0, "{created}");
        let mut seen = Vec::new();
        for _ in 0..3 {
            let frame = next_json(&mut ws).await;
            let entry = &frame["data"][0];
            seen.push(format!(
                "{} {}",
                frame["topic"],
                entry["orderStatus"].as_str().unwrap_or_default()
            ));
            assert_eq!(entry["orderLinkId"], "copy-1");
        }
        assert_eq!(
            seen,
            ["\"order\" New", "\"execution\" ", "\"order\" Filled"]
        );

        let positions = get(&fake, "/v5/position/list?category=linear&symbol=BTCUSDT").await;
        assert_eq!(
            positions["result"]["list"][0]["size"], "0.01",
            "{positions}"
        );
        assert_eq!(positions["result"]["list"][0]["side"], "Buy");
        let again = call(&fake, "POST", "/v5/order/create", order, KEY, SECRET, now()).await;
        assert_eq!(again["retCode"], 110072, "{again}");
        assert_eq!(fake.order_count(), 1);
    }

    async fn next_json(
        ws: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>,
    ) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
                .await
                .expect("a frame within 5 s")
                .unwrap()
                .unwrap();
            if let Message::Text(text) = message {
                return serde_json::from_str(&text).unwrap();
            }
        }
    }
}
