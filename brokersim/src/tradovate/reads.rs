//! Reading state: `<entity>/list|item|items|deps|ldeps` for the user's entities, the contract
//! library (`contract/find|item|items|suggest`, `contractMaturity/item|items`,
//! `product/find|item|list`) and `cashBalance/getcashbalancesnapshot`.
//!
//! Only the token's user's accounts and what hangs off them are visible: another user's id
//! answers 404 (`item`) or is left out (`list`, `deps`). `deps` takes the master's id in
//! `masterid`: the account for positions, orders, cash balances and strategies, the order for
//! versions, commands, execution reports and fills.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::api::Input;
use super::auth::Ctx;
use super::state::State;
use super::wire::{Answer, QueryMap, Read, query_ids, query_int, req_int, req_query_int};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entity {
    Account,
    Position,
    Order,
    OrderVersion,
    Command,
    ExecutionReport,
    Fill,
    CashBalance,
    OrderStrategy,
}

/// Each entity with its type name (in `props` pushes) and its snapshot collection.
pub(crate) const ENTITIES: [(Entity, &str, &str); 9] = [
    (Entity::Account, "account", "accounts"),
    (Entity::Position, "position", "positions"),
    (Entity::Order, "order", "orders"),
    (Entity::OrderVersion, "orderVersion", "orderVersions"),
    (Entity::Command, "command", "commands"),
    (
        Entity::ExecutionReport,
        "executionReport",
        "executionReports",
    ),
    (Entity::Fill, "fill", "fills"),
    (Entity::CashBalance, "cashBalance", "cashBalances"),
    (Entity::OrderStrategy, "orderStrategy", "orderStrategies"),
];

impl Entity {
    /// By type name, any case (`orderVersion`, `orderversion`).
    pub fn parse(name: &str) -> Option<Self> {
        ENTITIES
            .iter()
            .find(|(_, type_name, _)| type_name.eq_ignore_ascii_case(name))
            .map(|(entity, _, _)| *entity)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    List,
    Item,
    Items,
    Deps,
    LDeps,
}

impl Op {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "list" => Some(Self::List),
            "item" => Some(Self::Item),
            "items" => Some(Self::Items),
            "deps" => Some(Self::Deps),
            "ldeps" => Some(Self::LDeps),
            _ => None,
        }
    }
}

/// The entities of `kind` the user may see, as (id, master id, wire form); `accounts`
/// narrows them to those accounts.
pub(crate) fn visible(
    state: &State,
    kind: Entity,
    user_id: i64,
    accounts: Option<&BTreeSet<i64>>,
) -> Vec<(i64, i64, Value)> {
    let mine = |account_id: i64| {
        state.account_owner(account_id) == Some(user_id)
            && accounts.is_none_or(|wanted| wanted.contains(&account_id))
    };
    let order_mine = |order_id: i64| state.order_account(order_id).is_some_and(mine);
    match kind {
        Entity::Account => collect(
            state.accounts.values(),
            |a| mine(a.id),
            |a| (a.id, a.user_id, a.json()),
        ),
        Entity::Position => collect(
            state.positions.values(),
            |p| mine(p.account_id),
            |p| (p.id, p.account_id, p.json()),
        ),
        Entity::Order => collect(
            state.orders.values(),
            |o| mine(o.account_id),
            |o| (o.id, o.account_id, o.json()),
        ),
        Entity::OrderVersion => collect(
            state.versions.values(),
            |v| order_mine(v.order_id),
            |v| (v.id, v.order_id, v.json()),
        ),
        Entity::Command => collect(
            state.commands.values(),
            |c| order_mine(c.order_id),
            |c| (c.id, c.order_id, c.json()),
        ),
        Entity::ExecutionReport => collect(
            state.reports.values(),
            |r| mine(r.account_id),
            |r| (r.id, r.order_id, r.json()),
        ),
        Entity::Fill => collect(
            state.fills.values(),
            |f| mine(f.account_id),
            |f| (f.id, f.order_id, f.json()),
        ),
        Entity::CashBalance => collect(
            state.cash.values(),
            |c| mine(c.account_id),
            |c| (c.id, c.account_id, c.json()),
        ),
        Entity::OrderStrategy => collect(
            state.strategies.values(),
            |s| mine(s.account_id),
            |s| (s.id, s.account_id, s.json()),
        ),
    }
}

fn collect<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    keep: impl Fn(&T) -> bool,
    view: impl Fn(&T) -> (i64, i64, Value),
) -> Vec<(i64, i64, Value)> {
    items.filter(|item| keep(item)).map(view).collect()
}

