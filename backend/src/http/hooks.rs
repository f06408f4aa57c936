//! `POST /hooks/<token>`: trading signals in (TradingView alerts or any HTTP client).
//!
//! The body is read whatever its content type (TradingView sends JSON as `text/plain`), up to
//! 16 KiB. The answer comes once the signal is stored, before any broker is called:
//! `202 {"signalId", "status": "accepted"}`, `200 {"status": "duplicate", "signalId": <first>}`,
//! `400` naming the field that is wrong, `404` for an unknown token (nothing else said), `403`
//! for a sender outside the webhook's allowed addresses, `401` for a missing, wrong, stale or
//! replayed `X-CopyTrade-Signature`, `429` with `retry-after` past the webhook's budget. The
//! order of those checks is the service's (`crate::signals`).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::client::request_meta;
use crate::signals::{Intake, MAX_SIGNAL_BYTES, Receipt, SIGNATURE_HEADER};

pub async fn receive(
    State(state): State<AppState>,
    Path(token): Path<String>,
    request: Request<Body>,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_SIGNAL_BYTES).await else {
        return answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({ "status": "rejected", "error": { "field": "body", "message": format!("is larger than {MAX_SIGNAL_BYTES} bytes") } }),
        );
    };
    let meta = request_meta(&state, &parts.headers, &parts.extensions);
    // A header that is not visible ASCII reads as absent: refused if the webhook requires one.
    let signature = parts
        .headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok());
    let intake = Intake {
        token: &token,
        body: &body,
        client_ip: meta.ip,
        signature,
    };
    match state.signals.receive(intake).await {
        Ok(Receipt::Accepted { signal }) => answer(
            StatusCode::ACCEPTED,
            json!({ "signalId": signal.to_string(), "status": "accepted" }),
        ),
        Ok(Receipt::Duplicate { first }) => answer(
            StatusCode::OK,
            json!({ "signalId": first.to_string(), "status": "duplicate" }),
        ),
        Ok(Receipt::Rejected {
            signal,
            field,
            message,
        }) => answer(
            StatusCode::BAD_REQUEST,
            json!({ "signalId": signal.to_string(), "status": "rejected", "error": { "field": field, "message": message } }),
        ),
        Ok(Receipt::Refused {
            signal,
            status,
            message,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
            match signal {
                Some(signal) => answer(
                    status,
                    json!({ "signalId": signal.to_string(), "status": "rejected", "error": { "message": message } }),
                ),
                // Past the webhook's refusal budget: answered alike, not logged.
                None => answer(
                    status,
                    json!({ "status": "rejected", "error": { "message": message } }),
                ),
            }
        }
        Ok(Receipt::RateLimited {
            retry_after_seconds,
        }) => {
            let mut response = answer(
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "status": "rate_limited", "error": { "message": "too many signals on this webhook; slow down" } }),
            );
            response.headers_mut().insert(
                RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_seconds),
            );
            response
        }
        Ok(Receipt::NotFound) => answer(StatusCode::NOT_FOUND, json!({ "error": "not found" })),
        Err(err) => {
            tracing::error!(%err, "a signal could not be stored");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "error", "error": { "message": "the signal could not be stored; send it again" } }),
            )
        }
    }
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [(CACHE_CONTROL, "no-store")], Json(body)).into_response()
}
