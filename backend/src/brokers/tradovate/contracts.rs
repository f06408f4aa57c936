//! Symbols to Tradovate contracts. A signal names a product root (`ES`, what the copier makes of
//! `ES1!`) or a contract (`MESZ6`: root, month code, year digit). A root resolves to its front
//! month: the candidates `contract/suggest?t=<root>&l=10` lists with exactly that root, the one
//! its ContractMaturity marks `isFront`, else the earliest not yet expired. Tick size and value
//! per point come from `product/find?name=<root>`. Resolutions are kept for the UTC day (the
//! front month rolls); contract names by id for good (ids never change).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, Utc};
use serde_json::Value;

use super::Inner;
use super::parse::{id, list, number, optional_bool, text, timestamp};
use crate::brokers::{BrokerError, Instrument};

/// Futures month codes, January to December.
const MONTH_CODES: &str = "FGHJKMNQUVXZ";
/// Candidates asked of `contract/suggest`.
const SUGGEST_LIMIT: u32 = 10;

/// A symbol resolved to a contract.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Resolved {
    pub contract_id: i64,
    /// `Instrument::symbol` is the contract's name.
    pub instrument: Instrument,
}

#[derive(Default)]
pub(super) struct Contracts {
    /// Symbol (upper case) -> the day it was resolved and what to.
    resolved: Mutex<HashMap<String, (NaiveDate, Resolved)>>,
    names: Mutex<HashMap<i64, String>>,
}

/// The product root of a contract name (`MESZ6` -> `MES`, `ZNU26` -> `ZN`); a name without a
/// month code and year is taken as a root already (`ES`, `ZN`, `6J`).
pub(super) fn root_of(name: &str) -> &str {
    let without_year = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if without_year.len() == name.len() || without_year.len() < 2 {
        return name;
    }
    match without_year.chars().last() {
        Some(month) if MONTH_CODES.contains(month.to_ascii_uppercase()) => {
            &without_year[..without_year.len() - 1]
        }
        _ => name,
    }
}

/// Whether `name` is written as a contract (a root, a month code, a year).
pub(super) fn is_contract_name(name: &str) -> bool {
    root_of(name) != name
}

/// Whether a position or order in contract `name` falls under `symbol` (a root matches every
/// month of it, a contract name only itself).
pub(super) fn covers(symbol: &str, name: &str) -> bool {
    let symbol = symbol.trim();
    if is_contract_name(symbol) {
        symbol.eq_ignore_ascii_case(name)
    } else {
        symbol.eq_ignore_ascii_case(root_of(name))
    }
}

/// `(id, name, contractMaturityId)` of a Contract entity.
fn contract(item: &Value) -> Result<(i64, String, i64), BrokerError> {
    Ok((
        id(&item["id"], "contract id")?,
        text(&item["name"], "contract name")?.to_owned(),
        id(&item["contractMaturityId"], "contractMaturityId")?,
    ))
}

impl Contracts {
    fn cached(&self, symbol: &str, today: NaiveDate) -> Option<Resolved> {
        let resolved = self.resolved.lock().ok()?;
        let (day, found) = resolved.get(symbol)?;
        (*day == today).then(|| found.clone())
    }

    fn keep(&self, symbols: &[&str], today: NaiveDate, found: &Resolved) {
        if let Ok(mut resolved) = self.resolved.lock() {
            resolved.retain(|_, (day, _)| *day == today);
            for symbol in symbols {
                resolved.insert((*symbol).to_owned(), (today, found.clone()));
            }
        }
        self.name(found.contract_id, &found.instrument.symbol);
    }

    pub fn name(&self, contract_id: i64, name: &str) {
        if let Ok(mut names) = self.names.lock() {
            names.insert(contract_id, name.to_owned());
        }
    }

    fn known_name(&self, contract_id: i64) -> Option<String> {
        self.names.lock().ok()?.get(&contract_id).cloned()
    }
}

