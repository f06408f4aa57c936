//! GraphQL over HTTP (`POST /graphql`) and GraphiQL (`GET /graphql`); subscriptions are in
//! `live.rs`.
//!
//! Rules (SEC-19): only `POST` with a JSON body executes, so a browser cannot send a query
//! cross-site without a CORS preflight; a `GET` never executes anything; one operation per
//! request (no batches), so per-call limits cannot be multiplied; answers are never cached.

use std::sync::LazyLock;

use axum::Json;

use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::AppState;
use super::client::{is_https, request_meta};
use crate::auth::AuthError;
use crate::graphql::error::internal;
use crate::graphql::request::{RequestContext, session_token};

pub async fn execute(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    if !is_json(&headers) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the query as JSON with `Content-Type: application/json`",
        );
    }
    // The body limit layer has already capped the size.
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is too large",
            );
        }
    };
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) if body.first() == Some(&b'[') => {
            tracing::debug!(error = %err, "batch request refused");
            return refuse(
                StatusCode::BAD_REQUEST,
                "batched requests are not supported: send one operation per request",
            );
        }
        Err(err) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("the body is not a GraphQL request: {err}"),
            );
        }
    };
    let meta = request_meta(&state, &headers, &parts.extensions);
    // Every request with a token costs one read: the token's version must still be current.
    let user = match session_token(&headers) {
        Some(token) => match state.auth.authenticate(&token).await {
            Ok(user) => Some(user),
            Err(AuthError::Internal(detail)) => {
                let response = async_graphql::Response::from_errors(vec![
                    internal(&detail).into_server_error(Default::default()),
                ]);
                return ([(CACHE_CONTROL, "no-store")], Json(response)).into_response();
            }
            // An expired or revoked token is simply no session: public fields still work.
            Err(_) => None,
        },
        None => None,
    };
    let response = state
        .schema
        .execute(request.data(RequestContext {
            meta,
            user,
            https: is_https(&state, &headers, &parts.extensions),
        }))
        .await;
    let mut answer = ([(CACHE_CONTROL, "no-store")], Json(&response)).into_response();
    for (name, value) in response.http_headers.iter() {
        answer.headers_mut().append(name, value.clone());
    }
    answer
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// A request error in the GraphQL response shape, so clients parse one format.
fn refuse(status: StatusCode, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }] });
    (status, [(CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// GraphiQL, loaded from a public CDN (the API is public; the app itself loads nothing external).
const GRAPHIQL_SCRIPT: &str = r#"
const wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';
const fetcher = GraphiQL.createFetcher({
  url: location.origin + '/graphql',
  wsClient: graphqlWs.createClient({ url: wsUrl }),
});
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }),
);
"#;

const CDN: &str = "https://unpkg.com";

static GRAPHIQL_PAGE: LazyLock<(String, String)> = LazyLock::new(|| {
    let script_hash = BASE64.encode(Sha256::digest(GRAPHIQL_SCRIPT.as_bytes()).as_slice());
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CopyTrade GraphQL API</title>
<link rel="stylesheet" href="{CDN}/graphiql@3.8.3/graphiql.min.css">
</head>
<body>
<div id="graphiql">Loading GraphiQL from {CDN}&hellip;</div>
<script crossorigin src="{CDN}/react@18.3.1/umd/react.production.min.js"></script>
<script crossorigin src="{CDN}/react-dom@18.3.1/umd/react-dom.production.min.js"></script>
<script crossorigin src="{CDN}/graphql-ws@5.16.0/umd/graphql-ws.min.js"></script>
<script crossorigin src="{CDN}/graphiql@3.8.3/graphiql.min.js"></script>
<script>{GRAPHIQL_SCRIPT}</script>
</body>
</html>"#
    );
    // GraphiQL styles itself inline; scripts stay limited to the CDN and the one hashed script.
    let csp = format!(
        "default-src 'none'; script-src {CDN} 'sha256-{script_hash}'; style-src {CDN} 'unsafe-inline'; \
         font-src {CDN} data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    );
    (html, csp)
});

pub async fn graphiql() -> Response {
    let (html, csp) = &*GRAPHIQL_PAGE;
    (
        [
            (CONTENT_SECURITY_POLICY, csp.as_str()),
            (CACHE_CONTROL, "no-cache"),
        ],
        Html(html.as_str()),
    )
        .into_response()
}
