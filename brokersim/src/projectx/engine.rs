//! The matching engine: fills, bracket legs, positions, trades, balances, and the hub events
//! each change pushes.
//!
//! Rules:
//! - a market order fills at once at the last price; an order that is marketable when it
//!   starts working (placed, modified, or a bracket leg released) fills at the last price;
//! - when `/prices` moves the last price, resting orders it crosses fill: limits at their limit
//!   price, stops at the new price; trailing stops first follow the price;
//! - bracket legs wait `Suspended` until their entry fills, then work at the entry's fill price
//!   plus their signed tick offset; when one leg fills the other is cancelled;
//! - positions net per account and contract with an average price; closing part of one
//!   realises P&L at the tick value, and the account's balance takes the P&L less the fees.

use chrono::Utc;
use serde_json::Value;

use super::contracts::{Contract, Product};
use super::state::{Order, Position, State, Topic, Trade, action, kind, status};

/// Prices as exact multiples of the tick: ticks divided by the (whole) ticks per point.
fn ticks_per_point(tick_size: f64) -> f64 {
    (1.0 / tick_size).round()
}

pub fn price_of_ticks(ticks: i64, tick_size: f64) -> f64 {
    ticks as f64 / ticks_per_point(tick_size)
}

pub fn ticks_of_price(price: f64, tick_size: f64) -> f64 {
    price * ticks_per_point(tick_size)
}

pub fn on_tick(price: f64, tick_size: f64) -> bool {
    let ticks = ticks_of_price(price, tick_size);
    (ticks - ticks.round()).abs() < 1e-6
}

fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

fn is_limit_kind(order_kind: i32) -> bool {
    matches!(order_kind, kind::LIMIT | kind::JOIN_BID | kind::JOIN_ASK)
}

/// Whether `price` reaches the order's trigger.
fn triggered(order: &Order, price: f64) -> bool {
    let buy = order.is_buy();
    match order.kind {
        kind::MARKET => true,
        k if is_limit_kind(k) => order
            .limit_price
            .is_some_and(|limit| if buy { price <= limit } else { price >= limit }),
        kind::STOP | kind::TRAILING_STOP => order
            .stop_price
            .is_some_and(|stop| if buy { price >= stop } else { price <= stop }),
        _ => false,
    }
}

impl State {
    /// A new working order record (not yet stored); the caller fills in prices and legs.
    pub fn build_order(
        &mut self,
        account_id: i64,
        contract: &Contract,
        order_kind: i32,
        side: i32,
        size: i64,
    ) -> Order {
        let now = Utc::now();
        Order {
            id: self.ids.order(),
            account_id,
            contract_id: contract.id(),
            symbol_id: contract.symbol_id(),
            product: contract.product,
            created: now,
            updated: now,
            status: status::OPEN,
            kind: order_kind,
            side,
            size,
            limit_price: None,
            stop_price: None,
            trail_distance: None,
            filled_price: None,
            fill_volume: 0,
            custom_tag: None,
            legs: Vec::new(),
            leg: None,
        }
    }

    /// Stores an order and pushes its creation.
    pub fn insert_order(&mut self, order: Order) {
        let id = order.id;
        self.orders.insert(id, order);
        self.emit_order(id, action::CREATE);
    }

    /// Fills the order now if it is a market order or marketable at the last price.
    pub fn fill_if_marketable(&mut self, order_id: i64) {
        let Some(order) = self.orders.get(&order_id) else {
            return;
        };
        let last = self.price(order.product);
        if order.status == status::OPEN && triggered(order, last) {
            self.fill(order_id, last);
        }
    }

    /// Fills the whole order at `price`, then releases its legs or cancels its sibling.
    pub fn fill(&mut self, order_id: i64, price: f64) {
        let Some(order) = self.orders.get_mut(&order_id) else {
            return;
        };
        order.status = status::FILLED;
        order.filled_price = Some(price);
        order.fill_volume = order.size;
        order.updated = Utc::now();
        let filled = order.clone();
        self.emit_order(order_id, action::UPDATE);
        self.apply_fill(&filled, price);
        for leg in &filled.legs {
            self.release_leg(*leg, price);
        }
        if let Some(sibling) = filled.leg.and_then(|leg| leg.sibling) {
            self.cancel(sibling);
        }
    }

    /// A suspended bracket leg starts working at its offset from the entry's fill price.
    fn release_leg(&mut self, leg_id: i64, entry_price: f64) {
        let Some(order) = self.orders.get_mut(&leg_id) else {
            return;
        };
        let Some(leg) = order.leg else {
            return;
        };
        if order.status != status::SUSPENDED {
            return;
        }
        let tick = order.product.tick_size;
        let entry_ticks = ticks_of_price(entry_price, tick).round() as i64;
        let price = price_of_ticks(entry_ticks + leg.offset_ticks, tick);
        if order.kind == kind::LIMIT {
            order.limit_price = Some(price);
        } else {
            order.stop_price = Some(price);
        }
        order.status = status::OPEN;
        order.updated = Utc::now();
        self.emit_order(leg_id, action::UPDATE);
        self.fill_if_marketable(leg_id);
    }

    /// Cancels a working or suspended order, with its entry's still-suspended legs.
    pub fn cancel(&mut self, order_id: i64) {
        let Some(order) = self.orders.get_mut(&order_id) else {
            return;
        };
        if !matches!(
            order.status,
            status::OPEN | status::SUSPENDED | status::PENDING
        ) {
            return;
        }
        order.status = status::CANCELLED;
        order.updated = Utc::now();
        let legs = order.legs.clone();
        self.emit_order(order_id, action::UPDATE);
        for leg in legs {
            if self
                .orders
                .get(&leg)
                .is_some_and(|o| o.status == status::SUSPENDED)
            {
                self.cancel(leg);
            }
        }
    }

