//! Everything the simulated gateway knows, behind one lock: users, accounts, orders,
//! positions, trades (see `entities`), tokens, prices, behaviour switches, and the hub clients
//! that events are pushed to.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

use super::config::{Config, EventWrapper};
use super::contracts::Product;
// The entities are part of the state; callers name them from here.
pub use super::entities::{Account, Leg, Order, Position, Trade, User, kind, status};

pub struct TokenEntry {
    pub user_id: i64,
    pub session: u64,
    pub expires: DateTime<Utc>,
}

/// What a bearer token is worth now.
pub enum TokenCheck {
    Valid {
        user_id: i64,
        session: u64,
    },
    Expired,
    /// The session was logged out.
    Ended,
    Unknown,
}

/// The user hub's event kinds, one per `Subscribe*` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    Accounts,
    Orders,
    Positions,
    Trades,
}

impl Topic {
    pub fn event(self) -> &'static str {
        match self {
            Topic::Accounts => "GatewayUserAccount",
            Topic::Orders => "GatewayUserOrder",
            Topic::Positions => "GatewayUserPosition",
            Topic::Trades => "GatewayUserTrade",
        }
    }
}

/// `action` in the wrapped event form.
pub mod action {
    pub const CREATE: u8 = 0;
    pub const UPDATE: u8 = 1;
    pub const DELETE: u8 = 2;
}

/// One open user-hub connection.
pub struct HubClient {
    pub subscriptions: HashSet<(Topic, i64)>,
    /// Serialized messages (without the record separator) for the connection's task to send.
    pub outbox: UnboundedSender<String>,
}

/// Id counters; they survive `/reset` so ids never repeat within a run.
pub struct Ids {
    next_user: i64,
    next_account: i64,
    /// Order ids exceed 2^31, as the venue's do: clients must hold them in 64 bits.
    next_order: i64,
    next_position: i64,
    next_trade: i64,
    next_session: u64,
    next_hub: u64,
}

impl Ids {
    fn new() -> Self {
        Self {
            next_user: 1,
            next_account: 7_000_001,
            next_order: 2_300_000_001,
            next_position: 410_000_001,
            next_trade: 2_900_000_001,
            next_session: 1,
            next_hub: 1,
        }
    }

    fn take(counter: &mut i64) -> i64 {
        let id = *counter;
        *counter += 1;
        id
    }

    pub fn user(&mut self) -> i64 {
        Self::take(&mut self.next_user)
    }
    pub fn account(&mut self) -> i64 {
        Self::take(&mut self.next_account)
    }
    pub fn order(&mut self) -> i64 {
        Self::take(&mut self.next_order)
    }
    pub fn position(&mut self) -> i64 {
        Self::take(&mut self.next_position)
    }
    pub fn trade(&mut self) -> i64 {
        Self::take(&mut self.next_trade)
    }
    pub fn session(&mut self) -> u64 {
        self.next_session += 1;
        self.next_session - 1
    }
    pub fn hub(&mut self) -> u64 {
        self.next_hub += 1;
        self.next_hub - 1
    }
}

pub struct State {
    pub config: Config,
    pub ids: Ids,
    pub users: Vec<User>,
    pub accounts: BTreeMap<i64, Account>,
    pub orders: BTreeMap<i64, Order>,
    /// By (account, contract id).
    pub positions: BTreeMap<(i64, String), Position>,
    pub trades: Vec<Trade>,
    /// Custom tags ever used, per account, rejected orders' included.
    pub used_tags: HashSet<(i64, String)>,
    /// Last price by product root.
    pub prices: HashMap<&'static str, f64>,
    pub tokens: HashMap<String, TokenEntry>,
    pub live_sessions: HashSet<u64>,
    /// Request times per user within the rate window.
    pub requests: HashMap<i64, VecDeque<Instant>>,
    /// `negotiate` connection tokens not yet used, with their user.
    pub negotiations: HashMap<String, i64>,
    pub hubs: HashMap<u64, HubClient>,
}

