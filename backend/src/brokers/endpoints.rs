//! Where each venue lives (SEC-21): built-in live and demo URLs, which only the operator can
//! override, per venue, with `COPYTRADE_ENDPOINT_<VENUE>` (REST) and
//! `COPYTRADE_ENDPOINT_<VENUE>_WS` (streaming). Tests point adapters at local fakes this way.
//! No user input ever names a URL.

use super::{BrokerEnvironment, BrokerKind};
use crate::config::ConfigError;

/// One venue's REST and streaming base URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub rest: String,
    pub ws: String,
}

/// The venues that have endpoints, with their override variables (REST, streaming).
const VENUES: [(BrokerKind, &str, &str); 5] = [
    (
        BrokerKind::Tradovate,
        "COPYTRADE_ENDPOINT_TRADOVATE",
        "COPYTRADE_ENDPOINT_TRADOVATE_WS",
    ),
    (
        BrokerKind::TopstepX,
        "COPYTRADE_ENDPOINT_TOPSTEPX",
        "COPYTRADE_ENDPOINT_TOPSTEPX_WS",
    ),
    (
        BrokerKind::BinanceUsdm,
        "COPYTRADE_ENDPOINT_BINANCE_USDM",
        "COPYTRADE_ENDPOINT_BINANCE_USDM_WS",
    ),
    (
        BrokerKind::Bybit,
        "COPYTRADE_ENDPOINT_BYBIT",
        "COPYTRADE_ENDPOINT_BYBIT_WS",
    ),
    (
        BrokerKind::Okx,
        "COPYTRADE_ENDPOINT_OKX",
        "COPYTRADE_ENDPOINT_OKX_WS",
    ),
];

/// Every venue's endpoints, live and demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerEndpoints {
    /// `(venue, live, demo)`
    entries: Vec<(BrokerKind, Endpoint, Endpoint)>,
}

fn pair(rest: &str, ws: &str) -> Endpoint {
    Endpoint {
        rest: rest.to_owned(),
        ws: ws.to_owned(),
    }
}

fn built_in(kind: BrokerKind) -> (Endpoint, Endpoint) {
    match kind {
        BrokerKind::TopstepX => {
            // TopstepX has one host; practice accounts are marked simulated.
            let one = pair(
                "https://api.topstepx.com",
                "https://rtc.topstepx.com/hubs/user",
            );
            (one.clone(), one)
        }
        BrokerKind::BinanceUsdm => (
            pair("https://fapi.binance.com", "wss://fstream.binance.com/ws"),
            pair(
                "https://testnet.binancefuture.com",
                "wss://fstream.binancefuture.com/ws",
            ),
        ),
        BrokerKind::Bybit => (
            pair("https://api.bybit.com", "wss://stream.bybit.com/v5/private"),
            pair(
                "https://api-demo.bybit.com",
                "wss://stream-demo.bybit.com/v5/private",
            ),
        ),
        BrokerKind::Okx => (
            // Demo is the same REST host with `x-simulated-trading: 1`.
            pair("https://www.okx.com", "wss://ws.okx.com:8443/ws/v5/private"),
            pair(
                "https://www.okx.com",
                "wss://wspap.okx.com:8443/ws/v5/private",
            ),
        ),
        // Tradovate, and Apex through it; the paper broker has no endpoint but shares this arm.
        _ => (
            pair(
                "https://live.tradovateapi.com/v1",
                "wss://live.tradovateapi.com/v1/websocket",
            ),
            pair(
                "https://demo.tradovateapi.com/v1",
                "wss://demo.tradovateapi.com/v1/websocket",
            ),
        ),
    }
}

impl BrokerEndpoints {
    /// The built-in endpoints with the operator's overrides read through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut entries = Vec::new();
        for (kind, rest_var, ws_var) in VENUES {
            let (mut live, mut demo) = built_in(kind);
            if let Some(rest) = read(&lookup, rest_var, &["http://", "https://"])? {
                live.rest.clone_from(&rest);
                demo.rest = rest;
            }
            if let Some(ws) = read(&lookup, ws_var, &["ws://", "wss://", "http://", "https://"])? {
                live.ws.clone_from(&ws);
                demo.ws = ws;
            }
            entries.push((kind, live, demo));
        }
        Ok(Self { entries })
    }

    /// The endpoint of `kind` in `environment`; Apex uses Tradovate's.
    pub fn get(&self, kind: BrokerKind, environment: BrokerEnvironment) -> Option<&Endpoint> {
        let kind = if kind == BrokerKind::Apex {
            BrokerKind::Tradovate
        } else {
            kind
        };
        self.entries
            .iter()
            .find(|(venue, _, _)| *venue == kind)
            .map(|(_, live, demo)| match environment {
                BrokerEnvironment::Live => live,
                BrokerEnvironment::Demo => demo,
            })
    }
}

fn read(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    schemes: &[&str],
) -> Result<Option<String>, ConfigError> {
    let Some(value) = lookup(var)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    let host = schemes
        .iter()
        .find_map(|scheme| value.strip_prefix(scheme))
        .map(|rest| rest.split('/').next().unwrap_or_default());
    match host {
        Some(host) if !host.is_empty() && !value.contains(char::is_whitespace) => {
            Ok(Some(value.trim_end_matches('/').to_owned()))
        }
        _ => Err(ConfigError::Invalid {
            var,
            why: format!(
                "`{value}` is not a base URL starting with {}",
                schemes.join(" or ")
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_endpoints_are_the_documented_hosts_and_apex_is_tradovate() {
        let endpoints = BrokerEndpoints::from_lookup(|_| None).unwrap();
        let demo = endpoints
            .get(BrokerKind::Apex, BrokerEnvironment::Demo)
            .unwrap();
        assert_eq!(demo.rest, "https://demo.tradovateapi.com/v1");
        let live = endpoints
            .get(BrokerKind::BinanceUsdm, BrokerEnvironment::Live)
            .unwrap();
        assert_eq!(live.rest, "https://fapi.binance.com");
    }

    #[test]
    fn the_operator_overrides_one_venue_and_bad_urls_are_refused() {
        let endpoints = BrokerEndpoints::from_lookup(|var| {
            (var == "COPYTRADE_ENDPOINT_BYBIT").then(|| "http://127.0.0.1:9001/".to_owned())
        })
        .unwrap();
        for env in [BrokerEnvironment::Live, BrokerEnvironment::Demo] {
            let bybit = endpoints.get(BrokerKind::Bybit, env).unwrap();
            assert_eq!(bybit.rest, "http://127.0.0.1:9001");
        }
        let err = BrokerEndpoints::from_lookup(|var| {
            (var == "COPYTRADE_ENDPOINT_OKX_WS").then(|| "okx.example".to_owned())
        })
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("COPYTRADE_ENDPOINT_OKX_WS"), "{err}");
    }
}
