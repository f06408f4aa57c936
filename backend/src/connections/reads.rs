//! What the API asks a venue on a user's behalf (balances and positions, "test connection"):
//! answers reused briefly per connection, and a per-user budget of venue reads, so that no
//! client, however fast it loops, makes the server hammer a venue until the venue bans our IP
//! (docs/security.md).
//!
//! Rules:
//! - A connection's balances and positions are reused for [`CACHE_SECONDS`], and only while its
//!   credentials stay the same (the entry carries `credentials_updated_at`); re-keying or
//!   unlinking drops it, and so does any order, cancel or flatten sent through the connection's
//!   adapter ([`ReadsDropOnOrders`]), so a trade shows at once.
//! - Only a complete success is kept: a read in which any account failed is answered as it is
//!   (`balance: null`) and asked again next time. Nothing is ever made up.
//! - Reads of one connection go to the venue one at a time: callers arriving while one is in
//!   flight wait for it and share its answer (single flight).
//! - Each venue read the API makes costs the user one token of a bucket of [`READ_BURST`],
//!   refilled at [`READS_PER_MINUTE`]; an empty bucket answers `RateLimited` with the seconds to
//!   wait, before the venue is asked. Answers reused from the cache cost nothing. A poisoned
//!   lock refuses the read (fail closed).
//! - The copier never comes here: it reads positions through the adapter directly, unthrottled
//!   and never from the cache. The paper broker is CopyTrade's own simulation in its own
//!   database, with no venue behind it: its reads are neither cached nor counted.
//! - Both live in this instance's memory: behind a load balancer each instance keeps its own,
//!   so a user's budget is per instance.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use tokio::sync::broadcast;

use super::{Connection, ConnectionError};
use crate::brokers::{
    AccountSnapshot, BrokerAccount, BrokerAdapter, BrokerError, BrokerEvent, Instrument,
    KeyPermissions, OrderRequest, OrderState,
};
use crate::clock::Clock;
use crate::db::types::Id;

/// How long a connection's balances and positions (and a "test connection" outcome) are reused.
pub const CACHE_SECONDS: i64 = 5;
/// Venue reads per user per minute, on average.
pub const READS_PER_MINUTE: u32 = 30;
/// Venue reads a user may make at once before the average applies.
pub const READ_BURST: u32 = 10;
/// Past this many idle entries, the maps drop the ones with nothing worth keeping.
const PRUNE_ABOVE: usize = 4096;

/// The snapshots of a connection's accounts, by the venue's account id.
type Snapshots = HashMap<String, AccountSnapshot>;

/// What a read found: each account's snapshot (`None` where the venue could not be asked) and
/// when the venue was asked.
pub struct ReadOutcome {
    pub snapshots: HashMap<String, Option<AccountSnapshot>>,
    pub read_at: DateTime<Utc>,
}

/// The read cache and the per-user read budget; one per server, shared by clones.
#[derive(Clone)]
pub struct Reads {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Clock,
    slots: Mutex<HashMap<Id, Arc<Slot>>>,
    buckets: Mutex<HashMap<Id, Bucket>>,
}

/// One connection's last good read, behind the lock that makes reads single-flight.
#[derive(Default)]
struct Slot {
    kept: tokio::sync::Mutex<Option<Kept>>,
    /// Held while a "test connection" check runs (in an `Arc` for an owned guard).
    check: Arc<tokio::sync::Mutex<()>>,
}

struct Kept {
    credentials_updated_at: DateTime<Utc>,
    read_at: DateTime<Utc>,
    snapshots: Snapshots,
}

/// A token bucket: `tokens` as of `at`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

impl Bucket {
    fn full(at: DateTime<Utc>) -> Self {
        Self {
            tokens: f64::from(READ_BURST),
            at,
        }
    }

    /// The bucket refilled up to `now` (a clock that went back refills nothing).
    fn refilled(self, now: DateTime<Utc>) -> Self {
        let elapsed = (now - self.at).num_milliseconds().max(0) as f64 / 1000.0;
        let rate = f64::from(READS_PER_MINUTE) / 60.0;
        Self {
            tokens: (self.tokens + elapsed * rate).min(f64::from(READ_BURST)),
            at: now.max(self.at),
        }
    }

