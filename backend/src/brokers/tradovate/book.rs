//! What the adapter knows of the login's orders from the stream and its own calls: the latest
//! Order and OrderVersion of each, the `clOrdId` of the command that created it, what filled,
//! which fills were seen (each is sent once), and the status last reported.
//!
//! `clOrdId` lives only on Tradovate's Command entity, so fills and order updates are matched to
//! our client order id here. A bracket leg Tradovate created for one of our orders (its
//! `parentId` is ours) carries `<our id>:exit`, so it reads as the copier's own order and is
//! never mirrored as a trade of the user's.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use super::parse::{FillEntity, Filled};
use crate::brokers::OrderStatus;

#[derive(Default)]
struct Entries {
    orders: HashMap<i64, Value>,
    /// Order id -> (version id, version).
    versions: HashMap<i64, (i64, Value)>,
    client_ids: HashMap<i64, String>,
    filled: HashMap<i64, Filled>,
    seen_fills: HashSet<i64>,
    reported: HashMap<i64, OrderStatus>,
    account_names: HashMap<i64, String>,
}

#[derive(Default)]
pub(super) struct Book(Mutex<Entries>);

impl Book {
    fn entries(&self) -> MutexGuard<'_, Entries> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn note_order(&self, order: &Value) {
        if let Some(order_id) = order["id"].as_i64() {
            self.entries().orders.insert(order_id, order.clone());
        }
    }

    pub fn note_version(&self, version: &Value) {
        let (Some(version_id), Some(order_id)) =
            (version["id"].as_i64(), version["orderId"].as_i64())
        else {
            return;
        };
        let mut entries = self.entries();
        let newer = entries
            .versions
            .get(&order_id)
            .is_none_or(|(known, _)| version_id >= *known);
        if newer {
            entries
                .versions
                .insert(order_id, (version_id, version.clone()));
        }
    }

    /// A Command: the `New` one of an order gives its `clOrdId`.
    pub fn note_command(&self, command: &Value) {
        if command["commandType"].as_str() != Some("New") {
            return;
        }
        if let (Some(order_id), Some(client_id)) =
            (command["orderId"].as_i64(), command["clOrdId"].as_str())
            && !client_id.is_empty()
        {
            self.note_client_id(order_id, client_id);
        }
    }

    /// `""` records an order known to have no `clOrdId`, so it is not asked again.
    pub fn note_client_id(&self, order_id: i64, client_id: &str) {
        let mut entries = self.entries();
        let known = entries.client_ids.entry(order_id).or_default();
        if known.is_empty() {
            client_id.clone_into(known);
        }
    }

    pub fn note_account(&self, account_id: i64, name: &str) {
        self.entries()
            .account_names
            .insert(account_id, name.to_owned());
    }

    pub fn account_name(&self, account_id: i64) -> Option<String> {
        self.entries().account_names.get(&account_id).cloned()
    }

    /// Records a fill; `true` the first time this fill id is seen.
    pub fn note_fill(&self, fill: &FillEntity) -> bool {
        let mut entries = self.entries();
        if !entries.seen_fills.insert(fill.id) {
            return false;
        }
        if fill.active {
            entries.filled.entry(fill.order_id).or_default().add(
                fill.quantity,
                fill.price,
                fill.at,
            );
        }
        true
    }

    pub fn order(&self, order_id: i64) -> Option<Value> {
        self.entries().orders.get(&order_id).cloned()
    }

    pub fn version(&self, order_id: i64) -> Option<Value> {
        self.entries()
            .versions
            .get(&order_id)
            .map(|(_, version)| version.clone())
    }

    pub fn filled(&self, order_id: i64) -> Filled {
        self.entries()
            .filled
            .get(&order_id)
            .copied()
            .unwrap_or_default()
    }

    /// Our client order id for an order: its own `clOrdId`, or `<parent's>:exit` for a leg
    /// Tradovate made for one of ours; `None` when neither is known (yet).
    pub fn client_id(&self, order_id: i64) -> Option<String> {
        let entries = self.entries();
        let own = entries.client_ids.get(&order_id);
        if let Some(own) = own.filter(|own| !own.is_empty()) {
            return Some(own.clone());
        }
        let parent = entries
            .orders
            .get(&order_id)
            .and_then(|order| order["parentId"].as_i64())
            .and_then(|parent| entries.client_ids.get(&parent))
            .filter(|parent| !parent.is_empty());
        match parent {
            Some(parent) => Some(format!("{parent}:exit")),
            // Known to have none ("").
            None => own.cloned(),
        }
    }

    /// Whether this fill was seen already.
    pub fn is_seen(&self, fill_id: i64) -> bool {
        self.entries().seen_fills.contains(&fill_id)
    }

    /// The order a client order id created, if the book knows it.
    pub fn order_of_client(&self, client_id: &str) -> Option<i64> {
        self.entries()
            .client_ids
            .iter()
            .filter(|(_, id)| !client_id.is_empty() && id.as_str() == client_id)
            .map(|(order_id, _)| *order_id)
            .min()
    }

    /// Records the status about to be reported; `false` when it was reported already.
    pub fn report(&self, order_id: i64, status: OrderStatus) -> bool {
        self.entries().reported.insert(order_id, status) != Some(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn legs_of_our_orders_carry_our_id_and_fills_count_once() {
        let book = Book::default();
        book.note_command(&json!({"id": 2, "orderId": 10, "commandType": "New", "clOrdId": "ct1"}));
        book.note_command(
            &json!({"id": 3, "orderId": 10, "commandType": "Cancel", "clOrdId": "other"}),
        );
        book.note_order(&json!({"id": 11, "parentId": 10}));
        assert_eq!(book.client_id(10).as_deref(), Some("ct1"));
        assert_eq!(book.client_id(11).as_deref(), Some("ct1:exit"));
        assert_eq!(book.client_id(12), None);
        let fill = crate::brokers::tradovate::parse::fill_entity(&json!({"id": 5, "orderId": 10,
            "contractId": 1, "action": "Buy", "qty": 1, "price": 6000.0,
            "timestamp": "2026-12-07T14:30:00Z"}))
        .unwrap();
        assert!(book.note_fill(&fill));
        assert!(!book.note_fill(&fill));
        assert_eq!(book.filled(10).quantity, 1.0);
        assert!(book.report(10, OrderStatus::Working));
        assert!(!book.report(10, OrderStatus::Working));
        assert!(book.report(10, OrderStatus::Filled));
    }
}
