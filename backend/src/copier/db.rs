//! Copier queries, one body for both databases. Owner-facing queries filter by user id; the
//! dispatcher's own queries (by signal, by client order id) act on rows it already owns.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::plan::{Request, TradingHours};
use super::{CopiedOrder, CopyGroup, CopyStatus, Follower, SymbolMapping, TradeFill};
use crate::brokers::Side;
use crate::db::schema::{
    account_day_balances, copied_orders, copy_groups, followers, signals, trade_fills,
};
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError, RelaxedCommit, TxLock};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = copy_groups)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct GroupRow {
    pub id: Id,
    pub user_id: Id,
    pub name: String,
    pub webhook_id: Option<Id>,
    pub leader_account_id: Option<Id>,
    pub enabled: bool,
    pub created_at: Ts,
}

impl From<GroupRow> for CopyGroup {
    fn from(row: GroupRow) -> Self {
        Self {
            id: row.id,
            user_id: row.user_id,
            name: row.name,
            webhook_id: row.webhook_id,
            leader_account_id: row.leader_account_id,
            enabled: row.enabled,
            created_at: row.created_at.0,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = followers)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false, treat_none_as_null = true)]
pub struct FollowerRow {
    pub id: Id,
    pub copy_group_id: Id,
    pub user_id: Id,
    pub trading_account_id: Id,
    pub enabled: bool,
    pub multiplier: f64,
    pub fixed_quantity: Option<f64>,
    pub max_quantity: Option<f64>,
    pub max_position: Option<f64>,
    pub invert: bool,
    pub symbol_map: String,
    pub daily_loss_limit: Option<f64>,
    pub trading_hours: Option<String>,
    pub created_at: Ts,
}

impl FollowerRow {
    pub fn from_follower(user: Id, follower: &Follower) -> Self {
        Self {
            id: follower.id,
            copy_group_id: follower.copy_group_id,
            user_id: user,
            trading_account_id: follower.trading_account_id,
            enabled: follower.enabled,
            multiplier: follower.multiplier,
            fixed_quantity: follower.fixed_quantity,
            max_quantity: follower.max_quantity,
            max_position: follower.max_position,
            invert: follower.invert,
            symbol_map: serde_json::to_string(&follower.symbol_map).unwrap_or_else(|_| "[]".into()),
            daily_loss_limit: follower.daily_loss_limit,
            trading_hours: follower.trading_hours.map(|hours| hours.to_string()),
            created_at: Ts::new(follower.created_at),
        }
    }
}

impl TryFrom<FollowerRow> for Follower {
    /// Which stored setting cannot be read, and why: such a follower is never copied with a
    /// default in its place (an unreadable symbol map would trade ES for MES).
    type Error = String;

