//! The venue's objects read strictly: an unknown side, status, type, number or time is
//! [`BrokerError::Unreadable`], never a default. Ids are 64-bit (order ids exceed 2³¹);
//! timestamps carry an offset (`2025-04-21T19:45:52.105808+00:00`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::brokers::{BrokerError, OrderState, OrderStatus, OrderType, Position, Side};

/// Order statuses that are still working (Open, Pending, PendingCancellation, Suspended).
pub const WORKING_STATUSES: [i64; 4] = [1, 6, 7, 8];

fn unreadable(field: &str, value: &Value) -> BrokerError {
    BrokerError::Unreadable(format!("TopstepX's {field} `{value}`"))
}

/// A list the answer must carry: absent or `null` is not "empty" (never read as flat).
pub fn list<'a>(answer: &'a Value, field: &str) -> Result<&'a Vec<Value>, BrokerError> {
    answer[field]
        .as_array()
        .ok_or_else(|| unreadable(field, &answer[field]))
}

pub fn integer(value: &Value, field: &str) -> Result<i64, BrokerError> {
    value.as_i64().ok_or_else(|| unreadable(field, value))
}

fn optional_integer(value: &Value, field: &str) -> Result<Option<i64>, BrokerError> {
    match value {
        Value::Null => Ok(None),
        other => integer(other, field).map(Some),
    }
}

/// A decimal (a JSON number, or one in a string).
pub fn number(value: &Value, field: &str) -> Result<f64, BrokerError> {
    optional_number(value, field)?.ok_or_else(|| unreadable(field, value))
}

pub fn optional_number(value: &Value, field: &str) -> Result<Option<f64>, BrokerError> {
    let parsed = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    };
    match parsed {
        Some(n) if n.is_finite() => Ok(Some(n)),
        _ => Err(unreadable(field, value)),
    }
}

pub fn text(value: &Value, field: &str) -> Result<String, BrokerError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| unreadable(field, value))
}

fn flag(value: &Value, field: &str) -> Result<bool, BrokerError> {
    value.as_bool().ok_or_else(|| unreadable(field, value))
}

pub fn timestamp(value: &Value, field: &str) -> Result<DateTime<Utc>, BrokerError> {
    value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| unreadable(field, value))
}

/// A whole, positive number of contracts.
fn size(value: &Value, field: &str) -> Result<i64, BrokerError> {
    match value.as_i64() {
        Some(size) if size > 0 => Ok(size),
        _ => Err(unreadable(field, value)),
    }
}

/// `side`: 0 Bid (buy), 1 Ask (sell).
pub fn side(value: &Value) -> Result<Side, BrokerError> {
    match value.as_i64() {
        Some(0) => Ok(Side::Buy),
        Some(1) => Ok(Side::Sell),
        _ => Err(unreadable("side", value)),
    }
}

/// `type`: 1 Limit, 2 Market, 3 StopLimit, 4 Stop, 5 TrailingStop (a stop that follows the
/// market), 6 JoinBid and 7 JoinAsk (limits at the best bid or ask).
pub fn order_type(value: &Value) -> Result<OrderType, BrokerError> {
    match value.as_i64() {
        Some(1 | 6 | 7) => Ok(OrderType::Limit),
        Some(2) => Ok(OrderType::Market),
        Some(3) => Ok(OrderType::StopLimit),
        Some(4 | 5) => Ok(OrderType::Stop),
        _ => Err(unreadable("order type", value)),
    }
}

/// `status`: 0 None (known, no state yet), 1 Open, 2 Filled, 3 Cancelled, 4 Expired,
/// 5 Rejected, 6 Pending, 7 PendingCancellation, 8 Suspended (a bracket leg waiting for its
/// entry's fill).
pub fn status(value: &Value) -> Result<OrderStatus, BrokerError> {
    match value.as_i64() {
        Some(0 | 1 | 6 | 7 | 8) => Ok(OrderStatus::Working),
        Some(2) => Ok(OrderStatus::Filled),
        Some(3 | 4) => Ok(OrderStatus::Cancelled),
        Some(5) => Ok(OrderStatus::Rejected),
        _ => Err(unreadable("order status", value)),
    }
}

