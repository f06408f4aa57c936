//! Symbols to ProjectX contracts. Contract ids cannot be built from a root (ES is
//! `CON.F.US.EP.Z26`, NQ `CON.F.US.ENQ.Z26`), so every symbol is resolved through the venue:
//! - a contract id (`CON.F...`) through `Contract/searchById`;
//! - a full contract name (`MESZ6`) through `Contract/search`, matched by name;
//! - a root (`ES`) through `Contract/search`, picking the active contract whose name is the
//!   root itself followed by a month code and the year (so `ES` never picks `MESZ6` or an
//!   `ESTX...`).
//!
//! Inside the adapter a contract is its id (what every call takes and every answer names).
//! Towards the copier it is its name (`ESZ6`, what traders read in the trade log):
//! [`for_copier`] resolves to a name, [`name_of`] turns the ids in positions, orders and fills
//! into names, and a name given back (`place_order`, `flatten`) resolves to its id again.
//! Resolutions are cached per UTC day (the front month rolls).

use chrono::Utc;
use serde_json::json;

use super::Shared;
use super::codes::Call;
use super::wire::{self, Contract};
use crate::brokers::{BrokerError, Instrument};

/// Futures month codes, January to December.
const MONTH_CODES: [char; 12] = ['F', 'G', 'H', 'J', 'K', 'M', 'N', 'Q', 'U', 'V', 'X', 'Z'];

/// Whether `name` is `root` followed by a month code and one or two year digits.
fn is_contract_of(name: &str, root: &str) -> bool {
    let Some(rest) = name
        .get(..root.len())
        .filter(|head| head.eq_ignore_ascii_case(root))
        .and_then(|_| name.get(root.len()..))
    else {
        return false;
    };
    let mut chars = rest.chars();
    let month = chars
        .next()
        .is_some_and(|c| MONTH_CODES.contains(&c.to_ascii_uppercase()));
    let year = chars.as_str();
    month && (1..=2).contains(&year.len()) && year.bytes().all(|b| b.is_ascii_digit())
}

/// The root of a full contract name (`MESZ6` → `MES`), if it looks like one.
fn root_of(name: &str) -> Option<&str> {
    let digits = name.bytes().rev().take_while(u8::is_ascii_digit).count();
    let root_len = name.len().checked_sub(digits + 1)?;
    let root = name.get(..root_len).filter(|root| !root.is_empty())?;
    is_contract_of(name, root).then_some(root)
}

/// The contract `wanted` names among a search's results.
fn pick<'a>(contracts: &'a [Contract], wanted: &str) -> Option<&'a Contract> {
    contracts
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(wanted))
        .or_else(|| {
            contracts
                .iter()
                .find(|c| c.active && is_contract_of(&c.name, wanted))
        })
}

async fn search(shared: &Shared, text: &str) -> Result<Vec<Contract>, BrokerError> {
    let body = json!({ "searchText": text, "live": false });
    let answer = shared.rest.ok(Call::ContractSearch, &body).await?;
    wire::list(&answer, "contracts")?
        .iter()
        .map(wire::contract)
        .collect()
}

async fn by_id(shared: &Shared, id: &str) -> Result<Contract, BrokerError> {
    let answer = shared
        .rest
        .call(Call::ContractById, &json!({ "contractId": id }))
        .await?;
    match answer.code {
        0 => wire::contract(&answer.body["contract"]),
        1 => Err(BrokerError::UnknownSymbol(id.to_owned())),
        code => Err(super::codes::failure(
            Call::ContractById,
            code,
            answer.message.as_deref(),
        )),
    }
}

async fn resolve(shared: &Shared, wanted: &str) -> Result<Contract, BrokerError> {
    if wanted.starts_with("CON.") {
        return by_id(shared, wanted).await;
    }
    let found = search(shared, wanted).await?;
    if let Some(contract) = pick(&found, wanted) {
        return Ok(contract.clone());
    }
    // A full name the search did not list by itself: look under its root.
    if let Some(root) = root_of(wanted) {
        let found = search(shared, root).await?;
        if let Some(contract) = found.iter().find(|c| c.name.eq_ignore_ascii_case(wanted)) {
            return Ok(contract.clone());
        }
    }
    Err(BrokerError::UnknownSymbol(wanted.to_owned()))
}

