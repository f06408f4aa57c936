//! The private WebSocket at `/v5/private`: `auth` with an expiry-signed payload, then
//! `subscribe`/`unsubscribe` to `order`, `execution`, `position`, `wallet` (or their `.linear`
//! forms, never mixed in one request), `ping`. Pushes reach only connections logged in to the
//! account they concern, once per subscribed form of the topic; a slow reader loses pushes, as
//! on the venue. A test drops every stream through the common gate; while it holds them, new
//! connections are refused with HTTP 503.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::auth::signature_matches;
use super::state::Push;
use super::{Sim, now_ms};

/// The path frames are journaled under (below the venue prefix).
const PATH: &str = "/v5/private";

const TOPICS: [&str; 7] = [
    "order",
    "execution",
    "position",
    "wallet",
    "order.linear",
    "execution.linear",
    "position.linear",
];

pub(super) async fn private_stream(
    State(sim): State<Arc<Sim>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if sim.common.streams.is_held() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the private stream is unavailable; try again later",
        )
            .into_response();
    }
    match upgrade {
        Ok(upgrade) => upgrade.on_upgrade(move |socket| session(socket, sim)),
        Err(rejection) => rejection.into_response(),
    }
}

/// One connection's state: the account it logged in to, and what it subscribed to.
struct Session {
    conn_id: String,
    uid: Option<u64>,
    topics: HashSet<String>,
}

async fn session(mut socket: WebSocket, sim: Arc<Sim>) {
    let _connected = sim.common.streams.connected();
    let mut drops = sim.common.streams.drops();
    let mut pushes = sim.lock().tx.subscribe();
    if sim.common.streams.is_held() {
        // Held while this connection was being opened: it goes like the others.
        let _ = socket.send(Message::Close(None)).await;
        return;
    }
    let mut session = Session {
        conn_id: uuid::Uuid::new_v4().to_string(),
        uid: None,
        topics: HashSet::new(),
    };
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    // Protocol pings are answered by the WebSocket layer itself.
                    Some(Ok(_)) => continue,
                };
                sim.common.record_frame(PATH, text.as_str());
                sim.common.delay().await;
                let reply = session.answer(&sim, text.as_str());
                if socket.send(Message::Text(reply.to_string().into())).await.is_err() {
                    break;
                }
            }
            push = pushes.recv() => match push {
                Ok(push) => {
                    for frame in session.frames(&push) {
                        if socket.send(Message::Text(frame.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                }
                Err(RecvError::Closed) => break,
                // A slow reader loses pushes, as on the venue.
                Err(RecvError::Lagged(_)) => {}
            },
            _ = drops.recv() => {
                // The peer may already be gone; closing is all that is left to do.
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
        }
    }
}

impl Session {
    /// The frames this connection gets for one push: none unless logged in to its account,
    /// one per subscribed form of the topic (`order` and `order.linear` under their own names).
    fn frames(&self, push: &Push) -> Vec<Value> {
        if self.uid != Some(push.uid) {
            return Vec::new();
        }
        [push.topic.to_owned(), format!("{}.linear", push.topic)]
            .into_iter()
            .filter(|name| self.topics.contains(name))
            .map(|name| {
                json!({
                    "id": uuid::Uuid::new_v4().to_string(), "topic": name,
                    "creationTime": now_ms(), "data": push.data,
                })
            })
            .collect()
    }

    fn answer(&mut self, sim: &Sim, text: &str) -> Value {
        let request: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let op = request["op"].as_str().unwrap_or_default();
        let args = &request["args"];
        let outcome = match op {
            "auth" => self.auth(sim, args),
            "subscribe" | "unsubscribe" => self.subscribe(op == "subscribe", args),
            "ping" => Ok(()),
            _ => Err("Params Error"),
        };
        let mut reply = match outcome {
            Ok(()) if op == "ping" => json!({
                "success": true, "ret_msg": "pong", "op": "pong",
                "args": [now_ms().to_string()],
            }),
            Ok(()) => json!({"success": true, "ret_msg": "", "op": op}),
            Err(msg) => json!({"success": false, "ret_msg": msg, "op": op}),
        };
        reply["conn_id"] = json!(self.conn_id);
        if let Some(req_id) = request.get("req_id") {
            reply["req_id"] = req_id.clone();
        }
        reply
    }

    fn auth(&mut self, sim: &Sim, args: &Value) -> Result<(), &'static str> {
        let expires_text = match &args[1] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let (Some(key), Ok(expires), Some(signature), Some(3)) = (
            args[0].as_str(),
            expires_text.parse::<i64>(),
            args[2].as_str(),
            args.as_array().map(Vec::len),
        ) else {
            return Err("Params Error");
        };
        if expires <= now_ms() {
            return Err("Params Error");
        }
        let state = sim.lock();
        let payload = format!("GET/realtime{expires_text}");
        let Some(key) = state
            .keys
            .get(key)
            .filter(|key| signature_matches(&key.api_secret, &[payload.as_bytes()], signature))
        else {
            return Err("Request not authorized");
        };
        self.uid = Some(key.uid);
        Ok(())
    }

    fn subscribe(&mut self, on: bool, args: &Value) -> Result<(), &'static str> {
        if self.uid.is_none() {
            return Err("Request not authorized");
        }
        let topics: Vec<&str> = args
            .as_array()
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let well_formed = !topics.is_empty()
            && args.as_array().map(Vec::len) == Some(topics.len())
            && topics.iter().all(|t| TOPICS.contains(t));
        // One request cannot mix all-category topics with per-category ones.
        let per_category = topics.iter().filter(|t| t.contains('.')).count();
        if !well_formed || (per_category != 0 && per_category != topics.len()) {
            return Err("Params Error");
        }
        for topic in topics {
            if on {
                self.topics.insert(topic.to_owned());
            } else {
                self.topics.remove(topic);
            }
        }
        Ok(())
    }
}
