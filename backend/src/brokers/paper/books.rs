//! The paper broker's books in the database (either backend): accounts, orders, positions.
//! A fill changes order, position and balance in one transaction, and only an order still
//! working can fill, so two server instances matching the same order fill it once.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::market;
use crate::brokers::{OrderStatus, OrderType, Side};
use crate::db::schema::{paper_accounts, paper_orders, paper_positions, trading_accounts};
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError, TxLock};
use crate::with_conn;

/// Quantities closer than this are equal (quantities are lots of at least 0.001).
pub const EPSILON: f64 = 1e-9;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = paper_accounts)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AccountRow {
    pub external_id: String,
    pub starting_balance: f64,
    pub balance: f64,
    pub realized_pnl: f64,
    pub updated_at: Ts,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = paper_orders)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct OrderRow {
    pub id: Id,
    pub account: String,
    pub client_order_id: String,
    pub symbol: String,
    pub side: String,
    pub order_type: String,
    pub quantity: f64,
    pub limit_price: Option<f64>,
    pub stop_price: Option<f64>,
    pub status: String,
    pub average_price: Option<f64>,
    pub take_profit: Option<f64>,
    pub stop_loss: Option<f64>,
    pub parent_id: Option<Id>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl OrderRow {
    pub fn side(&self) -> Side {
        Side::parse(&self.side).unwrap_or(Side::Buy)
    }

    pub fn order_type(&self) -> OrderType {
        OrderType::parse(&self.order_type).unwrap_or(OrderType::Market)
    }

    pub fn status(&self) -> OrderStatus {
        OrderStatus::parse(&self.status).unwrap_or(OrderStatus::Working)
    }

    /// Paper orders fill whole.
    pub fn filled_quantity(&self) -> f64 {
        if self.status() == OrderStatus::Filled {
            self.quantity
        } else {
            0.0
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = paper_positions)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct PositionRow {
    pub account: String,
    pub symbol: String,
    pub quantity: f64,
    pub average_price: f64,
}

/// What one fill changed.
#[derive(Debug, Clone)]
pub struct Execution {
    pub filled: OrderRow,
    /// Take-profit and stop-loss legs placed because the entry filled.
    pub legs: Vec<OrderRow>,
    /// Sibling legs cancelled because this leg filled (one-cancels-other).
    pub cancelled: Vec<OrderRow>,
}

/// The advisory lock serialising one account's fills across instances.
fn account_lock(account: &str) -> i64 {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(account.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Opens a simulated account with `balance`, unless it exists.
pub async fn open_account(
    db: &Db,
    external_id: &str,
    balance: f64,
    now: Ts,
) -> Result<(), DbError> {
    let row = AccountRow {
        external_id: external_id.to_owned(),
        starting_balance: balance,
        balance,
        realized_pnl: 0.0,
        updated_at: now,
    };
    with_conn!(db, write, |c| {
        match diesel::insert_into(paper_accounts::table)
            .values(&row)
            .execute(c)
            .await
        {
            Ok(_) | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Ok(())
            }
            Err(err) => Err(err.into()),
        }
    })
}

pub async fn account(db: &Db, external_id: &str) -> Result<Option<AccountRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(paper_accounts::table
            .find(external_id)
            .select(AccountRow::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

/// Deletes simulated accounts with their orders and positions.
pub async fn delete_accounts(db: &Db, external_ids: &[String]) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            for id in external_ids {
                diesel::delete(paper_orders::table.filter(paper_orders::account.eq(id)))
                    .execute(c)
                    .await?;
                diesel::delete(paper_positions::table.filter(paper_positions::account.eq(id)))
                    .execute(c)
                    .await?;
                diesel::delete(paper_accounts::table.find(id))
                    .execute(c)
                    .await?;
            }
            Ok::<_, DbError>(())
        })
        .await
    })
}

/// Deletes simulated accounts no trading account refers to any more (their owner deleted their
/// CopyTrade account) and untouched since `before`, so that one being linked right now stays.
pub async fn delete_orphans(db: &Db, before: Ts) -> Result<usize, DbError> {
    let orphans: Vec<String> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            paper_accounts::table
                .filter(paper_accounts::updated_at.lt(before))
                .filter(diesel::dsl::not(paper_accounts::external_id.eq_any(
                    trading_accounts::table.select(trading_accounts::external_id),
                )))
                .select(paper_accounts::external_id)
                .load(c)
                .await?,
        )
    })?;
    delete_accounts(db, &orphans).await?;
    Ok(orphans.len())
}

pub async fn positions(db: &Db, account: &str) -> Result<Vec<PositionRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(paper_positions::table
            .filter(paper_positions::account.eq(account))
            .order(paper_positions::symbol)
            .select(PositionRow::as_select())
            .load(c)
            .await?)
    })
}

