//! The order routes: `/v5/order/create` validates against the instrument's filters and answers
//! only `{orderId, orderLinkId}` (what happens next is on the stream and in realtime),
//! `/v5/order/cancel` (an untriggered conditional order ends Deactivated), and
//! `/v5/order/realtime` (open orders, or any status when asked by id).

use serde_json::{Value, json};

use super::envelope::{Params, Reply, bad, bool_field, int_field, price_field, text_field};
use super::instruments::instrument;
use super::now_ms;
use super::numbers::{fmt_num, to_units};
use super::state::{Account, Config, Key, Order, OrderType, Prices, Side};

impl Account {
    pub(super) fn order_realtime(&self, params: &Params) -> Result<Value, Reply> {
        params.linear()?;
        let symbol = params.get("symbol");
        let by_id = params.get("orderId");
        let by_link = params.get("orderLinkId");
        let settle = params.get("settleCoin");
        let base = params.get("baseCoin");
        if by_id.is_none()
            && by_link.is_none()
            && symbol.is_none()
            && settle.is_none()
            && base.is_none()
        {
            return Err(bad("Symbol or settleCoin is required"));
        }
        let list: Vec<Value> = self
            .orders
            .iter()
            .rev()
            .filter(|o| symbol.is_none_or(|s| o.symbol == s))
            .filter(|o| by_id.is_none_or(|id| o.order_id == id))
            .filter(|o| by_link.is_none_or(|link| o.order_link_id == link))
            // Every linear symbol here settles in USDT.
            .filter(|_| settle.is_none_or(|coin| coin == "USDT"))
            .filter(|o| {
                base.is_none_or(|coin| instrument(&o.symbol).is_some_and(|i| i.base_coin == coin))
            })
            // Asked by id, any status; otherwise open orders only.
            .filter(|o| by_id.is_some() || by_link.is_some() || o.is_open())
            .map(Order::to_json)
            .collect();
        Ok(json!({"category": "linear", "list": list, "nextPageCursor": ""}))
    }

