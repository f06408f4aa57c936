//! The live feed as a client sees it: a GraphQL-over-WebSocket subscription.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::Caller;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a socket as `trader` and subscribes to their fills.
pub async fn subscribe_to_fills(addr: std::net::SocketAddr, trader: &Caller) -> Socket {
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let token = trader.token.clone().unwrap();
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": { "token": token } }).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(
        next_message(&mut socket).await.unwrap()["type"],
        "connection_ack"
    );
    let query =
        "subscription { tradeFills { tradingAccountId symbol side quantity price signalId } }";
    socket
        .send(Message::text(
            json!({ "id": "fills", "type": "subscribe", "payload": { "query": query } })
                .to_string(),
        ))
        .await
        .unwrap();
    socket
}

/// The next message, or `None` if none comes within `wait`.
pub async fn next_within(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(wait, socket.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] != "ping" && value["type"] != "ka" {
                return Some(value);
            }
        }
    }
}

pub async fn next_message(socket: &mut Socket) -> Option<Value> {
    next_within(socket, Duration::from_secs(5)).await
}
