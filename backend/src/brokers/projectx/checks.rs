//! An order checked before anything is sent, and turned into the body of `Order/place`
//! (without account and tag): whole contract counts, prices on the tick, no stop-limit (type 3
//! is not offered), and brackets as ticks from the entry ([`Exit::signed_ticks`]), on the
//! right side of it and at least 4 ticks away. The stop-loss leg is a Stop (4), the
//! take-profit leg a Limit (1); ticks are signed from the entry unless the setting says the
//! venue wants positive distances.

use serde_json::{Value, json};

use super::BracketSign;
use crate::brokers::{BrokerError, Exit, Instrument, OrderRequest, OrderType, Side};

const MIN_BRACKET_TICKS: i64 = 4;

pub fn refuse(message: impl Into<String>) -> BrokerError {
    BrokerError::Rejected(message.into())
}

/// How many decimals a tick size has (`0.25` → 2), to print prices without float noise.
fn decimals(tick: f64) -> usize {
    let text = format!("{tick}");
    text.split_once('.')
        .map_or(0, |(_, fraction)| fraction.len())
}

/// The price, if it lies on the tick, as the tick's multiple.
fn on_tick(price: f64, tick: f64, what: &str) -> Result<f64, BrokerError> {
    let ticks = price / tick;
    if !(price.is_finite() && price > 0.0) || (ticks - ticks.round()).abs() > 1e-6 {
        return Err(refuse(format!(
            "the {what} {price} is not a multiple of the tick size {tick}"
        )));
    }
    let places = decimals(tick);
    format!("{:.places$}", ticks.round() * tick)
        .parse()
        .map_err(|_| refuse(format!("the {what} {price} cannot be sent")))
}

/// One bracket leg as `{ticks, type}`: the stop-loss a Stop (4), the take-profit a Limit (1).
fn bracket(
    exit: Exit,
    entry: Option<f64>,
    side: Side,
    tick: f64,
    profit: bool,
    sign: BracketSign,
) -> Result<Value, BrokerError> {
    let label = if profit { "take-profit" } else { "stop-loss" };
    if !exit.is_valid() {
        return Err(refuse(format!("the {label} must be a positive number")));
    }
    let ticks = exit
        .signed_ticks(entry, side, tick, profit)
        .ok_or_else(|| {
            refuse(format!(
                "TopstepX takes the {label} in ticks from the entry: a price or percent needs the order's price"
            ))
        })?;
    // A long's take-profit lies above the entry and its stop-loss below; a short's the mirror.
    let wanted = if (side == Side::Buy) == profit { 1 } else { -1 };
    if ticks.signum() != wanted {
        return Err(refuse(format!(
            "the {label} lies on the wrong side of the entry ({ticks} ticks)"
        )));
    }
    if ticks.abs() < MIN_BRACKET_TICKS {
        return Err(refuse(format!(
            "TopstepX needs the {label} at least {MIN_BRACKET_TICKS} ticks from the entry ({} given)",
            ticks.abs()
        )));
    }
    let ticks = match sign {
        BracketSign::Signed => ticks,
        BracketSign::Positive => ticks.abs(),
    };
    Ok(json!({ "ticks": ticks, "type": if profit { 1 } else { 4 } }))
}

/// The body of `Order/place` without account and tag, and the prices as sent.
pub struct Checked {
    pub body: Value,
    pub limit_price: Option<f64>,
    pub stop_price: Option<f64>,
}