/// An order as the searches and the hub describe it.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: i64,
    /// `customTag` as sent (our client order id, perhaps with an attempt suffix).
    pub tag: Option<String>,
    /// The venue's status code (working orders are listed by it).
    pub status_code: i64,
    /// With our client order id already taken from the tag.
    pub state: OrderState,
}

/// Reads an order; `client_order_id` turns a tag into our client order id.
pub fn order(item: &Value, client_order_id: impl Fn(&str) -> String) -> Result<Order, BrokerError> {
    let id = integer(&item["id"], "order id")?;
    let account_id = integer(&item["accountId"], "accountId")?;
    let tag = match &item["customTag"] {
        Value::Null => None,
        other => Some(text(other, "customTag")?),
    };
    let status_code = integer(&item["status"], "order status")?;
    let created = timestamp(&item["creationTimestamp"], "creationTimestamp")?;
    let updated = match &item["updateTimestamp"] {
        Value::Null => created,
        other => timestamp(other, "updateTimestamp")?,
    };
    let state = OrderState {
        order_id: id.to_string(),
        client_order_id: tag.as_deref().map(&client_order_id).unwrap_or_default(),
        account: account_id.to_string(),
        symbol: text(&item["contractId"], "contractId")?,
        side: side(&item["side"])?,
        order_type: order_type(&item["type"])?,
        quantity: size(&item["size"], "order size")? as f64,
        limit_price: optional_number(&item["limitPrice"], "limitPrice")?,
        stop_price: optional_number(&item["stopPrice"], "stopPrice")?,
        status: status(&item["status"])?,
        filled_quantity: optional_integer(&item["fillVolume"], "fillVolume")?.unwrap_or(0) as f64,
        average_price: optional_number(&item["filledPrice"], "filledPrice")?,
        updated_at: updated,
    };
    Ok(Order {
        id,
        tag,
        status_code,
        state,
    })
}

/// A trade (one execution) as `Trade/search` and the hub describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Trade {
    pub id: i64,
    pub account_id: i64,
    pub contract_id: String,
    pub at: DateTime<Utc>,
    pub price: f64,
    pub side: Side,
    pub size: i64,
    /// A voided trade did not happen.
    pub voided: bool,
    pub order_id: i64,
}

pub fn trade(item: &Value) -> Result<Trade, BrokerError> {
    Ok(Trade {
        id: integer(&item["id"], "trade id")?,
        account_id: integer(&item["accountId"], "accountId")?,
        contract_id: text(&item["contractId"], "contractId")?,
        at: timestamp(&item["creationTimestamp"], "creationTimestamp")?,
        price: number(&item["price"], "trade price")?,
        side: side(&item["side"])?,
        size: size(&item["size"], "trade size")?,
        voided: match &item["voided"] {
            Value::Null => false,
            other => flag(other, "voided")?,
        },
        order_id: integer(&item["orderId"], "orderId")?,
    })
}

