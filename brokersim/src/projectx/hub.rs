//! The SignalR user hub at `/hubs/user`, JSON protocol over WebSocket text frames.
//!
//! - Connect with `?access_token=<JWT>` (no negotiation needed), or negotiate first with
//!   `POST /hubs/user/negotiate?negotiateVersion=1` and connect with `?id=<connectionToken>`
//!   and the token. A bad or expired token is HTTP 401 before the upgrade; while a test holds
//!   the streams, new connections get HTTP 503.
//! - Every message ends with the record separator 0x1E; one frame may hold several, and a
//!   message may span frames. The first must be the handshake `{"protocol":"json","version":1}`,
//!   answered `{}` (anything else: `{"error":...}` and close).
//! - `Subscribe*`/`Unsubscribe*` (Accounts, Orders, Positions, Trades) take the account id as
//!   a number (`SubscribeAccounts` may also take none: every account of the user). With an
//!   `invocationId` they are answered by a completion (type 3), with `error` on a wrong target
//!   (case-sensitive), bad arguments, or an account not the user's; without one, by nothing.
//! - Events are invocations of `GatewayUser{Order,Position,Trade,Account}` with one argument,
//!   only for subscribed accounts. Pings `{"type":6}` go out every 15 s; a client silent for
//!   30 s is closed. A dropped stream gets `{"type":7,"error":...,"allowReconnect":true}`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::Sim;
use super::state::{HubClient, TokenCheck, Topic};

const HUB_PATH: &str = "/hubs/user";
const RECORD_SEPARATOR: char = '\u{1e}';
/// SignalR's default time for the client to send its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Deserialize)]
pub struct HubQuery {
    access_token: Option<String>,
    id: Option<String>,
}

/// The user behind the query's `access_token` or the bearer header, if the token is valid.
fn hub_user(sim: &Sim, query: &HubQuery, headers: &HeaderMap) -> Option<i64> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token = query.access_token.as_deref().or(from_header)?;
    match sim.lock().check_token(token, Utc::now()) {
        TokenCheck::Valid { user_id, .. } => Some(user_id),
        _ => None,
    }
}

