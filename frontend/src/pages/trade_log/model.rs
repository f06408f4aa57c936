//! What the trade log holds: signals with their copied orders, the filter, and the numbers
//! derived from them (latency). Pure, so it is tested on the host.

use crate::api::trading_operations::{CopyStatus, OrderType, Side, order_updates, trade_log};
use crate::format::unix_millis;

/// The signal of an entry, as the log query returns it.
pub type Signal = trade_log::TradeLogTradeLogEdgesNodeSignal;

/// One follower's copy of a signal, whether the log query or the live feed brought it.
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    pub id: String,
    pub signal_id: String,
    pub copy_group_id: Option<String>,
    pub account_id: Option<String>,
    pub client_order_id: String,
    pub symbol: Option<String>,
    pub side: Option<Side>,
    pub order_type: Option<OrderType>,
    pub quantity: Option<f64>,
    pub signal_price: Option<f64>,
    pub status: CopyStatus,
    pub reason: Option<String>,
    pub broker_order_id: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub filled_at: Option<String>,
    pub filled_quantity: f64,
    pub average_price: Option<f64>,
    pub slippage: Option<f64>,
}

/// The log query's and the subscription's orders have the same fields in two generated types.
macro_rules! order_from {
    ($($source:ty),+) => {$(
        impl From<$source> for Order {
            fn from(order: $source) -> Self {
                Self {
                    id: order.id,
                    signal_id: order.signal_id,
                    copy_group_id: order.copy_group_id,
                    account_id: order.trading_account_id,
                    client_order_id: order.client_order_id,
                    symbol: order.symbol,
                    side: order.side,
                    order_type: order.order_type,
                    quantity: order.quantity,
                    signal_price: order.signal_price,
                    status: order.status,
                    reason: order.reason,
                    broker_order_id: order.broker_order_id,
                    created_at: order.created_at,
                    sent_at: order.sent_at,
                    acknowledged_at: order.acknowledged_at,
                    filled_at: order.filled_at,
                    filled_quantity: order.filled_quantity,
                    average_price: order.average_price,
                    slippage: order.slippage,
                }
            }
        }
    )+};
}

order_from!(
    trade_log::TradeLogTradeLogEdgesNodeOrders,
    order_updates::OrderUpdatesOrderUpdatesOrder
);

/// A signal and every follower's copy of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub signal: Signal,
    pub orders: Vec<Order>,
}

/// One page of the log: its entries, and the cursor of the next page if there is one.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub entries: Vec<Entry>,
    pub next: Option<String>,
}

impl From<trade_log::ResponseData> for Page {
    fn from(data: trade_log::ResponseData) -> Self {
        let log = data.trade_log;
        let next = if log.page_info.has_next_page {
            log.page_info.end_cursor
        } else {
            None
        };
        Self {
            entries: log
                .edges
                .into_iter()
                .map(|edge| Entry {
                    signal: edge.node.signal,
                    orders: edge.node.orders.into_iter().map(Order::from).collect(),
                })
                .collect(),
            next,
        }
    }
}

/// From the signal's arrival to the broker's acknowledgement of the copy, in milliseconds:
/// what the copier adds on top of the broker.
pub fn latency_ms(received_at: &str, order: &Order) -> Option<i64> {
    let acknowledged = unix_millis(order.acknowledged_at.as_deref()?)?;
    Some(acknowledged - unix_millis(received_at)?)
}

/// An order of the live feed, put in its entry: replaces the copy with its id, or joins the
/// signal's copies. `false` if the signal is not listed (it is newer than the list).
pub fn apply_update(entries: &mut [Entry], order: Order) -> bool {
    let Some(entry) = entries
        .iter_mut()
        .find(|entry| entry.signal.id == order.signal_id)
    else {
        return false;
    };
    match entry.orders.iter_mut().find(|known| known.id == order.id) {
        Some(known) => *known = order,
        None => entry.orders.push(order),
    }
    true
}

/// The user's copy groups as (id, name), to name an order's group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupNames(pub Vec<(String, String)>);

impl GroupNames {
    /// The group's name; empty for an order of no group, "Deleted group" for one that is gone.
    pub fn name(&self, id: Option<&str>) -> &str {
        id.map_or("", |id| {
            self.0
                .iter()
                .find(|(known, _)| known == id)
                .map_or("Deleted group", |(_, name)| name.as_str())
        })
    }
}

/// What the log is narrowed to, as the form holds it: ids, a status code, and UTC days
/// (`2026-01-31`); empty for "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub group: String,
    pub account: String,
    pub status: String,
    pub from: String,
    pub to: String,
}

