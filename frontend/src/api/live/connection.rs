//! The connection task: one socket at a time, for as long as the [`LiveClient`] exists.
//!
//! A session opens the socket, sends `connection_init`, waits for `connection_ack` (10 s at
//! most), then pumps frames both ways until the socket drops. Anything that breaks the protocol
//! ends the session the same way: the socket is dropped (which closes it) and [`run`] waits
//! out the backoff before the next one. A probe every 15 s of silence (`ping`, answered by
//! `pong`) finds sockets that died without a close frame, which browsers otherwise notice
//! only minutes later. A restart request ([`LiveClient::reconnect`]) ends the session in any
//! phase, and the next one starts at once: a socket opened before the request may carry the
//! old session cookie, so even one still waiting for its acknowledgement is replaced.
//!
//! [`LiveClient`]: super::LiveClient

use std::cell::RefCell;
use std::rc::Weak;

use futures::channel::mpsc::{self, TryRecvError, UnboundedReceiver};
use futures::stream::{SplitSink, SplitStream};
use futures::{FutureExt, SinkExt, StreamExt};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use gloo_timers::future::{IntervalStream, TimeoutFuture};

use super::backoff::Backoff;
use super::protocol::{ClientMessage, SUBPROTOCOL, ServerMessage};
use super::{Delivery, LinkStatus, Shared};

const ACK_TIMEOUT_MS: u32 = 10_000;
const PROBE_INTERVAL_MS: u32 = 15_000;
const MIN_RETRY_MS: u32 = 1_000;
const MAX_RETRY_MS: u32 = 30_000;

type Sink = SplitSink<WebSocket, Message>;
type Source = SplitStream<WebSocket>;

/// How a session ended.
enum SessionEnd {
    /// The client was dropped: stop for good.
    ClientGone,
    /// It never got acknowledged.
    Failed,
    /// It was live, then dropped: the server is probably back soon, so retry quickly.
    Dropped,
    /// The app asked for a new socket: open it now.
    Restart,
}

/// Connects, and reconnects whenever the connection ends, until the client is dropped.
pub(super) async fn run(
    shared: Weak<RefCell<Shared>>,
    path: &'static str,
    mut restarts: UnboundedReceiver<()>,
) {
    let mut backoff = Backoff::new(MIN_RETRY_MS, MAX_RETRY_MS);
    loop {
        // Requests made before this socket opens are served by opening it.
        if !drain(&mut restarts) {
            return;
        }
        let end = match same_origin_ws_url(path) {
            Some(url) => session(&shared, &url, &mut restarts).await,
            None => SessionEnd::Failed,
        };
        match end {
            SessionEnd::ClientGone => return,
            SessionEnd::Restart => {
                backoff.reset();
                continue;
            }
            SessionEnd::Dropped => backoff.reset(),
            SessionEnd::Failed => {}
        }
        let Some(state) = shared.upgrade() else {
            return;
        };
        Shared::set_status(&state, LinkStatus::Reconnecting);
        drop(state);
        let mut delay = TimeoutFuture::new(backoff.next_delay_ms(js_sys::Math::random())).fuse();
        futures::select! {
            () = delay => {}
            restart = restarts.next() => if restart.is_none() {
                return;
            },
        }
    }
}

/// `ws://host/path` for a page served over `http:`, `wss://` for `https:`.
fn same_origin_ws_url(path: &str) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().ok()?;
    Some(format!("{scheme}://{host}{path}"))
}

