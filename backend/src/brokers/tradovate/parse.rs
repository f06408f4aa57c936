//! Strict readers for what Tradovate sends: ids, numbers, timestamps and enums. A value of the
//! wrong type or outside the documented enum is [`BrokerError::Unreadable`], never a default.
//! Also the builders of [`OrderState`] and [`Fill`] from Tradovate's entities (an Order has no
//! prices: they live on its OrderVersion; quantities filled come from its Fills).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::brokers::{BrokerError, Fill, OrderState, OrderStatus, OrderType, Side};

pub(super) fn unreadable(field: &str, value: &Value) -> BrokerError {
    BrokerError::Unreadable(format!("Tradovate's {field} `{value}`"))
}

/// An entity id: a JSON integer.
pub(super) fn id(value: &Value, field: &str) -> Result<i64, BrokerError> {
    value.as_i64().ok_or_else(|| unreadable(field, value))
}

pub(super) fn number(value: &Value, field: &str) -> Result<f64, BrokerError> {
    optional_number(value, field)?.ok_or_else(|| unreadable(field, value))
}

pub(super) fn optional_number(value: &Value, field: &str) -> Result<Option<f64>, BrokerError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_f64() {
            Some(number) if number.is_finite() => Ok(Some(number)),
            _ => Err(unreadable(field, value)),
        },
        _ => Err(unreadable(field, value)),
    }
}

pub(super) fn text<'a>(value: &'a Value, field: &str) -> Result<&'a str, BrokerError> {
    value.as_str().ok_or_else(|| unreadable(field, value))
}

/// A flag Tradovate may leave out (`closed`, `archived`, `active`): absent is `None`.
pub(super) fn optional_bool(value: &Value, field: &str) -> Result<Option<bool>, BrokerError> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(flag) => Ok(Some(*flag)),
        _ => Err(unreadable(field, value)),
    }
}

/// An ISO 8601 timestamp (`2026-12-07T14:30:00.123Z`).
pub(super) fn timestamp(value: &Value, field: &str) -> Result<DateTime<Utc>, BrokerError> {
    let text = text(value, field)?;
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| unreadable(field, value))
}

pub(super) fn action(value: &Value) -> Result<Side, BrokerError> {
    match value.as_str() {
        Some("Buy") => Ok(Side::Buy),
        Some("Sell") => Ok(Side::Sell),
        _ => Err(unreadable("action", value)),
    }
}

pub(super) fn action_name(side: Side) -> &'static str {
    match side {
        Side::Buy => "Buy",
        Side::Sell => "Sell",
    }
}

/// What an `ordStatus` says about the order. `Completed` depends on what filled, so it is
/// kept apart; `Unknown` (Tradovate's own word for a status it cannot tell yet) counts as live:
/// the order may still fill, so it must be cancelled on a flatten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Live,
    /// Held until its parent fills (a bracket leg).
    Suspended,
    Filled,
    Completed,
    Cancelled,
    Rejected,
}

pub(super) fn ord_status(value: &Value) -> Result<Status, BrokerError> {
    Ok(match value.as_str() {
        Some("Working" | "PendingNew" | "PendingReplace" | "PendingCancel" | "Unknown") => {
            Status::Live
        }
        Some("Suspended") => Status::Suspended,
        Some("Filled") => Status::Filled,
        Some("Completed") => Status::Completed,
        Some("Canceled" | "Expired") => Status::Cancelled,
        Some("Rejected") => Status::Rejected,
        _ => return Err(unreadable("ordStatus", value)),
    })
}

/// An order's type and prices from its OrderVersion. Tradovate's touched and trailing types
/// are reported as the stop or stop-limit they act as; `QTS` has no equivalent here.
fn order_kind(version: &Value) -> Result<(OrderType, Option<f64>, Option<f64>), BrokerError> {
    let price = optional_number(&version["price"], "price")?;
    let stop = optional_number(&version["stopPrice"], "stopPrice")?;
    let touched = optional_number(&version["limitIfTouchedPrice"], "limitIfTouchedPrice")?;
    let kind = &version["orderType"];
    Ok(match kind.as_str() {
        Some("Market") => (OrderType::Market, None, None),
        Some("Limit") => (
            OrderType::Limit,
            Some(price.ok_or_else(|| unreadable("price", &version["price"]))?),
            None,
        ),
        // The partner docs also put a stop's trigger in `price`.
        Some("Stop" | "TrailingStop") => (OrderType::Stop, None, stop.or(price)),
        Some("MIT") => (OrderType::Stop, None, touched.or(stop).or(price)),
        Some("StopLimit" | "TrailingStopLimit") => (OrderType::StopLimit, price, stop),
        Some("LimitIfTouched") => (OrderType::StopLimit, price, touched.or(stop)),
        _ => return Err(unreadable("orderType", kind)),
    })
}

