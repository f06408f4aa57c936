//! `COPYTRADE_TRUSTED_PROXIES` (SEC-11): the reverse proxies whose `X-Forwarded-For` is
//! believed. The client IP is the socket peer, unless the peer is one of these; then it is the
//! right-most `X-Forwarded-For` hop that is not. Empty by default: no header is believed.

use std::net::IpAddr;

/// A list of CIDR blocks (`10.0.0.0/8`, `::1/128`, or a bare address).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma-separated list; the error names the entry that is wrong.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut blocks = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (addr, prefix) = entry
                .split_once('/')
                .map_or((entry, None), |(a, p)| (a, Some(p)));
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("`{entry}` is not an IP address or CIDR block"))?;
            let addr = canonical(addr);
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| {
                    format!("`{entry}` has a prefix length that is not 0 to {max}")
                })?,
            };
            blocks.push((addr, prefix));
        }
        Ok(Self(blocks))
    }

    /// No proxy is trusted (the default).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|(block, prefix)| match (block, ip) {
            (IpAddr::V4(block), IpAddr::V4(ip)) => {
                same_prefix(u32::from(*block).into(), u32::from(ip).into(), *prefix, 32)
            }
            (IpAddr::V6(block), IpAddr::V6(ip)) => {
                same_prefix(u128::from(*block), u128::from(ip), *prefix, 128)
            }
            _ => false,
        })
    }

    /// The client's IP: `peer`, or for a trusted peer the right-most untrusted forwarded hop.
    pub fn client_ip<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl Iterator<Item = &'a str>,
    ) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.contains(ip) => continue,
                Ok(ip) => return canonical(ip),
                // A hop we cannot read: the client is unknown, so count against the proxy.
                Err(_) => return peer,
            }
        }
        peer
    }
}

impl TrustedProxies {
    /// Whether the client reached us over HTTPS: only a trusted proxy can say so, with the
    /// last `X-Forwarded-Proto` value it appended. (The server itself speaks plain HTTP.)
    pub fn forwarded_https<'a>(
        &self,
        peer: IpAddr,
        forwarded_proto: impl Iterator<Item = &'a str>,
    ) -> bool {
        self.contains(canonical(peer))
            && forwarded_proto
                .flat_map(|value| value.split(','))
                .last()
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
    }
}

/// IPv4 clients on a dual-stack socket appear as `::ffff:a.b.c.d`: treat them as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn same_prefix(a: u128, b: u128, prefix: u8, bits: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = u32::from(bits - prefix);
    (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_spoofed_header_from_an_untrusted_peer_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_ip(ip("203.0.113.9"), ["1.2.3.4"].into_iter()),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").unwrap();
        let forwarded = ["6.6.6.6, 198.51.100.20", "10.1.2.3"];
        assert_eq!(
            proxies.client_ip(ip("10.0.0.5"), forwarded.into_iter()),
            ip("198.51.100.20")
        );
        assert_eq!(
            proxies.client_ip(ip("::ffff:192.168.1.1"), ["198.51.100.7"].into_iter()),
            ip("198.51.100.7")
        );
        assert_eq!(
            proxies.client_ip(ip("10.0.0.5"), ["garbage"].into_iter()),
            ip("10.0.0.5")
        );
        assert_eq!(
            proxies.client_ip(ip("10.0.0.5"), std::iter::empty()),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn only_a_trusted_proxy_can_say_the_client_used_https() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert!(proxies.forwarded_https(ip("10.0.0.5"), ["http, https"].into_iter()));
        assert!(!proxies.forwarded_https(ip("10.0.0.5"), ["http"].into_iter()));
        assert!(!proxies.forwarded_https(ip("203.0.113.1"), ["https"].into_iter()));
    }

    #[test]
    fn ipv6_blocks_match_by_prefix() {
        let proxies = TrustedProxies::parse("2001:db8::/32").unwrap();
        assert!(proxies.contains(ip("2001:db8:1::1")));
        assert!(!proxies.contains(ip("2001:db9::1")));
        assert!(!proxies.contains(ip("10.0.0.1")));
    }

    #[test]
    fn malformed_entries_are_named() {
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/33").unwrap_err(),
            "`10.0.0.0/33` has a prefix length that is not 0 to 32"
        );
        assert!(
            TrustedProxies::parse("proxy.local")
                .unwrap_err()
                .contains("`proxy.local`")
        );
    }
}
