//! Placing orders. Every order says `isAutomated: true` (Tradovate requires it of orders no
//! human placed) and carries our client order id as `clOrdId`.
//!
//! - No exits: `order/placeorder`.
//! - Exits given as prices: one `order/placeoso`, the take-profit an opposite Limit
//!   (`bracket1`), the stop-loss an opposite Stop with `stopPrice` (`bracket2`); Tradovate holds
//!   them until the entry fills.
//! - Any exit given as a distance (ticks, percent): `orderStrategy/startorderstrategy` with the
//!   built-in bracket strategy (type 2), whose `profitTarget`/`stopLoss` are offsets signed from
//!   the entry's actual fill. Chosen over "place the entry, wait for its fill, then place an OCO
//!   pair" because Tradovate places the legs itself when the entry fills: a resting entry needs
//!   no watcher, a restart of ours or a lost answer (found again by `clOrdId`, never resent)
//!   cannot leave a filled entry without its exits, and no moment passes with the position
//!   unprotected. The offsets' unit is unverified, hence [`BracketUnit`] (points by default).
//!   A percent (or a price next to a distance) is turned into an offset from the expected
//!   entry: the limit or stop price, else the signal's price.
//!
//! Tradovate does not refuse a repeated `clOrdId`, so a client order id this adapter already
//! placed is answered with that order instead of being sent again.

use std::sync::Arc;

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::parse::{action_name, id};
use super::rest::{Effect, refusal};
use super::{Account, BracketUnit, Inner};
use crate::brokers::{BrokerError, Exit, OrderRequest, OrderState, OrderStatus, OrderType, Side};

/// The built-in bracket strategy's type id.
const BRACKET_STRATEGY: i64 = 2;

fn rejected(words: impl Into<String>) -> BrokerError {
    BrokerError::Rejected(words.into())
}

/// Tradovate trades whole contracts.
fn whole_quantity(quantity: f64) -> Result<i64, BrokerError> {
    if quantity.is_finite() && quantity >= 1.0 && quantity.fract() == 0.0 && quantity < 1e9 {
        Ok(quantity as i64)
    } else {
        Err(rejected(format!(
            "Tradovate trades whole contracts: {quantity} is not a whole number of at least 1"
        )))
    }
}

fn positive(price: Option<f64>, what: &str) -> Result<f64, BrokerError> {
    price
        .filter(|p| p.is_finite() && *p > 0.0)
        .ok_or_else(|| rejected(format!("this order needs a positive {what}")))
}

/// `orderType`, `price`, `stopPrice` and `timeInForce` of the entry.
fn entry_version(order: &OrderRequest, quantity: i64) -> Result<Map<String, Value>, BrokerError> {
    let mut fields = Map::new();
    fields.insert("orderQty".into(), json!(quantity));
    let kind = match order.order_type {
        OrderType::Market => "Market",
        OrderType::Limit => "Limit",
        OrderType::Stop => "Stop",
        OrderType::StopLimit => "StopLimit",
    };
    fields.insert("orderType".into(), json!(kind));
    if matches!(order.order_type, OrderType::Limit | OrderType::StopLimit) {
        fields.insert(
            "price".into(),
            json!(positive(order.limit_price, "limit price")?),
        );
    }
    if matches!(order.order_type, OrderType::Stop | OrderType::StopLimit) {
        fields.insert(
            "stopPrice".into(),
            json!(positive(order.stop_price, "stop price")?),
        );
    }
    fields.insert("timeInForce".into(), json!("Day"));
    Ok(fields)
}

/// Where the entry is expected to fill: its limit or stop, else the signal's price.
fn expected_entry(order: &OrderRequest) -> Option<f64> {
    order
        .limit_price
        .or(order.stop_price)
        .or(order.reference_price)
        .filter(|p| p.is_finite() && *p > 0.0)
}

