//! Changing live orders and flattening: `order/cancelorder`, `order/modifyorder`,
//! `order/liquidateposition` and `order/liquidatepositions`.
//!
//! Cancel and modify each create a Command (`Cancel`/`Modify`, with the request's `clOrdId`)
//! and answer `{commandId}`; a modification adds an OrderVersion. Liquidating cancels the
//! contract's live orders in the account and closes the position at market, answering like
//! placeorder.

use serde_json::json;

use super::api::Input;
use super::auth::Ctx;
use super::engine::{NewOrder, Origin};
use super::entities::{Command, OrderVersion};
use super::enums::{Action, Kind, ORDER_TYPES, OrdStatus, TIME_IN_FORCE};
use super::orders::read_prices;
use super::state::State;
use super::wire::{
    Answer, Fields, Read, missing, now_text, opt_bool, opt_enum, opt_str, present, req_enum,
    req_int,
};

fn read_origin(ctx: &Ctx, body: &Fields) -> Read<Origin> {
    opt_str(body, "activationTime")?;
    Ok(Origin {
        cl_ord_id: opt_str(body, "clOrdId")?.map(str::to_owned),
        custom_tag50: opt_str(body, "customTag50")?.map(str::to_owned),
        is_automated: opt_bool(body, "isAutomated")?,
        sender_id: ctx.user_id,
        session_id: ctx.session_id,
    })
}

/// Records a Cancel or Modify command for `order_id`.
fn command(state: &mut State, order_id: i64, command_type: &'static str, origin: &Origin) -> i64 {
    let id = state.new_id();
    let command = Command {
        id,
        order_id,
        timestamp: now_text(),
        cl_ord_id: origin.cl_ord_id.clone(),
        command_type,
        command_status: "AtExecution",
        custom_tag50: origin.custom_tag50.clone(),
        is_automated: origin.is_automated,
        sender_id: origin.sender_id,
        session_id: origin.session_id,
    };
    if let Some(account_id) = state.order_account(order_id) {
        state.emit(account_id, "command", "Created", command.json());
    }
    state.commands.insert(id, command);
    id
}

/// The caller's live order `order_id`, or the failure to answer.
fn live_order(state: &State, ctx: &Ctx, order_id: i64) -> Read<()> {
    let order = state
        .orders
        .get(&order_id)
        .filter(|order| state.account_owner(order.account_id) == Some(ctx.user_id))
        .ok_or_else(|| Answer::failure("UnknownReason", format!("Order {order_id} not found")))?;
    if !order.status.is_live() {
        return Err(Answer::failure(
            "TooLate",
            format!("Order {order_id} is already {}", order.status.as_str()),
        ));
    }
    Ok(())
}

