//! The test-facing control API under `/_sim/projectx` (JSON in and out; bad input is HTTP 400
//! with `{"error": ...}`). The common routes (`/requests`, `/latency`, `/faults`, `/streams`)
//! are merged in by the venue.
//!
//! - `POST /users {userName, apiKey, apiSubscription?, accounts:[{name, balance?, simulated?,
//!   canTrade?, autoOcoBrackets?}]}` creates (or updates) a login and its accounts;
//! - `POST /accounts {accountId, balance?, canTrade?, simulated?, autoOcoBrackets?}`;
//! - `POST /prices {symbol, price}` sets a last price and fills what it crosses;
//! - `GET|POST /config`, `POST /tokens/expire`, `POST /reset`;
//! - `GET /orders|/positions|/trades|/fills?accountId=` read state back in the venue's shapes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::Sim;
use super::config::ConfigChange;
use super::contracts;
use super::engine::on_tick;
use super::state::{Account, Order, Position, State as SimState, Trade, User};

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/users", post(users))
        .route("/accounts", post(accounts))
        .route("/prices", post(prices))
        .route("/config", get(config).post(set_config))
        .route("/tokens/expire", post(expire_tokens))
        .route("/orders", get(orders))
        .route("/positions", get(positions))
        .route("/trades", get(trades))
        .route("/fills", get(trades))
        .route("/reset", post(reset))
        .with_state(sim)
}

/// Bad control input, boxed: responses are large.
type Refused = Box<Response>;

