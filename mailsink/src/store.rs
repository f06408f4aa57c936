//! What the sink holds: the messages it accepted (oldest first) and the queue of injected
//! faults. The SMTP sessions write here and the control API reads here; one mutex guards both,
//! and a watch channel tells waiting readers that a message arrived.
//!
//! A fault applies to whole transactions: each `MAIL FROM` the server accepts takes one unit of
//! the fault at the head of the queue (if any), so `{"kind":"reject_rcpt","count":2}` fails
//! exactly the next two transactions, whichever connections they come on.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::message::Parsed;

/// The sink keeps at most this many messages (the oldest go first).
const STORE_CAP: usize = 10_000;

/// One message the server accepted with `250` after `DATA`.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// 1, 2, 3… in the order the server accepted them.
    pub id: u64,
    /// RFC 3339 with milliseconds, when the final `.` was read.
    pub received_at: String,
    /// The name the client gave in `EHLO` or `HELO`.
    pub helo: String,
    /// The user the client authenticated as, when it did.
    pub auth_user: Option<String>,
    /// The envelope: the reverse path (empty for `MAIL FROM:<>`) and every accepted recipient.
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// Size in octets of the message after dot-unstuffing.
    pub size: usize,
    /// The message as received, dot-unstuffed, line ends kept as CRLF (not UTF-8 bytes shown
    /// as U+FFFD).
    pub raw: String,
    #[serde(flatten)]
    pub parsed: Parsed,
}

/// The kinds of trouble a test can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The transaction goes through as usual: queued ahead of another fault, it lets the first
    /// N transactions succeed and fails the ones after (an outage in the middle of a batch).
    Pass,
    /// Every `RCPT TO` of the transaction answers `450`.
    RejectRcpt,
    /// The message is read whole, then refused with `451` and not stored.
    RejectData,
    /// `MAIL FROM` answers `451`; no transaction starts.
    TemporaryFailure,
    /// The message is read whole, then the connection is closed with no answer and the message
    /// is not stored (the client cannot tell whether it arrived).
    Disconnect,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    pub kind: FaultKind,
    /// How many transactions it applies to (at least 1).
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

#[derive(Default)]
struct State {
    messages: VecDeque<Message>,
    next_id: u64,
    faults: VecDeque<Fault>,
}

/// The shared store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    state: Arc<Mutex<State>>,
    /// Counts accepted messages, so a reader can wait for the next one.
    arrivals: watch::Sender<u64>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    pub fn new() -> Self {
        Self {
            state: Arc::new(Mutex::new(State::default())),
            arrivals: watch::channel(0).0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data in a usable state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores an accepted message and returns its id.
    pub fn add(&self, build: impl FnOnce(u64) -> Message) -> u64 {
        let id = {
            let mut state = self.lock();
            state.next_id += 1;
            let id = state.next_id;
            if state.messages.len() == STORE_CAP {
                state.messages.pop_front();
            }
            state.messages.push_back(build(id));
            id
        };
        self.arrivals.send_modify(|count| *count += 1);
        id
    }

    /// The messages, oldest first; with `to`, only those with that envelope recipient (any
    /// case).
    pub fn messages(&self, to: Option<&str>) -> Vec<Message> {
        self.lock()
            .messages
            .iter()
            .filter(|message| {
                to.is_none_or(|to| message.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(to)))
            })
            .cloned()
            .collect()
    }

    /// Like [`Store::messages`], but first waits (up to `timeout`) until at least `min` match.
    pub async fn wait_for(&self, to: Option<&str>, min: usize, timeout: Duration) -> Vec<Message> {
        let mut arrivals = self.arrivals.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Marks the current count seen before looking, so no arrival slips between the two.
            arrivals.borrow_and_update();
            let found = self.messages(to);
            if found.len() >= min {
                return found;
            }
            match tokio::time::timeout_at(deadline, arrivals.changed()).await {
                Ok(Ok(())) => continue,
                // Timed out (or the store is gone): answer what there is.
                Ok(Err(_)) | Err(_) => return self.messages(to),
            }
        }
    }

    /// Forgets every message; returns how many there were. Ids keep counting up.
    pub fn clear(&self) -> usize {
        let mut state = self.lock();
        let count = state.messages.len();
        state.messages.clear();
        count
    }

    /// Queues a fault behind those already queued.
    pub fn add_fault(&self, fault: Fault) -> Vec<Fault> {
        let mut state = self.lock();
        state.faults.push_back(fault);
        state.faults.iter().cloned().collect()
    }

    pub fn faults(&self) -> Vec<Fault> {
        self.lock().faults.iter().cloned().collect()
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Takes one unit of the fault at the head of the queue, for a transaction starting now.
    pub fn take_fault(&self) -> Option<FaultKind> {
        let mut state = self.lock();
        let head = state.faults.front_mut()?;
        let kind = head.kind;
        head.count = head.count.saturating_sub(1);
        if head.count == 0 {
            state.faults.pop_front();
        }
        Some(kind)
    }
}
