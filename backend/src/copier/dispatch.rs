//! The dispatcher: an accepted signal becomes one copied order per follower (stored first),
//! then every follower's order goes out in parallel, each with its own retries; unfinished
//! orders are resumed after a restart.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, RateLimiter};
use tokio::sync::Semaphore;

use super::db::{self, CopiedOrderRow, FollowerRow, GroupRow, SignalHead};
use super::feed::Feeds;
use super::plan::{self, Request, Sizing};
use super::relay::{LiveFeed, Outbox, UserEvents};
use super::{CopierError, CopierEvent, CopyStatus, Follower, OrderUpdate};
use crate::auth::User;
use crate::brokers::{self, BrokerAdapter, BrokerError, BrokerKind, OrderState, OrderStatus};
use crate::clock::Clock;
use crate::connections::{ConnectionStatus, Connections, TradingAccount};
use crate::db::Db;
use crate::db::types::{Id, Ts};
use crate::shutdown::{self, Shutdown};
use crate::signals::SignalStatus;
use crate::signals::parse::{Action, Sentiment, Signal};

/// Signals one instance copies at once (each to all its followers in parallel); more wait.
/// Measured with `scripts/bench`: more in flight only queue longer for the database (SQLite's
/// one writer, PostgreSQL's commits).
const SIGNALS_IN_FLIGHT: usize = 8;

/// What an accepted signal leads to when no copy group uses its webhook.
pub const NO_COPY_GROUP: &str = "no copy group uses this webhook: nothing was placed";

/// How the dispatcher behaves.
#[derive(Debug, Clone)]
pub struct CopierSettings {
    /// A signal (or an unsent order) older than this is not traded any more: after a long
    /// outage the market has moved on.
    pub max_signal_age: Duration,
    /// Attempts per order for errors the broker marks safe to retry.
    pub attempts: u32,
    /// The first retry's wait; each next one doubles.
    pub retry_base: Duration,
}

impl Default for CopierSettings {
    fn default() -> Self {
        Self {
            max_signal_age: Duration::from_secs(300),
            attempts: 4,
            retry_base: Duration::from_millis(200),
        }
    }
}

/// What the kill switch did.
#[derive(Debug, Clone, PartialEq)]
pub struct KillSwitchResult {
    pub groups_paused: usize,
    /// Accounts whose working orders were cancelled and positions closed.
    pub accounts_flattened: Vec<Id>,
    /// Accounts that could not be flattened, and why.
    pub failures: Vec<(Id, String)>,
}

/// The longest pause a venue may ask for (a rate limit's retry-after) that the copier waits
/// out before retrying; past it the copy ends with the reason instead.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// The copier; cheap to clone.
#[derive(Clone)]
pub struct Copier {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    /// Each venue's order rate, per connection (its API key or login).
    pub pacing: HashMap<BrokerKind, DefaultKeyedRateLimiter<Id>>,
    pub db: Db,
    pub clock: Clock,
    pub connections: Connections,
    /// This instance's live subscribers, per user.
    pub live: LiveFeed,
    pub feeds: Feeds,
    pub settings: CopierSettings,
    /// On PostgreSQL: the live feed shared with the other instances.
    pub outbox: Option<Outbox>,
    /// Signals being copied at once by this instance.
    pub in_flight: Semaphore,
}

/// A follower's account, ready to trade.
pub(super) struct Venue {
    connection: Id,
    broker: BrokerKind,
    pub(super) account: TradingAccount,
    pub(super) adapter: Arc<dyn BrokerAdapter>,
}

impl Copier {
    /// `live_url`: the PostgreSQL database whose notifications carry the live feed between
    /// instances (`None` on SQLite: one instance).
    pub fn new(
        db: Db,
        clock: Clock,
        connections: Connections,
        settings: CopierSettings,
        live_url: Option<String>,
    ) -> Self {
        let in_flight = Semaphore::new(SIGNALS_IN_FLIGHT);
        let pacing = BrokerKind::ALL
            .into_iter()
            .filter_map(|kind| Some((kind, RateLimiter::keyed(brokers::order_rate(kind)?))))
            .collect();
        Self {
            inner: Arc::new(Inner {
                pacing,
                db,
                clock,
                connections,
                live: LiveFeed::default(),
                feeds: Feeds::default(),
                settings,
                outbox: live_url.map(Outbox::new),
                in_flight,
            }),
        }
    }

