//! The user hub: connects with the newest session token (no negotiation), subscribes to the
//! login's accounts (`SubscribeAccounts`, then `SubscribeOrders`, `SubscribePositions` and
//! `SubscribeTrades` per account, each acknowledged by a completion), pings every 15 s and
//! gives up on a hub silent for 30 s. `GatewayUserOrder` events become order states and
//! `GatewayUserTrade` events fills, with our client order id from the order's tag.
//!
//! The hub's messages have no sequence numbers, so after any drop (or a first connection that
//! failed) it reconnects with a growing pause, subscribes again, and then reads back over REST
//! what it may have missed: the orders and trades since the drop, less a margin. The copier
//! keeps each execution once, so a fill read twice is harmless and none is lost. Stops once
//! nobody listens.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};

use super::codes::Call;
use super::place::client_order_id;
use super::{Shared, contracts, hub, orders, wire};
use crate::brokers::{BrokerError, BrokerEvent, Fill, OrderState};

const FIRST_PAUSE: Duration = Duration::from_millis(250);
const MAX_PAUSE: Duration = Duration::from_secs(30);
/// How far before the drop the catch-up reads (clocks differ; events were in flight).
const CATCH_UP_MARGIN: chrono::Duration = chrono::Duration::seconds(60);
/// The per-account subscriptions; an account is ready once all are acknowledged.
const PER_ACCOUNT: [&str; 3] = ["SubscribeOrders", "SubscribePositions", "SubscribeTrades"];

