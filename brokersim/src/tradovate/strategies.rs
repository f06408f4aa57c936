//! Order strategies: `orderStrategy/startorderstrategy` with the built-in bracket type (2),
//! whose `params` is JSON *in a string*: `entryVersion` and `brackets[]` with `profitTarget`
//! and `stopLoss` as signed offsets from the entry's fill price, in points or ticks
//! (`strategyOffsetUnit`, unverified). The legs (a Limit target and a Stop, one cancelling the
//! other) are placed once the entry fills. Answers `{orderStrategy}` or `{errorText}`.

use serde_json::{Value, json};

use super::api::Input;
use super::auth::Ctx;
use super::engine::{NewOrder, Origin};
use super::entities::{Order, OrderStrategy, StrategyBracket};
use super::enums::{ACTIONS, Action, Kind, ORDER_TYPES, OrdStatus, TIME_IN_FORCE};
use super::orders::{
    check_automated, read_kind, read_origin, read_prices, resolve_account, resolve_contract,
};
use super::state::{OffsetUnit, State};
use super::wire::{
    Answer, Fields, Read, missing, now_text, opt_bool, opt_enum, opt_num, opt_object, opt_str,
    present, req_enum, req_int, req_str, round_to_tick,
};

pub(crate) fn start_strategy(state: &mut State, ctx: &Ctx, input: &Input) -> Answer {
    match try_start_strategy(state, ctx, &input.body) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn strategy_error(text: impl Into<String>) -> Answer {
    Answer::ok(json!({ "errorText": text.into() }))
}

fn try_start_strategy(state: &mut State, ctx: &Ctx, body: &Fields) -> Read<Answer> {
    let action = Action::parse(req_enum(body, "action", ACTIONS)?);
    req_str(body, "symbol")?;
    let type_id = req_int(body, "orderStrategyTypeId")?;
    let params = match present(body, "params") {
        None => return Err(missing("params")),
        Some(Value::String(text)) => text.clone(),
        Some(_) => {
            return Err(Answer::bad_request(
                "`params` must be a string holding JSON",
            ));
        }
    };
    let uuid = opt_str(body, "uuid")?.map(str::to_owned);
    let origin = read_origin(ctx, body)?;
    let account_id = resolve_account(state, ctx, body)?;
    check_automated(state, &origin)?;
    let (contract_id, tick) = resolve_contract(state, body)?;
    if type_id != 2 {
        return Err(strategy_error(format!(
            "Unknown orderStrategyTypeId {type_id}: only 2 (built-in brackets) is simulated"
        )));
    }
    let parsed: Fields = match serde_json::from_str(&params) {
        Ok(Value::Object(fields)) => fields,
        _ => return Err(Answer::bad_request("`params` must hold a JSON object")),
    };
    let entry = opt_object(&parsed, "entryVersion")?.ok_or_else(|| missing("entryVersion"))?;
    let qty = req_int(entry, "orderQty")?;
    let kind = read_kind(req_enum(entry, "orderType", ORDER_TYPES)?)?;
    let time_in_force = opt_enum(entry, "timeInForce", TIME_IN_FORCE)?.unwrap_or("Day");
    if qty <= 0 {
        return Err(Answer::violation(
            "orderQty",
            &qty.to_string(),
            "orderQty should be positive",
        ));
    }
    let (price, stop_price) = read_prices(state, entry, kind, tick)?;
    let brackets = read_brackets(&parsed, action)?;
    let bracket_qty: i64 = brackets.iter().map(|bracket| bracket.qty).sum();
    if !brackets.is_empty() && bracket_qty != qty {
        return Err(strategy_error(format!(
            "The brackets' qty ({bracket_qty}) must add up to the entry's orderQty ({qty})"
        )));
    }
    let strategy_id = state.new_id();
    let entry_id = state.submit(NewOrder {
        account_id,
        contract_id,
        action,
        kind,
        qty,
        price,
        stop_price,
        time_in_force,
        text: None,
        status: OrdStatus::Working,
        parent_id: None,
        oco_id: None,
        strategy_id: Some(strategy_id),
        origin: origin.clone(),
    });
    let strategy = OrderStrategy {
        id: strategy_id,
        account_id,
        contract_id,
        timestamp: now_text(),
        action,
        params,
        uuid,
        status: "ActiveStrategy",
        custom_tag50: origin.custom_tag50,
        is_automated: origin.is_automated,
        session_id: ctx.session_id,
        sender_id: ctx.user_id,
        entry_order_id: entry_id,
        brackets,
        leg_ids: Vec::new(),
    };
    state.emit(account_id, "orderStrategy", "Created", strategy.json());
    state.strategies.insert(strategy_id, strategy);
    state.execute([(entry_id, false)]);
    let view = state
        .strategies
        .get(&strategy_id)
        .map(|strategy| strategy.json())
        .unwrap_or_default();
    Ok(Answer::ok(json!({ "orderStrategy": view })))
}

/// `brackets[]`: `qty`, and `profitTarget`/`stopLoss` signed from the entry (a Buy's target
/// above it, its stop below; a Sell the mirror).
fn read_brackets(params: &Fields, action: Action) -> Read<Vec<StrategyBracket>> {
    let list = match present(params, "brackets") {
        None => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(Answer::bad_request("`brackets` must be an array")),
    };
    let mut brackets = Vec::new();
    for item in list {
        let Value::Object(bracket) = item else {
            return Err(Answer::bad_request("each bracket must be an object"));
        };
        let qty = req_int(bracket, "qty")?;
        let profit_target = opt_num(bracket, "profitTarget")?;
        let stop_loss = opt_num(bracket, "stopLoss")?;
        if opt_bool(bracket, "trailingStop")? == Some(true) {
            return Err(strategy_error("Trailing stop brackets are not simulated"));
        }
        if qty <= 0 {
            return Err(strategy_error("A bracket's qty must be positive"));
        }
        let sign = action.sign() as f64;
        if profit_target.is_some_and(|target| target * sign <= 0.0) {
            return Err(strategy_error(format!(
                "profitTarget must be {} for a {}: it is a signed offset from the entry",
                if sign > 0.0 { "positive" } else { "negative" },
                action.as_str()
            )));
        }
        if stop_loss.is_some_and(|stop| stop * sign >= 0.0) {
            return Err(strategy_error(format!(
                "stopLoss must be {} for a {}: it is a signed offset from the entry",
                if sign > 0.0 { "negative" } else { "positive" },
                action.as_str()
            )));
        }
        brackets.push(StrategyBracket {
            qty,
            profit_target,
            stop_loss,
        });
    }
    Ok(brackets)
}

impl State {
    /// An order of a strategy filled: the entry creates the brackets' legs (answered, to be
    /// executed), a leg may finish the strategy.
    pub(crate) fn strategy_progress(
        &mut self,
        strategy_id: i64,
        order: &Order,
        price: f64,
    ) -> Vec<i64> {
        let Some(strategy) = self.strategies.get(&strategy_id).cloned() else {
            return Vec::new();
        };
        if strategy.entry_order_id != order.id {
            self.strategy_settle(strategy_id, order.id);
            return Vec::new();
        }
        let tick = self
            .catalog
            .contract(order.contract_id)
            .map(|contract| contract.root.tick_size)
            .unwrap_or(0.01);
        let unit = match self.config.strategy_offset_unit {
            OffsetUnit::Points => 1.0,
            OffsetUnit::Ticks => tick,
        };
        let origin = Origin {
            cl_ord_id: None,
            custom_tag50: strategy.custom_tag50.clone(),
            is_automated: strategy.is_automated,
            sender_id: strategy.sender_id,
            session_id: strategy.session_id,
        };
        let mut legs = Vec::new();
        for bracket in &strategy.brackets {
            let both = bracket.profit_target.is_some() && bracket.stop_loss.is_some();
            let oco_id = both.then(|| self.new_id());
            let leg = |kind, price: Option<f64>, stop_price: Option<f64>| NewOrder {
                account_id: order.account_id,
                contract_id: order.contract_id,
                action: order.action.opposite(),
                kind,
                qty: bracket.qty,
                price,
                stop_price,
                time_in_force: "GTC",
                text: None,
                status: OrdStatus::Working,
                parent_id: Some(order.id),
                oco_id,
                strategy_id: Some(strategy_id),
                origin: origin.clone(),
            };
            if let Some(target) = bracket.profit_target {
                let limit = round_to_tick(price + target * unit, tick);
                legs.push(self.submit(leg(Kind::Limit, Some(limit), None)));
            }
            if let Some(stop) = bracket.stop_loss {
                let trigger = round_to_tick(price + stop * unit, tick);
                legs.push(self.submit(leg(Kind::Stop, None, Some(trigger))));
            }
        }
        if let Some(strategy) = self.strategies.get_mut(&strategy_id) {
            strategy.leg_ids = legs.clone();
        }
        if legs.is_empty() {
            self.strategy_settle(strategy_id, order.id);
        }
        legs
    }

    /// Marks the strategy finished once its entry and legs are all done.
    pub(crate) fn strategy_settle(&mut self, strategy_id: i64, order_id: i64) {
        let Some(strategy) = self.strategies.get(&strategy_id) else {
            return;
        };
        let entry_done = self
            .orders
            .get(&strategy.entry_order_id)
            .is_none_or(|entry| !entry.status.is_live());
        let entry_filled = self
            .orders
            .get(&strategy.entry_order_id)
            .is_some_and(|entry| entry.status == OrdStatus::Filled);
        let legs_done = strategy
            .leg_ids
            .iter()
            .all(|leg| self.orders.get(leg).is_none_or(|o| !o.status.is_live()));
        if !entry_done || !legs_done || strategy.status != "ActiveStrategy" {
            return;
        }
        let status = if entry_filled || order_id != strategy.entry_order_id {
            "ExecutionFinished"
        } else {
            "StoppedByUser"
        };
        if let Some(strategy) = self.strategies.get_mut(&strategy_id) {
            strategy.status = status;
            let (account_id, entity) = (strategy.account_id, strategy.json());
            self.emit(account_id, "orderStrategy", "Updated", entity);
        }
    }
}