pub fn check(
    order: &OrderRequest,
    instrument: &Instrument,
    sign: BracketSign,
) -> Result<Checked, BrokerError> {
    let tick = instrument.tick_size;
    let size = order.quantity;
    if !(size.is_finite() && size >= 1.0 && size.fract() == 0.0 && size <= f64::from(i32::MAX)) {
        return Err(refuse(format!(
            "TopstepX trades whole contracts; {size} is not one"
        )));
    }
    let (kind, limit_price, stop_price) = match order.order_type {
        OrderType::Market => (2, None, None),
        OrderType::Limit => {
            let price = order
                .limit_price
                .ok_or_else(|| refuse("a limit order needs a limit price"))?;
            (1, Some(on_tick(price, tick, "limit price")?), None)
        }
        OrderType::Stop => {
            let price = order
                .stop_price
                .ok_or_else(|| refuse("a stop order needs a stop price"))?;
            (4, None, Some(on_tick(price, tick, "stop price")?))
        }
        OrderType::StopLimit => {
            return Err(refuse(
                "TopstepX takes no stop-limit orders through its API",
            ));
        }
    };
    let mut body = json!({
        "contractId": instrument.symbol,
        "type": kind,
        "side": if order.side == Side::Buy { 0 } else { 1 },
        "size": size as i64,
    });
    if let Some(price) = limit_price {
        body["limitPrice"] = json!(price);
    }
    if let Some(price) = stop_price {
        body["stopPrice"] = json!(price);
    }
    // Distances are measured by the venue from the entry's fill; a price is turned into ticks
    // from where the entry is expected to fill.
    let entry = limit_price.or(stop_price).or(order.reference_price);
    if let Some(exit) = order.stop_loss {
        body["stopLossBracket"] = bracket(exit, entry, order.side, tick, false, sign)?;
    }
    if let Some(exit) = order.take_profit {
        body["takeProfitBracket"] = bracket(exit, entry, order.side, tick, true, sign)?;
    }
    Ok(Checked {
        body,
        limit_price,
        stop_price,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn es() -> Instrument {
        Instrument {
            symbol: "CON.F.US.EP.Z26".into(),
            tick_size: 0.25,
            lot_size: 1.0,
            multiplier: 50.0,
        }
    }

    fn market(side: Side) -> OrderRequest {
        OrderRequest {
            client_order_id: "ct1".into(),
            symbol: "ES".into(),
            side,
            order_type: OrderType::Market,
            quantity: 2.0,
            limit_price: None,
            stop_price: None,
            take_profit: Some(Exit::Ticks { ticks: 16.0 }),
            stop_loss: Some(Exit::Ticks { ticks: 8.0 }),
            reference_price: Some(6000.0),
        }
    }

    #[test]
    fn brackets_are_signed_from_the_entry() {
        let long = check(&market(Side::Buy), &es(), BracketSign::Signed).expect("a long");
        assert_eq!(
            long.body["stopLossBracket"],
            json!({"ticks": -8, "type": 4})
        );
        assert_eq!(
            long.body["takeProfitBracket"],
            json!({"ticks": 16, "type": 1})
        );
        assert_eq!(
            (long.body["type"].clone(), long.body["side"].clone()),
            (json!(2), json!(0))
        );
        let short = check(&market(Side::Sell), &es(), BracketSign::Signed).expect("a short");
        assert_eq!(short.body["stopLossBracket"]["ticks"], 8);
        assert_eq!(short.body["takeProfitBracket"]["ticks"], -16);
        let positive = check(&market(Side::Sell), &es(), BracketSign::Positive).expect("a short");
        assert_eq!(positive.body["takeProfitBracket"]["ticks"], 16);
    }

    #[test]
    fn brackets_on_the_wrong_side_or_too_close_are_refused_before_sending() {
        let mut wrong = market(Side::Buy);
        // A take-profit price below a long's entry.
        wrong.take_profit = Some(Exit::Price(5990.0));
        assert!(
            matches!(check(&wrong, &es(), BracketSign::Signed), Err(BrokerError::Rejected(m)) if m.contains("wrong side"))
        );
        let mut close = market(Side::Buy);
        close.stop_loss = Some(Exit::Ticks { ticks: 3.0 });
        assert!(
            matches!(check(&close, &es(), BracketSign::Signed), Err(BrokerError::Rejected(m)) if m.contains("at least 4"))
        );
        let mut no_price = market(Side::Buy);
        no_price.reference_price = None;
        no_price.take_profit = Some(Exit::Percent { percent: 1.0 });
        assert!(check(&no_price, &es(), BracketSign::Signed).is_err());
    }

    #[test]
    fn orders_are_checked_before_sending() {
        let mut half = market(Side::Buy);
        half.quantity = 1.5;
        assert!(check(&half, &es(), BracketSign::Signed).is_err());
        let mut stop_limit = market(Side::Buy);
        stop_limit.order_type = OrderType::StopLimit;
        assert!(check(&stop_limit, &es(), BracketSign::Signed).is_err());
        let mut limit = market(Side::Buy);
        limit.order_type = OrderType::Limit;
        limit.limit_price = Some(5999.1);
        assert!(check(&limit, &es(), BracketSign::Signed).is_err());
        limit.limit_price = Some(0.1 + 5999.15);
        let sent = check(&limit, &es(), BracketSign::Signed).expect("on the tick");
        assert_eq!(sent.body["limitPrice"], json!(5999.25));
        assert_eq!(sent.body["type"], 1);
    }
}