    pub(super) fn create_order(
        &mut self,
        body: &Value,
        key: &Key,
        prices: &Prices,
        config: Config,
    ) -> Result<Value, Reply> {
        if !key.can_trade() {
            return Err(Reply::err(
                10005,
                "Permission denied, please check your API key permissions.",
            ));
        }
        if text_field(body, "category")? != Some("linear") {
            return Err(bad(
                "params error: category invalid (the simulator serves linear only)",
            ));
        }
        let symbol = text_field(body, "symbol")?.unwrap_or_default();
        let instrument = instrument(symbol).ok_or_else(|| bad("params error: symbol invalid"))?;
        let side = match text_field(body, "side")? {
            Some("Buy") => Side::Buy,
            Some("Sell") => Side::Sell,
            _ => return Err(bad("params error: side invalid")),
        };
        let order_type = match text_field(body, "orderType")? {
            Some("Market") => OrderType::Market,
            Some("Limit") => OrderType::Limit,
            _ => return Err(bad("params error: orderType invalid")),
        };
        let reduce_only = bool_field(body, "reduceOnly")?;
        let close_on_trigger = bool_field(body, "closeOnTrigger")?;
        let qty = text_field(body, "qty")?
            .and_then(to_units)
            .ok_or_else(|| bad("Qty invalid"))?;
        // The built-in filters are decimals; were one not, every quantity would be refused.
        let step = to_units(instrument.qty_step).unwrap_or(i64::MAX);
        let max = to_units(match order_type {
            OrderType::Market => instrument.max_mkt_order_qty,
            OrderType::Limit => instrument.max_order_qty,
        })
        .unwrap_or(0);
        // qty "0" with reduceOnly and closeOnTrigger closes the whole position (Bybit's way to
        // flatten); any other quantity must be a positive multiple of the step.
        let flatten =
            qty == 0 && reduce_only && close_on_trigger && order_type == OrderType::Market;
        if !flatten && (qty <= 0 || qty % step != 0 || qty > max) {
            return Err(bad("Qty invalid"));
        }
        let price = price_field(body, "price")?;
        if order_type == OrderType::Limit && price.is_none() {
            return Err(bad("params error: price is required for a Limit order"));
        }
        let trigger_price = price_field(body, "triggerPrice")?;
        let trigger_direction =
            int_field(body, "triggerDirection", config.numeric_string_integers)?;
        let last = prices.last(symbol);
        if let Some(trigger) = trigger_price {
            // 110092/110093: Bybit's error codes for a trigger on the wrong side of the market.
            match trigger_direction {
                Some(1) if trigger <= last => {
                    return Err(Reply::err(
                        110092,
                        format!(
                            "expect Rising, but trigger_price[{}] <= current[{}]",
                            fmt_num(trigger),
                            fmt_num(last)
                        ),
                    ));
                }
                Some(2) if trigger >= last => {
                    return Err(Reply::err(
                        110093,
                        format!(
                            "expect Falling, but trigger_price[{}] >= current[{}]",
                            fmt_num(trigger),
                            fmt_num(last)
                        ),
                    ));
                }
                Some(1 | 2) => {}
                _ => return Err(bad("params error: triggerDirection invalid")),
            }
        }
        let take_profit = price_field(body, "takeProfit")?;
        let stop_loss = price_field(body, "stopLoss")?;
        match int_field(body, "positionIdx", config.numeric_string_integers)? {
            None | Some(0) => {}
            Some(1 | 2) => return Err(bad("position idx not match position mode")),
            Some(_) => return Err(bad("params error: positionIdx invalid")),
        }
        let time_in_force = match text_field(body, "timeInForce")? {
            None if order_type == OrderType::Market => "IOC",
            None => "GTC",
            Some(tif @ ("GTC" | "IOC" | "FOK" | "PostOnly" | "RPI")) => tif,
            Some(_) => return Err(bad("params error: timeInForce invalid")),
        };
        let order_link_id = text_field(body, "orderLinkId")?.unwrap_or_default();
        let link_ok = order_link_id.len() <= 36
            && order_link_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !link_ok {
            return Err(bad(
                "params error: orderLinkId invalid (at most 36 of A-Z a-z 0-9 - _)",
            ));
        }
        if !order_link_id.is_empty() && self.orders.iter().any(|o| o.order_link_id == order_link_id)
        {
            // 110072: Bybit's error code for a repeated orderLinkId (unique per account).
            return Err(Reply::err(110072, "OrderLinkedID is duplicate"));
        }
        let reducible = self.reducible(symbol, side);
        if reduce_only && reducible == 0 {
            return Err(Reply::err(
                110017,
                "Reduce-only order rejected: quantity truncated to zero, no position to reduce",
            ));
        }
        let now = now_ms();
        let order = Order {
            order_id: uuid::Uuid::new_v4().to_string(),
            order_link_id: order_link_id.to_owned(),
            symbol: symbol.to_owned(),
            side,
            order_type,
            price: if order_type == OrderType::Limit {
                price
            } else {
                None
            },
            qty: if flatten { reducible } else { qty },
            cum_exec_qty: 0,
            cum_exec_value: 0.0,
            cum_exec_fee: 0.0,
            status: if trigger_price.is_some() {
                "Untriggered"
            } else {
                "New"
            },
            reject_reason: "EC_NoError",
            trigger_price,
            trigger_direction: trigger_direction
                .filter(|_| trigger_price.is_some())
                .unwrap_or(0),
            take_profit,
            stop_loss,
            reduce_only,
            close_on_trigger,
            time_in_force: time_in_force.to_owned(),
            stop_order_type: "",
            created_ms: now,
            updated_ms: now,
        };
        let result = json!({"orderId": order.order_id, "orderLinkId": order.order_link_id});
        self.created += 1;
        self.place(order, prices);
        Ok(result)
    }

    pub(super) fn cancel_order(&mut self, body: &Value, key: &Key) -> Result<Value, Reply> {
        if !key.can_trade() {
            return Err(Reply::err(
                10005,
                "Permission denied, please check your API key permissions.",
            ));
        }
        if text_field(body, "category")? != Some("linear") {
            return Err(bad(
                "params error: category invalid (the simulator serves linear only)",
            ));
        }
        let symbol =
            text_field(body, "symbol")?.ok_or_else(|| bad("params error: symbol invalid"))?;
        let by_id = text_field(body, "orderId")?;
        let by_link = text_field(body, "orderLinkId")?;
        if by_id.is_none() && by_link.is_none() {
            return Err(bad("params error: orderId or orderLinkId is required"));
        }
        let idx = self
            .orders
            .iter()
            .position(|o| {
                o.symbol == symbol
                    && by_id.is_none_or(|id| o.order_id == id)
                    && by_link.is_none_or(|link| o.order_link_id == link)
                    && o.is_open()
            })
            .ok_or_else(|| Reply::err(110001, "order not exists or too late to cancel"))?;
        // A conditional order cancelled before it triggers ends Deactivated, not Cancelled.
        let status = if self.orders[idx].status == "Untriggered" {
            "Deactivated"
        } else {
            "Cancelled"
        };
        self.set_status(idx, status, "EC_NoError");
        let order = &self.orders[idx];
        Ok(json!({"orderId": order.order_id, "orderLinkId": order.order_link_id}))
    }
}
