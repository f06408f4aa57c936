//! The contract library: products (ES, MES, NQ, MNQ, CL, MCL, GC, MGC), their maturities and
//! contracts, named as Tradovate names them (`ESZ6`: root, month code, last digit of the year).
//!
//! Two contracts per product, the front month and the one after it, computed from today's date
//! so tests keep working as the calendar moves:
//! - equity index (ES, MES, NQ, MNQ): quarterly H M U Z; the front rolls to the next quarter on
//!   the 8th day before the expiry month's third Friday;
//! - crude (CL, MCL): the next calendar month;
//! - gold (GC, MGC): the next of G J M Q V Z after the current month.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde_json::{Value, json};

/// How a product's listed months follow each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cycle {
    Quarterly,
    Monthly,
    Gold,
}

/// A product's fixed facts.
#[derive(Debug)]
pub(crate) struct Root {
    pub symbol: &'static str,
    pub description: &'static str,
    pub tick_size: f64,
    /// Dollars per tick.
    pub tick_value: f64,
    pub default_price: f64,
    cycle: Cycle,
    exchange_id: i64,
}

impl Root {
    /// Dollars per point of price, Tradovate's `valuePerPoint`.
    pub fn value_per_point(&self) -> f64 {
        self.tick_value / self.tick_size
    }
}

const CME: i64 = 1;
const NYMEX: i64 = 3;
const COMEX: i64 = 2;

pub(crate) static ROOTS: [Root; 8] = [
    root(
        "ES",
        "E-Mini S&P 500",
        0.25,
        12.5,
        6000.0,
        Cycle::Quarterly,
        CME,
    ),
    root(
        "MES",
        "Micro E-Mini S&P 500",
        0.25,
        1.25,
        6000.0,
        Cycle::Quarterly,
        CME,
    ),
    root(
        "NQ",
        "E-Mini NASDAQ 100",
        0.25,
        5.0,
        21000.0,
        Cycle::Quarterly,
        CME,
    ),
    root(
        "MNQ",
        "Micro E-Mini NASDAQ 100",
        0.25,
        0.5,
        21000.0,
        Cycle::Quarterly,
        CME,
    ),
    root("CL", "Crude Oil", 0.01, 10.0, 70.0, Cycle::Monthly, NYMEX),
    root(
        "MCL",
        "Micro WTI Crude Oil",
        0.01,
        1.0,
        70.0,
        Cycle::Monthly,
        NYMEX,
    ),
    root("GC", "Gold", 0.1, 10.0, 2600.0, Cycle::Gold, COMEX),
    root("MGC", "Micro Gold", 0.1, 1.0, 2600.0, Cycle::Gold, COMEX),
];

const fn root(
    symbol: &'static str,
    description: &'static str,
    tick_size: f64,
    tick_value: f64,
    default_price: f64,
    cycle: Cycle,
    exchange_id: i64,
) -> Root {
    Root {
        symbol,
        description,
        tick_size,
        tick_value,
        default_price,
        cycle,
        exchange_id,
    }
}

const MONTH_CODES: [char; 12] = ['F', 'G', 'H', 'J', 'K', 'M', 'N', 'Q', 'U', 'V', 'X', 'Z'];

/// One listed contract with its maturity and product.
#[derive(Debug)]
pub(crate) struct Contract {
    pub id: i64,
    pub name: String,
    pub root: &'static Root,
    pub product_id: i64,
    pub maturity_id: i64,
    pub year: i32,
    pub month: u32,
    pub expiration: NaiveDate,
    pub is_front: bool,
}

/// Every product and contract the simulator lists.
#[derive(Debug)]
pub(crate) struct Catalog {
    pub contracts: Vec<Contract>,
}

/// Ids are fixed per product and month slot, far below the ids the state hands out.
const PRODUCT_ID_BASE: i64 = 7_000;
const MATURITY_ID_BASE: i64 = 40_000;
const CONTRACT_ID_BASE: i64 = 3_000_000;