    /// Takes one token, or says how many whole seconds until one is there.
    fn take(&mut self, now: DateTime<Utc>) -> Result<(), i64> {
        *self = self.refilled(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let rate = f64::from(READS_PER_MINUTE) / 60.0;
        let wait = ((1.0 - self.tokens) / rate).ceil();
        // At most 60 / READS_PER_MINUTE seconds: the cast cannot overflow.
        Err((wait as i64).max(1))
    }
}

fn cache_window() -> Duration {
    Duration::seconds(CACHE_SECONDS)
}

fn poisoned() -> ConnectionError {
    ConnectionError::Internal("the broker read limiter's lock is poisoned".into())
}

impl Reads {
    pub fn new(clock: Clock) -> Self {
        Self {
            inner: Arc::new(Inner {
                clock,
                slots: Mutex::default(),
                buckets: Mutex::default(),
            }),
        }
    }

    /// Takes one venue read from `user`'s budget, or answers `RateLimited`.
    pub fn take(&self, user: Id) -> Result<(), ConnectionError> {
        let now = self.inner.clock.now();
        let mut buckets = self.inner.buckets.lock().map_err(|_| poisoned())?;
        if buckets.len() > PRUNE_ABOVE {
            // A bucket that has refilled is the same as none.
            buckets.retain(|_, bucket| bucket.refilled(now).tokens < f64::from(READ_BURST));
        }
        buckets
            .entry(user)
            .or_insert_with(|| Bucket::full(now))
            .take(now)
            .map_err(|retry_after_seconds| ConnectionError::RateLimited {
                retry_after_seconds,
            })
    }

    fn slot(&self, connection: Id) -> Result<Arc<Slot>, ConnectionError> {
        let mut slots = self.inner.slots.lock().map_err(|_| poisoned())?;
        if slots.len() > PRUNE_ABOVE && !slots.contains_key(&connection) {
            let now = self.inner.clock.now();
            // Keep the slots in use and the ones still fresh; the rest would be read again.
            slots.retain(|_, slot| {
                Arc::strong_count(slot) > 1
                    || slot.kept.try_lock().map_or(true, |kept| {
                        kept.as_ref()
                            .is_some_and(|k| now - k.read_at < cache_window())
                    })
            });
        }
        Ok(Arc::clone(slots.entry(connection).or_default()))
    }

    /// Forgets what was read for a connection (its credentials changed, it was unlinked, or an
    /// order went out on it).
    pub fn forget(&self, connection: Id) {
        if let Ok(mut slots) = self.inner.slots.lock() {
            slots.remove(&connection);
        }
    }

    /// The balances and positions of `accounts` of `connection`: the last good read if it is
    /// younger than [`CACHE_SECONDS`] and covers every account, else one read through `read`
    /// (one token of the owner's budget), kept only if every account answered.
    pub async fn snapshots<F, Fut>(
        &self,
        connection: &Connection,
        accounts: &[String],
        read: F,
    ) -> Result<ReadOutcome, ConnectionError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = HashMap<String, Option<AccountSnapshot>>>,
    {
        let slot = self.slot(connection.id)?;
        let mut kept = slot.kept.lock().await;
        let now = self.inner.clock.now();
        if let Some(fresh) = kept.as_ref().filter(|k| {
            k.credentials_updated_at == connection.credentials_updated_at
                && k.read_at <= now
                && now - k.read_at < cache_window()
                && accounts.iter().all(|a| k.snapshots.contains_key(a))
        }) {
            return Ok(ReadOutcome {
                snapshots: accounts
                    .iter()
                    .map(|a| (a.clone(), fresh.snapshots.get(a).cloned()))
                    .collect(),
                read_at: fresh.read_at,
            });
        }
        self.take(connection.user_id)?;
        let read_at = self.inner.clock.now();
        let snapshots = read().await;
        let complete: Option<Snapshots> = accounts
            .iter()
            .map(|a| Some((a.clone(), snapshots.get(a)?.clone()?)))
            .collect();
        *kept = complete.map(|snapshots| Kept {
            credentials_updated_at: connection.credentials_updated_at,
            read_at,
            snapshots,
        });
        Ok(ReadOutcome { snapshots, read_at })
    }

