//! The HTTP surface: one axum router for the API, the live feed, health probes and the web app.
//!
//! Rules: every answer carries the security headers; every request body is capped (the GraphQL
//! extractor ignores axum's default limit, so the cap is a tower layer around everything).

mod client;
mod graphql;
mod health;
mod hooks;
mod live;
mod request_limit;
mod security_headers;
mod security_txt;
mod static_files;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tower_governor::GovernorLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Auth;
use crate::config::{Config, TrustedProxies};
use crate::db::Db;
use crate::graphql::AppSchema;
use crate::shutdown::Shutdown;

pub use live::LiveSockets;
pub use static_files::StaticFiles;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub auth: Auth,
    /// The outbox (its sender runs beside the server).
    pub mail: crate::mail::Mail,
    pub connections: crate::connections::Connections,
    pub signals: crate::signals::Signals,
    pub copier: crate::copier::Copier,
    pub brokers: crate::brokers::Brokers,
    pub trusted_proxies: Arc<TrustedProxies>,
    pub schema: AppSchema,
    pub static_files: Arc<StaticFiles>,
    pub shutdown: Shutdown,
    /// The open WebSockets' keepalive and per-user count.
    pub live: LiveSockets,
}

/// Builds the router with all routes and layers.
pub fn router(state: AppState, config: &Config) -> Router {
    let graphql_route = if config.graphiql {
        get(graphql::graphiql).post(graphql::execute)
    } else {
        axum::routing::post(graphql::execute)
    };
    let mut api = Router::new()
        .route("/graphql", graphql_route)
        .route("/graphql/ws", get(live::websocket));
    match request_limit::config(
        Arc::clone(&state.trusted_proxies),
        config.api_rate,
        config.api_burst,
    ) {
        Some(limit) => {
            request_limit::spawn_cleanup(Arc::clone(&limit));
            api = api.layer(GovernorLayer::new(limit));
        }
        None => {
            tracing::error!("the API request limit could not be set up; check COPYTRADE_API_RATE")
        }
    }
    Router::new()
        .merge(api)
        .route("/hooks/{token}", axum::routing::post(hooks::receive))
        .route(
            "/.well-known/security.txt",
            security_txt::route(config, state.connections.clock_now()),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .fallback(static_files::serve)
        .with_state(state.clone())
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers::add,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// A span per request with method and path; paths that carry secrets are redacted.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        path = %redact_path(request.uri().path()),
    )
}

/// Webhook URLs carry their secret token in the path (`/hooks/<token>`): never log it.
fn redact_path(path: &str) -> &str {
    if path.starts_with("/hooks/") {
        "/hooks/<redacted>"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn webhook_tokens_are_redacted_from_request_logs() {
        assert_eq!(super::redact_path("/hooks/abcDEF123"), "/hooks/<redacted>");
        assert_eq!(super::redact_path("/graphql"), "/graphql");
    }
}
