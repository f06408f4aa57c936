//! Bybit's private WebSocket: authenticate, subscribe to `order` and `execution`, ping every
//! 20 seconds, and turn pushes into [`BrokerEvent`]s. Reconnects with a growing pause after a
//! drop; stops once nobody listens.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

use super::{millis, now_ms, number, order_state, side, sign};
use crate::brokers::http::HttpClient;
use crate::brokers::{BrokerEvent, Fill};
use crate::vault::SecretString;

const PING_EVERY: Duration = Duration::from_secs(20);
const MAX_PAUSE: Duration = Duration::from_secs(30);

pub struct StreamParams {
    pub http: HttpClient,
    pub url: String,
    pub api_key: SecretString,
    pub api_secret: SecretString,
    /// Bybit's user id: the account events belong to. Read per message: a listener may start
    /// the stream before the adapter has asked Bybit whose key it is.
    pub account: Arc<Mutex<Option<String>>>,
    pub events: broadcast::Sender<BrokerEvent>,
    /// Cleared when the stream stops, so the next listener starts another.
    pub running: Arc<AtomicBool>,
}

pub async fn run(params: StreamParams) {
    let mut pause = Duration::from_millis(250);
    while params.events.receiver_count() > 0 {
        match session(&params).await {
            Ok(()) => pause = Duration::from_millis(250),
            Err(err) => tracing::warn!(%err, "Bybit stream dropped; reconnecting"),
        }
        if params.events.receiver_count() == 0 {
            break;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
    params.running.store(false, Ordering::SeqCst);
}

/// One connection, until it drops or nobody listens.
async fn session(params: &StreamParams) -> Result<(), String> {
    let stream = params
        .http
        .connect(&params.url)
        .await
        .map_err(|e| e.to_string())?;
    let (socket, _) = tokio_tungstenite::client_async(params.url.as_str(), stream)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sink, mut source) = socket.split();
    let expires = now_ms() + 10_000;
    let auth = json!({
        "req_id": "auth",
        "op": "auth",
        "args": [params.api_key.expose(), expires, sign::realtime(params.api_secret.expose(), expires)],
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
                let account = params
                    .account
                    .lock()
                    .ok()
                    .and_then(|cached| cached.clone())
                    .unwrap_or_default();
                for event in events(&frame, &account) {
                    // Nobody listening is fine.
                    let _ = params.events.send(event);
                }
            }
        }
    }
}

/// The events one push carries.
fn events(frame: &Value, account: &str) -> Vec<BrokerEvent> {
    let Some(data) = frame["data"].as_array() else {
        return Vec::new();
    };
    match frame["topic"].as_str().unwrap_or_default() {
        topic if topic.starts_with("order") => data
            .iter()
            .map(|item| BrokerEvent::Order(order_state(item, account)))
            .collect(),
        topic if topic.starts_with("execution") => data
            .iter()
            .filter(|item| item["execType"].as_str().is_none_or(|kind| kind == "Trade"))
            .map(|item| {
                BrokerEvent::Fill(Fill {
                    execution_id: item["execId"].as_str().unwrap_or_default().to_owned(),
                    order_id: item["orderId"].as_str().unwrap_or_default().to_owned(),
                    client_order_id: item["orderLinkId"].as_str().unwrap_or_default().to_owned(),
                    account: account.to_owned(),
                    symbol: item["symbol"].as_str().unwrap_or_default().to_owned(),
                    side: side(&item["side"]),
                    quantity: number(&item["execQty"]),
                    price: number(&item["execPrice"]),
                    at: millis(&item["execTime"]),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}