/// Refuses an exit price on the wrong side of the expected entry (it would fill at once).
fn check_side(price: f64, entry: Option<f64>, side: Side, profit: bool) -> Result<(), BrokerError> {
    let Some(entry) = entry else { return Ok(()) };
    let favour = (price - entry) * side.sign();
    let what = if profit { "take-profit" } else { "stop-loss" };
    if (profit && favour <= 0.0) || (!profit && favour >= 0.0) {
        return Err(rejected(format!(
            "the {what} {price} is on the wrong side of the entry {entry} for a {}",
            side.as_str().to_ascii_lowercase()
        )));
    }
    Ok(())
}

/// A bracket offset for an order strategy: signed from the entry (a buy's target above it, its
/// stop below), in `unit`.
fn offset(
    exit: Exit,
    entry: Option<f64>,
    side: Side,
    tick: f64,
    profit: bool,
    unit: BracketUnit,
) -> Result<f64, BrokerError> {
    let what = if profit { "take-profit" } else { "stop-loss" };
    let ticks = exit.signed_ticks(entry, side, tick, profit).ok_or_else(|| {
        rejected(format!(
            "the {what} is not a distance in ticks and the order has no price to measure it from"
        ))
    })?;
    let favour = ticks as f64 * side.sign();
    if (profit && favour <= 0.0) || (!profit && favour >= 0.0) {
        return Err(rejected(format!(
            "the {what} must lie at least one tick {} the entry",
            if profit == (side == Side::Buy) {
                "above"
            } else {
                "below"
            }
        )));
    }
    Ok(match unit {
        BracketUnit::Ticks => ticks as f64,
        // Printed short: 0.15, not 0.15000000000000002.
        BracketUnit::Points => (ticks as f64 * tick * 1e9).round() / 1e9,
    })
}

fn exit_leg(side: Side, price: f64, profit: bool, client_order_id: &str) -> Value {
    let opposite = action_name(side.opposite());
    if profit {
        json!({ "action": opposite, "orderType": "Limit", "price": price,
            "timeInForce": "GTC", "clOrdId": format!("{client_order_id}:tp") })
    } else {
        json!({ "action": opposite, "orderType": "Stop", "stopPrice": price,
            "timeInForce": "GTC", "clOrdId": format!("{client_order_id}:sl") })
    }
}

/// How an order goes out.
enum Plan {
    Plain,
    /// Exit prices: `(take-profit, stop-loss)`.
    Oso(Option<f64>, Option<f64>),
    /// At least one distance: strategy offsets `(profitTarget, stopLoss)`.
    Strategy(Option<f64>, Option<f64>),
}

fn plan(order: &OrderRequest, tick: f64, unit: BracketUnit) -> Result<Plan, BrokerError> {
    let exits = [(order.take_profit, true), (order.stop_loss, false)];
    if exits.iter().all(|(exit, _)| exit.is_none()) {
        return Ok(Plan::Plain);
    }
    for (exit, profit) in exits {
        if exit.is_some_and(|e| !e.is_valid()) {
            let what = if profit { "take-profit" } else { "stop-loss" };
            return Err(rejected(format!("the {what} must be a positive number")));
        }
    }
    let entry = expected_entry(order);
    if exits
        .iter()
        .all(|(exit, _)| exit.is_none_or(|e| e.as_price().is_some()))
    {
        let mut prices = [None, None];
        for (slot, (exit, profit)) in prices.iter_mut().zip(exits) {
            if let Some(price) = exit.and_then(Exit::as_price) {
                check_side(price, entry, order.side, profit)?;
                *slot = Some(price);
            }
        }
        return Ok(Plan::Oso(prices[0], prices[1]));
    }
    let mut offsets = [None, None];
    for (slot, (exit, profit)) in offsets.iter_mut().zip(exits) {
        if let Some(exit) = exit {
            *slot = Some(offset(exit, entry, order.side, tick, profit, unit)?);
        }
    }
    Ok(Plan::Strategy(offsets[0], offsets[1]))
}

