//! ProjectX Gateway (what TopstepX runs): one login (user name and API key) that sees several
//! prop-firm accounts.
//!
//! Every REST call is a JSON `POST` with a bearer session token ([`rest`]): the token lasts
//! 24 hours, is renewed through `Auth/validate` (which hands out a new one: the newest is
//! always used), and the login's 200-calls-per-minute budget is shared by every account on it
//! ([`budget`]). Failures are HTTP 200 with `success:false` and a code whose meaning depends
//! on the endpoint ([`codes`]). Contracts resolve through `Contract/search` ([`contracts`]);
//! orders carry our client order id as `customTag`, which the venue never lets us reuse, not
//! even after a rejection ([`place`], checked first by [`checks`]; look-ups, cancels and
//! flattening in [`orders`]); fills and order updates arrive on the SignalR user hub
//! ([`stream`], framing in [`hub`]), which catches up over REST after every reconnect.

mod budget;
mod checks;
mod codes;
mod contracts;
mod envelope;
mod hub;
mod orders;
mod place;
mod rest;
mod stream;
mod wire;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use serde_json::json;
use tokio::sync::{Notify, broadcast, watch};

use super::endpoints::Endpoint;
use super::http::HttpClient;
use super::{
    AccountSnapshot, BrokerAccount, BrokerAdapter, BrokerError, BrokerEvent, Instrument,
    KeyPermissions, OrderRequest, OrderState,
};
use crate::vault::SecretString;
use codes::Call;
use place::Attempt;
use rest::Rest;

/// How the copier paces one login's orders and cancels: 2 a second (a burst of 20), which
/// leaves a third of the venue's 200 calls a minute for reads, look-ups and the stream's
/// catch-up. The adapter's own budget keeps the total within the venue's limit in any case.
pub fn order_rate() -> governor::Quota {
    let two = std::num::NonZeroU32::MIN.saturating_add(1);
    let burst = std::num::NonZeroU32::MIN.saturating_add(19);
    governor::Quota::per_second(two).allow_burst(burst)
}

/// How bracket ticks are signed on `Order/place`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BracketSign {
    /// From the entry: a long's stop-loss below zero and take-profit above, a short's the
    /// mirror (what the venue's live error messages demand).
    Signed,
    /// Both legs as positive distances (what one third-party client sends; unverified).
    Positive,
}

/// The adapter's tunables; [`Settings::default`] is what the venue documents.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Renew the session this long after it was issued (tokens last 24 h).
    pub renew_after: Duration,
    /// Calls per `window` for the whole login (logins not counted).
    pub requests_per_window: u32,
    pub window: Duration,
    pub bracket_sign: BracketSign,
    /// How long a placement waits for the stream to be subscribed to its account, so that
    /// its fill cannot go by unseen (a placement that waits longer goes out anyway, and the
    /// stream's catch-up covers it).
    pub subscribe_wait: Duration,
    /// The hub's keepalive: a ping every `ping_every`, and a server silent for
    /// `silent_after` is given up on.
    pub ping_every: Duration,
    pub silent_after: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            renew_after: Duration::from_secs(20 * 60 * 60),
            requests_per_window: 200,
            window: Duration::from_secs(60),
            bracket_sign: BracketSign::Signed,
            subscribe_wait: Duration::from_secs(5),
            ping_every: Duration::from_secs(15),
            silent_after: Duration::from_secs(30),
        }
    }
}

/// The accounts the stream subscribes to, and those it is subscribed to right now.
struct Watched {
    wanted: Mutex<BTreeSet<i64>>,
    /// Wakes the stream when `wanted` grows.
    grew: Notify,
    /// Accounts whose order, position and trade subscriptions the hub acknowledged on the
    /// current connection.
    ready: watch::Sender<HashSet<i64>>,
}

/// What the adapter, its stream and its timers share.
struct Shared {
    rest: Arc<Rest>,
    endpoint: Endpoint,
    settings: Settings,
    /// Resolved instruments by the symbol asked for, with the UTC day they were resolved on.
    instruments: Mutex<HashMap<String, (NaiveDate, Instrument)>>,
    /// Contract names by id, learnt while resolving (ids go to the venue, names to the copier).
    names: Mutex<HashMap<String, String>>,
    /// `customTag` by order id, to give fills our client order id.
    tags: Mutex<HashMap<i64, String>>,
    /// Our placement attempts per (account, client order id).
    attempts: Mutex<HashMap<(i64, String), Attempt>>,
    /// Whether `Order/v2/query` is served (cleared on its first 404).
    v2_query: AtomicBool,
    watched: Watched,
    events: broadcast::Sender<BrokerEvent>,
    streaming: AtomicBool,
}

/// One ProjectX login.
pub struct ProjectXAdapter {
    shared: Arc<Shared>,
}

impl ProjectXAdapter {
    pub fn new(
        http: HttpClient,
        endpoint: Endpoint,
        user_name: SecretString,
        api_key: SecretString,
    ) -> Self {
        Self::with_settings(http, endpoint, user_name, api_key, Settings::default())
    }

    pub fn with_settings(
        http: HttpClient,
        endpoint: Endpoint,
        user_name: SecretString,
        api_key: SecretString,
        settings: Settings,
    ) -> Self {
        let rest = Rest::new(http, &endpoint.rest, user_name, api_key, &settings);
        Self {
            shared: Arc::new(Shared {
                rest: Arc::new(rest),
                endpoint,
                settings,
                instruments: Mutex::default(),
                names: Mutex::default(),
                tags: Mutex::default(),
                attempts: Mutex::default(),
                v2_query: AtomicBool::new(true),
                watched: Watched {
                    wanted: Mutex::default(),
                    grew: Notify::new(),
                    ready: watch::Sender::new(HashSet::new()),
                },
                events: broadcast::channel(1024).0,
                streaming: AtomicBool::new(false),
            }),
        }
    }
}

