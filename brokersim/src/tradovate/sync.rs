//! `user/syncrequest`: the snapshot of a user's entities, after which the socket receives
//! every change as a `props` event.
//!
//! The request body is unverified, so both documented forms are accepted: the official
//! example's `{"users":[userId]}`, and the partner guide's `{splitResponses, accounts,
//! shardingExpression, entityTypes[]}` where `entityTypes` is mandatory. Combining `users`
//! with `entityTypes` or `shardingExpression` is refused, as the partner guide says.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::api::Input;
use super::auth::Ctx;
use super::reads::{ENTITIES, visible};
use super::state::{Push, State};
use super::wire::{Answer, Fields, Read, opt_bool, opt_str, present};

/// Every collection the real snapshot has, with its entity type name.
const COLLECTIONS: [(&str, &str); 31] = [
    ("users", "user"),
    ("contractGroups", "contractGroup"),
    ("userProperties", "userProperty"),
    ("properties", "property"),
    ("accounts", "account"),
    ("accountRiskStatuses", "accountRiskStatus"),
    ("marginSnapshots", "marginSnapshot"),
    ("userAccountAutoLiqs", "userAccountAutoLiq"),
    ("cashBalances", "cashBalance"),
    ("currencies", "currency"),
    ("positions", "position"),
    ("fillPairs", "fillPair"),
    ("orders", "order"),
    ("contracts", "contract"),
    ("contractMaturities", "contractMaturity"),
    ("products", "product"),
    ("exchanges", "exchange"),
    ("spreadDefinitions", "spreadDefinition"),
    ("commands", "command"),
    ("commandReports", "commandReport"),
    ("executionReports", "executionReport"),
    ("orderVersions", "orderVersion"),
    ("fills", "fill"),
    ("fillFees", "fillFee"),
    ("orderStrategies", "orderStrategy"),
    ("orderStrategyLinks", "orderStrategyLink"),
    ("orderStrategyTypes", "orderStrategyType"),
    ("userPlugins", "userPlugin"),
    ("annualReviews", "annualReview"),
    ("userReadStatuses", "userReadStatus"),
    ("userPromoCodes", "userPromoCode"),
];

/// What a synced socket receives.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    /// Only these accounts (all of the user's when `None`).
    pub accounts: Option<BTreeSet<i64>>,
    /// Only these entity types, by type name (`order`); all when `None`.
    pub entity_types: Option<BTreeSet<&'static str>>,
}

impl Filter {
    /// Whether `push` goes to a socket of `user_id` synced with this filter.
    pub fn wants(&self, user_id: i64, push: &Push) -> bool {
        push.user_id == user_id
            && self
                .entity_types
                .as_ref()
                .is_none_or(|types| types.contains(push.entity_type))
            && match (&self.accounts, push.account_id) {
                (Some(accounts), Some(account_id)) => accounts.contains(&account_id),
                _ => true,
            }
    }

    fn includes(&self, type_name: &str) -> bool {
        self.entity_types
            .as_ref()
            .is_none_or(|types| types.contains(type_name))
    }
}

fn id_list(body: &Fields, key: &str) -> Read<Option<Vec<i64>>> {
    match present(body, key) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(Value::as_i64)
            .collect::<Option<Vec<i64>>>()
            .map(Some)
            .ok_or_else(|| Answer::bad_request(format!("`{key}` must be a list of integer ids"))),
        Some(_) => Err(Answer::bad_request(format!(
            "`{key}` must be a list of integer ids"
        ))),
    }
}

