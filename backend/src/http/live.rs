//! Subscriptions over WebSocket (`/graphql/ws`, `graphql-transport-ws` and the legacy
//! `graphql-ws`).
//!
//! Rules: a browser may open the socket only from our own origin (the session cookie would
//! otherwise let any site listen in); the caller is authenticated by `connection_init`'s
//! `{"token": …}` (a bad one refuses the connection) or else the cookie sent with the upgrade
//! (a stale one makes a visitor). A socket closes when the server shuts down and when its
//! user's sessions are revoked: at once on this instance, and within [`RECHECK`] on any other
//! instance sharing the database.
//!
//! Limits (docs/security.md): the per-IP API limit sees only the upgrade, so the socket carries
//! subscriptions only, at most 25 at once (`crate::graphql::transport`). A user holds at most
//! [`MAX_SOCKETS_PER_USER`] authenticated sockets at once; the next `connection_init` is
//! refused. The count is per instance (behind a load balancer a user may hold that many on each);
//! visitors' sockets are bounded by the per-IP limit on upgrades only.
//!
//! Keepalive: every `COPYTRADE_WS_KEEPALIVE_SECONDS` (30 s by default) the server sends each
//! socket a WebSocket ping frame, which browsers and WebSocket libraries answer by themselves.
//! Any frame from the client counts as a sign of life; a socket from which nothing at all came
//! since the previous ping is dropped, with its subscriptions. So a dead client (a laptop that
//! went to sleep, a half-open TCP connection) is gone within two intervals, a minute by default,
//! and an idle healthy one sees traffic every interval, which keeps proxies from timing it out.
//! A client so far behind that not even the ping can be queued for a whole interval counts as
//! dead too (it reconnects and refills from the trade log). async-graphql's own
//! `keepalive_timeout` does not fit: it sends no pings and is reset only by the client's text
//! messages, so it would close healthy clients that only listen (the web app sends its own ping
//! only after 15 s without hearing from us; legacy `graphql-ws` clients send nothing at all).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream::SplitSink;
use futures_util::{Sink, SinkExt, StreamExt, future};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::{self, OwnedPermit, error::SendError, error::TrySendError};
use tokio::time::{Instant, MissedTickBehavior};

use super::AppState;
use super::client::{is_https, request_meta};
use crate::auth::{RequestMeta, User};
use crate::db::types::Id;
use crate::graphql::request::{RequestContext, session_token};
use crate::graphql::transport::OverWebSocket;

/// The largest WebSocket message a client may send (a subscribe message is small).
const MAX_WS_MESSAGE: usize = 64 * 1024;
/// How often an open socket re-checks that its session still holds (revocations elsewhere).
const RECHECK: Duration = Duration::from_secs(5);
/// The most authenticated sockets one user holds at once on this instance (the web app opens
/// one per tab).
pub const MAX_SOCKETS_PER_USER: usize = 10;
/// Messages waiting to be written to one socket; past that its subscriptions wait, so a slow
/// reader slows its own feed down instead of growing a queue.
const OUTGOING: usize = 16;
/// How long the closing handshake may take before the connection is dropped anyway.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// What this instance's sockets share: the keepalive interval and who holds how many.
#[derive(Clone)]
pub struct LiveSockets {
    keepalive: Duration,
    open: OpenSockets,
}

type OpenSockets = Arc<Mutex<HashMap<Id, usize>>>;

impl LiveSockets {
    pub fn new(keepalive: Duration) -> Self {
        Self {
            keepalive,
            open: OpenSockets::default(),
        }
    }

    /// Counts one more socket for `user`, unless they hold the most already.
    fn claim(&self, user: Id) -> Option<SocketClaim> {
        let mut open = lock(&self.open);
        let count = open.entry(user).or_default();
        if *count >= MAX_SOCKETS_PER_USER {
            return None;
        }
        *count += 1;
        Some(SocketClaim {
            open: Arc::clone(&self.open),
            user,
        })
    }
}

/// One of a user's open sockets; dropping it gives the place back.
struct SocketClaim {
    open: OpenSockets,
    user: Id,
}