    /// Waits for any "test connection" check of `connection` in flight to finish; the returned
    /// guard lets this caller check while others wait.
    pub async fn check_turn(
        &self,
        connection: Id,
    ) -> Result<tokio::sync::OwnedMutexGuard<()>, ConnectionError> {
        let check = Arc::clone(&self.slot(connection)?.check);
        Ok(check.lock_owned().await)
    }

    /// Whether the connection was checked with its broker less than [`CACHE_SECONDS`] ago,
    /// so its recorded outcome stands.
    pub fn checked_recently(&self, connection: &Connection) -> bool {
        let now = self.inner.clock.now();
        connection.last_checked_at <= now && now - connection.last_checked_at < cache_window()
    }

    /// Wraps a venue adapter so that its orders drop the connection's cached reads.
    pub fn drop_on_orders(
        &self,
        connection: Id,
        adapter: Arc<dyn BrokerAdapter>,
    ) -> Arc<dyn BrokerAdapter> {
        Arc::new(ReadsDropOnOrders {
            inner: adapter,
            reads: self.clone(),
            connection,
        })
    }
}

/// A venue adapter whose orders, cancels and flattens drop its connection's cached reads, so
/// the next balance read shows what they did. Everything else passes straight through.
struct ReadsDropOnOrders {
    inner: Arc<dyn BrokerAdapter>,
    reads: Reads,
    connection: Id,
}

impl ReadsDropOnOrders {
    /// Runs an order call, then drops the cached reads whatever its outcome: a failed or
    /// timed-out order may still have reached the venue.
    async fn changing<T>(&self, call: impl Future<Output = T>) -> T {
        let outcome = call.await;
        self.reads.forget(self.connection);
        outcome
    }
}

#[async_trait]
impl BrokerAdapter for ReadsDropOnOrders {
    async fn authenticate(&self) -> Result<(), BrokerError> {
        self.inner.authenticate().await
    }

    async fn permissions(&self) -> Result<KeyPermissions, BrokerError> {
        self.inner.permissions().await
    }

    async fn accounts(&self) -> Result<Vec<BrokerAccount>, BrokerError> {
        self.inner.accounts().await
    }

    async fn snapshot(&self, account: &str) -> Result<AccountSnapshot, BrokerError> {
        self.inner.snapshot(account).await
    }

    async fn instrument(&self, symbol: &str) -> Result<Instrument, BrokerError> {
        self.inner.instrument(symbol).await
    }

    async fn place_order(
        &self,
        account: &str,
        order: &OrderRequest,
    ) -> Result<OrderState, BrokerError> {
        self.changing(self.inner.place_order(account, order)).await
    }

    async fn find_order(
        &self,
        account: &str,
        client_order_id: &str,
    ) -> Result<Option<OrderState>, BrokerError> {
        self.inner.find_order(account, client_order_id).await
    }

    async fn cancel_order(&self, account: &str, order_id: &str) -> Result<OrderState, BrokerError> {
        self.changing(self.inner.cancel_order(account, order_id))
            .await
    }

    async fn flatten(&self, account: &str, symbol: Option<&str>) -> Result<(), BrokerError> {
        self.changing(self.inner.flatten(account, symbol)).await
    }

    async fn open_orders(&self, account: &str) -> Result<Vec<OrderState>, BrokerError> {
        self.inner.open_orders(account).await
    }

