//! The pure part of copying: which symbol a follower trades, how much, on which side, and
//! whether its limits let it trade now. No I/O, so every rule is unit-tested here.

use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::SymbolMapping;
use crate::brokers::{Exit, Instrument, OrderRequest, OrderType, Side};
use crate::db::types::Id;
use crate::signals::parse::{Action, Sentiment, Signal, SignalOrderType, Target};

/// What a copied order asks the broker to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Request {
    /// Place this order.
    Place(OrderRequest),
    /// Cancel every working order in this symbol.
    Cancel { symbol: String },
}

impl Request {
    pub fn symbol(&self) -> &str {
        match self {
            Self::Place(order) => &order.symbol,
            Self::Cancel { symbol } => symbol,
        }
    }
}

/// The client order id of a follower's copy of a signal: the same signal and follower always
/// give the same id, so a resent order is recognised by the venue. `ct` + 30 hex characters:
/// 32 alphanumerics fit every venue (OKX allows 32, Bybit and Binance 36).
pub fn client_order_id(signal: Id, follower: Id) -> String {
    let digest = Sha256::new()
        .chain_update(signal.0.as_bytes())
        .chain_update(follower.0.as_bytes())
        .finalize();
    let hex = crate::digest::hex(&digest);
    format!("ct{}", &hex[..30])
}

/// Whether a client order id is one of ours (orders the copier placed are never mirrored
/// again, so a follower that is also a leader makes no loop).
pub fn is_copier_order(client_order_id: &str) -> bool {
    let id = client_order_id.split(':').next().unwrap_or_default();
    id.len() == 32 && id.starts_with("ct") && id[2..].chars().all(|c| c.is_ascii_hexdigit())
}

/// The signal's symbol without TradingView's decorations: the exchange prefix (`CME_MINI:`),
/// the continuous-contract suffix (`1!`, `2!`) and the perpetual suffix (`.P`).
pub fn root_symbol(ticker: &str) -> String {
    let ticker = ticker.trim();
    let ticker = ticker.rsplit(':').next().unwrap_or(ticker);
    let ticker = ticker
        .strip_suffix(".P")
        .or_else(|| ticker.strip_suffix(".p"))
        .unwrap_or(ticker);
    let ticker = match ticker.strip_suffix('!') {
        Some(rest) => rest.trim_end_matches(|c: char| c.is_ascii_digit()),
        None => ticker,
    };
    ticker.to_ascii_uppercase()
}

/// The symbol a follower trades for a signal's ticker: a mapping of the ticker as sent wins,
/// then a mapping of its root; without one, the root itself.
pub fn map_symbol(ticker: &str, map: &[SymbolMapping]) -> String {
    let root = root_symbol(ticker);
    let find = |wanted: &str| {
        map.iter()
            .find(|m| m.from.trim().eq_ignore_ascii_case(wanted))
            .map(|m| m.to.trim().to_owned())
    };
    find(ticker.trim()).or_else(|| find(&root)).unwrap_or(root)
}

/// How a follower sizes its copies.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    pub multiplier: f64,
    pub fixed_quantity: Option<f64>,
    pub max_quantity: Option<f64>,
    pub max_position: Option<f64>,
}

/// An order quantity, or why there is none.
pub type Sized = Result<f64, String>;

/// The quantity of a new order: the fixed quantity, or the signal's quantity (1 when it names
/// none) times the multiplier; rounded down to the lot size; capped by the largest order and
/// by what the largest position leaves room for (`position` is the follower's signed position,
/// `direction` +1 buy / -1 sell).
pub fn size(
    sizing: &Sizing,
    signal_quantity: Option<f64>,
    lot: f64,
    position: f64,
    direction: f64,
) -> Sized {
    let wanted = sizing
        .fixed_quantity
        .unwrap_or(signal_quantity.unwrap_or(1.0) * sizing.multiplier);
    let mut quantity = round_down(wanted, lot);
    if let Some(max) = sizing.max_quantity
        && quantity > max
    {
        quantity = round_down(max, lot);
    }
    if let Some(max) = sizing.max_position {
        // Room left in the order's direction; reducing a position always fits.
        let room = max - position * direction;
        let reducing = (position * direction).min(0.0).abs();
        let allowed = room.max(reducing);
        if quantity > allowed {
            quantity = round_down(allowed, lot);
            if quantity <= 0.0 {
                return Err(format!(
                    "the position would exceed the follower's maximum of {}",
                    trim(max)
                ));
            }
        }
    }
    if quantity <= 0.0 {
        return Err(format!(
            "{} rounds down to 0 at the lot size {}",
            trim(wanted),
            trim(lot)
        ));
    }
    Ok(quantity)
}