impl Drop for SocketClaim {
    fn drop(&mut self) {
        let mut open = lock(&self.open);
        if let Some(count) = open.get_mut(&self.user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// The data behind these locks holds no invariant a panic could break halfway.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the upgrade request said about the client.
struct Upgrade {
    meta: RequestMeta,
    https: bool,
    token: Option<String>,
}

pub async fn websocket(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    if !same_origin(&parts.headers) {
        return (
            StatusCode::FORBIDDEN,
            "WebSocket connections are accepted from this site only",
        )
            .into_response();
    }
    let https = is_https(&state, &parts.headers, &parts.extensions);
    let client = Upgrade {
        meta: request_meta(&state, &parts.headers, &parts.extensions),
        https,
        token: session_token(&parts.headers, https),
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_WS_MESSAGE)
        .on_upgrade(move |socket| serve(state, protocol, socket, client))
}

/// Runs one socket until the client leaves, its session ends, the server stops, or it stops
/// answering pings.
async fn serve(state: AppState, protocol: GraphQLProtocol, socket: WebSocket, client: Upgrade) {
    let (sink, stream) = socket.split();
    // The socket's user and the token that proved it, re-checked while the socket lives.
    let session: Arc<Mutex<Option<(User, String)>>> = Arc::default();
    let claim: Arc<Mutex<Option<SocketClaim>>> = Arc::default();
    let heard = Arc::new(AtomicBool::new(false));
    let stream = stream
        .inspect({
            let (heard, claim) = (Arc::clone(&heard), Arc::clone(&claim));
            move |frame| {
                heard.store(true, Ordering::Relaxed);
                // A client that says goodbye gives its place back before it sees our answer,
                // so it may open another socket at once.
                if matches!(frame, Ok(Message::Close(_))) {
                    lock(&claim).take();
                }
            }
        })
        // Ending the client's side of the conversation ends every subscription on it.
        .take_until(session_ended(state.clone(), Arc::clone(&session)));
    let (queue, queued) = mpsc::channel(OUTGOING);
    let pings = queue.downgrade();
    let (auth, sockets, every) = (state.auth.clone(), state.live.clone(), state.live.keepalive);
    let graphql =
        GraphQLWebSocket::new_with_pair(Outgoing::new(queue), stream, state.schema, protocol)
            .on_connection_init(move |payload| async move {
                let offered = payload.get("token").and_then(|token| token.as_str());
                let (caller, token) = match (offered, client.token) {
                    // A token the client chose to send must be good.
                    (Some(token), _) => (
                        Some(auth.authenticate_caller(token).await.map_err(|_| {
                            async_graphql::Error::new("the session token is invalid or has ended")
                        })?),
                        Some(token.to_owned()),
                    ),
                    // A stale cookie (which the page cannot clear) just means a visitor.
                    (None, Some(cookie)) => {
                        (auth.authenticate_caller(&cookie).await.ok(), Some(cookie))
                    }
                    (None, None) => (None, None),
                };
                if let Some(user) = caller.as_ref().map(|caller| &caller.user) {
                    let place = sockets.claim(user.id).ok_or_else(|| {
                        async_graphql::Error::new(format!(
                            "this account already has {MAX_SOCKETS_PER_USER} live connections \
                             open, the most it may hold: close one first"
                        ))
                    })?;
                    *lock(&claim) = Some(place);
                }
                *lock(&session) = caller
                    .as_ref()
                    .zip(token)
                    .map(|(caller, token)| (caller.user.clone(), token));
                let mut data = Data::default();
                data.insert(RequestContext {
                    meta: client.meta,
                    caller,
                    https: client.https,
                    now: auth.current_time(),
                });
                data.insert(OverWebSocket::default());
                Ok(data)
            })
            .serve();
    tokio::select! {
        ((), ()) = future::join(graphql, write(sink, queued)) => {}
        () = keepalive(pings, heard, every) => {
            tracing::debug!("dropped a WebSocket that stopped answering pings");
        }
    }
}

/// Writes what async-graphql and the keepalive queue, in order; when both are done (the client
/// left, its session ended or the server stops), closes the socket properly, briefly.
async fn write(mut sink: SplitSink<WebSocket, Message>, mut queued: mpsc::Receiver<Message>) {
    while let Some(message) = queued.recv().await {
        if sink.send(message).await.is_err() {
            return;
        }
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, sink.close()).await;
}

/// Pings the client every `every`; completes when nothing at all came from it since the
/// previous ping.
async fn keepalive(pings: mpsc::WeakSender<Message>, heard: Arc<AtomicBool>, every: Duration) {
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    // After a stall, measure whole intervals again rather than judging in a burst.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut pinged = false;
    loop {
        ticks.tick().await;
        if !heard.swap(false, Ordering::Relaxed) && pinged {
            return;
        }
        // The queue is gone once the socket is closing: nothing left to watch.
        let Some(queue) = pings.upgrade() else {
            return future::pending().await;
        };
        // A full queue means the client is not reading: it still has this interval to answer
        // an earlier ping or say anything.
        match queue.try_send(Message::Ping(Bytes::new())) {
            Ok(()) | Err(TrySendError::Full(_)) => pinged = true,
            Err(TrySendError::Closed(_)) => return future::pending().await,
        }
    }
}

/// Completes when the server shuts down or the socket's token no longer holds (the user's
/// sessions revoked, an API token revoked or expired).
async fn session_ended(state: AppState, session: Arc<Mutex<Option<(User, String)>>>) {
    let mut revocations = state.auth.revocations();
    let mut recheck = tokio::time::interval(RECHECK);
    let current = || lock(&session).clone();
    let shutdown = state.shutdown.clone().wait();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            revoked = revocations.recv() => match revoked {
                Ok(id) if current().is_some_and(|(user, _)| user.id == id) => return,
                // Missed announcements: fall back to asking the database now.
                Err(RecvError::Lagged(_)) => recheck.reset_immediately(),
                Ok(_) | Err(RecvError::Closed) => {}
            },
            _ = recheck.tick() => {
                if let Some((_, token)) = current()
                    && state.auth.authenticate_caller(&token).await.is_err()
                {
                    return;
                }
            }
        }
    }
}

/// The writing half async-graphql gets: a bounded queue to [`write`], which the keepalive
/// shares.
struct Outgoing {
    queue: mpsc::Sender<Message>,
    /// Waiting for room in the queue.
    reserving: Option<Reserving>,
    /// Room for the next message.
    permit: Option<OwnedPermit<Message>>,
}

type Reserving = Pin<Box<dyn Future<Output = Result<OwnedPermit<Message>, SendError<()>>> + Send>>;

/// The socket's writer is gone.
#[derive(Debug)]
struct SocketGone;

impl Outgoing {
    fn new(queue: mpsc::Sender<Message>) -> Self {
        Self {
            queue,
            reserving: None,
            permit: None,
        }
    }
}

impl Sink<Message> for Outgoing {
    type Error = SocketGone;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SocketGone>> {
        let this = self.get_mut();
        if this.permit.is_some() {
            return Poll::Ready(Ok(()));
        }
        let reserving = match this.reserving.take() {
            Some(reserving) => reserving,
            None => match this.queue.clone().try_reserve_owned() {
                Ok(permit) => {
                    this.permit = Some(permit);
                    return Poll::Ready(Ok(()));
                }
                Err(TrySendError::Full(queue)) => Box::pin(queue.reserve_owned()),
                Err(TrySendError::Closed(_)) => return Poll::Ready(Err(SocketGone)),
            },
        };
        let reserving = this.reserving.insert(reserving);
        let permit = ready!(reserving.as_mut().poll(cx));
        this.reserving = None;
        this.permit = Some(permit.map_err(|_| SocketGone)?);
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), SocketGone> {
        self.get_mut()
            .permit
            .take()
            .ok_or(SocketGone)?
            .send(message);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), SocketGone>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), SocketGone>> {
        Poll::Ready(Ok(()))
    }
}

/// A browser's `Origin` must name the host it connects to; clients that send none (not browsers)
/// are let through and authenticate with their token.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|value| value.to_str().ok()) else {
        return headers.get(ORIGIN).is_none();
    };
    let host = headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or_default();
    !host.is_empty() && authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, host.parse().unwrap());
        if let Some(origin) = origin {
            headers.insert(ORIGIN, origin.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_our_own_origin_or_none_may_open_a_socket() {
        assert!(same_origin(&headers(
            Some("http://127.0.0.1:8080"),
            "127.0.0.1:8080"
        )));
        assert!(same_origin(&headers(
            Some("https://copy.example.com"),
            "copy.example.com"
        )));
        assert!(same_origin(&headers(None, "127.0.0.1:8080")));
        assert!(!same_origin(&headers(
            Some("https://evil.example"),
            "copy.example.com"
        )));
        assert!(!same_origin(&headers(Some("null"), "copy.example.com")));
        assert!(!same_origin(&headers(
            Some("http://copy.example.com.evil.example"),
            "copy.example.com"
        )));
    }
}
