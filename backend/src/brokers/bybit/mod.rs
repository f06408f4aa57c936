//! Bybit v5, USDT linear perpetuals, through one API key (the unified trading account).
//!
//! REST calls are signed per `sign`; every answer is the `{retCode, retMsg, result}` envelope,
//! mapped here to the [`BrokerError`] taxonomy. Order creation is asynchronous at Bybit: a
//! placement answers with ids only, and fills arrive on the private WebSocket ([`stream`]).
//! Our client order id travels as `orderLinkId` (at most 36 characters); Bybit refuses a
//! repeated one, and the adapter then returns the order that already carries it.

mod sign;
mod stream;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::http::Method;
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::endpoints::Endpoint;
use super::http::{HttpClient, HttpError};
use super::{
    AccountSnapshot, BrokerAccount, BrokerAdapter, BrokerError, BrokerEvent, Instrument,
    KeyPermissions, OrderRequest, OrderState, OrderStatus, OrderType, Position, Side,
};
use crate::vault::SecretString;

/// How long a signed request stays valid at Bybit.
const RECV_WINDOW: &str = "5000";
/// The settlement coin of the contracts CopyTrade trades at Bybit.
const SETTLE_COIN: &str = "USDT";
/// Bybit's `orderLinkId` limit.
const MAX_LINK_ID: usize = 36;
/// `retCode` of a repeated `orderLinkId` (Bybit's error-code list; not in our notes' excerpt).
const DUPLICATE_LINK_ID: i64 = 110072;

/// `/v5/order/create` takes 10 per second per UID for linear contracts.
pub fn order_rate() -> governor::Quota {
    governor::Quota::per_second(std::num::NonZeroU32::MIN.saturating_add(9))
}

/// The answer envelope.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "retCode")]
    ret_code: i64,
    #[serde(rename = "retMsg", default)]
    ret_msg: String,
    #[serde(default)]
    result: Value,
}

/// Signed REST calls with one API key; the stream shares it to catch up after a reconnect.
#[derive(Clone)]
struct Rest {
    http: HttpClient,
    endpoint: Endpoint,
    api_key: SecretString,
    api_secret: SecretString,
}

/// One Bybit API key.
pub struct BybitAdapter {
    rest: Rest,
    /// Bybit's user id for this key, once asked; the stream reads it too (events name it).
    user_id: Arc<Mutex<Option<String>>>,
    events: broadcast::Sender<BrokerEvent>,
    streaming: Arc<AtomicBool>,
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn unreadable(field: &str, value: &Value) -> BrokerError {
    BrokerError::Unreadable(format!("Bybit's {field} `{value}`"))
}

/// A Bybit number (a string, sometimes a JSON number) that must be there.
fn number(value: &Value, field: &str) -> Result<f64, BrokerError> {
    optional_number(value, field)?.ok_or_else(|| unreadable(field, value))
}

/// A number Bybit may leave empty (`""` or absent: an average price before any fill).
fn optional_number(value: &Value, field: &str) -> Result<Option<f64>, BrokerError> {
    let parsed = match value {
        Value::Null => return Ok(None),
        Value::String(text) if text.is_empty() => return Ok(None),
        Value::String(text) => text.parse::<f64>().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    match parsed {
        Some(number) if number.is_finite() => Ok(Some(number)),
        _ => Err(unreadable(field, value)),
    }
}

/// A decimal as Bybit wants it: plain digits, no exponent.
fn decimal(value: f64) -> String {
    format!("{value}")
}

fn millis(value: &Value, field: &str) -> Result<DateTime<Utc>, BrokerError> {
    let ms = number(value, field)?;
    Utc.timestamp_millis_opt(ms as i64)
        .single()
        .ok_or_else(|| unreadable(field, value))
}

fn side(value: &Value) -> Result<Side, BrokerError> {
    match value.as_str() {
        Some("Buy") => Ok(Side::Buy),
        Some("Sell") => Ok(Side::Sell),
        _ => Err(unreadable("side", value)),
    }
}

fn status(value: &Value) -> Result<OrderStatus, BrokerError> {
    Ok(match value.as_str() {
        Some("Filled") => OrderStatus::Filled,
        Some("Cancelled" | "Deactivated" | "PartiallyFilledCanceled") => OrderStatus::Cancelled,
        Some("Rejected") => OrderStatus::Rejected,
        Some("New" | "PartiallyFilled" | "Untriggered" | "Triggered" | "Created") => {
            OrderStatus::Working
        }
        _ => return Err(unreadable("orderStatus", value)),
    })
}

fn text(value: &Value, field: &str) -> Result<String, BrokerError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| unreadable(field, value))
}

