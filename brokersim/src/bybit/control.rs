//! The test-facing control API under `/_sim/bybit` (JSON in and out; bad input is HTTP 400
//! with `{"error": ...}`). The common routes (`/requests`, `/latency`, `/faults`, `/streams`)
//! are merged in by the venue.
//!
//! - `POST /users {apiKey, apiSecret, userId?, readOnly?, permissions?, createdAt?, equity?,
//!   rateLimited?}` creates a key (with a new account, or joining account `userId`), or changes
//!   an existing key (`apiSecret` then optional);
//! - `POST /prices {symbol, price}` sets a last price and fills what it crosses;
//! - `GET|POST /config {rateLimited?, numericStringIntegers?}`, `POST /reset`;
//! - `GET /orders|/positions|/fills?accountId=<UID>` read an account back in the venue's shapes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::Sim;
use super::instruments::instrument;
use super::state::{Account, Key, State as SimState};

pub(super) fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/users", post(users))
        .route("/prices", post(prices))
        .route("/config", get(config).post(set_config))
        .route("/orders", get(orders))
        .route("/positions", get(positions))
        .route("/fills", get(fills))
        .route("/reset", post(reset))
        .with_state(sim)
}

fn bad(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": message.into() })),
    )
        .into_response()
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|err| format!("bad body: {err}"))
}

