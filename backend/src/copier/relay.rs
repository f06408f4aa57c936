//! Several instances on one PostgreSQL database: the live feed of one instance reaches the
//! subscribers on every other. Each event an instance publishes also goes out as a PostgreSQL
//! `NOTIFY` on [`CHANNEL`]; each instance `LISTEN`s and re-publishes the other instances'
//! events to its own subscribers. Sending is queued, so the copier never waits on it; an event
//! that cannot be relayed is dropped (the trade log has everything; the web app refills from it).

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

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
                Ok(relayed) if relayed.instance != own => {
                    let _ = self.inner.events.send(relayed.event);
                }
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
