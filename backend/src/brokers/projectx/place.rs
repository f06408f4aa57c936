//! `Order/place`, with our client order id as `customTag`.
//!
//! The venue keeps a tag used for good, even by a rejected order, and refuses a second order
//! with it. So the first attempt is tagged with our client order id, and before any further
//! attempt the tag is looked up: an order found under it (even a rejected one) is the answer.
//! Only when the venue has no order under the tag is it sent again, with the same tag (should
//! the lost first one still arrive, the venue refuses the repeat). After a refusal that may
//! have used the tag up without an order to show for it, the retry gets a fresh tag derived
//! from ours (`<id>-r2`, `-r3`...), which `find_order` recognises too.
//!
//! Everything is checked before anything is sent ([`super::checks`]).

use chrono::Utc;
use serde_json::json;
use tokio::time::Instant;

use super::checks::{Checked, check, refuse};
use super::codes::{self, Call};
use super::{Shared, contracts, orders};
use crate::brokers::{BrokerError, Instrument, OrderRequest, OrderState, OrderStatus};

/// Attempts are remembered this long (the look-up window is a day too).
const ATTEMPT_MEMORY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);
const MAX_ATTEMPTS_KEPT: usize = 10_000;

/// What the venue made of the latest attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It never reached the order engine (not sent, refused before acting).
    NotArrived,
    /// It may or may not have been taken.
    Unknown,
    Accepted,
    /// The venue refused it for good.
    Refused,
    /// The venue refused it for a reason a retry may not meet, but its tag may be used up.
    RetryableRefusal,
}

#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    number: u32,
    outcome: Outcome,
    at: Instant,
}

/// The tag of attempt `number` (1 is our client order id itself).
pub fn tag_for(client_order_id: &str, number: u32) -> String {
    if number <= 1 {
        client_order_id.to_owned()
    } else {
        format!("{client_order_id}-r{number}")
    }
}

/// Which attempt of `client_order_id` a tag is, if it is one.
pub fn attempt_of(tag: &str, client_order_id: &str) -> Option<u32> {
    let rest = tag.strip_prefix(client_order_id)?;
    if rest.is_empty() {
        return Some(1);
    }
    let number: u32 = rest.strip_prefix("-r")?.parse().ok()?;
    (number >= 2 && rest == format!("-r{number}")).then_some(number)
}

/// Our client order id in a tag (the attempt suffix taken off).
pub fn client_order_id(tag: &str) -> String {
    match tag.rsplit_once("-r") {
        Some((base, _)) if attempt_of(tag, base).is_some_and(|n| n >= 2) => base.to_owned(),
        _ => tag.to_owned(),
    }
}

fn says_tag_in_use(message: Option<&str>) -> bool {
    let message = message.unwrap_or_default().to_ascii_lowercase();
    message.contains("tag")
        && ["in use", "already", "unique", "duplicate"]
            .iter()
            .any(|word| message.contains(word))
}

fn remember(shared: &Shared, key: (i64, String), number: u32, outcome: Outcome) {
    if let Ok(mut attempts) = shared.attempts.lock() {
        if attempts.len() >= MAX_ATTEMPTS_KEPT {
            attempts.retain(|_, attempt| attempt.at.elapsed() < ATTEMPT_MEMORY);
        }
        attempts.insert(
            key,
            Attempt {
                number,
                outcome,
                at: Instant::now(),
            },
        );
    }
}

/// What to do after earlier attempts: answer with the order found, or send attempt `n`.
enum Next {
    Found(OrderState),
    Send(u32),
}

async fn reconcile(
    shared: &Shared,
    account: i64,
    client_order_id: &str,
    prior: Attempt,
) -> Result<Next, BrokerError> {
    let found = orders::tagged(shared, account, client_order_id).await?;
    if let Some(live) = orders::best(&found).filter(|o| o.state.status != OrderStatus::Rejected) {
        return Ok(Next::Found(live.state.clone()));
    }
    let latest = found
        .iter()
        .find(|o| o.tag.as_deref() == Some(tag_for(client_order_id, prior.number).as_str()));
    Ok(match (prior.outcome, latest) {
        (Outcome::RetryableRefusal, _) => Next::Send(prior.number + 1),
        // The venue's answer to that attempt stands, a rejection too.
        (_, Some(order)) => Next::Found(order.state.clone()),
        // No order under the tag: the venue never took it.
        (_, None) => Next::Send(prior.number),
    })
}

