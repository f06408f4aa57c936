//! Bybit's private WebSocket: authenticate, subscribe to `order` and `execution`, ping every
//! 20 seconds, and turn pushes into [`BrokerEvent`]s. Reconnects with a growing pause after a
//! drop, and then catches up: the executions since the drop are read over REST and sent on as
//! fills (the copier keeps each execution once), so a fill made while the stream was down is
//! never lost. Stops once nobody listens.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

use axum::http::Method;

use super::{Rest, millis, now_ms, number, order_state, side, sign, text};
use crate::brokers::{BrokerError, BrokerEvent, Fill};

const PING_EVERY: Duration = Duration::from_secs(20);
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// How far before the drop the catch-up starts reading (clocks and in-flight pushes).
const CATCH_UP_MARGIN_MS: i64 = 5_000;

pub struct StreamParams {
    pub rest: Rest,
    /// Bybit's user id: the account events belong to. Read per message: a listener may start
    /// the stream before the adapter has asked Bybit whose key it is.
    pub account: Arc<Mutex<Option<String>>>,
    pub events: broadcast::Sender<BrokerEvent>,
    /// Cleared when the stream stops, so the next listener starts another.
    pub running: Arc<AtomicBool>,
}

pub async fn run(params: StreamParams) {
    let mut pause = Duration::from_millis(250);
    // When the last connection dropped: the next one catches up from there.
    let mut dropped_at: Option<i64> = None;
    while params.events.receiver_count() > 0 {
        match session(&params, dropped_at).await {
            Ok(()) => pause = Duration::from_millis(250),
            Err(err) => tracing::warn!(%err, "Bybit stream dropped; reconnecting"),
        }
        dropped_at = Some(dropped_at.map_or_else(now_ms, |at| at.min(now_ms())));
        if params.events.receiver_count() == 0 {
            break;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
    params.running.store(false, Ordering::SeqCst);
}

/// One connection, until it drops or nobody listens. After a drop (`dropped_at`), it catches
/// up once it is subscribed again.
async fn session(params: &StreamParams, mut dropped_at: Option<i64>) -> Result<(), String> {
    let url = params.rest.endpoint.ws.as_str();
    let stream = params
        .rest
        .http
        .connect(url)
        .await
        .map_err(|e| e.to_string())?;
    let (socket, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sink, mut source) = socket.split();
    let expires = now_ms() + 10_000;
    let auth = json!({
        "req_id": "auth",
        "op": "auth",
        "args": [
            params.rest.api_key.expose(),
            expires,
            sign::realtime(params.rest.api_secret.expose(), expires),
        ],
    });
    sink.send(Message::text(auth.to_string()))
        .await
        .map_err(|e| e.to_string())?;
    let subscribe =
        json!({ "req_id": "subscribe", "op": "subscribe", "args": ["order", "execution"] });
    sink.send(Message::text(subscribe.to_string()))
        .await
        .map_err(|e| e.to_string())?;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if params.events.receiver_count() == 0 {
                    return Ok(());
                }
                sink.send(Message::text(json!({ "op": "ping" }).to_string())).await.map_err(|e| e.to_string())?;
            }
            message = source.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None => return Err("closed by Bybit".into()),
                    Some(Ok(_)) => continue,
                    Some(Err(err)) => return Err(err.to_string()),
                };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                if frame["op"] == "auth" && frame["success"] != true {
                    return Err(format!("Bybit refused the stream login: {}", frame["ret_msg"]));
                }
                if frame["op"] == "subscribe" && frame["success"] == true
                    && let Some(since) = dropped_at.take()
                {
                    // Subscribed again: whatever happens from now on arrives here; what
                    // happened while we were away is read back.
                    catch_up(params, since - CATCH_UP_MARGIN_MS).await;
                }
                dispatch(params, &frame, &current_account(params));
            }
        }
    }
}

/// Reads the executions since `since_ms` and sends them on as fills (each page of at most
/// 100, following Bybit's cursor).
async fn catch_up(params: &StreamParams, since_ms: i64) {
    let account = current_account(params);
    let mut cursor = String::new();
    loop {
        let mut query = format!("category=linear&startTime={since_ms}&limit=100");
        if !cursor.is_empty() {
            query.push_str("&cursor=");
            query.push_str(&cursor);
        }
        let page = match params
            .rest
            .call(Method::GET, "/v5/execution/list", &query, None)
            .await
        {
            Ok(page) => page,
            Err(err) => {
                tracing::warn!(%err, "Bybit stream: cannot catch up on executions missed while disconnected");
                return;
            }
        };
        for item in page["list"].as_array().into_iter().flatten() {
            send_fill(params, item, &account);
        }
        match page["nextPageCursor"].as_str() {
            Some(next) if !next.is_empty() && next != cursor => cursor = next.to_owned(),
            _ => return,
        }
    }
}

fn current_account(params: &StreamParams) -> String {
    params
        .account
        .lock()
        .ok()
        .and_then(|cached| cached.clone())
        .unwrap_or_default()
}

/// An execution as the `execution` topic and `/v5/execution/list` describe it.
fn fill(item: &Value, account: &str) -> Result<Fill, BrokerError> {
    Ok(Fill {
        execution_id: text(&item["execId"], "execId")?,
        order_id: text(&item["orderId"], "orderId")?,
        client_order_id: item["orderLinkId"].as_str().unwrap_or_default().to_owned(),
        account: account.to_owned(),
        symbol: text(&item["symbol"], "symbol")?,
        side: side(&item["side"])?,
        quantity: number(&item["execQty"], "execQty")?,
        price: number(&item["execPrice"], "execPrice")?,
        at: millis(&item["execTime"], "execTime")?,
    })
}

/// Sends one execution on as a fill: only trades (not funding or settlement), and never a
/// fill guessed from an unreadable one.
fn send_fill(params: &StreamParams, item: &Value, account: &str) {
    if item["execType"]
        .as_str()
        .is_some_and(|kind| kind != "Trade")
    {
        return;
    }
    match fill(item, account) {
        // Nobody listening is fine.
        Ok(fill) => drop(params.events.send(BrokerEvent::Fill(fill))),
        Err(err) => tracing::error!(%err, "Bybit: an execution cannot be read; not recorded"),
    }
}

/// Sends on the events one push carries.
fn dispatch(params: &StreamParams, frame: &Value, account: &str) {
    let Some(data) = frame["data"].as_array() else {
        return;
    };
    match frame["topic"].as_str().unwrap_or_default() {
        topic if topic.starts_with("order") => {
            for item in data {
                match order_state(item, account) {
                    Ok(state) => drop(params.events.send(BrokerEvent::Order(state))),
                    Err(err) => {
                        tracing::error!(%err, "Bybit: an order update cannot be read; not recorded");
                    }
                }
            }
        }
        topic if topic.starts_with("execution") => {
            for item in data {
                send_fill(params, item, account);
            }
        }
        _ => {}
    }
}
