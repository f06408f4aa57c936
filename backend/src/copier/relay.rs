//! The live feed: each event goes to its own user's subscribers on this instance, and (on
//! PostgreSQL) to the other instances.
//!
//! Here, [`LiveFeed`] keeps one broadcast channel per user with a subscriber, made on the first
//! subscription and removed when the last one ends. An event only wakes its own user's
//! subscriptions (SEC-12 holds before any per-subscription work is done), and publishing for a
//! user nobody watches costs one map lookup.
//!
//! Across instances, each event an instance publishes also goes out as a PostgreSQL `NOTIFY` on
//! [`CHANNEL`]; each instance `LISTEN`s and hands the other instances' events to its own
//! [`LiveFeed`]. Sending is queued, so the copier never waits on it; an event that cannot be
//! relayed is dropped (the trade log has everything; the web app refills from it).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::CopierEvent;
use super::dispatch::Copier;
use crate::db::types::Id;
use crate::shutdown::Shutdown;

/// The notification channel the instances share.
pub const CHANNEL: &str = "copytrade_live";
/// PostgreSQL's payload limit is 8000 bytes.
const MAX_PAYLOAD: usize = 7900;
/// Events waiting to be relayed; beyond this they are dropped.
pub const QUEUE: usize = 10_000;
/// The wait before connecting again after the database connection dropped.
const RECONNECT: Duration = Duration::from_secs(1);
/// Events one user's subscribers may fall behind by before they miss some (a signal to 50
/// followers makes about 150); the web app refills from the trade log when it misses events.
const PER_USER_BACKLOG: usize = 1024;

type Channels = Arc<Mutex<HashMap<Id, broadcast::Sender<CopierEvent>>>>;

/// This instance's subscribers, one channel per user who has any.
#[derive(Clone, Default)]
pub struct LiveFeed {
    channels: Channels,
}

impl LiveFeed {
    /// The events of `user` from now on.
    pub fn subscribe(&self, user: Id) -> UserEvents {
        let mut channels = lock(&self.channels);
        let receiver = channels
            .entry(user)
            .or_insert_with(|| broadcast::channel(PER_USER_BACKLOG).0)
            .subscribe();
        UserEvents {
            events: Some(BroadcastStream::new(receiver)),
            channels: Arc::clone(&self.channels),
            user,
        }
    }

    /// Hands an event to its user's subscribers here, if they have any.
    pub fn deliver(&self, event: CopierEvent) {
        let user = event.user_id();
        let mut channels = lock(&self.channels);
        if let Some(sender) = channels.get(&user)
            && sender.send(event).is_err()
        {
            // Not expected (the last subscriber removes the channel), but never keep a
            // channel nobody listens to.
            channels.remove(&user);
        }
    }

    /// How many users have a subscriber here.
    #[cfg(test)]
    fn watched_users(&self) -> usize {
        lock(&self.channels).len()
    }
}

/// The map holds no invariant a panic could break halfway, so a poisoned lock is still usable.
fn lock(
    channels: &Channels,
) -> std::sync::MutexGuard<'_, HashMap<Id, broadcast::Sender<CopierEvent>>> {
    channels.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One subscriber's events; dropping the last one of a user removes the user's channel.
pub struct UserEvents {
    /// Only `None` while dropping.
    events: Option<BroadcastStream<CopierEvent>>,
    channels: Channels,
    user: Id,
}

impl Stream for UserEvents {
    /// An event, or how many this subscriber missed by falling behind (it goes on with the
    /// oldest event still kept).
    type Item = Result<CopierEvent, BroadcastStreamRecvError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.events.as_mut() {
            Some(events) => events.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
    }
}

impl Drop for UserEvents {
    fn drop(&mut self) {
        let mut channels = lock(&self.channels);
        // Our receiver goes first, so the count below no longer includes it; new subscribers
        // are added under the same lock, so none can slip in between.
        drop(self.events.take());
        if channels
            .get(&self.user)
            .is_some_and(|sender| sender.receiver_count() == 0)
        {
            channels.remove(&self.user);
        }
    }
}

/// One event as it travels, with the instance it comes from.
#[derive(Serialize, Deserialize)]
struct Relayed {
    instance: Id,
    event: CopierEvent,
}

/// The relay's half inside the copier: where events to send are queued.
pub struct Outbox {
    pub instance: Id,
    pub url: String,
    pub queue: mpsc::Sender<String>,
    pub pending: std::sync::Mutex<Option<mpsc::Receiver<String>>>,
}

impl Outbox {
    pub fn new(url: String) -> Self {
        let (queue, pending) = mpsc::channel(QUEUE);
        Self {
            instance: Id::new(),
            url,
            queue,
            pending: std::sync::Mutex::new(Some(pending)),
        }
    }