/// An order as the REST list and the `order` topic describe it.
fn order_state(item: &Value, account: &str) -> Result<OrderState, BrokerError> {
    let trigger = optional_number(&item["triggerPrice"], "triggerPrice")?.filter(|p| *p > 0.0);
    let limit = match item["orderType"].as_str() {
        Some("Limit") => true,
        Some("Market") => false,
        _ => return Err(unreadable("orderType", &item["orderType"])),
    };
    let order_type = match (limit, trigger.is_some()) {
        (true, true) => OrderType::StopLimit,
        (true, false) => OrderType::Limit,
        (false, true) => OrderType::Stop,
        (false, false) => OrderType::Market,
    };
    let average = optional_number(&item["avgPrice"], "avgPrice")?.filter(|p| *p > 0.0);
    Ok(OrderState {
        order_id: text(&item["orderId"], "orderId")?,
        client_order_id: item["orderLinkId"].as_str().unwrap_or_default().to_owned(),
        account: account.to_owned(),
        symbol: text(&item["symbol"], "symbol")?,
        side: side(&item["side"])?,
        order_type,
        quantity: number(&item["qty"], "qty")?,
        limit_price: if limit {
            Some(number(&item["price"], "price")?)
        } else {
            None
        },
        stop_price: trigger,
        status: status(&item["orderStatus"])?,
        filled_quantity: optional_number(&item["cumExecQty"], "cumExecQty")?.unwrap_or(0.0),
        average_price: average,
        updated_at: millis(&item["updatedTime"], "updatedTime")?,
    })
}

fn transport(err: HttpError, may_have_placed: bool) -> BrokerError {
    if may_have_placed && err.may_have_arrived() {
        BrokerError::UnknownOutcome(err.to_string())
    } else {
        BrokerError::Transient(err.to_string())
    }
}

/// Maps a non-zero `retCode`.
/// Bybit's own message is kept only where it cannot hold the request: a signature error
/// echoes the signed string, key included.
fn ret_code_error(code: i64, message: &str, reset_ms: Option<i64>) -> BrokerError {
    let message = format!("{message} (Bybit {code})");
    match code {
        10003 => BrokerError::BadCredentials(
            "Bybit does not know this API key; keys differ between mainnet, testnet and demo (Bybit 10003)".into(),
        ),
        10004 => BrokerError::BadCredentials(
            "Bybit refused the signature: check the API secret (Bybit 10004)".into(),
        ),
        10005 => BrokerError::PermissionDenied(message),
        10010 => BrokerError::PermissionDenied(format!(
            "{message}: this server's IP address is not on the key's allow-list"
        )),
        10006 => BrokerError::RateLimited {
            retry_after_ms: reset_ms
                .map_or(1_000, |reset| (reset - now_ms()).clamp(100, 60_000) as u64),
        },
        10002 => BrokerError::Transient(message),
        _ => BrokerError::Rejected(message),
    }
}

