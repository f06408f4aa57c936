//! The trade log: the user's signals, newest first, each with its raw payload and every
//! follower's copied order; cursor-paginated and filtered by group, account, status and time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::db::{self, CopiedOrderRow, FillRow};
use super::dispatch::Copier;
use super::{CopiedOrder, CopierError, CopyStatus, TradeFill};
use crate::auth::User;
use crate::db::DbError;
use crate::db::schema::{copied_orders, signals};
use crate::db::types::{Id, Ts};
use crate::signals::{SignalRecord, SignalRow};
use crate::with_conn;

/// The most entries one page holds.
pub const MAX_PAGE: i64 = 100;

/// Which entries to show; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct TradeLogFilter {
    pub copy_group_id: Option<Id>,
    pub trading_account_id: Option<Id>,
    pub status: Option<CopyStatus>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl TradeLogFilter {
    fn about_copies(&self) -> bool {
        self.copy_group_id.is_some() || self.trading_account_id.is_some() || self.status.is_some()
    }
}

/// One signal with what became of it on every follower.
#[derive(Debug, Clone)]
pub struct TradeLogEntry {
    pub cursor: String,
    pub signal: SignalRecord,
    pub orders: Vec<CopiedOrder>,
}

#[derive(Debug, Clone)]
pub struct TradeLogPage {
    pub entries: Vec<TradeLogEntry>,
    pub has_next_page: bool,
}

/// A position in the log: the signal's time and id (ids break ties).
fn cursor(at: Ts, id: Id) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.0.to_rfc3339()))
}

fn parse_cursor(text: &str) -> Option<(Ts, Id)> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (at, id) = text.split_once('|')?;
    Some((Ts::new(at.parse().ok()?), id.parse().ok()?))
}

impl Copier {
    /// A page of the user's trade log, newest first, after `after` (a cursor from an earlier
    /// page).
    pub async fn trade_log(
        &self,
        user: &User,
        first: i64,
        after: Option<&str>,
        filter: &TradeLogFilter,
    ) -> Result<TradeLogPage, CopierError> {
        let first = first.clamp(1, MAX_PAGE);
        let after = match after {
            Some(text) => Some(parse_cursor(text).ok_or(CopierError::InvalidInput {
                field: "after",
                message: "is not a cursor from this log".into(),
            })?),
            None => None,
        };
        // Another user's group or account is not found here either, rather than an empty
        // page (SEC-12).
        if let Some(group) = filter.copy_group_id {
            self.group(user, group).await?;
        }
        if let Some(account) = filter.trading_account_id {
            self.inner
                .connections
                .account_of(user.id, account)
                .await
                .map_err(|_| CopierError::NotFound("trading account"))?;
        }
        let user_id = user.id;
        let filter_copies = filter.about_copies();
        let (group, account, status) = (
            filter.copy_group_id,
            filter.trading_account_id,
            filter.status.map(|s| s.as_str()),
        );
        let (from, to) = (filter.from.map(Ts::new), filter.to.map(Ts::new));
        let loaded: Result<Vec<SignalRow>, DbError> = async {
            with_conn!(self.db(), read, |c| {
                let mut query = signals::table
                    .filter(signals::user_id.eq(user_id))
                    .order((signals::received_at.desc(), signals::id.desc()))
                    .limit(first + 1)
                    .select(SignalRow::as_select())
                    .into_boxed();
                if let Some((at, id)) = after {
                    query = query.filter(
                        signals::received_at
                            .lt(at)
                            .or(signals::received_at.eq(at).and(signals::id.lt(id))),
                    );
                }
                if let Some(from) = from {
                    query = query.filter(signals::received_at.ge(from));
                }
                if let Some(to) = to {
                    query = query.filter(signals::received_at.lt(to));
                }
                if filter_copies {
                    let mut copies = copied_orders::table
                        .filter(copied_orders::user_id.eq(user_id))
                        .select(copied_orders::signal_id)
                        .into_boxed();
                    if let Some(group) = group {
                        copies = copies.filter(copied_orders::copy_group_id.eq(group));
                    }
                    if let Some(account) = account {
                        copies = copies.filter(copied_orders::trading_account_id.eq(account));
                    }
                    if let Some(status) = status {
                        copies = copies.filter(copied_orders::status.eq(status));
                    }
                    query = query.filter(signals::id.eq_any(copies));
                }
                Ok(query.load(c).await?)
            })
        }
        .await;
        let mut rows = loaded?;
        let has_next_page = rows.len() as i64 > first;
        rows.truncate(first as usize);
        let ids: Vec<Id> = rows.iter().map(|row| row.id).collect();
        let orders = db::orders_of_signals(self.db(), &ids).await?;
        let order_ids: Vec<Id> = orders.iter().map(|order| order.id).collect();
        let fills = db::fills_of_orders(self.db(), &order_ids).await?;
        let entries = rows
            .iter()
            .map(|row| TradeLogEntry {
                cursor: cursor(row.received_at, row.id),
                signal: row.to_record(),
                orders: orders
                    .iter()
                    .filter(|order| order.signal_id == row.id)
                    .filter(|order| shown(order, filter))
                    .map(|order| order.to_order(&fills))
                    .collect(),
            })
            .collect();
        Ok(TradeLogPage {
            entries,
            has_next_page,
        })
    }

    /// The user's latest fills, newest first (the Dashboard's feed before live updates).
    pub async fn recent_fills(
        &self,
        user: &User,
        first: i64,
    ) -> Result<Vec<TradeFill>, CopierError> {
        let rows: Vec<FillRow> =
            db::recent_fills(self.db(), user.id, first.clamp(1, MAX_PAGE)).await?;
        let order_ids: Vec<Id> = rows.iter().filter_map(|row| row.copied_order_id).collect();
        let signal_of: std::collections::HashMap<Id, Id> = db::orders(self.db(), &order_ids)
            .await?
            .into_iter()
            .map(|order| (order.id, order.signal_id))
            .collect();
        Ok(rows
            .iter()
            .map(|row| {
                row.to_fill(
                    row.copied_order_id
                        .and_then(|id| signal_of.get(&id).copied()),
                )
            })
            .collect())
    }
}

/// Whether a copied order passes the filter (an entry shows only the copies asked for).
fn shown(order: &CopiedOrderRow, filter: &TradeLogFilter) -> bool {
    filter
        .copy_group_id
        .is_none_or(|id| order.copy_group_id == Some(id))
        && filter
            .trading_account_id
            .is_none_or(|id| order.trading_account_id == Some(id))
        && filter.status.is_none_or(|status| order.status() == status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let at = Ts::new("2026-11-29T10:00:00.123456Z".parse().unwrap());
        let id = Id::new();
        assert_eq!(parse_cursor(&cursor(at, id)), Some((at, id)));
        assert_eq!(parse_cursor("not-a-cursor"), None);
    }
}
