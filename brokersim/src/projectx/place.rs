//! `Order/place` and its rules.
//!
//! Codes: 1 AccountNotFound (also another user's account), 8 ContractNotFound, 9
//! ContractNotActive (a well-formed id that is not the front month), 4 AccountViolation (the
//! account cannot trade), 2 OrderRejected for everything the rules forbid. A rule rejection
//! still creates a `Rejected` (5) order record and answers its `orderId`, and its `customTag`
//! stays used, as traders report; a reused tag is refused before any record exists.
//!
//! Brackets (`stopLossBracket` / `takeProfitBracket` `{ticks, type}`) need the account's Auto
//! OCO Brackets on; the stop-loss leg is type 4 (Stop), the take-profit leg type 1 (Limit);
//! ticks are at least 4 and, by default, signed from the entry (long: stop-loss below zero,
//! take-profit above; short: the mirror). `bracketSign` switches to positive distances or to
//! either form. The legs are created `Suspended` (8) and start working when the entry fills.

use chrono::Utc;
use serde_json::json;

use super::Sim;
use super::config::BracketSign;
use super::contracts::{self, Contract, Lookup};
use super::engine::{on_tick, price_of_ticks, ticks_of_price};
use super::state::{Leg, Order, State, kind, status};
use super::wire::{Answer, Fields, failure, success};

/// Placement refuses trailing distances above this many ticks.
const MAX_TRAIL_TICKS: f64 = 1000.0;
const MIN_BRACKET_TICKS: i64 = 4;

struct Bracket {
    ticks: i64,
    kind: i32,
}

struct Request {
    account_id: i64,
    contract_id: String,
    kind: i64,
    side: i64,
    size: i64,
    limit_price: Option<f64>,
    stop_price: Option<f64>,
    trail_price: Option<f64>,
    custom_tag: Option<String>,
    stop_loss: Option<Bracket>,
    take_profit: Option<Bracket>,
}

struct Refusal {
    code: i64,
    message: String,
    order_id: Option<i64>,
}

fn refuse(code: i64, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
        order_id: None,
    }
}

fn read_bracket(fields: &mut Fields, name: &str) -> Option<Bracket> {
    let mut nested = fields.opt_object(name)?;
    let ticks = nested.int("ticks");
    let bracket_kind = nested.int("type");
    fields.absorb(nested);
    Some(Bracket {
        ticks,
        kind: i32::try_from(bracket_kind).unwrap_or_default(),
    })
}

pub fn place(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let request = Request {
        account_id: fields.int("accountId"),
        contract_id: fields.opt_text("contractId").unwrap_or_default(),
        kind: fields.int("type"),
        side: fields.int("side"),
        size: fields.int("size"),
        limit_price: fields.opt_decimal("limitPrice"),
        stop_price: fields.opt_decimal("stopPrice"),
        trail_price: fields.opt_decimal("trailPrice"),
        custom_tag: fields.opt_text("customTag"),
        stop_loss: read_bracket(&mut fields, "stopLossBracket"),
        take_profit: read_bracket(&mut fields, "takeProfitBracket"),
    };
    // Read for its type only: the documented bracket fields replaced it.
    fields.opt_long("linkedOrderId");
    fields.finish()?;
    let mut state = sim.lock();
    Ok(match place_in(&mut state, user_id, request) {
        Ok(id) => success(json!({ "orderId": id })),
        Err(refusal) => failure(
            json!({ "orderId": refusal.order_id }),
            refusal.code,
            Some(refusal.message),
        ),
    })
}

