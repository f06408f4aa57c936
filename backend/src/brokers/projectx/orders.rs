//! Reading and managing orders and positions: look-ups by tag, cancelling, the working orders
//! of an account, and flattening.
//!
//! Working orders include bracket legs waiting `Suspended` for their entry, which
//! `Order/searchOpen` leaves out; they are listed with `Order/v2/query` and statuses
//! [1, 6, 7, 8], or, where that endpoint is not served, with `searchOpen` and the day's
//! `Order/search`. `Position/closeContract` leaves a position's bracket legs working, so a
//! flatten cancels the contract's working orders after closing, until none is left.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::json;

use super::codes::{self, Call};
use super::place::{attempt_of, client_order_id};
use super::wire::{self, WORKING_STATUSES};
use super::{Shared, contracts};
use crate::brokers::{BrokerError, OrderState, OrderStatus, OrderType, Position};

/// Order look-ups by tag reach back this far.
const LOOK_BACK_HOURS: i64 = 24;
/// `v2/query` page size: far more working orders than one account ever has.
const QUERY_PAGE: usize = 500;
const MAX_TAGS_KEPT: usize = 100_000;

pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn remember_tag(shared: &Shared, order_id: i64, tag: &str) {
    if let Ok(mut tags) = shared.tags.lock() {
        if tags.len() >= MAX_TAGS_KEPT {
            tags.clear();
        }
        tags.insert(order_id, tag.to_owned());
    }
}

/// Reads an order (our client order id from its tag) and remembers its tag.
pub fn read(shared: &Shared, item: &serde_json::Value) -> Result<wire::Order, BrokerError> {
    let order = wire::order(item, client_order_id)?;
    if let Some(tag) = &order.tag {
        remember_tag(shared, order.id, tag);
    }
    Ok(order)
}

fn read_list(shared: &Shared, answer: &serde_json::Value) -> Result<Vec<wire::Order>, BrokerError> {
    wire::list(answer, "orders")?
        .iter()
        .map(|item| read(shared, item))
        .collect()
}

/// The account's orders created since `since`.
pub async fn since(
    shared: &Shared,
    account: i64,
    since: DateTime<Utc>,
) -> Result<Vec<wire::Order>, BrokerError> {
    let body = json!({ "accountId": account, "startTimestamp": stamp(since) });
    let answer = shared.rest.ok(Call::OrderSearch, &body).await?;
    read_list(shared, &answer)
}

/// The day's orders under any tag of `client_order_id`.
pub async fn tagged(
    shared: &Shared,
    account: i64,
    client_order_id: &str,
) -> Result<Vec<wire::Order>, BrokerError> {
    let from = Utc::now() - Duration::hours(LOOK_BACK_HOURS);
    Ok(since(shared, account, from)
        .await?
        .into_iter()
        .filter(|order| {
            order
                .tag
                .as_deref()
                .is_some_and(|tag| attempt_of(tag, client_order_id).is_some())
        })
        .collect())
}

/// The order that stands for a client order id: the newest one not rejected, else the newest.
pub fn best(found: &[wire::Order]) -> Option<&wire::Order> {
    let newest = |a: &&wire::Order, b: &&wire::Order| a.id.cmp(&b.id);
    found
        .iter()
        .filter(|o| o.state.status != OrderStatus::Rejected)
        .max_by(newest)
        .or_else(|| found.iter().max_by(newest))
}

pub async fn find(
    shared: &Shared,
    account: i64,
    client_order_id: &str,
) -> Result<Option<OrderState>, BrokerError> {
    let found = tagged(shared, account, client_order_id).await?;
    Ok(best(&found).map(|order| order.state.clone()))
}

/// One order by id: `Order/searchById`, or the day's orders where that is not served.
pub async fn by_id(
    shared: &Shared,
    account: i64,
    order_id: i64,
) -> Result<Option<wire::Order>, BrokerError> {
    let body = json!({ "accountId": account, "orderId": order_id });
    match shared.rest.call_if_served(Call::OrderById, &body).await? {
        Some(answer) if answer.code == 0 => read(shared, &answer.body["order"]).map(Some),
        Some(answer) if answer.code == 1 => Ok(None),
        Some(answer) => Err(codes::failure(
            Call::OrderById,
            answer.code,
            answer.message.as_deref(),
        )),
        None => {
            let from = Utc::now() - Duration::hours(LOOK_BACK_HOURS);
            Ok(since(shared, account, from)
                .await?
                .into_iter()
                .find(|order| order.id == order_id))
        }
    }
}

pub async fn positions(shared: &Shared, account: i64) -> Result<Vec<Position>, BrokerError> {
    let answer = shared
        .rest
        .ok(Call::PositionSearchOpen, &json!({ "accountId": account }))
        .await?;
    wire::list(&answer, "positions")?
        .iter()
        .map(wire::position)
        .collect()
}

