//! The matching engine: a placed or triggered order takes liquidity at the last price; a price
//! move triggers conditional orders, fills resting Limit orders it crosses at their own price
//! and closes positions whose take-profit or stop-loss it reaches, in every account. Each fill
//! is kept for `/v5/execution/list` and pushes the execution, the order and the position.

use serde_json::json;

use super::now_ms;
use super::numbers::{fmt_num, fmt_opt, fmt_units, units_f64};
use super::state::{Account, Execution, Order, OrderType, Prices, Side, State};

const TAKER_FEE_RATE: f64 = 0.00055;
const MAKER_FEE_RATE: f64 = 0.0002;

impl Account {
    /// Books a new order and lets it run: pushed as New (or Untriggered), then matched.
    pub(super) fn place(&mut self, order: Order, prices: &Prices) -> usize {
        self.orders.push(order);
        let idx = self.orders.len() - 1;
        self.push_order(idx);
        self.work(idx, true, prices);
        idx
    }

    /// Triggers, fills or cancels an open order against the last price. `fresh` (just placed
    /// or just triggered) orders take liquidity at the last price; resting Limit orders that a
    /// price move crosses fill at their own price.
    fn work(&mut self, idx: usize, fresh: bool, prices: &Prices) {
        let last = prices.last(&self.orders[idx].symbol);
        let mut taker = fresh;
        if self.orders[idx].status == "Untriggered" {
            let order = &self.orders[idx];
            let trigger = order.trigger_price.unwrap_or(last);
            let hit = match order.trigger_direction {
                1 => last >= trigger,
                _ => last <= trigger,
            };
            if !hit {
                return;
            }
            self.set_status(idx, "Triggered", "EC_NoError");
            self.set_status(idx, "New", "EC_NoError");
            taker = true;
        }
        let order = &self.orders[idx];
        if !matches!(order.status, "New" | "PartiallyFilled") {
            return;
        }
        match order.order_type {
            OrderType::Market => self.fill(idx, last, false, prices),
            OrderType::Limit => {
                let price = order.price.unwrap_or(last);
                let crosses = match order.side {
                    Side::Buy => price >= last,
                    Side::Sell => price <= last,
                };
                let tif = order.time_in_force.as_str();
                if crosses && taker && tif == "PostOnly" {
                    self.set_status(idx, "Cancelled", "EC_PostOnlyWillTakeLiquidity");
                } else if crosses {
                    self.fill(idx, if taker { last } else { price }, !taker, prices);
                } else if taker && matches!(tif, "IOC" | "FOK") {
                    self.set_status(idx, "Cancelled", "EC_NoImmediateQtyToFill");
                }
            }
        }
    }