impl State {
    pub fn new() -> Self {
        Self {
            config: Config::default(),
            ids: Ids::new(),
            users: Vec::new(),
            accounts: BTreeMap::new(),
            orders: BTreeMap::new(),
            positions: BTreeMap::new(),
            trades: Vec::new(),
            used_tags: HashSet::new(),
            prices: HashMap::new(),
            tokens: HashMap::new(),
            live_sessions: HashSet::new(),
            requests: HashMap::new(),
            negotiations: HashMap::new(),
            hubs: HashMap::new(),
        }
    }

    /// Clears users and trading state; id counters and open hub connections stay.
    pub fn reset(&mut self) {
        let ids = std::mem::replace(&mut self.ids, Ids::new());
        let hubs = std::mem::take(&mut self.hubs);
        *self = Self::new();
        self.ids = ids;
        self.hubs = hubs;
        for client in self.hubs.values_mut() {
            client.subscriptions.clear();
        }
    }

    pub fn user_by_name(&self, user_name: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.user_name.eq_ignore_ascii_case(user_name))
    }

    /// The account, if it exists and belongs to `user_id`.
    pub fn account_of(&self, user_id: i64, account_id: i64) -> Option<&Account> {
        self.accounts
            .get(&account_id)
            .filter(|a| a.user_id == user_id)
    }

    pub fn price(&self, product: &'static Product) -> f64 {
        self.prices
            .get(product.root)
            .copied()
            .unwrap_or(product.default_price)
    }

    pub fn check_token(&self, token: &str, now: DateTime<Utc>) -> TokenCheck {
        match self.tokens.get(token) {
            None => TokenCheck::Unknown,
            Some(entry) if !self.live_sessions.contains(&entry.session) => TokenCheck::Ended,
            Some(entry) if entry.expires <= now => TokenCheck::Expired,
            Some(entry) => TokenCheck::Valid {
                user_id: entry.user_id,
                session: entry.session,
            },
        }
    }

    /// Counts one request of `user_id` against the rate limit; over it, the seconds to wait.
    pub fn count_request(&mut self, user_id: i64, now: Instant) -> Result<(), u64> {
        let limit = self.config.requests_per_60s;
        if limit == 0 {
            return Ok(());
        }
        let window = std::time::Duration::from_secs(60);
        let times = self.requests.entry(user_id).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() >= limit as usize {
            let oldest = times.front().copied().unwrap_or(now);
            let left = window.saturating_sub(now.duration_since(oldest));
            return Err(left.as_secs_f64().ceil().max(1.0) as u64);
        }
        times.push_back(now);
        Ok(())
    }

    /// Pushes an event to every hub client subscribed to `topic` for `account_id`.
    pub fn emit(&mut self, topic: Topic, account_id: i64, action: u8, data: Value) {
        let payload = match self.config.event_wrapper {
            EventWrapper::Bare => data,
            EventWrapper::Action => json!({ "action": action, "data": data }),
        };
        let message = json!({ "type": 1, "target": topic.event(), "arguments": [payload] });
        let text = message.to_string();
        for client in self.hubs.values() {
            if client.subscriptions.contains(&(topic, account_id)) {
                // A closed outbox means the connection is ending; its task unregisters it.
                let _ = client.outbox.send(text.clone());
            }
        }
    }

    pub fn emit_order(&mut self, order_id: i64, action: u8) {
        if let Some(order) = self.orders.get(&order_id) {
            let (account_id, data) = (order.account_id, order.to_json());
            self.emit(Topic::Orders, account_id, action, data);
        }
    }

    pub fn emit_account(&mut self, account_id: i64) {
        if let Some(account) = self.accounts.get(&account_id) {
            let data = account.to_json();
            self.emit(Topic::Accounts, account_id, action::UPDATE, data);
        }
    }
}
