//! Placing orders: `order/placeorder`, `order/placeoso` (entry plus `bracket1`/`bracket2`)
//! and `order/placeoco` (two orders, one cancels the other); the readers they share with
//! order strategies.
//!
//! Answers: `{orderId}` (plus `oso1Id`/`oso2Id`, or `ocoId` = the other order's id), or
//! `{failureReason, failureText}` with Tradovate's enum. `clOrdId` goes on the Command only;
//! a repeated `clOrdId` is not refused (Tradovate has no idempotency).

use serde_json::json;

use super::api::Input;
use super::auth::Ctx;
use super::engine::{NewOrder, Origin};
use super::enums::{ACTIONS, Action, Kind, ORDER_TYPES, OrdStatus, TIME_IN_FORCE};
use super::state::State;
use super::wire::{
    Answer, Fields, Read, missing, on_tick, opt_bool, opt_enum, opt_int, opt_num, opt_object,
    opt_str, req_enum, req_int, req_str,
};

/// The caller's account named by `accountId` and/or `accountSpec` (its name).
pub(crate) fn resolve_account(state: &State, ctx: &Ctx, body: &Fields) -> Read<i64> {
    let id = opt_int(body, "accountId")?;
    let spec = opt_str(body, "accountSpec")?;
    let mine = |account_id: &i64| state.account_owner(*account_id) == Some(ctx.user_id);
    let found = match (id, spec) {
        (None, None) => return Err(missing("accountId")),
        (Some(id), spec) => Some(id).filter(mine).filter(|id| {
            spec.is_none_or(|name| state.accounts.get(id).is_some_and(|a| a.name == name))
        }),
        (None, Some(name)) => state
            .accounts
            .values()
            .find(|account| account.name == name && account.user_id == ctx.user_id)
            .map(|account| account.id),
    };
    found.ok_or_else(|| {
        let named = id.map_or_else(|| spec.unwrap_or_default().to_owned(), |id| id.to_string());
        Answer::failure("UnknownReason", format!("Account {named} not found"))
    })
}

pub(crate) fn resolve_contract(state: &State, body: &Fields) -> Read<(i64, f64)> {
    let symbol = req_str(body, "symbol")?;
    state
        .catalog
        .by_name(symbol)
        .map(|contract| (contract.id, contract.root.tick_size))
        .ok_or_else(|| {
            Answer::failure(
                "InvalidContract",
                format!("Unknown contract symbol {symbol}"),
            )
        })
}

pub(crate) fn read_kind(order_type: &str) -> Read<Kind> {
    Kind::parse(order_type).ok_or_else(|| {
        Answer::failure(
            "Unsupported",
            format!("{order_type} orders are not simulated"),
        )
    })
}

/// `price` and `stopPrice` as the order type needs them, positive and on the tick grid.
pub(crate) fn read_prices(
    state: &State,
    body: &Fields,
    kind: Kind,
    tick: f64,
) -> Read<(Option<f64>, Option<f64>)> {
    let price = opt_num(body, "price")?;
    let stop = opt_num(body, "stopPrice")?;
    let need = |value: Option<f64>, what: &str| {
        let value = value.ok_or_else(|| {
            Answer::failure(
                "InvalidPrice",
                format!("A {} order needs {what}", kind.as_str()),
            )
        })?;
        if value <= 0.0 || !on_tick(value, tick) {
            return Err(Answer::failure(
                "InvalidPrice",
                format!("{what} {value} is not a positive multiple of the tick size {tick}"),
            ));
        }
        Ok(value)
    };
    Ok(match kind {
        Kind::Market => (None, None),
        Kind::Limit => (Some(need(price, "price")?), None),
        Kind::Stop => {
            let trigger = if stop.is_none() && state.config.stop_price_in_price {
                price
            } else {
                stop
            };
            (None, Some(need(trigger, "stopPrice")?))
        }
        Kind::StopLimit => (Some(need(price, "price")?), Some(need(stop, "stopPrice")?)),
    })
}

pub(crate) fn read_origin(ctx: &Ctx, body: &Fields) -> Read<Origin> {
    Ok(Origin {
        cl_ord_id: opt_str(body, "clOrdId")?.map(str::to_owned),
        custom_tag50: opt_str(body, "customTag50")?.map(str::to_owned),
        is_automated: opt_bool(body, "isAutomated")?,
        sender_id: ctx.user_id,
        session_id: ctx.session_id,
    })
}

pub(crate) fn check_automated(state: &State, origin: &Origin) -> Read<()> {
    if state.config.require_is_automated && origin.is_automated != Some(true) {
        return Err(Answer::failure(
            "UnknownReason",
            "isAutomated must be true: orders not placed by a human must say so",
        ));
    }
    Ok(())
}

fn read_text(body: &Fields) -> Read<Option<String>> {
    let text = opt_str(body, "text")?;
    if let Some(text) = text
        && text.chars().count() > 64
    {
        return Err(Answer::violation(
            "text",
            text,
            "text must be at most 64 characters",
        ));
    }
    Ok(text.map(str::to_owned))
}

