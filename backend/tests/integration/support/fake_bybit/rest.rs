//! REST routing: every request is recorded (SEC-13: tests assert no withdraw or transfer path
//! is ever called), withdraw and transfer paths and unknown routes are 404, public market
//! routes need no signature, and private ones are authenticated, then rate-limited (retCode
//! 10006 while a test says so), then served.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::envelope::{Params, Reply, json_body, respond};
use super::instruments::instruments_info;
use super::venue::Venue;
use super::{Shared, lock};

pub(super) async fn rest(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut venue = lock(&shared);
    venue.calls.push(format!("{method} {}", uri.path()));
    venue
        .serve(
            &method,
            uri.path(),
            uri.query().unwrap_or(""),
            &headers,
            &body,
        )
        .into_response()
}

impl Venue {
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
            ("GET", "/v5/user/query-api")
            | ("GET", "/v5/account/wallet-balance")
            | ("GET", "/v5/position/list")
            | ("GET", "/v5/order/realtime")
            | ("POST", "/v5/order/create")
            | ("POST", "/v5/order/cancel") => {}
            _ => return Reply::not_found(),
        }
        let signed = if method == Method::GET {
            query.as_bytes()
        } else {
            body
        };
        if let Err(reply) = self.authenticate(headers, signed) {
            return reply;
        }
        if self.rate_limited {
            return Reply::err(10006, "Too many visits!").with_limit(0);
        }
        let outcome = match path {
            "/v5/user/query-api" => Ok(self.query_api()),
            "/v5/account/wallet-balance" => self.wallet_balance(&params),
            "/v5/position/list" => self.position_list(&params),
            "/v5/order/realtime" => self.order_realtime(&params),
            _ => json_body(headers, body).and_then(|body| {
                if path == "/v5/order/create" {
                    self.create_order(&body)
                } else {
                    self.cancel_order(&body)
                }
            }),
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
