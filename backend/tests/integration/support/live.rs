//! The live feed as a client sees it: a GraphQL-over-WebSocket subscription.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;

use super::Caller;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The socket's address on a running server, as a request to adjust before connecting.
pub fn socket_request(addr: SocketAddr) -> Request {
    format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap()
}

/// Opens `/graphql/ws` speaking `protocol`, which the server must select.
pub async fn connect(addr: SocketAddr, protocol: &str) -> Socket {
    connect_with(socket_request(addr), protocol).await
}

pub async fn connect_with(mut request: Request, protocol: &str) -> Socket {
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().unwrap());
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
    socket
}

pub async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

/// Starts operation `id` (graphql-transport-ws).
pub async fn subscribe(socket: &mut Socket, id: &str, query: &str) {
    send(
        socket,
        json!({ "id": id, "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
}

/// Sends `connection_init` with `payload`; the server's answer, or `None` if it closed the
/// socket instead (with its reason).
pub async fn init(socket: &mut Socket, payload: Value) -> Result<Value, String> {
    send(
        socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("no answer to connection_init within 5 s");
        match message {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(frame))) => {
                return Err(frame.map(|f| f.reason.to_string()).unwrap_or_default());
            }
            Some(Ok(_)) => {}
            Some(Err(err)) => return Err(err.to_string()),
            None => return Err("closed".into()),
        }
    }
}

/// Opens an authenticated graphql-transport-ws connection; the close reason if refused.
pub async fn connect_as(addr: SocketAddr, token: &str) -> Result<Socket, String> {
    let mut socket = connect(addr, "graphql-transport-ws").await;
    let ack = init(&mut socket, json!({ "token": token })).await?;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    Ok(socket)
}

/// Opens a socket as `trader` and subscribes to their fills.
pub async fn subscribe_to_fills(addr: SocketAddr, trader: &Caller) -> Socket {
    let mut socket = connect_as(addr, trader.token.as_deref().unwrap())
        .await
        .unwrap();
    subscribe(&mut socket, "fills", FILLS).await;
    socket
}

pub const FILLS: &str =
    "subscription { tradeFills { tradingAccountId symbol side quantity price signalId } }";

/// The next message, or `None` if none comes within `wait` or the server closed.
pub async fn next_within(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(wait, socket.next())
            .await
            .ok()??
            .ok()?;
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] != "ping" && value["type"] != "ka" {
                    return Some(value);
                }
            }
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

pub async fn next_message(socket: &mut Socket) -> Option<Value> {
    next_within(socket, Duration::from_secs(5)).await
}

/// Reads until a message satisfies `wanted` and returns it; fails after 10 s or on close.
pub async fn until(socket: &mut Socket, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let message = next_within(socket, left)
            .await
            .unwrap_or_else(|| panic!("no {what} within 10 s (or the socket closed)"));
        if wanted(&message) {
            return message;
        }
    }
}

/// The `code` of an operation's first error.
pub fn error_code(message: &Value) -> &str {
    message["payload"]["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}