    /// Queues an event for the other instances.
    pub fn send(&self, event: &CopierEvent) {
        let relayed = Relayed {
            instance: self.instance,
            event: event.clone(),
        };
        if let Ok(json) = serde_json::to_string(&relayed)
            && json.len() <= MAX_PAYLOAD
        {
            // A full queue drops the event: the live feed is best effort across instances.
            let _ = self.queue.try_send(json);
        }
    }
}

impl Copier {
    /// Relays live events to and from the other instances until shutdown (PostgreSQL only).
    pub async fn run_relay(self, shutdown: Shutdown) {
        let Some(outbox) = self.inner.outbox.as_ref() else {
            return;
        };
        let Some(mut pending) = outbox.pending.lock().ok().and_then(|mut slot| slot.take()) else {
            return;
        };
        let stopped = shutdown.wait();
        tokio::pin!(stopped);
        let send = async {
            loop {
                match send_queued(&outbox.url, &mut pending).await {
                    // The copier is gone.
                    Ok(()) => return,
                    Err(err) => tracing::warn!(%err, "live relay: sending stopped; reconnecting"),
                }
                tokio::time::sleep(RECONNECT).await;
            }
        };
        let listen = async {
            loop {
                if let Err(err) = self.listen(&outbox.url, outbox.instance).await {
                    tracing::warn!(%err, "live relay: listening stopped; reconnecting");
                }
                tokio::time::sleep(RECONNECT).await;
            }
        };
        tokio::select! {
            () = &mut stopped => {}
            () = send => {}
            () = listen => {}
        }
    }

    /// Re-publishes the other instances' events here, until the connection fails.
    async fn listen(&self, url: &str, own: Id) -> Result<(), diesel::ConnectionError> {
        let mut conn = AsyncPgConnection::establish(url).await?;
        diesel::sql_query(format!("LISTEN {CHANNEL}"))
            .execute(&mut conn)
            .await
            .map_err(|err| diesel::ConnectionError::BadConnection(err.to_string()))?;
        let mut notifications = std::pin::pin!(conn.notifications_stream());
        while let Some(notification) = notifications.next().await {
            let notification = notification
                .map_err(|err| diesel::ConnectionError::BadConnection(err.to_string()))?;
            match serde_json::from_str::<Relayed>(&notification.payload) {
                Ok(relayed) if relayed.instance != own => self.inner.live.deliver(relayed.event),
                Ok(_) => {}
                Err(err) => tracing::warn!(%err, "live relay: unreadable event"),
            }
        }
        Err(diesel::ConnectionError::BadConnection(
            "the notification stream ended".into(),
        ))
    }
}

/// Sends queued events as notifications, until the connection fails.
async fn send_queued(
    url: &str,
    pending: &mut mpsc::Receiver<String>,
) -> Result<(), diesel::ConnectionError> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    while let Some(payload) = pending.recv().await {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(CHANNEL)
            .bind::<diesel::sql_types::Text, _>(payload)
            .execute(&mut conn)
            .await
            .map_err(|err| diesel::ConnectionError::BadConnection(err.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    fn copied(user: Id) -> CopierEvent {
        CopierEvent::SignalCopied {
            user_id: user,
            signal_id: Id::new(),
        }
    }

    #[tokio::test]
    async fn each_subscriber_wakes_only_for_its_own_users_events() {
        let feed = LiveFeed::default();
        let (alice, bob) = (Id::new(), Id::new());
        let mut alices = feed.subscribe(alice);
        let mut bobs = feed.subscribe(bob);
        feed.deliver(copied(alice));
        assert_eq!(alices.next().await.unwrap().unwrap().user_id(), alice);
        // Nothing was ever queued for Bob.
        assert!(bobs.next().now_or_never().is_none());
        feed.deliver(copied(bob));
        assert_eq!(bobs.next().await.unwrap().unwrap().user_id(), bob);
        assert!(alices.next().now_or_never().is_none());
    }

    #[test]
    fn a_users_channel_lives_exactly_as_long_as_their_subscribers() {
        let feed = LiveFeed::default();
        let user = Id::new();
        // Publishing for nobody makes no channel.
        feed.deliver(copied(user));
        assert_eq!(feed.watched_users(), 0);
        let first = feed.subscribe(user);
        let second = feed.subscribe(user);
        assert_eq!(feed.watched_users(), 1);
        drop(first);
        assert_eq!(feed.watched_users(), 1, "one subscriber is still there");
        drop(second);
        assert_eq!(feed.watched_users(), 0);
    }
}
