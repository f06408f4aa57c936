//! The control API under `/_sim/tradovate` (JSON in and out; bad input is HTTP 400 with
//! `{"error": "…"}`): users and their accounts, prices, penalty tickets, behaviour switches,
//! token expiry, state read-back and reset. Adapters never call it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as Shared;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::catalog::Catalog;
use super::entities::{Account, CashBalance, User};
use super::state::{OffsetUnit, State};
use super::wire::{Fields, now_text};
use super::{Venue, inspect};

pub(crate) fn router(venue: Arc<Venue>) -> Router {
    Router::new()
        .route("/users", post(create_user))
        .route("/prices", post(set_price))
        .route("/penalty", post(add_penalty))
        .route("/config", get(read_config).post(set_config))
        .route("/tokens/expire", post(expire_tokens))
        .route("/sessions", get(inspect::sessions))
        .route("/orders", get(inspect::orders))
        .route("/positions", get(inspect::positions))
        .route("/fills", get(inspect::fills))
        .route("/reset", post(reset))
        .with_state(venue)
}

pub(crate) type Reply = Result<Json<Value>, Bad>;

/// Bad control input: HTTP 400 with `{"error": "…"}`.
pub(crate) struct Bad(String);

impl IntoResponse for Bad {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({ "error": self.0 }))).into_response()
    }
}

pub(crate) fn bad(message: impl Into<String>) -> Bad {
    Bad(message.into())
}

fn parse(bytes: &Bytes) -> Result<Fields, Bad> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(bad("the body must be a JSON object")),
        Err(err) => Err(bad(format!("the body is not JSON: {err}"))),
    }
}

/// A typed field: a value of another JSON type is refused, never coerced.
fn field<T: DeserializeOwned>(fields: &Fields, key: &str) -> Result<Option<T>, Bad> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|err| bad(format!("`{key}`: {err}"))),
    }
}

fn required<T: DeserializeOwned>(fields: &Fields, key: &str) -> Result<T, Bad> {
    field(fields, key)?.ok_or_else(|| bad(format!("`{key}` is required")))
}

async fn create_user(Shared(venue): Shared<Arc<Venue>>, body: Bytes) -> Reply {
    let fields = parse(&body)?;
    let name: String = required(&fields, "name")?;
    let password: String = required(&fields, "password")?;
    let cid = match fields.get("cid") {
        Some(Value::String(text)) => text.trim().to_owned(),
        Some(Value::Number(number)) if number.is_i64() || number.is_u64() => number.to_string(),
        _ => return Err(bad("`cid` is required: an integer or a string")),
    };
    let sec: String = required(&fields, "sec")?;
    let app_id: Option<String> = field(&fields, "appId")?;
    let accounts: Vec<Fields> = field(&fields, "accounts")?.unwrap_or_default();
    let mut wanted = Vec::new();
    for account in &accounts {
        let account_name: String = required(account, "name")?;
        let balance: f64 = field(account, "balance")?.unwrap_or(50_000.0);
        if account_name.trim().is_empty() {
            return Err(bad("an account name must not be empty"));
        }
        wanted.push((account_name, balance));
    }
    if name.trim().is_empty() {
        return Err(bad("`name` must not be empty"));
    }
    venue.with_state(|state| {
        if state
            .users
            .values()
            .any(|user| user.name.eq_ignore_ascii_case(&name))
        {
            return Err(bad(format!("a user named {name} exists already")));
        }
        for (index, (account_name, _)) in wanted.iter().enumerate() {
            let repeated = wanted[..index]
                .iter()
                .any(|(other, _)| other == account_name);
            if repeated || state.accounts.values().any(|a| &a.name == account_name) {
                return Err(bad(format!(
                    "an account named {account_name} exists already"
                )));
            }
        }
        let user_id = state.new_id();
        state.users.insert(
            user_id,
            User {
                id: user_id,
                name: name.clone(),
                password,
                cid,
                sec,
                app_id,
                timestamp: now_text(),
            },
        );
        let mut created = Vec::new();
        for (account_name, balance) in wanted {
            let account_id = add_account(state, user_id, &account_name, balance);
            created.push(json!({ "id": account_id, "name": account_name }));
        }
        Ok(Json(
            json!({ "userId": user_id, "name": name, "accounts": created }),
        ))
    })
}

fn add_account(state: &mut State, user_id: i64, name: &str, balance: f64) -> i64 {
    let account_id = state.new_id();
    let account = Account {
        id: account_id,
        name: name.to_owned(),
        user_id,
        timestamp: now_text(),
    };
    state.accounts.insert(account_id, account);
    let cash = CashBalance {
        id: state.new_id(),
        account_id,
        timestamp: now_text(),
        amount: balance,
        realized: 0.0,
    };
    state.cash.insert(account_id, cash);
    account_id
}

async fn set_price(Shared(venue): Shared<Arc<Venue>>, body: Bytes) -> Reply {
    let fields = parse(&body)?;
    let price: f64 = required(&fields, "price")?;
    if !(price.is_finite() && price > 0.0) {
        return Err(bad("`price` must be a positive number"));
    }
    let symbol = match fields.get("symbol") {
        Some(Value::String(text)) => text.trim().to_owned(),
        Some(Value::Number(number)) => number.to_string(),
        _ => {
            return Err(bad(
                "`symbol` is required: a root (ES), a contract name (ESZ6) or id",
            ));
        }
    };
    venue.with_state(|state| {
        let targets = contracts_for(&state.catalog, &symbol);
        if targets.is_empty() {
            return Err(bad(format!("unknown symbol {symbol}")));
        }
        let mut updated = Vec::new();
        for contract_id in targets {
            state.prices.insert(contract_id, price);
            state.on_price(contract_id);
            let name = state.catalog.contract(contract_id).map(|c| c.name.clone());
            updated.push(json!({ "id": contract_id, "name": name, "price": price }));
        }
        Ok(Json(json!({ "ok": true, "contracts": updated })))
    })
}

