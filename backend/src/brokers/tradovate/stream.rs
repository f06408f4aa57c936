//! The login's one trading WebSocket (never one per account: past about 50 sockets Tradovate
//! closes the oldest and revokes its token). SockJS framing: `o` open, `h` heartbeat,
//! `a[...]` messages, `c[code,"reason"]` close; requests are `endpoint\nid\nquery\nbody`.
//!
//! After `o`: `authorize` with the session's current token (renewed ones on every reconnect),
//! then `user/syncrequest` in the configured [`SyncForm`]. Its answer is a snapshot of the
//! login's entities; then every change arrives as a `props` push: `fill` becomes a
//! [`BrokerEvent::Fill`] (execution id = the fill's id), `order` an [`BrokerEvent::Order`].
//! `[]` goes out every 2.5 s. A drop reconnects after 250 ms, doubling to 30 s; every reconnect
//! syncs again, and each fill in the snapshot not seen yet is sent then, so a fill made while
//! the socket was down is never lost. The first snapshot sends only what happened since the
//! adapter began listening (older fills are the day's history, not news).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::parse::{Known, fill_entity, id, list, order_state, timestamp};
use super::rest::{self, Penalty, USER_LIMIT_WAIT};
use super::sockjs::{Frame, frame, request};
use super::{Inner, SyncForm};
use crate::brokers::{BrokerError, BrokerEvent, OrderState};

const HEARTBEAT: Duration = Duration::from_millis(2500);
const FIRST_PAUSE: Duration = Duration::from_millis(250);
const MAX_PAUSE: Duration = Duration::from_secs(30);
/// How long opening, authorizing and syncing may take.
const SETUP_DEADLINE: Duration = Duration::from_secs(15);
/// Fills this much older than the start of listening still count as news (in flight).
const NEWS_MARGIN: chrono::Duration = chrono::Duration::seconds(5);
const SYNC: &str = "user/syncrequest";
/// What the partner form of the sync asks for.
const ENTITY_TYPES: [&str; 5] = ["account", "command", "order", "orderVersion", "fill"];

