//! The trading WebSocket at `/v1/websocket`, framed as Tradovate frames it (SockJS style):
//! the server sends `o` on open, `h` every 2.5 s, `a[…]` with JSON messages and `c[code,
//! "reason"]` before it closes.
//!
//! A client sends `endpoint\nrequestId\nquery\nbody` requests, first `authorize\n0\n\n<token>`
//! (answered `{"i":0,"s":200}`, or `s:401` with `d:"Invalid access token"`), then any REST
//! endpoint, answered `{"i":…,"s":…,"d":<the REST body>}`; `[]` is its heartbeat, and a socket
//! silent for longer than `heartbeatTimeoutSeconds` is closed. After a successful
//! `user/syncrequest` the socket receives `{"e":"props","d":{entityType, eventType, entity}}`
//! for the user's accounts. Past `socketsPerUser` sockets the oldest is closed and its token
//! revoked. A dropped stream (the common gate) closes every socket; while held, upgrades get
//! HTTP 503. Faults injected for `/v1/<endpoint>` apply to socket requests too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::api::{self, Call};
use super::auth;
use super::state::{Push, SocketEntry, State};
use super::sync::{self, Filter};
use super::wire::Answer;
use super::{Venue, error_body, parse_query};
use crate::common::FaultKind;

/// The path frames are journalled under.
pub(crate) const PATH: &str = "/v1/websocket";
const HEARTBEAT: Duration = Duration::from_millis(2500);

pub(crate) async fn upgrade(venue: Arc<Venue>, request: Request) -> Response {
    if venue.common.streams.is_held() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let (mut parts, _body) = request.into_parts();
    match <WebSocketUpgrade as axum::extract::FromRequestParts<()>>::from_request_parts(
        &mut parts,
        &(),
    )
    .await
    {
        Ok(upgrade) => upgrade.on_upgrade(move |socket| run(venue, socket)),
        Err(rejection) => rejection.into_response(),
    }
}

/// One socket's session.
struct Conn {
    id: u64,
    token: Option<String>,
    user_id: Option<i64>,
    filter: Option<Filter>,
    kick: mpsc::UnboundedSender<String>,
}

type Sink = SplitSink<WebSocket, Message>;

async fn send(sink: &mut Sink, frame: &str) -> Result<(), axum::Error> {
    sink.send(Message::Text(frame.to_owned().into())).await
}

async fn run(venue: Arc<Venue>, socket: WebSocket) {
    let _open = venue.common.streams.connected();
    let mut drops = venue.common.streams.drops();
    let mut events = venue.events.subscribe();
    let (kick, mut kicked) = mpsc::unbounded_channel::<String>();
    let (mut sink, mut source) = socket.split();
    let mut conn = Conn {
        id: venue.next_socket_id(),
        token: None,
        user_id: None,
        filter: None,
        kick,
    };
    let timeout = Duration::from_secs(venue.with_state(|s| s.config.heartbeat_timeout_seconds));
    let mut last_heard = Instant::now();
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    let close = if send(&mut sink, "o").await.is_err() {
        None
    } else {
        loop {
            let silence = tokio::time::sleep_until((last_heard + timeout).into());
            tokio::select! {
                frame = source.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        last_heard = Instant::now();
                        venue.common.record_frame(PATH, text.as_str());
                        let reply = handle(&venue, &mut conn, &mut events, text.as_str()).await;
                        if let Some(reply) = reply
                            && send(&mut sink, &reply).await.is_err()
                        {
                            break None;
                        }
                    }
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break None,
                    Some(Ok(_)) => last_heard = Instant::now(),
                },
                _ = beat.tick() => {
                    if send(&mut sink, "h").await.is_err() {
                        break None;
                    }
                }
                () = silence => break Some((3000, "No heartbeat from the client".to_owned())),
                received = events.recv(), if conn.filter.is_some() => match received {
                    Ok(first) => {
                        let mut batch = vec![first];
                        while let Ok(more) = events.try_recv() {
                            batch.push(more);
                        }
                        if let Some(frame) = props_frame(&conn, &batch)
                            && send(&mut sink, &frame).await.is_err()
                        {
                            break None;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        break Some((3002, "Too many events queued: sync again".to_owned()));
                    }
                    Err(broadcast::error::RecvError::Closed) => break None,
                },
                reason = kicked.recv() => break Some((3003, reason.unwrap_or_default())),
                _ = drops.recv() => break Some((3004, "The stream was dropped".to_owned())),
            }
        }
    };
    if let Some((code, reason)) = close {
        let _ = send(&mut sink, &format!("c{}", json!([code, reason]))).await;
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
    let id = conn.id;
    venue.with_state(|state| state.sockets.retain(|entry| entry.id != id));
}

