//! REST routing: withdraw and transfer paths and unknown routes are 404 (SEC-13: an adapter
//! must never reach them; the common journal records every request), public market routes
//! need no signature, and private ones are authenticated, then rate-limited (retCode 10006
//! while a test says so), then served for the key's account.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Sim;
use super::envelope::{Params, Reply, json_body, respond};
use super::instruments::instruments_info;
use super::state::State as SimState;

pub(super) async fn rest(
    State(sim): State<Arc<Sim>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Nested under `/bybit`, the path here is already below the prefix.
    sim.lock()
        .serve(
            &method,
            uri.path(),
            uri.query().unwrap_or(""),
            &headers,
            &body,
        )
        .into_response()
}

/// Whether `(method, path)` is a private route the simulator serves.
fn is_private(method: &str, path: &str) -> bool {
    matches!(
        (method, path),
        ("GET", "/v5/user/query-api")
            | ("GET", "/v5/account/wallet-balance")
            | ("GET", "/v5/position/list")
            | ("GET", "/v5/order/realtime")
            | ("GET", "/v5/execution/list")
            | ("POST", "/v5/order/create")
            | ("POST", "/v5/order/cancel")
    )
}

impl SimState {
    fn serve(
        &mut self,
        method: &Method,
        path: &str,
        query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Reply {
        let lower = path.to_ascii_lowercase();
        if lower.contains("withdraw") || lower.contains("transfer") {
            return Reply::not_found();
        }
        let params = Params::parse(query);
        match (method.as_str(), path) {
            ("GET", "/v5/market/time") => return server_time(),
            ("GET", "/v5/market/instruments-info") => return respond(instruments_info(&params)),
            (method, path) if is_private(method, path) => {}
            _ => return Reply::not_found(),
        }
        let signed = if method == Method::GET {
            query.as_bytes()
        } else {
            body
        };
        let key = match self.authenticate(headers, signed) {
            Ok(key) => key,
            Err(reply) => return reply,
        };
        if key.rate_limited || self.config.rate_limited {
            return Reply::err(10006, "Too many visits!").with_limit(0);
        }
        let config = self.config;
        let SimState {
            accounts, prices, ..
        } = self;
        let Some(account) = accounts.get_mut(&key.uid) else {
            // Every key is created with its account; a reset removes both.
            return Reply::err(10003, "API key is invalid.");
        };
        let outcome = match path {
            "/v5/user/query-api" => Ok(key.query_api()),
            "/v5/account/wallet-balance" => account.wallet_balance(&params),
            "/v5/position/list" => account.position_list(&params, prices),
            "/v5/order/realtime" => account.order_realtime(&params),
            "/v5/execution/list" => account.execution_list(&params),
            "/v5/order/create" => json_body(headers, body)
                .and_then(|body| account.create_order(&body, &key, prices, config)),
            _ => json_body(headers, body).and_then(|body| account.cancel_order(&body, &key)),
        };
        respond(outcome).with_limit(9)
    }
}

fn server_time() -> Reply {
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    Reply::ok(json!({
        "timeSecond": (nanos / 1_000_000_000).to_string(),
        "timeNano": nanos.to_string(),
    }))
}