/// The answer, or HTTP 400 saying what is wrong.
fn answer(result: Result<Value, String>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(message) => bad(message),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeySettings {
    api_key: String,
    #[serde(default)]
    api_secret: Option<String>,
    #[serde(default)]
    user_id: Option<u64>,
    #[serde(default)]
    read_only: Option<u8>,
    #[serde(default)]
    permissions: Option<Value>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    equity: Option<f64>,
    #[serde(default)]
    rate_limited: Option<bool>,
}

impl KeySettings {
    fn check(&self) -> Result<(), String> {
        if self.api_key.is_empty() {
            return Err("apiKey must not be empty".into());
        }
        if self.api_secret.as_deref() == Some("") {
            return Err("apiSecret must not be empty".into());
        }
        if self.user_id == Some(0) {
            return Err("userId must be a positive integer".into());
        }
        if self.read_only.is_some_and(|r| r > 1) {
            return Err("readOnly is 0 (read/write) or 1 (read-only)".into());
        }
        if self.permissions.as_ref().is_some_and(|p| !p.is_object()) {
            return Err("permissions must be an object of lists, as query-api shows it".into());
        }
        if let Some(at) = &self.created_at
            && chrono::DateTime::parse_from_rfc3339(at).is_err()
        {
            return Err(format!("createdAt `{at}` is not an RFC 3339 time"));
        }
        if self.equity.is_some_and(|e| !e.is_finite() || e < 0.0) {
            return Err("equity must be a number of at least 0".into());
        }
        Ok(())
    }

    /// Applies what was given to `key` (and the equity to its account).
    fn apply(self, state: &mut SimState) -> Value {
        let created = !state.keys.contains_key(&self.api_key);
        let uid = match state.keys.get(&self.api_key) {
            Some(key) => key.uid,
            None => self.user_id.unwrap_or_else(|| state.free_uid()),
        };
        let key_id = 80_000_001 + state.keys.len() as u64;
        let secret = self.api_secret.clone().unwrap_or_default();
        let account = state.account_entry(uid);
        if let Some(equity) = self.equity {
            account.equity = equity;
        }
        let key = state
            .keys
            .entry(self.api_key.clone())
            .or_insert_with(|| Key::new(key_id, &self.api_key, &secret, uid));
        if let Some(secret) = self.api_secret {
            key.api_secret = secret;
        }
        if let Some(read_only) = self.read_only {
            key.read_only = read_only;
        }
        if let Some(permissions) = self.permissions {
            // Taken as given: the object replaces the key's permissions whole.
            key.permissions = permissions;
        }
        if let Some(at) = self.created_at {
            key.created_at = at;
        }
        if let Some(on) = self.rate_limited {
            key.rate_limited = on;
        }
        json!({
            "apiKey": key.api_key, "userId": uid, "accountId": uid.to_string(),
            "created": created,
        })
    }
}

async fn users(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    answer((|| {
        let settings: KeySettings = parse(&body)?;
        settings.check()?;
        let mut state = sim.lock();
        match (state.keys.get(&settings.api_key), settings.user_id) {
            (None, _) if settings.api_secret.is_none() => {
                return Err("apiSecret is required for a new key".into());
            }
            (Some(key), Some(uid)) if key.uid != uid => {
                return Err(format!(
                    "key {} belongs to account {}; a key cannot move",
                    key.api_key, key.uid
                ));
            }
            _ => {}
        }
        Ok(settings.apply(&mut state))
    })())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPrice {
    symbol: String,
    price: f64,
}

async fn prices(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    answer((|| {
        let NewPrice { symbol, price } = parse(&body)?;
        if instrument(&symbol).is_none() {
            return Err(format!(
                "unknown symbol `{symbol}` (BTCUSDT, ETHUSDT or SOLUSDT)"
            ));
        }
        if !price.is_finite() || price <= 0.0 {
            return Err("price must be a positive number".into());
        }
        sim.lock().set_last_price(&symbol, price);
        Ok(json!({ "symbol": symbol, "price": price }))
    })())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigChange {
    #[serde(default)]
    rate_limited: Option<bool>,
    #[serde(default)]
    numeric_string_integers: Option<bool>,
}

fn config_json(state: &SimState) -> Value {
    json!({
        "rateLimited": state.config.rate_limited,
        "numericStringIntegers": state.config.numeric_string_integers,
    })
}

async fn config(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(config_json(&sim.lock()))
}

async fn set_config(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    answer((|| {
        let change: ConfigChange = parse(&body)?;
        let mut state = sim.lock();
        if let Some(on) = change.rate_limited {
            state.config.rate_limited = on;
        }
        if let Some(on) = change.numeric_string_integers {
            state.config.numeric_string_integers = on;
        }
        Ok(config_json(&state))
    })())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountQuery {
    account_id: Option<String>,
}

/// Answers `read` of the account the query names.
fn with_account(
    sim: &Sim,
    query: &AccountQuery,
    read: impl FnOnce(&Account, &SimState) -> Value,
) -> Response {
    let Some(text) = query.account_id.as_deref() else {
        return bad("accountId (the UID) is required");
    };
    let Ok(uid) = text.parse::<u64>() else {
        return bad(format!("accountId `{text}` is not a UID"));
    };
    let state = sim.lock();
    match state.accounts.get(&uid) {
        Some(account) => Json(read(account, &state)).into_response(),
        None => bad(format!("no account {uid}")),
    }
}

async fn orders(State(sim): State<Arc<Sim>>, Query(query): Query<AccountQuery>) -> Response {
    with_account(&sim, &query, |account, _| {
        let list: Vec<Value> = account.orders.iter().rev().map(|o| o.to_json()).collect();
        json!({ "accountId": account.uid.to_string(), "created": account.created, "list": list })
    })
}

async fn positions(State(sim): State<Arc<Sim>>, Query(query): Query<AccountQuery>) -> Response {
    with_account(&sim, &query, |account, state| {
        let list: Vec<Value> = account
            .positions
            .iter()
            .filter(|(_, p)| p.size != 0)
            .map(|(symbol, _)| account.position_json(symbol, &state.prices))
            .collect();
        json!({ "accountId": account.uid.to_string(), "list": list })
    })
}

async fn fills(State(sim): State<Arc<Sim>>, Query(query): Query<AccountQuery>) -> Response {
    with_account(&sim, &query, |account, _| {
        let list: Vec<Value> = account
            .executions
            .iter()
            .rev()
            .map(|e| e.data.clone())
            .collect();
        json!({ "accountId": account.uid.to_string(), "list": list })
    })
}

async fn reset(State(sim): State<Arc<Sim>>) -> Json<Value> {
    sim.lock().reset();
    Json(json!({ "ok": true }))
}
