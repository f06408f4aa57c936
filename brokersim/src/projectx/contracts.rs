//! The contract catalogue: eight futures, each listed as its front month (`activeContract:
//! true`, the only one that trades) and the month after it (listed, not active).
//!
//! ProjectX ids cannot be built from the root: ES is `CON.F.US.EP.Z26` with `symbolId`
//! `F.US.EP`, NQ is `ENQ`, CL `CLE`, MCL `MCLE`, GC `GCE`. The name is the root, the month code
//! and the year's last digit (`ESZ6`).
//!
//! The front month follows from today's date, so tests keep working as the calendar moves:
//! - equity index (ES, MES, NQ, MNQ): quarterly H M U Z; the next quarter becomes front on the
//!   8th day before the expiry month's third Friday;
//! - crude (CL, MCL): the next calendar month;
//! - gold (GC, MGC): the next of G J M Q V Z strictly after the current month.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde_json::{Value, json};

const MONTH_CODES: [char; 12] = ['F', 'G', 'H', 'J', 'K', 'M', 'N', 'Q', 'U', 'V', 'X', 'Z'];
const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cycle {
    Quarterly,
    Monthly,
    Gold,
}

/// One futures product.
#[derive(Debug)]
pub struct Product {
    /// The root traders type (`ES`).
    pub root: &'static str,
    /// ProjectX's own symbol (`EP`), the part of the id a root does not give.
    pub symbol: &'static str,
    pub description: &'static str,
    pub tick_size: f64,
    pub tick_value: f64,
    /// Commission per contract per side, roughly what TopstepX charges.
    pub fee: f64,
    /// The last price until `/prices` sets one.
    pub default_price: f64,
    cycle: Cycle,
}

// A table: one product per row (root, symbol, description, tick size, tick value, fee,
// default price, cycle).
#[rustfmt::skip]
pub const PRODUCTS: [Product; 8] = [
    product("ES", "EP", "E-mini S&P 500", 0.25, 12.5, 1.40, 6000.0, Cycle::Quarterly),
    product("MES", "MES", "Micro E-mini S&P 500", 0.25, 1.25, 0.37, 6000.0, Cycle::Quarterly),
    product("NQ", "ENQ", "E-mini Nasdaq-100", 0.25, 5.0, 1.40, 21000.0, Cycle::Quarterly),
    product("MNQ", "MNQ", "Micro E-mini Nasdaq-100", 0.25, 0.5, 0.37, 21000.0, Cycle::Quarterly),
    product("CL", "CLE", "Crude Oil", 0.01, 10.0, 1.52, 70.0, Cycle::Monthly),
    product("MCL", "MCLE", "Micro WTI Crude Oil", 0.01, 1.0, 0.52, 70.0, Cycle::Monthly),
    product("GC", "GCE", "Gold", 0.1, 10.0, 1.62, 2600.0, Cycle::Gold),
    product("MGC", "MGC", "Micro Gold", 0.1, 1.0, 0.62, 2600.0, Cycle::Gold),
];

#[expect(
    clippy::too_many_arguments,
    reason = "a table row, one value per column"
)]
const fn product(
    root: &'static str,
    symbol: &'static str,
    description: &'static str,
    tick_size: f64,
    tick_value: f64,
    fee: f64,
    default_price: f64,
    cycle: Cycle,
) -> Product {
    Product {
        root,
        symbol,
        description,
        tick_size,
        tick_value,
        fee,
        default_price,
        cycle,
    }
}

/// One listed month of a product.
#[derive(Debug, Clone, Copy)]
pub struct Contract {
    pub product: &'static Product,
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    /// The front month: the only one that trades.
    pub active: bool,
}

impl Contract {
    fn code(&self) -> char {
        MONTH_CODES[(self.month - 1) as usize]
    }

    pub fn id(&self) -> String {
        format!(
            "CON.F.US.{}.{}{:02}",
            self.product.symbol,
            self.code(),
            self.year.rem_euclid(100)
        )
    }

    pub fn name(&self) -> String {
        format!(
            "{}{}{}",
            self.product.root,
            self.code(),
            self.year.rem_euclid(10)
        )
    }

    pub fn symbol_id(&self) -> String {
        format!("F.US.{}", self.product.symbol)
    }

    /// The contract as `Contract/search` answers it.
    pub fn to_json(self) -> Value {
        json!({
            "id": self.id(),
            "name": self.name(),
            "description": format!(
                "{}: {} {}",
                self.product.description,
                MONTH_NAMES[(self.month - 1) as usize],
                self.year
            ),
            "tickSize": self.product.tick_size,
            "tickValue": self.product.tick_value,
            "activeContract": self.active,
            "symbolId": self.symbol_id(),
        })
    }
}

fn in_cycle(cycle: Cycle, month: u32) -> bool {
    match cycle {
        Cycle::Quarterly => month.is_multiple_of(3),
        Cycle::Monthly => true,
        Cycle::Gold => month.is_multiple_of(2),
    }
}

fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

/// The first month of the cycle strictly after `(year, month)`.
fn next_in_cycle(cycle: Cycle, year: i32, month: u32) -> (i32, u32) {
    let mut at = next_month(year, month);
    while !in_cycle(cycle, at.1) {
        at = next_month(at.0, at.1);
    }
    at
}

/// The day an equity-index quarter stops being the front month.
fn equity_roll_day(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Fri, 3)?
        .checked_sub_days(Days::new(8))
}