    fn try_from(row: FollowerRow) -> Result<Self, String> {
        let symbol_map = serde_json::from_str::<Vec<SymbolMapping>>(&row.symbol_map)
            .map_err(|err| format!("its stored symbol map cannot be read ({err})"))?;
        let trading_hours = row
            .trading_hours
            .as_deref()
            .map(TradingHours::parse)
            .transpose()
            .map_err(|err| format!("its stored trading hours cannot be read ({err})"))?;
        let positive = |name: &str, value: Option<f64>| match value {
            Some(v) if !(v.is_finite() && v > 0.0) => {
                Err(format!("its stored {name} ({v}) is not a positive number"))
            }
            _ => Ok(()),
        };
        positive("multiplier", Some(row.multiplier))?;
        positive("fixed quantity", row.fixed_quantity)?;
        positive("largest order", row.max_quantity)?;
        positive("largest position", row.max_position)?;
        positive("daily loss limit", row.daily_loss_limit)?;
        Ok(Self {
            id: row.id,
            copy_group_id: row.copy_group_id,
            trading_account_id: row.trading_account_id,
            enabled: row.enabled,
            multiplier: row.multiplier,
            fixed_quantity: row.fixed_quantity,
            max_quantity: row.max_quantity,
            max_position: row.max_position,
            invert: row.invert,
            symbol_map,
            daily_loss_limit: row.daily_loss_limit,
            trading_hours,
            created_at: row.created_at.0,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = copied_orders)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct CopiedOrderRow {
    pub id: Id,
    pub user_id: Id,
    pub signal_id: Id,
    pub copy_group_id: Option<Id>,
    pub follower_id: Option<Id>,
    pub trading_account_id: Option<Id>,
    pub client_order_id: String,
    pub request: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub broker_order_id: Option<String>,
    pub created_at: Ts,
    pub sent_at: Option<Ts>,
    pub acknowledged_at: Option<Ts>,
    pub filled_at: Option<Ts>,
}

impl CopiedOrderRow {
    pub fn status(&self) -> CopyStatus {
        CopyStatus::parse(&self.status)
    }

    pub fn request(&self) -> Option<Request> {
        self.request
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
    }

    /// The order as the log shows it, with what its fills add up to.
    pub fn to_order(&self, fills: &[FillRow]) -> CopiedOrder {
        let mine = fills
            .iter()
            .filter(|fill| fill.copied_order_id == Some(self.id));
        let (quantity, value) = mine.fold((0.0, 0.0), |(q, v), fill| {
            (q + fill.quantity, v + fill.quantity * fill.price)
        });
        CopiedOrder {
            id: self.id,
            signal_id: self.signal_id,
            copy_group_id: self.copy_group_id,
            follower_id: self.follower_id,
            trading_account_id: self.trading_account_id,
            client_order_id: self.client_order_id.clone(),
            request: self.request(),
            status: self.status(),
            reason: self.reason.clone(),
            broker_order_id: self.broker_order_id.clone(),
            created_at: self.created_at.0,
            sent_at: self.sent_at.map(|at| at.0),
            acknowledged_at: self.acknowledged_at.map(|at| at.0),
            filled_at: self.filled_at.map(|at| at.0),
            filled_quantity: quantity,
            average_price: (quantity > 0.0).then(|| value / quantity),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = trade_fills)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct FillRow {
    pub id: Id,
    pub user_id: Id,
    pub trading_account_id: Option<Id>,
    pub copied_order_id: Option<Id>,
    pub execution_id: String,
    pub broker_order_id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub side: String,
    pub quantity: f64,
    pub price: f64,
    pub filled_at: Ts,
}

impl FillRow {
    pub fn to_fill(&self, signal_id: Option<Id>) -> TradeFill {
        TradeFill {
            id: self.id,
            user_id: self.user_id,
            trading_account_id: self.trading_account_id,
            copied_order_id: self.copied_order_id,
            signal_id,
            broker_order_id: self.broker_order_id.clone(),
            client_order_id: self.client_order_id.clone(),
            symbol: self.symbol.clone(),
            side: Side::parse(&self.side).unwrap_or(Side::Buy),
            quantity: self.quantity,
            price: self.price,
            filled_at: self.filled_at.0,
        }
    }
}

/// What the dispatcher reads of a signal.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = signals)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct SignalHead {
    pub id: Id,
    pub user_id: Id,
    pub webhook_id: Option<Id>,
    pub received_at: Ts,
    pub status: String,
    pub parsed: Option<String>,
    pub dispatched_at: Option<Ts>,
    /// The leader account a mirrored signal came from.
    pub leader_account_id: Option<Id>,
}

/// A signal the copier makes itself: a leader account's fill to mirror.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = signals)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewSignal {
    pub id: Id,
    pub user_id: Id,
    pub webhook_id: Option<Id>,
    pub received_at: Ts,
    pub status: String,
    pub dedup_id: Option<String>,
    pub body_hash: String,
    pub raw_payload: String,
    pub parsed: Option<String>,
    pub outcome: Option<String>,
    pub leader_account_id: Option<Id>,
}

pub async fn insert_signal(db: &Db, row: &NewSignal) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::insert_into(signals::table)
            .values(row)
            .execute(c)
            .await?;
        Ok(())
    })
}

