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
        Ok(per_subscriber(self.0.client_ip(peer, forwarded_for)))
    }
}

/// The key one client is counted under: an IPv4 address, or the /64 an IPv6 address is in
/// (one subscriber's usual allocation; hopping inside it buys nothing), as the login limits do.
fn per_subscriber(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(network.into())
            }
        },
        v4 => v4,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_their_64_and_ipv4_clients_stay_apart() {
        let a: IpAddr = "2001:db8:7:8:1::1".parse().unwrap();
        let b: IpAddr = "2001:db8:7:8:ffff::2".parse().unwrap();
        assert_eq!(per_subscriber(a), per_subscriber(b));
        assert_eq!(
            per_subscriber(a),
            "2001:db8:7:8::".parse::<IpAddr>().unwrap()
        );
        assert_ne!(
            per_subscriber("198.51.100.1".parse().unwrap()),
            per_subscriber("198.51.100.2".parse().unwrap())
        );
        assert_eq!(
            per_subscriber("::ffff:198.51.100.1".parse().unwrap()),
            "198.51.100.1".parse::<IpAddr>().unwrap()
        );
    }
}