    /// Fills what is left of an order at `price`: pushes the execution, the Filled order and
    /// the position. A reduce-only order shrinks to the position it can still reduce.
    fn fill(&mut self, idx: usize, price: f64, maker: bool, prices: &Prices) {
        let order = &self.orders[idx];
        let (symbol, side, reduce_only) = (order.symbol.clone(), order.side, order.reduce_only);
        let leaves = order.leaves_qty();
        let reducible = self.reducible(&symbol, side);
        let qty = if reduce_only {
            leaves.min(reducible)
        } else {
            leaves
        };
        if qty <= 0 {
            self.set_status(idx, "Cancelled", "EC_NoError");
            return;
        }
        let value = price * units_f64(qty);
        let fee = value
            * if maker {
                MAKER_FEE_RATE
            } else {
                TAKER_FEE_RATE
            };
        let now = now_ms();
        let order = &mut self.orders[idx];
        order.qty -= leaves - qty;
        order.cum_exec_qty += qty;
        order.cum_exec_value += value;
        order.cum_exec_fee += fee;
        order.status = "Filled";
        order.updated_ms = now;
        let execution = json!({
            "category": "linear", "symbol": symbol, "orderId": order.order_id,
            "orderLinkId": order.order_link_id, "side": side.as_str(),
            "execId": uuid::Uuid::new_v4().to_string(), "execPrice": fmt_num(price),
            "execQty": fmt_units(qty), "execValue": fmt_num(value), "execFee": fmt_num(fee),
            "feeRate": fmt_num(if maker { MAKER_FEE_RATE } else { TAKER_FEE_RATE }),
            "execType": "Trade", "execTime": now.to_string(), "isMaker": maker,
            "orderType": order.order_type.as_str(), "orderPrice": fmt_opt(order.price, "0"),
            "orderQty": fmt_units(order.qty), "leavesQty": "0",
            "closedSize": fmt_units(reducible.min(qty)), "markPrice": fmt_num(price),
            "stopOrderType": order.stop_order_type, "blockTradeId": "", "seq": now,
            "createType": match order.stop_order_type {
                "TakeProfit" => "CreateByTakeProfit",
                "StopLoss" => "CreateByStopLoss",
                _ => "CreateByUser",
            },
            "feeCurrency": "", "indexPrice": "", "underlyingPrice": "", "tradeIv": "", "markIv": "",
        });
        let (take_profit, stop_loss) = if reduce_only {
            (None, None)
        } else {
            (order.take_profit, order.stop_loss)
        };
        let seq = self.executions.last().map_or(1, |e| e.seq + 1);
        self.executions.push(Execution {
            seq,
            time_ms: now,
            data: execution.clone(),
        });
        self.push("execution", execution);
        self.apply_fill(&symbol, side.sign() * qty, price, take_profit, stop_loss);
        self.push_order(idx);
        let mut position = self.position_json(&symbol, prices);
        if let Some(entry) = position.as_object_mut() {
            // The stream names the average price entryPrice.
            let avg = entry.remove("avgPrice").unwrap_or_default();
            entry.insert("entryPrice".to_owned(), avg);
            entry.insert("category".to_owned(), json!("linear"));
        }
        self.push("position", position);
    }

    /// Works this account's open orders on `symbol` after a price move, then its position's
    /// take-profit and stop-loss.
    fn on_price(&mut self, symbol: &str, prices: &Prices) {
        let open: Vec<usize> = (0..self.orders.len())
            .filter(|&i| self.orders[i].symbol == symbol && self.orders[i].is_open())
            .collect();
        for idx in open {
            self.work(idx, false, prices);
        }
        self.check_take_profit_stop_loss(symbol, prices);
    }

    /// Closes the position with a market order of the venue's own when the last price reaches
    /// its take-profit or stop-loss.
    fn check_take_profit_stop_loss(&mut self, symbol: &str, prices: &Prices) {
        let last = prices.last(symbol);
        let Some(pos) = self.positions.get(symbol).filter(|p| p.size != 0) else {
            return;
        };
        let long = pos.size > 0;
        let tp = pos
            .take_profit
            .filter(|&tp| if long { last >= tp } else { last <= tp });
        let sl = pos
            .stop_loss
            .filter(|&sl| if long { last <= sl } else { last >= sl });
        let (kind, trigger, rising) = match (tp, sl) {
            (Some(tp), _) => ("TakeProfit", tp, long),
            (None, Some(sl)) => ("StopLoss", sl, !long),
            (None, None) => return,
        };
        let now = now_ms();
        let order = Order {
            order_id: uuid::Uuid::new_v4().to_string(),
            order_link_id: String::new(),
            symbol: symbol.to_owned(),
            side: if long { Side::Sell } else { Side::Buy },
            order_type: OrderType::Market,
            price: None,
            qty: pos.size.abs(),
            cum_exec_qty: 0,
            cum_exec_value: 0.0,
            cum_exec_fee: 0.0,
            status: "Untriggered",
            reject_reason: "EC_NoError",
            trigger_price: Some(trigger),
            trigger_direction: if rising { 1 } else { 2 },
            take_profit: None,
            stop_loss: None,
            reduce_only: true,
            close_on_trigger: true,
            time_in_force: "IOC".to_owned(),
            stop_order_type: kind,
            created_ms: now,
            updated_ms: now,
        };
        self.place(order, prices);
    }
}

impl State {
    /// Moves the symbol's last price: triggers conditional orders, fills resting Limit orders it
    /// crosses (at their limit price) and position take-profits and stop-losses it reaches.
    pub(super) fn set_last_price(&mut self, symbol: &str, price: f64) {
        self.prices.set(symbol, price);
        for account in self.accounts.values_mut() {
            account.on_price(symbol, &self.prices);
        }
    }
}
