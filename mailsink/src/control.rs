//! The control API (HTTP, JSON) through which tests read what the sink received and make it
//! fail. No SMTP client ever calls it.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /messages` | every stored message, oldest first |
//! | `GET /messages?to=<address>` | only those with that envelope recipient (any case) |
//! | `…&min=N&timeout_ms=T` | first waits up to T ms (default 10000, at most 60000) until N match |
//! | `DELETE /messages` | forgets them all: `{"deleted": n}` |
//! | `GET /faults`, `POST /faults`, `DELETE /faults` | the queue of injected faults |
//! | `GET /health` | `{"ok": true}` |

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::store::{Fault, Store};

const DEFAULT_WAIT_MS: u64 = 10_000;
const MAX_WAIT_MS: u64 = 60_000;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/messages", get(messages).delete(clear_messages))
        .route("/faults", get(faults).post(add_fault).delete(clear_faults))
        .route("/health", get(|| async { Json(json!({ "ok": true })) }))
        .with_state(store)
}

#[derive(Deserialize)]
struct Filter {
    to: Option<String>,
    min: Option<usize>,
    timeout_ms: Option<u64>,
}

async fn messages(State(store): State<Store>, Query(filter): Query<Filter>) -> Response {
    let to = filter.to.as_deref();
    let found = match filter.min {
        Some(min) => {
            let wait = filter
                .timeout_ms
                .unwrap_or(DEFAULT_WAIT_MS)
                .min(MAX_WAIT_MS);
            store.wait_for(to, min, Duration::from_millis(wait)).await
        }
        None => store.messages(to),
    };
    Json(found).into_response()
}

async fn clear_messages(State(store): State<Store>) -> Response {
    Json(json!({ "deleted": store.clear() })).into_response()
}

async fn faults(State(store): State<Store>) -> Response {
    Json(store.faults()).into_response()
}

async fn add_fault(State(store): State<Store>, Json(fault): Json<Fault>) -> Response {
    if fault.count == 0 {
        let error = json!({ "error": "count must be at least 1" });
        return (StatusCode::BAD_REQUEST, Json(error)).into_response();
    }
    Json(store.add_fault(fault)).into_response()
}

async fn clear_faults(State(store): State<Store>) -> Response {
    store.clear_faults();
    Json(json!([])).into_response()
}
