//! Orders after placement: finding one by our client order id, its state, cancelling, the
//! working orders of an account, and flattening.
//!
//! `clOrdId` is no idempotency key at Tradovate and no endpoint finds an order by it: it is
//! stored on the `New` Command only. [`Inner::find`] therefore reads `command/list`, follows the
//! command's `orderId` to `order/item`, `orderVersion/deps` (the prices) and `fill/deps` (what
//! filled), so after an unknown outcome the copier finds the order and never sends it twice.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::contracts::covers;
use super::parse::{Known, Status, filled, id, latest_version, list, ord_status, order_state};
use super::rest::{Effect, refusal};
use super::{Account, Inner};
use crate::brokers::{BrokerError, OrderState, OrderStatus};

fn no_order(order_id: &str) -> BrokerError {
    BrokerError::Rejected(format!("no order {order_id} at Tradovate in this account"))
}

/// Groups entities of several orders by their `orderId` (`ldeps` answers).
fn by_order(items: &[Value]) -> Result<HashMap<i64, Vec<Value>>, BrokerError> {
    let mut grouped: HashMap<i64, Vec<Value>> = HashMap::new();
    for item in items {
        grouped
            .entry(id(&item["orderId"], "orderId")?)
            .or_default()
            .push(item.clone());
    }
    Ok(grouped)
}

impl Inner {
    pub(super) async fn find(
        self: &Arc<Self>,
        account: &Account,
        client_order_id: &str,
    ) -> Result<Option<OrderState>, BrokerError> {
        let commands = self.get_found("command/list", "").await?;
        let mut created = Vec::new();
        for command in list(&commands, "command list")? {
            self.book.note_command(command);
            if command["commandType"].as_str() == Some("New")
                && command["clOrdId"].as_str() == Some(client_order_id)
            {
                created.push(id(&command["orderId"], "orderId")?);
            }
        }
        created.sort_unstable();
        for order_id in created {
            if let Some(state) = self
                .state_of(order_id, account, Some(client_order_id))
                .await?
            {
                return Ok(Some(state));
            }
        }
        Ok(None)
    }

    /// One order's state read anew; `None` if it is not an order of `account`.
    pub(super) async fn state_of(
        self: &Arc<Self>,
        order_id: i64,
        account: &Account,
        client_order_id: Option<&str>,
    ) -> Result<Option<OrderState>, BrokerError> {
        let Some(order) = self.get("order/item", &format!("id={order_id}")).await? else {
            return Ok(None);
        };
        if id(&order["accountId"], "accountId")? != account.id {
            return Ok(None);
        }
        self.book.note_order(&order);
        let query = format!("masterid={order_id}");
        let versions = self.get_found("orderVersion/deps", &query).await?;
        let version = latest_version(list(&versions, "order versions")?)?
            .cloned()
            .ok_or_else(|| {
                BrokerError::Unreadable(format!("Tradovate's order {order_id} has no version"))
            })?;
        let fills = self.get_found("fill/deps", &query).await?;
        let client_id = match client_order_id {
            Some(known) => known.to_owned(),
            None => self.client_id_of(order_id).await?,
        };
        let symbol = self
            .contract_name(id(&order["contractId"], "contractId")?)
            .await?;
        let known = Known {
            client_order_id: &client_id,
            account: account.id.to_string(),
            symbol: &symbol,
            filled: filled(list(&fills, "fills")?)?,
        };
        order_state(&order, &version, known).map(Some)
    }

    /// Our client order id of an order, from the book or its commands ("" if none).
    pub(super) async fn client_id_of(
        self: &Arc<Self>,
        order_id: i64,
    ) -> Result<String, BrokerError> {
        if let Some(known) = self.book.client_id(order_id) {
            return Ok(known);
        }
        let commands = self
            .get_found("command/deps", &format!("masterid={order_id}"))
            .await?;
        for command in list(&commands, "commands")? {
            self.book.note_command(command);
        }
        if self.book.client_id(order_id).is_none() {
            self.book.note_client_id(order_id, "");
        }
        Ok(self.book.client_id(order_id).unwrap_or_default())
    }

    pub(super) async fn cancel(
        self: &Arc<Self>,
        account: &Account,
        order_id: &str,
    ) -> Result<OrderState, BrokerError> {
        let numeric: i64 = order_id.trim().parse().map_err(|_| no_order(order_id))?;
        let order = self
            .get("order/item", &format!("id={numeric}"))
            .await?
            .ok_or_else(|| no_order(order_id))?;
        if id(&order["accountId"], "accountId")? != account.id {
            return Err(no_order(order_id));
        }
        let body = json!({ "orderId": numeric, "isAutomated": true });
        let answer = self
            .post("order/cancelorder", &body, Effect::Changes)
            .await?;
        if let Some(words) = refusal(&answer) {
            return Err(BrokerError::Rejected(words));
        }
        let mut state = self
            .state_of(numeric, account, None)
            .await?
            .ok_or_else(|| no_order(order_id))?;
        // Tradovate took the cancel; the order may still say PendingCancel for a moment.
        if state.status == OrderStatus::Working {
            state.status = OrderStatus::Cancelled;
        }
        Ok(state)
    }