impl Inner {
    pub(super) async fn place(
        self: &Arc<Self>,
        account: &Account,
        order: &OrderRequest,
    ) -> Result<OrderState, BrokerError> {
        let client_id = order.client_order_id.as_str();
        if client_id.trim().is_empty() {
            return Err(rejected("an order needs a client order id"));
        }
        if let Some(order_id) = self.book.order_of_client(client_id)
            && let Some(state) = self.state_of(order_id, account, Some(client_id)).await?
        {
            return Ok(state);
        }
        let quantity = whole_quantity(order.quantity)?;
        let resolved = self.resolve(&order.symbol).await?;
        let contract = resolved.instrument.symbol.clone();
        let version = entry_version(order, quantity)?;
        let mut body = json!({
            "accountSpec": account.name,
            "accountId": account.id,
            "action": action_name(order.side),
            "symbol": contract,
            "isAutomated": true,
            "clOrdId": client_id,
        });
        let plan = plan(
            order,
            resolved.instrument.tick_size,
            self.settings.bracket_unit,
        )?;
        let path = match plan {
            Plan::Plain | Plan::Oso(..) => {
                if let Some(fields) = body.as_object_mut() {
                    fields.extend(version);
                }
                if let Plan::Oso(take_profit, stop_loss) = plan {
                    let legs: Vec<Value> = [(take_profit, true), (stop_loss, false)]
                        .into_iter()
                        .filter_map(|(price, profit)| {
                            Some(exit_leg(order.side, price?, profit, client_id))
                        })
                        .collect();
                    for (name, leg) in ["bracket1", "bracket2"].into_iter().zip(legs) {
                        body[name] = leg;
                    }
                    "order/placeoso"
                } else {
                    "order/placeorder"
                }
            }
            Plan::Strategy(profit_target, stop_loss) => {
                let mut bracket = json!({ "qty": quantity, "trailingStop": false });
                if let Some(target) = profit_target {
                    bracket["profitTarget"] = json!(target);
                }
                if let Some(stop) = stop_loss {
                    bracket["stopLoss"] = json!(stop);
                }
                let params = json!({ "entryVersion": version, "brackets": [bracket] });
                body["orderStrategyTypeId"] = json!(BRACKET_STRATEGY);
                body["params"] = json!(params.to_string());
                body["uuid"] = json!(uuid::Uuid::new_v4().to_string());
                "orderStrategy/startorderstrategy"
            }
        };
        let answer = self.post(path, &body, Effect::Changes).await?;
        if let Some(words) = refusal(&answer) {
            return Err(rejected(words));
        }
        let order_id = if path == "orderStrategy/startorderstrategy" {
            let strategy = &answer["orderStrategy"];
            let strategy_id = id(&strategy["id"], "orderStrategy id").map_err(|_| {
                BrokerError::UnknownOutcome("Tradovate's answer named no order strategy".into())
            })?;
            match self.find(account, client_id).await? {
                Some(state) => return Ok(state),
                None => {
                    // Started, but its entry is not listed under our id: never start it twice.
                    tracing::warn!(
                        strategy_id,
                        client_id,
                        "Tradovate started the bracket strategy but its entry is not found by clOrdId"
                    );
                    return Ok(self.placed_state(
                        format!("strategy-{strategy_id}"),
                        account,
                        order,
                        &contract,
                    ));
                }
            }
        } else {
            id(&answer["orderId"], "orderId").map_err(|_| {
                BrokerError::UnknownOutcome("Tradovate's answer carried no order id".into())
            })?
        };
        self.book.note_client_id(order_id, client_id);
        // `bracket1` is the take-profit when there is one, else the stop-loss.
        let first = if order.take_profit.is_some() {
            "tp"
        } else {
            "sl"
        };
        for (leg, suffix) in [("oso1Id", first), ("oso2Id", "sl")] {
            if let Some(leg_id) = answer[leg].as_i64() {
                self.book
                    .note_client_id(leg_id, &format!("{client_id}:{suffix}"));
            }
        }
        Ok(self.placed_state(order_id.to_string(), account, order, &contract))
    }