/// `Ok(false)` for a unique violation: the row is there already.
fn inserted(result: QueryResult<usize>) -> Result<bool, DbError> {
    match result {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

// ---- copy groups ----

pub async fn insert_group(db: &Db, row: &GroupRow) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::insert_into(copy_groups::table)
            .values(row)
            .execute(c)
            .await?;
        Ok(())
    })
}

pub async fn groups(db: &Db, user: Id) -> Result<Vec<GroupRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(copy_groups::table
            .filter(copy_groups::user_id.eq(user))
            .order((copy_groups::created_at, copy_groups::id))
            .select(GroupRow::as_select())
            .load(c)
            .await?)
    })
}

pub async fn group(db: &Db, user: Id, id: Id) -> Result<Option<GroupRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(copy_groups::table
            .find(id)
            .filter(copy_groups::user_id.eq(user))
            .select(GroupRow::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

/// The groups a webhook's signals go to (enabled or not: a paused group's followers are
/// logged as skipped).
pub async fn groups_of_webhook(db: &Db, user: Id, webhook: Id) -> Result<Vec<GroupRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(copy_groups::table
            .filter(copy_groups::user_id.eq(user))
            .filter(copy_groups::webhook_id.eq(webhook))
            .order((copy_groups::created_at, copy_groups::id))
            .select(GroupRow::as_select())
            .load(c)
            .await?)
    })
}

/// The groups that mirror a trading account's own fills.
pub async fn groups_led_by(db: &Db, account: Id) -> Result<Vec<GroupRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(copy_groups::table
            .filter(copy_groups::leader_account_id.eq(account))
            .select(GroupRow::as_select())
            .load(c)
            .await?)
    })
}

/// Every trading account that leads an enabled group.
pub async fn leader_accounts(db: &Db) -> Result<Vec<(Id, Id)>, DbError> {
    with_conn!(db, read, |c| {
        Ok(copy_groups::table
            .filter(copy_groups::enabled.eq(true))
            .filter(copy_groups::leader_account_id.is_not_null())
            .select((
                copy_groups::user_id,
                copy_groups::leader_account_id.assume_not_null(),
            ))
            .distinct()
            .load(c)
            .await?)
    })
}

pub async fn update_group(
    db: &Db,
    user: Id,
    id: Id,
    name: &str,
    webhook: Option<Id>,
    leader: Option<Id>,
) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        Ok(diesel::update(
            copy_groups::table
                .find(id)
                .filter(copy_groups::user_id.eq(user)),
        )
        .set((
            copy_groups::name.eq(name),
            copy_groups::webhook_id.eq(webhook),
            copy_groups::leader_account_id.eq(leader),
        ))
        .execute(c)
        .await?
            == 1)
    })
}

pub async fn set_group_enabled(db: &Db, user: Id, id: Id, enabled: bool) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        Ok(diesel::update(
            copy_groups::table
                .find(id)
                .filter(copy_groups::user_id.eq(user)),
        )
        .set(copy_groups::enabled.eq(enabled))
        .execute(c)
        .await?
            == 1)
    })
}

/// Pauses every group of the user; returns how many were copying.
pub async fn pause_all_groups(db: &Db, user: Id) -> Result<usize, DbError> {
    with_conn!(db, write, |c| {
        Ok(diesel::update(
            copy_groups::table
                .filter(copy_groups::user_id.eq(user))
                .filter(copy_groups::enabled.eq(true)),
        )
        .set(copy_groups::enabled.eq(false))
        .execute(c)
        .await?)
    })
}

pub async fn delete_group(db: &Db, user: Id, id: Id) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        Ok(diesel::delete(
            copy_groups::table
                .find(id)
                .filter(copy_groups::user_id.eq(user)),
        )
        .execute(c)
        .await?
            == 1)
    })
}

// ---- followers ----

/// Adds a follower; `false` if the account already follows this group.
pub async fn insert_follower(db: &Db, row: &FollowerRow) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        inserted(
            diesel::insert_into(followers::table)
                .values(row)
                .execute(c)
                .await,
        )
    })
}

