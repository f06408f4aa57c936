//! One adapter per linked connection, kept while its credentials stay the same, each with a
//! listener on its order and fill stream: fills land in `trade_fills`, copied orders follow
//! the broker's status, and both go out on the owner's live feed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;

use super::db::{self, FillRow};
use super::dispatch::{Copier, Inner};
use super::{CopierError, CopierEvent, CopyStatus, OrderUpdate};
use crate::brokers::{BrokerAdapter, BrokerEvent, Fill, OrderState, OrderStatus};
use crate::connections::{Connection, TradingAccount};
use crate::db::types::{Id, Ts};

/// The venue's account ids this listener reports, with our trading account ids.
type AccountIds = Arc<Mutex<HashMap<String, Id>>>;

struct Entry {
    adapter: Arc<dyn BrokerAdapter>,
    /// The credentials it was built with: new credentials make a new adapter.
    credentials_at: DateTime<Utc>,
    accounts: AccountIds,
    listener: tokio::task::AbortHandle,
}

/// The adapters in use, by connection id.
#[derive(Default)]
pub struct Feeds {
    entries: Mutex<HashMap<Id, Entry>>,
}

impl Drop for Feeds {
    fn drop(&mut self) {
        if let Ok(entries) = self.entries.lock() {
            for entry in entries.values() {
                entry.listener.abort();
            }
        }
    }
}

impl Feeds {
    fn cached(
        &self,
        connection: &Connection,
        account: &TradingAccount,
    ) -> Option<Arc<dyn BrokerAdapter>> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(&connection.id)?;
        if entry.credentials_at != connection.credentials_updated_at {
            return None;
        }
        if let Ok(mut accounts) = entry.accounts.lock() {
            accounts.insert(account.external_id.clone(), account.id);
        }
        Some(Arc::clone(&entry.adapter))
    }
}

impl Copier {
    /// The adapter of a connection, with its event listener running, and `account` among the
    /// accounts the listener reports.
    pub(super) async fn adapter(
        &self,
        connection: &Connection,
        account: &TradingAccount,
    ) -> Result<Arc<dyn BrokerAdapter>, CopierError> {
        let feeds = &self.inner.feeds;
        if let Some(adapter) = feeds.cached(connection, account) {
            return Ok(adapter);
        }
        let adapter = self.inner.connections.adapter(connection).await?;
        let mut entries = feeds
            .entries
            .lock()
            .map_err(|_| CopierError::Internal("the adapter cache is poisoned".into()))?;
        if let Some(entry) = entries.get(&connection.id)
            && entry.credentials_at == connection.credentials_updated_at
        {
            // Another task built one meanwhile: use that.
            if let Ok(mut accounts) = entry.accounts.lock() {
                accounts.insert(account.external_id.clone(), account.id);
            }
            return Ok(Arc::clone(&entry.adapter));
        }
        let accounts: AccountIds = Arc::default();
        if let Ok(mut known) = accounts.lock() {
            known.insert(account.external_id.clone(), account.id);
        }
        let listener = spawn_listener(
            Arc::downgrade(&self.inner),
            connection.user_id,
            Arc::clone(&adapter),
            Arc::clone(&accounts),
        );
        if let Some(old) = entries.insert(
            connection.id,
            Entry {
                adapter: Arc::clone(&adapter),
                credentials_at: connection.credentials_updated_at,
                accounts,
                listener,
            },
        ) {
            old.listener.abort();
        }
        Ok(adapter)
    }

    /// Takes one event from a connection's stream.
    async fn on_event(&self, user: Id, accounts: &AccountIds, event: BrokerEvent) {
        let account_of = |venue_account: &str| {
            accounts
                .lock()
                .ok()
                .and_then(|known| known.get(venue_account).copied())
        };
        let result = match event {
            BrokerEvent::Fill(fill) => match account_of(&fill.account) {
                Some(account) => self.on_fill(user, account, fill).await,
                None => Ok(()),
            },
            BrokerEvent::Order(state) => match account_of(&state.account) {
                Some(account) => self.on_order(account, state).await,
                None => Ok(()),
            },
        };
        if let Err(err) = result {
            tracing::error!(%err, "copier: recording a broker event failed");
        }
    }

