//! Brokers: the one trait every venue sits behind ([`BrokerAdapter`]), the error taxonomy the
//! copier acts on ([`BrokerError`]), and the factory that builds an adapter for a linked
//! connection ([`Brokers`]).
//!
//! Rules: nothing outside `brokers/<venue>` knows a venue's API. Adapters only authenticate,
//! read, place, cancel, flatten and stream (SEC-13): no withdrawal, transfer or wallet call
//! exists anywhere. Venue URLs come only from the operator ([`endpoints`], SEC-21).

pub mod bybit;
pub mod credentials;
pub mod endpoints;
pub mod http;
pub mod paper;
pub mod projectx;
pub mod tradovate;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub use credentials::Credentials;
pub use endpoints::BrokerEndpoints;

/// The venues CopyTrade can trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BrokerKind {
    /// CopyTrade's built-in simulator: no credentials, no real money.
    Paper,
    Tradovate,
    /// Apex Trader Funding, reached through the Tradovate API.
    Apex,
    /// TopstepX and other ProjectX-based prop firms.
    #[graphql(name = "TOPSTEPX")]
    #[serde(rename = "TOPSTEPX")]
    TopstepX,
    BinanceUsdm,
    Bybit,
    Okx,
}

impl BrokerKind {
    pub const ALL: [Self; 7] = [
        Self::Paper,
        Self::Tradovate,
        Self::Apex,
        Self::TopstepX,
        Self::BinanceUsdm,
        Self::Bybit,
        Self::Okx,
    ];

    /// The stored name (as in the API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Paper => "PAPER",
            Self::Tradovate => "TRADOVATE",
            Self::Apex => "APEX",
            Self::TopstepX => "TOPSTEPX",
            Self::BinanceUsdm => "BINANCE_USDM",
            Self::Bybit => "BYBIT",
            Self::Okx => "OKX",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The name users know.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Paper => "Paper trading",
            Self::Tradovate => "Tradovate",
            Self::Apex => "Apex Trader Funding",
            Self::TopstepX => "TopstepX",
            Self::BinanceUsdm => "Binance USDⓈ-M Futures",
            Self::Bybit => "Bybit",
            Self::Okx => "OKX",
        }
    }
}

/// Real money or the venue's demo/simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BrokerEnvironment {
    Live,
    Demo,
}

impl BrokerEnvironment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "LIVE",
            Self::Demo => "DEMO",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Live, Self::Demo]
            .into_iter()
            .find(|env| env.as_str() == text)
    }
}

/// Why a broker call failed, in the terms the copier acts on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BrokerError {
    /// The login or key was refused: the user must fix the credentials.
    #[error("the broker refused the credentials: {0}")]
    BadCredentials(String),
    /// The key works but may not do this (e.g. trading is not enabled on it).
    #[error("the key is not allowed to do this: {0}")]
    PermissionDenied(String),
    /// The venue wants the user to do something before it takes more requests (solve a
    /// captcha, accept an agreement): the message says what, and it is shown on the
    /// connection.
    #[error("the broker needs you to act: {0}")]
    ActionRequired(String),
    /// Slow down; try again after the given time.
    #[error("the broker asks to slow down; retry in {retry_after_ms} ms")]
    RateLimited { retry_after_ms: u64 },
    /// The venue looked at the request and said no (the reason is the venue's).
    #[error("the broker rejected the order: {0}")]
    Rejected(String),
    /// Nothing happened at the venue (connection refused, 5xx before acceptance): safe to retry.
    #[error("the broker could not be reached: {0}")]
    Transient(String),
    /// The request may or may not have taken effect (timeout after sending): reconcile by
    /// client order id before any retry.
    #[error("the broker's answer was lost; the order must be looked up before retrying: {0}")]
    UnknownOutcome(String),
    /// The symbol does not name an instrument at this venue.
    #[error("unknown symbol `{0}`")]
    UnknownSymbol(String),
    /// The trading account is not one this login can see.
    #[error("unknown trading account `{0}`")]
    UnknownAccount(String),
    /// The venue sent a value CopyTrade cannot read (a side, a number, a status): nothing is
    /// guessed in its place.
    #[error("the broker sent something CopyTrade cannot read: {0}")]
    Unreadable(String),
    /// This build has no adapter for the venue yet.
    #[error("{0} accounts cannot be linked yet: this version of CopyTrade has no adapter for it")]
    Unsupported(&'static str),
}