/// A position: `type` 1 long, 2 short, `size` always positive.
pub fn position(item: &Value) -> Result<Position, BrokerError> {
    let size = size(&item["size"], "position size")? as f64;
    let quantity = match item["type"].as_i64() {
        Some(1) => size,
        Some(2) => -size,
        _ => return Err(unreadable("position type", &item["type"])),
    };
    Ok(Position {
        symbol: text(&item["contractId"], "contractId")?,
        quantity,
        average_price: number(&item["averagePrice"], "averagePrice")?,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Contract {
    pub id: String,
    pub name: String,
    pub tick_size: f64,
    pub tick_value: f64,
    pub active: bool,
}

pub fn contract(item: &Value) -> Result<Contract, BrokerError> {
    let tick_size = number(&item["tickSize"], "tickSize")?;
    let tick_value = number(&item["tickValue"], "tickValue")?;
    if tick_size <= 0.0 || tick_value <= 0.0 {
        return Err(unreadable("tick size or value", item));
    }
    Ok(Contract {
        id: text(&item["id"], "contract id")?,
        name: text(&item["name"], "contract name")?,
        tick_size,
        tick_value,
        active: flag(&item["activeContract"], "activeContract")?,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub balance: f64,
    pub can_trade: bool,
}

pub fn account(item: &Value) -> Result<Account, BrokerError> {
    Ok(Account {
        id: integer(&item["id"], "account id")?,
        name: text(&item["name"], "account name")?,
        balance: number(&item["balance"], "balance")?,
        can_trade: flag(&item["canTrade"], "canTrade")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn an_order() -> Value {
        json!({"id": 2300000001i64, "accountId": 7000001, "contractId": "CON.F.US.EP.Z26",
            "symbolId": "F.US.EP", "creationTimestamp": "2026-12-01T14:30:00.123456+00:00",
            "updateTimestamp": null, "status": 8, "type": 4, "side": 1, "size": 2,
            "limitPrice": null, "stopPrice": 5990.000000000, "filledPrice": null,
            "fillVolume": 0, "customTag": "ct1-r2"})
    }

    #[test]
    fn orders_map_from_the_venues_fields() {
        let order = order(&an_order(), |tag| tag.trim_end_matches("-r2").to_owned())
            .expect("a readable order");
        assert_eq!(order.id, 2_300_000_001);
        assert_eq!(order.tag.as_deref(), Some("ct1-r2"));
        assert_eq!(order.state.client_order_id, "ct1");
        assert_eq!(order.state.status, OrderStatus::Working);
        assert_eq!(order.state.order_type, OrderType::Stop);
        assert_eq!(order.state.side, Side::Sell);
        assert_eq!(order.state.stop_price, Some(5990.0));
        assert_eq!(order.state.quantity, 2.0);
        assert_eq!(order.state.symbol, "CON.F.US.EP.Z26");
    }

    #[test]
    fn values_the_venue_should_never_send_are_unreadable() {
        for (field, value) in [
            ("side", json!(2)),
            ("status", json!(9)),
            ("type", json!(0)),
            ("size", json!(1.5)),
            ("stopPrice", json!("near")),
            ("creationTimestamp", json!("yesterday")),
            ("customTag", json!(7)),
        ] {
            let mut odd = an_order();
            odd[field] = value;
            assert!(
                matches!(order(&odd, str::to_owned), Err(BrokerError::Unreadable(_))),
                "{field}"
            );
        }
    }

    #[test]
    fn positions_are_signed_by_type() {
        let short = json!({"id": 1, "accountId": 7, "contractId": "CON.F.US.ENQ.Z26",
            "creationTimestamp": "2026-12-01T14:30:00+00:00", "type": 2, "size": 3, "averagePrice": 21000.25});
        assert_eq!(position(&short).expect("a position").quantity, -3.0);
        let mut odd = short.clone();
        odd["type"] = json!(0);
        assert!(position(&odd).is_err());
        assert!(list(&json!({"positions": null}), "positions").is_err());
        assert!(list(&json!({}), "positions").is_err());
    }

    #[test]
    fn trades_read_voided_and_ids() {
        let item = json!({"id": 2900000001i64, "accountId": 7, "contractId": "CON.F.US.EP.Z26",
            "creationTimestamp": "2026-12-01T14:30:00.5+00:00", "price": 6000.25, "profitAndLoss": null,
            "fees": 1.4, "side": 0, "size": 1, "voided": false, "orderId": 2300000001i64});
        let trade = trade(&item).expect("a trade");
        assert_eq!((trade.id, trade.order_id), (2_900_000_001, 2_300_000_001));
        assert_eq!(trade.side, Side::Buy);
        assert!(!trade.voided);
    }
}