impl Catalog {
    pub fn for_date(today: NaiveDate) -> Self {
        let mut contracts = Vec::new();
        for (index, root) in ROOTS.iter().enumerate() {
            let index = index as i64;
            let front = front_month(root.cycle, today);
            let next = following_month(root.cycle, front);
            for (slot, (year, month)) in [front, next].into_iter().enumerate() {
                let slot = slot as i64;
                contracts.push(Contract {
                    id: CONTRACT_ID_BASE + index * 10 + slot,
                    name: format!(
                        "{}{}{}",
                        root.symbol,
                        MONTH_CODES[(month - 1) as usize],
                        year.rem_euclid(10)
                    ),
                    root,
                    product_id: PRODUCT_ID_BASE + index,
                    maturity_id: MATURITY_ID_BASE + index * 10 + slot,
                    year,
                    month,
                    expiration: expiration(root.cycle, year, month),
                    is_front: slot == 0,
                });
            }
        }
        Self { contracts }
    }

    pub fn contract(&self, id: i64) -> Option<&Contract> {
        self.contracts.iter().find(|contract| contract.id == id)
    }

    /// By contract name, any case (`ESZ6`, `esz6`).
    pub fn by_name(&self, name: &str) -> Option<&Contract> {
        self.contracts
            .iter()
            .find(|contract| contract.name.eq_ignore_ascii_case(name.trim()))
    }

    /// Contracts whose name starts with `text`: `ES` finds the ES contracts, not the MES ones.
    pub fn suggest(&self, text: &str, limit: usize) -> Vec<&Contract> {
        let text = text.trim().to_ascii_uppercase();
        let mut found: Vec<&Contract> = self
            .contracts
            .iter()
            .filter(|contract| contract.name.starts_with(&text))
            .collect();
        // Shorter roots first, so `ES` lists ES before a longer root sharing the prefix.
        found.sort_by_key(|contract| (contract.root.symbol.len(), contract.id));
        found.truncate(limit);
        found
    }

    /// Contracts of the product `symbol` (`ES`), front month first.
    pub fn of_root(&self, symbol: &str) -> Vec<&Contract> {
        self.contracts
            .iter()
            .filter(|contract| contract.root.symbol.eq_ignore_ascii_case(symbol.trim()))
            .collect()
    }

    pub fn product_by_name(&self, name: &str) -> Option<&Contract> {
        self.of_root(name).into_iter().next()
    }

    pub fn product(&self, id: i64) -> Option<&Contract> {
        self.contracts
            .iter()
            .find(|contract| contract.product_id == id)
    }

    pub fn maturity(&self, id: i64) -> Option<&Contract> {
        self.contracts
            .iter()
            .find(|contract| contract.maturity_id == id)
    }
}

impl Contract {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "contractMaturityId": self.maturity_id,
            "status": "DefinitionChecked",
            "providerTickSize": self.root.tick_size,
        })
    }

    pub fn maturity_json(&self) -> Value {
        json!({
            "id": self.maturity_id,
            "productId": self.product_id,
            // Year and month as one number (202612), a guess at Tradovate's encoding.
            "expirationMonth": self.year * 100 + self.month as i32,
            "expirationDate": format!("{}T21:00:00.000Z", self.expiration),
            "isFront": self.is_front,
        })
    }

    pub fn product_json(&self) -> Value {
        let root = self.root;
        let decimals = decimals(root.tick_size);
        json!({
            "id": self.product_id,
            "name": root.symbol,
            "currencyId": 1,
            "productType": "Futures",
            "description": root.description,
            "exchangeId": root.exchange_id,
            "contractGroupId": self.product_id,
            "status": "Verified",
            "months": months_text(root.cycle),
            "isSecured": false,
            "valuePerPoint": root.value_per_point(),
            "priceFormatType": "Decimal",
            "priceFormat": -decimals,
            "tickSize": root.tick_size,
        })
    }
}

