//! How orders live: every new order gets an OrderVersion (its prices), a `New` Command (with
//! `clOrdId`, `customTag50`, `isAutomated`) and a `New` ExecutionReport; a fill adds a `Trade`
//! report with `lastQty`/`lastPx`, a Fill, and nets the position (average price, realised P&L
//! at the tick value, booked on the cash balance). Every change is queued for the streams.
//!
//! Market orders fill at once at the last price; limit and stop orders work until a price
//! crosses them (a resting limit fills at its limit, a triggered stop at the new price).
//! Bracket legs wait `Suspended` until their entry fills, then work; when one leg of an OCO
//! pair fills the other is cancelled.

use std::collections::VecDeque;

use super::entities::{Command, ExecutionReport, Fill, Order, OrderVersion};
use super::enums::{Action, Kind, OrdStatus};
use super::state::State;
use super::wire::now_text;

/// Float noise allowance when comparing prices.
const EPSILON: f64 = 1e-9;

/// Who sent the command that creates or changes an order, and what it carried.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub cl_ord_id: Option<String>,
    pub custom_tag50: Option<String>,
    pub is_automated: Option<bool>,
    pub sender_id: i64,
    pub session_id: i64,
}

/// An order about to be created.
#[derive(Debug, Clone)]
pub(crate) struct NewOrder {
    pub account_id: i64,
    pub contract_id: i64,
    pub action: Action,
    pub kind: Kind,
    pub qty: i64,
    pub price: Option<f64>,
    pub stop_price: Option<f64>,
    pub time_in_force: &'static str,
    pub text: Option<String>,
    /// `Working`, or `Suspended` for a bracket leg waiting for its entry.
    pub status: OrdStatus,
    pub parent_id: Option<i64>,
    pub oco_id: Option<i64>,
    pub strategy_id: Option<i64>,
    pub origin: Origin,
}

impl State {
    /// Records a new order with its version, `New` command and `New` report. It does not
    /// execute yet: call [`State::execute`] once its siblings exist.
    pub fn submit(&mut self, new: NewOrder) -> i64 {
        let id = self.new_id();
        let command_id = self.new_id();
        let version_id = self.new_id();
        let now = now_text();
        let order = Order {
            id,
            account_id: new.account_id,
            contract_id: new.contract_id,
            timestamp: now.clone(),
            action: new.action,
            status: new.status,
            kind: new.kind,
            qty: new.qty,
            price: new.price,
            stop_price: new.stop_price,
            time_in_force: new.time_in_force,
            triggered: false,
            oco_id: new.oco_id,
            parent_id: new.parent_id,
            strategy_id: new.strategy_id,
            command_id,
            filled_qty: 0,
            avg_px: None,
        };
        let command = Command {
            id: command_id,
            order_id: id,
            timestamp: now,
            cl_ord_id: new.origin.cl_ord_id.clone(),
            command_type: "New",
            command_status: "AtExecution",
            custom_tag50: new.origin.custom_tag50.clone(),
            is_automated: new.origin.is_automated,
            sender_id: new.origin.sender_id,
            session_id: new.origin.session_id,
        };
        self.emit(new.account_id, "order", "Created", order.json());
        self.emit(new.account_id, "command", "Created", command.json());
        self.orders.insert(id, order);
        self.commands.insert(command_id, command);
        self.add_version(OrderVersion {
            id: version_id,
            order_id: id,
            qty: new.qty,
            kind: new.kind,
            price: new.price,
            stop_price: new.stop_price,
            time_in_force: new.time_in_force,
            text: new.text,
        });
        self.report(id, command_id, "New", None);
        id
    }

    pub fn add_version(&mut self, version: OrderVersion) {
        if let Some(account_id) = self.order_account(version.order_id) {
            self.emit(account_id, "orderVersion", "Created", version.json());
        }
        self.versions.insert(version.id, version);
    }

    /// Adds an ExecutionReport about the order as it stands now.
    pub fn report(
        &mut self,
        order_id: i64,
        command_id: i64,
        exec_type: &'static str,
        trade: Option<(i64, f64)>,
    ) {
        let Some(order) = self.orders.get(&order_id) else {
            return;
        };
        let name = self
            .catalog
            .contract(order.contract_id)
            .map(|contract| contract.name.clone())
            .unwrap_or_default();
        let report = ExecutionReport {
            id: 0,
            command_id,
            name,
            account_id: order.account_id,
            contract_id: order.contract_id,
            timestamp: now_text(),
            order_id,
            exec_type,
            action: order.action,
            ord_status: order.status.as_str(),
            cum_qty: order.filled_qty,
            avg_px: order.avg_px,
            last_qty: trade.map(|(qty, _)| qty),
            last_px: trade.map(|(_, price)| price),
            text: None,
        };
        let report = ExecutionReport {
            id: self.new_id(),
            ..report
        };
        self.emit(
            report.account_id,
            "executionReport",
            "Created",
            report.json(),
        );
        self.reports.insert(report.id, report);
    }

    /// Executes what the last prices allow among `orders` (`true` = resting, i.e. placed
    /// before this price), then whatever that unlocks, until nothing more can execute.
    pub fn execute(&mut self, orders: impl IntoIterator<Item = (i64, bool)>) {
        let mut work: VecDeque<(i64, bool)> = orders.into_iter().collect();
        while let Some((order_id, resting)) = work.pop_front() {
            if let Some(price) = self.fill_price(order_id, resting) {
                let unlocked = self.fill(order_id, price);
                work.extend(unlocked.into_iter().map(|id| (id, false)));
            }
        }
    }

