//! Security headers on every answer (SEC-20).
//!
//! Handlers that serve a document set their own Content-Security-Policy (the web app's allows
//! its WebAssembly and its hashed bootstrap script); everything else gets one that allows nothing.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::client::is_https;

/// For answers that are not documents (JSON, files): nothing may run or be framed.
pub const LOCKED_DOWN_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const FIXED_HEADERS: [(&str, &str); 6] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    ),
];

/// One year, with subdomains (SEC-20); sent only to clients that came over HTTPS.
const HSTS: &str = "max-age=31536000; includeSubDomains";

pub async fn add(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let https = is_https(&state, request.headers(), request.extensions());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if https {
        headers.insert("strict-transport-security", HeaderValue::from_static(HSTS));
    }
    for (name, value) in FIXED_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(LOCKED_DOWN_CSP),
        );
    }
    response
}