fn bad(message: impl Into<String>) -> Refused {
    let body = Json(json!({ "error": message.into() }));
    Box::new((StatusCode::BAD_REQUEST, body).into_response())
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Refused> {
    serde_json::from_slice(body).map_err(|err| bad(format!("bad body: {err}")))
}

fn answer(result: Result<Value, Refused>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(response) => *response,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewUser {
    user_name: String,
    api_key: String,
    #[serde(default)]
    api_subscription: Option<bool>,
    #[serde(default)]
    accounts: Vec<AccountSettings>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccountSettings {
    /// Names the account in `/users`; `/accounts` uses `accountId` instead.
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    account_id: Option<i64>,
    balance: Option<f64>,
    simulated: Option<bool>,
    can_trade: Option<bool>,
    auto_oco_brackets: Option<bool>,
}

impl AccountSettings {
    fn apply(&self, account: &mut Account) {
        if let Some(balance) = self.balance {
            account.balance = balance;
        }
        if let Some(simulated) = self.simulated {
            account.simulated = simulated;
        }
        if let Some(can_trade) = self.can_trade {
            account.can_trade = can_trade;
        }
        if let Some(auto_oco) = self.auto_oco_brackets {
            account.auto_oco = auto_oco;
        }
    }
}

/// Creates the login, or updates its key and subscription; accounts are matched by name.
async fn users(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    answer(parse::<NewUser>(&body).and_then(|new| {
        if new.user_name.trim().is_empty() || new.api_key.is_empty() {
            return Err(bad("userName and apiKey must not be empty"));
        }
        if new
            .accounts
            .iter()
            .any(|a| a.name.as_deref().is_none_or(|n| n.trim().is_empty()))
        {
            return Err(bad("every account needs a name"));
        }
        if new
            .accounts
            .iter()
            .any(|a| a.balance.is_some_and(|b| !b.is_finite()))
        {
            return Err(bad("balance must be a number"));
        }
        let mut state = sim.lock();
        Ok(add_user(&mut state, new))
    }))
}

fn add_user(state: &mut SimState, new: NewUser) -> Value {
    let user_id = match state
        .users
        .iter_mut()
        .find(|u| u.user_name.eq_ignore_ascii_case(&new.user_name))
    {
        Some(user) => {
            user.api_key = new.api_key.clone();
            if let Some(subscription) = new.api_subscription {
                user.api_subscription = subscription;
            }
            user.id
        }
        None => {
            let id = state.ids.user();
            state.users.push(User {
                id,
                user_name: new.user_name.clone(),
                api_key: new.api_key.clone(),
                api_subscription: new.api_subscription.unwrap_or(true),
            });
            id
        }
    };
    let mut answered = Vec::new();
    for settings in &new.accounts {
        let name = settings.name.clone().unwrap_or_default();
        let existing = state
            .accounts
            .values()
            .find(|a| a.user_id == user_id && a.name == name)
            .map(|a| a.id);
        let id = existing.unwrap_or_else(|| state.ids.account());
        let account = state.accounts.entry(id).or_insert_with(|| Account {
            id,
            user_id,
            name: name.clone(),
            balance: 50_000.0,
            can_trade: true,
            is_visible: true,
            simulated: true,
            auto_oco: true,
        });
        settings.apply(account);
        answered.push(json!({ "id": id, "name": name }));
        state.emit_account(id);
    }
    json!({ "userId": user_id, "accounts": answered })
}

async fn accounts(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    answer(parse::<AccountSettings>(&body).and_then(|settings| {
        let id = settings
            .account_id
            .ok_or_else(|| bad("accountId is required"))?;
        let mut state = sim.lock();
        let account = state
            .accounts
            .get_mut(&id)
            .ok_or_else(|| bad(format!("no account {id}")))?;
        settings.apply(account);
        let data = account.to_json();
        state.emit_account(id);
        Ok(data)
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceChange {
    symbol: String,
    price: f64,
}

async fn prices(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    answer(parse::<PriceChange>(&body).and_then(|change| {
        let today = Utc::now().date_naive();
        let product = contracts::product_for_symbol(&change.symbol, today)
            .ok_or_else(|| bad(format!("unknown symbol {}", change.symbol)))?;
        if !(change.price.is_finite() && change.price > 0.0) {
            return Err(bad("price must be above 0"));
        }
        if !on_tick(change.price, product.tick_size) {
            return Err(bad(format!(
                "price must be a multiple of {}'s tick size {}",
                product.root, product.tick_size
            )));
        }
        let filled = sim.lock().set_price(product, change.price);
        Ok(json!({
            "symbol": product.root,
            "contractId": contracts::front(product, today).id(),
            "price": change.price,
            "filledOrderIds": filled,
        }))
    }))
}

async fn config(State(sim): State<Arc<Sim>>) -> Response {
    Json(json!(sim.lock().config)).into_response()
}

async fn set_config(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    answer(parse::<ConfigChange>(&body).and_then(|change| {
        let mut state = sim.lock();
        state.config.apply(change).map_err(bad)?;
        Ok(json!(state.config))
    }))
}

/// Makes every token issued so far expired now (sessions stay, so `validate` says code 3).
async fn expire_tokens(State(sim): State<Arc<Sim>>) -> Response {
    let past = Utc::now() - Duration::seconds(1);
    let mut state = sim.lock();
    for token in state.tokens.values_mut() {
        token.expires = token.expires.min(past);
    }
    Json(json!({ "expired": state.tokens.len() })).into_response()
}

async fn reset(State(sim): State<Arc<Sim>>) -> Response {
    sim.lock().reset();
    Json(json!({ "ok": true })).into_response()
}

/// `?accountId=`: `Some` filter, `None` for every account.
fn account_filter(query: &HashMap<String, String>) -> Result<Option<i64>, Refused> {
    query
        .get("accountId")
        .map(|text| {
            text.parse::<i64>()
                .map_err(|_| bad(format!("accountId must be an integer, not {text:?}")))
        })
        .transpose()
}

fn listing<T>(
    query: &HashMap<String, String>,
    field: &str,
    items: impl Iterator<Item = T>,
    account_of: impl Fn(&T) -> i64,
    render: impl Fn(&T) -> Value,
) -> Response {
    answer(account_filter(query).map(|wanted| {
        let list: Vec<Value> = items
            .filter(|item| wanted.is_none_or(|id| account_of(item) == id))
            .map(|item| render(&item))
            .collect();
        json!({ field: list })
    }))
}

async fn orders(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let state = sim.lock();
    listing(
        &query,
        "orders",
        state.orders.values(),
        |o| o.account_id,
        |o| Order::to_json(o),
    )
}

async fn positions(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let state = sim.lock();
    listing(
        &query,
        "positions",
        state.positions.values(),
        |p| p.account_id,
        |p| Position::to_json(p),
    )
}

async fn trades(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let state = sim.lock();
    listing(
        &query,
        "trades",
        state.trades.iter(),
        |t| t.account_id,
        |t| Trade::to_json(t),
    )
}