/// The user's followers (of the given groups, or all).
pub async fn followers(
    db: &Db,
    user: Id,
    groups: Option<&[Id]>,
) -> Result<Vec<FollowerRow>, DbError> {
    let groups = groups.map(<[Id]>::to_vec);
    with_conn!(db, read, |c| {
        let mut query = followers::table
            .filter(followers::user_id.eq(user))
            .order((followers::created_at, followers::id))
            .select(FollowerRow::as_select())
            .into_boxed();
        if let Some(groups) = groups.clone() {
            query = query.filter(followers::copy_group_id.eq_any(groups));
        }
        Ok(query.load(c).await?)
    })
}

pub async fn follower(db: &Db, user: Id, id: Id) -> Result<Option<FollowerRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(followers::table
            .find(id)
            .filter(followers::user_id.eq(user))
            .select(FollowerRow::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

pub async fn update_follower(db: &Db, row: &FollowerRow) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        Ok(diesel::update(
            followers::table
                .find(row.id)
                .filter(followers::user_id.eq(row.user_id)),
        )
        .set(row)
        .execute(c)
        .await?
            == 1)
    })
}

pub async fn delete_follower(db: &Db, user: Id, id: Id) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        Ok(diesel::delete(
            followers::table
                .find(id)
                .filter(followers::user_id.eq(user)),
        )
        .execute(c)
        .await?
            == 1)
    })
}

// ---- signals and copied orders ----

pub async fn signal(db: &Db, id: Id) -> Result<Option<SignalHead>, DbError> {
    with_conn!(db, read, |c| {
        Ok(signals::table
            .find(id)
            .select(SignalHead::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

/// Stores a signal's copied orders and marks it dispatched, in one transaction, unless it was
/// dispatched already (by an earlier run or another instance): then `false`, nothing stored.
pub async fn store_copies(
    db: &Db,
    signal: Id,
    now: Ts,
    outcome: &str,
    orders: &[CopiedOrderRow],
) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            let claimed = diesel::update(
                signals::table
                    .find(signal)
                    .filter(signals::dispatched_at.is_null()),
            )
            .set((signals::dispatched_at.eq(now), signals::outcome.eq(outcome)))
            .execute(c)
            .await?;
            if claimed == 0 {
                return Ok::<_, DbError>(false);
            }
            for order in orders {
                diesel::insert_into(copied_orders::table)
                    .values(order)
                    .execute(c)
                    .await?;
            }
            Ok(true)
        })
        .await
    })
}

/// Sums up a signal (rebuilt from its copies if a crash loses it).
pub async fn set_outcome(db: &Db, signal: Id, outcome: &str) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            c.relax_commit().await?;
            diesel::update(signals::table.find(signal))
                .set(signals::outcome.eq(outcome))
                .execute(c)
                .await?;
            Ok::<_, DbError>(())
        })
        .await
    })
}

/// Accepted signals received before `received_before` that no copier has dispatched yet (a
/// restart came between storing and dispatching), oldest first.
pub async fn undispatched(db: &Db, received_before: Ts) -> Result<Vec<SignalHead>, DbError> {
    with_conn!(db, read, |c| {
        Ok(signals::table
            .filter(signals::dispatched_at.is_null())
            .filter(signals::received_at.lt(received_before))
            .filter(signals::status.eq("ACCEPTED"))
            .order(signals::received_at)
            .select(SignalHead::as_select())
            .load(c)
            .await?)
    })
}

pub async fn orders_of_signal(db: &Db, signal: Id) -> Result<Vec<CopiedOrderRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(copied_orders::table
            .filter(copied_orders::signal_id.eq(signal))
            .order((copied_orders::created_at, copied_orders::id))
            .select(CopiedOrderRow::as_select())
            .load(c)
            .await?)
    })
}

pub async fn orders_of_signals(db: &Db, ids: &[Id]) -> Result<Vec<CopiedOrderRow>, DbError> {
    let ids = ids.to_vec();
    with_conn!(db, read, |c| {
        Ok(copied_orders::table
            .filter(copied_orders::signal_id.eq_any(ids.clone()))
            .order((copied_orders::created_at, copied_orders::id))
            .select(CopiedOrderRow::as_select())
            .load(c)
            .await?)
    })
}

