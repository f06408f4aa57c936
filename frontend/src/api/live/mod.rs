//! Live data: GraphQL subscriptions over one shared WebSocket (`/graphql/ws`, protocol
//! `graphql-transport-ws`).
//!
//! Rules:
//! - One [`LiveClient`] per app, provided through Yew context by `app.rs`; every subscription
//!   (the clock today, fills and order updates later) is multiplexed over its one socket by
//!   operation id, so adding a feed never adds a connection.
//! - The client owns the socket's whole life: it connects, re-connects with backoff when the
//!   socket drops (1 s doubling to 30 s, see [`backoff`]), and re-subscribes every operation
//!   still wanted, so a component subscribes once and keeps receiving across outages.
//! - A [`SubscriptionHandle`] is the subscription: dropping it unsubscribes. Components keep
//!   it in an effect and drop it in the effect's cleanup.
//! - Callbacks never run while the client's state is borrowed: a callback may re-render a
//!   component that subscribes or unsubscribes, which needs that state again.
//! - The server reads who is asking once per socket (the session cookie sent with the upgrade),
//!   so when the session changes (log-in, log-out) the app calls [`LiveClient::reconnect`]:
//!   the socket is replaced at once and every operation re-subscribed under the new identity.

mod backoff;
mod connection;
mod protocol;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use futures::channel::mpsc::{self, UnboundedSender};
use graphql_client::{GraphQLQuery, Response};
use serde_json::Value;

use self::protocol::ClientMessage;
use super::{ApiError, GraphQlError};

/// The state of the live connection, as the status indicator shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    /// The first connection attempt since the app started is under way.
    Connecting,
    /// Connected and acknowledged: subscriptions receive data.
    Live,
    /// The connection failed or dropped; the client is waiting or trying again.
    Reconnecting,
}

/// What a subscription delivers.
#[derive(Clone, Debug, PartialEq)]
pub enum SubscriptionEvent<T> {
    /// One result.
    Data(T),
    /// The server rejected the operation, or sent a result with errors.
    Failed(ApiError),
    /// The server ended the subscription; no more events follow.
    Completed,
}

/// The app's connection to the server's subscriptions. Cloning shares the connection.
#[derive(Clone)]
pub struct LiveClient {
    shared: Rc<RefCell<Shared>>,
}

/// Keeps a subscription running; dropping it unsubscribes.
#[must_use = "dropping the handle ends the subscription"]
pub struct SubscriptionHandle {
    shared: Weak<RefCell<Shared>>,
    key: u64,
}

/// Keeps a status callback registered; dropping it unregisters.
#[must_use = "dropping the watch stops the status callbacks"]
pub struct StatusWatch {
    shared: Weak<RefCell<Shared>>,
    key: u64,
}

/// State shared by the handles and the connection task.
struct Shared {
    next_key: u64,
    /// The operations wanted, by the key that is also their protocol id.
    operations: BTreeMap<u64, Operation>,
    status: LinkStatus,
    watchers: BTreeMap<u64, Rc<dyn Fn(LinkStatus)>>,
    /// Frames for the socket; present only while a connection is acknowledged.
    outbox: Option<UnboundedSender<String>>,
    /// Asks the connection task to replace its socket now (see [`LiveClient::reconnect`]).
    restart: UnboundedSender<()>,
}

struct Operation {
    /// The `subscribe` payload, `{query, variables, operationName}`, kept for re-subscribing.
    payload: Value,
    deliver: Rc<dyn Fn(Delivery)>,
}

/// An operation's message from the server, before it is typed.
enum Delivery {
    Next(Value),
    Error(Value),
    Complete,
}

impl LiveClient {
    /// Starts connecting to `path` on the page's own host (`ws:` or `wss:` like the page).
    pub fn start(path: &'static str) -> Self {
        let (restart, restarts) = mpsc::unbounded();
        let shared = Rc::new(RefCell::new(Shared {
            next_key: 1,
            operations: BTreeMap::new(),
            status: LinkStatus::Connecting,
            watchers: BTreeMap::new(),
            outbox: None,
            restart,
        }));
        // The task holds only a weak reference: when the last client clone is dropped, the
        // socket closes and the task ends.
        wasm_bindgen_futures::spawn_local(connection::run(Rc::downgrade(&shared), path, restarts));
        Self { shared }
    }

    /// Replaces the socket now, without waiting out a backoff: the session cookie changed,
    /// and the server only reads it when a socket opens. Subscriptions carry over.
    pub fn reconnect(&self) {
        // The task lives as long as the shared state that holds this sender.
        let _ = self.shared.borrow().restart.unbounded_send(());
    }

    pub fn status(&self) -> LinkStatus {
        self.shared.borrow().status
    }

    /// Calls `on_change` with the current status now and with every change after.
    pub fn watch_status(&self, on_change: impl Fn(LinkStatus) + 'static) -> StatusWatch {
        let on_change: Rc<dyn Fn(LinkStatus)> = Rc::new(on_change);
        let (key, status) = {
            let mut shared = self.shared.borrow_mut();
            let key = shared.take_key();
            shared.watchers.insert(key, Rc::clone(&on_change));
            (key, shared.status)
        };
        on_change(status);
        StatusWatch {
            shared: Rc::downgrade(&self.shared),
            key,
        }
    }

