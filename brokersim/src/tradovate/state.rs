//! The simulated venue's state (one lock guards it all) and its behaviour switches. Ids come
//! from one counter, so no two entities of any kind share an id and a test that confuses an
//! order id with a command id fails.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::catalog::Catalog;
use super::entities::{
    Account, CashBalance, Command, ExecutionReport, Fill, Order, OrderStrategy, OrderVersion,
    Position, Session, User,
};
use super::limits::Limits;

/// Behaviour switches, set with `POST /_sim/tradovate/config`.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Token lifetime: the docs say 80 or 90 minutes (unverified); 90 by default.
    pub token_lifetime_seconds: i64,
    /// Order commands from a session that logged in without `deviceId` answer 401.
    pub require_device_id: bool,
    /// Orders without `isAutomated: true` are refused.
    pub require_is_automated: bool,
    /// The unit of `profitTarget`/`stopLoss` in order strategies (unverified): points or ticks.
    pub strategy_offset_unit: OffsetUnit,
    /// Requests per user per minute before HTTP 429.
    pub requests_per_minute: usize,
    /// Logins per minute (the whole simulator) before a captcha penalty.
    pub logins_per_minute: usize,
    /// How long a captcha penalty blocks its endpoint.
    pub captcha_block_seconds: u64,
    /// A socket silent for longer than this is closed.
    pub heartbeat_timeout_seconds: u64,
    /// Sockets one user may hold; past it the oldest is closed and its token revoked.
    pub sockets_per_user: usize,
    /// `renewaccesstoken` hands out a new token string (the old one stays valid with the
    /// session) instead of extending the same string; unverified, off by default.
    pub renew_issues_new_token: bool,
    /// A `Stop` order may carry its trigger in `price` when `stopPrice` is absent (the partner
    /// example's reading; the old docs require `stopPrice`).
    pub stop_price_in_price: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OffsetUnit {
    Points,
    Ticks,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            token_lifetime_seconds: 90 * 60,
            require_device_id: true,
            require_is_automated: true,
            strategy_offset_unit: OffsetUnit::Points,
            requests_per_minute: 5000,
            logins_per_minute: 10,
            captcha_block_seconds: 3600,
            heartbeat_timeout_seconds: 10,
            sockets_per_user: 50,
            renew_issues_new_token: false,
            stop_price_in_price: true,
        }
    }
}

impl Config {
    pub fn json(&self) -> Value {
        json!({
            "tokenLifetimeSeconds": self.token_lifetime_seconds,
            "requireDeviceId": self.require_device_id,
            "requireIsAutomated": self.require_is_automated,
            "strategyOffsetUnit": match self.strategy_offset_unit {
                OffsetUnit::Points => "points",
                OffsetUnit::Ticks => "ticks",
            },
            "requestsPerMinute": self.requests_per_minute,
            "loginsPerMinute": self.logins_per_minute,
            "captchaBlockSeconds": self.captcha_block_seconds,
            "heartbeatTimeoutSeconds": self.heartbeat_timeout_seconds,
            "socketsPerUser": self.sockets_per_user,
            "renewIssuesNewToken": self.renew_issues_new_token,
            "stopPriceInPrice": self.stop_price_in_price,
        })
    }
}

/// One entity change for the streams of the account's user.
#[derive(Debug, Clone)]
pub(crate) struct Push {
    pub user_id: i64,
    pub account_id: Option<i64>,
    pub entity_type: &'static str,
    pub event_type: &'static str,
    pub entity: Value,
}

/// An open, authorised socket, so the venue can close it (connection limit, reset).
#[derive(Debug)]
pub(crate) struct SocketEntry {
    pub id: u64,
    pub user_id: i64,
    pub session_id: i64,
    /// Sends the reason of a server-side close to the socket's task.
    pub kick: mpsc::UnboundedSender<String>,
}

pub(crate) struct State {
    pub config: Config,
    next_id: i64,
    pub catalog: Catalog,
    /// Last price per contract id.
    pub prices: HashMap<i64, f64>,
    pub users: BTreeMap<i64, User>,
    pub accounts: BTreeMap<i64, Account>,
    pub sessions: BTreeMap<i64, Session>,
    /// Access token -> session id.
    pub tokens: HashMap<String, i64>,
    pub orders: BTreeMap<i64, Order>,
    pub versions: BTreeMap<i64, OrderVersion>,
    pub commands: BTreeMap<i64, Command>,
    pub reports: BTreeMap<i64, ExecutionReport>,
    pub fills: BTreeMap<i64, Fill>,
    /// By (account id, contract id).
    pub positions: BTreeMap<(i64, i64), Position>,
    /// By account id.
    pub cash: BTreeMap<i64, CashBalance>,
    pub strategies: BTreeMap<i64, OrderStrategy>,
    pub limits: Limits,
    pub sockets: Vec<SocketEntry>,
    /// Entity changes not yet published to the streams.
    pub outbox: Vec<Push>,
}

impl State {
    pub fn new(catalog: Catalog) -> Self {
        let prices = catalog
            .contracts
            .iter()
            .map(|contract| (contract.id, contract.root.default_price))
            .collect();
        Self {
            config: Config::default(),
            next_id: 10_000_001,
            catalog,
            prices,
            users: BTreeMap::new(),
            accounts: BTreeMap::new(),
            sessions: BTreeMap::new(),
            tokens: HashMap::new(),
            orders: BTreeMap::new(),
            versions: BTreeMap::new(),
            commands: BTreeMap::new(),
            reports: BTreeMap::new(),
            fills: BTreeMap::new(),
            positions: BTreeMap::new(),
            cash: BTreeMap::new(),
            strategies: BTreeMap::new(),
            limits: Limits::default(),
            sockets: Vec::new(),
            outbox: Vec::new(),
        }
    }

    pub fn new_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The user owning `account_id`.
    pub fn account_owner(&self, account_id: i64) -> Option<i64> {
        self.accounts
            .get(&account_id)
            .map(|account| account.user_id)
    }

    /// The account owning `order_id`.
    pub fn order_account(&self, order_id: i64) -> Option<i64> {
        self.orders.get(&order_id).map(|order| order.account_id)
    }

    pub fn last_price(&self, contract_id: i64) -> f64 {
        self.prices.get(&contract_id).copied().unwrap_or_default()
    }

    /// Queues an entity change for the streams of the account's user.
    pub fn emit(
        &mut self,
        account_id: i64,
        entity_type: &'static str,
        event_type: &'static str,
        entity: Value,
    ) {
        if let Some(user_id) = self.account_owner(account_id) {
            self.outbox.push(Push {
                user_id,
                account_id: Some(account_id),
                entity_type,
                event_type,
                entity,
            });
        }
    }
}