pub(crate) fn cancel(state: &mut State, ctx: &Ctx, input: &Input) -> Answer {
    match try_cancel(state, ctx, &input.body) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_cancel(state: &mut State, ctx: &Ctx, body: &Fields) -> Read<Answer> {
    let order_id = req_int(body, "orderId")?;
    let origin = read_origin(ctx, body)?;
    live_order(state, ctx, order_id)?;
    let command_id = command(state, order_id, "Cancel", &origin);
    state.end(order_id, Some(command_id), OrdStatus::Canceled);
    Ok(Answer::ok(json!({ "commandId": command_id })))
}

pub(crate) fn modify(state: &mut State, ctx: &Ctx, input: &Input) -> Answer {
    match try_modify(state, ctx, &input.body) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_modify(state: &mut State, ctx: &Ctx, body: &Fields) -> Read<Answer> {
    let order_id = req_int(body, "orderId")?;
    let qty = req_int(body, "orderQty")?;
    let order_type = req_enum(body, "orderType", ORDER_TYPES)?;
    let time_in_force = opt_enum(body, "timeInForce", TIME_IN_FORCE)?;
    let text = opt_str(body, "text")?.map(str::to_owned);
    let origin = read_origin(ctx, body)?;
    if qty <= 0 {
        return Err(Answer::violation(
            "orderQty",
            &qty.to_string(),
            "orderQty should be positive",
        ));
    }
    live_order(state, ctx, order_id)?;
    let kind = Kind::parse(order_type).ok_or_else(|| {
        Answer::failure(
            "Unsupported",
            format!("{order_type} orders are not simulated"),
        )
    })?;
    let tick = state
        .orders
        .get(&order_id)
        .and_then(|order| state.catalog.contract(order.contract_id))
        .map_or(0.01, |contract| contract.root.tick_size);
    let (price, stop_price) = read_prices(state, body, kind, tick)?;
    let command_id = command(state, order_id, "Modify", &origin);
    let version_id = state.new_id();
    let Some(order) = state.orders.get_mut(&order_id) else {
        return Err(Answer::failure(
            "UnknownReason",
            format!("Order {order_id} not found"),
        ));
    };
    order.qty = qty;
    order.kind = kind;
    order.price = price;
    order.stop_price = stop_price;
    order.triggered = false;
    if let Some(time_in_force) = time_in_force {
        order.time_in_force = time_in_force;
    }
    let (account_id, entity, working) = (
        order.account_id,
        order.json(),
        order.status == OrdStatus::Working,
    );
    let time_in_force = order.time_in_force;
    state.add_version(OrderVersion {
        id: version_id,
        order_id,
        qty,
        kind,
        price,
        stop_price,
        time_in_force,
        text,
    });
    state.emit(account_id, "order", "Updated", entity);
    state.report(order_id, command_id, "Replaced", None);
    if working {
        state.execute([(order_id, false)]);
    }
    Ok(Answer::ok(json!({ "commandId": command_id })))
}

pub(crate) fn liquidate(state: &mut State, ctx: &Ctx, input: &Input) -> Answer {
    match try_liquidate(state, ctx, &input.body) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn read_admin(body: &Fields) -> Read<()> {
    match opt_bool(body, "admin")? {
        None => Err(missing("admin")),
        Some(true) => Err(Answer::failure(
            "Unauthorized",
            "admin liquidation is for administrators; send admin: false",
        )),
        Some(false) => Ok(()),
    }
}

fn try_liquidate(state: &mut State, ctx: &Ctx, body: &Fields) -> Read<Answer> {
    let account_id = req_int(body, "accountId")?;
    let contract_id = req_int(body, "contractId")?;
    let origin = read_origin(ctx, body)?;
    read_admin(body)?;
    if state.account_owner(account_id) != Some(ctx.user_id) {
        return Err(Answer::failure(
            "UnknownReason",
            format!("Account {account_id} not found"),
        ));
    }
    if state.catalog.contract(contract_id).is_none() {
        return Err(Answer::failure(
            "InvalidContract",
            format!("Unknown contract {contract_id}"),
        ));
    }
    match flatten(state, account_id, contract_id, &origin) {
        Some(order_id) => Ok(Answer::ok(json!({ "orderId": order_id }))),
        None => Err(Answer::failure(
            "UnknownReason",
            "There is no position to liquidate",
        )),
    }
}

/// Cancels the contract's live orders in the account and closes its position at market;
/// answers the closing order, if there was a position.
fn flatten(state: &mut State, account_id: i64, contract_id: i64, origin: &Origin) -> Option<i64> {
    let live: Vec<i64> = state
        .orders
        .values()
        .filter(|o| {
            o.account_id == account_id && o.contract_id == contract_id && o.status.is_live()
        })
        .map(|o| o.id)
        .collect();
    for order_id in live {
        // A leg may have ended with its entry already.
        if state
            .orders
            .get(&order_id)
            .is_some_and(|o| o.status.is_live())
        {
            let command_id = command(state, order_id, "Cancel", origin);
            state.end(order_id, Some(command_id), OrdStatus::Canceled);
        }
    }
    let net = state
        .positions
        .get(&(account_id, contract_id))
        .map_or(0, |position| position.net_pos);
    if net == 0 {
        return None;
    }
    let action = if net > 0 { Action::Sell } else { Action::Buy };
    let order_id = state.submit(NewOrder {
        account_id,
        contract_id,
        action,
        kind: Kind::Market,
        qty: net.abs(),
        price: None,
        stop_price: None,
        time_in_force: "Day",
        text: None,
        status: OrdStatus::Working,
        parent_id: None,
        oco_id: None,
        strategy_id: None,
        origin: origin.clone(),
    });
    state.execute([(order_id, false)]);
    Some(order_id)
}

pub(crate) fn liquidate_all(state: &mut State, ctx: &Ctx, input: &Input) -> Answer {
    match try_liquidate_all(state, ctx, &input.body) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_liquidate_all(state: &mut State, ctx: &Ctx, body: &Fields) -> Read<Answer> {
    let ids = match present(body, "positions") {
        None => return Err(missing("positions")),
        Some(serde_json::Value::Array(ids)) => ids
            .iter()
            .map(serde_json::Value::as_i64)
            .collect::<Option<Vec<i64>>>()
            .ok_or_else(|| Answer::bad_request("`positions` must be a list of integer ids"))?,
        Some(_) => {
            return Err(Answer::bad_request(
                "`positions` must be a list of integer ids",
            ));
        }
    };
    let origin = read_origin(ctx, body)?;
    read_admin(body)?;
    let mut targets = Vec::new();
    for id in ids {
        let Some(position) = state
            .positions
            .values()
            .find(|p| p.id == id && state.account_owner(p.account_id) == Some(ctx.user_id))
        else {
            return Err(Answer::error_text(format!("Position {id} not found")));
        };
        targets.push((position.account_id, position.contract_id));
    }
    for (account_id, contract_id) in targets {
        flatten(state, account_id, contract_id, &origin);
    }
    Ok(Answer::ok(json!({ "ok": true })))
}
