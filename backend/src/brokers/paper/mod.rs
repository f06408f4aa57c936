//! The built-in paper broker: simulated accounts with a starting balance, for trying
//! CopyTrade end to end with no broker at all. Market orders fill at once (at the signal's
//! price when given, else at the simulated market price); limit, stop and stop-limit orders
//! work until the simulated price crosses them ([`PaperExchange::match_working_orders`]);
//! positions, realised P&L and balance are kept in the database; order updates and fills go
//! out on the same stream a real broker's would.

mod books;
pub mod market;

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::broadcast;

use super::{
    AccountSnapshot, BrokerAccount, BrokerAdapter, BrokerError, BrokerEvent, Exit, Fill,
    Instrument, KeyPermissions, OrderRequest, OrderState, OrderStatus, OrderType, Position, Side,
};
use crate::clock::Clock;
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError};
use crate::shutdown::{self, Shutdown};
use books::{Execution, OrderRow};

/// A new paper account's balance when the user names none.
pub const DEFAULT_STARTING_BALANCE: f64 = 100_000.0;
/// How often working orders are checked against the simulated price.
pub const MATCH_INTERVAL: Duration = Duration::from_millis(500);

/// The simulated exchange every paper login trades on; cheap to clone.
#[derive(Clone)]
pub struct PaperExchange {
    db: Db,
    clock: Clock,
    events: broadcast::Sender<BrokerEvent>,
}

impl From<DbError> for BrokerError {
    fn from(err: DbError) -> Self {
        tracing::error!(%err, "paper broker: database error");
        Self::Transient("the paper broker's books are unavailable".to_owned())
    }
}

impl PaperExchange {
    pub fn new(db: Db, clock: Clock) -> Self {
        let (events, _) = broadcast::channel(4096);
        Self { db, clock, events }
    }

    /// The paper account a connection trades on.
    pub fn account_id(connection: &str) -> String {
        let hex: String = connection
            .chars()
            .filter(char::is_ascii_hexdigit)
            .take(12)
            .collect();
        format!("PAPER-{}", hex.to_ascii_uppercase())
    }

    /// Opens the connection's simulated account (once) with a starting balance.
    pub async fn open_account(&self, connection: &str, balance: f64) -> Result<(), BrokerError> {
        books::open_account(&self.db, &Self::account_id(connection), balance, self.now()).await?;
        Ok(())
    }

    /// Deletes the connection's simulated account, orders and positions.
    pub async fn close_account(&self, connection: &str) -> Result<(), BrokerError> {
        books::delete_accounts(&self.db, &[Self::account_id(connection)]).await?;
        Ok(())
    }

    /// Removes the books of paper accounts whose owner deleted their CopyTrade account.
    pub async fn remove_orphans(&self) -> Result<usize, BrokerError> {
        let before = Ts::new(self.clock.now() - chrono::Duration::hours(1));
        Ok(books::delete_orphans(&self.db, before).await?)
    }

    /// The adapter of one paper connection.
    pub fn login(&self, connection: &str) -> PaperLogin {
        PaperLogin {
            exchange: self.clone(),
            account: Self::account_id(connection),
        }
    }

    /// Every order update and fill of every paper account (the copier filters by account).
    pub fn subscribe(&self) -> broadcast::Receiver<BrokerEvent> {
        self.events.subscribe()
    }

    fn now(&self) -> Ts {
        Ts::new(self.clock.now())
    }

    fn market_price(&self, instrument: &Instrument) -> f64 {
        market::price(instrument, self.clock.now())
    }

    /// Fills every working order the simulated price has crossed; returns how many filled.
    pub async fn match_working_orders(&self) -> Result<usize, BrokerError> {
        let mut filled = 0;
        for order in books::working_orders(&self.db, None).await? {
            let instrument = market::instrument(&order.symbol)?;
            let price = self.market_price(&instrument);
            if let Some(fill_price) = self.crossing(&order, price, instrument.tick_size).await?
                && self.execute(&order, fill_price).await?.is_some()
            {
                filled += 1;
            }
        }
        Ok(filled)
    }