pub async fn find_order(
    db: &Db,
    account: &str,
    client_order_id: &str,
) -> Result<Option<OrderRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(paper_orders::table
            .filter(paper_orders::account.eq(account))
            .filter(paper_orders::client_order_id.eq(client_order_id))
            .select(OrderRow::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

pub async fn order(db: &Db, id: Id) -> Result<Option<OrderRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(paper_orders::table
            .find(id)
            .select(OrderRow::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

/// Stores a new working order; if the client order id is taken, returns the existing order
/// instead (`false`): a retried placement never makes a second order.
pub async fn insert_order(db: &Db, row: &OrderRow) -> Result<(OrderRow, bool), DbError> {
    let inserted = with_conn!(db, write, |c| {
        match diesel::insert_into(paper_orders::table)
            .values(row)
            .execute(c)
            .await
        {
            Ok(_) => Ok::<_, DbError>(true),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
            Err(err) => Err(err.into()),
        }
    })?;
    if inserted {
        return Ok((row.clone(), true));
    }
    let existing = find_order(db, &row.account, &row.client_order_id)
        .await?
        .ok_or_else(|| DbError::Query(DieselError::NotFound))?;
    Ok((existing, false))
}

/// Working orders of one account (or of every account), oldest first.
pub async fn working_orders(db: &Db, account: Option<&str>) -> Result<Vec<OrderRow>, DbError> {
    with_conn!(db, read, |c| {
        let mut query = paper_orders::table
            .filter(paper_orders::status.eq(OrderStatus::Working.as_str()))
            .select(OrderRow::as_select())
            .order(paper_orders::created_at)
            .into_boxed();
        if let Some(account) = account {
            query = query.filter(paper_orders::account.eq(account.to_owned()));
        }
        Ok(query.load(c).await?)
    })
}

/// Cancels a working order; `None` if it was no longer working.
pub async fn cancel(db: &Db, id: Id, now: Ts) -> Result<Option<OrderRow>, DbError> {
    let updated = with_conn!(db, write, |c| {
        Ok::<_, DbError>(
            diesel::update(
                paper_orders::table
                    .find(id)
                    .filter(paper_orders::status.eq(OrderStatus::Working.as_str())),
            )
            .set((
                paper_orders::status.eq(OrderStatus::Cancelled.as_str()),
                paper_orders::updated_at.eq(now),
            ))
            .execute(c)
            .await?,
        )
    })?;
    if updated == 0 {
        return Ok(None);
    }
    order(db, id).await
}

/// Marks a stop-limit order triggered: from now on it waits as a limit order.
pub async fn trigger_stop_limit(db: &Db, id: Id, now: Ts) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::update(
            paper_orders::table
                .find(id)
                .filter(paper_orders::status.eq(OrderStatus::Working.as_str())),
        )
        .set((
            paper_orders::stop_price.eq(None::<f64>),
            paper_orders::updated_at.eq(now),
        ))
        .execute(c)
        .await?;
        Ok(())
    })
}

/// Fills a working order completely at `price`: updates the order, the position and the
/// balance, places bracket legs of an entry and cancels the sibling of a filled leg, all in
/// one transaction. `None` if the order was no longer working.
pub async fn fill(
    db: &Db,
    order: &OrderRow,
    price: f64,
    now: Ts,
) -> Result<Option<Execution>, DbError> {
    let multiplier = market::instrument(&order.symbol).map_or(1.0, |i| i.multiplier);
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            c.lock_for_tx(account_lock(&order.account)).await?;
            let updated = diesel::update(
                paper_orders::table
                    .find(order.id)
                    .filter(paper_orders::status.eq(OrderStatus::Working.as_str())),
            )
            .set((
                paper_orders::status.eq(OrderStatus::Filled.as_str()),
                paper_orders::average_price.eq(price),
                paper_orders::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            if updated == 0 {
                return Ok::<_, DbError>(None);
            }
            let position: Option<PositionRow> = paper_positions::table
                .find((&order.account, &order.symbol))
                .select(PositionRow::as_select())
                .first(c)
                .await
                .optional()?;
            let (held, average) = position.map_or((0.0, 0.0), |p| (p.quantity, p.average_price));
            let change = apply_fill(
                held,
                average,
                order.side().sign() * order.quantity,
                price,
                multiplier,
            );
            diesel::delete(paper_positions::table.find((&order.account, &order.symbol)))
                .execute(c)
                .await?;
            if change.quantity.abs() > EPSILON {
                diesel::insert_into(paper_positions::table)
                    .values(PositionRow {
                        account: order.account.clone(),
                        symbol: order.symbol.clone(),
                        quantity: change.quantity,
                        average_price: change.average_price,
                    })
                    .execute(c)
                    .await?;
            }
            if change.realized.abs() > 0.0 {
                diesel::update(paper_accounts::table.find(&order.account))
                    .set((
                        paper_accounts::balance.eq(paper_accounts::balance + change.realized),
                        paper_accounts::realized_pnl
                            .eq(paper_accounts::realized_pnl + change.realized),
                        paper_accounts::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
            }
            let mut filled = order.clone();
            filled.status = OrderStatus::Filled.as_str().to_owned();
            filled.average_price = Some(price);
            filled.updated_at = now;
            let legs = bracket_legs(&filled, now);
            for leg in &legs {
                diesel::insert_into(paper_orders::table)
                    .values(leg)
                    .execute(c)
                    .await?;
            }
            let mut cancelled = Vec::new();
            if let Some(parent) = order.parent_id {
                let siblings: Vec<OrderRow> = paper_orders::table
                    .filter(paper_orders::parent_id.eq(parent))
                    .filter(paper_orders::status.eq(OrderStatus::Working.as_str()))
                    .select(OrderRow::as_select())
                    .load(c)
                    .await?;
                for mut sibling in siblings {
                    diesel::update(paper_orders::table.find(sibling.id))
                        .set((
                            paper_orders::status.eq(OrderStatus::Cancelled.as_str()),
                            paper_orders::updated_at.eq(now),
                        ))
                        .execute(c)
                        .await?;
                    sibling.status = OrderStatus::Cancelled.as_str().to_owned();
                    sibling.updated_at = now;
                    cancelled.push(sibling);
                }
            }
            Ok(Some(Execution {
                filled,
                legs,
                cancelled,
            }))
        })
        .await
    })
}

/// The take-profit (limit) and stop-loss (stop) legs of a filled entry, on the other side.
fn bracket_legs(entry: &OrderRow, now: Ts) -> Vec<OrderRow> {
    let leg =
        |suffix: &str, order_type: OrderType, limit: Option<f64>, stop: Option<f64>| OrderRow {
            id: Id::new(),
            account: entry.account.clone(),
            client_order_id: format!("{}:{suffix}", entry.client_order_id),
            symbol: entry.symbol.clone(),
            side: entry.side().opposite().as_str().to_owned(),
            order_type: order_type.as_str().to_owned(),
            quantity: entry.quantity,
            limit_price: limit,
            stop_price: stop,
            status: OrderStatus::Working.as_str().to_owned(),
            average_price: None,
            take_profit: None,
            stop_loss: None,
            parent_id: Some(entry.id),
            created_at: now,
            updated_at: now,
        };
    let mut legs = Vec::new();
    if let Some(price) = entry.take_profit {
        legs.push(leg("tp", OrderType::Limit, Some(price), None));
    }
    if let Some(price) = entry.stop_loss {
        legs.push(leg("sl", OrderType::Stop, None, Some(price)));
    }
    legs
}

/// A position after a fill, and the P&L the fill realised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionChange {
    pub quantity: f64,
    pub average_price: f64,
    pub realized: f64,
}