/// A root means all its contracts; otherwise a contract name or id.
fn contracts_for(catalog: &Catalog, symbol: &str) -> Vec<i64> {
    let by_root: Vec<i64> = catalog.of_root(symbol).iter().map(|c| c.id).collect();
    if !by_root.is_empty() {
        return by_root;
    }
    if let Some(contract) = catalog.by_name(symbol) {
        return vec![contract.id];
    }
    symbol
        .parse::<i64>()
        .ok()
        .and_then(|id| catalog.contract(id))
        .map(|contract| vec![contract.id])
        .unwrap_or_default()
}

async fn add_penalty(Shared(venue): Shared<Arc<Venue>>, body: Bytes) -> Reply {
    let fields = parse(&body)?;
    let path: String = required(&fields, "path")?;
    let p_time: u64 = field(&fields, "pTime")?.unwrap_or(1);
    let captcha: bool = field(&fields, "captcha")?.unwrap_or(false);
    let count: u32 = field(&fields, "count")?.unwrap_or(1);
    venue.with_state(|state| state.limits.add_penalty(&path, p_time, captcha, count));
    Ok(Json(
        json!({ "ok": true, "path": path, "pTime": p_time, "captcha": captcha, "count": count }),
    ))
}

async fn read_config(Shared(venue): Shared<Arc<Venue>>) -> Json<Value> {
    Json(venue.with_state(|state| state.config.json()))
}

const CONFIG_KEYS: [&str; 11] = [
    "tokenLifetimeSeconds",
    "requireDeviceId",
    "requireIsAutomated",
    "strategyOffsetUnit",
    "requestsPerMinute",
    "loginsPerMinute",
    "captchaBlockSeconds",
    "heartbeatTimeoutSeconds",
    "socketsPerUser",
    "renewIssuesNewToken",
    "stopPriceInPrice",
];

async fn set_config(Shared(venue): Shared<Arc<Venue>>, body: Bytes) -> Reply {
    let fields = parse(&body)?;
    if let Some(unknown) = fields
        .keys()
        .find(|key| !CONFIG_KEYS.contains(&key.as_str()))
    {
        return Err(bad(format!(
            "unknown setting `{unknown}`; known: {}",
            CONFIG_KEYS.join(", ")
        )));
    }
    let unit = match field::<String>(&fields, "strategyOffsetUnit")?.as_deref() {
        None => None,
        Some("points") => Some(OffsetUnit::Points),
        Some("ticks") => Some(OffsetUnit::Ticks),
        Some(other) => {
            return Err(bad(format!(
                "`strategyOffsetUnit` is points or ticks, not {other}"
            )));
        }
    };
    let lifetime: Option<i64> = field(&fields, "tokenLifetimeSeconds")?;
    let device: Option<bool> = field(&fields, "requireDeviceId")?;
    let automated: Option<bool> = field(&fields, "requireIsAutomated")?;
    let per_minute: Option<usize> = field(&fields, "requestsPerMinute")?;
    let logins: Option<usize> = field(&fields, "loginsPerMinute")?;
    let block: Option<u64> = field(&fields, "captchaBlockSeconds")?;
    let heartbeat: Option<u64> = field(&fields, "heartbeatTimeoutSeconds")?;
    let sockets: Option<usize> = field(&fields, "socketsPerUser")?;
    let renew: Option<bool> = field(&fields, "renewIssuesNewToken")?;
    let stop_in_price: Option<bool> = field(&fields, "stopPriceInPrice")?;
    if lifetime.is_some_and(|seconds| seconds <= 0) {
        return Err(bad("`tokenLifetimeSeconds` must be positive"));
    }
    Ok(Json(venue.with_state(|state| {
        let config = &mut state.config;
        set(&mut config.token_lifetime_seconds, lifetime);
        set(&mut config.require_device_id, device);
        set(&mut config.require_is_automated, automated);
        set(&mut config.strategy_offset_unit, unit);
        set(&mut config.requests_per_minute, per_minute);
        set(&mut config.logins_per_minute, logins);
        set(&mut config.captcha_block_seconds, block);
        set(&mut config.heartbeat_timeout_seconds, heartbeat);
        set(&mut config.sockets_per_user, sockets);
        set(&mut config.renew_issues_new_token, renew);
        set(&mut config.stop_price_in_price, stop_in_price);
        config.json()
    })))
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

async fn expire_tokens(Shared(venue): Shared<Arc<Venue>>) -> Json<Value> {
    let expired = venue.with_state(|state| {
        let past = Utc::now() - Duration::seconds(1);
        for session in state.sessions.values_mut() {
            session.expires = past;
        }
        state.sessions.len()
    });
    Json(json!({ "ok": true, "expired": expired }))
}

/// Forgets every user, session, order and setting, and closes the sockets.
async fn reset(Shared(venue): Shared<Arc<Venue>>) -> Json<Value> {
    venue.with_state(|state| {
        for socket in &state.sockets {
            let _ = socket.kick.send("The simulator was reset".to_owned());
        }
        *state = State::new(Catalog::for_date(Utc::now().date_naive()));
    });
    Json(json!({ "ok": true }))
}