    pub(super) fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(super) fn now(&self) -> Ts {
        Ts::new(self.inner.clock.now())
    }

    /// The live feed of one user: only their own events ever reach it.
    pub fn subscribe(&self, user: Id) -> UserEvents {
        self.inner.live.subscribe(user)
    }

    /// Hands an event to its user's subscribers, on this instance and the others.
    pub(super) fn publish(&self, event: CopierEvent) {
        // The other instances may have subscribers even when this one has none.
        if let Some(outbox) = &self.inner.outbox {
            outbox.send(&event);
        }
        self.inner.live.deliver(event);
    }

    fn publish_order(&self, user: Id, row: &CopiedOrderRow) {
        self.publish(CopierEvent::Order(Box::new(OrderUpdate {
            user_id: user,
            order: row.to_order(&[]),
        })));
    }

    /// Copies a stored signal in the background; the webhook has answered already.
    pub fn spawn_dispatch(&self, signal: Id) {
        let copier = self.clone();
        tokio::spawn(async move {
            // A burst of signals queues here, in order, rather than for database connections
            // (where waiting too long fails).
            let Ok(_permit) = copier.inner.in_flight.acquire().await else {
                return;
            };
            if let Err(err) = copier.dispatch(signal).await {
                tracing::error!(%signal, %err, "copying a signal failed; the resumer retries it");
            }
        });
    }

    /// Plans a signal's copies (once) and sends every one not sent yet.
    pub async fn dispatch(&self, signal: Id) -> Result<(), CopierError> {
        if let Some(head) = self.prepared(signal).await? {
            self.send_signal(&head).await?;
        }
        Ok(())
    }

    /// Stores the copied orders of an accepted signal, once, without sending them (the first
    /// half of [`Self::dispatch`]); `false` for a signal that is not there or was rejected.
    pub async fn prepare(&self, signal: Id) -> Result<bool, CopierError> {
        Ok(self.prepared(signal).await?.is_some())
    }

    async fn prepared(&self, signal: Id) -> Result<Option<SignalHead>, CopierError> {
        let Some(head) = db::signal(self.db(), signal)
            .await?
            .filter(|head| head.status == SignalStatus::Accepted.as_str())
        else {
            return Ok(None);
        };
        if head.dispatched_at.is_none() {
            self.plan(&head).await?;
        }
        Ok(Some(head))
    }

    /// Stores one copied order per follower of every group the signal goes to: ready to send
    /// (PENDING), or skipped/rejected with the reason. Runs once per signal, whichever
    /// instance gets there first.
    async fn plan(&self, head: &SignalHead) -> Result<(), CopierError> {
        let now = self.now();
        let signal: Signal = match head.parsed.as_deref().map(serde_json::from_str) {
            Some(Ok(signal)) => signal,
            _ => {
                db::store_copies(
                    self.db(),
                    head.id,
                    now,
                    "the signal could not be read back: nothing was placed",
                    &[],
                )
                .await?;
                return Ok(());
            }
        };
        let age = now.0 - head.received_at.0;
        if age.to_std().unwrap_or_default() > self.inner.settings.max_signal_age {
            let outcome = format!(
                "not copied: it was received {} s before the copier could act (signals older than {} s are not traded)",
                age.num_seconds(),
                self.inner.settings.max_signal_age.as_secs()
            );
            db::store_copies(self.db(), head.id, now, &outcome, &[]).await?;
            return Ok(());
        }
        let groups = match (head.webhook_id, super::mirror::leader_of(head)) {
            (Some(webhook), _) => db::groups_of_webhook(self.db(), head.user_id, webhook).await?,
            (None, Some(leader)) => db::groups_led_by(self.db(), leader)
                .await?
                .into_iter()
                .filter(|group| group.user_id == head.user_id)
                .collect(),
            (None, None) => Vec::new(),
        };
        if groups.is_empty() {
            db::store_copies(self.db(), head.id, now, NO_COPY_GROUP, &[]).await?;
            return Ok(());
        }
        let ids: Vec<Id> = groups.iter().map(|group| group.id).collect();
        let followers = db::followers(self.db(), head.user_id, Some(&ids)).await?;
        if followers.is_empty() {
            db::store_copies(
                self.db(),
                head.id,
                now,
                "the copy group has no followers: nothing was placed",
                &[],
            )
            .await?;
            return Ok(());
        }
        let by_id: HashMap<Id, &GroupRow> = groups.iter().map(|group| (group.id, group)).collect();
        let rows = join_all(followers.into_iter().map(|row| {
            let group = by_id.get(&row.copy_group_id).copied();
            self.copy_for(head, &signal, group, row)
        }))
        .await;
        let outcome = format!("copying to {} follower(s)", rows.len());
        if db::store_copies(self.db(), head.id, now, &outcome, &rows).await? {
            for row in &rows {
                self.publish_order(head.user_id, row);
            }
        }
        Ok(())
    }