impl BrokerError {
    /// Whether the very same request may be sent again as it is.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient(_) | Self::RateLimited { .. })
    }
}

/// What a key may do, as far as the venue tells.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPermissions {
    /// `None` where the venue has no way to tell (the user confirms the guidance instead).
    pub can_trade: Option<bool>,
    pub can_withdraw: Option<bool>,
    /// Transfer rights only warn (SEC-14).
    pub can_transfer: Option<bool>,
    /// The venue's own creation date of the key, where it reports one (SEC-16).
    pub key_created_at: Option<DateTime<Utc>>,
}

/// A trading account a login can see.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerAccount {
    /// The venue's own id.
    pub external_id: String,
    pub name: String,
}

/// What an account holds.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSnapshot {
    pub balance: Option<f64>,
    pub positions: Vec<Position>,
}

/// A net position in one instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    pub symbol: String,
    /// Signed: positive long, negative short.
    pub quantity: f64,
    pub average_price: f64,
}

/// A venue's instrument, with what sizing and price rounding need.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    /// The venue's symbol or id.
    pub symbol: String,
    pub tick_size: f64,
    /// The smallest quantity step.
    pub lot_size: f64,
    /// Currency per point per contract.
    pub multiplier: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "BUY",
            Self::Sell => "SELL",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "BUY" => Some(Self::Buy),
            "SELL" => Some(Self::Sell),
            _ => None,
        }
    }

    pub fn opposite(self) -> Self {
        match self {
            Self::Buy => Self::Sell,
            Self::Sell => Self::Buy,
        }
    }

    /// +1 for a buy, -1 for a sell.
    pub fn sign(self) -> f64 {
        match self {
            Self::Buy => 1.0,
            Self::Sell => -1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    Market,
    Limit,
    Stop,
    StopLimit,
}

impl OrderType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Market => "MARKET",
            Self::Limit => "LIMIT",
            Self::Stop => "STOP",
            Self::StopLimit => "STOP_LIMIT",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Market, Self::Limit, Self::Stop, Self::StopLimit]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// Where a take-profit or stop-loss sits: at a price, or at a distance measured from the
/// entry's actual fill (so a market entry that fills away from the signal's price still gets
/// its exits where the signal meant them).
///
/// Stored as JSON in the copied order: a price is a plain number (as before exits had kinds),
/// a distance `{"ticks": 8}` or `{"percent": 1.5}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Exit {
    Price(f64),
    /// Ticks of the instrument from the fill (currency amounts are turned into ticks).
    Ticks {
        ticks: f64,
    },
    /// Percent of the fill price.
    Percent {
        percent: f64,
    },
}

impl Exit {
    /// The price given as such, if it was.
    pub fn as_price(self) -> Option<f64> {
        match self {
            Self::Price(price) => Some(price),
            _ => None,
        }
    }

    /// Whether the distance or price is a positive, finite number.
    pub fn is_valid(self) -> bool {
        let value = match self {
            Self::Price(v) => v,
            Self::Ticks { ticks } => ticks,
            Self::Percent { percent } => percent,
        };
        value.is_finite() && value > 0.0
    }

    /// The exit's price for an entry on `side` filled at `entry`, rounded to the tick: a
    /// take-profit (`profit`) lies in the trade's favour, a stop-loss against it.
    pub fn price(self, entry: f64, side: Side, tick_size: f64, profit: bool) -> f64 {
        let sign = side.sign() * if profit { 1.0 } else { -1.0 };
        let price = match self {
            Self::Price(price) => return price,
            Self::Ticks { ticks } => entry + sign * ticks * tick_size,
            Self::Percent { percent } => entry * (1.0 + sign * percent / 100.0),
        };
        paper::market::round_to_tick(price, tick_size)
    }