impl Inner {
    /// The contract a symbol names today.
    pub(super) async fn resolve(self: &Arc<Self>, symbol: &str) -> Result<Resolved, BrokerError> {
        let symbol = symbol.trim().to_ascii_uppercase();
        if symbol.is_empty() || !symbol.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(BrokerError::UnknownSymbol(symbol));
        }
        let today = Utc::now().date_naive();
        if let Some(found) = self.contracts.cached(&symbol, today) {
            return Ok(found);
        }
        let named = if is_contract_name(&symbol) {
            let query = format!("name={symbol}");
            match self.get("contract/find", &query).await? {
                Some(item) if item.is_object() => Some(contract(&item)?),
                _ => None,
            }
        } else {
            None
        };
        let (contract_id, name) = match named {
            Some((contract_id, name, _)) => (contract_id, name),
            None => self.front_month(&symbol).await?,
        };
        let root = root_of(&name).to_owned();
        let product = self
            .get("product/find", &format!("name={root}"))
            .await?
            .filter(Value::is_object)
            .ok_or_else(|| BrokerError::UnknownSymbol(symbol.clone()))?;
        let tick_size = number(&product["tickSize"], "tickSize")?;
        let multiplier = number(&product["valuePerPoint"], "valuePerPoint")?;
        if tick_size <= 0.0 || multiplier <= 0.0 {
            return Err(BrokerError::Unreadable(format!(
                "Tradovate's tick size {tick_size} or value per point {multiplier} for {root}"
            )));
        }
        let found = Resolved {
            contract_id,
            instrument: Instrument {
                symbol: name.clone(),
                tick_size,
                lot_size: 1.0,
                multiplier,
            },
        };
        self.contracts.keep(&[&symbol, &name], today, &found);
        Ok(found)
    }

    /// The front month of a product root: `(contract id, name)`.
    async fn front_month(self: &Arc<Self>, root: &str) -> Result<(i64, String), BrokerError> {
        let unknown = || BrokerError::UnknownSymbol(root.to_owned());
        let query = format!("t={root}&l={SUGGEST_LIMIT}");
        let suggested = self
            .get("contract/suggest", &query)
            .await?
            .ok_or_else(unknown)?;
        let mut candidates = Vec::new();
        for item in list(&suggested, "contract list")? {
            let (contract_id, name, maturity) = contract(item)?;
            if is_contract_name(&name) && root_of(&name).eq_ignore_ascii_case(root) {
                candidates.push((contract_id, name, maturity));
            }
        }
        if candidates.is_empty() {
            return Err(unknown());
        }
        let ids: Vec<String> = candidates.iter().map(|(_, _, m)| m.to_string()).collect();
        let query = format!("ids={}", ids.join(","));
        let maturities = self
            .get("contractMaturity/items", &query)
            .await?
            .ok_or_else(unknown)?;
        let now = Utc::now();
        // (is front, expiry, contract id, name) of every unexpired candidate.
        let mut live = Vec::new();
        for maturity in list(&maturities, "contract maturities")? {
            let maturity_id = id(&maturity["id"], "contractMaturity id")?;
            let expires = timestamp(&maturity["expirationDate"], "expirationDate")?;
            let front = optional_bool(&maturity["isFront"], "isFront")?.unwrap_or(false);
            if expires <= now {
                continue;
            }
            for (contract_id, name, _) in candidates.iter().filter(|(_, _, m)| *m == maturity_id) {
                live.push((front, expires, *contract_id, name.clone()));
            }
        }
        // The marked front month first, then the earliest expiry.
        live.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let (_, _, contract_id, name) = live.into_iter().next().ok_or_else(unknown)?;
        Ok((contract_id, name))
    }

    /// A contract's name by its id.
    pub(super) async fn contract_name(
        self: &Arc<Self>,
        contract_id: i64,
    ) -> Result<String, BrokerError> {
        if let Some(name) = self.contracts.known_name(contract_id) {
            return Ok(name);
        }
        let item = self
            .get("contract/item", &format!("id={contract_id}"))
            .await?
            .ok_or_else(|| {
                BrokerError::Unreadable(format!("Tradovate's contract id {contract_id}"))
            })?;
        let name = text(&item["name"], "contract name")?.to_owned();
        self.contracts.name(contract_id, &name);
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_and_contract_names_are_told_apart() {
        assert_eq!(root_of("MESZ6"), "MES");
        assert_eq!(root_of("ZNU26"), "ZN");
        assert_eq!(root_of("ES"), "ES");
        // A root ending in a month code letter is still a root.
        assert_eq!(root_of("ZN"), "ZN");
        assert_eq!(root_of("6J"), "6J");
        assert_eq!(root_of("J7"), "J7");
        assert!(is_contract_name("ESZ6") && !is_contract_name("MNQ"));
        assert!(covers("ES", "ESH7") && !covers("ES", "MESZ6"));
        assert!(covers("esz6", "ESZ6") && !covers("ESZ6", "ESH7"));
    }
}