    /// One follower's copy of a signal, not sent yet.
    async fn copy_for(
        &self,
        head: &SignalHead,
        signal: &Signal,
        group: Option<&GroupRow>,
        row: FollowerRow,
    ) -> CopiedOrderRow {
        let mut copy = CopiedOrderRow {
            id: Id::new(),
            user_id: head.user_id,
            signal_id: head.id,
            copy_group_id: Some(row.copy_group_id),
            follower_id: Some(row.id),
            trading_account_id: Some(row.trading_account_id),
            client_order_id: plan::client_order_id(head.id, row.id),
            request: None,
            status: CopyStatus::Pending.as_str().to_owned(),
            reason: None,
            broker_order_id: None,
            created_at: self.now(),
            sent_at: None,
            acknowledged_at: None,
            filled_at: None,
        };
        // A setting that cannot be read stops this copy: it never trades on a default.
        let follower = match Follower::try_from(row) {
            Ok(follower) => follower,
            Err(why) => {
                copy.status = CopyStatus::Error.as_str().to_owned();
                copy.reason = Some(format!(
                    "the follower was not copied: {why}; nothing was placed (remove the follower and add it again)"
                ));
                return copy;
            }
        };
        let planned = if !group.is_some_and(|group| group.enabled) {
            Err((CopyStatus::Skipped, "the copy group is paused".to_owned()))
        } else if !follower.enabled {
            Err((CopyStatus::Skipped, "the follower is paused".to_owned()))
        } else {
            self.request_for(head, signal, &follower, &copy.client_order_id)
                .await
        };
        match planned {
            Ok(request) => copy.request = serde_json::to_string(&request).ok(),
            Err((status, reason)) => {
                copy.status = status.as_str().to_owned();
                copy.reason = Some(reason);
            }
        }
        copy
    }