    /// Subscribes to the operation `Q`; `on_event` receives its typed results until the
    /// handle is dropped or the server ends the operation.
    pub fn subscribe<Q>(
        &self,
        variables: Q::Variables,
        on_event: impl Fn(SubscriptionEvent<Q::ResponseData>) + 'static,
    ) -> Result<SubscriptionHandle, ApiError>
    where
        Q: GraphQLQuery,
        Q::ResponseData: 'static,
    {
        let payload = serde_json::to_value(Q::build_query(variables))
            .map_err(|error| ApiError::Encode(error.to_string()))?;
        let deliver = move |delivery: Delivery| on_event(typed_event::<Q::ResponseData>(delivery));
        let mut shared = self.shared.borrow_mut();
        let key = shared.take_key();
        if let Some(outbox) = &shared.outbox {
            let id = key.to_string();
            // If the socket just died, the next connection re-subscribes from `operations`.
            let _ = outbox.unbounded_send(
                ClientMessage::Subscribe {
                    id: &id,
                    payload: &payload,
                }
                .to_text(),
            );
        }
        shared.operations.insert(
            key,
            Operation {
                payload,
                deliver: Rc::new(deliver),
            },
        );
        Ok(SubscriptionHandle {
            shared: Rc::downgrade(&self.shared),
            key,
        })
    }
}

/// Clones share one connection, so they are equal exactly when they are the same client.
impl PartialEq for LiveClient {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Drop for SubscriptionHandle {
    fn drop(&mut self) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let mut shared = shared.borrow_mut();
        // Already gone if the server completed or rejected it.
        if shared.operations.remove(&self.key).is_some()
            && let Some(outbox) = &shared.outbox
        {
            let id = self.key.to_string();
            let _ = outbox.unbounded_send(ClientMessage::Complete { id: &id }.to_text());
        }
    }
}

impl Drop for StatusWatch {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.borrow_mut().watchers.remove(&self.key);
        }
    }
}

impl Shared {
    fn take_key(&mut self) -> u64 {
        let key = self.next_key;
        self.next_key += 1;
        key
    }

    /// Records the new status and tells the watchers, outside the borrow.
    fn set_status(shared: &RefCell<Self>, status: LinkStatus) {
        let watchers: Vec<Rc<dyn Fn(LinkStatus)>> = {
            let mut state = shared.borrow_mut();
            if state.status == status {
                return;
            }
            state.status = status;
            state.watchers.values().cloned().collect()
        };
        for watcher in watchers {
            watcher(status);
        }
    }

    /// A connection was acknowledged: route new frames to it and (re-)subscribe everything.
    fn go_live(shared: &RefCell<Self>, outbox: UnboundedSender<String>) {
        {
            let mut state = shared.borrow_mut();
            for (key, operation) in &state.operations {
                let id = key.to_string();
                let frame = ClientMessage::Subscribe {
                    id: &id,
                    payload: &operation.payload,
                };
                let _ = outbox.unbounded_send(frame.to_text());
            }
            state.outbox = Some(outbox);
        }
        Self::set_status(shared, LinkStatus::Live);
    }

    fn go_offline(shared: &RefCell<Self>) {
        shared.borrow_mut().outbox = None;
    }

    /// Hands an operation's message to its subscriber; `error` and `complete` end it.
    fn deliver(shared: &RefCell<Self>, id: &str, delivery: Delivery) {
        let Ok(key) = id.parse::<u64>() else {
            return;
        };
        let deliver = {
            let mut state = shared.borrow_mut();
            let operation = match delivery {
                Delivery::Next(_) => state.operations.get(&key).map(|op| Rc::clone(&op.deliver)),
                Delivery::Error(_) | Delivery::Complete => {
                    state.operations.remove(&key).map(|op| op.deliver)
                }
            };
            // An operation unsubscribed a moment ago may still get a message or two.
            let Some(deliver) = operation else {
                return;
            };
            deliver
        };
        deliver(delivery);
    }
}

/// Types a delivery for the operation's subscriber.
fn typed_event<T: serde::de::DeserializeOwned>(delivery: Delivery) -> SubscriptionEvent<T> {
    match delivery {
        Delivery::Next(payload) => match serde_json::from_value::<Response<T>>(payload) {
            Ok(response) => match ApiError::check(response) {
                Ok(data) => SubscriptionEvent::Data(data),
                Err(error) => SubscriptionEvent::Failed(error),
            },
            Err(error) => SubscriptionEvent::Failed(ApiError::Decode(error.to_string())),
        },
        Delivery::Error(payload) => {
            match serde_json::from_value::<Vec<graphql_client::Error>>(payload) {
                Ok(errors) => SubscriptionEvent::Failed(ApiError::GraphQl(
                    errors.into_iter().map(GraphQlError::from).collect(),
                )),
                Err(error) => SubscriptionEvent::Failed(ApiError::Decode(error.to_string())),
            }
        }
        Delivery::Complete => SubscriptionEvent::Completed,
    }
}