impl Rest {
    /// Sends a signed request and returns the envelope (transport failures mapped).
    async fn signed(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<&Value>,
    ) -> Result<Envelope, BrokerError> {
        let timestamp = now_ms().to_string();
        let body = body.map(Value::to_string);
        let payload = body.as_deref().unwrap_or(query);
        let signature = sign::hmac_hex(
            self.api_secret.expose(),
            &sign::origin(&timestamp, self.api_key.expose(), RECV_WINDOW, payload),
        );
        let url = if query.is_empty() {
            format!("{}{path}", self.endpoint.rest)
        } else {
            format!("{}{path}?{query}", self.endpoint.rest)
        };
        let mut headers = vec![
            ("X-BAPI-API-KEY", self.api_key.expose()),
            ("X-BAPI-TIMESTAMP", timestamp.as_str()),
            ("X-BAPI-SIGN", signature.as_str()),
            ("X-BAPI-RECV-WINDOW", RECV_WINDOW),
        ];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let posting = method == Method::POST;
        let response = self
            .http
            .send(method, &url, &headers, body.map(String::into_bytes))
            .await
            .map_err(|err| transport(err, posting))?;
        if response.status == 403 {
            // "access too frequent": Bybit bans the IP for about 10 minutes.
            return Err(BrokerError::RateLimited {
                retry_after_ms: 600_000,
            });
        }
        if response.status >= 500 {
            let err = format!("Bybit answered HTTP {}", response.status);
            return Err(if posting {
                BrokerError::UnknownOutcome(err)
            } else {
                BrokerError::Transient(err)
            });
        }
        let mut envelope: Envelope = serde_json::from_slice(&response.body).map_err(|_| {
            BrokerError::Transient(format!(
                "unreadable answer from Bybit (HTTP {})",
                response.status
            ))
        })?;
        // Whatever Bybit echoes of the request, the key never travels further.
        envelope.ret_msg = envelope.ret_msg.replace(self.api_key.expose(), "••••");
        if envelope.ret_code == 10006 {
            let reset = response
                .headers
                .get("X-Bapi-Limit-Reset-Timestamp")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            return Err(ret_code_error(10006, &envelope.ret_msg, reset));
        }
        Ok(envelope)
    }

    /// A signed request whose success is `retCode` 0.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<&Value>,
    ) -> Result<Value, BrokerError> {
        let envelope = self.signed(method, path, query, body).await?;
        if envelope.ret_code != 0 {
            return Err(ret_code_error(envelope.ret_code, &envelope.ret_msg, None));
        }
        Ok(envelope.result)
    }
}

impl BybitAdapter {
    pub fn new(
        http: HttpClient,
        endpoint: Endpoint,
        api_key: SecretString,
        api_secret: SecretString,
    ) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            rest: Rest {
                http,
                endpoint,
                api_key,
                api_secret,
            },
            user_id: Arc::new(Mutex::new(None)),
            events,
            streaming: Arc::new(AtomicBool::new(false)),
        }
    }

    async fn key_details(&self) -> Result<Value, BrokerError> {
        let result = self
            .rest
            .call(Method::GET, "/v5/user/query-api", "", None)
            .await?;
        let user = match &result["userID"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => {
                return Err(BrokerError::Transient(
                    "Bybit did not say whose key this is".into(),
                ));
            }
        };
        if let Ok(mut cached) = self.user_id.lock() {
            *cached = Some(user);
        }
        Ok(result)
    }

    async fn account_id(&self) -> Result<String, BrokerError> {
        if let Some(user) = self.user_id.lock().ok().and_then(|cached| cached.clone()) {
            return Ok(user);
        }
        self.key_details().await?;
        self.user_id
            .lock()
            .ok()
            .and_then(|cached| cached.clone())
            .ok_or_else(|| BrokerError::Transient("Bybit did not say whose key this is".into()))
    }

    async fn own(&self, account: &str) -> Result<(), BrokerError> {
        if self.account_id().await? == account {
            Ok(())
        } else {
            Err(BrokerError::UnknownAccount(account.to_owned()))
        }
    }

    async fn orders(&self, query: &str, account: &str) -> Result<Vec<OrderState>, BrokerError> {
        let result = self
            .rest
            .call(Method::GET, "/v5/order/realtime", query, None)
            .await?;
        let list = result["list"]
            .as_array()
            .ok_or_else(|| unreadable("order list", &result["list"]))?;
        list.iter().map(|item| order_state(item, account)).collect()
    }

    async fn positions(&self) -> Result<Vec<Position>, BrokerError> {
        let query = format!("category=linear&settleCoin={SETTLE_COIN}");
        let result = self
            .rest
            .call(Method::GET, "/v5/position/list", &query, None)
            .await?;
        let list = result["list"]
            .as_array()
            .ok_or_else(|| unreadable("position list", &result["list"]))?;
        let mut positions = Vec::new();
        for item in list {
            let size = number(&item["size"], "size")?;
            if size <= 0.0 {
                continue;
            }
            positions.push(Position {
                symbol: text(&item["symbol"], "symbol")?,
                quantity: size * side(&item["side"])?.sign(),
                average_price: number(&item["avgPrice"], "avgPrice")?,
            });
        }
        Ok(positions)
    }
}