    /// What a follower should send for a signal, or the status and reason it sends nothing.
    async fn request_for(
        &self,
        head: &SignalHead,
        signal: &Signal,
        follower: &Follower,
        client_order_id: &str,
    ) -> Result<Request, (CopyStatus, String)> {
        let venue = self
            .venue(head.user_id, follower.trading_account_id)
            .await
            .map_err(|reason| (CopyStatus::Error, reason))?;
        let symbol = plan::map_symbol(&signal.ticker, &follower.symbol_map);
        let broker_error = |err: BrokerError| match err {
            BrokerError::UnknownSymbol(_) | BrokerError::Rejected(_) => {
                (CopyStatus::Rejected, err.to_string())
            }
            other => (CopyStatus::Error, other.to_string()),
        };
        let instrument = self
            .retrying(|| venue.adapter.instrument(&symbol))
            .await
            .map_err(broker_error)?;
        let external = &venue.account.external_id;
        let exit = signal.action == Action::Exit || signal.sentiment == Some(Sentiment::Flat);
        if signal.action == Action::Cancel {
            return Ok(Request::Cancel {
                symbol: instrument.symbol,
            });
        }
        // Closing and cancelling always go through: they only ever reduce risk.
        let now = self.inner.clock.now();
        if !exit
            && let Some(hours) = follower.trading_hours
            && !hours.contains(now)
        {
            return Err((
                CopyStatus::Skipped,
                format!("outside the follower's trading hours ({hours} UTC)"),
            ));
        }
        let needs_snapshot = exit
            || follower.max_position.is_some()
            || follower.daily_loss_limit.is_some()
            || signal.action == Action::Add;
        let snapshot = if needs_snapshot {
            Some(
                self.retrying(|| venue.adapter.snapshot(external))
                    .await
                    .map_err(broker_error)?,
            )
        } else {
            None
        };
        let position = snapshot
            .as_ref()
            .and_then(|snapshot| {
                snapshot
                    .positions
                    .iter()
                    .find(|p| p.symbol.eq_ignore_ascii_case(&instrument.symbol))
            })
            .map_or(0.0, |p| p.quantity);
        if exit {
            if position == 0.0 {
                return Err((
                    CopyStatus::Skipped,
                    format!("no open position in {} to close", instrument.symbol),
                ));
            }
            return Ok(Request::Place(plan::closing_order(
                client_order_id.to_owned(),
                &instrument.symbol,
                position,
            )));
        }
        if let (Some(limit), Some(balance)) = (
            follower.daily_loss_limit,
            snapshot.as_ref().and_then(|s| s.balance),
        ) {
            let day = now.format("%Y-%m-%d").to_string();
            let start =
                db::day_start_balance(self.db(), follower.trading_account_id, &day, balance)
                    .await
                    .map_err(|err| (CopyStatus::Error, err.to_string()))?;
            let lost = start - balance;
            if lost >= limit {
                return Err((
                    CopyStatus::Skipped,
                    format!(
                        "the daily loss limit is reached: {lost:.2} lost today of {limit:.2} allowed"
                    ),
                ));
            }
        }
        let sentiment = match (signal.action, signal.sentiment) {
            (Action::Add, None) if position > 0.0 => Some(Sentiment::Long),
            (Action::Add, None) if position < 0.0 => Some(Sentiment::Short),
            (_, sentiment) => sentiment,
        };
        let Some(side) = plan::side(signal.action, sentiment, follower.invert) else {
            return Err((
                CopyStatus::Skipped,
                format!(
                    "nothing to add to: no open position in {}",
                    instrument.symbol
                ),
            ));
        };
        let sizing = Sizing {
            multiplier: follower.multiplier,
            fixed_quantity: follower.fixed_quantity,
            max_quantity: follower.max_quantity,
            max_position: follower.max_position,
        };
        let quantity = plan::size(
            &sizing,
            signal.quantity,
            instrument.lot_size,
            position,
            side.sign(),
        )
        .map_err(|reason| (CopyStatus::Skipped, reason))?;
        Ok(Request::Place(plan::entry_order(
            signal,
            client_order_id.to_owned(),
            &instrument,
            side,
            quantity,
            follower.invert,
        )))
    }

    /// The account a follower trades, with its connection's adapter; the reason if it cannot
    /// trade.
    pub(super) async fn venue(&self, user: Id, account: Id) -> Result<Venue, String> {
        let (connection, account) = self
            .inner
            .connections
            .account_of(user, account)
            .await
            .map_err(|_| "the trading account is no longer linked".to_owned())?;
        if connection.status == ConnectionStatus::Refused {
            return Err(format!(
                "the {} connection is refused: {}",
                connection.broker.display_name(),
                connection
                    .last_error
                    .as_deref()
                    .unwrap_or("replace its key with a trade-only one")
            ));
        }
        let adapter = self
            .adapter(&connection, &account)
            .await
            .map_err(|err| err.to_string())?;
        Ok(Venue {
            connection: connection.id,
            broker: connection.broker,
            account,
            adapter,
        })
    }

