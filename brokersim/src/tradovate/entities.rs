//! The entities Tradovate serves (users, accounts, orders and their versions, commands,
//! execution reports, fills, positions, cash balances, order strategies), each with its REST
//! wire form, and the enums orders use.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::enums::{Action, Kind, OrdStatus};
use super::wire::trade_date;

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: i64,
    pub name: String,
    pub password: String,
    /// The API application's id, compared as text (`cid` comes as a number or a string).
    pub cid: String,
    pub sec: String,
    pub app_id: Option<String>,
    pub timestamp: String,
}

impl User {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "timestamp": self.timestamp,
            "email": format!("{}@example.invalid", self.name.to_ascii_lowercase()),
            "status": "Active",
            "professional": false,
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: i64,
    pub name: String,
    pub user_id: i64,
    pub timestamp: String,
}

impl Account {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "userId": self.user_id,
            "accountType": "Customer",
            "active": true,
            "clearingHouseId": 2,
            "riskCategoryId": 2,
            "autoLiqProfileId": 2,
            "marginAccountType": "Speculator",
            "legalStatus": "Individual",
            "archived": false,
            "timestamp": self.timestamp,
            "restricted": false,
            "closed": false,
            "readonly": false,
        })
    }
}

/// One login: the tokens it handed out share its expiry.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub id: i64,
    pub user_id: i64,
    pub device_id: Option<String>,
    pub app_id: Option<String>,
    pub app_version: Option<String>,
    pub md_token: String,
    pub expires: DateTime<Utc>,
    pub revoked: bool,
    pub created: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub id: i64,
    pub account_id: i64,
    pub contract_id: i64,
    pub timestamp: String,
    pub action: Action,
    pub status: OrdStatus,
    pub kind: Kind,
    pub qty: i64,
    pub price: Option<f64>,
    pub stop_price: Option<f64>,
    pub time_in_force: &'static str,
    /// A stop-limit whose stop has been hit works as a limit.
    pub triggered: bool,
    pub oco_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub strategy_id: Option<i64>,
    /// The `New` command that created it; reports about it name this command.
    pub command_id: i64,
    pub filled_qty: i64,
    pub avg_px: Option<f64>,
}

impl Order {
    /// The REST `Order` entity: no prices (they live on the OrderVersion), no `clOrdId`.
    pub fn json(&self) -> Value {
        let mut entity = json!({
            "id": self.id,
            "accountId": self.account_id,
            "contractId": self.contract_id,
            "timestamp": self.timestamp,
            "action": self.action.as_str(),
            "ordStatus": self.status.as_str(),
            "executionProviderId": 1,
            "admin": false,
        });
        if let Some(oco) = self.oco_id {
            entity["ocoId"] = json!(oco);
        }
        if let Some(parent) = self.parent_id {
            entity["parentId"] = json!(parent);
        }
        entity
    }
}

#[derive(Debug, Clone)]
pub(crate) struct OrderVersion {
    pub id: i64,
    pub order_id: i64,
    pub qty: i64,
    pub kind: Kind,
    pub price: Option<f64>,
    pub stop_price: Option<f64>,
    pub time_in_force: &'static str,
    pub text: Option<String>,
}

