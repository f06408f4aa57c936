//! Bybit for the backend's tests: the `brokersim` process (its Bybit v5 simulator under
//! `/bybit`) with one API key made at start, and the helpers tests use to set the venue up and
//! read back what it received, each a call to the control API under `/_sim/bybit`.

use serde_json::{Value, json};

use super::brokersim::BrokerSim;

/// A running simulator and the key the test links. Dropping it stops the process.
pub struct SimBybit {
    pub sim: BrokerSim,
    api_key: String,
    /// The key's account (Bybit's UID), as query-api reports it.
    pub user_id: u64,
}

// Each test uses the helpers it needs.
#[allow(dead_code)]
impl SimBybit {
    /// Starts a fresh simulator and creates the key `api_key` with `api_secret`, trade-only,
    /// on a new account.
    pub async fn start(api_key: &str, api_secret: &str) -> Self {
        let sim = BrokerSim::start().await;
        let made = sim
            .post(
                "/bybit/users",
                json!({ "apiKey": api_key, "apiSecret": api_secret }),
            )
            .await;
        let user_id = made["userId"]
            .as_u64()
            .unwrap_or_else(|| panic!("no userId in {made}"));
        Self {
            sim,
            api_key: api_key.to_owned(),
            user_id,
        }
    }

    /// `http://127.0.0.1:PORT/bybit`
    pub fn rest_url(&self) -> String {
        self.sim.endpoint("COPYTRADE_ENDPOINT_BYBIT").to_owned()
    }

    /// `ws://127.0.0.1:PORT/bybit/v5/private`
    pub fn ws_url(&self) -> String {
        self.sim.endpoint("COPYTRADE_ENDPOINT_BYBIT_WS").to_owned()
    }

    /// Changes the key (`POST /_sim/bybit/users`).
    async fn update_key(&self, fields: Value) {
        let mut body = json!({ "apiKey": self.api_key });
        if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
            body.extend(fields.clone());
        }
        self.sim.post("/bybit/users", body).await;
    }

    /// The key's permissions as query-api reports them, taken as given (the `permissions`
    /// object replaces the default one whole).
    pub async fn set_permissions(&self, read_only: u8, permissions: Value) {
        self.update_key(json!({ "readOnly": read_only, "permissions": permissions }))
            .await;
    }

    pub async fn set_key_created_at(&self, created_at: &str) {
        self.update_key(json!({ "createdAt": created_at })).await;
    }

    pub async fn set_equity(&self, total_equity: f64) {
        self.update_key(json!({ "equity": total_equity })).await;
    }

    /// While on, every private REST call of the key (once authenticated) answers retCode 10006.
    pub async fn set_rate_limited(&self, on: bool) {
        self.update_key(json!({ "rateLimited": on })).await;
    }

    /// Moves the symbol's last price: triggers conditional orders, fills resting Limit orders it
    /// crosses (at their limit price) and position take-profits and stop-losses it reaches.
    pub async fn set_last_price(&self, symbol: &str, price: f64) {
        self.sim
            .post("/bybit/prices", json!({ "symbol": symbol, "price": price }))
            .await;
    }

    /// Every request served so far, in order, as `"GET /v5/user/query-api"` (no query; frames
    /// sent on the stream are not requests).
    pub async fn calls(&self) -> Vec<String> {
        self.sim
            .requests("bybit", "")
            .await
            .iter()
            .filter(|request| request["method"] != "WS")
            .map(|request| {
                format!(
                    "{} {}",
                    request["method"].as_str().unwrap_or_default(),
                    request["path"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }

    /// Orders created through `/v5/order/create` on the key's account (refused ones and the
    /// venue's own take-profit/stop-loss orders not counted).
    pub async fn order_count(&self) -> usize {
        let orders = self
            .sim
            .get(&format!("/bybit/orders?accountId={}", self.user_id))
            .await;
        orders["created"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or_else(|| panic!("no order count in {orders}"))
    }

    /// Closes every private stream connection, as the venue does on maintenance; clients may
    /// reconnect at once.
    pub async fn close_streams(&self) {
        self.sim
            .post("/bybit/streams/drop", json!({ "hold": false }))
            .await;
    }

    /// Closes every private stream connection and refuses new ones until [`Self::allow_streams`].
    pub async fn hold_streams(&self) {
        self.sim
            .post("/bybit/streams/drop", json!({ "hold": true }))
            .await;
    }

    pub async fn allow_streams(&self) {
        self.sim.post("/bybit/streams/allow", json!({})).await;
    }

    /// How many private streams are open now.
    pub async fn open_streams(&self) -> u64 {
        let streams = self.sim.get("/bybit/streams").await;
        streams["connected"]
            .as_u64()
            .unwrap_or_else(|| panic!("no stream count in {streams}"))
    }
}
