//! The connection task: one socket at a time, for as long as the [`LiveClient`] exists.
//!
//! A session opens the socket, sends `connection_init`, waits for `connection_ack` (10 s at
//! most), then pumps frames both ways until the socket drops. Anything that breaks the protocol
//! ends the session the same way: the socket is dropped (which closes it) and [`run`] waits
//! out the backoff before the next one. A probe every 15 s of silence (`ping`, answered by
//! `pong`) finds sockets that died without a close frame, which browsers otherwise notice
//! only minutes later.
//!
//! [`LiveClient`]: super::LiveClient

use std::cell::RefCell;
use std::rc::Weak;

use futures::channel::mpsc;
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
}

/// Connects, and reconnects whenever the connection ends, until the client is dropped.
pub(super) async fn run(shared: Weak<RefCell<Shared>>, path: &'static str) {
    let mut backoff = Backoff::new(MIN_RETRY_MS, MAX_RETRY_MS);
    loop {
        let end = match same_origin_ws_url(path) {
            Some(url) => session(&shared, &url).await,
            None => SessionEnd::Failed,
        };
        match end {
            SessionEnd::ClientGone => return,
            SessionEnd::Dropped => backoff.reset(),
            SessionEnd::Failed => {}
        }
        let Some(state) = shared.upgrade() else {
            return;
        };
        Shared::set_status(&state, LinkStatus::Reconnecting);
        drop(state);
        TimeoutFuture::new(backoff.next_delay_ms(js_sys::Math::random())).await;
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
async fn session(shared: &Weak<RefCell<Shared>>, url: &str) -> SessionEnd {
    let Ok(socket) = WebSocket::open_with_protocol(url, SUBPROTOCOL) else {
        return SessionEnd::Failed;
    };
    let (mut sink, mut source) = socket.split();
    // Sending waits for the socket to open; a socket that fails to open shows up as an error
    // on `source` right after.
    if !send(&mut sink, &ClientMessage::ConnectionInit { payload: None }).await
        || !await_ack(&mut sink, &mut source).await
    {
        return SessionEnd::Failed;
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

/// Waits for `connection_ack`, answering pings meanwhile. Anything else fails the session.
async fn await_ack(sink: &mut Sink, source: &mut Source) -> bool {
    let mut deadline = TimeoutFuture::new(ACK_TIMEOUT_MS).fuse();
    loop {
        futures::select! {
            () = deadline => return false,
            frame = source.next().fuse() => {
                let Some(Ok(Message::Text(text))) = frame else { return false };
                match ServerMessage::parse(&text) {
                    Some(ServerMessage::ConnectionAck) => return true,
                    Some(ServerMessage::Ping) => {
                        if !send(sink, &ClientMessage::Pong).await {
                            return false;
                        }
                    }
                    Some(ServerMessage::Pong) => {}
                    _ => return false,
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

async fn send(sink: &mut Sink, message: &ClientMessage<'_>) -> bool {
    sink.send(Message::Text(message.to_text())).await.is_ok()
}
