//! `/v5/execution/list`: the account's executed trades, newest first, in pages of at most
//! 100 with an opaque `nextPageCursor`. As on Bybit: `category` is required; `orderId` wins
//! over `orderLinkId`, which wins over `symbol` and `baseCoin` (the lower ones are then
//! ignored); without times the last 7 days are read, with only `startTime` the 7 days after it,
//! with only `endTime` the 7 days before it, and a range of more than 7 days is refused.

use serde_json::{Value, json};

use super::envelope::{Params, Reply, bad};
use super::instruments::instrument;
use super::now_ms;
use super::state::{Account, Execution};

const WEEK_MS: i64 = 7 * 24 * 60 * 60 * 1000;
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: i64 = 100;
/// The execution types Bybit names; only `Trade` happens here, the others list nothing.
const EXEC_TYPES: [&str; 8] = [
    "Trade",
    "AdlTrade",
    "Funding",
    "BustTrade",
    "Delivery",
    "Settle",
    "BlockTrade",
    "MovePosition",
];

/// The time range asked for, from what was given.
fn range(params: &Params) -> Result<(i64, i64), Reply> {
    Ok(match (params.int("startTime")?, params.int("endTime")?) {
        (None, None) => {
            let now = now_ms();
            (now - WEEK_MS, now)
        }
        (Some(start), None) => (start, start.saturating_add(WEEK_MS)),
        (None, Some(end)) => (end.saturating_sub(WEEK_MS), end),
        (Some(start), Some(end)) if start > end => {
            return Err(bad("params error: startTime must not be after endTime"));
        }
        (Some(start), Some(end)) if end - start > WEEK_MS => {
            return Err(bad(
                "params error: the range between startTime and endTime cannot exceed 7 days",
            ));
        }
        (Some(start), Some(end)) => (start, end),
    })
}

impl Account {
    pub(super) fn execution_list(&self, params: &Params) -> Result<Value, Reply> {
        params.linear()?;
        let limit = match params.int("limit")? {
            None => DEFAULT_LIMIT,
            Some(n @ 1..=MAX_LIMIT) => usize::try_from(n).unwrap_or(DEFAULT_LIMIT),
            Some(_) => return Err(bad("params error: limit must be between 1 and 100")),
        };
        let (from, to) = range(params)?;
        let exec_type = params.get("execType");
        if exec_type.is_some_and(|kind| !EXEC_TYPES.contains(&kind)) {
            return Err(bad("params error: execType invalid"));
        }
        // The cursor is the sequence number the next page starts below.
        let below = params
            .get("cursor")
            .map(|text| {
                text.parse::<u64>()
                    .map_err(|_| bad("params error: cursor invalid"))
            })
            .transpose()?;
        let (order_id, link_id) = (params.get("orderId"), params.get("orderLinkId"));
        let (symbol, base) = (params.get("symbol"), params.get("baseCoin"));
        let wanted = |execution: &&Execution| {
            let data = &execution.data;
            let field = |name: &str| data[name].as_str().unwrap_or_default();
            let chosen = match (order_id, link_id) {
                (Some(id), _) => field("orderId") == id,
                (None, Some(link)) => field("orderLinkId") == link,
                (None, None) => {
                    symbol.is_none_or(|s| field("symbol") == s)
                        && base.is_none_or(|coin| {
                            instrument(field("symbol")).is_some_and(|i| i.base_coin == coin)
                        })
                }
            };
            chosen
                && (from..=to).contains(&execution.time_ms)
                && exec_type.is_none_or(|kind| field("execType") == kind)
                && below.is_none_or(|seq| execution.seq < seq)
        };
        let mut page: Vec<&Execution> = self
            .executions
            .iter()
            .rev()
            .filter(wanted)
            .take(limit + 1)
            .collect();
        let more = page.len() > limit;
        page.truncate(limit);
        let next = match page.last() {
            Some(last) if more => last.seq.to_string(),
            _ => String::new(),
        };
        let list: Vec<Value> = page
            .into_iter()
            .map(|execution| {
                let mut item = execution.data.clone();
                // The list names the category once, beside it.
                if let Some(fields) = item.as_object_mut() {
                    fields.remove("category");
                }
                item
            })
            .collect();
        Ok(json!({"category": "linear", "list": list, "nextPageCursor": next}))
    }
}
