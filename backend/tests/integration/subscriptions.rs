//! Live updates over WebSocket, as the web app and integrators receive them.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::support::{Backend, Caller, TestApp, gql_on, on_both_databases};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(addr: SocketAddr, protocol: &str) -> Socket {
    let request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    connect_with(request, protocol).await
}

async fn connect_with(
    mut request: tokio_tungstenite::tungstenite::handshake::client::Request,
    protocol: &str,
) -> Socket {
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().unwrap());
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

/// The next JSON text message, skipping keep-alives; `None` when the server closed.
async fn next_json(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("no message within 5 s")?;
        match message {
            Ok(Message::Text(text)) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] != "ka" && value["type"] != "ping" {
                    return Some(value);
                }
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

fn time_of(message: &Value) -> DateTime<Utc> {
    let raw = message["payload"]["data"]["serverTime"]
        .as_str()
        .unwrap_or_else(|| panic!("{message}"));
    raw.parse().unwrap()
}

/// Connects with `protocol`, completes the handshake, subscribes to the clock as `clock`, and
/// returns the socket with the first message the subscription produced.
async fn subscribe_to_clock(addr: SocketAddr, protocol: &str) -> (Socket, Value) {
    let mut socket = connect(addr, protocol).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": {} }),
    )
    .await;
    assert_eq!(
        next_json(&mut socket).await.unwrap()["type"],
        "connection_ack"
    );
    // The two protocols name the same message differently.
    let subscribe = if protocol == "graphql-ws" {
        "start"
    } else {
        "subscribe"
    };
    send(
        &mut socket,
        json!({ "id": "clock", "type": subscribe, "payload": { "query": "subscription { serverTime }" } }),
    )
    .await;
    let first = next_json(&mut socket).await.unwrap();
    (socket, first)
}

on_both_databases!(server_time_ticks_once_a_second_over_graphql_transport_ws);