pub(crate) fn entity_read(
    state: &State,
    ctx: &Ctx,
    kind: Entity,
    op: Op,
    query: &QueryMap,
) -> Answer {
    match try_entity_read(state, ctx, kind, op, query) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_entity_read(
    state: &State,
    ctx: &Ctx,
    kind: Entity,
    op: Op,
    query: &QueryMap,
) -> Read<Answer> {
    let all = visible(state, kind, ctx.user_id, None);
    let pick = |keep: &dyn Fn(i64, i64) -> bool| -> Value {
        Value::Array(
            all.iter()
                .filter(|(id, master, _)| keep(*id, *master))
                .map(|(_, _, entity)| entity.clone())
                .collect(),
        )
    };
    Ok(match op {
        Op::List => Answer::ok(pick(&|_, _| true)),
        Op::Item => {
            let wanted = req_query_int(query, "id")?;
            match all.iter().find(|(id, _, _)| *id == wanted) {
                Some((_, _, entity)) => Answer::ok(entity.clone()),
                None => Answer::empty(404),
            }
        }
        Op::Items => {
            let wanted = query_ids(query, "ids")?;
            Answer::ok(pick(&|id, _| wanted.contains(&id)))
        }
        Op::Deps => {
            let master = req_query_int(query, "masterid")?;
            Answer::ok(pick(&|_, of| of == master))
        }
        Op::LDeps => {
            let masters = query_ids(query, "masterids")?;
            Answer::ok(pick(&|_, of| masters.contains(&of)))
        }
    })
}

/// The contract library, the same for every user.
pub(crate) fn library(state: &mut State, _ctx: &Ctx, input: &Input) -> Answer {
    match try_library(state, input) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_library(state: &State, input: &Input) -> Read<Answer> {
    let catalog = &state.catalog;
    let query = &input.query;
    let found = |value: Option<Value>| value.map_or_else(|| Answer::empty(404), Answer::ok);
    let name = || {
        query
            .get("name")
            .cloned()
            .ok_or_else(|| Answer::bad_request("`name` is required"))
    };
    Ok(match input.endpoint.as_str() {
        "contract/find" => found(catalog.by_name(&name()?).map(|c| c.json())),
        "contract/item" => found(
            catalog
                .contract(req_query_int(query, "id")?)
                .map(|c| c.json()),
        ),
        "contract/items" => {
            let ids = query_ids(query, "ids")?;
            Answer::ok(Value::Array(
                ids.iter()
                    .filter_map(|id| catalog.contract(*id).map(|c| c.json()))
                    .collect(),
            ))
        }
        "contract/suggest" => {
            // `t` is the documented text parameter; the examples also send `name`.
            let text = query
                .get("t")
                .or_else(|| query.get("name"))
                .ok_or_else(|| Answer::bad_request("`t` is required"))?;
            let limit = query_int(query, "l")?.unwrap_or(10).clamp(1, 100) as usize;
            Answer::ok(Value::Array(
                catalog
                    .suggest(text, limit)
                    .iter()
                    .map(|c| c.json())
                    .collect(),
            ))
        }
        "contractmaturity/item" => found(
            catalog
                .maturity(req_query_int(query, "id")?)
                .map(|c| c.maturity_json()),
        ),
        "contractmaturity/items" => {
            let ids = query_ids(query, "ids")?;
            Answer::ok(Value::Array(
                ids.iter()
                    .filter_map(|id| catalog.maturity(*id).map(|c| c.maturity_json()))
                    .collect(),
            ))
        }
        "product/find" => found(catalog.product_by_name(&name()?).map(|c| c.product_json())),
        "product/item" => found(
            catalog
                .product(req_query_int(query, "id")?)
                .map(|c| c.product_json()),
        ),
        "product/list" => Answer::ok(Value::Array(
            catalog
                .contracts
                .iter()
                .filter(|c| c.is_front)
                .map(|c| c.product_json())
                .collect(),
        )),
        _ => Answer::empty(404),
    })
}

/// `cashBalance/getcashbalancesnapshot {accountId}`: cash, realised and open P&L.
pub(crate) fn cash_snapshot(state: &mut State, ctx: &Ctx, input: &Input) -> Answer {
    let account_id = match req_int(&input.body, "accountId") {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    if state.account_owner(account_id) != Some(ctx.user_id) {
        return Answer::ok(json!({ "errorText": format!("Account {account_id} not found") }));
    }
    let (amount, realized) = state
        .cash
        .get(&account_id)
        .map_or((0.0, 0.0), |cash| (cash.amount, cash.realized));
    let open: f64 = state
        .positions
        .values()
        .filter(|position| position.account_id == account_id && position.net_pos != 0)
        .map(|position| {
            let value_per_point = state
                .catalog
                .contract(position.contract_id)
                .map_or(1.0, |contract| contract.root.value_per_point());
            (state.last_price(position.contract_id) - position.net_price)
                * position.net_pos as f64
                * value_per_point
        })
        .sum();
    let open = (open * 100.0).round() / 100.0;
    Answer::ok(json!({
        "totalCashValue": amount,
        "totalPnL": realized + open,
        "initialMargin": 0.0,
        "maintenanceMargin": 0.0,
        "netLiq": amount + open,
        "openPnL": open,
        "realizedPnL": realized,
        "weekRealizedPnL": realized,
    }))
}