/// The placeorder fields, checked in Tradovate's order: types, required fields, then rules.
fn parse_order(state: &State, ctx: &Ctx, body: &Fields) -> Read<NewOrder> {
    let action = req_enum(body, "action", ACTIONS)?;
    req_str(body, "symbol")?;
    let qty = req_int(body, "orderQty")?;
    let order_type = req_enum(body, "orderType", ORDER_TYPES)?;
    let time_in_force = opt_enum(body, "timeInForce", TIME_IN_FORCE)?.unwrap_or("Day");
    let text = read_text(body)?;
    opt_str(body, "expireTime")?;
    opt_str(body, "activationTime")?;
    let origin = read_origin(ctx, body)?;
    if qty <= 0 {
        return Err(Answer::violation(
            "orderQty",
            &qty.to_string(),
            "orderQty should be positive",
        ));
    }
    let account_id = resolve_account(state, ctx, body)?;
    check_automated(state, &origin)?;
    let (contract_id, tick) = resolve_contract(state, body)?;
    let kind = read_kind(order_type)?;
    let (price, stop_price) = read_prices(state, body, kind, tick)?;
    Ok(NewOrder {
        account_id,
        contract_id,
        action: Action::parse(action),
        kind,
        qty,
        price,
        stop_price,
        time_in_force,
        text,
        status: OrdStatus::Working,
        parent_id: None,
        oco_id: None,
        strategy_id: None,
        origin,
    })
}

/// A bracket (`bracket1`, `bracket2`, `other`): an order on the entry's account and contract.
fn parse_bracket(state: &State, bracket: &Fields, entry: &NewOrder) -> Read<NewOrder> {
    let action = req_enum(bracket, "action", ACTIONS)?;
    let order_type = req_enum(bracket, "orderType", ORDER_TYPES)?;
    let time_in_force = opt_enum(bracket, "timeInForce", TIME_IN_FORCE)?.unwrap_or("GTC");
    let text = read_text(bracket)?;
    let origin = Origin {
        cl_ord_id: opt_str(bracket, "clOrdId")?.map(str::to_owned),
        ..entry.origin.clone()
    };
    let tick = state
        .catalog
        .contract(entry.contract_id)
        .map_or(0.01, |contract| contract.root.tick_size);
    let kind = read_kind(order_type)?;
    let (price, stop_price) = read_prices(state, bracket, kind, tick)?;
    Ok(NewOrder {
        action: Action::parse(action),
        kind,
        price,
        stop_price,
        time_in_force,
        text,
        origin,
        ..entry.clone()
    })
}

/// An IOC or FOK order that did not fill at once expires.
fn expire_unfilled(state: &mut State, order_id: i64) {
    let immediate = state.orders.get(&order_id).is_some_and(|order| {
        order.status == OrdStatus::Working && matches!(order.time_in_force, "IOC" | "FOK")
    });
    if immediate {
        state.end(order_id, None, OrdStatus::Expired);
    }
}

pub(crate) fn place(state: &mut State, ctx: &Ctx, input: &Input) -> Answer {
    let order = match parse_order(state, ctx, &input.body) {
        Ok(order) => order,
        Err(answer) => return answer,
    };
    let order_id = state.submit(order);
    state.execute([(order_id, false)]);
    expire_unfilled(state, order_id);
    Answer::ok(json!({ "orderId": order_id }))
}

pub(crate) fn place_oso(state: &mut State, ctx: &Ctx, input: &Input) -> Answer {
    match try_place_oso(state, ctx, &input.body) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_place_oso(state: &mut State, ctx: &Ctx, body: &Fields) -> Read<Answer> {
    let entry = parse_order(state, ctx, body)?;
    let first = opt_object(body, "bracket1")?.ok_or_else(|| missing("bracket1"))?;
    let mut leg1 = parse_bracket(state, first, &entry)?;
    let mut leg2 = match opt_object(body, "bracket2")? {
        Some(second) => Some(parse_bracket(state, second, &entry)?),
        None => None,
    };
    let entry_id = state.submit(entry);
    let oco_id = leg2.is_some().then(|| state.new_id());
    for leg in std::iter::once(&mut leg1).chain(leg2.as_mut()) {
        leg.status = OrdStatus::Suspended;
        leg.parent_id = Some(entry_id);
        leg.oco_id = oco_id;
    }
    let oso1 = state.submit(leg1);
    let oso2 = leg2.map(|leg| state.submit(leg));
    state.execute([(entry_id, false)]);
    expire_unfilled(state, entry_id);
    let mut answer = json!({ "orderId": entry_id, "oso1Id": oso1 });
    if let Some(oso2) = oso2 {
        answer["oso2Id"] = json!(oso2);
    }
    Ok(Answer::ok(answer))
}

pub(crate) fn place_oco(state: &mut State, ctx: &Ctx, input: &Input) -> Answer {
    match try_place_oco(state, ctx, &input.body) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_place_oco(state: &mut State, ctx: &Ctx, body: &Fields) -> Read<Answer> {
    let mut first = parse_order(state, ctx, body)?;
    let other = opt_object(body, "other")?.ok_or_else(|| missing("other"))?;
    let mut second = parse_bracket(state, other, &first)?;
    let oco_id = state.new_id();
    first.oco_id = Some(oco_id);
    second.oco_id = Some(oco_id);
    let first_id = state.submit(first);
    let second_id = state.submit(second);
    state.execute([(first_id, false), (second_id, false)]);
    expire_unfilled(state, first_id);
    expire_unfilled(state, second_id);
    Ok(Answer::ok(
        json!({ "orderId": first_id, "ocoId": second_id }),
    ))
}