fn round_down(quantity: f64, lot: f64) -> f64 {
    if lot <= 0.0 {
        return quantity;
    }
    // The epsilon keeps 0.3 / 0.1 = 2.9999999999999996 at 3 lots.
    let lots = (quantity / lot + 1e-9).floor();
    trim(lots * lot)
}

/// Drops binary noise, so 3 * 0.1 prints as 0.3.
fn trim(value: f64) -> f64 {
    (value * 1e9).round() / 1e9
}

/// The side of a follower's order: the signal's, or the opposite when the follower inverts.
pub fn side(action: Action, sentiment: Option<Sentiment>, invert: bool) -> Option<Side> {
    let side = match (action, sentiment) {
        (Action::Buy, _) => Side::Buy,
        (Action::Sell, _) => Side::Sell,
        (Action::Add, Some(Sentiment::Long)) => Side::Buy,
        (Action::Add, Some(Sentiment::Short)) => Side::Sell,
        _ => return None,
    };
    Some(if invert { side.opposite() } else { side })
}

/// A signal's take-profit or stop-loss as the broker takes it: prices as they are, ticks and
/// percent as distances from the entry's fill, a currency amount per contract as ticks (with
/// the contract's value per point).
pub fn exit(target: Target, instrument: &Instrument) -> Exit {
    match target {
        Target::Price(price) => Exit::Price(price),
        Target::Ticks(ticks) => Exit::Ticks { ticks },
        Target::Percent(percent) => Exit::Percent { percent },
        Target::Amount(amount) => Exit::Ticks {
            ticks: amount / instrument.multiplier.max(f64::EPSILON) / instrument.tick_size,
        },
    }
}

/// The order a follower places for an entry signal (buy, sell, add).
pub fn entry_order(
    signal: &Signal,
    client_order_id: String,
    instrument: &Instrument,
    side: Side,
    quantity: f64,
    inverted: bool,
) -> OrderRequest {
    let order_type = match signal.order_type {
        SignalOrderType::Market => OrderType::Market,
        SignalOrderType::Limit => OrderType::Limit,
        SignalOrderType::Stop => OrderType::Stop,
        SignalOrderType::StopLimit => OrderType::StopLimit,
    };
    // Targets given as prices belong to the leader's direction: an inverted follower cannot
    // use them, so it trades without them rather than with a stop on the wrong side.
    let bracket = |target: Option<Target>| match target {
        Some(Target::Price(_)) if inverted => None,
        Some(target) => Some(exit(target, instrument)),
        None => None,
    };
    OrderRequest {
        client_order_id,
        symbol: instrument.symbol.clone(),
        side,
        order_type,
        quantity,
        limit_price: signal.limit_price,
        stop_price: signal.stop_price,
        take_profit: bracket(signal.take_profit),
        stop_loss: bracket(signal.stop_loss),
        reference_price: signal.price,
    }
}

/// A market order that closes a signed position.
pub fn closing_order(client_order_id: String, symbol: &str, position: f64) -> OrderRequest {
    OrderRequest {
        client_order_id,
        symbol: symbol.to_owned(),
        side: if position > 0.0 {
            Side::Sell
        } else {
            Side::Buy
        },
        order_type: OrderType::Market,
        quantity: position.abs(),
        limit_price: None,
        stop_price: None,
        take_profit: None,
        stop_loss: None,
        reference_price: None,
    }
}

