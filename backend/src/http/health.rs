//! Probes for load balancers and orchestrators: `/healthz` says the process is up, `/readyz`
//! says it can do work (the database answers, and it is not shutting down).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

/// A probe must answer fast even when the database hangs.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.db.kind();
    if state.shutdown.is_triggered() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "shutting_down", "database": database })),
        );
    }
    match state.db.ping(READY_TIMEOUT).await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": database })),
        ),
        Err(err) => {
            // The detail (host names, driver messages) goes to the log, not to the public probe.
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "status": "unavailable", "database": database, "error": "database unreachable" }),
                ),
            )
        }
    }
}