fn place_in(state: &mut State, user_id: i64, request: Request) -> Result<i64, Refusal> {
    let account = state
        .account_of(user_id, request.account_id)
        .ok_or_else(|| refuse(1, format!("Account {} not found.", request.account_id)))?;
    let (can_trade, auto_oco) = (account.can_trade, account.auto_oco);
    let contract = match contracts::lookup(&request.contract_id, Utc::now().date_naive()) {
        Lookup::Active(contract) => contract,
        Lookup::Inactive(_) => return Err(refuse(9, "Contract is not active.")),
        Lookup::Unknown => return Err(refuse(8, "Contract not found.")),
    };
    if !can_trade {
        return Err(refuse(4, "Account is not permitted to trade."));
    }
    if let Some(tag) = &request.custom_tag
        && state.used_tags.contains(&(request.account_id, tag.clone()))
    {
        return Err(refuse(
            2,
            format!("Custom tag '{tag}' is already in use for this account."),
        ));
    }
    // Out-of-range enum values become an impossible one, which the rules then reject.
    let order_kind = i32::try_from(request.kind).unwrap_or(-1);
    let side = i32::try_from(request.side).unwrap_or(-1);
    let mut entry = state.build_order(
        request.account_id,
        &contract,
        order_kind,
        side,
        request.size,
    );
    entry.custom_tag = request.custom_tag.clone();
    if let Some(tag) = &request.custom_tag {
        state.used_tags.insert((request.account_id, tag.clone()));
    }
    let last = state.price(contract.product);
    let legs = price_entry(&mut entry, &request, last)
        .and_then(|()| bracket_offsets(state.config.bracket_sign, &entry, &request, auto_oco));
    let legs = match legs {
        Ok(legs) => legs,
        Err(message) => {
            entry.status = status::REJECTED;
            let id = entry.id;
            state.insert_order(entry);
            return Err(Refusal {
                code: 2,
                message,
                order_id: Some(id),
            });
        }
    };
    let entry_id = entry.id;
    let reference = entry.limit_price.or(entry.stop_price).unwrap_or(last);
    let leg_orders = build_legs(state, &contract, &entry, legs, reference);
    entry.legs = leg_orders.iter().map(|leg| leg.id).collect();
    state.insert_order(entry);
    for leg in leg_orders {
        state.insert_order(leg);
    }
    state.fill_if_marketable(entry_id);
    Ok(entry_id)
}

/// Checks type, side, size and prices, and sets the entry's working prices.
fn price_entry(entry: &mut Order, request: &Request, last: f64) -> Result<(), String> {
    let tick = entry.product.tick_size;
    if !matches!(
        entry.kind,
        kind::LIMIT
            | kind::MARKET
            | kind::STOP
            | kind::TRAILING_STOP
            | kind::JOIN_BID
            | kind::JOIN_ASK
    ) {
        return Err(format!("Invalid order type ({}).", kind::name(entry.kind)));
    }
    if !matches!(entry.side, 0 | 1) {
        return Err(format!("Invalid order side ({}).", request.side));
    }
    if entry.size <= 0 {
        return Err(format!(
            "Invalid order size ({}). Size must be greater than zero.",
            entry.size
        ));
    }
    let checked = |name: &str, price: Option<f64>| -> Result<f64, String> {
        let price = price.ok_or_else(|| format!("{name} is required for this order type."))?;
        if price <= 0.0 || !on_tick(price, tick) {
            return Err(format!(
                "Invalid {} ({price}). Price must be a multiple of the tick size ({tick}).",
                name.to_ascii_lowercase()
            ));
        }
        Ok(price)
    };
    let buy = entry.is_buy();
    let above_or_below = |price: f64| -> Result<(), String> {
        let wrong = if buy { price <= last } else { price >= last };
        if wrong {
            let place = if buy { "above" } else { "below" };
            return Err(format!(
                "Invalid stop price ({price}). The stop must be {place} the market ({last})."
            ));
        }
        Ok(())
    };
    match entry.kind {
        kind::LIMIT => entry.limit_price = Some(checked("Limit price", request.limit_price)?),
        kind::STOP => {
            let stop = checked("Stop price", request.stop_price)?;
            above_or_below(stop)?;
            entry.stop_price = Some(stop);
        }
        kind::TRAILING_STOP => {
            // On placement `trailPrice` is the absolute starting stop; the order then keeps
            // its distance from the market.
            let start = checked("Trail price", request.trail_price)?;
            above_or_below(start)?;
            let distance = (last - start).abs();
            if ticks_of_price(distance, tick) > MAX_TRAIL_TICKS {
                return Err(format!(
                    "Invalid trail price ({start}). The trail distance cannot exceed {MAX_TRAIL_TICKS} ticks."
                ));
            }
            entry.stop_price = Some(start);
            entry.trail_distance = Some(distance);
        }
        // The simulated book is one tick wide around the last price.
        kind::JOIN_BID => entry.limit_price = Some(last - tick),
        kind::JOIN_ASK => entry.limit_price = Some(last + tick),
        _ => {}
    }
    Ok(())
}