pub async fn order(db: &Db, id: Id) -> Result<Option<CopiedOrderRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(copied_orders::table
            .find(id)
            .select(CopiedOrderRow::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

pub async fn orders(db: &Db, ids: &[Id]) -> Result<Vec<CopiedOrderRow>, DbError> {
    let ids = ids.to_vec();
    with_conn!(db, read, |c| {
        Ok(copied_orders::table
            .filter(copied_orders::id.eq_any(ids.clone()))
            .select(CopiedOrderRow::as_select())
            .load(c)
            .await?)
    })
}

pub async fn order_by_client_id(
    db: &Db,
    client_order_id: &str,
) -> Result<Option<CopiedOrderRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(copied_orders::table
            .filter(copied_orders::client_order_id.eq(client_order_id))
            .select(CopiedOrderRow::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

/// Copied orders still PENDING, or SENDING since before `sent_before`, oldest first.
pub async fn unfinished(db: &Db, sent_before: Ts) -> Result<Vec<CopiedOrderRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(copied_orders::table
            .filter(
                copied_orders::status
                    .eq(CopyStatus::Pending.as_str())
                    .or(copied_orders::status
                        .eq(CopyStatus::Sending.as_str())
                        .and(copied_orders::sent_at.lt(sent_before))),
            )
            .order(copied_orders::created_at)
            .select(CopiedOrderRow::as_select())
            .load(c)
            .await?)
    })
}

/// Copied orders the broker holds as working, oldest first.
pub async fn working(db: &Db) -> Result<Vec<CopiedOrderRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(copied_orders::table
            .filter(copied_orders::status.eq(CopyStatus::Working.as_str()))
            .order(copied_orders::created_at)
            .select(CopiedOrderRow::as_select())
            .load(c)
            .await?)
    })
}

/// PENDING → SENDING: this worker sends it. `false` if another got there first. Lost in a
/// crash, the copy is PENDING again and sent again under the same client order id, which the
/// venue does not take twice.
pub async fn claim_send(db: &Db, id: Id, now: Ts) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            c.relax_commit().await?;
            Ok::<_, DbError>(
                diesel::update(
                    copied_orders::table
                        .find(id)
                        .filter(copied_orders::status.eq(CopyStatus::Pending.as_str())),
                )
                .set((
                    copied_orders::status.eq(CopyStatus::Sending.as_str()),
                    copied_orders::sent_at.eq(now),
                ))
                .execute(c)
                .await?
                    == 1,
            )
        })
        .await
    })
}

/// SENDING again (a resumed order): the send time is the new attempt's.
pub async fn mark_resent(db: &Db, id: Id, now: Ts) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            c.relax_commit().await?;
            diesel::update(copied_orders::table.find(id))
                .set(copied_orders::sent_at.eq(now))
                .execute(c)
                .await?;
            Ok::<_, DbError>(())
        })
        .await
    })
}

/// Changes one copied order in one transaction: `change` sees the row as stored and says
/// whether it changed it. Returns the row as stored after.
async fn update_order(
    db: &Db,
    id: Id,
    change: impl FnOnce(&mut CopiedOrderRow) -> bool + Send,
) -> Result<Option<(CopiedOrderRow, bool)>, DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            // A status lost in a crash is asked of the broker again (the copy is still
            // SENDING, or WORKING) by client order id.
            c.relax_commit().await?;
            c.lock_for_tx(id.lock_key()).await?;
            let Some(mut row) = copied_orders::table
                .find(id)
                .select(CopiedOrderRow::as_select())
                .first(c)
                .await
                .optional()?
            else {
                return Ok::<_, DbError>(None);
            };
            let changed = change(&mut row);
            if changed {
                diesel::update(copied_orders::table.find(id))
                    .set((
                        copied_orders::status.eq(&row.status),
                        copied_orders::reason.eq(&row.reason),
                        copied_orders::broker_order_id.eq(&row.broker_order_id),
                        copied_orders::acknowledged_at.eq(row.acknowledged_at),
                        copied_orders::filled_at.eq(row.filled_at),
                    ))
                    .execute(c)
                    .await?;
            }
            Ok(Some((row, changed)))
        })
        .await
    })
}