pub async fn instrument(shared: &Shared, symbol: &str) -> Result<Instrument, BrokerError> {
    let wanted = symbol.trim().to_ascii_uppercase();
    if wanted.is_empty()
        || !wanted
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.')
    {
        return Err(BrokerError::UnknownSymbol(symbol.to_owned()));
    }
    let today = Utc::now().date_naive();
    let cached = shared
        .instruments
        .lock()
        .ok()
        .and_then(|cache| cache.get(&wanted).cloned());
    if let Some((day, instrument)) = cached
        && day == today
    {
        return Ok(instrument);
    }
    let contract = resolve(shared, &wanted).await?;
    remember(shared, &contract);
    let instrument = Instrument {
        symbol: contract.id.clone(),
        tick_size: contract.tick_size,
        lot_size: 1.0,
        multiplier: contract.tick_value / contract.tick_size,
    };
    if let Ok(mut cache) = shared.instruments.lock() {
        cache.insert(wanted, (today, instrument.clone()));
        cache.insert(
            contract.id.to_ascii_uppercase(),
            (today, instrument.clone()),
        );
    }
    Ok(instrument)
}

/// The instrument as the copier sees it: named by the contract's name (`ESZ6`), not its id.
pub async fn for_copier(shared: &Shared, symbol: &str) -> Result<Instrument, BrokerError> {
    let instrument = instrument(shared, symbol).await?;
    Ok(Instrument {
        symbol: name_of(shared, &instrument.symbol).await?,
        ..instrument
    })
}

/// The name of a contract id (`CON.F.US.EP.Z26` → `ESZ6`): from the names learnt while
/// resolving, else asked of the venue once.
pub async fn name_of(shared: &Shared, contract_id: &str) -> Result<String, BrokerError> {
    let known = shared
        .names
        .lock()
        .ok()
        .and_then(|names| names.get(contract_id).cloned());
    if let Some(name) = known {
        return Ok(name);
    }
    let contract = by_id(shared, contract_id).await?;
    remember(shared, &contract);
    Ok(contract.name)
}

/// For stream events, which cannot wait for the venue: the name if known (every contract the
/// copier trades was resolved before its order went out), else the id, which still names the
/// contract exactly (the copier matches events by order ids, never by symbol).
pub fn known_name(shared: &Shared, contract_id: &str) -> String {
    shared
        .names
        .lock()
        .ok()
        .and_then(|names| names.get(contract_id).cloned())
        .unwrap_or_else(|| contract_id.to_owned())
}

fn remember(shared: &Shared, contract: &Contract) {
    if let Ok(mut names) = shared.names.lock() {
        names.insert(contract.id.clone(), contract.name.clone());
    }
}

/// Drops every cached resolution to `contract_id` (the venue says it no longer trades).
pub fn forget(shared: &Shared, contract_id: &str) {
    if let Ok(mut cache) = shared.instruments.lock() {
        cache.retain(|_, (_, instrument)| instrument.symbol != contract_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(id: &str, name: &str, active: bool) -> Contract {
        Contract {
            id: id.to_owned(),
            name: name.to_owned(),
            tick_size: 0.25,
            tick_value: 12.5,
            active,
        }
    }

    #[test]
    fn a_root_picks_its_own_active_contract_only() {
        let found = [
            contract("CON.F.US.MES.Z26", "MESZ6", true),
            contract("CON.F.US.ESTX.Z26", "ESTXZ6", true),
            contract("CON.F.US.EP.H27", "ESH7", false),
            contract("CON.F.US.EP.Z26", "ESZ6", true),
        ];
        assert_eq!(
            pick(&found, "ES").map(|c| c.id.as_str()),
            Some("CON.F.US.EP.Z26")
        );
        assert_eq!(
            pick(&found, "MES").map(|c| c.id.as_str()),
            Some("CON.F.US.MES.Z26")
        );
        // A full name picks that contract, active or not.
        assert_eq!(
            pick(&found, "ESH7").map(|c| c.id.as_str()),
            Some("CON.F.US.EP.H27")
        );
        assert_eq!(pick(&found, "NQ"), None);
        assert_eq!(pick(&found[..3], "ES"), None);
    }

    #[test]
    fn full_names_have_a_root() {
        assert_eq!(root_of("MESZ6"), Some("MES"));
        assert_eq!(root_of("ESH27"), Some("ES"));
        assert_eq!(root_of("ES"), None);
        assert_eq!(root_of("Z6"), None);
        assert!(is_contract_of("ESZ6", "es"));
        assert!(!is_contract_of("ESTXZ6", "ES"));
        assert!(!is_contract_of("ESZ", "ES"));
    }
}