/// Reads either body form into a filter, checking that the ids named are the caller's.
pub(crate) fn parse(state: &State, ctx: &Ctx, body: &Fields) -> Read<Filter> {
    let users = id_list(body, "users")?;
    let accounts = id_list(body, "accounts")?;
    opt_bool(body, "splitResponses")?;
    opt_bool(body, "fullOrgSnapshot")?;
    opt_str(body, "cutoffTimestamp")?;
    let sharding = opt_str(body, "shardingExpression")?;
    let entity_types = match present(body, "entityTypes") {
        None => None,
        Some(Value::Array(items)) => {
            let mut types = BTreeSet::new();
            for item in items {
                let Some(name) = item.as_str() else {
                    return Err(Answer::bad_request(
                        "`entityTypes` must be a list of strings",
                    ));
                };
                let Some((_, type_name)) = COLLECTIONS.iter().find(|(plural, singular)| {
                    singular.eq_ignore_ascii_case(name) || plural.eq_ignore_ascii_case(name)
                }) else {
                    return Err(Answer::error_text(format!("Unknown entity type {name}")));
                };
                types.insert(*type_name);
            }
            Some(types)
        }
        Some(_) => {
            return Err(Answer::bad_request(
                "`entityTypes` must be a list of strings",
            ));
        }
    };
    match (&users, &entity_types) {
        (Some(_), Some(_)) => {
            return Err(Answer::error_text(
                "users cannot be combined with entityTypes",
            ));
        }
        (Some(_), None) if sharding.is_some() => {
            return Err(Answer::error_text(
                "users cannot be combined with shardingExpression",
            ));
        }
        (None, None) => {
            return Err(Answer::error_text(
                "entityTypes is required (or the users form)",
            ));
        }
        (None, Some(types)) if types.is_empty() => {
            return Err(Answer::error_text(
                "entityTypes must name at least one entity type",
            ));
        }
        _ => {}
    }
    if let Some(other) = users.iter().flatten().find(|id| **id != ctx.user_id) {
        return Err(Answer::error_text(format!(
            "Access is denied to user {other}"
        )));
    }
    if let Some(other) = accounts
        .iter()
        .flatten()
        .find(|id| state.account_owner(**id) != Some(ctx.user_id))
    {
        return Err(Answer::error_text(format!("Account {other} not found")));
    }
    Ok(Filter {
        accounts: accounts.map(|ids| ids.into_iter().collect()),
        entity_types,
    })
}

pub(crate) fn request(state: &mut State, ctx: &Ctx, input: &Input) -> Answer {
    match parse(state, ctx, &input.body) {
        Ok(filter) => Answer::ok(snapshot(state, ctx.user_id, &filter)),
        Err(answer) => answer,
    }
}

/// The snapshot: every collection the filter includes (empty where nothing is simulated).
pub(crate) fn snapshot(state: &State, user_id: i64, filter: &Filter) -> Value {
    let accounts = filter.accounts.as_ref();
    let mut out = Map::new();
    let mut contract_ids = BTreeSet::new();
    for (entity, type_name, collection) in ENTITIES {
        let items = visible(state, entity, user_id, accounts);
        if matches!(type_name, "order" | "position" | "fill") {
            contract_ids.extend(
                items
                    .iter()
                    .filter_map(|(_, _, item)| item["contractId"].as_i64()),
            );
        }
        if filter.includes(type_name) {
            out.insert(
                collection.to_owned(),
                Value::Array(items.into_iter().map(|(_, _, item)| item).collect()),
            );
        }
    }
    let contracts: Vec<_> = contract_ids
        .iter()
        .filter_map(|id| state.catalog.contract(*id))
        .collect();
    for (collection, type_name) in COLLECTIONS {
        if !filter.includes(type_name) || out.contains_key(collection) {
            continue;
        }
        let items: Vec<Value> = match collection {
            "users" => state
                .users
                .get(&user_id)
                .map(|user| user.json())
                .into_iter()
                .collect(),
            "contracts" => contracts.iter().map(|c| c.json()).collect(),
            "contractMaturities" => contracts.iter().map(|c| c.maturity_json()).collect(),
            "products" => {
                let mut seen = BTreeSet::new();
                contracts
                    .iter()
                    .filter(|c| seen.insert(c.product_id))
                    .map(|c| c.product_json())
                    .collect()
            }
            "currencies" => vec![json!({ "id": 1, "name": "USD", "symbol": "$" })],
            "orderStrategyTypes" => vec![json!({ "id": 2, "name": "multibracket" })],
            _ => Vec::new(),
        };
        out.insert(collection.to_owned(), Value::Array(items));
    }
    Value::Object(out)
}
