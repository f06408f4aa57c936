//! `Position/searchOpen`, `Position/closeContract`, `Position/partialCloseContract` and
//! `Trade/search`.
//!
//! Closing sends a market order for the position (or the part asked) and, as the venue is
//! reported to, leaves the contract's bracket orders working: the caller must cancel them.

use chrono::Utc;
use serde_json::{Value, json};

use super::Sim;
use super::contracts::{self, Contract, Lookup};
use super::state::{Position, State, Trade};
use super::wire::{Answer, Fields, failure, success};

/// `{accountId}`: the account's open positions, or 1 AccountNotFound.
pub fn search_open(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let account_id = fields.int("accountId");
    fields.finish()?;
    let state = sim.lock();
    if state.account_of(user_id, account_id).is_none() {
        return Ok(failure(
            json!({ "positions": null }),
            1,
            Some(format!("Account {account_id} not found.")),
        ));
    }
    let positions: Vec<Value> = state
        .positions
        .values()
        .filter(|p| p.account_id == account_id)
        .map(Position::to_json)
        .collect();
    Ok(success(json!({ "positions": positions })))
}

/// The codes the two close endpoints share: (AccountNotFound, PositionNotFound,
/// ContractNotFound, ContractNotActive) are 1, 2, 3, 4 on both.
fn position_contract(
    state: &State,
    user_id: i64,
    account_id: i64,
    contract_id: &str,
) -> Result<(Contract, i64), Value> {
    if state.account_of(user_id, account_id).is_none() {
        return Err(failure(
            json!({}),
            1,
            Some(format!("Account {account_id} not found.")),
        ));
    }
    let contract = match contracts::lookup(contract_id, Utc::now().date_naive()) {
        Lookup::Active(contract) => contract,
        Lookup::Inactive(_) => {
            return Err(failure(
                json!({}),
                4,
                Some("Contract is not active.".to_owned()),
            ));
        }
        Lookup::Unknown => {
            return Err(failure(
                json!({}),
                3,
                Some("Contract not found.".to_owned()),
            ));
        }
    };
    let net = state
        .positions
        .get(&(account_id, contract.id()))
        .map(|p| p.net)
        .ok_or_else(|| failure(json!({}), 2, Some("Position not found.".to_owned())))?;
    Ok((contract, net))
}

/// `{accountId, contractId}`: flattens the position at market.
pub fn close_contract(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let account_id = fields.int("accountId");
    let contract_id = fields.opt_text("contractId").unwrap_or_default();
    fields.finish()?;
    let mut state = sim.lock();
    let (contract, net) = match position_contract(&state, user_id, account_id, &contract_id) {
        Ok(found) => found,
        Err(refusal) => return Ok(refusal),
    };
    state.market_close(account_id, &contract, net.abs());
    Ok(success(json!({})))
}

/// `{accountId, contractId, size}`: closes `size` of the position; 5 InvalidCloseSize when
/// the size is not above 0 or exceeds the position.
pub fn partial_close_contract(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let account_id = fields.int("accountId");
    let contract_id = fields.opt_text("contractId").unwrap_or_default();
    let size = fields.int("size");
    fields.finish()?;
    let mut state = sim.lock();
    let (contract, net) = match position_contract(&state, user_id, account_id, &contract_id) {
        Ok(found) => found,
        Err(refusal) => return Ok(refusal),
    };
    if size <= 0 || size > net.abs() {
        return Ok(failure(
            json!({}),
            5,
            Some(format!(
                "Invalid close size ({size}). The position holds {}.",
                net.abs()
            )),
        ));
    }
    state.market_close(account_id, &contract, size);
    Ok(success(json!({})))
}

/// `{accountId, startTimestamp?, endTimestamp?}`: the account's fills (half-turns).
pub fn search_trades(sim: &Sim, user_id: i64, mut fields: Fields) -> Answer {
    let account_id = fields.int("accountId");
    let start = fields.opt_timestamp("startTimestamp");
    let end = fields.opt_timestamp("endTimestamp");
    fields.finish()?;
    let state = sim.lock();
    if state.account_of(user_id, account_id).is_none() {
        return Ok(failure(
            json!({ "trades": null }),
            1,
            Some(format!("Account {account_id} not found.")),
        ));
    }
    let trades: Vec<Value> = state
        .trades
        .iter()
        .filter(|t| t.account_id == account_id)
        .filter(|t| start.is_none_or(|s| t.created >= s) && end.is_none_or(|e| t.created <= e))
        .map(Trade::to_json)
        .collect();
    Ok(success(json!({ "trades": trades })))
}