    /// Runs a broker call, again after a wait when it failed in a way that is safe to retry.
    async fn retrying<T, F, Fut>(&self, mut call: F) -> Result<T, BrokerError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, BrokerError>>,
    {
        let mut attempt = 1;
        loop {
            match call().await {
                Err(err)
                    if err.is_retryable()
                        && attempt < self.inner.settings.attempts
                        && self.backoff(attempt, &err) <= MAX_RETRY_WAIT =>
                {
                    tokio::time::sleep(self.backoff(attempt, &err)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// How long to wait before the next attempt.
    fn backoff(&self, attempt: u32, err: &BrokerError) -> Duration {
        match err {
            BrokerError::RateLimited { retry_after_ms } => Duration::from_millis(*retry_after_ms),
            _ => self.inner.settings.retry_base * 2u32.saturating_pow(attempt - 1),
        }
    }

    /// Sends every copied order of a signal not sent yet, all at once, then sums up.
    async fn send_signal(&self, head: &SignalHead) -> Result<(), CopierError> {
        let rows = db::orders_of_signal(self.db(), head.id).await?;
        let unsent: Vec<CopiedOrderRow> = rows
            .into_iter()
            .filter(|row| !row.status().is_final())
            .collect();
        join_all(unsent.into_iter().map(|row| self.send(row))).await;
        self.sum_up(head).await
    }

    /// Writes what became of a signal, once every copy has its answer.
    async fn sum_up(&self, head: &SignalHead) -> Result<(), CopierError> {
        let rows = db::orders_of_signal(self.db(), head.id).await?;
        if rows.is_empty() || rows.iter().any(|row| !row.status().is_final()) {
            return Ok(());
        }
        let mut counts: Vec<(CopyStatus, usize)> = Vec::new();
        for status in CopyStatus::ALL {
            let count = rows.iter().filter(|row| row.status() == status).count();
            if count > 0 {
                counts.push((status, count));
            }
        }
        let parts: Vec<String> = counts
            .iter()
            .map(|(status, count)| format!("{count} {}", status.as_str().to_lowercase()))
            .collect();
        let outcome = format!("{} follower(s): {}", rows.len(), parts.join(", "));
        db::set_outcome(self.db(), head.id, &outcome).await?;
        self.publish(CopierEvent::SignalCopied {
            user_id: head.user_id,
            signal_id: head.id,
        });
        Ok(())
    }

    /// Sends one copied order: claims it, places it (or, when resumed, first looks it up by
    /// client order id) and records the answer. Never fails: every outcome is recorded.
    async fn send(&self, mut row: CopiedOrderRow) {
        let result = self.try_send(&mut row).await;
        if let Err(err) = result {
            tracing::error!(order = %row.id, %err, "recording a copied order failed");
        }
    }

    async fn try_send(&self, row: &mut CopiedOrderRow) -> Result<(), CopierError> {
        let now = self.now();
        let resumed = row.status() == CopyStatus::Sending;
        if resumed {
            db::mark_resent(self.db(), row.id, now).await?;
        } else if !db::claim_send(self.db(), row.id, now).await? {
            // Another worker is sending it.
            return Ok(());
        }
        row.status = CopyStatus::Sending.as_str().to_owned();
        row.sent_at = Some(now);
        self.publish_order(row.user_id, row);
        let Some(request) = row.request() else {
            return self
                .finish(
                    row,
                    CopyStatus::Error,
                    Some("the stored order cannot be read".into()),
                    None,
                )
                .await;
        };
        let Some(account) = row.trading_account_id else {
            return self
                .finish(
                    row,
                    CopyStatus::Error,
                    Some("the trading account is no longer linked".into()),
                    None,
                )
                .await;
        };
        let venue = match self.venue(row.user_id, account).await {
            Ok(venue) => venue,
            Err(reason) => {
                return self
                    .finish(row, CopyStatus::Error, Some(reason), None)
                    .await;
            }
        };
        let expired = (now.0 - row.created_at.0).to_std().unwrap_or_default()
            > self.inner.settings.max_signal_age;
        let external = venue.account.external_id.clone();
        match request {
            Request::Cancel { symbol } => {
                let answer = self.cancel_symbol(&venue, &symbol).await;
                match answer {
                    Ok(0) => {
                        self.finish(
                            row,
                            CopyStatus::Skipped,
                            Some(format!("no working orders in {symbol}")),
                            None,
                        )
                        .await
                    }
                    Ok(count) => {
                        self.finish(
                            row,
                            CopyStatus::Cancelled,
                            Some(format!("cancelled {count} working order(s) in {symbol}")),
                            None,
                        )
                        .await
                    }
                    Err(err) => {
                        self.finish(row, CopyStatus::Error, Some(err.to_string()), None)
                            .await
                    }
                }
            }
            Request::Place(order) => {
                // A resumed order may have reached the broker before the restart: look first.
                if resumed || expired {
                    match self
                        .retrying(|| venue.adapter.find_order(&external, &row.client_order_id))
                        .await
                    {
                        Ok(Some(state)) => return self.record_state(row, &state).await,
                        Ok(None) if expired => {
                            let reason = format!(
                                "not sent: the server stopped before sending it and it is now older than {} s",
                                self.inner.settings.max_signal_age.as_secs()
                            );
                            return self
                                .finish(row, CopyStatus::Error, Some(reason), None)
                                .await;
                        }
                        Ok(None) => {}
                        Err(err) => {
                            return self
                                .finish(row, CopyStatus::Error, Some(err.to_string()), None)
                                .await;
                        }
                    }
                }
                let mut attempt = 1;
                loop {
                    self.pace(&venue).await;
                    let answer = venue.adapter.place_order(&external, &order).await;
                    let err = match answer {
                        Ok(state) => return self.record_state(row, &state).await,
                        Err(err) => err,
                    };
                    if let BrokerError::UnknownOutcome(_) = err
                        && let Ok(Some(state)) = self
                            .retrying(|| venue.adapter.find_order(&external, &row.client_order_id))
                            .await
                    {
                        return self.record_state(row, &state).await;
                    }
                    // An unknown outcome not found at the broker is safe to send again: each
                    // adapter makes sure the same client order id never makes a second order
                    // (Bybit refuses a repeated one; Tradovate and ProjectX look it up first).
                    let again = err.is_retryable() || matches!(err, BrokerError::UnknownOutcome(_));
                    // A venue that asks for a long pause (Tradovate: an hour after a 429) is
                    // not waited out: the signal would trade long after it was meant to.
                    let wait = self.backoff(attempt, &err);
                    if again && attempt < self.inner.settings.attempts && wait > MAX_RETRY_WAIT {
                        let reason = format!(
                            "not sent: the broker asks to wait {} s before the next request, longer than a signal is held ({err})",
                            wait.as_secs()
                        );
                        return self
                            .finish(row, CopyStatus::Error, Some(reason), None)
                            .await;
                    }
                    if again && attempt < self.inner.settings.attempts {
                        tokio::time::sleep(self.backoff(attempt, &err)).await;
                        attempt += 1;
                        continue;
                    }
                    // A refused login or a captcha is the user's to fix: show it on the
                    // connection, which pauses copying to it.
                    if let Err(report) = self
                        .inner
                        .connections
                        .report_broker_error(row.user_id, venue.connection, &err)
                        .await
                    {
                        tracing::warn!(%report, "cannot mark the connection failed");
                    }
                    let status = match err {
                        BrokerError::Rejected(_) | BrokerError::UnknownSymbol(_) => {
                            CopyStatus::Rejected
                        }
                        _ => CopyStatus::Error,
                    };
                    let reason = if again {
                        format!("gave up after {attempt} attempts: {err}")
                    } else {
                        err.to_string()
                    };
                    return self.finish(row, status, Some(reason), None).await;
                }
            }
        }
    }

    /// Waits until the venue's order rate lets this connection send one more.
    async fn pace(&self, venue: &Venue) {
        let Some(limiter) = self.inner.pacing.get(&venue.broker) else {
            return;
        };
        while let Err(not_until) = limiter.check_key(&venue.connection) {
            tokio::time::sleep(not_until.wait_time_from(limiter.clock().now())).await;
        }
    }

    /// Cancels the account's working orders in `symbol`; how many.
    async fn cancel_symbol(&self, venue: &Venue, symbol: &str) -> Result<usize, BrokerError> {
        let external = &venue.account.external_id;
        let open = self
            .retrying(|| venue.adapter.open_orders(external))
            .await?;
        let mut cancelled = 0;
        for order in open
            .iter()
            .filter(|order| order.symbol.eq_ignore_ascii_case(symbol))
        {
            self.pace(venue).await;
            self.retrying(|| venue.adapter.cancel_order(external, &order.order_id))
                .await?;
            cancelled += 1;
        }
        Ok(cancelled)
    }

    /// Records the broker's view of a placed order.
    async fn record_state(
        &self,
        row: &CopiedOrderRow,
        state: &OrderState,
    ) -> Result<(), CopierError> {
        let status = match state.status {
            OrderStatus::Working => CopyStatus::Working,
            OrderStatus::Filled => CopyStatus::Filled,
            OrderStatus::Cancelled => CopyStatus::Cancelled,
            OrderStatus::Rejected => CopyStatus::Rejected,
        };
        let reason =
            (status == CopyStatus::Rejected).then(|| "the broker rejected the order".to_owned());
        self.finish(row, status, reason, Some(state.order_id.clone()))
            .await
    }

    async fn finish(
        &self,
        row: &CopiedOrderRow,
        status: CopyStatus,
        reason: Option<String>,
        broker_order_id: Option<String>,
    ) -> Result<(), CopierError> {
        let acknowledged = broker_order_id.as_ref().map(|_| self.now());
        db::record_answer(
            self.db(),
            row.id,
            status,
            reason.as_deref(),
            broker_order_id.as_deref(),
            acknowledged,
        )
        .await?;
        // As stored now, with its fills (one may have raced ahead of this answer).
        self.publish_current(row.id).await
    }

    /// Finishes what a restart interrupted: signals never dispatched and copied orders never
    /// answered (on any instance: another instance's crash is picked up too).
    pub async fn resume(&self) -> Result<usize, CopierError> {
        let mut resumed = 0;
        // Signals and orders in flight on a live instance are left to it for a while.
        let stalled = Ts::new(self.inner.clock.now() - chrono::Duration::seconds(30));
        for head in db::undispatched(self.db(), stalled).await? {
            self.dispatch(head.id).await?;
            resumed += 1;
        }
        let unfinished = db::unfinished(self.db(), stalled).await?;
        let mut signals: Vec<Id> = unfinished.iter().map(|row| row.signal_id).collect();
        signals.dedup();
        for signal in signals {
            if let Some(head) = db::signal(self.db(), signal).await? {
                self.send_signal(&head).await?;
                resumed += 1;
            }
        }
        Ok(resumed)
    }

    /// Resumes at start, then keeps an eye out for stalled copies until shutdown.
    pub async fn run_resumer(self, shutdown: Shutdown) {
        // Orders that were working when the server stopped are listened to again, and what
        // happened to them meanwhile is brought in.
        if let Err(err) = self.follow_working().await {
            tracing::warn!(%err, "copier: cannot follow up working orders");
        }
        shutdown::every(Duration::from_secs(15), shutdown, || async {
            // New leaders, and leaders whose credentials changed, get a listener.
            if let Err(err) = self.watch_leaders().await {
                tracing::warn!(%err, "copier: cannot list leader accounts");
            }
            match self.resume().await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "copier: resumed unfinished signals"),
                Err(err) => tracing::warn!(%err, "copier: resuming failed; retrying"),
            }
        })
        .await;
    }

    /// Pauses every copy group of the user; with `flatten`, also cancels the working orders
    /// and closes the positions of every follower account, all accounts at once.
    pub async fn kill_switch(
        &self,
        user: &User,
        flatten: bool,
    ) -> Result<KillSwitchResult, CopierError> {
        let groups_paused = db::pause_all_groups(self.db(), user.id).await?;
        let mut result = KillSwitchResult {
            groups_paused,
            accounts_flattened: Vec::new(),
            failures: Vec::new(),
        };
        if !flatten {
            return Ok(result);
        }
        let mut accounts: Vec<Id> = db::followers(self.db(), user.id, None)
            .await?
            .iter()
            .map(|follower| follower.trading_account_id)
            .collect();
        accounts.sort_by_key(|id| id.0);
        accounts.dedup();
        let outcomes = join_all(accounts.into_iter().map(|account| async move {
            let flattened = match self.venue(user.id, account).await {
                Ok(venue) => self
                    .retrying(|| venue.adapter.flatten(&venue.account.external_id, None))
                    .await
                    .map_err(|err| err.to_string()),
                Err(reason) => Err(reason),
            };
            (account, flattened)
        }))
        .await;
        for (account, outcome) in outcomes {
            match outcome {
                Ok(()) => result.accounts_flattened.push(account),
                Err(reason) => result.failures.push((account, reason)),
            }
        }
        tracing::warn!(user = %user.id, groups = groups_paused, flattened = result.accounts_flattened.len(), "kill switch used");
        Ok(result)
    }
}