pub(super) async fn run(inner: Arc<Inner>) {
    let mut pause = FIRST_PAUSE;
    let mut synced_before = false;
    while inner.events.receiver_count() > 0 {
        if let Some(wait) = held_back(&inner) {
            tokio::time::sleep(wait.min(MAX_PAUSE)).await;
            continue;
        }
        let mut synced = false;
        match connection(&inner, synced_before, &mut synced).await {
            Ok(()) => break,
            Err(reason) => tracing::warn!(%reason, "Tradovate stream dropped; reconnecting"),
        }
        if synced {
            synced_before = true;
            pause = FIRST_PAUSE;
        }
        if inner.events.receiver_count() == 0 {
            break;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
    inner
        .streaming
        .store(false, std::sync::atomic::Ordering::SeqCst);
}

/// How long the stream must wait before connecting (a rate limit or a captcha holds it back).
fn held_back(inner: &Inner) -> Option<Duration> {
    if rest::is_captcha_blocked(&inner.rest.endpoint.rest, SYNC) {
        return Some(MAX_PAUSE);
    }
    inner.rest.paused_for()
}

/// Where a connection is.
enum Stage {
    Opening,
    Authorizing,
    /// Waiting for the answer to the sync request with this id.
    Syncing(u64),
    Live,
}

/// One connection until it drops (`Err`) or nobody listens (`Ok`). `resync`: this is a
/// reconnect, so every unseen fill of the snapshot is news.
async fn connection(inner: &Arc<Inner>, resync: bool, synced: &mut bool) -> Result<(), String> {
    let session = inner.live_session().await.map_err(|e| e.to_string())?;
    let url = inner.rest.endpoint.ws.as_str();
    let stream = inner
        .rest
        .http
        .connect(url)
        .await
        .map_err(|e| e.to_string())?;
    let (socket, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sink, mut source) = socket.split();
    let mut stage = Stage::Opening;
    let mut next_id = 1;
    let setup_until = Instant::now() + SETUP_DEADLINE;
    // A penalised sync request goes again at this time with this ticket.
    let mut resend: Option<(Instant, String)> = None;
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    loop {
        tokio::select! {
            _ = heartbeat.tick() => {
                if inner.events.receiver_count() == 0 {
                    return Ok(());
                }
                if !matches!(stage, Stage::Live) && Instant::now() > setup_until {
                    return Err("Tradovate did not finish opening the stream in time".into());
                }
                if !matches!(stage, Stage::Opening) {
                    sink.send(Message::text("[]")).await.map_err(|e| e.to_string())?;
                }
                if resend.as_ref().is_some_and(|(at, _)| Instant::now() >= *at)
                    && let Some((_, ticket)) = resend.take()
                {
                    next_id += 1;
                    let body = sync_body(inner, session.user_id, Some(&ticket)).await?;
                    sink.send(request(SYNC, next_id, &body)).await.map_err(|e| e.to_string())?;
                    stage = Stage::Syncing(next_id);
                }
            }
            message = source.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None => return Err("closed by Tradovate".into()),
                    Some(Ok(_)) => continue,
                    Some(Err(err)) => return Err(err.to_string()),
                };
                let messages = match frame(&text)? {
                    Frame::Open => {
                        if matches!(stage, Stage::Opening) {
                            let authorize = format!("authorize\n0\n\n{}", session.token);
                            sink.send(Message::text(authorize)).await.map_err(|e| e.to_string())?;
                            stage = Stage::Authorizing;
                        }
                        continue;
                    }
                    Frame::Heartbeat => continue,
                    Frame::Close(reason) => return Err(format!("closed by Tradovate: {reason}")),
                    Frame::Messages(messages) => messages,
                };
                // Everything a frame says is known before any of it is reported.
                for message in &messages {
                    if message["e"] == "props" {
                        note(inner, &message["d"]);
                    }
                }
                for message in messages {
                    if let Some(answer_id) = message["i"].as_u64() {
                        match (&stage, answer_id) {
                            (Stage::Authorizing, 0) => {
                                check_answer(inner, &message, &session.token).await?;
                                let body = sync_body(inner, session.user_id, None).await?;
                                sink.send(request(SYNC, next_id, &body)).await.map_err(|e| e.to_string())?;
                                stage = Stage::Syncing(next_id);
                            }
                            (Stage::Syncing(wanted), got) if *wanted == got => {
                                check_answer(inner, &message, &session.token).await?;
                                match rest::penalty(&message["d"]).map_err(|e| e.to_string())? {
                                    Some(Penalty::Captcha) => {
                                        rest::remember_captcha(&inner.rest.endpoint.rest, SYNC);
                                        return Err(BrokerError::ActionRequired(rest::CAPTCHA_MESSAGE.into()).to_string());
                                    }
                                    Some(Penalty::Wait { ticket, wait }) => {
                                        resend = Some((Instant::now() + wait, ticket));
                                    }
                                    None => {
                                        snapshot(inner, &message["d"], resync).await;
                                        stage = Stage::Live;
                                        *synced = true;
                                    }
                                }
                            }
                            _ => {}
                        }
                        continue;
                    }
                    match message["e"].as_str() {
                        Some("props") => push(inner, &message["d"]).await,
                        Some("shutdown") => return Err(format!("Tradovate shut the stream down: {}", message["d"])),
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Reads a socket answer's status: 200 goes on; 401 ends the session, 429 pauses the login.
async fn check_answer(inner: &Inner, answer: &Value, token: &str) -> Result<(), String> {
    match answer["s"].as_u64() {
        Some(200) => Ok(()),
        Some(401) => {
            inner.session.expired(token).await;
            Err(format!(
                "Tradovate refused the stream's token: {}",
                answer["d"]
            ))
        }
        Some(429) => {
            inner.rest.pause(USER_LIMIT_WAIT);
            Err("Tradovate rate-limits this login (429 on the stream)".into())
        }
        _ => Err(format!("Tradovate answered the stream with {answer}")),
    }
}

async fn sync_body(
    inner: &Arc<Inner>,
    user_id: i64,
    ticket: Option<&str>,
) -> Result<String, String> {
    let mut body = match inner.settings.sync_form {
        SyncForm::Users => json!({ "users": [user_id] }),
        SyncForm::Accounts => {
            let accounts = inner.load_accounts().await.map_err(|e| e.to_string())?;
            let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
            json!({ "accounts": ids, "entityTypes": ENTITY_TYPES })
        }
    };
    if let Some(ticket) = ticket {
        body["p-ticket"] = json!(ticket);
    }
    Ok(body.to_string())
}

/// Records what a push says (accounts, commands, orders, versions) in the book.
fn note(inner: &Inner, data: &Value) {
    let entity = &data["entity"];
    match data["entityType"].as_str() {
        Some("account") => note_account(inner, entity),
        Some("command") => inner.book.note_command(entity),
        Some("order") => inner.book.note_order(entity),
        Some("orderVersion") => inner.book.note_version(entity),
        _ => {}
    }
}

fn note_account(inner: &Inner, account: &Value) {
    if let (Some(account_id), Some(name)) = (account["id"].as_i64(), account["name"].as_str()) {
        inner.book.note_account(account_id, name);
    }
}

/// Reports what a push changed.
async fn push(inner: &Arc<Inner>, data: &Value) {
    let entity = &data["entity"];
    let result = match data["entityType"].as_str() {
        Some("order") => report_order(inner, entity).await,
        Some("fill") => report_fill(inner, entity).await,
        _ => Ok(()),
    };
    if let Err(err) = result {
        tracing::error!(%err, "Tradovate: an update cannot be read; not recorded");
    }
}

/// The snapshot after a sync: learns everything in it, then reports the fills not seen yet
/// and our orders whose status changed (on the first sync only what is newer than listening).
async fn snapshot(inner: &Arc<Inner>, data: &Value, resync: bool) {
    let items = |key: &str| data[key].as_array().cloned().unwrap_or_default();
    for account in items("accounts") {
        note_account(inner, &account);
    }
    for command in items("commands") {
        inner.book.note_command(&command);
    }
    for order in items("orders") {
        inner.book.note_order(&order);
    }
    for version in items("orderVersions") {
        inner.book.note_version(&version);
    }
    let since = inner
        .listening_since
        .lock()
        .ok()
        .and_then(|since| *since)
        .unwrap_or_else(Utc::now)
        - NEWS_MARGIN;
    let is_news = |item: &Value| {
        resync || timestamp(&item["timestamp"], "timestamp").is_ok_and(|at| at >= since)
    };
    for fill in items("fills") {
        let result = if is_news(&fill) {
            report_fill(inner, &fill).await
        } else {
            fill_entity(&fill).map(|old| {
                inner.book.note_fill(&old);
            })
        };
        if let Err(err) = result {
            tracing::error!(%err, "Tradovate: a fill in the snapshot cannot be read; not recorded");
        }
    }
    for order in items("orders") {
        let result = if is_news(&order) {
            report_order(inner, &order).await
        } else {
            remember_status(inner, &order).await
        };
        if let Err(err) = result {
            tracing::error!(%err, "Tradovate: an order in the snapshot cannot be read; not recorded");
        }
    }
}

/// Sends a fill on, once; an unreadable or unplaceable one is left unseen for the next sync.
async fn report_fill(inner: &Arc<Inner>, item: &Value) -> Result<(), BrokerError> {
    let fill = fill_entity(item)?;
    if !fill.active || inner.book.is_seen(fill.id) {
        return Ok(());
    }
    let account_id = account_of(inner, fill.order_id).await?;
    if !inner.admits(account_id).await? {
        inner.book.note_fill(&fill);
        return Ok(());
    }
    let client_id = inner.client_id_of(fill.order_id).await?;
    let symbol = inner.contract_name(fill.contract_id).await?;
    if inner.book.note_fill(&fill) {
        let event = fill.into_fill(client_id, account_id.to_string(), symbol);
        // Nobody listening is fine.
        drop(inner.events.send(BrokerEvent::Fill(event)));
    }
    Ok(())
}

/// The account of an order, from the book or `order/item`.
async fn account_of(inner: &Arc<Inner>, order_id: i64) -> Result<i64, BrokerError> {
    if let Some(order) = inner.book.order(order_id) {
        return id(&order["accountId"], "accountId");
    }
    let order = inner
        .get_found("order/item", &format!("id={order_id}"))
        .await?;
    inner.book.note_order(&order);
    id(&order["accountId"], "accountId")
}

/// The state of a pushed order, with what the book (or REST) knows of it.
async fn state(inner: &Arc<Inner>, order: &Value) -> Result<Option<OrderState>, BrokerError> {
    let order_id = id(&order["id"], "order id")?;
    let account_id = id(&order["accountId"], "accountId")?;
    if !inner.admits(account_id).await? {
        return Ok(None);
    }
    let version = match inner.book.version(order_id) {
        Some(version) => version,
        None => {
            let versions = inner
                .get_found("orderVersion/deps", &format!("masterid={order_id}"))
                .await?;
            for version in list(&versions, "order versions")? {
                inner.book.note_version(version);
            }
            inner.book.version(order_id).ok_or_else(|| {
                BrokerError::Unreadable(format!("Tradovate's order {order_id} has no version"))
            })?
        }
    };
    let client_id = inner.client_id_of(order_id).await?;
    let symbol = inner
        .contract_name(id(&order["contractId"], "contractId")?)
        .await?;
    let known = Known {
        client_order_id: &client_id,
        account: account_id.to_string(),
        symbol: &symbol,
        filled: inner.book.filled(order_id),
    };
    order_state(order, &version, known).map(Some)
}

async fn report_order(inner: &Arc<Inner>, order: &Value) -> Result<(), BrokerError> {
    if let Some(state) = state(inner, order).await?
        && inner
            .book
            .report(id(&order["id"], "order id")?, state.status)
    {
        drop(inner.events.send(BrokerEvent::Order(state)));
    }
    Ok(())
}

/// Records an old order's status without reporting it (the first snapshot's history).
async fn remember_status(inner: &Arc<Inner>, order: &Value) -> Result<(), BrokerError> {
    if let Some(state) = state(inner, order).await? {
        inner
            .book
            .report(id(&order["id"], "order id")?, state.status);
    }
    Ok(())
}
