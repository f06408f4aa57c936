//! Reading the simulator's state back for tests (`GET /_sim/tradovate/sessions|orders|
//! positions|fills`, `?accountId=` narrows to one account): richer than the venue's own
//! entities, e.g. an order with its prices, type, fill and every `clOrdId` sent for it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State as Shared};
use serde_json::{Value, json};

use super::Venue;
use super::control::{Bad, Reply, bad};
use super::wire::timestamp;

pub(crate) async fn sessions(Shared(venue): Shared<Arc<Venue>>) -> Json<Value> {
    Json(venue.with_state(|state| {
        Value::Array(
            state
                .sessions
                .values()
                .map(|session| {
                    json!({
                        "id": session.id,
                        "userId": session.user_id,
                        "deviceId": session.device_id,
                        "appId": session.app_id,
                        "appVersion": session.app_version,
                        "expirationTime": timestamp(session.expires),
                        "revoked": session.revoked,
                        "created": session.created,
                    })
                })
                .collect(),
        )
    }))
}

/// `?accountId=` narrows a read-back to one account.
fn account_filter(query: &HashMap<String, String>) -> Result<Option<i64>, Bad> {
    match query.get("accountId") {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| bad("`accountId` must be an integer")),
    }
}

pub(crate) async fn orders(
    Shared(venue): Shared<Arc<Venue>>,
    Query(query): Query<HashMap<String, String>>,
) -> Reply {
    let account = account_filter(&query)?;
    Ok(Json(venue.with_state(|state| {
        Value::Array(
            state
                .orders
                .values()
                .filter(|order| account.is_none_or(|id| order.account_id == id))
                .map(|order| {
                    let new = state.commands.get(&order.command_id);
                    let cl_ord_ids: Vec<&str> = state
                        .commands
                        .values()
                        .filter(|command| command.order_id == order.id)
                        .filter_map(|command| command.cl_ord_id.as_deref())
                        .collect();
                    json!({
                        "id": order.id,
                        "accountId": order.account_id,
                        "contractId": order.contract_id,
                        "symbol": state.catalog.contract(order.contract_id).map(|c| c.name.clone()),
                        "action": order.action.as_str(),
                        "ordStatus": order.status.as_str(),
                        "orderType": order.kind.as_str(),
                        "orderQty": order.qty,
                        "price": order.price,
                        "stopPrice": order.stop_price,
                        "timeInForce": order.time_in_force,
                        "parentId": order.parent_id,
                        "ocoId": order.oco_id,
                        "strategyId": order.strategy_id,
                        "filledQty": order.filled_qty,
                        "avgPx": order.avg_px,
                        "clOrdIds": cl_ord_ids,
                        "customTag50": new.and_then(|c| c.custom_tag50.clone()),
                        "isAutomated": new.and_then(|c| c.is_automated),
                    })
                })
                .collect(),
        )
    })))
}

pub(crate) async fn positions(
    Shared(venue): Shared<Arc<Venue>>,
    Query(query): Query<HashMap<String, String>>,
) -> Reply {
    let account = account_filter(&query)?;
    Ok(Json(venue.with_state(|state| {
        Value::Array(
            state
                .positions
                .values()
                .filter(|position| account.is_none_or(|id| position.account_id == id))
                .map(|position| {
                    let mut view = position.json();
                    view["symbol"] = json!(
                        state
                            .catalog
                            .contract(position.contract_id)
                            .map(|c| c.name.clone())
                    );
                    view["realizedPnL"] = json!(position.realized);
                    view
                })
                .collect(),
        )
    })))
}

pub(crate) async fn fills(
    Shared(venue): Shared<Arc<Venue>>,
    Query(query): Query<HashMap<String, String>>,
) -> Reply {
    let account = account_filter(&query)?;
    Ok(Json(venue.with_state(|state| {
        Value::Array(
            state
                .fills
                .values()
                .filter(|fill| account.is_none_or(|id| fill.account_id == id))
                .map(|fill| {
                    let mut view = fill.json();
                    view["accountId"] = json!(fill.account_id);
                    view["symbol"] = json!(
                        state
                            .catalog
                            .contract(fill.contract_id)
                            .map(|c| c.name.clone())
                    );
                    view
                })
                .collect(),
        )
    })))
}