async fn server_time_ticks_once_a_second_over_graphql_transport_ws(backend: Backend) {
    let server = TestApp::new(backend).await.serve().await;
    let (mut socket, first) = subscribe_to_clock(server.addr, "graphql-transport-ws").await;
    assert_eq!(
        (first["type"].as_str(), first["id"].as_str()),
        (Some("next"), Some("clock")),
        "{first}"
    );
    let second = next_json(&mut socket).await.unwrap();
    let gap = time_of(&second) - time_of(&first);
    assert!(
        gap >= chrono::Duration::milliseconds(900) && gap <= chrono::Duration::milliseconds(1500),
        "ticks {gap} apart"
    );
    assert!(
        (Utc::now() - time_of(&second)).num_seconds().abs() < 5,
        "not the current time"
    );

    send(&mut socket, json!({ "id": "clock", "type": "complete" })).await;
    send(&mut socket, json!({ "type": "ping" })).await;
    // After `complete` the server may confirm it, and then must send no further ticks.
    loop {
        let message = next_json(&mut socket).await.unwrap();
        match message["type"].as_str() {
            Some("pong") => break,
            Some("complete") => assert_eq!(message["id"], "clock"),
            _ => panic!("unexpected after complete: {message}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legacy_graphql_ws_protocol_still_works() {
    let server = TestApp::new(Backend::Sqlite).await.serve().await;
    let (_socket, data) = subscribe_to_clock(server.addr, "graphql-ws").await;
    assert_eq!(
        (data["type"].as_str(), data["id"].as_str()),
        (Some("data"), Some("clock")),
        "{data}"
    );
    time_of(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_subscriptions_and_stops_promptly() {
    let mut server = TestApp::new(Backend::Sqlite).await.serve().await;
    let (mut socket, _) = subscribe_to_clock(server.addr, "graphql-transport-ws").await;

    server.stop();
    // The grace period is 5 s; an open subscription must not hold the server that long.
    let stopped = tokio::time::timeout(Duration::from_secs(3), &mut server.task).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "server did not stop cleanly: {stopped:?}"
    );
    while next_json(&mut socket).await.is_some() {}
}

/// Asks who is logged in on this socket (a query over the subscription protocol).
async fn ask_me(socket: &mut Socket) -> Value {
    let query =
        json!({ "id": "me", "type": "subscribe", "payload": { "query": "{ me { email } }" } });
    send(socket, query).await;
    next_json(socket).await.unwrap()
}

/// Registers a trader on the running server and returns the session token.
async fn register(server: &crate::support::RunningServer) -> String {
    let answer = gql_on(
        &server.router,
        "mutation { register(email: \"trader@example.com\", password: \"a long trading passphrase\") { token } }",
        json!({}),
        &Caller::default(),
    )
    .await
    .json();
    answer["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Opens an authenticated graphql-transport-ws connection.
async fn connect_as(addr: SocketAddr, token: &str) -> Option<Socket> {
    let mut socket = connect(addr, "graphql-transport-ws").await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "token": token } }),
    )
    .await;
    let ack = next_json(&mut socket).await?;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    Some(socket)
}

on_both_databases!(a_socket_authenticates_in_connection_init_and_closes_when_sessions_are_revoked);

async fn a_socket_authenticates_in_connection_init_and_closes_when_sessions_are_revoked(
    backend: Backend,
) {
    let server = TestApp::new(backend).await.serve().await;
    let token = register(&server).await;
    let mut socket = connect_as(server.addr, &token).await.unwrap();
    let me = ask_me(&mut socket).await;
    assert_eq!(
        me["payload"]["data"]["me"]["email"], "trader@example.com",
        "{me}"
    );
    send(&mut socket, json!({ "id": "clock", "type": "subscribe", "payload": { "query": "subscription { serverTime }" } })).await;

    let logout = gql_on(
        &server.router,
        "mutation { logoutEverywhere }",
        json!({}),
        &Caller::with_token(&token),
    )
    .await;
    assert_eq!(logout.json()["data"]["logoutEverywhere"], true);
    // The socket ends: after at most a tick or two in flight, the server closes it.
    let mut after = 0;
    while next_json(&mut socket).await.is_some() {
        after += 1;
        assert!(after < 3, "the socket stayed open after logoutEverywhere");
    }
    // The old token no longer opens a socket.
    assert!(
        connect_as(server.addr, &token).await.is_none(),
        "a revoked token was accepted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_is_refused_and_anonymous_sockets_are_not_logged_in() {
    let server = TestApp::new(Backend::Sqlite).await.serve().await;
    assert!(connect_as(server.addr, "not-a-token").await.is_none());
    let mut socket = connect(server.addr, "graphql-transport-ws").await;
    send(&mut socket, json!({ "type": "connection_init" })).await;
    next_json(&mut socket).await.unwrap();
    let answer = ask_me(&mut socket).await;
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_sent_with_the_upgrade_authenticates_and_other_sites_are_refused() {
    let server = TestApp::new(Backend::Sqlite).await.serve().await;
    let token = register(&server).await;
    let url = format!("ws://{}/graphql/ws", server.addr);

    let mut from_elsewhere = url.as_str().into_client_request().unwrap();
    from_elsewhere
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    from_elsewhere.headers_mut().insert(
        "cookie",
        format!("copytrade_session={token}").parse().unwrap(),
    );
    from_elsewhere.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let refused = tokio_tungstenite::connect_async(from_elsewhere).await;
    assert!(
        matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(response)) if response.status() == 403),
        "{refused:?}"
    );

    // A stale cookie makes a visitor, not a refused connection.
    let mut stale = url.as_str().into_client_request().unwrap();
    stale.headers_mut().insert(
        "cookie",
        "copytrade_session=expired.or.revoked".parse().unwrap(),
    );
    let mut visitor = connect_with(stale, "graphql-transport-ws").await;
    send(&mut visitor, json!({ "type": "connection_init" })).await;
    assert_eq!(
        next_json(&mut visitor).await.unwrap()["type"],
        "connection_ack"
    );

    let mut from_us = url.as_str().into_client_request().unwrap();
    from_us
        .headers_mut()
        .insert("origin", format!("http://{}", server.addr).parse().unwrap());
    from_us.headers_mut().insert(
        "cookie",
        format!("copytrade_session={token}").parse().unwrap(),
    );
    let mut socket = connect_with(from_us, "graphql-transport-ws").await;
    send(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(
        next_json(&mut socket).await.unwrap()["type"],
        "connection_ack"
    );
    let me = ask_me(&mut socket).await;
    assert_eq!(
        me["payload"]["data"]["me"]["email"], "trader@example.com",
        "{me}"
    );
}
