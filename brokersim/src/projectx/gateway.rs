//! REST routing: every path below `/api` (matched case-insensitively, as ASP.NET does), the
//! bearer-token check, the per-user rate limit, then the endpoint's handler.
//!
//! `GET /api/Status/ping` is the only GET. Every other call is a `POST`; all but the logins
//! need `Authorization: Bearer <token>`, else HTTP 401 with an empty body. The rate limit (200
//! per 60 s per user by default) counts neither the logins nor ping; over it the answer is HTTP
//! 429 with `Retry-After` in seconds.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

use super::state::TokenCheck;
use super::wire::{Answer, Fields, failure};
use super::{Sim, auth, lookup, orders, place, positions};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    LoginKey,
    LoginApp,
    Validate,
    Logout,
    AccountSearch,
    ContractSearch,
    ContractById,
    ContractAvailable,
    OrderPlace,
    OrderCancel,
    OrderModify,
    OrderSearch,
    OrderSearchOpen,
    OrderById,
    OrderQuery,
    PositionSearchOpen,
    PositionClose,
    PositionPartialClose,
    TradeSearch,
}

impl Route {
    fn parse(lowercase_path: &str) -> Option<Self> {
        Some(match lowercase_path {
            "/api/auth/loginkey" => Self::LoginKey,
            "/api/auth/loginapp" => Self::LoginApp,
            "/api/auth/validate" => Self::Validate,
            "/api/auth/logout" => Self::Logout,
            "/api/account/search" => Self::AccountSearch,
            "/api/contract/search" => Self::ContractSearch,
            "/api/contract/searchbyid" => Self::ContractById,
            "/api/contract/available" => Self::ContractAvailable,
            "/api/order/place" => Self::OrderPlace,
            "/api/order/cancel" => Self::OrderCancel,
            "/api/order/modify" => Self::OrderModify,
            "/api/order/search" => Self::OrderSearch,
            "/api/order/searchopen" => Self::OrderSearchOpen,
            "/api/order/searchbyid" => Self::OrderById,
            "/api/order/v2/query" => Self::OrderQuery,
            "/api/position/searchopen" => Self::PositionSearchOpen,
            "/api/position/closecontract" => Self::PositionClose,
            "/api/position/partialclosecontract" => Self::PositionPartialClose,
            "/api/trade/search" => Self::TradeSearch,
            _ => return None,
        })
    }
}

/// The handler of every path below `/api`.
pub async fn api(
    State(sim): State<Arc<Sim>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_ascii_lowercase();
    if path == "/api/status/ping" {
        return if method == Method::GET {
            pong(&headers)
        } else {
            method_not_allowed("GET")
        };
    }
    let Some(route) = Route::parse(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if method != Method::POST {
        return method_not_allowed("POST");
    }
    match route {
        Route::LoginKey => return respond(auth::login_key(&sim, &headers, &body)),
        Route::LoginApp => return respond(auth::login_app(&headers, &body)),
        _ => {}
    }
    let Some(token) = bearer(&headers) else {
        return unauthorized(None);
    };
    let check = sim.lock().check_token(token, Utc::now());
    let (user_id, session) = match check {
        TokenCheck::Valid { user_id, session } => (user_id, session),
        TokenCheck::Expired if route == Route::Validate => {
            let payload = json!({ "newToken": null });
            return respond(Ok(failure(payload, 3, Some("Token expired.".to_owned()))));
        }
        TokenCheck::Ended if route == Route::Validate => {
            let payload = json!({ "newToken": null });
            return respond(Ok(failure(
                payload,
                2,
                Some("Session not found.".to_owned()),
            )));
        }
        other => return unauthorized(Some(other)),
    };
    let counted = sim.lock().count_request(user_id, Instant::now());
    if let Err(retry_after) = counted {
        return too_many_requests(retry_after);
    }
    let read = |handler: fn(&Sim, i64, Fields) -> Answer| {
        Fields::parse(&headers, &body).and_then(|fields| handler(&sim, user_id, fields))
    };
    let answer = match route {
        Route::LoginKey | Route::LoginApp => return StatusCode::NOT_FOUND.into_response(),
        Route::Validate => auth::validate(&sim, token, user_id, session),
        Route::Logout => auth::logout(&sim, session),
        Route::AccountSearch => read(lookup::accounts),
        Route::ContractSearch => read(lookup::search_contracts),
        Route::ContractById => read(lookup::contract_by_id),
        Route::ContractAvailable => read(lookup::available_contracts),
        Route::OrderPlace => read(place::place),
        Route::OrderCancel => read(orders::cancel),
        Route::OrderModify => read(orders::modify),
        Route::OrderSearch => read(orders::search),
        Route::OrderSearchOpen => read(orders::search_open),
        Route::OrderById => read(orders::search_by_id),
        Route::OrderQuery => read(orders::query),
        Route::PositionSearchOpen => read(positions::search_open),
        Route::PositionClose => read(positions::close_contract),
        Route::PositionPartialClose => read(positions::partial_close_contract),
        Route::TradeSearch => read(positions::search_trades),
    };
    respond(answer)
}

fn respond(answer: Answer) -> Response {
    match answer {
        Ok(body) => Json(body).into_response(),
        Err(refusal) => *refusal,
    }
}

/// The token of `Authorization: Bearer <token>` (scheme in any case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// HTTP 401 with an empty body, and the challenge the JWT bearer handler sends.
fn unauthorized(check: Option<TokenCheck>) -> Response {
    let challenge = match check {
        None => "Bearer",
        Some(TokenCheck::Expired) => {
            "Bearer error=\"invalid_token\", error_description=\"The token expired\""
        }
        Some(_) => "Bearer error=\"invalid_token\"",
    };
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}

fn too_many_requests(retry_after: u64) -> Response {
    let mut response = StatusCode::TOO_MANY_REQUESTS.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

fn method_not_allowed(allowed: &'static str) -> Response {
    let mut response = StatusCode::METHOD_NOT_ALLOWED.into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

/// ASP.NET writes a returned string as `text/plain` unless the client asks for JSON only.
fn pong(headers: &HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if accept.contains("application/json") && !accept.contains("text/plain") {
        Json("pong").into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "pong",
        )
            .into_response()
    }
}
