//! Netting fills into positions: average price of the open quantity, realised P&L at the
//! contract's value per point (tick value / tick size), booked on the account's cash balance.

use super::entities::Position;
use super::enums::Action;
use super::state::State;
use super::wire::now_text;

impl State {
    /// Nets a fill into the position and books realised P&L on the cash balance.
    pub(crate) fn book(
        &mut self,
        account_id: i64,
        contract_id: i64,
        action: Action,
        qty: i64,
        price: f64,
    ) {
        let value_per_point = self
            .catalog
            .contract(contract_id)
            .map(|contract| contract.root.value_per_point())
            .unwrap_or(1.0);
        let key = (account_id, contract_id);
        let created = !self.positions.contains_key(&key);
        if created {
            let id = self.new_id();
            self.positions
                .insert(key, empty_position(id, account_id, contract_id));
        }
        let Some(position) = self.positions.get_mut(&key) else {
            return;
        };
        let signed = qty * action.sign();
        let open = position.net_pos.abs();
        let mut realized = 0.0;
        if position.net_pos == 0 || position.net_pos.signum() == signed.signum() {
            position.net_price =
                (position.net_price * open as f64 + price * qty as f64) / (open + qty) as f64;
        } else {
            let closing = qty.min(open);
            realized = (price - position.net_price)
                * closing as f64
                * position.net_pos.signum() as f64
                * value_per_point;
            realized = (realized * 100.0).round() / 100.0;
            if qty > open {
                position.net_price = price;
            }
        }
        position.net_pos += signed;
        if position.net_pos == 0 {
            position.net_price = 0.0;
        }
        match action {
            Action::Buy => {
                position.bought += qty;
                position.bought_value += price * qty as f64;
            }
            Action::Sell => {
                position.sold += qty;
                position.sold_value += price * qty as f64;
            }
        }
        position.realized += realized;
        position.timestamp = now_text();
        let entity = position.json();
        let event = if created { "Created" } else { "Updated" };
        self.emit(account_id, "position", event, entity);
        if realized != 0.0
            && let Some(cash) = self.cash.get_mut(&account_id)
        {
            cash.amount += realized;
            cash.realized += realized;
            cash.timestamp = now_text();
            let entity = cash.json();
            self.emit(account_id, "cashBalance", "Updated", entity);
        }
    }
}

fn empty_position(id: i64, account_id: i64, contract_id: i64) -> Position {
    Position {
        id,
        account_id,
        contract_id,
        timestamp: now_text(),
        net_pos: 0,
        net_price: 0.0,
        bought: 0,
        bought_value: 0.0,
        sold: 0,
        sold_value: 0.0,
        realized: 0.0,
    }
}