    /// The exit as whole ticks from an entry on `side`, signed the way venues that take
    /// brackets in ticks want them: positive above the entry, negative below. A price or a
    /// percent needs the expected entry price (`entry`) to be turned into ticks.
    pub fn signed_ticks(
        self,
        entry: Option<f64>,
        side: Side,
        tick_size: f64,
        profit: bool,
    ) -> Option<i64> {
        let sign = side.sign() * if profit { 1.0 } else { -1.0 };
        let ticks = match self {
            Self::Ticks { ticks } => sign * ticks,
            Self::Price(price) => (price - entry?) / tick_size,
            Self::Percent { percent } => sign * entry? * percent / 100.0 / tick_size,
        };
        (ticks.is_finite() && tick_size > 0.0).then(|| ticks.round() as i64)
    }
}

/// An order to place. `client_order_id` is ours: placing the same id twice never makes a
/// second order (the adapter returns the first one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    pub client_order_id: String,
    pub symbol: String,
    pub side: Side,
    pub order_type: OrderType,
    pub quantity: f64,
    /// Limit price (LIMIT, STOP_LIMIT).
    pub limit_price: Option<f64>,
    /// Trigger price (STOP, STOP_LIMIT).
    pub stop_price: Option<f64>,
    /// Bracket legs, placed once the entry fills: a take-profit in the trade's favour, a
    /// stop-loss against it.
    pub take_profit: Option<Exit>,
    pub stop_loss: Option<Exit>,
    /// The signal's price, when it carried one (the paper broker fills market orders there).
    pub reference_price: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Working,
    Filled,
    Cancelled,
    Rejected,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Working => "WORKING",
            Self::Filled => "FILLED",
            Self::Cancelled => "CANCELLED",
            Self::Rejected => "REJECTED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Working, Self::Filled, Self::Cancelled, Self::Rejected]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// An order as the venue knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderState {
    /// The venue's id.
    pub order_id: String,
    pub client_order_id: String,
    pub account: String,
    pub symbol: String,
    pub side: Side,
    pub order_type: OrderType,
    pub quantity: f64,
    pub limit_price: Option<f64>,
    pub stop_price: Option<f64>,
    pub status: OrderStatus,
    pub filled_quantity: f64,
    pub average_price: Option<f64>,
    pub updated_at: DateTime<Utc>,
}

/// An execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Fill {
    /// The venue's id of this execution (an order may fill in several).
    pub execution_id: String,
    pub order_id: String,
    pub client_order_id: String,
    pub account: String,
    pub symbol: String,
    pub side: Side,
    pub quantity: f64,
    pub price: f64,
    pub at: DateTime<Utc>,
}

/// What the order-update stream carries.
#[derive(Debug, Clone, PartialEq)]
pub enum BrokerEvent {
    Order(OrderState),
    Fill(Fill),
}

/// One venue login (a linked connection), as the copier and the API use it. An adapter owns
/// its session: it logs in on first use and renews before expiry by itself.
#[async_trait]
pub trait BrokerAdapter: Send + Sync {
    /// Logs in (or renews the session); fails with `BadCredentials` on a refused login.
    async fn authenticate(&self) -> Result<(), BrokerError>;
    /// What the key may do, where the venue tells.
    async fn permissions(&self) -> Result<KeyPermissions, BrokerError>;
    /// The trading accounts this login can see.
    async fn accounts(&self) -> Result<Vec<BrokerAccount>, BrokerError>;
    /// Balance and positions of one account.
    async fn snapshot(&self, account: &str) -> Result<AccountSnapshot, BrokerError>;
    /// Resolves a symbol (already mapped to this venue's naming) to an instrument.
    async fn instrument(&self, symbol: &str) -> Result<Instrument, BrokerError>;
    /// Places an order; the same `client_order_id` again returns the existing order.
    async fn place_order(
        &self,
        account: &str,
        order: &OrderRequest,
    ) -> Result<OrderState, BrokerError>;
    /// Looks an order up by our client order id (reconciling an unknown outcome).
    async fn find_order(
        &self,
        account: &str,
        client_order_id: &str,
    ) -> Result<Option<OrderState>, BrokerError>;
    async fn cancel_order(&self, account: &str, order_id: &str) -> Result<OrderState, BrokerError>;
    /// Cancels working orders and closes the positions of `symbol` (or of every symbol) at
    /// market.
    async fn flatten(&self, account: &str, symbol: Option<&str>) -> Result<(), BrokerError>;
    async fn open_orders(&self, account: &str) -> Result<Vec<OrderState>, BrokerError>;
    /// Order updates and fills of this login's accounts, as they happen.
    fn events(&self) -> broadcast::Receiver<BrokerEvent>;
}

