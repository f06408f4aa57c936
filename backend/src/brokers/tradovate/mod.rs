//! Tradovate, and Apex Trader Funding through it: one login (username, password and the API
//! application's `appId`/`cid`/`sec`, with a stable `deviceId`) trading its accounts.
//!
//! The adapter owns the login's one session ([`auth`]; every call goes through [`calls`]) and
//! at most one trading WebSocket ([`stream`], framed per [`sockjs`]): Tradovate caps a user at
//! about 50 sockets and revokes the oldest token past it, so it is never one per account. REST
//! answers and Tradovate's slow-down signals are mapped in [`rest`]; symbols become contracts
//! in [`contracts`]; orders go out in [`orders`], and are found by our client order id,
//! cancelled and flattened in [`manage`]. What the stream and the calls learn of orders is kept
//! in [`book`].
//!
//! Apex logins list many accounts; an Apex connection sees and trades only those whose name
//! starts with `APEX` (any case), a Tradovate one all of them. An account's external id is
//! Tradovate's account id as text.
//!
//! Two behaviours the sources disagree on are operator settings ([`TradovateSettings`], in
//! [`settings`]): the unit of bracket offsets in order strategies, and the form of
//! `user/syncrequest`.

mod accounts;
mod auth;
mod book;
mod calls;
mod contracts;
mod manage;
mod orders;
mod parse;
mod rest;
mod settings;
mod sockjs;
mod stream;

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::broadcast;

pub use auth::TradovateLogin;
pub use settings::{BracketUnit, Scope, SyncForm, TradovateSettings};

use super::endpoints::Endpoint;
use super::http::HttpClient;
use super::{
    AccountSnapshot, BrokerAccount, BrokerAdapter, BrokerError, BrokerEvent, Instrument,
    KeyPermissions, OrderRequest, OrderState,
};
use auth::Keeper;
use book::Book;
use contracts::Contracts;
use parse::{number, optional_number};
use rest::{Effect, Rest};

/// Orders and cancels per minute per login. Copier vendors quote about 80 requests a minute per
/// login (unverified); this leaves room for the reads and bracket legs that count too.
pub fn order_rate() -> governor::Quota {
    const PER_MINUTE: NonZeroU32 = match NonZeroU32::new(60) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    };
    const BURST: NonZeroU32 = match NonZeroU32::new(20) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    };
    governor::Quota::per_minute(PER_MINUTE).allow_burst(BURST)
}

/// An account of the login, in this connection's scope.
#[derive(Debug, Clone, PartialEq)]
struct Account {
    pub id: i64,
    pub name: String,
}

/// Shared by the adapter, its renewal timer and its stream.
struct Inner {
    rest: Rest,
    session: Keeper,
    scope: Scope,
    settings: TradovateSettings,
    contracts: Contracts,
    accounts: Mutex<Vec<Account>>,
    book: Book,
    events: broadcast::Sender<BrokerEvent>,
    /// When `events()` was first called: fills from before that are not news.
    listening_since: Mutex<Option<DateTime<Utc>>>,
    streaming: AtomicBool,
    renewing: AtomicBool,
}

/// One Tradovate (or Apex) login.
pub struct TradovateAdapter {
    inner: Arc<Inner>,
}

impl TradovateAdapter {
    pub fn new(
        http: HttpClient,
        endpoint: Endpoint,
        scope: Scope,
        login: TradovateLogin,
        settings: TradovateSettings,
    ) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            inner: Arc::new(Inner {
                rest: Rest::new(http, endpoint),
                session: Keeper::new(login),
                scope,
                settings,
                contracts: Contracts::default(),
                accounts: Mutex::new(Vec::new()),
                book: Book::default(),
                events,
                listening_since: Mutex::new(None),
                streaming: AtomicBool::new(false),
                renewing: AtomicBool::new(false),
            }),
        }
    }
}

#[async_trait]
impl BrokerAdapter for TradovateAdapter {
    async fn authenticate(&self) -> Result<(), BrokerError> {
        // The user asks to try again (linking, "Test connection"): a captcha they solved
        // no longer holds this server back.
        rest::forget_captchas(&self.inner.rest.endpoint.rest);
        self.inner.session.forget_refusal();
        self.inner.live_session().await.map(drop)
    }

    async fn permissions(&self) -> Result<KeyPermissions, BrokerError> {
        // Tradovate has no permission API (and no withdrawal through it): the user confirms.
        self.inner.live_session().await?;
        Ok(KeyPermissions {
            can_trade: None,
            can_withdraw: None,
            can_transfer: None,
            key_created_at: None,
        })
    }

    async fn accounts(&self) -> Result<Vec<BrokerAccount>, BrokerError> {
        Ok(self
            .inner
            .load_accounts()
            .await?
            .into_iter()
            .map(|account| BrokerAccount {
                external_id: account.id.to_string(),
                name: account.name,
            })
            .collect())
    }

    async fn snapshot(&self, account: &str) -> Result<AccountSnapshot, BrokerError> {
        let account = self.inner.own(account).await?;
        let body = json!({ "accountId": account.id });
        let cash = self
            .inner
            .post("cashBalance/getcashbalancesnapshot", &body, Effect::Read)
            .await?;
        if let Some(words) = rest::refusal(&cash) {
            return Err(BrokerError::Rejected(words));
        }
        // Net liquidation value (cash and open P&L), else the cash alone.
        let balance = match optional_number(&cash["netLiq"], "netLiq")? {
            Some(net) => net,
            None => number(&cash["totalCashValue"], "totalCashValue")?,
        };
        let positions = self.inner.positions(&account).await?;
        Ok(AccountSnapshot {
            balance: Some(balance),
            positions: positions.into_iter().map(|(_, _, p)| p).collect(),
        })
    }

    async fn instrument(&self, symbol: &str) -> Result<Instrument, BrokerError> {
        Ok(self.inner.resolve(symbol).await?.instrument)
    }

    async fn place_order(
        &self,
        account: &str,
        order: &OrderRequest,
    ) -> Result<OrderState, BrokerError> {
        let account = self.inner.own(account).await?;
        self.inner.place(&account, order).await
    }

    async fn find_order(
        &self,
        account: &str,
        client_order_id: &str,
    ) -> Result<Option<OrderState>, BrokerError> {
        let account = self.inner.own(account).await?;
        self.inner.find(&account, client_order_id).await
    }

    async fn cancel_order(&self, account: &str, order_id: &str) -> Result<OrderState, BrokerError> {
        let account = self.inner.own(account).await?;
        self.inner.cancel(&account, order_id).await
    }

    async fn flatten(&self, account: &str, symbol: Option<&str>) -> Result<(), BrokerError> {
        let account = self.inner.own(account).await?;
        self.inner.flatten(&account, symbol).await
    }

    async fn open_orders(&self, account: &str) -> Result<Vec<OrderState>, BrokerError> {
        let account = self.inner.own(account).await?;
        self.inner.open_orders(&account).await
    }

    fn events(&self) -> broadcast::Receiver<BrokerEvent> {
        let receiver = self.inner.events.subscribe();
        if let Ok(mut since) = self.inner.listening_since.lock() {
            since.get_or_insert_with(Utc::now);
        }
        if !self.inner.streaming.swap(true, Ordering::SeqCst) {
            tokio::spawn(stream::run(Arc::clone(&self.inner)));
        }
        receiver
    }
}
