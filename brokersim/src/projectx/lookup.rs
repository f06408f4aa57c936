//! `Account/search` and the `Contract/*` look-ups. None of them has an error code of its own
//! except `Contract/searchById` (1 ContractNotFound).

use chrono::Utc;
use serde_json::{Value, json};

use super::Sim;
use super::contracts::{self, Contract, Lookup};
use super::wire::{Answer, Fields, failure, success};

/// `Contract/search` answers at most this many contracts.
const SEARCH_LIMIT: usize = 20;

/// `{onlyActiveAccounts}`: the user's accounts; "active" means the account can trade.
pub fn accounts(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let only_active = fields.flag("onlyActiveAccounts");
    fields.finish()?;
    let state = sim.lock();
    let accounts: Vec<Value> = state
        .accounts
        .values()
        .filter(|a| a.user_id == user_id && (!only_active || a.can_trade))
        .map(|a| a.to_json())
        .collect();
    Ok(success(json!({ "accounts": accounts })))
}

fn matches(contract: &Contract, text: &str) -> bool {
    let text = text.trim().to_ascii_lowercase();
    text.is_empty()
        || contract.product.root.eq_ignore_ascii_case(&text)
        || contract.name().to_ascii_lowercase().starts_with(&text)
        || contract.id().eq_ignore_ascii_case(&text)
        || contract.symbol_id().eq_ignore_ascii_case(&text)
        || contract
            .product
            .description
            .to_ascii_lowercase()
            .contains(&text)
}

/// `{searchText, live}`: up to 20 listed contracts whose root, name, id or description match.
pub fn search_contracts(_sim: &Sim, _user_id: i64, mut fields: Fields) -> Answer {
    let text = fields.opt_text("searchText").unwrap_or_default();
    let _live = fields.flag("live");
    fields.finish()?;
    let mut found: Vec<Contract> = contracts::listed(Utc::now().date_naive())
        .into_iter()
        .filter(|c| matches(c, &text))
        .collect();
    // The root asked for first (`ES` before `MES`), front month before the next.
    found.sort_by_key(|c| (!c.product.root.eq_ignore_ascii_case(text.trim()), !c.active));
    let list: Vec<Value> = found
        .iter()
        .take(SEARCH_LIMIT)
        .map(|c| c.to_json())
        .collect();
    Ok(success(json!({ "contracts": list })))
}

/// `{contractId}`: the contract (front month or the listed next month), else code 1.
pub fn contract_by_id(_sim: &Sim, _user_id: i64, mut fields: Fields) -> Answer {
    let id = fields.opt_text("contractId").unwrap_or_default();
    fields.finish()?;
    let today = Utc::now().date_naive();
    let listed = contracts::listed(today);
    let found = match contracts::lookup(&id, today) {
        Lookup::Active(contract) => Some(contract),
        Lookup::Inactive(contract) => listed.into_iter().find(|c| c.id() == contract.id()),
        Lookup::Unknown => None,
    };
    Ok(match found {
        Some(contract) => success(json!({ "contract": contract.to_json() })),
        None => failure(
            json!({ "contract": null }),
            1,
            Some(format!("Contract {id} not found.")),
        ),
    })
}

/// `{live}`: the contracts that trade now (the front months).
pub fn available_contracts(_sim: &Sim, _user_id: i64, mut fields: Fields) -> Answer {
    let _live = fields.flag("live");
    fields.finish()?;
    let list: Vec<Value> = contracts::listed(Utc::now().date_naive())
        .iter()
        .filter(|c| c.active)
        .map(|c| c.to_json())
        .collect();
    Ok(success(json!({ "contracts": list })))
}