    async fn on_fill(&self, user: Id, account: Id, fill: Fill) -> Result<(), CopierError> {
        let order = db::order_by_client_id(self.db(), &fill.client_order_id)
            .await?
            .filter(|order| order.trading_account_id == Some(account) && order.user_id == user);
        let row = FillRow {
            id: Id::new(),
            user_id: user,
            trading_account_id: Some(account),
            copied_order_id: order.as_ref().map(|order| order.id),
            execution_id: fill.execution_id.clone(),
            broker_order_id: fill.order_id.clone(),
            client_order_id: fill.client_order_id.clone(),
            symbol: fill.symbol.clone(),
            side: fill.side.as_str().to_owned(),
            quantity: fill.quantity,
            price: fill.price,
            filled_at: Ts::new(fill.at),
        };
        if !db::insert_fill(self.db(), &row).await? {
            return Ok(());
        }
        self.publish(CopierEvent::Fill(Box::new(
            row.to_fill(order.as_ref().map(|order| order.signal_id)),
        )));
        let Some(order) = order else {
            // Not a copy: the trader's own trade, which a leader account mirrors.
            return self.mirror(user, account, &fill).await;
        };
        let wanted = match order.request() {
            Some(super::plan::Request::Place(request)) => request.quantity,
            _ => 0.0,
        };
        let fills = db::fills_of_orders(self.db(), &[order.id]).await?;
        let filled: f64 = fills.iter().map(|fill| fill.quantity).sum();
        if filled + 1e-9 >= wanted
            && db::set_status(
                self.db(),
                order.id,
                CopyStatus::Filled,
                None,
                Some(row.filled_at),
                Some(&fill.order_id),
            )
            .await?
        {
            self.publish_current(order.id).await?;
        }
        Ok(())
    }

    /// Follows a copied order's status as the broker reports it (cancelled, rejected...).
    async fn on_order(&self, account: Id, state: OrderState) -> Result<(), CopierError> {
        let Some(order) = db::order_by_client_id(self.db(), &state.client_order_id)
            .await?
            .filter(|order| order.trading_account_id == Some(account))
        else {
            return Ok(());
        };
        let status = match state.status {
            // Fills drive FILLED (with their quantities); a late WORKING never undoes one.
            OrderStatus::Filled | OrderStatus::Working => return Ok(()),
            OrderStatus::Cancelled => CopyStatus::Cancelled,
            OrderStatus::Rejected => CopyStatus::Rejected,
        };
        if order.status() == CopyStatus::Filled {
            return Ok(());
        }
        let reason = (status == CopyStatus::Rejected).then_some("the broker rejected the order");
        if db::set_status(
            self.db(),
            order.id,
            status,
            reason,
            None,
            Some(&state.order_id),
        )
        .await?
        {
            self.publish_current(order.id).await?;
        }
        Ok(())
    }

    /// Listens again to every account with working copies (after a restart no listener runs)
    /// and asks the broker about each: an order filled or cancelled while nobody listened is
    /// recorded now.
    pub async fn follow_working(&self) -> Result<usize, CopierError> {
        let mut settled = 0;
        for row in db::working(self.db()).await? {
            let Some(account) = row.trading_account_id else {
                continue;
            };
            let Ok(venue) = self.venue(row.user_id, account).await else {
                continue;
            };
            let external = venue.account.external_id.clone();
            let Ok(Some(state)) = venue
                .adapter
                .find_order(&external, &row.client_order_id)
                .await
            else {
                continue;
            };
            match state.status {
                OrderStatus::Working => {}
                OrderStatus::Filled => {
                    let fills = db::fills_of_orders(self.db(), &[row.id]).await?;
                    if fills.is_empty()
                        && let Some(price) = state.average_price
                    {
                        // The executions went by unseen: the order's own totals stand in.
                        let fill = Fill {
                            execution_id: state.order_id.clone(),
                            order_id: state.order_id.clone(),
                            client_order_id: state.client_order_id.clone(),
                            account: external.clone(),
                            symbol: state.symbol.clone(),
                            side: state.side,
                            quantity: state.filled_quantity,
                            price,
                            at: state.updated_at,
                        };
                        self.on_fill(row.user_id, account, fill).await?;
                    }
                    settled += 1;
                }
                OrderStatus::Cancelled | OrderStatus::Rejected => {
                    self.on_order(account, state).await?;
                    settled += 1;
                }
            }
        }
        Ok(settled)
    }

    /// Publishes a copied order as stored now, with its fills.
    pub(super) async fn publish_current(&self, id: Id) -> Result<(), CopierError> {
        if let Some(row) = db::order(self.db(), id).await? {
            let fills = db::fills_of_orders(self.db(), &[id]).await?;
            self.publish(CopierEvent::Order(Box::new(OrderUpdate {
                user_id: row.user_id,
                order: row.to_order(&fills),
            })));
        }
        Ok(())
    }
}

/// Listens to one adapter's stream until the copier is gone or the stream ends.
fn spawn_listener(
    copier: Weak<Inner>,
    user: Id,
    adapter: Arc<dyn BrokerAdapter>,
    accounts: AccountIds,
) -> tokio::task::AbortHandle {
    // Subscribed before any order goes out, so no event of ours is missed.
    let mut events = adapter.events();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    let Some(inner) = copier.upgrade() else {
                        return;
                    };
                    Copier { inner }.on_event(user, &accounts, event).await;
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "copier: broker events were missed; asking the brokers about working orders"
                    );
                    if let Some(inner) = copier.upgrade() {
                        tokio::spawn(async move {
                            if let Err(err) = (Copier { inner }).follow_working().await {
                                tracing::warn!(%err, "copier: cannot follow up working orders");
                            }
                        });
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    })
    .abort_handle()
}
