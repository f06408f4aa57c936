//! Live updates over WebSocket, as the web app and integrators receive them, and the limits
//! that keep one client from turning a socket into much more (docs/security.md).

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message;

use crate::support::live::{
    FILLS, Socket, connect, connect_as, connect_with, error_code, init, send, socket_request,
    subscribe, until,
};
use crate::support::trading::{copying_trader, post_signal};
use crate::support::{Backend, Caller, TestApp, gql_on, on_both_databases};

/// The next JSON text message, skipping keep-alives; `None` when the server closed. Fails if
/// nothing comes within 5 s.
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
    assert_eq!(
        init(&mut socket, json!({})).await.unwrap()["type"],
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

/// Posts a signal to the trader's webhook and waits for its fill on `socket` (operation
/// `fills`): the socket speaks for that trader.
async fn assert_receives_own_fill(
    server: &crate::support::RunningServer,
    socket: &mut Socket,
    webhook: &str,
    account: &Value,
) {
    let sent = post_signal(
        &server.router,
        webhook,
        r#"{"ticker":"ES1!","action":"buy","quantity":1}"#,
    )
    .await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    let fill = until(socket, "a fill", |message| message["id"] == "fills").await;
    assert_eq!(
        fill["payload"]["data"]["tradeFills"]["tradingAccountId"], *account,
        "{fill}"
    );
}

on_both_databases!(a_socket_authenticates_in_connection_init_and_closes_when_sessions_are_revoked);

async fn a_socket_authenticates_in_connection_init_and_closes_when_sessions_are_revoked(
    backend: Backend,
) {
    let app = TestApp::new(backend).await;
    let (trader, webhook, account) = copying_trader(&app, "trader@example.com").await;
    let token = trader.token.clone().unwrap();
    let server = app.serve().await;
    let mut socket = connect_as(server.addr, &token).await.unwrap();
    subscribe(&mut socket, "fills", FILLS).await;
    assert_receives_own_fill(&server, &mut socket, &webhook, &account).await;
    subscribe(&mut socket, "clock", "subscription { serverTime }").await;

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
        connect_as(server.addr, &token).await.is_err(),
        "a revoked token was accepted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_is_refused_and_anonymous_sockets_are_not_logged_in() {
    let server = TestApp::new(Backend::Sqlite).await.serve().await;
    assert!(connect_as(server.addr, "not-a-token").await.is_err());
    let mut socket = connect(server.addr, "graphql-transport-ws").await;
    send(&mut socket, json!({ "type": "connection_init" })).await;
    next_json(&mut socket).await.unwrap();
    subscribe(&mut socket, "fills", FILLS).await;
    let answer = next_json(&mut socket).await.unwrap();
    assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_sent_with_the_upgrade_authenticates_and_other_sites_are_refused() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (trader, webhook, account) = copying_trader(&app, "trader@example.com").await;
    let token = trader.token.clone().unwrap();
    let server = app.serve().await;

    let mut from_elsewhere = socket_request(server.addr);
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
    let mut stale = socket_request(server.addr);
    stale.headers_mut().insert(
        "cookie",
        "copytrade_session=expired.or.revoked".parse().unwrap(),
    );
    let mut visitor = connect_with(stale, "graphql-transport-ws").await;
    assert_eq!(
        init(&mut visitor, json!({})).await.unwrap()["type"],
        "connection_ack"
    );

    let mut from_us = socket_request(server.addr);
    from_us
        .headers_mut()
        .insert("origin", format!("http://{}", server.addr).parse().unwrap());
    from_us.headers_mut().insert(
        "cookie",
        format!("copytrade_session={token}").parse().unwrap(),
    );
    let mut socket = connect_with(from_us, "graphql-transport-ws").await;
    assert_eq!(
        init(&mut socket, json!({})).await.unwrap()["type"],
        "connection_ack"
    );
    subscribe(&mut socket, "fills", FILLS).await;
    assert_receives_own_fill(&server, &mut socket, &webhook, &account).await;
}

on_both_databases!(queries_and_mutations_over_the_websocket_are_refused);

/// The per-IP limit sees only the upgrade, so operations sent over the socket would escape it
/// (and a login over it would escape the login limits' view of the request): the socket runs
/// subscriptions only.
async fn queries_and_mutations_over_the_websocket_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = app.register_trader("trader@example.com").await;
    let server = app.serve().await;
    let mut socket = connect_as(server.addr, trader.token.as_deref().unwrap())
        .await
        .unwrap();

    // More wrong passwords than the login limits allow (10 per IP, 10 per account).
    for attempt in 0..11 {
        let id = format!("guess{attempt}");
        send(
            &mut socket,
            json!({ "id": id, "type": "subscribe", "payload": {
                "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                "variables": { "e": "trader@example.com", "p": format!("wrong guess {attempt}") } } }),
        )
        .await;
        let answer = until(&mut socket, "the refusal", |message| {
            message["id"] == id.as_str()
        })
        .await;
        assert_eq!(error_code(&answer), "BAD_REQUEST", "{answer}");
        assert!(
            answer["payload"]["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("HTTP POST /graphql"),
            "{answer}"
        );
        assert!(answer["payload"]["data"].is_null(), "{answer}");
    }
    subscribe(&mut socket, "me", "{ me { email } }").await;
    let answer = until(&mut socket, "the refusal", |message| message["id"] == "me").await;
    assert_eq!(error_code(&answer), "BAD_REQUEST", "{answer}");
    assert!(answer["payload"]["data"].is_null(), "{answer}");

    // None of the guesses ran or counted: from the socket's own address, the right password
    // still logs in (11 counted attempts would have locked both the address and the account).
    let login = gql_on(
        &server.router,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        json!({ "e": "trader@example.com", "p": "a long trading passphrase" }),
        &Caller::from_ip([127, 0, 0, 1]),
    )
    .await
    .json();
    assert!(login["data"]["login"]["token"].is_string(), "{login}");
    // The socket is still open for what it is for.
    subscribe(&mut socket, "clock", "subscription { serverTime }").await;
    let tick = until(&mut socket, "a tick", |message| message["id"] == "clock").await;
    time_of(&tick);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_holds_at_most_25_subscriptions() {
    let server = TestApp::new(Backend::Sqlite).await.serve().await;
    let mut socket = connect(server.addr, "graphql-transport-ws").await;
    init(&mut socket, json!({})).await.unwrap();
    let clock = "subscription { serverTime }";
    let ids: Vec<String> = (0..25).map(|n| format!("clock{n}")).collect();
    for id in &ids {
        subscribe(&mut socket, id, clock).await;
    }
    ticks_from_each(&mut socket, &ids).await;

    subscribe(&mut socket, "one too many", clock).await;
    let refused = until(&mut socket, "the refusal", |message| {
        message["id"] == "one too many"
    })
    .await;
    assert_eq!(error_code(&refused), "RATE_LIMITED", "{refused}");
    let complete = until(&mut socket, "its end", |message| {
        message["id"] == "one too many"
    })
    .await;
    assert_eq!(complete["type"], "complete", "{complete}");
    // The 25 keep running.
    ticks_from_each(&mut socket, &ids).await;

    // Ending one frees its place.
    send(&mut socket, json!({ "id": "clock0", "type": "complete" })).await;
    subscribe(&mut socket, "in its place", clock).await;
    let tick = until(&mut socket, "a tick", |message| {
        message["id"] == "in its place"
    })
    .await;
    time_of(&tick);
}

/// Waits until every one of `ids` has delivered a tick.
async fn ticks_from_each(socket: &mut Socket, ids: &[String]) {
    let mut waiting: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    while !waiting.is_empty() {
        let tick = until(socket, "a tick from every subscription", |message| {
            message["type"] == "next"
        })
        .await;
        time_of(&tick);
        waiting.remove(tick["id"].as_str().unwrap_or_default());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_holds_a_bounded_number_of_sockets() {
    let app = TestApp::new(Backend::Sqlite).await;
    let trader = app.register_trader("trader@example.com").await;
    let other = app.register_trader("other@example.com").await;
    let server = app.serve().await;
    let token = trader.token.as_deref().unwrap();
    let mut open = Vec::new();
    for _ in 0..10 {
        open.push(connect_as(server.addr, token).await.unwrap());
    }
    let refused = connect_as(server.addr, token).await.err();
    assert!(
        refused
            .as_deref()
            .is_some_and(|reason| reason.contains("10 live connections")),
        "the 11th socket was not refused for the limit: {refused:?}"
    );
    // The limit is the user's: others and visitors still connect.
    connect_as(server.addr, other.token.as_deref().unwrap())
        .await
        .unwrap();
    let mut visitor = connect(server.addr, "graphql-transport-ws").await;
    assert_eq!(
        init(&mut visitor, json!({})).await.unwrap()["type"],
        "connection_ack"
    );

    // Closing one gives its place back.
    let mut closed = open.pop().unwrap();
    closed.close(None).await.unwrap();
    while let Some(Ok(_)) = closed.next().await {}
    open.push(connect_as(server.addr, token).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_disconnected() {
    let server = TestApp::with_env(Backend::Sqlite, &[("COPYTRADE_WS_KEEPALIVE_SECONDS", "1")])
        .await
        .serve()
        .await;
    // A client that answers pings (tungstenite does while it reads, as browsers do)...
    let (answering, _) = subscribe_to_clock(server.addr, "graphql-transport-ws").await;
    let (silent_closed, closed_seen) = tokio::sync::oneshot::channel();
    let answering = tokio::spawn(keep_reading(answering, closed_seen));
    // ...and one that went silent after the handshake: it reads the raw connection, so no
    // pong ever goes back.
    let mut silent = connect(server.addr, "graphql-transport-ws").await;
    init(&mut silent, json!({})).await.unwrap();
    let MaybeTlsStream::Plain(raw) = silent.get_mut() else {
        panic!("a plain TCP socket was expected");
    };
    let mut buffer = [0_u8; 1024];
    let started = tokio::time::Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match raw.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the silent client was still connected after 10 s (pinging every second)"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "closed before a single ping could go unanswered"
    );
    silent_closed.send(()).unwrap();
    let pings = answering.await.unwrap();
    assert!(pings > 0, "the server never pinged the answering client");
}

/// Reads (and so answers pings) until told the silent client is gone, then for three more
/// ticks; the pings it saw. Fails if the server drops it.
async fn keep_reading(
    mut socket: Socket,
    mut silent_closed: tokio::sync::oneshot::Receiver<()>,
) -> usize {
    let (mut pings, mut ticks_after) = (0, None::<usize>);
    while ticks_after.is_none_or(|ticks| ticks < 3) {
        if ticks_after.is_none() && silent_closed.try_recv().is_ok() {
            ticks_after = Some(0);
        }
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("the answering client heard nothing for 5 s")
            .expect("the answering client was disconnected")
            .expect("the answering client was disconnected");
        match frame {
            Message::Ping(_) => pings += 1,
            Message::Text(text) => {
                time_of(&serde_json::from_str(&text).unwrap());
                ticks_after = ticks_after.map(|ticks| ticks + 1);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    pings
}
