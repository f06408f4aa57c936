//! `Order/cancel`, `Order/modify` and the order searches (`search`, `searchOpen`,
//! `searchById`, `v2/query`). `Order/place` lives in `place`.
//!
//! `searchOpen` answers working orders (Open, Pending) and leaves out `Suspended` bracket legs,
//! as the venue is reported to; `v2/query` with statuses [1, 6, 7, 8] sees them all.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Sim;
use super::engine::on_tick;
use super::state::{Order, State, action, kind, status};
use super::wire::{Answer, Fields, failure, success};

/// `v2/query` pages hold this many orders unless `pageSize` says otherwise.
const DEFAULT_PAGE_SIZE: usize = 100;

fn list(orders: Vec<&Order>) -> Value {
    Value::Array(orders.into_iter().map(Order::to_json).collect())
}

fn account_not_found(list_field: &str, account_id: i64) -> Value {
    failure(
        json!({ list_field: null }),
        1,
        Some(format!("Account {account_id} not found.")),
    )
}

fn in_window(order: &Order, start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> bool {
    start.is_none_or(|s| order.created >= s) && end.is_none_or(|e| order.created <= e)
}

fn account_orders(state: &State, account_id: i64) -> impl Iterator<Item = &Order> {
    state
        .orders
        .values()
        .filter(move |o| o.account_id == account_id)
}

/// `{accountId, orderId}`: 1 AccountNotFound, 2 OrderNotFound, 3 Rejected (not working).
pub fn cancel(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let account_id = fields.int("accountId");
    let order_id = fields.long("orderId");
    fields.finish()?;
    let mut state = sim.lock();
    if let Err(refusal) = working_order(&state, user_id, account_id, order_id) {
        return Ok(refusal);
    }
    state.cancel(order_id);
    Ok(success(json!({})))
}

/// The order, if the account is the user's and the order is its and still working.
fn working_order(
    state: &State,
    user_id: i64,
    account_id: i64,
    order_id: i64,
) -> Result<&Order, Value> {
    if state.account_of(user_id, account_id).is_none() {
        return Err(failure(
            json!({}),
            1,
            Some(format!("Account {account_id} not found.")),
        ));
    }
    let order = state
        .orders
        .get(&order_id)
        .filter(|o| o.account_id == account_id)
        .ok_or_else(|| failure(json!({}), 2, Some(format!("Order {order_id} not found."))))?;
    if !matches!(
        order.status,
        status::OPEN | status::SUSPENDED | status::PENDING
    ) {
        return Err(failure(
            json!({}),
            3,
            Some(format!("Order {order_id} is not working.")),
        ));
    }
    Ok(order)
}

/// `{accountId, orderId, size?, limitPrice?, stopPrice?, trailPrice?}`: the codes of cancel.
pub fn modify(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let account_id = fields.int("accountId");
    let order_id = fields.long("orderId");
    let size = fields.opt_int("size");
    let limit_price = fields.opt_decimal("limitPrice");
    let stop_price = fields.opt_decimal("stopPrice");
    let trail_price = fields.opt_decimal("trailPrice");
    fields.finish()?;
    let mut state = sim.lock();
    let order = match working_order(&state, user_id, account_id, order_id) {
        Ok(order) => order,
        Err(refusal) => return Ok(refusal),
    };
    let reject = |message: String| Ok(failure(json!({}), 3, Some(message)));
    let (order_kind, tick, buy) = (order.kind, order.product.tick_size, order.is_buy());
    let last = state.price(order.product);
    if order.status == status::SUSPENDED
        && (limit_price.is_some() || stop_price.is_some() || trail_price.is_some())
    {
        return reject(
            "A suspended bracket order takes its price from the entry's fill.".to_owned(),
        );
    }
    if size.is_some_and(|s| s <= 0) {
        return reject("Invalid order size. Size must be greater than zero.".to_owned());
    }
    let takes_limit = matches!(order_kind, kind::LIMIT | kind::JOIN_BID | kind::JOIN_ASK);
    let takes_stop = matches!(order_kind, kind::STOP | kind::TRAILING_STOP);
    if (limit_price.is_some() && !takes_limit)
        || ((stop_price.is_some() || trail_price.is_some()) && !takes_stop)
    {
        return reject(format!(
            "The price given does not apply to a {} order.",
            kind::name(order_kind)
        ));
    }
    for price in [limit_price, stop_price, trail_price].into_iter().flatten() {
        if price <= 0.0 || !on_tick(price, tick) {
            return reject(format!(
                "Invalid price ({price}). Price must be a multiple of the tick size ({tick})."
            ));
        }
    }
    let new_stop = stop_price.or(trail_price);
    if new_stop.is_some_and(|stop| if buy { stop <= last } else { stop >= last }) {
        return reject("Invalid stop price. The stop would trigger at once.".to_owned());
    }
    if let Some(order) = state.orders.get_mut(&order_id) {
        if let Some(size) = size {
            order.size = size;
        }
        if limit_price.is_some() {
            order.limit_price = limit_price;
        }
        if let Some(stop) = new_stop {
            order.stop_price = Some(stop);
            if order.kind == kind::TRAILING_STOP {
                order.trail_distance = Some((last - stop).abs());
            }
        }
        order.updated = Utc::now();
    }
    state.emit_order(order_id, action::UPDATE);
    state.fill_if_marketable(order_id);
    Ok(success(json!({})))
}

/// `{accountId, startTimestamp?, endTimestamp?}`: the account's orders created in the window.
pub fn search(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let account_id = fields.int("accountId");
    let start = fields.opt_timestamp("startTimestamp");
    let end = fields.opt_timestamp("endTimestamp");
    fields.finish()?;
    let state = sim.lock();
    if state.account_of(user_id, account_id).is_none() {
        return Ok(account_not_found("orders", account_id));
    }
    let orders = account_orders(&state, account_id)
        .filter(|o| in_window(o, start, end))
        .collect();
    Ok(success(json!({ "orders": list(orders) })))
}

/// `{accountId}`: working orders, without suspended bracket legs.
pub fn search_open(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let account_id = fields.int("accountId");
    fields.finish()?;
    let state = sim.lock();
    if state.account_of(user_id, account_id).is_none() {
        return Ok(account_not_found("orders", account_id));
    }
    let orders = account_orders(&state, account_id)
        .filter(|o| matches!(o.status, status::OPEN | status::PENDING))
        .collect();
    Ok(success(json!({ "orders": list(orders) })))
}

/// `{accountId, orderId}`: `{order}`, or 1 OrderNotFound.
pub fn search_by_id(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let account_id = fields.int("accountId");
    let order_id = fields.long("orderId");
    fields.finish()?;
    let state = sim.lock();
    let order = state
        .account_of(user_id, account_id)
        .and_then(|_| state.orders.get(&order_id))
        .filter(|o| o.account_id == account_id);
    Ok(match order {
        Some(order) => success(json!({ "order": order.to_json() })),
        None => failure(
            json!({ "order": null }),
            1,
            Some(format!("Order {order_id} not found.")),
        ),
    })
}

/// `{filter:{accountId, statuses, contractId?, createdAfter?, createdBefore?}, pageSize?,
/// pageOffset?, sortBy? (0 CreatedAt, 1 Id), sortDirection? (0 Asc, 1 Desc),
/// includeTotalCount?}`. `pageOffset` counts orders skipped (a guess; it may be a page index).
pub fn query(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let mut filter = fields.opt_object("filter");
    let (account_id, statuses, contract_id, after, before) = match filter.as_mut() {
        Some(filter) => (
            filter.int("accountId"),
            filter.opt_ints("statuses"),
            filter.opt_text("contractId"),
            filter.opt_timestamp("createdAfter"),
            filter.opt_timestamp("createdBefore"),
        ),
        None => (0, None, None, None, None),
    };
    if let Some(filter) = filter {
        fields.absorb(filter);
    }
    let page_size = fields.opt_int("pageSize");
    let page_offset = fields.opt_int("pageOffset").unwrap_or(0);
    let sort_by = fields.opt_int("sortBy").unwrap_or(0);
    let descending = fields.opt_int("sortDirection") == Some(1);
    let include_total = fields.opt_flag("includeTotalCount").unwrap_or(false);
    fields.finish()?;
    let state = sim.lock();
    if state.account_of(user_id, account_id).is_none() {
        return Ok(account_not_found("orders", account_id));
    }
    let mut orders: Vec<&Order> = account_orders(&state, account_id)
        .filter(|o| {
            statuses
                .as_ref()
                .is_none_or(|wanted| wanted.is_empty() || wanted.contains(&i64::from(o.status)))
        })
        .filter(|o| contract_id.as_ref().is_none_or(|c| &o.contract_id == c))
        .filter(|o| in_window(o, after, before))
        .collect();
    if sort_by == 0 {
        orders.sort_by_key(|o| (o.created, o.id));
    }
    if descending {
        orders.reverse();
    }
    let total = orders.len();
    let size = page_size
        .and_then(|s| usize::try_from(s).ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_PAGE_SIZE);
    let skip = usize::try_from(page_offset).unwrap_or(0);
    let page: Vec<&Order> = orders.into_iter().skip(skip).take(size).collect();
    Ok(success(json!({
        "orders": list(page),
        "totalCount": include_total.then_some(total),
    })))
}