    /// The state of an order just accepted, as sent.
    fn placed_state(
        &self,
        order_id: String,
        account: &Account,
        order: &OrderRequest,
        contract: &str,
    ) -> OrderState {
        let limit = matches!(order.order_type, OrderType::Limit | OrderType::StopLimit);
        let stop = matches!(order.order_type, OrderType::Stop | OrderType::StopLimit);
        OrderState {
            order_id,
            client_order_id: order.client_order_id.clone(),
            account: account.id.to_string(),
            symbol: contract.to_owned(),
            side: order.side,
            order_type: order.order_type,
            quantity: order.quantity,
            limit_price: order.limit_price.filter(|_| limit),
            stop_price: order.stop_price.filter(|_| stop),
            status: OrderStatus::Working,
            filled_quantity: 0.0,
            average_price: None,
            updated_at: Utc::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(order_type: OrderType) -> OrderRequest {
        OrderRequest {
            client_order_id: "ct1".into(),
            symbol: "ES".into(),
            side: Side::Buy,
            order_type,
            quantity: 2.0,
            limit_price: None,
            stop_price: None,
            take_profit: None,
            stop_loss: None,
            reference_price: None,
        }
    }

    #[test]
    fn fractional_quantities_are_refused() {
        assert_eq!(whole_quantity(3.0).unwrap(), 3);
        for odd in [0.5, 1.5, 0.0, -1.0, f64::NAN] {
            assert!(
                matches!(whole_quantity(odd), Err(BrokerError::Rejected(_))),
                "{odd}"
            );
        }
    }

    #[test]
    fn prices_go_in_one_oso_and_distances_in_a_strategy() {
        let mut order = request(OrderType::Limit);
        order.limit_price = Some(6000.0);
        order.take_profit = Some(Exit::Price(6010.0));
        order.stop_loss = Some(Exit::Price(5990.0));
        assert!(matches!(
            plan(&order, 0.25, BracketUnit::Points).unwrap(),
            Plan::Oso(Some(6010.0), Some(5990.0))
        ));
        order.take_profit = Some(Exit::Price(5995.0));
        assert!(
            plan(&order, 0.25, BracketUnit::Points).is_err(),
            "a take-profit below a buy"
        );

        let mut order = request(OrderType::Market);
        order.take_profit = Some(Exit::Ticks { ticks: 8.0 });
        order.stop_loss = Some(Exit::Ticks { ticks: 4.0 });
        assert!(matches!(
            plan(&order, 0.25, BracketUnit::Points).unwrap(),
            Plan::Strategy(Some(2.0), Some(-1.0))
        ));
        assert!(matches!(
            plan(&order, 0.25, BracketUnit::Ticks).unwrap(),
            Plan::Strategy(Some(8.0), Some(-4.0))
        ));
        order.side = Side::Sell;
        assert!(matches!(
            plan(&order, 0.01, BracketUnit::Points).unwrap(),
            Plan::Strategy(Some(t), Some(s)) if t == -0.08 && s == 0.04
        ));
        // A percent needs a price to measure from.
        order.take_profit = Some(Exit::Percent { percent: 1.0 });
        assert!(plan(&order, 0.25, BracketUnit::Points).is_err());
        order.reference_price = Some(6000.0);
        assert!(matches!(
            plan(&order, 0.25, BracketUnit::Points).unwrap(),
            Plan::Strategy(Some(t), _) if t == -60.0
        ));
    }

    #[test]
    fn entries_carry_the_prices_their_type_needs() {
        let mut order = request(OrderType::StopLimit);
        assert!(entry_version(&order, 1).is_err());
        order.limit_price = Some(6001.0);
        order.stop_price = Some(6000.0);
        let version = entry_version(&order, 1).unwrap();
        assert_eq!(
            (version["price"].clone(), version["stopPrice"].clone()),
            (json!(6001.0), json!(6000.0))
        );
        let market = entry_version(&request(OrderType::Market), 1).unwrap();
        assert!(market.get("price").is_none() && market.get("stopPrice").is_none());
    }
}