impl OrderVersion {
    pub fn json(&self) -> Value {
        let mut entity = json!({
            "id": self.id,
            "orderId": self.order_id,
            "orderQty": self.qty,
            "orderType": self.kind.as_str(),
            "timeInForce": self.time_in_force,
        });
        put(&mut entity, "price", self.price.map(Value::from));
        put(&mut entity, "stopPrice", self.stop_price.map(Value::from));
        put(&mut entity, "text", self.text.clone().map(Value::from));
        entity
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub id: i64,
    pub order_id: i64,
    pub timestamp: String,
    pub cl_ord_id: Option<String>,
    pub command_type: &'static str,
    pub command_status: &'static str,
    pub custom_tag50: Option<String>,
    pub is_automated: Option<bool>,
    pub sender_id: i64,
    pub session_id: i64,
}

impl Command {
    pub fn json(&self) -> Value {
        let mut entity = json!({
            "id": self.id,
            "orderId": self.order_id,
            "timestamp": self.timestamp,
            "commandType": self.command_type,
            "commandStatus": self.command_status,
            "senderId": self.sender_id,
            "userSessionId": self.session_id,
        });
        put(
            &mut entity,
            "clOrdId",
            self.cl_ord_id.clone().map(Value::from),
        );
        put(
            &mut entity,
            "customTag50",
            self.custom_tag50.clone().map(Value::from),
        );
        put(
            &mut entity,
            "isAutomated",
            self.is_automated.map(Value::from),
        );
        entity
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ExecutionReport {
    pub id: i64,
    pub command_id: i64,
    pub name: String,
    pub account_id: i64,
    pub contract_id: i64,
    pub timestamp: String,
    pub order_id: i64,
    pub exec_type: &'static str,
    pub action: Action,
    pub ord_status: &'static str,
    pub cum_qty: i64,
    pub avg_px: Option<f64>,
    pub last_qty: Option<i64>,
    pub last_px: Option<f64>,
    pub text: Option<String>,
}

impl ExecutionReport {
    pub fn json(&self) -> Value {
        let mut entity = json!({
            "id": self.id,
            "commandId": self.command_id,
            "name": self.name,
            "accountId": self.account_id,
            "contractId": self.contract_id,
            "timestamp": self.timestamp,
            "tradeDate": trade_date(),
            "orderId": self.order_id,
            "execType": self.exec_type,
            "execRefId": self.id.to_string(),
            "action": self.action.as_str(),
            "ordStatus": self.ord_status,
            "cumQty": self.cum_qty,
        });
        put(&mut entity, "avgPx", self.avg_px.map(Value::from));
        put(&mut entity, "lastQty", self.last_qty.map(Value::from));
        put(&mut entity, "lastPx", self.last_px.map(Value::from));
        put(&mut entity, "text", self.text.clone().map(Value::from));
        entity
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Fill {
    pub id: i64,
    pub order_id: i64,
    pub account_id: i64,
    pub contract_id: i64,
    pub timestamp: String,
    pub action: Action,
    pub qty: i64,
    pub price: f64,
}

impl Fill {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "orderId": self.order_id,
            "contractId": self.contract_id,
            "timestamp": self.timestamp,
            "tradeDate": trade_date(),
            "action": self.action.as_str(),
            "qty": self.qty,
            "price": self.price,
            "active": true,
            "finallyPaired": 0,
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Position {
    pub id: i64,
    pub account_id: i64,
    pub contract_id: i64,
    pub timestamp: String,
    pub net_pos: i64,
    /// Average price of the open quantity (meaningless when flat).
    pub net_price: f64,
    pub bought: i64,
    pub bought_value: f64,
    pub sold: i64,
    pub sold_value: f64,
    pub realized: f64,
}

impl Position {
    pub fn json(&self) -> Value {
        let mut entity = json!({
            "id": self.id,
            "accountId": self.account_id,
            "contractId": self.contract_id,
            "timestamp": self.timestamp,
            "tradeDate": trade_date(),
            "netPos": self.net_pos,
            "bought": self.bought,
            "boughtValue": self.bought_value,
            "sold": self.sold,
            "soldValue": self.sold_value,
            "prevPos": 0,
        });
        if self.net_pos != 0 {
            entity["netPrice"] = json!(self.net_price);
        }
        entity
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CashBalance {
    pub id: i64,
    pub account_id: i64,
    pub timestamp: String,
    pub amount: f64,
    pub realized: f64,
}

impl CashBalance {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "accountId": self.account_id,
            "timestamp": self.timestamp,
            "tradeDate": trade_date(),
            "currencyId": 1,
            "amount": self.amount,
            "realizedPnL": self.realized,
            "weekRealizedPnL": self.realized,
        })
    }
}

/// A bracket of an order strategy: quantity and signed offsets from the entry's fill price.
#[derive(Debug, Clone)]
pub(crate) struct StrategyBracket {
    pub qty: i64,
    pub profit_target: Option<f64>,
    pub stop_loss: Option<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct OrderStrategy {
    pub id: i64,
    pub account_id: i64,
    pub contract_id: i64,
    pub timestamp: String,
    pub action: Action,
    pub params: String,
    pub uuid: Option<String>,
    pub status: &'static str,
    pub custom_tag50: Option<String>,
    pub is_automated: Option<bool>,
    pub session_id: i64,
    pub sender_id: i64,
    pub entry_order_id: i64,
    pub brackets: Vec<StrategyBracket>,
    pub leg_ids: Vec<i64>,
}

impl OrderStrategy {
    pub fn json(&self) -> Value {
        let mut entity = json!({
            "id": self.id,
            "accountId": self.account_id,
            "timestamp": self.timestamp,
            "contractId": self.contract_id,
            "orderStrategyTypeId": 2,
            "action": self.action.as_str(),
            "params": self.params,
            "status": self.status,
            "senderId": self.sender_id,
            "userSessionId": self.session_id,
        });
        put(&mut entity, "uuid", self.uuid.clone().map(Value::from));
        put(
            &mut entity,
            "customTag50",
            self.custom_tag50.clone().map(Value::from),
        );
        entity
    }
}

/// Sets `key` when there is a value (Tradovate leaves absent optional fields out).
fn put(entity: &mut Value, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        entity[key] = value;
    }
}