/// Answers one client frame (`None`: no answer).
async fn handle(
    venue: &Venue,
    conn: &mut Conn,
    events: &mut broadcast::Receiver<Arc<Push>>,
    text: &str,
) -> Option<String> {
    if text.trim() == "[]" {
        return None;
    }
    let mut lines = text.splitn(4, '\n');
    let endpoint = lines.next().unwrap_or_default().trim().to_ascii_lowercase();
    let id_text = lines.next().unwrap_or_default().trim();
    let query = lines.next().unwrap_or_default();
    let body = lines.next().unwrap_or_default();
    if endpoint.is_empty() {
        return None;
    }
    let id = id_text
        .parse::<i64>()
        .map_or_else(|_| Value::String(id_text.to_owned()), Value::from);
    venue.common.delay().await;
    if endpoint == "authorize" {
        return Some(frame(authorize(venue, conn, &id, body.trim())));
    }
    let Some(token) = conn.token.clone() else {
        return Some(frame(
            json!({ "i": id, "s": 401, "d": "Not authorized: send authorize first" }),
        ));
    };
    let path = format!("/v1/{endpoint}");
    let mut answer_lost = false;
    match venue.common.take_fault(&path) {
        None => {}
        Some(FaultKind::Status { status, body, .. }) => {
            return Some(frame(json!({ "i": id, "s": status, "d": body })));
        }
        Some(FaultKind::VenueError { code, message }) => {
            return Some(frame(
                json!({ "i": id, "s": 200, "d": error_body(&path, code, &message) }),
            ));
        }
        Some(FaultKind::Timeout { .. }) => return None,
        Some(FaultKind::DropAnswer) => answer_lost = true,
    }
    let call = Call {
        method: None,
        endpoint: endpoint.clone(),
        query: parse_query(query),
        body: body.to_owned(),
        token: Some(token.clone()),
    };
    let syncing = endpoint == "user/syncrequest";
    let (answer, filter) = venue.with_state(|state| {
        if syncing {
            drain(events);
        }
        let answer = api::call(state, &call);
        let filter = (syncing && answer.is_success())
            .then(|| sync_filter(state, &token, body))
            .flatten();
        (answer, filter)
    });
    if filter.is_some() {
        conn.filter = filter;
    }
    (!answer_lost).then(|| frame(response(&id, &answer)))
}

/// Forgets the queued events: the snapshot taken under the same lock covers them, so the
/// pushes start after it.
fn drain(events: &mut broadcast::Receiver<Arc<Push>>) {
    use broadcast::error::TryRecvError;
    while !matches!(
        events.try_recv(),
        Err(TryRecvError::Empty | TryRecvError::Closed)
    ) {}
}

fn sync_filter(state: &State, token: &str, body: &str) -> Option<Filter> {
    let ctx = auth::authenticate(state, Some(token))?;
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(body) else {
        return None;
    };
    sync::parse(state, &ctx, &fields).ok()
}

fn authorize(venue: &Venue, conn: &mut Conn, id: &Value, token: &str) -> Value {
    let (socket_id, kick) = (conn.id, conn.kick.clone());
    let ctx = venue.with_state(|state| {
        let ctx = auth::authenticate(state, Some(token))?;
        state.sockets.retain(|entry| entry.id != socket_id);
        state.sockets.push(SocketEntry {
            id: socket_id,
            user_id: ctx.user_id,
            session_id: ctx.session_id,
            kick,
        });
        enforce_socket_limit(state, ctx.user_id);
        Some(ctx)
    });
    match ctx {
        Some(ctx) => {
            conn.token = Some(ctx.token);
            conn.user_id = Some(ctx.user_id);
            json!({ "i": id, "s": 200 })
        }
        None => json!({ "i": id, "s": 401, "d": "Invalid access token" }),
    }
}

/// Past the per-user limit, closes the user's oldest sockets and revokes their tokens.
fn enforce_socket_limit(state: &mut State, user_id: i64) {
    let limit = state.config.sockets_per_user.max(1);
    while state
        .sockets
        .iter()
        .filter(|e| e.user_id == user_id)
        .count()
        > limit
    {
        let Some(index) = state
            .sockets
            .iter()
            .enumerate()
            .filter(|(_, entry)| entry.user_id == user_id)
            .min_by_key(|(_, entry)| entry.id)
            .map(|(index, _)| index)
        else {
            return;
        };
        let oldest = state.sockets.remove(index);
        let _ = oldest
            .kick
            .send("Connection limit reached: the oldest connection was closed".to_owned());
        if let Some(session) = state.sessions.get_mut(&oldest.session_id) {
            session.revoked = true;
        }
    }
}

/// A response message `{i, s, d}` (429 has no `d`, as Tradovate sends it).
fn response(id: &Value, answer: &Answer) -> Value {
    let mut message = json!({ "i": id, "s": answer.status });
    match (&answer.body, answer.status) {
        (Some(body), _) => message["d"] = body.clone(),
        (None, 429 | 200) => {}
        (None, 401) => message["d"] = json!("Access is denied"),
        (None, 404) => message["d"] = json!("Not found"),
        (None, status) => message["d"] = json!(format!("HTTP {status}")),
    }
    message
}

fn frame(message: Value) -> String {
    format!("a{}", Value::Array(vec![message]))
}

fn props_frame(conn: &Conn, batch: &[Arc<Push>]) -> Option<String> {
    let (user_id, filter) = (conn.user_id?, conn.filter.as_ref()?);
    let messages: Vec<Value> = batch
        .iter()
        .filter(|push| filter.wants(user_id, push))
        .map(|push| {
            json!({ "e": "props", "d": {
                "entityType": push.entity_type,
                "eventType": push.event_type,
                "entity": push.entity,
            } })
        })
        .collect();
    (!messages.is_empty()).then(|| format!("a{}", Value::Array(messages)))
}