    /// Runs the matcher until shutdown (one per server; a second instance's matcher is
    /// harmless, as only a working order can fill).
    pub async fn run_matcher(self, shutdown: Shutdown) {
        shutdown::every(MATCH_INTERVAL, shutdown, || async {
            if let Err(err) = self.match_working_orders().await {
                tracing::warn!(%err, "paper broker: matching failed; retrying");
            }
        })
        .await;
    }

    /// The price a working order fills at, if `price` crosses it. A stop-limit order whose
    /// stop is crossed becomes a limit order.
    async fn crossing(
        &self,
        order: &OrderRow,
        price: f64,
        tick: f64,
    ) -> Result<Option<f64>, BrokerError> {
        let buy = order.side() == Side::Buy;
        let stop_crossed = |stop: f64| if buy { price >= stop } else { price <= stop };
        let limit_fill = |limit: f64| {
            let marketable = if buy { price <= limit } else { price >= limit };
            // A limit fills at its price or better.
            marketable.then(|| {
                market::round_to_tick(
                    if buy {
                        price.min(limit)
                    } else {
                        price.max(limit)
                    },
                    tick,
                )
            })
        };
        Ok(
            match (order.order_type(), order.limit_price, order.stop_price) {
                (OrderType::Market, ..) => Some(price),
                (OrderType::Limit, Some(limit), _) => limit_fill(limit),
                (OrderType::Stop, _, Some(stop)) => stop_crossed(stop).then_some(price),
                (OrderType::StopLimit, Some(limit), Some(stop)) => {
                    if !stop_crossed(stop) {
                        None
                    } else {
                        books::trigger_stop_limit(&self.db, order.id, self.now()).await?;
                        limit_fill(limit)
                    }
                }
                // A triggered stop-limit (stop cleared) waits as a limit.
                (OrderType::StopLimit, Some(limit), None) => limit_fill(limit),
                _ => None,
            },
        )
    }

    async fn execute(
        &self,
        order: &OrderRow,
        price: f64,
    ) -> Result<Option<OrderState>, BrokerError> {
        let Some(execution) = books::fill(&self.db, order, price, self.now()).await? else {
            return Ok(None);
        };
        let Execution {
            filled,
            legs,
            cancelled,
        } = execution;
        let state = order_state(&filled);
        self.publish(BrokerEvent::Order(state.clone()));
        // A paper order fills whole, once: its id names the execution.
        self.publish(BrokerEvent::Fill(Fill {
            execution_id: state.order_id.clone(),
            order_id: state.order_id.clone(),
            client_order_id: state.client_order_id.clone(),
            account: state.account.clone(),
            symbol: state.symbol.clone(),
            side: state.side,
            quantity: filled.quantity,
            price,
            at: filled.updated_at.0,
        }));
        for row in legs.iter().chain(&cancelled) {
            self.publish(BrokerEvent::Order(order_state(row)));
        }
        Ok(Some(state))
    }

    fn publish(&self, event: BrokerEvent) {
        // No subscriber is fine: nobody is watching.
        let _ = self.events.send(event);
    }
}

fn order_state(row: &OrderRow) -> OrderState {
    OrderState {
        order_id: row.id.to_string(),
        client_order_id: row.client_order_id.clone(),
        account: row.account.clone(),
        symbol: row.symbol.clone(),
        side: row.side(),
        order_type: row.order_type(),
        quantity: row.quantity,
        limit_price: row.limit_price,
        stop_price: row.stop_price,
        status: row.status(),
        filled_quantity: row.filled_quantity(),
        average_price: row.average_price,
        updated_at: row.updated_at.0,
    }
}

/// One paper connection: it sees exactly one simulated account.
#[derive(Clone)]
pub struct PaperLogin {
    exchange: PaperExchange,
    account: String,
}

impl PaperLogin {
    fn own(&self, account: &str) -> Result<(), BrokerError> {
        if account == self.account {
            Ok(())
        } else {
            Err(BrokerError::UnknownAccount(account.to_owned()))
        }
    }

    fn db(&self) -> &Db {
        &self.exchange.db
    }
}