    /// Sets the last price of a product and fills what it crosses; answers the filled ids.
    pub fn set_price(&mut self, product: &'static Product, price: f64) -> Vec<i64> {
        self.prices.insert(product.root, price);
        let working: Vec<i64> = self
            .orders
            .values()
            .filter(|o| std::ptr::eq(o.product, product) && o.status == status::OPEN)
            .map(|o| o.id)
            .collect();
        for id in &working {
            self.trail(*id, price);
        }
        let mut filled = Vec::new();
        for id in working {
            let Some(order) = self.orders.get(&id) else {
                continue;
            };
            // An earlier fill may have cancelled this one (its sibling).
            if order.status != status::OPEN || !triggered(order, price) {
                continue;
            }
            let fill_price = if is_limit_kind(order.kind) {
                order.limit_price.unwrap_or(price)
            } else {
                price
            };
            self.fill(id, fill_price);
            filled.push(id);
        }
        filled
    }

    /// Moves a trailing stop after a favourable price, keeping its distance.
    fn trail(&mut self, order_id: i64, price: f64) {
        let Some(order) = self.orders.get_mut(&order_id) else {
            return;
        };
        let (Some(distance), Some(stop)) = (order.trail_distance, order.stop_price) else {
            return;
        };
        let tick = order.product.tick_size;
        let wanted = if order.is_buy() {
            price + distance
        } else {
            price - distance
        };
        let wanted = price_of_ticks(ticks_of_price(wanted, tick).round() as i64, tick);
        let better = if order.is_buy() {
            wanted < stop
        } else {
            wanted > stop
        };
        if better {
            order.stop_price = Some(wanted);
            order.updated = Utc::now();
            self.emit_order(order_id, action::UPDATE);
        }
    }

    fn emit_position(&mut self, account_id: i64, action: u8, data: Value) {
        self.emit(Topic::Positions, account_id, action, data);
    }

    /// Nets a fill into the position, records the trade, and books P&L and fees.
    fn apply_fill(&mut self, order: &Order, price: f64) {
        let product = order.product;
        let signed = if order.is_buy() {
            order.size
        } else {
            -order.size
        };
        let key = (order.account_id, order.contract_id.clone());
        let now = Utc::now();
        let mut profit_and_loss = None;
        let current = self.positions.get(&key).map(|p| (p.net, p.average_price));
        match current {
            None => self.open_position(order, signed, price),
            Some((net, average)) if net.signum() == signed.signum() => {
                let total = net.abs() + signed.abs();
                let weighted = average * net.abs() as f64 + price * signed.abs() as f64;
                if let Some(position) = self.positions.get_mut(&key) {
                    position.net += signed;
                    position.average_price = weighted / total as f64;
                    let data = position.to_json();
                    self.emit_position(order.account_id, action::UPDATE, data);
                }
            }
            Some((net, average)) => {
                let closed = net.abs().min(signed.abs());
                let points = (price - average) * net.signum() as f64;
                profit_and_loss = Some(cents(
                    points * closed as f64 * product.tick_value / product.tick_size,
                ));
                let remaining = net + signed;
                if let Some(position) = self.positions.get_mut(&key) {
                    position.net = if remaining.signum() == net.signum() {
                        remaining
                    } else {
                        0
                    };
                    let data = position.to_json();
                    let action = if position.net == 0 {
                        action::DELETE
                    } else {
                        action::UPDATE
                    };
                    if position.net == 0 {
                        self.positions.remove(&key);
                    }
                    self.emit_position(order.account_id, action, data);
                }
                if remaining != 0 && remaining.signum() != net.signum() {
                    self.open_position(order, remaining, price);
                }
            }
        }
        let fees = cents(product.fee * order.size as f64);
        let trade = Trade {
            id: self.ids.trade(),
            account_id: order.account_id,
            contract_id: order.contract_id.clone(),
            created: now,
            price,
            profit_and_loss,
            fees,
            side: order.side,
            size: order.size,
            order_id: order.id,
        };
        let data = trade.to_json();
        self.trades.push(trade);
        self.emit(Topic::Trades, order.account_id, action::CREATE, data);
        if let Some(account) = self.accounts.get_mut(&order.account_id) {
            account.balance = cents(account.balance + profit_and_loss.unwrap_or(0.0) - fees);
        }
        self.emit_account(order.account_id);
    }

    fn open_position(&mut self, order: &Order, net: i64, price: f64) {
        let position = Position {
            id: self.ids.position(),
            account_id: order.account_id,
            contract_id: order.contract_id.clone(),
            created: Utc::now(),
            net,
            average_price: price,
        };
        let data = position.to_json();
        self.positions
            .insert((order.account_id, order.contract_id.clone()), position);
        self.emit_position(order.account_id, action::CREATE, data);
    }

    /// Closes `size` of the position with a market order (the brackets keep working, as the
    /// venue's `closeContract` reportedly leaves them); answers the order's id.
    pub fn market_close(&mut self, account_id: i64, contract: &Contract, size: i64) -> Option<i64> {
        let net = self.positions.get(&(account_id, contract.id()))?.net;
        let side = if net > 0 { 1 } else { 0 };
        let order = self.build_order(
            account_id,
            contract,
            kind::MARKET,
            side,
            size.min(net.abs()),
        );
        let id = order.id;
        self.insert_order(order);
        self.fill_if_marketable(id);
        Some(id)
    }
}