fn front_month(cycle: Cycle, today: NaiveDate) -> (i32, u32) {
    let (year, month) = (today.year(), today.month());
    match cycle {
        Cycle::Quarterly => {
            let current = if in_cycle(cycle, month) {
                (year, month)
            } else {
                next_in_cycle(cycle, year, month)
            };
            match equity_roll_day(current.0, current.1) {
                Some(roll) if today < roll => current,
                _ => next_in_cycle(cycle, current.0, current.1),
            }
        }
        Cycle::Monthly | Cycle::Gold => next_in_cycle(cycle, year, month),
    }
}

/// The front month and the month after it, for every product.
pub fn listed(today: NaiveDate) -> Vec<Contract> {
    PRODUCTS
        .iter()
        .flat_map(|product| {
            let front = front_month(product.cycle, today);
            let next = next_in_cycle(product.cycle, front.0, front.1);
            [(front, true), (next, false)].map(|((year, month), active)| Contract {
                product,
                year,
                month,
                active,
            })
        })
        .collect()
}

pub fn front(product: &'static Product, today: NaiveDate) -> Contract {
    let (year, month) = front_month(product.cycle, today);
    Contract {
        product,
        year,
        month,
        active: true,
    }
}

/// What an order's `contractId` names.
pub enum Lookup {
    /// The front month.
    Active(Contract),
    /// A well-formed id of a known product that is not the front month (listed or not).
    Inactive(Contract),
    Unknown,
}

/// Resolves a ProjectX contract id (`CON.F.US.EP.Z26`), exactly as the venue spells it.
pub fn lookup(id: &str, today: NaiveDate) -> Lookup {
    let Some(rest) = id.strip_prefix("CON.F.US.") else {
        return Lookup::Unknown;
    };
    let Some((symbol, month_year)) = rest.split_once('.') else {
        return Lookup::Unknown;
    };
    let Some(product) = PRODUCTS.iter().find(|p| p.symbol == symbol) else {
        return Lookup::Unknown;
    };
    let mut chars = month_year.chars();
    let (Some(code), digits) = (chars.next(), chars.as_str()) else {
        return Lookup::Unknown;
    };
    let Some(index) = MONTH_CODES.iter().position(|c| *c == code) else {
        return Lookup::Unknown;
    };
    let month = index as u32 + 1;
    if digits.len() != 2
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || !in_cycle(product.cycle, month)
    {
        return Lookup::Unknown;
    }
    let Ok(two_digit) = digits.parse::<i32>() else {
        return Lookup::Unknown;
    };
    let year = today.year() / 100 * 100 + two_digit;
    let front = front(product, today);
    if front.year == year && front.month == month {
        Lookup::Active(front)
    } else {
        Lookup::Inactive(Contract {
            product,
            year,
            month,
            active: false,
        })
    }
}

pub fn product_by_root(root: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|p| p.root.eq_ignore_ascii_case(root))
}

/// The product a control-API symbol names: a root (`ES`), a contract id or a contract name.
pub fn product_for_symbol(text: &str, today: NaiveDate) -> Option<&'static Product> {
    if let Some(product) = product_by_root(text) {
        return Some(product);
    }
    match lookup(text, today) {
        Lookup::Active(contract) | Lookup::Inactive(contract) => return Some(contract.product),
        Lookup::Unknown => {}
    }
    listed(today)
        .into_iter()
        .find(|c| c.name().eq_ignore_ascii_case(text))
        .map(|c| c.product)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
    }

    #[test]
    fn equity_front_month_rolls_eight_days_before_the_third_friday() {
        let es = product_by_root("ES").expect("ES is listed");
        // The third Friday of December 2026 is the 18th: the roll is on the 10th.
        assert_eq!(front(es, day(2026, 12, 9)).id(), "CON.F.US.EP.Z26");
        assert_eq!(front(es, day(2026, 12, 10)).id(), "CON.F.US.EP.H27");
        assert_eq!(front(es, day(2026, 10, 1)).name(), "ESZ6");
    }

    #[test]
    fn crude_and_gold_use_their_own_cycles() {
        let cl = product_by_root("cl").expect("CL is listed");
        let gc = product_by_root("GC").expect("GC is listed");
        assert_eq!(front(cl, day(2026, 12, 5)).id(), "CON.F.US.CLE.F27");
        assert_eq!(front(gc, day(2026, 4, 5)).id(), "CON.F.US.GCE.M26");
        assert_eq!(front(gc, day(2026, 3, 5)).id(), "CON.F.US.GCE.J26");
    }

    #[test]
    fn the_next_month_is_listed_but_not_active() {
        let today = day(2026, 10, 1);
        let listed = listed(today);
        let next = listed
            .iter()
            .find(|c| c.id() == "CON.F.US.ENQ.H27")
            .expect("NQ's next quarter is listed");
        assert!(!next.active);
        assert!(matches!(
            lookup("CON.F.US.ENQ.H27", today),
            Lookup::Inactive(_)
        ));
        assert!(matches!(
            lookup("CON.F.US.ENQ.Z26", today),
            Lookup::Active(_)
        ));
        assert!(matches!(lookup("CON.F.US.NQ.Z26", today), Lookup::Unknown));
        assert!(matches!(lookup("NQZ6", today), Lookup::Unknown));
    }
}