pub async fn run(shared: Arc<Shared>) {
    let mut pause = FIRST_PAUSE;
    // From when events may have gone by unseen; read back once subscribed again.
    let mut missed_since: Option<DateTime<Utc>> = None;
    while shared.events.receiver_count() > 0 {
        let tried_at = Utc::now();
        let mut link = Link::default();
        let result = session(&shared, &mut missed_since, &mut link).await;
        shared.watched.ready.send_modify(HashSet::clear);
        let gap_from = link.last_heard.unwrap_or(tried_at);
        missed_since = Some(missed_since.map_or(gap_from, |at| at.min(gap_from)));
        if let Err(err) = result {
            tracing::warn!(%err, "TopstepX user hub dropped; reconnecting");
        }
        if link.subscribed {
            pause = FIRST_PAUSE;
        }
        if shared.events.receiver_count() == 0 {
            break;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
    shared.streaming.store(false, Ordering::SeqCst);
}

/// What one connection achieved.
#[derive(Default)]
struct Link {
    /// When the hub was last heard from.
    last_heard: Option<DateTime<Utc>>,
    /// Whether the first round of subscriptions was acknowledged.
    subscribed: bool,
}

/// Subscriptions sent on one connection.
#[derive(Default)]
struct Subscriptions {
    next_id: u64,
    /// Invocation id → (target, account).
    pending: HashMap<String, (&'static str, Option<i64>)>,
    /// Accounts subscribed on this connection, with their acknowledgements so far.
    accounts: HashMap<i64, usize>,
}

impl Subscriptions {
    fn invoke(&mut self, target: &'static str, account: Option<i64>) -> String {
        self.next_id += 1;
        let id = self.next_id.to_string();
        self.pending.insert(id.clone(), (target, account));
        let arguments = account.map(|a| vec![json!(a)]).unwrap_or_default();
        hub::invocation(&id, target, arguments)
    }

    /// The invocations for every wanted account not subscribed on this connection yet.
    fn catch_up_with(&mut self, shared: &Shared) -> Vec<String> {
        let wanted: Vec<i64> = shared
            .watched
            .wanted
            .lock()
            .map(|wanted| wanted.iter().copied().collect())
            .unwrap_or_default();
        let mut messages = Vec::new();
        for account in wanted {
            if self.accounts.contains_key(&account) {
                continue;
            }
            self.accounts.insert(account, 0);
            for target in PER_ACCOUNT {
                messages.push(self.invoke(target, Some(account)));
            }
        }
        messages
    }
}

/// The hub connection's failure, never with the URL (it holds the token).
fn opening_error(err: &tungstenite::Error) -> String {
    match err {
        tungstenite::Error::Http(response) => {
            format!("the user hub answered HTTP {}", response.status())
        }
        tungstenite::Error::Url(_) => "the user hub's URL is not usable".to_owned(),
        other => format!("cannot open the user hub: {other}"),
    }
}

async fn session(
    shared: &Arc<Shared>,
    missed_since: &mut Option<DateTime<Utc>>,
    link: &mut Link,
) -> Result<(), String> {
    let token = shared.rest.token().await.map_err(|e| e.to_string())?;
    let url = hub::url(&shared.endpoint.ws, token.expose());
    let stream = shared
        .rest
        .http()
        .connect(&url)
        .await
        .map_err(|err| match err {
            crate::brokers::http::HttpError::BadUrl(_) => "the user hub's URL is not usable".into(),
            other => other.to_string(),
        })?;
    let socket = match tokio_tungstenite::client_async(url.as_str(), stream).await {
        Ok((socket, _)) => socket,
        Err(tungstenite::Error::Http(response)) if response.status() == 401 => {
            // The token was refused: the next connection signs in again.
            if let Err(err) = shared.rest.relogin(&token).await {
                tracing::warn!(%err, "TopstepX: signing in again for the user hub failed");
            }
            return Err("the user hub refused the session token (HTTP 401)".into());
        }
        Err(err) => return Err(opening_error(&err)),
    };
    let (mut sink, mut source) = socket.split();
    sink.send(Message::text(hub::handshake()))
        .await
        .map_err(|e| e.to_string())?;
    let settings = &shared.settings;
    let mut reader = hub::Reader::default();
    let mut handshaken = false;
    let mut subscriptions = Subscriptions::default();
    let mut ping =
        tokio::time::interval_at(Instant::now() + settings.ping_every, settings.ping_every);
    let mut last_heard = Instant::now();
    loop {
        let mut outgoing = Vec::new();
        tokio::select! {
            frame = source.next() => {
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text.to_string(),
                    Some(Ok(Message::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
                    Some(Ok(Message::Close(_))) | None => return Err("the user hub closed the connection".into()),
                    Some(Ok(_)) => continue,
                    Some(Err(err)) => return Err(err.to_string()),
                };
                last_heard = Instant::now();
                link.last_heard = Some(Utc::now());
                for message in reader.push(&text) {
                    match hub::parse(&message, handshaken) {
                        Ok(hub::Message::Handshake(Ok(()))) => {
                            handshaken = true;
                            outgoing.push(subscriptions.invoke("SubscribeAccounts", None));
                            if shared.watched.wanted.lock().map(|w| w.is_empty()).unwrap_or(true) {
                                match shared.venue_accounts(true).await {
                                    Ok(accounts) => shared.watch_accounts(
                                        accounts.iter().filter(|a| a.can_trade).map(|a| a.id),
                                    ),
                                    Err(err) => tracing::warn!(%err, "TopstepX: the accounts to follow cannot be listed"),
                                }
                            }
                            outgoing.extend(subscriptions.catch_up_with(shared));
                        }
                        Ok(hub::Message::Handshake(Err(error))) => {
                            return Err(format!("the user hub refused the handshake: {error}"));
                        }
                        Ok(hub::Message::Completion { id, error }) => {
                            completed(shared, &mut subscriptions, &id, error);
                            if !link.subscribed && subscriptions.pending.is_empty() {
                                link.subscribed = true;
                                if let Some(since) = missed_since.take() {
                                    tokio::spawn(catch_up(Arc::clone(shared), since - CATCH_UP_MARGIN));
                                }
                            }
                        }
                        Ok(hub::Message::Invocation { target, arguments }) => {
                            on_event(shared, &target, &arguments);
                        }
                        Ok(hub::Message::Close { error }) => {
                            return Err(format!(
                                "the user hub closed the connection: {}",
                                error.as_deref().unwrap_or("no reason given")
                            ));
                        }
                        Ok(hub::Message::Ping | hub::Message::Other) => {}
                        Err(err) => tracing::warn!(%err, "TopstepX user hub: a message cannot be read"),
                    }
                }
            }
            _ = ping.tick() => {
                if shared.events.receiver_count() == 0 {
                    return Ok(());
                }
                outgoing.push(hub::ping());
            }
            () = shared.watched.grew.notified(), if handshaken => {
                outgoing.extend(subscriptions.catch_up_with(shared));
            }
            () = tokio::time::sleep_until(last_heard + settings.silent_after) => {
                return Err(format!("the user hub was silent for {:?}", settings.silent_after));
            }
        }
        for message in outgoing {
            sink.send(Message::text(message))
                .await
                .map_err(|e| e.to_string())?;
        }
    }
}

/// A subscription was acknowledged (or refused: logged).
fn completed(shared: &Shared, subscriptions: &mut Subscriptions, id: &str, error: Option<String>) {
    let Some((target, account)) = subscriptions.pending.remove(id) else {
        return;
    };
    if let Some(error) = error {
        tracing::warn!(target, ?account, %error, "TopstepX user hub refused a subscription");
        return;
    }
    let Some(account) = account else { return };
    let acknowledged = subscriptions.accounts.entry(account).or_default();
    *acknowledged += 1;
    if *acknowledged == PER_ACCOUNT.len() {
        shared.watched.ready.send_modify(|ready| {
            ready.insert(account);
        });
    }
}

fn on_event(shared: &Arc<Shared>, target: &str, arguments: &[Value]) {
    for argument in arguments {
        let entity = hub::entity(argument);
        match target {
            "GatewayUserOrder" => match orders::read(shared, entity) {
                Ok(order) => drop(
                    shared
                        .events
                        .send(BrokerEvent::Order(named(shared, order.state))),
                ),
                Err(err) => {
                    tracing::error!(%err, "TopstepX: an order update cannot be read; not recorded")
                }
            },
            "GatewayUserTrade" => match wire::trade(entity) {
                Ok(trade) => {
                    tokio::spawn(send_fill(Arc::clone(shared), trade));
                }
                Err(err) => tracing::error!(%err, "TopstepX: a trade cannot be read; not recorded"),
            },
            _ => {}
        }
    }
}

/// Sends a trade on as a fill, with our client order id from its order's tag.
async fn send_fill(shared: Arc<Shared>, trade: wire::Trade) {
    if trade.voided {
        return;
    }
    let known = shared
        .tags
        .lock()
        .ok()
        .and_then(|tags| tags.get(&trade.order_id).cloned());
    let tag = match known {
        Some(tag) => Some(tag),
        None => match orders::by_id(&shared, trade.account_id, trade.order_id).await {
            Ok(order) => order.and_then(|order| order.tag),
            Err(err) => {
                tracing::warn!(%err, "TopstepX: the order of a fill cannot be read; the fill goes on without our id");
                None
            }
        },
    };
    let fill = Fill {
        execution_id: trade.id.to_string(),
        order_id: trade.order_id.to_string(),
        client_order_id: tag.as_deref().map(client_order_id).unwrap_or_default(),
        account: trade.account_id.to_string(),
        symbol: match contracts::name_of(&shared, &trade.contract_id).await {
            Ok(name) => name,
            // The id still names the contract exactly; the fill is not held back for a name.
            Err(_) => trade.contract_id.clone(),
        },
        side: trade.side,
        quantity: trade.size as f64,
        price: trade.price,
        at: trade.at,
    };
    // Nobody listening is fine.
    drop(shared.events.send(BrokerEvent::Fill(fill)));
}

/// An order update as the copier sees it: its contract by name.
fn named(shared: &Shared, state: OrderState) -> OrderState {
    OrderState {
        symbol: contracts::known_name(shared, &state.symbol),
        ..state
    }
}

/// Reads back what the hub may have missed since `since`, for every followed account.
async fn catch_up(shared: Arc<Shared>, since: DateTime<Utc>) {
    let accounts: Vec<i64> = shared
        .watched
        .wanted
        .lock()
        .map(|wanted| wanted.iter().copied().collect())
        .unwrap_or_default();
    for account in accounts {
        let mut wait = Duration::from_secs(1);
        for attempt in 1..=3 {
            match catch_up_account(&shared, account, since).await {
                Ok(()) => break,
                Err(err) if attempt < 3 => {
                    tracing::warn!(%err, account, "TopstepX: catching up after a reconnect failed; trying again");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(err) => {
                    tracing::error!(%err, account, "TopstepX: cannot read back what happened while the user hub was down");
                }
            }
        }
    }
}

async fn catch_up_account(
    shared: &Arc<Shared>,
    account: i64,
    since: DateTime<Utc>,
) -> Result<(), BrokerError> {
    let body = json!({ "accountId": account, "startTimestamp": orders::stamp(since) });
    // Orders first: their tags give the fills our client order ids.
    let answer = shared.rest.ok(Call::OrderSearch, &body).await?;
    for item in wire::list(&answer, "orders")? {
        match orders::read(shared, item) {
            Ok(order) => drop(
                shared
                    .events
                    .send(BrokerEvent::Order(named(shared, order.state))),
            ),
            Err(err) => tracing::error!(%err, "TopstepX: an order cannot be read; not recorded"),
        }
    }
    let answer = shared.rest.ok(Call::TradeSearch, &body).await?;
    for item in wire::list(&answer, "trades")? {
        match wire::trade(item) {
            Ok(trade) => send_fill(Arc::clone(shared), trade).await,
            Err(err) => tracing::error!(%err, "TopstepX: a trade cannot be read; not recorded"),
        }
    }
    Ok(())
}