/// The account's working orders (of one contract, if given), suspended legs included.
pub async fn working(
    shared: &Shared,
    account: i64,
    contract: Option<&str>,
) -> Result<Vec<wire::Order>, BrokerError> {
    shared.watch_accounts([account]);
    let mut orders = None;
    if shared.v2_query.load(std::sync::atomic::Ordering::SeqCst) {
        let mut filter = json!({ "accountId": account, "statuses": WORKING_STATUSES });
        if let Some(contract) = contract {
            filter["contractId"] = json!(contract);
        }
        let body = json!({ "filter": filter, "pageSize": QUERY_PAGE, "pageOffset": 0 });
        match shared.rest.call_if_served(Call::OrderQuery, &body).await? {
            Some(answer) if answer.code == 0 => {
                let page = read_list(shared, &answer.body)?;
                if page.len() >= QUERY_PAGE {
                    tracing::warn!(
                        account,
                        "TopstepX: a full page of working orders; some may be missed"
                    );
                }
                orders = Some(page);
            }
            Some(answer) => {
                return Err(codes::failure(
                    Call::OrderQuery,
                    answer.code,
                    answer.message.as_deref(),
                ));
            }
            None => shared
                .v2_query
                .store(false, std::sync::atomic::Ordering::SeqCst),
        }
    }
    let orders = match orders {
        Some(orders) => orders,
        None => {
            let body = json!({ "accountId": account });
            let open = shared.rest.ok(Call::OrderSearchOpen, &body).await?;
            let mut orders = read_list(shared, &open)?;
            let from = Utc::now() - Duration::hours(LOOK_BACK_HOURS);
            for order in since(shared, account, from).await? {
                if !orders.iter().any(|o| o.id == order.id) {
                    orders.push(order);
                }
            }
            orders
        }
    };
    Ok(orders
        .into_iter()
        .filter(|o| WORKING_STATUSES.contains(&o.status_code))
        .filter(|o| contract.is_none_or(|c| o.state.symbol == c))
        .collect())
}

/// Cancels one order; `false` if it was no longer working.
async fn cancel_one(shared: &Shared, account: i64, order_id: i64) -> Result<bool, BrokerError> {
    let body = json!({ "accountId": account, "orderId": order_id });
    let answer = shared.rest.call(Call::OrderCancel, &body).await?;
    match answer.code {
        0 => Ok(true),
        // 2 OrderNotFound, 3 "not working": it went meanwhile (a cancelled entry's legs go
        // with it).
        2 | 3 => Ok(false),
        code => Err(codes::failure(
            Call::OrderCancel,
            code,
            answer.message.as_deref(),
        )),
    }
}

pub async fn cancel(
    shared: &Shared,
    account: i64,
    order_id: &str,
) -> Result<OrderState, BrokerError> {
    let no_order = || BrokerError::Rejected(format!("TopstepX has no order {order_id}"));
    let id: i64 = order_id.parse().map_err(|_| no_order())?;
    shared.watch_accounts([account]);
    let order = by_id(shared, account, id).await?.ok_or_else(no_order)?;
    if order.state.status != OrderStatus::Working {
        return Err(BrokerError::Rejected(format!(
            "TopstepX order {order_id} is no longer working ({})",
            order.state.status.as_str()
        )));
    }
    let body = json!({ "accountId": account, "orderId": id });
    shared.rest.ok(Call::OrderCancel, &body).await?;
    Ok(OrderState {
        status: OrderStatus::Cancelled,
        updated_at: Utc::now(),
        ..order.state
    })
}

/// Cancels the working orders of the contract (or all), market orders aside (they are
/// already filling, such as a flatten's own close).
async fn cancel_resting(
    shared: &Shared,
    account: i64,
    contract: Option<&str>,
) -> Result<usize, BrokerError> {
    let mut left = 0;
    for order in working(shared, account, contract).await? {
        if order.state.order_type == OrderType::Market {
            continue;
        }
        cancel_one(shared, account, order.id).await?;
        left += 1;
    }
    Ok(left)
}

pub async fn flatten(
    shared: &Shared,
    account: i64,
    symbol: Option<&str>,
) -> Result<(), BrokerError> {
    let contract = match symbol {
        Some(symbol) => Some(contracts::instrument(shared, symbol).await?.symbol),
        None => None,
    };
    let contract = contract.as_deref();
    for position in positions(shared, account).await? {
        if contract.is_some_and(|c| c != position.symbol) {
            continue;
        }
        let body = json!({ "accountId": account, "contractId": position.symbol });
        let answer = shared.rest.call(Call::PositionClose, &body).await?;
        // 2 PositionNotFound: already flat.
        if answer.code != 0 && answer.code != 2 {
            return Err(codes::failure(
                Call::PositionClose,
                answer.code,
                answer.message.as_deref(),
            ));
        }
    }
    // The close leaves the position's bracket legs working: cancel until none is left (a
    // leg released by a fill meanwhile shows up on the second look).
    for _ in 0..3 {
        if cancel_resting(shared, account, contract).await? == 0 {
            return Ok(());
        }
    }
    Err(BrokerError::UnknownOutcome(
        "TopstepX still lists working orders after cancelling them three times".into(),
    ))
}