fn decimals(tick: f64) -> i64 {
    let mut decimals = 0;
    let mut scaled = tick;
    while (scaled - scaled.round()).abs() > 1e-9 && decimals < 8 {
        scaled *= 10.0;
        decimals += 1;
    }
    decimals
}

fn months_text(cycle: Cycle) -> &'static str {
    match cycle {
        Cycle::Quarterly => "HMUZ",
        Cycle::Monthly => "FGHJKMNQUVXZ",
        Cycle::Gold => "GJMQVZ",
    }
}

fn third_friday(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Fri, 3).unwrap_or(NaiveDate::MIN)
}

fn next_month((year, month): (i32, u32)) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

fn front_month(cycle: Cycle, today: NaiveDate) -> (i32, u32) {
    let current = (today.year(), today.month());
    match cycle {
        Cycle::Quarterly => {
            let mut candidate = current;
            loop {
                let (year, month) = candidate;
                if month.is_multiple_of(3) && today < third_friday(year, month) - Duration::days(8)
                {
                    return candidate;
                }
                candidate = next_month(candidate);
            }
        }
        Cycle::Monthly => next_month(current),
        Cycle::Gold => following_month(Cycle::Gold, current),
    }
}

/// The listed month after `after` in the product's cycle.
fn following_month(cycle: Cycle, after: (i32, u32)) -> (i32, u32) {
    let mut candidate = next_month(after);
    loop {
        let listed = match cycle {
            Cycle::Quarterly => candidate.1.is_multiple_of(3),
            Cycle::Monthly => true,
            Cycle::Gold => candidate.1.is_multiple_of(2),
        };
        if listed {
            return candidate;
        }
        candidate = next_month(candidate);
    }
}

/// The last trading day, simplified: equity index the third Friday; crude the 20th of the
/// month before; gold the 26th of the contract month.
fn expiration(cycle: Cycle, year: i32, month: u32) -> NaiveDate {
    match cycle {
        Cycle::Quarterly => third_friday(year, month),
        Cycle::Monthly => {
            let (y, m) = if month == 1 {
                (year - 1, 12)
            } else {
                (year, month - 1)
            };
            NaiveDate::from_ymd_opt(y, m, 20).unwrap_or(NaiveDate::MIN)
        }
        Cycle::Gold => NaiveDate::from_ymd_opt(year, month, 26).unwrap_or(NaiveDate::MIN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(today: NaiveDate, root: &str) -> Vec<String> {
        Catalog::for_date(today)
            .of_root(root)
            .iter()
            .map(|contract| contract.name.clone())
            .collect()
    }

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
    }

    #[test]
    fn equity_index_rolls_eight_days_before_the_third_friday() {
        // December 2026's third Friday is the 18th: the roll is on the 10th.
        assert_eq!(names(day(2026, 12, 9), "ES"), ["ESZ6", "ESH7"]);
        assert_eq!(names(day(2026, 12, 10), "ES"), ["ESH7", "ESM7"]);
        assert_eq!(names(day(2026, 11, 2), "MNQ"), ["MNQZ6", "MNQH7"]);
    }

    #[test]
    fn crude_is_next_month_and_gold_the_next_even_month() {
        assert_eq!(names(day(2026, 12, 7), "CL"), ["CLF7", "CLG7"]);
        assert_eq!(names(day(2026, 12, 7), "GC"), ["GCG7", "GCJ7"]);
        assert_eq!(names(day(2026, 4, 7), "MGC"), ["MGCM6", "MGCQ6"]);
    }

    #[test]
    fn product_facts_are_the_real_ones() {
        let catalog = Catalog::for_date(day(2026, 12, 7));
        let es = catalog.product_by_name("ES").expect("ES is listed");
        assert_eq!(es.root.value_per_point(), 50.0);
        let product = es.product_json();
        assert_eq!(product["tickSize"], 0.25);
        assert_eq!(product["priceFormat"], -2);
    }
}