/// Applies a signed fill of `delta` at `price` to a signed position `held` at `average`:
/// adding averages the price in; reducing realises P&L on the closed part at the multiplier;
/// crossing through zero opens the rest at the fill price.
pub fn apply_fill(
    held: f64,
    average: f64,
    delta: f64,
    price: f64,
    multiplier: f64,
) -> PositionChange {
    let quantity = held + delta;
    if held.abs() < EPSILON || held.signum() == delta.signum() {
        let average_price =
            (held.abs() * average + delta.abs() * price) / quantity.abs().max(EPSILON);
        return PositionChange {
            quantity,
            average_price,
            realized: 0.0,
        };
    }
    let closed = held.abs().min(delta.abs());
    let realized = closed * (price - average) * held.signum() * multiplier;
    let average_price = if quantity.abs() < EPSILON {
        0.0
    } else if quantity.signum() == held.signum() {
        average
    } else {
        price
    };
    PositionChange {
        quantity: if quantity.abs() < EPSILON {
            0.0
        } else {
            quantity
        },
        average_price,
        realized,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_averages_and_reducing_realises_at_the_multiplier() {
        let open = apply_fill(0.0, 0.0, 2.0, 100.0, 50.0);
        assert_eq!(
            (open.quantity, open.average_price, open.realized),
            (2.0, 100.0, 0.0)
        );
        let added = apply_fill(2.0, 100.0, 2.0, 110.0, 50.0);
        assert_eq!((added.quantity, added.average_price), (4.0, 105.0));
        let reduced = apply_fill(4.0, 105.0, -1.0, 107.0, 50.0);
        assert_eq!(
            (reduced.quantity, reduced.average_price, reduced.realized),
            (3.0, 105.0, 100.0)
        );
        let flipped = apply_fill(3.0, 105.0, -5.0, 100.0, 50.0);
        assert_eq!(
            (flipped.quantity, flipped.average_price, flipped.realized),
            (-2.0, 100.0, -750.0)
        );
        let short_closed = apply_fill(-2.0, 100.0, 2.0, 90.0, 1.0);
        assert_eq!((short_closed.quantity, short_closed.realized), (0.0, 20.0));
    }
}