pub async fn negotiate(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<HubQuery>,
    headers: HeaderMap,
) -> Response {
    if sim.common.streams.is_held() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let Some(user_id) = hub_user(&sim, &query, &headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let connection_token = uuid::Uuid::new_v4().simple().to_string();
    let connection_id = uuid::Uuid::new_v4().simple().to_string();
    sim.lock()
        .negotiations
        .insert(connection_token.clone(), user_id);
    Json(json!({
        "connectionToken": connection_token,
        "connectionId": connection_id,
        "negotiateVersion": 1,
        "availableTransports": [
            { "transport": "WebSockets", "transferFormats": ["Text", "Binary"] }
        ],
    }))
    .into_response()
}

pub async fn connect(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<HubQuery>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if sim.common.streams.is_held() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let Some(user_id) = hub_user(&sim, &query, &headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    if let Some(id) = &query.id {
        let mut state = sim.lock();
        if state.negotiations.get(id) != Some(&user_id) {
            return (StatusCode::NOT_FOUND, "No Connection with that ID").into_response();
        }
        state.negotiations.remove(id);
    }
    let Ok(upgrade) = upgrade else {
        return (StatusCode::BAD_REQUEST, "Connection ID required").into_response();
    };
    upgrade.on_upgrade(move |socket| serve(sim, user_id, socket))
}

/// The text of a message, with its record separator.
fn framed(message: &Value) -> String {
    let mut text = message.to_string();
    text.push(RECORD_SEPARATOR);
    text
}

async fn serve(sim: Arc<Sim>, user_id: i64, socket: WebSocket) {
    let _open = sim.common.streams.connected();
    let (outbox, inbox) = mpsc::unbounded_channel();
    let (client_id, keep_alive, client_timeout) = {
        let mut state = sim.lock();
        let client_id = state.ids.hub();
        state.hubs.insert(
            client_id,
            HubClient {
                subscriptions: Default::default(),
                outbox,
            },
        );
        (
            client_id,
            Duration::from_secs(state.config.keep_alive_seconds),
            Duration::from_secs(state.config.client_timeout_seconds),
        )
    };
    let mut connection = Connection {
        sim: &sim,
        client_id,
        user_id,
        socket,
        handshaken: false,
        buffer: String::new(),
    };
    connection.run(inbox, keep_alive, client_timeout).await;
    sim.lock().hubs.remove(&client_id);
}

/// Whether the connection goes on after a message.
#[derive(PartialEq, Eq)]
enum Next {
    Continue,
    Close,
}

struct Connection<'a> {
    sim: &'a Sim,
    client_id: u64,
    user_id: i64,
    socket: WebSocket,
    handshaken: bool,
    /// Text received after the last record separator (a message still arriving).
    buffer: String,
}

impl Connection<'_> {
    async fn run(
        &mut self,
        mut inbox: mpsc::UnboundedReceiver<String>,
        keep_alive: Duration,
        client_timeout: Duration,
    ) {
        let mut drops = self.sim.common.streams.drops();
        let started = Instant::now();
        let mut pings = tokio::time::interval_at(started + keep_alive, keep_alive);
        let mut last_heard = started;
        loop {
            let deadline = if self.handshaken {
                last_heard + client_timeout
            } else {
                (started + HANDSHAKE_TIMEOUT).min(last_heard + client_timeout)
            };
            tokio::select! {
                frame = self.socket.recv() => {
                    let text = match frame {
                        Some(Ok(Message::Text(text))) => text.to_string(),
                        Some(Ok(Message::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                            last_heard = Instant::now();
                            continue;
                        }
                        Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    };
                    last_heard = Instant::now();
                    self.sim.common.record_frame(HUB_PATH, &text);
                    if self.received(&text).await == Next::Close {
                        break;
                    }
                }
                Some(first) = inbox.recv() => {
                    // Events queued together leave in one frame, as SignalR batches writes.
                    let mut frame = first;
                    frame.push(RECORD_SEPARATOR);
                    while let Ok(more) = inbox.try_recv() {
                        frame.push_str(&more);
                        frame.push(RECORD_SEPARATOR);
                    }
                    if !self.send(frame).await {
                        break;
                    }
                }
                _ = pings.tick() => {
                    if self.handshaken && !self.send(framed(&json!({ "type": 6 }))).await {
                        break;
                    }
                }
                () = sleep_until(deadline) => {
                    let error = "Server timeout elapsed without receiving a message from the client.";
                    self.close_with(json!({ "type": 7, "error": error })).await;
                    break;
                }
                _ = drops.recv() => {
                    let error = "Server closed the connection.";
                    self.close_with(json!({ "type": 7, "error": error, "allowReconnect": true })).await;
                    break;
                }
            }
        }
    }

    async fn send(&mut self, text: String) -> bool {
        self.socket.send(Message::Text(text.into())).await.is_ok()
    }

    async fn close_with(&mut self, message: Value) {
        let _ = self.send(framed(&message)).await;
        let _ = self.socket.send(Message::Close(None)).await;
    }

    /// Handles every complete message the text finishes.
    async fn received(&mut self, text: &str) -> Next {
        self.buffer.push_str(text);
        let Some(end) = self.buffer.rfind(RECORD_SEPARATOR) else {
            return Next::Continue;
        };
        let complete: String = self.buffer.drain(..=end).collect();
        self.sim.common.delay().await;
        for message in complete
            .split(RECORD_SEPARATOR)
            .filter(|m| !m.trim().is_empty())
        {
            let next = if self.handshaken {
                self.message(message).await
            } else {
                self.handshake(message).await
            };
            if next == Next::Close {
                return Next::Close;
            }
        }
        Next::Continue
    }

    async fn handshake(&mut self, text: &str) -> Next {
        let request: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let protocol = request.get("protocol").and_then(Value::as_str);
        let version = request.get("version").and_then(Value::as_i64);
        let error = match (protocol, version) {
            (Some("json"), Some(1)) => None,
            (Some("json"), Some(other)) => Some(format!(
                "The server does not support version {other} of the 'json' protocol."
            )),
            (Some(other), _) => Some(format!("The protocol '{other}' is not supported.")),
            (None, _) => Some("Handshake request is not a valid JSON handshake.".to_owned()),
        };
        match error {
            None => {
                self.handshaken = true;
                if self.send(framed(&json!({}))).await {
                    Next::Continue
                } else {
                    Next::Close
                }
            }
            Some(error) => {
                self.close_with(json!({ "error": error })).await;
                Next::Close
            }
        }
    }

    async fn message(&mut self, text: &str) -> Next {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            let error =
                "Connection closed with an error. InvalidDataException: Error reading JSON.";
            self.close_with(json!({ "type": 7, "error": error })).await;
            return Next::Close;
        };
        match message.get("type").and_then(Value::as_i64) {
            Some(1) => {}
            Some(7) => return Next::Close,
            // Pings, and what a user hub does not use (client results, stream items).
            _ => return Next::Continue,
        }
        let target = message
            .get("target")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let arguments = message
            .get("arguments")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let outcome = self.invoke(target, &arguments);
        let Some(invocation_id) = message.get("invocationId").and_then(Value::as_str) else {
            return Next::Continue;
        };
        let completion = match outcome {
            Ok(()) => json!({ "type": 3, "invocationId": invocation_id, "result": null }),
            Err(error) => json!({ "type": 3, "invocationId": invocation_id, "error": error }),
        };
        if self.send(framed(&completion)).await {
            Next::Continue
        } else {
            Next::Close
        }
    }

    /// Runs a hub method: changes the connection's subscriptions.
    fn invoke(&self, target: &str, arguments: &[Value]) -> Result<(), String> {
        let (topic, subscribe) = match target {
            "SubscribeAccounts" => (Topic::Accounts, true),
            "UnsubscribeAccounts" => (Topic::Accounts, false),
            "SubscribeOrders" => (Topic::Orders, true),
            "UnsubscribeOrders" => (Topic::Orders, false),
            "SubscribePositions" => (Topic::Positions, true),
            "UnsubscribePositions" => (Topic::Positions, false),
            "SubscribeTrades" => (Topic::Trades, true),
            "UnsubscribeTrades" => (Topic::Trades, false),
            _ => return Err(format!("Unknown hub method '{target}'")),
        };
        let failed = |detail: String| {
            format!("Failed to invoke '{target}' due to an error on the server. {detail}")
        };
        let mut state = self.sim.lock();
        let accounts: Vec<i64> = match arguments {
            [] if topic == Topic::Accounts => state
                .accounts
                .values()
                .filter(|a| a.user_id == self.user_id)
                .map(|a| a.id)
                .collect(),
            [argument] => {
                let account_id = argument.as_i64().ok_or_else(|| {
                    failed("InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked.".to_owned())
                })?;
                if state.account_of(self.user_id, account_id).is_none() {
                    return Err(format!(
                        "An unexpected error occurred invoking '{target}' on the server. HubException: Account {account_id} not found."
                    ));
                }
                vec![account_id]
            }
            _ => {
                return Err(failed(format!(
                    "InvalidDataException: Invocation provides {} argument(s) but target expects 1.",
                    arguments.len()
                )));
            }
        };
        let Some(client) = state.hubs.get_mut(&self.client_id) else {
            return Err(failed("The connection is closing.".to_owned()));
        };
        for account_id in accounts {
            if subscribe {
                client.subscriptions.insert((topic, account_id));
            } else {
                client.subscriptions.remove(&(topic, account_id));
            }
        }
        Ok(())
    }
}