/// `orderLinkId` values are ASCII letters, digits, `-` and `_` at Bybit.
fn link_id(client_order_id: &str) -> Result<String, BrokerError> {
    let valid = !client_order_id.is_empty()
        && client_order_id.len() <= MAX_LINK_ID
        && client_order_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(client_order_id.to_owned())
    } else {
        Err(BrokerError::Rejected(format!(
            "Bybit order link ids have 1 to {MAX_LINK_ID} letters, digits, - or _"
        )))
    }
}

#[async_trait]
impl BrokerAdapter for BybitAdapter {
    async fn authenticate(&self) -> Result<(), BrokerError> {
        self.key_details().await.map(drop)
    }

    async fn permissions(&self) -> Result<KeyPermissions, BrokerError> {
        let details = self.key_details().await?;
        let permissions = &details["permissions"];
        let listed = |group: &str, right: &str| {
            permissions[group]
                .as_array()
                .is_some_and(|rights| rights.iter().any(|r| r.as_str() == Some(right)))
        };
        let any = |group: &str| permissions[group].as_array().is_some_and(|r| !r.is_empty());
        let read_only = details["readOnly"].as_i64() == Some(1);
        Ok(KeyPermissions {
            can_trade: Some(!read_only && (any("ContractTrade") || any("Derivatives"))),
            can_withdraw: Some(listed("Wallet", "Withdraw")),
            can_transfer: Some(
                listed("Wallet", "AccountTransfer") || listed("Wallet", "SubMemberTransfer"),
            ),
            key_created_at: details["createdAt"]
                .as_str()
                .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
                .map(|at| at.with_timezone(&Utc)),
        })
    }

    async fn accounts(&self) -> Result<Vec<BrokerAccount>, BrokerError> {
        let user = self.account_id().await?;
        Ok(vec![BrokerAccount {
            name: format!("Bybit unified account {user}"),
            external_id: user,
        }])
    }

    async fn snapshot(&self, account: &str) -> Result<AccountSnapshot, BrokerError> {
        self.own(account).await?;
        let wallet = self
            .rest
            .call(
                Method::GET,
                "/v5/account/wallet-balance",
                "accountType=UNIFIED",
                None,
            )
            .await?;
        let balance = match wallet["list"].as_array().and_then(|list| list.first()) {
            Some(account) => Some(number(&account["totalEquity"], "totalEquity")?),
            None => None,
        };
        Ok(AccountSnapshot {
            balance,
            positions: self.positions().await?,
        })
    }