/// How fast one connection (an API key or login) may send orders and cancels, as each
/// adapter declares for its venue, with room left for its other calls. The paper broker has
/// no limit; venues without an adapter have nothing to pace.
pub fn order_rate(kind: BrokerKind) -> Option<governor::Quota> {
    match kind {
        BrokerKind::Paper | BrokerKind::BinanceUsdm | BrokerKind::Okx => None,
        BrokerKind::Bybit => Some(bybit::order_rate()),
        BrokerKind::TopstepX => Some(projectx::order_rate()),
        BrokerKind::Tradovate | BrokerKind::Apex => Some(tradovate::order_rate()),
    }
}

/// Builds adapters for linked connections, with the operator's endpoints.
#[derive(Clone)]
pub struct Brokers {
    pub endpoints: Arc<BrokerEndpoints>,
    /// The operator's choices for Tradovate's unverified forms.
    pub tradovate: tradovate::TradovateSettings,
    pub paper: paper::PaperExchange,
    http: http::HttpClient,
}

impl Brokers {
    pub fn new(
        endpoints: BrokerEndpoints,
        tradovate: tradovate::TradovateSettings,
        paper: paper::PaperExchange,
        http: http::HttpClient,
    ) -> Self {
        Self {
            endpoints: Arc::new(endpoints),
            tradovate,
            paper,
            http,
        }
    }

    /// An adapter for one connection. `connection` names the login (the paper broker keys its
    /// simulated accounts by it).
    pub fn adapter(
        &self,
        kind: BrokerKind,
        environment: BrokerEnvironment,
        connection: &str,
        credentials: &Credentials,
    ) -> Result<Arc<dyn BrokerAdapter>, BrokerError> {
        use credentials::Field;
        let field = |field: Field| {
            credentials
                .get(field)
                .cloned()
                .ok_or_else(|| BrokerError::BadCredentials(format!("{} is missing", field.name())))
        };
        match kind {
            BrokerKind::Paper => Ok(Arc::new(self.paper.login(connection))),
            BrokerKind::Bybit => {
                let endpoint = self
                    .endpoints
                    .get(kind, environment)
                    .cloned()
                    .ok_or(BrokerError::Unsupported(kind.display_name()))?;
                Ok(Arc::new(bybit::BybitAdapter::new(
                    self.http.clone(),
                    endpoint,
                    field(Field::ApiKey)?,
                    field(Field::ApiSecret)?,
                )))
            }
            BrokerKind::Tradovate | BrokerKind::Apex => {
                let endpoint = self
                    .endpoints
                    .get(kind, environment)
                    .cloned()
                    .ok_or(BrokerError::Unsupported(kind.display_name()))?;
                let device_id = credentials.get(Field::DeviceId).cloned().ok_or_else(|| {
                    BrokerError::BadCredentials(
                        "a device id is needed: Tradovate wants the same deviceId on every login"
                            .into(),
                    )
                })?;
                let login = tradovate::TradovateLogin {
                    username: field(Field::Username)?,
                    password: field(Field::Password)?,
                    app_id: field(Field::AppId)?,
                    app_version: credentials.get(Field::AppVersion).cloned(),
                    cid: field(Field::Cid)?,
                    sec: field(Field::Sec)?,
                    device_id,
                };
                let scope = if kind == BrokerKind::Apex {
                    tradovate::Scope::Apex
                } else {
                    tradovate::Scope::All
                };
                Ok(Arc::new(tradovate::TradovateAdapter::new(
                    self.http.clone(),
                    endpoint,
                    scope,
                    login,
                    self.tradovate,
                )))
            }
            BrokerKind::TopstepX => {
                let endpoint = self
                    .endpoints
                    .get(kind, environment)
                    .cloned()
                    .ok_or(BrokerError::Unsupported(kind.display_name()))?;
                Ok(Arc::new(projectx::ProjectXAdapter::new(
                    self.http.clone(),
                    endpoint,
                    field(Field::Username)?,
                    field(Field::ApiKey)?,
                )))
            }
            other => Err(BrokerError::Unsupported(other.display_name())),
        }
    }
}