    fn events(&self) -> broadcast::Receiver<BrokerEvent> {
        self.inner.events()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brokers::{BrokerEnvironment, BrokerKind};
    use crate::connections::ConnectionStatus;

    /// A clock the test moves by hand.
    fn clock() -> (Clock, Arc<Mutex<DateTime<Utc>>>) {
        let now = Arc::new(Mutex::new(
            "2026-06-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap(),
        ));
        let read = Arc::clone(&now);
        (Clock::from_fn(move || *read.lock().unwrap()), now)
    }

    fn advance(now: &Mutex<DateTime<Utc>>, millis: i64) {
        *now.lock().unwrap() += Duration::milliseconds(millis);
    }

    fn connection(user: Id, at: DateTime<Utc>) -> Connection {
        Connection {
            id: Id::new(),
            user_id: user,
            broker: BrokerKind::TopstepX,
            environment: BrokerEnvironment::Demo,
            label: "x".into(),
            status: ConnectionStatus::Connected,
            last_error: None,
            credential_hint: "••••".into(),
            credentials_updated_at: at,
            venue_key_created_at: None,
            can_withdraw: None,
            last_checked_at: at,
            created_at: at,
        }
    }

    fn snapshot(balance: f64) -> AccountSnapshot {
        AccountSnapshot {
            balance: Some(balance),
            positions: Vec::new(),
        }
    }

    /// Reads `connection` through `reads`, answering `balance` (or a failure) and counting
    /// the venue calls in `calls`.
    async fn read(
        reads: &Reads,
        connection: &Connection,
        calls: &Mutex<u32>,
        balance: Option<f64>,
    ) -> Result<Option<f64>, ConnectionError> {
        let accounts = ["A-1".to_owned()];
        let outcome = reads
            .snapshots(connection, &accounts, || async {
                *calls.lock().unwrap() += 1;
                HashMap::from([("A-1".to_owned(), balance.map(snapshot))])
            })
            .await?;
        Ok(outcome.snapshots["A-1"].as_ref().and_then(|s| s.balance))
    }

    #[test]
    fn a_user_gets_a_burst_of_ten_then_one_read_every_two_seconds() {
        let (clock, now) = clock();
        let reads = Reads::new(clock);
        let (alice, bob) = (Id::new(), Id::new());
        for _ in 0..READ_BURST {
            reads.take(alice).unwrap();
        }
        match reads.take(alice) {
            Err(ConnectionError::RateLimited {
                retry_after_seconds,
            }) => assert_eq!(retry_after_seconds, 2),
            other => panic!("the 11th read went through: {other:?}"),
        }
        // Someone else's budget is their own.
        reads.take(bob).unwrap();
        advance(&now, 1000);
        assert!(matches!(
            reads.take(alice),
            Err(ConnectionError::RateLimited {
                retry_after_seconds: 1
            })
        ));
        advance(&now, 1000);
        reads.take(alice).unwrap();
        assert!(reads.take(alice).is_err());
        // A minute later the burst is back, and no more than the burst.
        advance(&now, 600_000);
        for _ in 0..READ_BURST {
            reads.take(alice).unwrap();
        }
        assert!(reads.take(alice).is_err());
    }

    #[test]
    fn a_clock_that_goes_back_refills_nothing() {
        let (clock, now) = clock();
        let reads = Reads::new(clock);
        let user = Id::new();
        for _ in 0..READ_BURST {
            reads.take(user).unwrap();
        }
        advance(&now, -3_600_000);
        assert!(reads.take(user).is_err());
    }

    #[tokio::test]
    async fn a_good_read_is_reused_for_five_seconds_and_only_with_the_same_credentials() {
        let (clock, now) = clock();
        let reads = Reads::new(clock);
        let calls = Mutex::new(0);
        let at = *now.lock().unwrap();
        let mut connection = connection(Id::new(), at);
        assert_eq!(
            read(&reads, &connection, &calls, Some(1.0)).await.unwrap(),
            Some(1.0)
        );
        advance(&now, CACHE_SECONDS * 1000 - 1);
        assert_eq!(
            read(&reads, &connection, &calls, Some(2.0)).await.unwrap(),
            Some(1.0)
        );
        assert_eq!(*calls.lock().unwrap(), 1);
        advance(&now, 1);
        assert_eq!(
            read(&reads, &connection, &calls, Some(3.0)).await.unwrap(),
            Some(3.0)
        );
        // New credentials: the old answer is not theirs.
        connection.credentials_updated_at += Duration::seconds(1);
        assert_eq!(
            read(&reads, &connection, &calls, Some(4.0)).await.unwrap(),
            Some(4.0)
        );
        reads.forget(connection.id);
        assert_eq!(
            read(&reads, &connection, &calls, Some(5.0)).await.unwrap(),
            Some(5.0)
        );
        assert_eq!(*calls.lock().unwrap(), 4);
    }

    #[tokio::test]
    async fn a_failed_read_is_never_reused() {
        let (clock, now) = clock();
        let reads = Reads::new(clock);
        let calls = Mutex::new(0);
        let connection = connection(Id::new(), *now.lock().unwrap());
        assert_eq!(read(&reads, &connection, &calls, None).await.unwrap(), None);
        assert_eq!(
            read(&reads, &connection, &calls, Some(7.0)).await.unwrap(),
            Some(7.0)
        );
        assert_eq!(*calls.lock().unwrap(), 2);
        // A failure after a good read drops the good one too: it may be what changed.
        advance(&now, CACHE_SECONDS * 1000);
        assert_eq!(read(&reads, &connection, &calls, None).await.unwrap(), None);
        assert_eq!(
            read(&reads, &connection, &calls, Some(8.0)).await.unwrap(),
            Some(8.0)
        );
        assert_eq!(*calls.lock().unwrap(), 4);
    }

    #[tokio::test]
    async fn an_account_the_last_read_did_not_cover_is_read_again() {
        let (clock, now) = clock();
        let reads = Reads::new(clock);
        let connection = connection(Id::new(), *now.lock().unwrap());
        let calls = Mutex::new(0);
        read(&reads, &connection, &calls, Some(1.0)).await.unwrap();
        let both = ["A-1".to_owned(), "A-2".to_owned()];
        let outcome = reads
            .snapshots(&connection, &both, || async {
                *calls.lock().unwrap() += 1;
                both.iter()
                    .map(|a| (a.clone(), Some(snapshot(9.0))))
                    .collect()
            })
            .await
            .unwrap();
        assert_eq!(outcome.snapshots.len(), 2);
        assert_eq!(*calls.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn reads_of_one_connection_in_flight_together_ask_the_venue_once() {
        let (clock, now) = clock();
        let reads = Reads::new(clock);
        let connection = connection(Id::new(), *now.lock().unwrap());
        let calls = Mutex::new(0);
        let (release, gate) = tokio::sync::watch::channel(false);
        let accounts = ["A-1".to_owned()];
        let reader = || {
            let mut gate = gate.clone();
            reads.snapshots(&connection, &accounts, || {
                *calls.lock().unwrap() += 1;
                async move {
                    // Hold the venue's answer until every reader is waiting.
                    let _ = gate.wait_for(|open| *open).await;
                    HashMap::from([("A-1".to_owned(), Some(snapshot(1.0)))])
                }
            })
        };
        let all = futures_util::future::join_all((0..5).map(|_| reader()));
        let opener = async {
            tokio::task::yield_now().await;
            release.send(true).unwrap();
        };
        let (outcomes, ()) = tokio::join!(all, opener);
        assert!(outcomes.iter().all(Result::is_ok));
        assert_eq!(*calls.lock().unwrap(), 1);
    }

    #[tokio::test]
    async fn a_rate_limited_read_does_not_ask_the_venue_and_a_reused_one_costs_nothing() {
        let (clock, now) = clock();
        let reads = Reads::new(clock);
        let user = Id::new();
        let cached = connection(user, *now.lock().unwrap());
        let calls = Mutex::new(0);
        read(&reads, &cached, &calls, Some(1.0)).await.unwrap();
        for _ in 1..READ_BURST {
            reads.take(user).unwrap();
        }
        let other = connection(user, *now.lock().unwrap());
        assert!(matches!(
            read(&reads, &other, &calls, Some(2.0)).await,
            Err(ConnectionError::RateLimited { .. })
        ));
        assert_eq!(
            read(&reads, &cached, &calls, Some(3.0)).await.unwrap(),
            Some(1.0)
        );
        assert_eq!(*calls.lock().unwrap(), 1);
    }

    #[test]
    fn a_check_stands_for_five_seconds() {
        let (clock, now) = clock();
        let reads = Reads::new(clock);
        let connection = connection(Id::new(), *now.lock().unwrap());
        assert!(reads.checked_recently(&connection));
        advance(&now, CACHE_SECONDS * 1000);
        assert!(!reads.checked_recently(&connection));
    }
}