/// The legs' signed tick offsets from the entry: (stop-loss, take-profit).
fn bracket_offsets(
    sign: BracketSign,
    entry: &Order,
    request: &Request,
    auto_oco: bool,
) -> Result<(Option<i64>, Option<i64>), String> {
    if request.stop_loss.is_none() && request.take_profit.is_none() {
        return Ok((None, None));
    }
    if !auto_oco {
        return Err("Brackets cannot be used with Position Brackets".to_owned());
    }
    let long = entry.is_buy();
    let leg = |bracket: &Option<Bracket>,
               label: &str,
               wanted: i32,
               away: i64|
     -> Result<Option<i64>, String> {
        let Some(bracket) = bracket else {
            return Ok(None);
        };
        if bracket.kind != wanted {
            return Err(format!(
                "Invalid {label} type ({}).",
                kind::name(bracket.kind)
            ));
        }
        let ticks = bracket.ticks;
        let (direction, when) = if long {
            (away, "longing")
        } else {
            (-away, "shorting")
        };
        let offset = match sign {
            BracketSign::Signed if ticks.signum() != direction => {
                let should = if direction < 0 {
                    "less than"
                } else {
                    "greater than"
                };
                return Err(format!(
                    "Invalid {label} ticks ({ticks}). Ticks should be {should} zero when {when}."
                ));
            }
            BracketSign::Positive if ticks <= 0 => {
                return Err(format!(
                    "Invalid {label} ticks ({ticks}). Ticks should be greater than zero."
                ));
            }
            BracketSign::Signed => ticks,
            BracketSign::Positive | BracketSign::Either => ticks.abs() * direction,
        };
        if offset.abs() < MIN_BRACKET_TICKS {
            let title = capitalised(label);
            return Err(format!(
                "{title} tick value should be at least {MIN_BRACKET_TICKS} ticks."
            ));
        }
        Ok(Some(offset))
    };
    // A long's stop-loss sits below the entry (-1), its take-profit above (+1).
    let stop_loss = leg(&request.stop_loss, "stop loss", kind::STOP, -1)?;
    let take_profit = leg(&request.take_profit, "take profit", kind::LIMIT, 1)?;
    Ok((stop_loss, take_profit))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The suspended legs, priced provisionally from the entry's reference price.
fn build_legs(
    state: &mut State,
    contract: &Contract,
    entry: &Order,
    (stop_loss, take_profit): (Option<i64>, Option<i64>),
    reference: f64,
) -> Vec<Order> {
    let exit_side = 1 - entry.side;
    let tick = contract.product.tick_size;
    let base = ticks_of_price(reference, tick).round() as i64;
    let mut legs: Vec<Order> = [(stop_loss, kind::STOP), (take_profit, kind::LIMIT)]
        .into_iter()
        .filter_map(|(offset, leg_kind)| {
            let offset = offset?;
            let mut leg =
                state.build_order(entry.account_id, contract, leg_kind, exit_side, entry.size);
            leg.status = status::SUSPENDED;
            let price = Some(price_of_ticks(base + offset, tick));
            if leg_kind == kind::LIMIT {
                leg.limit_price = price;
            } else {
                leg.stop_price = price;
            }
            leg.leg = Some(Leg {
                sibling: None,
                offset_ticks: offset,
            });
            Some(leg)
        })
        .collect();
    if let [first, second] = legs.as_mut_slice() {
        let (first_id, second_id) = (first.id, second.id);
        if let Some(leg) = first.leg.as_mut() {
            leg.sibling = Some(second_id);
        }
        if let Some(leg) = second.leg.as_mut() {
            leg.sibling = Some(first_id);
        }
    }
    legs
}