    async fn instrument(&self, symbol: &str) -> Result<Instrument, BrokerError> {
        let symbol = symbol.trim().to_ascii_uppercase();
        if symbol.is_empty() || !symbol.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(BrokerError::UnknownSymbol(symbol));
        }
        let url = format!(
            "{}/v5/market/instruments-info?category=linear&symbol={symbol}",
            self.rest.endpoint.rest
        );
        let response = self
            .rest
            .http
            .send(Method::GET, &url, &[], None)
            .await
            .map_err(|err| transport(err, false))?;
        let envelope: Envelope = serde_json::from_slice(&response.body)
            .map_err(|_| BrokerError::Transient("unreadable answer from Bybit".into()))?;
        if envelope.ret_code != 0 {
            return Err(ret_code_error(envelope.ret_code, &envelope.ret_msg, None));
        }
        let item = envelope.result["list"]
            .as_array()
            .and_then(|list| list.first())
            .ok_or_else(|| BrokerError::UnknownSymbol(symbol.clone()))?;
        let tick_size = number(&item["priceFilter"]["tickSize"], "tickSize")?;
        let lot_size = number(&item["lotSizeFilter"]["qtyStep"], "qtyStep")?;
        if tick_size <= 0.0 || lot_size <= 0.0 {
            return Err(BrokerError::Unreadable(format!(
                "Bybit's tick size {tick_size} or lot size {lot_size} for {symbol}"
            )));
        }
        Ok(Instrument {
            symbol,
            tick_size,
            lot_size,
            multiplier: 1.0,
        })
    }

    async fn place_order(
        &self,
        account: &str,
        order: &OrderRequest,
    ) -> Result<OrderState, BrokerError> {
        self.own(account).await?;
        let link = link_id(&order.client_order_id)?;
        let limit = matches!(order.order_type, OrderType::Limit | OrderType::StopLimit);
        let mut body = json!({
            "category": "linear",
            "symbol": order.symbol,
            "side": if order.side == Side::Buy { "Buy" } else { "Sell" },
            "orderType": if limit { "Limit" } else { "Market" },
            "qty": decimal(order.quantity),
            "orderLinkId": link,
            "positionIdx": 0,
        });
        if limit {
            let price = order
                .limit_price
                .ok_or_else(|| BrokerError::Rejected("a limit order needs a limit price".into()))?;
            body["price"] = json!(decimal(price));
        }
        if matches!(order.order_type, OrderType::Stop | OrderType::StopLimit) {
            let trigger = order
                .stop_price
                .ok_or_else(|| BrokerError::Rejected("a stop order needs a stop price".into()))?;
            body["triggerPrice"] = json!(decimal(trigger));
            // A buy stop triggers when the price rises to it, a sell stop when it falls.
            body["triggerDirection"] = json!(if order.side == Side::Buy { 1 } else { 2 });
        }
        // Bybit takes the exits as prices with the entry. Distances are measured from the
        // price the entry is expected to fill at (its limit or trigger, else the signal's).
        let entry = order
            .limit_price
            .or(order.stop_price)
            .or(order.reference_price);
        for (exit, profit, field) in [
            (order.take_profit, true, "takeProfit"),
            (order.stop_loss, false, "stopLoss"),
        ] {
            let Some(exit) = exit else { continue };
            let price = match (exit.as_price(), entry) {
                (Some(price), _) => price,
                (None, Some(entry)) => {
                    let tick = self.instrument(&order.symbol).await?.tick_size;
                    exit.price(entry, order.side, tick, profit)
                }
                (None, None) => {
                    return Err(BrokerError::Rejected(format!(
                        "Bybit takes {field} as a price: a distance needs the signal's price"
                    )));
                }
            };
            body[field] = json!(decimal(price));
        }
        let envelope = self
            .rest
            .signed(Method::POST, "/v5/order/create", "", Some(&body))
            .await?;
        if envelope.ret_code == DUPLICATE_LINK_ID {
            return self
                .find_order(account, &order.client_order_id)
                .await?
                .ok_or(BrokerError::UnknownOutcome(envelope.ret_msg));
        }
        if envelope.ret_code != 0 {
            return Err(ret_code_error(envelope.ret_code, &envelope.ret_msg, None));
        }
        // Bybit took the order; an answer without its id leaves the outcome to be looked up.
        let order_id = envelope.result["orderId"]
            .as_str()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                BrokerError::UnknownOutcome("Bybit's answer carried no order id".into())
            })?
            .to_owned();
        Ok(OrderState {
            order_id,
            client_order_id: order.client_order_id.clone(),
            account: account.to_owned(),
            symbol: order.symbol.clone(),
            side: order.side,
            order_type: order.order_type,
            quantity: order.quantity,
            limit_price: order.limit_price.filter(|_| limit),
            stop_price: order.stop_price,
            status: OrderStatus::Working,
            filled_quantity: 0.0,
            average_price: None,
            updated_at: Utc::now(),
        })
    }

    async fn find_order(
        &self,
        account: &str,
        client_order_id: &str,
    ) -> Result<Option<OrderState>, BrokerError> {
        self.own(account).await?;
        let query = format!("category=linear&orderLinkId={}", link_id(client_order_id)?);
        Ok(self.orders(&query, account).await?.into_iter().next())
    }

    async fn cancel_order(&self, account: &str, order_id: &str) -> Result<OrderState, BrokerError> {
        self.own(account).await?;
        if order_id.is_empty()
            || !order_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(BrokerError::Rejected(format!(
                "no order {order_id} at Bybit"
            )));
        }
        let query = format!("category=linear&orderId={order_id}");
        let order = self
            .orders(&query, account)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| BrokerError::Rejected(format!("no order {order_id} at Bybit")))?;
        let body = json!({ "category": "linear", "symbol": order.symbol, "orderId": order_id });
        self.rest
            .call(Method::POST, "/v5/order/cancel", "", Some(&body))
            .await?;
        Ok(OrderState {
            status: OrderStatus::Cancelled,
            updated_at: Utc::now(),
            ..order
        })
    }

    async fn flatten(&self, account: &str, symbol: Option<&str>) -> Result<(), BrokerError> {
        self.own(account).await?;
        let wanted = |s: &str| symbol.is_none_or(|want| want.eq_ignore_ascii_case(s));
        for order in self.open_orders(account).await? {
            if wanted(&order.symbol) {
                self.cancel_order(account, &order.order_id).await?;
            }
        }
        for position in self.positions().await? {
            if !wanted(&position.symbol) {
                continue;
            }
            let body = json!({
                "category": "linear",
                "symbol": position.symbol,
                "side": if position.quantity > 0.0 { "Sell" } else { "Buy" },
                "orderType": "Market",
                "qty": decimal(position.quantity.abs()),
                "reduceOnly": true,
                "positionIdx": 0,
                "orderLinkId": format!("flat-{}", &uuid::Uuid::new_v4().simple().to_string()[..24]),
            });
            self.rest
                .call(Method::POST, "/v5/order/create", "", Some(&body))
                .await?;
        }
        Ok(())
    }

    async fn open_orders(&self, account: &str) -> Result<Vec<OrderState>, BrokerError> {
        self.own(account).await?;
        let query = format!("category=linear&settleCoin={SETTLE_COIN}");
        Ok(self
            .orders(&query, account)
            .await?
            .into_iter()
            .filter(|order| order.status == OrderStatus::Working)
            .collect())
    }

    fn events(&self) -> broadcast::Receiver<BrokerEvent> {
        let receiver = self.events.subscribe();
        if !self.streaming.swap(true, Ordering::SeqCst) {
            tokio::spawn(stream::run(stream::StreamParams {
                rest: self.rest.clone(),
                account: Arc::clone(&self.user_id),
                events: self.events.clone(),
                running: self.streaming.clone(),
            }));
        }
        receiver
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_map_from_bybit_fields() {
        let item = json!({"orderId": "o1", "orderLinkId": "c1", "symbol": "BTCUSDT", "side": "Sell",
            "orderType": "Limit", "price": "100.5", "qty": "0.01", "triggerPrice": "101",
            "orderStatus": "Untriggered", "avgPrice": "", "cumExecQty": "0", "updatedTime": "1700000000000"});
        let order = order_state(&item, "5550001").unwrap();
        assert_eq!(order.order_type, OrderType::StopLimit);
        assert_eq!(order.side, Side::Sell);
        assert_eq!(
            (order.limit_price, order.stop_price),
            (Some(100.5), Some(101.0))
        );
        assert_eq!(order.status, OrderStatus::Working);
        assert_eq!(order.average_price, None);
        assert_eq!(decimal(0.001), "0.001");
        // Values Bybit should never send are errors, never a default.
        for (field, value) in [
            ("side", "Short"),
            ("qty", "lots"),
            ("orderStatus", "Mystery"),
        ] {
            let mut odd = item.clone();
            odd[field] = json!(value);
            assert!(
                matches!(order_state(&odd, "1"), Err(BrokerError::Unreadable(_))),
                "{field}"
            );
        }
        assert_eq!(decimal(25000.0), "25000");
    }

    #[test]
    fn ret_codes_map_to_what_the_copier_can_act_on() {
        assert!(matches!(
            ret_code_error(10003, "API key is invalid.", None),
            BrokerError::BadCredentials(_)
        ));
        assert!(matches!(
            ret_code_error(10006, "Too many visits!", None),
            BrokerError::RateLimited { .. }
        ));
        assert!(matches!(
            ret_code_error(110007, "ab not enough", None),
            BrokerError::Rejected(_)
        ));
        assert!(link_id("sig-1:f-1").is_err());
        assert!(link_id(&"x".repeat(37)).is_err());
    }
}