/// Checks an order's numbers before it reaches the books.
fn validate(order: &OrderRequest, instrument: &Instrument) -> Result<(), BrokerError> {
    let positive = |value: Option<f64>| value.is_none_or(|v| v.is_finite() && v > 0.0);
    if !(order.quantity.is_finite() && order.quantity > 0.0) {
        return Err(BrokerError::Rejected("quantity must be above zero".into()));
    }
    let lots = order.quantity / instrument.lot_size;
    if (lots - lots.round()).abs() > 1e-6 {
        return Err(BrokerError::Rejected(format!(
            "quantity {} is not a multiple of the lot size {}",
            order.quantity, instrument.lot_size
        )));
    }
    if !positive(order.limit_price)
        || !positive(order.stop_price)
        || !order.take_profit.is_none_or(Exit::is_valid)
        || !order.stop_loss.is_none_or(Exit::is_valid)
        || !positive(order.reference_price)
    {
        return Err(BrokerError::Rejected("prices must be above zero".into()));
    }
    let needs_limit = matches!(order.order_type, OrderType::Limit | OrderType::StopLimit);
    let needs_stop = matches!(order.order_type, OrderType::Stop | OrderType::StopLimit);
    if needs_limit && order.limit_price.is_none() {
        return Err(BrokerError::Rejected(format!(
            "a {} order needs a limit price",
            order.order_type.as_str()
        )));
    }
    if needs_stop && order.stop_price.is_none() {
        return Err(BrokerError::Rejected(format!(
            "a {} order needs a stop price",
            order.order_type.as_str()
        )));
    }
    if order.client_order_id.is_empty() || order.client_order_id.len() > 64 {
        return Err(BrokerError::Rejected(
            "the client order id must have 1 to 64 characters".into(),
        ));
    }
    Ok(())
}

#[async_trait]
impl BrokerAdapter for PaperLogin {
    async fn authenticate(&self) -> Result<(), BrokerError> {
        Ok(())
    }

    async fn permissions(&self) -> Result<KeyPermissions, BrokerError> {
        Ok(KeyPermissions {
            can_trade: Some(true),
            can_withdraw: Some(false),
            can_transfer: Some(false),
            key_created_at: None,
        })
    }

    async fn accounts(&self) -> Result<Vec<BrokerAccount>, BrokerError> {
        Ok(books::account(self.db(), &self.account)
            .await?
            .map(|row| BrokerAccount {
                name: format!("Paper {}", row.external_id.trim_start_matches("PAPER-")),
                external_id: row.external_id,
            })
            .into_iter()
            .collect())
    }

    async fn snapshot(&self, account: &str) -> Result<AccountSnapshot, BrokerError> {
        self.own(account)?;
        let row = books::account(self.db(), account)
            .await?
            .ok_or_else(|| BrokerError::UnknownAccount(account.to_owned()))?;
        let positions = books::positions(self.db(), account)
            .await?
            .into_iter()
            .map(|p| Position {
                symbol: p.symbol,
                quantity: p.quantity,
                average_price: p.average_price,
            })
            .collect();
        Ok(AccountSnapshot {
            balance: Some(row.balance),
            positions,
        })
    }

    async fn instrument(&self, symbol: &str) -> Result<Instrument, BrokerError> {
        market::instrument(symbol)
    }