/// The quantity an order filled and at what average price, from its Fills.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Filled {
    pub quantity: f64,
    /// Sum of quantity × price.
    pub value: f64,
    pub last_at: Option<DateTime<Utc>>,
}

impl Filled {
    pub fn add(&mut self, quantity: f64, price: f64, at: DateTime<Utc>) {
        self.quantity += quantity;
        self.value += quantity * price;
        self.last_at = Some(self.last_at.map_or(at, |last| last.max(at)));
    }

    pub fn average(&self) -> Option<f64> {
        (self.quantity > 0.0).then(|| self.value / self.quantity)
    }
}

/// What an OrderState needs besides the Order and its latest OrderVersion.
pub(super) struct Known<'a> {
    pub client_order_id: &'a str,
    /// Our external id of the account: Tradovate's account id as text.
    pub account: String,
    /// The contract's name (`ESZ6`).
    pub symbol: &'a str,
    pub filled: Filled,
}

pub(super) fn order_state(
    order: &Value,
    version: &Value,
    known: Known<'_>,
) -> Result<OrderState, BrokerError> {
    let (order_type, limit_price, stop_price) = order_kind(version)?;
    let quantity = number(&version["orderQty"], "orderQty")?;
    let filled = known.filled;
    let status = match ord_status(&order["ordStatus"])? {
        Status::Live | Status::Suspended => OrderStatus::Working,
        Status::Filled => OrderStatus::Filled,
        Status::Completed if filled.quantity + 1e-9 >= quantity => OrderStatus::Filled,
        Status::Completed | Status::Cancelled => OrderStatus::Cancelled,
        Status::Rejected => OrderStatus::Rejected,
    };
    // A Filled order filled all of it, whether or not its Fills were read yet.
    let filled_quantity = if status == OrderStatus::Filled {
        filled.quantity.max(quantity)
    } else {
        filled.quantity
    };
    let created = timestamp(&order["timestamp"], "timestamp")?;
    Ok(OrderState {
        order_id: id(&order["id"], "order id")?.to_string(),
        client_order_id: known.client_order_id.to_owned(),
        account: known.account,
        symbol: known.symbol.to_owned(),
        side: action(&order["action"])?,
        order_type,
        quantity,
        limit_price,
        stop_price,
        status,
        filled_quantity,
        average_price: filled.average(),
        updated_at: filled.last_at.map_or(created, |at| at.max(created)),
    })
}

/// One Fill entity, read: (fill id, order id, contract id, side, quantity, price, time).
pub(super) struct FillEntity {
    pub id: i64,
    pub order_id: i64,
    pub contract_id: i64,
    pub side: Side,
    pub quantity: f64,
    pub price: f64,
    pub at: DateTime<Utc>,
    /// `false` once Tradovate busted the fill.
    pub active: bool,
}

pub(super) fn fill_entity(item: &Value) -> Result<FillEntity, BrokerError> {
    let quantity = number(&item["qty"], "qty")?;
    if quantity <= 0.0 {
        return Err(unreadable("qty", &item["qty"]));
    }
    Ok(FillEntity {
        id: id(&item["id"], "fill id")?,
        order_id: id(&item["orderId"], "orderId")?,
        contract_id: id(&item["contractId"], "contractId")?,
        side: action(&item["action"])?,
        quantity,
        price: number(&item["price"], "price")?,
        at: timestamp(&item["timestamp"], "timestamp")?,
        active: optional_bool(&item["active"], "active")?.unwrap_or(true),
    })
}

impl FillEntity {
    pub fn into_fill(self, client_order_id: String, account: String, symbol: String) -> Fill {
        Fill {
            execution_id: self.id.to_string(),
            order_id: self.order_id.to_string(),
            client_order_id,
            account,
            symbol,
            side: self.side,
            quantity: self.quantity,
            price: self.price,
            at: self.at,
        }
    }
}

/// Sums the Fills of one order (busted ones left out).
pub(super) fn filled(fills: &[Value]) -> Result<Filled, BrokerError> {
    let mut total = Filled::default();
    for item in fills {
        let fill = fill_entity(item)?;
        if fill.active {
            total.add(fill.quantity, fill.price, fill.at);
        }
    }
    Ok(total)
}

