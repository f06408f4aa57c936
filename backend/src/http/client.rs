//! Who is on the other end of a request: the client's IP (through trusted proxies, SEC-11),
//! user agent, and whether it came over HTTPS.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::header::USER_AGENT;
use axum::http::{Extensions, HeaderMap};

use super::AppState;
use crate::auth::RequestMeta;

/// The socket peer's IP.
fn peer_ip(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
        // Only in-process tests lack the socket address.
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The client's IP and user agent.
pub fn request_meta(state: &AppState, headers: &HeaderMap, extensions: &Extensions) -> RequestMeta {
    let forwarded_for = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok());
    RequestMeta {
        device: crate::graphql::request::device_cookie(
            headers,
            is_https(state, headers, extensions),
        ),
        ip: state
            .trusted_proxies
            .client_ip(peer_ip(extensions), forwarded_for),
        user_agent: headers
            .get(USER_AGENT)
            .and_then(|ua| ua.to_str().ok())
            .map(str::to_owned),
    }
}

/// Whether the client reached us over HTTPS, as a trusted proxy reports it.
pub fn is_https(state: &AppState, headers: &HeaderMap, extensions: &Extensions) -> bool {
    let proto = headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|value| value.to_str().ok());
    state
        .trusted_proxies
        .forwarded_https(peer_ip(extensions), proto)
}