    /// After a new last price on `contract_id`: executes the working orders it crosses.
    pub fn on_price(&mut self, contract_id: i64) {
        let working: Vec<(i64, bool)> = self
            .orders
            .values()
            .filter(|order| order.contract_id == contract_id && order.status == OrdStatus::Working)
            .map(|order| (order.id, true))
            .collect();
        self.execute(working);
    }

    fn fill_price(&mut self, order_id: i64, resting: bool) -> Option<f64> {
        let contract_id = self.orders.get(&order_id)?.contract_id;
        let last = self.last_price(contract_id);
        let order = self.orders.get_mut(&order_id)?;
        if order.status != OrdStatus::Working {
            return None;
        }
        match order.kind {
            Kind::Market => Some(last),
            Kind::Limit => limit_fill(order.action, order.price?, last, resting),
            Kind::Stop => stop_hit(order.action, order.stop_price?, last).then_some(last),
            Kind::StopLimit => {
                if order.triggered {
                    return limit_fill(order.action, order.price?, last, resting);
                }
                if !stop_hit(order.action, order.stop_price?, last) {
                    return None;
                }
                order.triggered = true;
                limit_fill(order.action, order.price?, last, false)
            }
        }
    }

    /// Fills the whole order at `price`; answers the orders this unlocks (bracket legs).
    fn fill(&mut self, order_id: i64, price: f64) -> Vec<i64> {
        let Some(order) = self.orders.get_mut(&order_id) else {
            return Vec::new();
        };
        order.status = OrdStatus::Filled;
        order.filled_qty = order.qty;
        order.avg_px = Some(price);
        let order = order.clone();
        self.emit(order.account_id, "order", "Updated", order.json());
        self.report(
            order_id,
            order.command_id,
            "Trade",
            Some((order.qty, price)),
        );
        let fill = Fill {
            id: self.new_id(),
            order_id,
            account_id: order.account_id,
            contract_id: order.contract_id,
            timestamp: now_text(),
            action: order.action,
            qty: order.qty,
            price,
        };
        self.emit(order.account_id, "fill", "Created", fill.json());
        self.fills.insert(fill.id, fill);
        self.book(
            order.account_id,
            order.contract_id,
            order.action,
            order.qty,
            price,
        );

        if let Some(oco) = order.oco_id {
            let siblings: Vec<i64> = self
                .orders
                .values()
                .filter(|o| o.oco_id == Some(oco) && o.id != order_id && o.status.is_live())
                .map(|o| o.id)
                .collect();
            for sibling in siblings {
                self.end(sibling, None, OrdStatus::Canceled);
            }
        }
        let mut unlocked: Vec<i64> = self
            .orders
            .values()
            .filter(|o| o.parent_id == Some(order_id) && o.status == OrdStatus::Suspended)
            .map(|o| o.id)
            .collect();
        for leg in &unlocked {
            self.activate(*leg);
        }
        if let Some(strategy_id) = order.strategy_id {
            unlocked.extend(self.strategy_progress(strategy_id, &order, price));
        }
        unlocked
    }

    fn activate(&mut self, order_id: i64) {
        let Some(order) = self.orders.get_mut(&order_id) else {
            return;
        };
        order.status = OrdStatus::Working;
        let (account_id, command_id, entity) = (order.account_id, order.command_id, order.json());
        self.emit(account_id, "order", "Updated", entity);
        self.report(order_id, command_id, "OrderStatus", None);
    }

    /// Ends a live order (`Canceled` or `Expired`), reported under `command_id` (a cancel
    /// command) or its own `New` command; its suspended legs end with it.
    pub fn end(&mut self, order_id: i64, command_id: Option<i64>, status: OrdStatus) {
        let Some(order) = self.orders.get_mut(&order_id) else {
            return;
        };
        if !order.status.is_live() {
            return;
        }
        order.status = status;
        let order = order.clone();
        self.emit(order.account_id, "order", "Updated", order.json());
        let exec_type = if status == OrdStatus::Expired {
            "Expired"
        } else {
            "Canceled"
        };
        self.report(
            order_id,
            command_id.unwrap_or(order.command_id),
            exec_type,
            None,
        );
        let legs: Vec<i64> = self
            .orders
            .values()
            .filter(|o| o.parent_id == Some(order_id) && o.status == OrdStatus::Suspended)
            .map(|o| o.id)
            .collect();
        for leg in legs {
            self.end(leg, None, OrdStatus::Canceled);
        }
        if let Some(strategy_id) = order.strategy_id {
            self.strategy_settle(strategy_id, order_id);
        }
    }
}

/// A limit executes when the price reaches it: a resting one at its limit, a new marketable
/// one at the better last price.
fn limit_fill(action: Action, limit: f64, last: f64, resting: bool) -> Option<f64> {
    let reached = match action {
        Action::Buy => last <= limit + EPSILON,
        Action::Sell => last >= limit - EPSILON,
    };
    reached.then_some(if resting { limit } else { last })
}

fn stop_hit(action: Action, stop: f64, last: f64) -> bool {
    match action {
        Action::Buy => last >= stop - EPSILON,
        Action::Sell => last <= stop + EPSILON,
    }
}