/// One socket, from opening to its end.
async fn session(
    shared: &Weak<RefCell<Shared>>,
    url: &str,
    restarts: &mut UnboundedReceiver<()>,
) -> SessionEnd {
    let Ok(socket) = WebSocket::open_with_protocol(url, SUBPROTOCOL) else {
        return SessionEnd::Failed;
    };
    let (mut sink, mut source) = socket.split();
    // Sending waits for the socket to open; a socket that fails to open shows up as an error
    // on `source` right after.
    if !send(&mut sink, &ClientMessage::ConnectionInit { payload: None }).await {
        return SessionEnd::Failed;
    }
    match await_ack(&mut sink, &mut source, restarts).await {
        Handshake::Acknowledged => {}
        Handshake::Failed => return SessionEnd::Failed,
        Handshake::Restart => return SessionEnd::Restart,
        Handshake::ClientGone => return SessionEnd::ClientGone,
    }

    let (outbox, mut queue) = mpsc::unbounded::<String>();
    match shared.upgrade() {
        Some(state) => Shared::go_live(&state, outbox),
        None => return SessionEnd::ClientGone,
    }

    let mut probe = IntervalStream::new(PROBE_INTERVAL_MS).fuse();
    let mut heard = true;
    let mut probing = false;
    loop {
        futures::select! {
            frame = source.next().fuse() => {
                let Some(Ok(Message::Text(text))) = frame else { break };
                heard = true;
                let Some(message) = ServerMessage::parse(&text) else { break };
                if !handle(shared, &mut sink, message).await {
                    break;
                }
            }
            frame = queue.next() => match frame {
                Some(text) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
                // The outbox lives in the shared state: the client is gone.
                None => return SessionEnd::ClientGone,
            },
            restart = restarts.next() => {
                let end = if restart.is_some() { SessionEnd::Restart } else { SessionEnd::ClientGone };
                if let Some(state) = shared.upgrade() {
                    Shared::go_offline(&state);
                }
                return end;
            },
            _ = probe.next() => {
                if heard {
                    heard = false;
                    probing = false;
                } else if probing {
                    // A whole interval without even a pong: the socket is dead.
                    break;
                } else {
                    probing = true;
                    if !send(&mut sink, &ClientMessage::Ping).await {
                        break;
                    }
                }
            }
        }
    }
    match shared.upgrade() {
        Some(state) => {
            Shared::go_offline(&state);
            SessionEnd::Dropped
        }
        None => SessionEnd::ClientGone,
    }
}

/// How the wait for `connection_ack` ended.
enum Handshake {
    Acknowledged,
    Failed,
    /// A restart was asked for meanwhile.
    Restart,
    ClientGone,
}

/// Waits for `connection_ack`, answering pings meanwhile. Anything else fails the session.
async fn await_ack(
    sink: &mut Sink,
    source: &mut Source,
    restarts: &mut UnboundedReceiver<()>,
) -> Handshake {
    let mut deadline = TimeoutFuture::new(ACK_TIMEOUT_MS).fuse();
    loop {
        futures::select! {
            () = deadline => return Handshake::Failed,
            restart = restarts.next() => {
                return if restart.is_some() { Handshake::Restart } else { Handshake::ClientGone };
            }
            frame = source.next().fuse() => {
                let Some(Ok(Message::Text(text))) = frame else { return Handshake::Failed };
                match ServerMessage::parse(&text) {
                    Some(ServerMessage::ConnectionAck) => return Handshake::Acknowledged,
                    Some(ServerMessage::Ping) => {
                        if !send(sink, &ClientMessage::Pong).await {
                            return Handshake::Failed;
                        }
                    }
                    Some(ServerMessage::Pong) => {}
                    _ => return Handshake::Failed,
                }
            }
        }
    }
}

/// Acts on one message of a live session; `false` ends the session.
async fn handle(shared: &Weak<RefCell<Shared>>, sink: &mut Sink, message: ServerMessage) -> bool {
    let (id, delivery) = match message {
        ServerMessage::Ping => return send(sink, &ClientMessage::Pong).await,
        ServerMessage::Pong | ServerMessage::ConnectionAck => return true,
        ServerMessage::Next { id, payload } => (id, Delivery::Next(payload)),
        ServerMessage::Error { id, payload } => (id, Delivery::Error(payload)),
        ServerMessage::Complete { id } => (id, Delivery::Complete),
    };
    if let Some(state) = shared.upgrade() {
        Shared::deliver(&state, &id, delivery);
    }
    true
}

/// Takes the restart requests already made; `false` once the client is gone.
fn drain(restarts: &mut UnboundedReceiver<()>) -> bool {
    loop {
        match restarts.try_recv() {
            Ok(()) => {}
            Err(TryRecvError::Closed) => return false,
            Err(TryRecvError::Empty) => return true,
        }
    }
}

async fn send(sink: &mut Sink, message: &ClientMessage<'_>) -> bool {
    sink.send(Message::Text(message.to_text())).await.is_ok()
}
