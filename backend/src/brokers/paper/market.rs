//! The paper broker's market: instruments and a simulated price for every symbol.
//!
//! The price is a deterministic random walk per symbol: a base price from the symbol's name,
//! moved by pseudo-random steps (a hash of symbol and minute) joined linearly in between, so
//! the same symbol at the same moment always has the same price, on every server instance.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::brokers::{BrokerError, Instrument};

/// Well-known contracts, so that paper sizing and P&L look like the real thing:
/// `(symbol, tick size, lot size, multiplier, typical price)`.
const KNOWN: [(&str, f64, f64, f64, f64); 12] = [
    ("ES", 0.25, 1.0, 50.0, 6000.0),
    ("MES", 0.25, 1.0, 5.0, 6000.0),
    ("NQ", 0.25, 1.0, 20.0, 21000.0),
    ("MNQ", 0.25, 1.0, 2.0, 21000.0),
    ("YM", 1.0, 1.0, 5.0, 44000.0),
    ("MYM", 1.0, 1.0, 0.5, 44000.0),
    ("RTY", 0.1, 1.0, 50.0, 2300.0),
    ("CL", 0.01, 1.0, 1000.0, 70.0),
    ("GC", 0.1, 1.0, 100.0, 2600.0),
    ("BTCUSDT", 0.1, 0.001, 1.0, 90000.0),
    ("ETHUSDT", 0.01, 0.001, 1.0, 3000.0),
    ("SOLUSDT", 0.01, 0.1, 1.0, 200.0),
];

/// Longest symbol accepted.
const MAX_SYMBOL_LEN: usize = 32;

/// Resolves a symbol: a known contract (by root, so `ESZ6` is ES), or any other well-formed
/// symbol as a plain instrument with a 0.01 tick.
pub fn instrument(symbol: &str) -> Result<Instrument, BrokerError> {
    let symbol = symbol.trim().to_ascii_uppercase();
    let well_formed = !symbol.is_empty()
        && symbol.len() <= MAX_SYMBOL_LEN
        && symbol
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '!' | '/'));
    if !well_formed {
        return Err(BrokerError::UnknownSymbol(symbol));
    }
    let known = known(&symbol);
    let (tick_size, lot_size, multiplier) = known.map_or((0.01, 1.0, 1.0), |k| (k.1, k.2, k.3));
    Ok(Instrument {
        symbol,
        tick_size,
        lot_size,
        multiplier,
    })
}

fn known(symbol: &str) -> Option<(&'static str, f64, f64, f64, f64)> {
    KNOWN.into_iter().find(|(root, ..)| {
        symbol == *root || symbol.strip_prefix(root).is_some_and(is_contract_suffix)
    })
}

/// `Z6`, `Z26`, `1!`: a month code and year, or TradingView's continuous suffix.
fn is_contract_suffix(rest: &str) -> bool {
    let mut chars = rest.chars();
    match chars.next() {
        Some(month) if "FGHJKMNQUVXZ".contains(month) => {
            let year: String = chars.collect();
            (1..=2).contains(&year.len()) && year.chars().all(|c| c.is_ascii_digit())
        }
        Some(c) if c.is_ascii_digit() => rest.ends_with('!'),
        _ => false,
    }
}

/// The simulated price of `symbol` at `at`, rounded to its tick.
pub fn price(instrument: &Instrument, at: DateTime<Utc>) -> f64 {
    let base = known(&instrument.symbol).map_or_else(|| base_price(&instrument.symbol), |k| k.4);
    let minutes = at.timestamp() as f64 / 60.0;
    let knot = minutes.floor();
    let (before, after) = (
        walk(&instrument.symbol, knot as i64),
        walk(&instrument.symbol, knot as i64 + 1),
    );
    let offset = before + (after - before) * (minutes - knot);
    round_to_tick(base * (1.0 + offset), instrument.tick_size)
}

pub fn round_to_tick(price: f64, tick: f64) -> f64 {
    let rounded = (price / tick).round() * tick;
    // Trim binary noise (0.30000000000000004) so prices print as the venue would show them.
    (rounded * 1e8).round() / 1e8
}

/// A stable base between 10 and 1000 for symbols not in the table.
fn base_price(symbol: &str) -> f64 {
    10.0 + (unit(symbol, "base") * 990.0).floor()
}

/// The walk's position at minute `knot`: the sum of the last 60 steps of up to ±0.1 %, so it
/// wanders like a walk but stays within ±6 % of the base and costs a fixed 60 hashes.
fn walk(symbol: &str, knot: i64) -> f64 {
    (knot - 59..=knot)
        .map(|minute| (unit(symbol, &minute.to_string()) - 0.5) * 0.002)
        .sum()
}

/// A uniform number in [0, 1) from a hash of the inputs.
fn unit(symbol: &str, salt: &str) -> f64 {
    let digest = Sha256::new()
        .chain_update(symbol.as_bytes())
        .chain_update([0u8])
        .chain_update(salt.as_bytes())
        .finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_contracts_resolve_by_root_and_junk_is_refused() {
        let es = instrument("esz6").unwrap();
        assert_eq!(
            (es.symbol.as_str(), es.tick_size, es.multiplier),
            ("ESZ6", 0.25, 50.0)
        );
        assert_eq!(instrument("MES1!").unwrap().multiplier, 5.0);
        assert_eq!(instrument("ESSENTIAL").unwrap().multiplier, 1.0);
        assert!(matches!(
            instrument("no spaces"),
            Err(BrokerError::UnknownSymbol(_))
        ));
        assert!(instrument("").is_err());
    }

    #[test]
    fn the_price_is_deterministic_on_the_tick_and_moves_over_time() {
        let es = instrument("ES").unwrap();
        let t0: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
        let p0 = price(&es, t0);
        assert_eq!(p0, price(&es, t0));
        assert_eq!(p0 % 0.25, 0.0);
        assert!((5600.0..6400.0).contains(&p0), "{p0}");
        let later: Vec<f64> = (1..30)
            .map(|m| price(&es, t0 + chrono::Duration::minutes(m)))
            .collect();
        assert!(later.iter().any(|p| *p != p0), "the price never moves");
    }
}