    async fn place_order(
        &self,
        account: &str,
        order: &OrderRequest,
    ) -> Result<OrderState, BrokerError> {
        self.own(account)?;
        let instrument = market::instrument(&order.symbol)?;
        validate(order, &instrument)?;
        let now = self.exchange.now();
        let price = match (order.order_type, order.reference_price) {
            (OrderType::Market, Some(reference)) => {
                market::round_to_tick(reference, instrument.tick_size)
            }
            _ => self.exchange.market_price(&instrument),
        };
        // Exits given as distances are measured from where the entry fills: at once for a
        // market order, at its limit or stop price otherwise.
        let entry = match order.order_type {
            OrderType::Market => price,
            OrderType::Limit | OrderType::StopLimit => order.limit_price.unwrap_or(price),
            OrderType::Stop => order.stop_price.unwrap_or(price),
        };
        let exit_price = |exit: Option<Exit>, profit: bool| {
            exit.map(|exit| exit.price(entry, order.side, instrument.tick_size, profit))
        };
        let row = OrderRow {
            id: Id::new(),
            account: account.to_owned(),
            client_order_id: order.client_order_id.clone(),
            symbol: instrument.symbol.clone(),
            side: order.side.as_str().to_owned(),
            order_type: order.order_type.as_str().to_owned(),
            quantity: order.quantity,
            limit_price: order.limit_price,
            stop_price: order.stop_price,
            status: OrderStatus::Working.as_str().to_owned(),
            average_price: None,
            take_profit: exit_price(order.take_profit, true),
            stop_loss: exit_price(order.stop_loss, false),
            parent_id: None,
            created_at: now,
            updated_at: now,
        };
        let (stored, fresh) = books::insert_order(self.db(), &row).await?;
        if !fresh {
            return Ok(order_state(&stored));
        }
        self.exchange
            .publish(BrokerEvent::Order(order_state(&stored)));
        if let Some(fill_price) = self
            .exchange
            .crossing(&stored, price, instrument.tick_size)
            .await?
            && let Some(state) = self.exchange.execute(&stored, fill_price).await?
        {
            return Ok(state);
        }
        // Still working (or filled by a racing matcher): report what the books say.
        let current = books::order(self.db(), stored.id).await?.unwrap_or(stored);
        Ok(order_state(&current))
    }

    async fn find_order(
        &self,
        account: &str,
        client_order_id: &str,
    ) -> Result<Option<OrderState>, BrokerError> {
        self.own(account)?;
        Ok(books::find_order(self.db(), account, client_order_id)
            .await?
            .map(|row| order_state(&row)))
    }

    async fn cancel_order(&self, account: &str, order_id: &str) -> Result<OrderState, BrokerError> {
        self.own(account)?;
        let unknown = || BrokerError::Rejected(format!("no order {order_id} on this account"));
        let id: Id = order_id.parse().map_err(|_| unknown())?;
        let row = books::order(self.db(), id)
            .await?
            .filter(|row| row.account == account)
            .ok_or_else(unknown)?;
        match books::cancel(self.db(), id, self.exchange.now()).await? {
            Some(cancelled) => {
                let state = order_state(&cancelled);
                self.exchange.publish(BrokerEvent::Order(state.clone()));
                Ok(state)
            }
            None => Err(BrokerError::Rejected(format!(
                "the order is already {}",
                row.status.to_lowercase()
            ))),
        }
    }

    async fn flatten(&self, account: &str, symbol: Option<&str>) -> Result<(), BrokerError> {
        self.own(account)?;
        let wanted = |s: &str| symbol.is_none_or(|want| want.eq_ignore_ascii_case(s));
        for order in books::working_orders(self.db(), Some(account)).await? {
            if wanted(&order.symbol) {
                self.cancel_order(account, &order.id.to_string()).await.ok();
            }
        }
        for position in books::positions(self.db(), account).await? {
            if !wanted(&position.symbol) {
                continue;
            }
            let side = if position.quantity > 0.0 {
                Side::Sell
            } else {
                Side::Buy
            };
            let close = OrderRequest {
                client_order_id: format!("flatten-{}", Id::new().0.simple()),
                symbol: position.symbol.clone(),
                side,
                order_type: OrderType::Market,
                quantity: position.quantity.abs(),
                limit_price: None,
                stop_price: None,
                take_profit: None,
                stop_loss: None,
                reference_price: None,
            };
            self.place_order(account, &close).await?;
        }
        Ok(())
    }

    async fn open_orders(&self, account: &str) -> Result<Vec<OrderState>, BrokerError> {
        self.own(account)?;
        Ok(books::working_orders(self.db(), Some(account))
            .await?
            .iter()
            .map(order_state)
            .collect())
    }

    fn events(&self) -> broadcast::Receiver<BrokerEvent> {
        self.exchange.subscribe()
    }
}