impl Filter {
    /// The API's filter: `from` is the start of its day, `to` the end of its day (the API's
    /// `to` is exclusive, so the start of the next). `None` when nothing narrows.
    pub fn to_input(&self) -> Option<trade_log::TradeLogFilterInput> {
        let text = |value: &str| (!value.is_empty()).then(|| value.to_owned());
        let input = trade_log::TradeLogFilterInput {
            copy_group_id: text(&self.group),
            trading_account_id: text(&self.account),
            status: CopyStatus::ALL
                .into_iter()
                .find(|status| status.code() == self.status),
            from: start_of_day(&self.from),
            to: next_day(&self.to).as_deref().and_then(start_of_day),
        };
        let narrows = input.copy_group_id.is_some()
            || input.trading_account_id.is_some()
            || input.status.is_some()
            || input.from.is_some()
            || input.to.is_some();
        narrows.then_some(input)
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// `2026-01-31` reads `2026-01-31T00:00:00Z`; anything else (an empty or half-typed date)
/// reads `None`.
fn start_of_day(day: &str) -> Option<String> {
    let (year, month, date) = parse_day(day)?;
    Some(format!("{year:04}-{month:02}-{date:02}T00:00:00Z"))
}

/// The day after `2026-01-31`: `2026-02-01`.
fn next_day(day: &str) -> Option<String> {
    let (year, month, date) = parse_day(day)?;
    let (year, month, date) = if date < days_in_month(year, month) {
        (year, month, date + 1)
    } else if month < 12 {
        (year, month + 1, 1)
    } else {
        (year + 1, 1, 1)
    };
    Some(format!("{year:04}-{month:02}-{date:02}"))
}

/// A real calendar day, `YYYY-MM-DD`, as `<input type="date">` gives it.
fn parse_day(day: &str) -> Option<(u32, u32, u32)> {
    let mut parts = day.split('-');
    let (year, month, date) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || date.len() != 2 {
        return None;
    }
    let (year, month, date) = (year.parse().ok()?, month.parse().ok()?, date.parse().ok()?);
    ((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&date))
        .then_some((year, month, date))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::api::trading_operations::SignalStatus;

    pub fn signal(id: &str, received_at: &str) -> Signal {
        Signal {
            id: id.to_owned(),
            received_at: received_at.to_owned(),
            status: SignalStatus::Accepted,
            raw_payload: r#"{"ticker":"ES1!","action":"buy","quantity":1}"#.to_owned(),
            error_field: None,
            error: None,
            outcome: Some("copied to 2 followers".to_owned()),
        }
    }

    pub fn order(id: &str, signal_id: &str, status: CopyStatus) -> Order {
        Order {
            id: id.to_owned(),
            signal_id: signal_id.to_owned(),
            copy_group_id: Some("g1".to_owned()),
            account_id: Some("a1".to_owned()),
            client_order_id: format!("ct-{id}"),
            symbol: Some("ES1!".to_owned()),
            side: Some(Side::Buy),
            order_type: Some(OrderType::Market),
            quantity: Some(1.0),
            signal_price: None,
            status,
            reason: None,
            broker_order_id: None,
            created_at: "2026-01-02T10:00:00.010Z".to_owned(),
            sent_at: None,
            acknowledged_at: None,
            filled_at: None,
            filled_quantity: 0.0,
            average_price: None,
            slippage: None,
        }
    }

    #[test]
    fn latency_runs_from_receipt_to_acknowledgement() {
        let mut copy = order("o1", "s1", CopyStatus::Filled);
        assert_eq!(latency_ms("2026-01-02T10:00:00Z", &copy), None);
        copy.acknowledged_at = Some("2026-01-02T10:00:00.042731Z".to_owned());
        assert_eq!(latency_ms("2026-01-02T10:00:00Z", &copy), Some(42));
        assert_eq!(latency_ms("2026-01-02T09:59:59.990Z", &copy), Some(52));
    }

    #[test]
    fn live_updates_replace_or_join_the_copies_of_a_listed_signal() {
        let mut entries = vec![Entry {
            signal: signal("s1", "2026-01-02T10:00:00Z"),
            orders: vec![order("o1", "s1", CopyStatus::Sending)],
        }];
        assert!(apply_update(
            &mut entries,
            order("o1", "s1", CopyStatus::Filled)
        ));
        assert!(apply_update(
            &mut entries,
            order("o2", "s1", CopyStatus::Pending)
        ));
        let statuses: Vec<CopyStatus> = entries[0].orders.iter().map(|o| o.status).collect();
        assert_eq!(statuses, [CopyStatus::Filled, CopyStatus::Pending]);
        assert!(!apply_update(
            &mut entries,
            order("o3", "s2", CopyStatus::Pending)
        ));
    }

    #[test]
    fn an_empty_filter_asks_for_everything() {
        assert_eq!(Filter::default().to_input(), None);
        assert!(Filter::default().is_empty());
    }

    #[test]
    fn days_cover_whole_utc_days() {
        let filter = Filter {
            status: "FILLED".to_owned(),
            from: "2026-02-28".to_owned(),
            to: "2026-12-31".to_owned(),
            ..Filter::default()
        };
        let input = filter.to_input().expect("narrows");
        assert_eq!(input.status, Some(CopyStatus::Filled));
        assert_eq!(input.from.as_deref(), Some("2026-02-28T00:00:00Z"));
        assert_eq!(input.to.as_deref(), Some("2027-01-01T00:00:00Z"));
        assert_eq!(next_day("2024-02-28").as_deref(), Some("2024-02-29"));
        assert_eq!(next_day("2100-02-28").as_deref(), Some("2100-03-01"));
        assert_eq!(next_day("2026-04-30").as_deref(), Some("2026-05-01"));
    }

    #[test]
    fn half_typed_or_impossible_days_are_ignored() {
        for day in ["", "2026-1-02", "2026-02-30", "2026-13-01", "tomorrow"] {
            assert_eq!(start_of_day(day), None, "{day}");
        }
    }
}