/// The latest of an order's OrderVersions (the highest id).
pub(super) fn latest_version(versions: &[Value]) -> Result<Option<&Value>, BrokerError> {
    let mut latest: Option<(i64, &Value)> = None;
    for version in versions {
        let version_id = id(&version["id"], "orderVersion id")?;
        if latest.is_none_or(|(best, _)| version_id > best) {
            latest = Some((version_id, version));
        }
    }
    Ok(latest.map(|(_, version)| version))
}

/// A list answer: a JSON array.
pub(super) fn list<'a>(value: &'a Value, what: &str) -> Result<&'a [Value], BrokerError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| unreadable(what, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order() -> Value {
        json!({"id": 11, "accountId": 7, "contractId": 3, "timestamp": "2026-12-07T14:30:00.123Z",
            "action": "Sell", "ordStatus": "Working"})
    }

    fn known(filled: Filled) -> Known<'static> {
        Known {
            client_order_id: "ct1",
            account: "7".into(),
            symbol: "ESZ6",
            filled,
        }
    }

    #[test]
    fn an_order_takes_its_prices_from_its_version() {
        let version = json!({"id": 12, "orderId": 11, "orderQty": 2, "orderType": "StopLimit",
            "price": 5990.25, "stopPrice": 5991.0, "timeInForce": "Day"});
        let state = order_state(&order(), &version, known(Filled::default())).unwrap();
        assert_eq!(state.order_type, OrderType::StopLimit);
        assert_eq!(
            (state.limit_price, state.stop_price),
            (Some(5990.25), Some(5991.0))
        );
        assert_eq!(
            (state.side, state.status, state.quantity),
            (Side::Sell, OrderStatus::Working, 2.0)
        );
        assert_eq!(state.order_id, "11");
    }

    #[test]
    fn unknown_values_are_unreadable_never_defaulted() {
        let version = json!({"id": 12, "orderQty": 1, "orderType": "Market"});
        for (field, value) in [
            ("ordStatus", json!("Parked")),
            ("action", json!("Short")),
            ("timestamp", json!("yesterday")),
            ("id", json!("11")),
        ] {
            let mut odd = order();
            odd[field] = value;
            assert!(
                matches!(
                    order_state(&odd, &version, known(Filled::default())),
                    Err(BrokerError::Unreadable(_))
                ),
                "{field}"
            );
        }
        let mut odd = version.clone();
        odd["orderQty"] = json!("one");
        assert!(order_state(&order(), &odd, known(Filled::default())).is_err());
        odd["orderQty"] = json!(1);
        odd["orderType"] = json!("QTS");
        assert!(order_state(&order(), &odd, known(Filled::default())).is_err());
    }

    #[test]
    fn fills_sum_to_an_average_and_busted_ones_do_not_count() {
        let fills = [
            json!({"id": 1, "orderId": 11, "contractId": 3, "timestamp": "2026-12-07T14:30:01Z",
                "action": "Buy", "qty": 1, "price": 6000.0, "active": true}),
            json!({"id": 2, "orderId": 11, "contractId": 3, "timestamp": "2026-12-07T14:30:02Z",
                "action": "Buy", "qty": 1, "price": 6001.0}),
            json!({"id": 3, "orderId": 11, "contractId": 3, "timestamp": "2026-12-07T14:30:03Z",
                "action": "Buy", "qty": 5, "price": 1.0, "active": false}),
        ];
        let total = filled(&fills).unwrap();
        assert_eq!(total.quantity, 2.0);
        assert_eq!(total.average(), Some(6000.5));
        let mut done = order();
        done["ordStatus"] = json!("Completed");
        let version = json!({"id": 12, "orderQty": 2, "orderType": "Market"});
        let state = order_state(&done, &version, known(total)).unwrap();
        assert_eq!(state.status, OrderStatus::Filled);
        let mut broken = fills[0].clone();
        broken["qty"] = json!(0);
        assert!(filled(&[broken]).is_err());
    }

    #[test]
    fn the_latest_version_is_the_highest_id() {
        let versions = [json!({"id": 5}), json!({"id": 9}), json!({"id": 7})];
        assert_eq!(latest_version(&versions).unwrap().unwrap()["id"], 9);
        assert!(latest_version(&[]).unwrap().is_none());
    }
}