    /// The account's orders in the given statuses (with their contract names), from
    /// `order/list`.
    async fn orders_in(
        self: &Arc<Self>,
        account: &Account,
        wanted: &[Status],
    ) -> Result<Vec<(Value, String)>, BrokerError> {
        let orders = self.get_found("order/list", "").await?;
        let mut found = Vec::new();
        for order in list(&orders, "order list")? {
            if id(&order["accountId"], "accountId")? != account.id {
                continue;
            }
            if wanted.contains(&ord_status(&order["ordStatus"])?) {
                let name = self
                    .contract_name(id(&order["contractId"], "contractId")?)
                    .await?;
                self.book.note_order(order);
                found.push((order.clone(), name));
            }
        }
        Ok(found)
    }

    pub(super) async fn open_orders(
        self: &Arc<Self>,
        account: &Account,
    ) -> Result<Vec<OrderState>, BrokerError> {
        // Suspended legs wait for their entry and end with it: not orders to cancel one by one.
        let live = self.orders_in(account, &[Status::Live]).await?;
        if live.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = live
            .iter()
            .map(|(order, _)| order["id"].to_string())
            .collect();
        let query = format!("masterids={}", ids.join(","));
        let versions = by_order(list(
            &self.get_found("orderVersion/ldeps", &query).await?,
            "order versions",
        )?)?;
        let fills = by_order(list(&self.get_found("fill/ldeps", &query).await?, "fills")?)?;
        let commands = self.get_found("command/ldeps", &query).await?;
        for command in list(&commands, "commands")? {
            self.book.note_command(command);
        }
        let mut states = Vec::with_capacity(live.len());
        for (order, symbol) in &live {
            let order_id = id(&order["id"], "order id")?;
            let version = versions
                .get(&order_id)
                .map(|v| latest_version(v))
                .transpose()?
                .flatten()
                .ok_or_else(|| {
                    BrokerError::Unreadable(format!("Tradovate's order {order_id} has no version"))
                })?;
            let client_id = self.book.client_id(order_id).unwrap_or_default();
            let known = Known {
                client_order_id: &client_id,
                account: account.id.to_string(),
                symbol,
                filled: filled(fills.get(&order_id).map_or(&[][..], Vec::as_slice))?,
            };
            states.push(order_state(order, version, known)?);
        }
        Ok(states)
    }

    /// Cancels the account's live orders in the contracts `symbol` covers (all without one).
    /// Orders that ended meanwhile (Tradovate's `TooLate`) are fine.
    async fn cancel_live(
        self: &Arc<Self>,
        account: &Account,
        symbol: Option<&str>,
        statuses: &[Status],
    ) -> Result<(), BrokerError> {
        let mut orders = self.orders_in(account, statuses).await?;
        // Entries first: their held legs end with them.
        orders.sort_by_key(|(order, _)| !order["parentId"].is_null());
        for (order, name) in orders {
            if symbol.is_some_and(|s| !covers(s, &name)) {
                continue;
            }
            let body = json!({ "orderId": order["id"], "isAutomated": true });
            let answer = self
                .post("order/cancelorder", &body, Effect::Changes)
                .await?;
            if answer["failureReason"].as_str() == Some("TooLate") {
                continue;
            }
            if let Some(words) = refusal(&answer) {
                return Err(BrokerError::Rejected(words));
            }
        }
        Ok(())
    }

    /// Cancels the working orders, closes the positions at market (`order/liquidateposition`
    /// per contract), and cancels whatever is still live, so nothing is left working.
    pub(super) async fn flatten(
        self: &Arc<Self>,
        account: &Account,
        symbol: Option<&str>,
    ) -> Result<(), BrokerError> {
        self.cancel_live(account, symbol, &[Status::Live]).await?;
        for (_, contract_id, position) in self.positions(account).await? {
            if symbol.is_some_and(|s| !covers(s, &position.symbol)) {
                continue;
            }
            let body = json!({
                "accountId": account.id,
                "contractId": contract_id,
                "admin": false,
                "isAutomated": true,
            });
            let answer = self
                .post("order/liquidateposition", &body, Effect::Changes)
                .await?;
            if let Some(words) = refusal(&answer) {
                // Closed meanwhile (a bracket filled) is what we wanted.
                let still_open = self
                    .positions(account)
                    .await?
                    .iter()
                    .any(|(_, contract, _)| *contract == contract_id);
                if still_open {
                    return Err(BrokerError::Rejected(words));
                }
            }
        }
        self.cancel_live(account, symbol, &[Status::Live, Status::Suspended])
            .await
    }
}