/// A daily window of UTC times in which a follower opens positions; it may wrap midnight
/// (`22:00-06:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradingHours {
    /// Minutes after midnight UTC.
    pub start: u32,
    pub end: u32,
}

impl TradingHours {
    /// Parses `HH:MM-HH:MM`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a window like 13:30-20:00 (UTC)");
        let (start, end) = text.trim().split_once('-').ok_or_else(bad)?;
        let minutes = |part: &str| -> Option<u32> {
            let (h, m) = part.trim().split_once(':')?;
            let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
            (h < 24 && m < 60 && part.trim().len() == 5).then_some(h * 60 + m)
        };
        let (start, end) = (
            minutes(start).ok_or_else(bad)?,
            minutes(end).ok_or_else(bad)?,
        );
        if start == end {
            return Err(format!(
                "`{text}` is an empty window: start and end are equal"
            ));
        }
        Ok(Self { start, end })
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let now = at.hour() * 60 + at.minute();
        if self.start < self.end {
            (self.start..self.end).contains(&now)
        } else {
            now >= self.start || now < self.end
        }
    }
}

impl std::fmt::Display for TradingHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> Vec<SymbolMapping> {
        pairs
            .iter()
            .map(|(from, to)| SymbolMapping {
                from: (*from).into(),
                to: (*to).into(),
            })
            .collect()
    }

    fn sizing(multiplier: f64) -> Sizing {
        Sizing {
            multiplier,
            fixed_quantity: None,
            max_quantity: None,
            max_position: None,
        }
    }

    #[test]
    fn tradingview_decorations_are_understood_and_maps_apply() {
        assert_eq!(root_symbol("ES1!"), "ES");
        assert_eq!(root_symbol("CME_MINI:NQ2!"), "NQ");
        assert_eq!(root_symbol("BTCUSDT.P"), "BTCUSDT");
        assert_eq!(root_symbol("BYBIT:ethusdt.p"), "ETHUSDT");
        assert_eq!(root_symbol("ESZ2026"), "ESZ2026");
        let es_to_mes = map(&[("ES", "MES"), ("BTCUSDT.P", "BTC-USDT-SWAP")]);
        assert_eq!(map_symbol("ES1!", &es_to_mes), "MES");
        assert_eq!(map_symbol("es1!", &es_to_mes), "MES");
        assert_eq!(map_symbol("BTCUSDT.P", &es_to_mes), "BTC-USDT-SWAP");
        assert_eq!(map_symbol("NQ1!", &es_to_mes), "NQ");
    }

    #[test]
    fn quantities_scale_round_down_to_the_lot_and_respect_the_caps() {
        assert_eq!(size(&sizing(2.0), Some(3.0), 1.0, 0.0, 1.0), Ok(6.0));
        assert_eq!(size(&sizing(0.5), Some(3.0), 1.0, 0.0, 1.0), Ok(1.0));
        assert_eq!(size(&sizing(1.0), None, 1.0, 0.0, 1.0), Ok(1.0));
        assert_eq!(size(&sizing(0.1), Some(3.0), 0.1, 0.0, 1.0), Ok(0.3));
        assert!(
            size(&sizing(0.5), Some(1.0), 1.0, 0.0, 1.0)
                .unwrap_err()
                .contains("rounds down to 0")
        );
        let fixed = Sizing {
            fixed_quantity: Some(2.0),
            ..sizing(10.0)
        };
        assert_eq!(size(&fixed, Some(7.0), 1.0, 0.0, -1.0), Ok(2.0));
        let capped = Sizing {
            max_quantity: Some(4.0),
            ..sizing(3.0)
        };
        assert_eq!(size(&capped, Some(2.0), 1.0, 0.0, 1.0), Ok(4.0));
        let limited = Sizing {
            max_position: Some(5.0),
            ..sizing(1.0)
        };
        // Long 4 of at most 5: one more fits.
        assert_eq!(size(&limited, Some(3.0), 1.0, 4.0, 1.0), Ok(1.0));
        assert!(size(&limited, Some(3.0), 1.0, 5.0, 1.0).is_err());
        // Selling from long 5 reduces: up to 5 + 5 fits.
        assert_eq!(size(&limited, Some(3.0), 1.0, 5.0, -1.0), Ok(3.0));
    }

    #[test]
    fn inverted_followers_take_the_other_side() {
        assert_eq!(side(Action::Buy, None, false), Some(Side::Buy));
        assert_eq!(side(Action::Buy, None, true), Some(Side::Sell));
        assert_eq!(
            side(Action::Add, Some(Sentiment::Short), false),
            Some(Side::Sell)
        );
        assert_eq!(side(Action::Exit, None, false), None);
    }

    #[test]
    fn targets_become_exits_measured_from_the_fill_on_the_right_side() {
        let es = crate::brokers::paper::market::instrument("ES").unwrap();
        let ticks = exit(Target::Ticks(8.0), &es);
        assert_eq!(ticks.price(6000.0, Side::Buy, es.tick_size, true), 6002.0);
        assert_eq!(ticks.price(6000.0, Side::Sell, es.tick_size, false), 6002.0);
        // Measured from where the entry filled, not from the signal's price.
        assert_eq!(ticks.price(6001.0, Side::Buy, es.tick_size, true), 6003.0);
        assert_eq!(
            ticks.signed_ticks(None, Side::Sell, es.tick_size, true),
            Some(-8)
        );
        let percent = exit(Target::Percent(1.0), &es);
        assert_eq!(
            percent.price(6000.0, Side::Buy, es.tick_size, false),
            5940.0
        );
        assert_eq!(
            percent.signed_ticks(None, Side::Buy, es.tick_size, false),
            None
        );
        // $500 per contract at $50 a point is 10 points, 40 ticks.
        assert_eq!(
            exit(Target::Amount(500.0), &es),
            Exit::Ticks { ticks: 40.0 }
        );
        let price = exit(Target::Price(5990.0), &es);
        assert_eq!(price.price(6003.0, Side::Buy, es.tick_size, false), 5990.0);
        assert_eq!(
            price.signed_ticks(Some(6000.0), Side::Buy, es.tick_size, false),
            Some(-40)
        );
        // Stored forms: a plain number is a price (orders stored before exits had kinds).
        assert_eq!(
            serde_json::from_str::<Exit>("6010.5").unwrap(),
            Exit::Price(6010.5)
        );
        assert_eq!(serde_json::to_string(&ticks).unwrap(), r#"{"ticks":8.0}"#);
    }

    #[test]
    fn client_order_ids_are_stable_ours_and_fit_every_venue() {
        let (signal, follower) = (Id::new(), Id::new());
        let id = client_order_id(signal, follower);
        assert_eq!(id, client_order_id(signal, follower));
        assert_ne!(id, client_order_id(signal, Id::new()));
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(is_copier_order(&id));
        assert!(is_copier_order(&format!("{id}:tp")));
        assert!(!is_copier_order("flatten-0a1b"));
        assert!(!is_copier_order("my-manual-order"));
    }

    #[test]
    fn trading_hours_parse_and_may_wrap_midnight() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let day = TradingHours::parse("13:30-20:00").unwrap();
        assert!(day.contains(at("2026-11-30T13:30:00Z")));
        assert!(!day.contains(at("2026-11-30T20:00:00Z")));
        assert!(!day.contains(at("2026-11-30T08:00:00Z")));
        let night = TradingHours::parse("22:00-06:00").unwrap();
        assert!(night.contains(at("2026-11-30T23:59:00Z")));
        assert!(night.contains(at("2026-11-30T05:59:00Z")));
        assert!(!night.contains(at("2026-11-30T12:00:00Z")));
        assert_eq!(night.to_string(), "22:00-06:00");
        assert!(TradingHours::parse("9:30-16:00").is_err());
        assert!(TradingHours::parse("25:00-26:00").is_err());
        assert!(TradingHours::parse("10:00-10:00").is_err());
    }
}