pub async fn place(
    shared: &Shared,
    account: i64,
    order: &OrderRequest,
) -> Result<OrderState, BrokerError> {
    let id = order.client_order_id.as_str();
    if id.is_empty() || id.len() > 64 || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse(
            "the client order id must be 1 to 64 visible characters",
        ));
    }
    let instrument = contracts::instrument(shared, &order.symbol).await?;
    let checked = check(order, &instrument, shared.settings.bracket_sign)?;
    shared.follow(account).await;
    let key = (account, id.to_owned());
    let prior = shared
        .attempts
        .lock()
        .ok()
        .and_then(|attempts| attempts.get(&key).copied());
    let number = match prior {
        None => 1,
        Some(prior) => match reconcile(shared, account, id, prior).await? {
            Next::Found(state) => return Ok(state),
            Next::Send(number) => number,
        },
    };
    let tag = tag_for(id, number);
    remember(shared, key.clone(), number, Outcome::Unknown);
    let (result, outcome) = send(shared, account, order, &instrument, &checked, &tag).await;
    remember(shared, key, number, outcome);
    result
}

async fn send(
    shared: &Shared,
    account: i64,
    order: &OrderRequest,
    instrument: &Instrument,
    checked: &Checked,
    tag: &str,
) -> (Result<OrderState, BrokerError>, Outcome) {
    let mut body = checked.body.clone();
    body["accountId"] = json!(account);
    body["customTag"] = json!(tag);
    let answer = match shared.rest.call(Call::OrderPlace, &body).await {
        Ok(answer) => answer,
        Err(err @ BrokerError::UnknownOutcome(_)) => return (Err(err), Outcome::Unknown),
        // Refused before the order engine saw it (or never sent).
        Err(err) => return (Err(err), Outcome::NotArrived),
    };
    let order_id = answer.body["orderId"].as_i64();
    if let Some(order_id) = order_id {
        orders::remember_tag(shared, order_id, tag);
    }
    if answer.code == 0 {
        let Some(order_id) = order_id else {
            let err =
                BrokerError::UnknownOutcome("TopstepX took the order without saying its id".into());
            return (Err(err), Outcome::Unknown);
        };
        let state = OrderState {
            order_id: order_id.to_string(),
            client_order_id: order.client_order_id.clone(),
            account: account.to_string(),
            symbol: instrument.symbol.clone(),
            side: order.side,
            order_type: order.order_type,
            quantity: order.quantity,
            limit_price: checked.limit_price,
            stop_price: checked.stop_price,
            status: OrderStatus::Working,
            filled_quantity: 0.0,
            average_price: None,
            updated_at: Utc::now(),
        };
        return (Ok(state), Outcome::Accepted);
    }
    let message = answer.message.as_deref();
    if answer.code == 2 && says_tag_in_use(message) {
        // The tag is taken: the order under it is ours, or the tag went without one.
        return match orders::tagged(shared, account, &order.client_order_id).await {
            Ok(found) => match found.iter().find(|o| o.tag.as_deref() == Some(tag)) {
                Some(existing) => (Ok(existing.state.clone()), Outcome::Accepted),
                None => (
                    Err(BrokerError::Transient(format!(
                        "TopstepX says the tag {tag} is used, but no order carries it; the retry takes a fresh tag"
                    ))),
                    Outcome::RetryableRefusal,
                ),
            },
            Err(err) => (Err(err), Outcome::Unknown),
        };
    }
    if answer.code == 9 {
        // The contract no longer trades (it rolled): the next resolution asks the venue.
        contracts::forget(shared, &instrument.symbol);
    }
    let err = codes::failure(Call::OrderPlace, answer.code, message);
    let outcome = match err {
        BrokerError::UnknownOutcome(_) => Outcome::Unknown,
        _ => Outcome::Refused,
    };
    (Err(err), outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_tags_name_their_client_order_id() {
        assert_eq!(tag_for("ct1", 1), "ct1");
        assert_eq!(tag_for("ct1", 3), "ct1-r3");
        assert_eq!(attempt_of("ct1-r3", "ct1"), Some(3));
        assert_eq!(attempt_of("ct1", "ct1"), Some(1));
        assert_eq!(attempt_of("ct1-r1", "ct1"), None);
        assert_eq!(attempt_of("ct1-r03", "ct1"), None);
        assert_eq!(attempt_of("ct12", "ct1"), None);
        assert_eq!(client_order_id("ct1-r2"), "ct1");
        assert_eq!(client_order_id("ct1"), "ct1");
        assert_eq!(client_order_id("my-robot"), "my-robot");
        assert!(says_tag_in_use(Some(
            "Custom tag 'ct1' is already in use for this account."
        )));
        assert!(!says_tag_in_use(Some("Invalid stop loss ticks (40).")));
    }
}