/// The broker's answer (or our final word) on a copied order. A FILLED order stays FILLED:
/// a late "working" answer never undoes a fill the stream already reported, and ids and times
/// already known are kept.
pub async fn record_answer(
    db: &Db,
    id: Id,
    status: CopyStatus,
    reason: Option<&str>,
    broker_order_id: Option<&str>,
    acknowledged_at: Option<Ts>,
) -> Result<(), DbError> {
    update_order(db, id, |row| {
        if !(status == CopyStatus::Working && row.status() == CopyStatus::Filled) {
            row.status = status.as_str().to_owned();
            row.reason = reason.map(str::to_owned);
        }
        if row.broker_order_id.is_none() {
            row.broker_order_id = broker_order_id.map(str::to_owned);
        }
        if row.acknowledged_at.is_none() {
            row.acknowledged_at = acknowledged_at;
        }
        if status == CopyStatus::Filled && row.filled_at.is_none() {
            row.filled_at = acknowledged_at;
        }
        true
    })
    .await?;
    Ok(())
}

/// A status change the broker's stream reported (working → filled or cancelled), with the
/// broker's order id when the placement's own answer did not bring it (it was lost). `true`
/// if the status changed.
pub async fn set_status(
    db: &Db,
    id: Id,
    status: CopyStatus,
    reason: Option<&str>,
    filled_at: Option<Ts>,
    broker_order_id: Option<&str>,
) -> Result<bool, DbError> {
    let updated = update_order(db, id, |row| {
        // A fill is final: nothing the stream says later undoes it.
        if row.status() == CopyStatus::Filled {
            return false;
        }
        let changed = row.status() != status;
        row.status = status.as_str().to_owned();
        if let Some(reason) = reason {
            row.reason = Some(reason.to_owned());
        }
        if row.filled_at.is_none() {
            row.filled_at = filled_at;
        }
        if row.broker_order_id.is_none() {
            row.broker_order_id = broker_order_id.map(str::to_owned);
        }
        changed
    })
    .await?;
    Ok(updated.is_some_and(|(_, changed)| changed))
}

// ---- fills ----

/// Stores a fill; `false` if this execution was stored already.
pub async fn insert_fill(db: &Db, row: &FillRow) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        Ok::<_, DbError>(
            diesel::insert_into(trade_fills::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c)
                .await?
                == 1,
        )
    })
}

pub async fn fills_of_orders(db: &Db, ids: &[Id]) -> Result<Vec<FillRow>, DbError> {
    let ids: Vec<Option<Id>> = ids.iter().copied().map(Some).collect();
    with_conn!(db, read, |c| {
        Ok(trade_fills::table
            .filter(trade_fills::copied_order_id.eq_any(ids.clone()))
            .order(trade_fills::filled_at)
            .select(FillRow::as_select())
            .load(c)
            .await?)
    })
}

/// The user's latest fills, newest first.
pub async fn recent_fills(db: &Db, user: Id, limit: i64) -> Result<Vec<FillRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(trade_fills::table
            .filter(trade_fills::user_id.eq(user))
            .order((trade_fills::filled_at.desc(), trade_fills::id.desc()))
            .limit(limit)
            .select(FillRow::as_select())
            .load(c)
            .await?)
    })
}

// ---- daily loss ----

/// The account's balance at its first check of `day`: stored now if this is the first.
pub async fn day_start_balance(
    db: &Db,
    account: Id,
    day: &str,
    balance_now: f64,
) -> Result<f64, DbError> {
    with_conn!(db, write, |c| {
        inserted(
            diesel::insert_into(account_day_balances::table)
                .values((
                    account_day_balances::trading_account_id.eq(account),
                    account_day_balances::day.eq(day),
                    account_day_balances::balance.eq(balance_now),
                ))
                .execute(c)
                .await,
        )?;
        Ok(account_day_balances::table
            .find((account, day))
            .select(account_day_balances::balance)
            .first(c)
            .await?)
    })
}
