//! The general request limit on the API (on top of the login limits in `auth`): a token bucket
//! per client IP (tower_governor), generous by default, answering 429 with `retry-after`.
//! The client IP is found the same way as everywhere else (trusted proxies, SEC-11).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::Request;
use governor::middleware::StateInformationMiddleware;
use tower_governor::GovernorError;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;

use crate::auth::per_subscriber;
use crate::config::TrustedProxies;

/// Keys requests by client IP.
#[derive(Clone)]
pub struct ClientIpKey(Arc<TrustedProxies>);

impl KeyExtractor for ClientIpKey {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())
            // Only in-process tests lack the socket address.
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let forwarded_for = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        // Counted as the login limits count: an IPv6 client per /64.
        Ok(per_subscriber(self.0.client_ip(peer, forwarded_for)))
    }
}

pub type LimitConfig = GovernorConfig<ClientIpKey, StateInformationMiddleware>;

/// `per_second` requests per second per IP on average, bursts of up to `burst`.
pub fn config(
    trusted: Arc<TrustedProxies>,
    per_second: u32,
    burst: u32,
) -> Option<Arc<LimitConfig>> {
    let period = Duration::from_secs(1) / per_second.max(1);
    GovernorConfigBuilder::default()
        .period(period)
        .burst_size(burst.max(1))
        .key_extractor(ClientIpKey(trusted))
        .use_headers()
        .finish()
        .map(Arc::new)
}

/// Forgets idle clients once a minute so the table does not grow without bound.
pub fn spawn_cleanup(config: Arc<LimitConfig>) {
    tokio::spawn(async move {
        let mut every_minute = tokio::time::interval(Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            config.limiter().retain_recent();
        }
    });
}