/// Our external account id as the venue's number.
fn account_id(account: &str) -> Result<i64, BrokerError> {
    account
        .parse::<i64>()
        .map_err(|_| BrokerError::UnknownAccount(account.to_owned()))
}

impl Shared {
    /// An order state as the copier sees it: its contract by name.
    async fn named(&self, state: OrderState) -> Result<OrderState, BrokerError> {
        Ok(OrderState {
            symbol: contracts::name_of(self, &state.symbol).await?,
            ..state
        })
    }

    /// Every account of the login, as `Account/search` lists them.
    async fn venue_accounts(&self, only_active: bool) -> Result<Vec<wire::Account>, BrokerError> {
        let body = json!({ "onlyActiveAccounts": only_active });
        let answer = self.rest.ok(Call::AccountSearch, &body).await?;
        wire::list(&answer, "accounts")?
            .iter()
            .map(wire::account)
            .collect()
    }

    /// Adds accounts for the stream to follow, and wakes it if any is new.
    fn watch_accounts(&self, accounts: impl IntoIterator<Item = i64>) {
        let mut grew = false;
        if let Ok(mut wanted) = self.watched.wanted.lock() {
            for id in accounts {
                grew |= wanted.insert(id);
            }
        }
        if grew {
            self.watched.grew.notify_one();
        }
    }

    /// Before trading an account: the stream follows it, and (while the stream runs) is
    /// subscribed to it before the order goes out.
    async fn follow(&self, account: i64) {
        self.watch_accounts([account]);
        if !self.streaming.load(Ordering::SeqCst) {
            return;
        }
        let mut ready = self.watched.ready.subscribe();
        let subscribed = ready.wait_for(|set| set.contains(&account));
        if tokio::time::timeout(self.settings.subscribe_wait, subscribed)
            .await
            .is_err()
        {
            tracing::warn!(
                account,
                "ProjectX: the user hub is not subscribed to the account yet; the order goes out and the hub's catch-up reports it"
            );
        }
    }
}

#[async_trait]
impl BrokerAdapter for ProjectXAdapter {
    async fn authenticate(&self) -> Result<(), BrokerError> {
        self.shared.rest.token().await.map(drop)
    }

    async fn permissions(&self) -> Result<KeyPermissions, BrokerError> {
        // No scope endpoint exists: the key is user-level, trades, and the API has no
        // withdrawal or transfer call at all.
        let accounts = self.shared.venue_accounts(false).await?;
        Ok(KeyPermissions {
            can_trade: Some(accounts.iter().any(|account| account.can_trade)),
            can_withdraw: Some(false),
            can_transfer: Some(false),
            key_created_at: None,
        })
    }

    async fn accounts(&self) -> Result<Vec<BrokerAccount>, BrokerError> {
        let accounts: Vec<wire::Account> = self
            .shared
            .venue_accounts(true)
            .await?
            .into_iter()
            .filter(|account| account.can_trade)
            .collect();
        self.shared.watch_accounts(accounts.iter().map(|a| a.id));
        Ok(accounts
            .into_iter()
            .map(|account| BrokerAccount {
                external_id: account.id.to_string(),
                name: account.name,
            })
            .collect())
    }

    async fn snapshot(&self, account: &str) -> Result<AccountSnapshot, BrokerError> {
        let id = account_id(account)?;
        let balance = self
            .shared
            .venue_accounts(false)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| BrokerError::UnknownAccount(account.to_owned()))?
            .balance;
        let mut positions = orders::positions(&self.shared, id).await?;
        for position in &mut positions {
            position.symbol = contracts::name_of(&self.shared, &position.symbol).await?;
        }
        Ok(AccountSnapshot {
            balance: Some(balance),
            positions,
        })
    }

    async fn instrument(&self, symbol: &str) -> Result<Instrument, BrokerError> {
        contracts::for_copier(&self.shared, symbol).await
    }

    async fn place_order(
        &self,
        account: &str,
        order: &OrderRequest,
    ) -> Result<OrderState, BrokerError> {
        let state = place::place(&self.shared, account_id(account)?, order).await?;
        self.shared.named(state).await
    }

    async fn find_order(
        &self,
        account: &str,
        client_order_id: &str,
    ) -> Result<Option<OrderState>, BrokerError> {
        match orders::find(&self.shared, account_id(account)?, client_order_id).await? {
            Some(state) => Ok(Some(self.shared.named(state).await?)),
            None => Ok(None),
        }
    }

    async fn cancel_order(&self, account: &str, order_id: &str) -> Result<OrderState, BrokerError> {
        let state = orders::cancel(&self.shared, account_id(account)?, order_id).await?;
        self.shared.named(state).await
    }

    async fn flatten(&self, account: &str, symbol: Option<&str>) -> Result<(), BrokerError> {
        orders::flatten(&self.shared, account_id(account)?, symbol).await
    }

    async fn open_orders(&self, account: &str) -> Result<Vec<OrderState>, BrokerError> {
        let id = account_id(account)?;
        let mut states = Vec::new();
        for order in orders::working(&self.shared, id, None).await? {
            states.push(self.shared.named(order.state).await?);
        }
        Ok(states)
    }

    fn events(&self) -> broadcast::Receiver<BrokerEvent> {
        let receiver = self.shared.events.subscribe();
        if !self.shared.streaming.swap(true, Ordering::SeqCst) {
            tokio::spawn(stream::run(Arc::clone(&self.shared)));
        }
        receiver
    }
}
