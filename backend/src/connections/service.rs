//! The connection service: link, check, re-key and unlink broker connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::db::{self, CheckResult, ConnectionRow, SecretRow};
use super::reads::Reads;
use super::{
    AccountView, Connection, ConnectionError, ConnectionStatus, TradingAccount, trade_only_guidance,
};
use crate::auth::{Auth, RequestMeta, SecurityEventKind, User};
use crate::brokers::credentials::Field;
use crate::brokers::paper::DEFAULT_STARTING_BALANCE;
use crate::brokers::{
    AccountSnapshot, BrokerAccount, BrokerAdapter, BrokerEnvironment, BrokerError, BrokerKind,
    Brokers, Credentials, KeyPermissions,
};
use crate::clock::Clock;
use crate::db::Db;
use crate::db::types::{Id, Ts};
use crate::shutdown::{self, Shutdown};
use crate::vault::{SecretString, Vault, associated_data};

/// What a user asks to link.
pub struct LinkRequest {
    pub broker: BrokerKind,
    pub environment: BrokerEnvironment,
    pub label: String,
    pub credentials: Credentials,
    pub totp_code: Option<String>,
    /// Paper accounts only: the simulated starting balance.
    pub starting_balance: Option<f64>,
}

const MAX_LABEL_CHARS: usize = 60;
/// How often each linked key is checked with its broker.
const CHECK_EVERY_HOURS: i64 = 24;

/// Linked broker connections; cheap to clone.
#[derive(Clone)]
pub struct Connections {
    db: Db,
    vault: Arc<Vault>,
    brokers: Brokers,
    auth: Auth,
    clock: Clock,
    adapters: Arc<Mutex<HashMap<Id, KeptAdapter>>>,
    /// What the API asks venues for users: reused briefly, budgeted per user.
    reads: Reads,
}

/// One adapter per connection, shared by the API and the copier while the credentials stay the
/// same: an adapter owns the venue session, and a venue that limits logins (Tradovate: 10 a
/// minute) must not see one per page view.
struct KeptAdapter {
    credentials_updated_at: DateTime<Utc>,
    adapter: Arc<dyn BrokerAdapter>,
}

/// What a successful check against the broker found.
struct Verified {
    permissions: KeyPermissions,
    accounts: Vec<BrokerAccount>,
    /// Logged in already: kept for the connection once it is stored.
    adapter: Arc<dyn BrokerAdapter>,
}

/// The vault's associated data for one credential field: it opens only in this row.
fn field_ad(user: Id, connection: Id, field: Field) -> Vec<u8> {
    associated_data(&user.to_string(), &connection.to_string(), field.name())
}

impl Connections {
    pub fn new(db: Db, vault: Arc<Vault>, brokers: Brokers, auth: Auth, clock: Clock) -> Self {
        Self {
            db,
            vault,
            brokers,
            auth,
            reads: Reads::new(clock.clone()),
            clock,
            adapters: Arc::default(),
        }
    }

    fn now(&self) -> Ts {
        Ts::new(self.clock.now())
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Checks the credentials against the broker, refuses keys that can withdraw, discovers
    /// the trading accounts, then stores the connection with every field sealed.
    pub async fn link(
        &self,
        user: &User,
        request: LinkRequest,
        meta: &RequestMeta,
    ) -> Result<Connection, ConnectionError> {
        let label = clean_label(&request.label)?;
        request.credentials.check(request.broker)?;
        let request = LinkRequest {
            credentials: request.credentials.with_device_id(request.broker, None),
            ..request
        };
        if request.broker != BrokerKind::Paper && request.starting_balance.is_some() {
            return Err(ConnectionError::InvalidInput {
                field: "paperStartingBalance",
                message: "applies to paper accounts only".into(),
            });
        }
        if request.environment == BrokerEnvironment::Live {
            self.auth.check_may_link_live(user)?;
        }
        self.auth
            .verify_second_factor(user, request.totp_code.as_deref(), meta)
            .await?;
        let id = Id::new();
        let connection = id.to_string();
        if request.broker == BrokerKind::Paper {
            let balance = request.starting_balance.unwrap_or(DEFAULT_STARTING_BALANCE);
            if !(balance.is_finite() && (1.0..=1e12).contains(&balance)) {
                return Err(ConnectionError::InvalidInput {
                    field: "paperStartingBalance",
                    message: "must be between 1 and 1,000,000,000,000".into(),
                });
            }
            self.brokers
                .paper
                .open_account(&connection, balance)
                .await?;
        }
        let result = self.link_verified(user, id, label, &request, meta).await;
        if result.is_err() && request.broker == BrokerKind::Paper {
            self.brokers.paper.close_account(&connection).await.ok();
        }
        result
    }

    async fn link_verified(
        &self,
        user: &User,
        id: Id,
        label: String,
        request: &LinkRequest,
        meta: &RequestMeta,
    ) -> Result<Connection, ConnectionError> {
        let verified = self
            .verify_new(
                user,
                (request.broker, request.environment),
                id,
                &request.credentials,
                meta,
            )
            .await?;
        let now = self.now();
        let row = ConnectionRow {
            id,
            user_id: user.id,
            broker: request.broker.as_str().to_owned(),
            environment: request.environment.as_str().to_owned(),
            label,
            status: ConnectionStatus::Connected.as_str().to_owned(),
            last_error: None,
            credential_hint: request.credentials.hint(request.broker),
            credentials_updated_at: now,
            venue_key_created_at: verified.permissions.key_created_at.map(Ts::new),
            can_withdraw: verified.permissions.can_withdraw,
            last_checked_at: now,
            created_at: now,
        };
        let secrets = self.seal(user.id, id, &request.credentials)?;
        db::insert(&self.db, &row, &secrets, &verified.accounts).await?;
        self.auth
            .record_event(user.id, SecurityEventKind::BrokerLinked, meta)
            .await?;
        tracing::info!(user = %user.id, connection = %id, broker = request.broker.as_str(), "broker account linked");
        let connection = self.get(user, id).await?;
        self.keep(&connection, verified.adapter);
        Ok(connection)
    }

    /// Replaces a connection's credentials after checking the new ones against the broker.
    pub async fn update_credentials(
        &self,
        user: &User,
        id: Id,
        credentials: Credentials,
        totp_code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<Connection, ConnectionError> {
        let connection = self.get(user, id).await?;
        if connection.broker == BrokerKind::Paper {
            return Err(ConnectionError::InvalidInput {
                field: "credentials",
                message: "a paper account has no credentials to change".into(),
            });
        }
        credentials.check(connection.broker)?;
        self.auth
            .verify_second_factor(user, totp_code, meta)
            .await?;
        let stored = self.credentials(&connection).await.ok();
        let credentials = credentials.with_device_id(
            connection.broker,
            stored.as_ref().and_then(|s| s.get(Field::DeviceId)),
        );
        let verified = self
            .verify_new(
                user,
                (connection.broker, connection.environment),
                id,
                &credentials,
                meta,
            )
            .await?;
        let secrets = self.seal(user.id, id, &credentials)?;
        let check = CheckResult {
            status: ConnectionStatus::Connected,
            last_error: None,
            can_withdraw: verified.permissions.can_withdraw,
            venue_key_created_at: verified.permissions.key_created_at.map(Ts::new),
            accounts: &verified.accounts,
            now: self.now(),
        };
        let hint = credentials.hint(connection.broker);
        if !db::record_check(&self.db, user.id, id, &check, Some((&secrets, &hint))).await? {
            return Err(ConnectionError::NotFound);
        }
        self.reads.forget(id);
        self.auth
            .record_event(user.id, SecurityEventKind::BrokerCredentialsChanged, meta)
            .await?;
        let connection = self.get(user, id).await?;
        self.keep(&connection, verified.adapter);
        Ok(connection)
    }

    /// Records on the connection a broker error the user must act on (refused credentials, a
    /// captcha to solve): the Accounts page shows it, and copying to it pauses until the user
    /// fixes it and tests the connection. Other errors leave the connection as it is.
    pub async fn report_broker_error(
        &self,
        user: Id,
        connection: Id,
        err: &BrokerError,
    ) -> Result<(), ConnectionError> {
        if matches!(
            err,
            BrokerError::BadCredentials(_) | BrokerError::ActionRequired(_)
        ) {
            db::mark_failed(&self.db, user, connection, &err.to_string()).await?;
            tracing::warn!(%connection, %err, "a broker connection needs its owner's attention");
        }
        Ok(())
    }

    /// Checks a connection against the broker now and records the outcome: a failure is not
    /// an error of this call but the connection's status and `lastError`. A venue connection
    /// checked less than [`super::CACHE_SECONDS`] ago answers as recorded; tests of one
    /// connection run one at a time (a caller who waited gets the check that just ran); each
    /// check costs one of the user's broker reads.
    pub async fn test(&self, user: &User, id: Id) -> Result<Connection, ConnectionError> {
        let connection = self.get(user, id).await?;
        if connection.broker == BrokerKind::Paper {
            self.check(&connection).await?;
            return self.get(user, id).await;
        }
        let _turn = self.reads.check_turn(id).await?;
        let connection = self.get(user, id).await?;
        if self.reads.checked_recently(&connection) {
            return Ok(connection);
        }
        self.reads.take(user.id)?;
        let checked = self.check(&connection).await;
        // Whatever it found (refused credentials, other accounts), balances read before it
        // no longer stand.
        self.reads.forget(id);
        checked?;
        self.get(user, id).await
    }

    /// Checks one stored connection with the broker and records the outcome. A key that has
    /// gained withdrawal rights becomes `REFUSED` (copying to it stops) and the user's security
    /// log says so.
    async fn check(&self, connection: &Connection) -> Result<(), ConnectionError> {
        let outcome = match self.adapter(connection).await {
            Ok(adapter) => self.verify(connection.broker, adapter).await,
            Err(err) => Err(err),
        };
        let (status, last_error, can_withdraw, accounts) = match outcome {
            Ok(verified) => (
                ConnectionStatus::Connected,
                None,
                verified.permissions.can_withdraw,
                verified.accounts,
            ),
            Err(err @ ConnectionError::WithdrawalRefused { .. }) => (
                ConnectionStatus::Refused,
                Some(err.to_string()),
                Some(true),
                Vec::new(),
            ),
            Err(ConnectionError::Internal(detail)) => {
                return Err(ConnectionError::Internal(detail));
            }
            Err(err) => (
                ConnectionStatus::Error,
                Some(err.to_string()),
                connection.can_withdraw,
                Vec::new(),
            ),
        };
        let check = CheckResult {
            status,
            last_error,
            can_withdraw,
            venue_key_created_at: connection.venue_key_created_at.map(Ts::new),
            accounts: &accounts,
            now: self.now(),
        };
        if !db::record_check(&self.db, connection.user_id, connection.id, &check, None).await? {
            return Err(ConnectionError::NotFound);
        }
        if status == ConnectionStatus::Refused && connection.status != ConnectionStatus::Refused {
            self.auth
                .record_system_event(connection.user_id, SecurityEventKind::BrokerKeyRefused)
                .await?;
            tracing::warn!(connection = %connection.id, "a linked key gained withdrawal rights: refused");
        }
        Ok(())
    }

    /// Checks every connection not checked for a day (SEC-14: keys are re-checked daily);
    /// returns how many were checked.
    pub async fn check_stale(&self) -> Result<usize, ConnectionError> {
        let before = Ts::new(self.clock.now() - chrono::Duration::hours(CHECK_EVERY_HOURS));
        let due = db::checked_before(&self.db, before).await?;
        for connection in &due {
            if let Err(err) = self.check(connection).await {
                tracing::warn!(connection = %connection.id, %err, "daily key check failed");
            }
        }
        Ok(due.len())
    }

    /// Tells each owner, once per set of credentials, that a key passed its 30-day rotation date
    /// (a security-log entry and its notice mail). Returns how many were told.
    pub async fn notify_rotation_due(&self) -> Result<usize, ConnectionError> {
        let now = self.clock.now();
        let mut told = 0;
        for connection in db::rotation_not_notified(&self.db).await? {
            if connection.rotation_due(now)
                && db::mark_rotation_notified(&self.db, connection.id, Ts::new(now)).await?
            {
                self.auth
                    .record_system_event(
                        connection.user_id,
                        SecurityEventKind::BrokerKeyRotationDue,
                    )
                    .await?;
                told += 1;
            }
        }
        Ok(told)
    }

    /// Every hour until shutdown: [`Self::check_stale`], the rotation notices, and the paper
    /// books of deleted users go.
    pub async fn run_daily_checks(self, shutdown: Shutdown) {
        shutdown::every(std::time::Duration::from_secs(3600), shutdown, || async {
            if let Err(err) = self.check_stale().await {
                tracing::warn!(%err, "daily key checks failed; retrying in an hour");
            }
            if let Err(err) = self.notify_rotation_due().await {
                tracing::warn!(%err, "rotation notices failed; retrying in an hour");
            }
            if let Err(err) = self.brokers.paper.remove_orphans().await {
                tracing::warn!(%err, "removing deleted users' paper books failed; retrying in an hour");
            }
        })
        .await;
    }

    /// Deletes a connection and its sealed credentials at once.
    pub async fn unlink(
        &self,
        user: &User,
        id: Id,
        meta: &RequestMeta,
    ) -> Result<(), ConnectionError> {
        let connection = self.get(user, id).await?;
        if db::delete(&self.db, user.id, id).await?.is_none() {
            return Err(ConnectionError::NotFound);
        }
        if connection.broker == BrokerKind::Paper {
            self.brokers.paper.close_account(&id.to_string()).await?;
        }
        self.auth
            .record_event(user.id, SecurityEventKind::BrokerUnlinked, meta)
            .await?;
        if let Ok(mut adapters) = self.adapters.lock() {
            adapters.remove(&id);
        }
        self.reads.forget(id);
        tracing::info!(user = %user.id, connection = %id, "broker account unlinked");
        Ok(())
    }

    pub async fn list(&self, user: &User) -> Result<Vec<Connection>, ConnectionError> {
        Ok(db::list(&self.db, user.id).await?)
    }

    pub async fn get(&self, user: &User, id: Id) -> Result<Connection, ConnectionError> {
        db::get(&self.db, user.id, id)
            .await?
            .ok_or(ConnectionError::NotFound)
    }

    /// The trading accounts of every connection of the user.
    pub async fn trading_accounts(
        &self,
        user: &User,
    ) -> Result<Vec<TradingAccount>, ConnectionError> {
        Ok(db::accounts(&self.db, user.id, None).await?)
    }

    /// One of the user's trading accounts with its connection; `NotFound` for anyone else's.
    pub async fn account_of(
        &self,
        user: Id,
        account: Id,
    ) -> Result<(Connection, TradingAccount), ConnectionError> {
        let account = db::account(&self.db, user, account)
            .await?
            .ok_or(ConnectionError::NotFound)?;
        let connection = db::get(&self.db, user, account.connection_id)
            .await?
            .ok_or(ConnectionError::NotFound)?;
        Ok((connection, account))
    }

    /// A connection's trading accounts as stored, without asking the broker.
    pub async fn listed_accounts(
        &self,
        connection: &Connection,
    ) -> Result<Vec<AccountView>, ConnectionError> {
        Ok(
            db::accounts(&self.db, connection.user_id, Some(connection.id))
                .await?
                .into_iter()
                .map(|account| AccountView {
                    account,
                    snapshot: None,
                    read_at: None,
                })
                .collect(),
        )
    }

    /// A connection's trading accounts with balance and positions as the broker reports them
    /// (`snapshot` is `None` for an account the broker could not be asked about), for the API:
    /// a venue's answer is reused for [`super::CACHE_SECONDS`] and each venue read costs one
    /// of the owner's broker reads (`RateLimited` past them). The copier reads through
    /// [`Self::adapter`] instead, never cached and never throttled.
    pub async fn accounts(
        &self,
        connection: &Connection,
    ) -> Result<Vec<AccountView>, ConnectionError> {
        let accounts = db::accounts(&self.db, connection.user_id, Some(connection.id)).await?;
        let ids: Vec<String> = accounts.iter().map(|a| a.external_id.clone()).collect();
        let (mut snapshots, read_at) = if connection.broker == BrokerKind::Paper {
            // CopyTrade's own simulation: no venue to spare, and a fill shows at once.
            (
                self.read_snapshots(connection, &ids).await,
                self.clock.now(),
            )
        } else {
            // On a task of its own: a read the user paid for finishes and is kept even if the
            // request goes away (a client gone, a sibling field's error).
            let this = self.clone();
            let connection = connection.clone();
            let read = tokio::spawn(async move {
                let read = || this.read_snapshots(&connection, &ids);
                this.reads.snapshots(&connection, &ids, read).await
            });
            let outcome = read.await.map_err(|err| {
                ConnectionError::Internal(format!("a broker read stopped: {err}"))
            })??;
            (outcome.snapshots, outcome.read_at)
        };
        Ok(accounts
            .into_iter()
            .map(|account| AccountView {
                snapshot: snapshots.remove(&account.external_id).flatten(),
                read_at: Some(read_at),
                account,
            })
            .collect())
    }

    /// Asks the broker for each account's balance and positions; `None` where it failed.
    async fn read_snapshots(
        &self,
        connection: &Connection,
        accounts: &[String],
    ) -> HashMap<String, Option<AccountSnapshot>> {
        let adapter = match self.adapter(connection).await {
            Ok(adapter) => Some(adapter),
            Err(err) => {
                tracing::warn!(connection = %connection.id, %err, "cannot read accounts from the broker");
                None
            }
        };
        let mut snapshots = HashMap::with_capacity(accounts.len());
        for account in accounts {
            let snapshot = match &adapter {
                Some(adapter) => adapter.snapshot(account).await.ok(),
                None => None,
            };
            snapshots.insert(account.clone(), snapshot);
        }
        snapshots
    }

    /// The adapter of a stored connection: the one kept for it while its credentials are the
    /// same, else a new one with its credentials opened from the vault.
    pub async fn adapter(
        &self,
        connection: &Connection,
    ) -> Result<Arc<dyn BrokerAdapter>, ConnectionError> {
        if let Some(kept) = self.kept(connection) {
            return Ok(kept);
        }
        let credentials = self.credentials(connection).await?;
        let adapter = self.brokers.adapter(
            connection.broker,
            connection.environment,
            &connection.id.to_string(),
            &credentials,
        )?;
        // Two callers may build one at once: the first kept wins, so both share a session.
        Ok(self.keep(connection, adapter))
    }

    fn kept(&self, connection: &Connection) -> Option<Arc<dyn BrokerAdapter>> {
        let adapters = self.adapters.lock().ok()?;
        adapters
            .get(&connection.id)
            .filter(|kept| kept.credentials_updated_at == connection.credentials_updated_at)
            .map(|kept| Arc::clone(&kept.adapter))
    }

    /// Keeps `adapter` for the connection unless one for the same credentials is kept already;
    /// returns the one kept.
    fn keep(
        &self,
        connection: &Connection,
        adapter: Arc<dyn BrokerAdapter>,
    ) -> Arc<dyn BrokerAdapter> {
        // A venue's orders drop the balances read for the API, so a trade shows at once.
        let adapter = if connection.broker == BrokerKind::Paper {
            adapter
        } else {
            self.reads.drop_on_orders(connection.id, adapter)
        };
        let Ok(mut adapters) = self.adapters.lock() else {
            return adapter;
        };
        let kept = adapters
            .entry(connection.id)
            .and_modify(|kept| {
                if kept.credentials_updated_at != connection.credentials_updated_at {
                    *kept = KeptAdapter {
                        credentials_updated_at: connection.credentials_updated_at,
                        adapter: Arc::clone(&adapter),
                    };
                }
            })
            .or_insert_with(|| KeptAdapter {
                credentials_updated_at: connection.credentials_updated_at,
                adapter: Arc::clone(&adapter),
            });
        Arc::clone(&kept.adapter)
    }

    async fn credentials(&self, connection: &Connection) -> Result<Credentials, ConnectionError> {
        let rows = db::secrets(&self.db, connection.user_id, connection.id).await?;
        let mut pairs = Vec::with_capacity(rows.len());
        for row in rows {
            let field = Field::parse(&row.field).ok_or_else(|| {
                ConnectionError::Internal(format!("unknown credential field {}", row.field))
            })?;
            let plain = self
                .vault
                .open(
                    &row.secret,
                    &field_ad(connection.user_id, connection.id, field),
                )
                .map_err(|_| ConnectionError::InvalidInput {
                    field: "credentials",
                    message: "the stored credentials cannot be opened; enter them again".into(),
                })?;
            let text = String::from_utf8(plain.to_vec())
                .map_err(|_| ConnectionError::Internal("a credential is not text".into()))?;
            pairs.push((field, Some(text)));
        }
        Ok(Credentials::from_pairs(pairs))
    }

    fn seal(
        &self,
        user: Id,
        connection: Id,
        credentials: &Credentials,
    ) -> Result<Vec<SecretRow>, ConnectionError> {
        credentials
            .iter()
            .map(|(field, value): &(Field, SecretString)| {
                let secret = self
                    .vault
                    .seal(
                        value.expose().as_bytes(),
                        &field_ad(user, connection, *field),
                    )
                    .map_err(|err| ConnectionError::Internal(err.to_string()))?;
                Ok(SecretRow {
                    connection_id: connection,
                    user_id: user,
                    field: field.name().to_owned(),
                    secret,
                })
            })
            .collect()
    }

    /// Checks credentials a user is entering; a key refused for withdrawal rights goes into
    /// the user's security log.
    async fn verify_new(
        &self,
        user: &User,
        (broker, environment): (BrokerKind, BrokerEnvironment),
        connection: Id,
        credentials: &Credentials,
        meta: &RequestMeta,
    ) -> Result<Verified, ConnectionError> {
        let adapter =
            self.brokers
                .adapter(broker, environment, &connection.to_string(), credentials)?;
        let verified = self.verify(broker, adapter).await;
        if let Err(ConnectionError::WithdrawalRefused { .. }) = &verified {
            self.auth
                .record_event(user.id, SecurityEventKind::BrokerKeyRefused, meta)
                .await?;
        }
        verified
    }

    /// Logs in, reads the key's permissions (refusing withdrawal rights and keys that cannot
    /// trade) and lists the trading accounts.
    async fn verify(
        &self,
        broker: BrokerKind,
        adapter: Arc<dyn BrokerAdapter>,
    ) -> Result<Verified, ConnectionError> {
        adapter.authenticate().await?;
        let permissions = adapter.permissions().await?;
        if permissions.can_withdraw == Some(true) {
            return Err(ConnectionError::WithdrawalRefused {
                broker: broker.display_name(),
                how: trade_only_guidance(broker),
            });
        }
        if permissions.can_trade == Some(false) {
            return Err(ConnectionError::TradingNotAllowed {
                broker: broker.display_name(),
                how: trade_only_guidance(broker),
            });
        }
        if permissions.can_transfer == Some(true) {
            tracing::warn!(
                broker = broker.as_str(),
                "the linked key can transfer between the user's own wallets"
            );
        }
        let accounts = adapter.accounts().await?;
        if accounts.is_empty() {
            return Err(ConnectionError::Broker(BrokerError::PermissionDenied(
                "this login sees no trading accounts".into(),
            )));
        }
        Ok(Verified {
            permissions,
            accounts,
            adapter,
        })
    }
}

fn clean_label(label: &str) -> Result<String, ConnectionError> {
    let label = label.trim();
    let invalid = |message: &str| ConnectionError::InvalidInput {
        field: "label",
        message: message.to_owned(),
    };
    if label.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(invalid(&format!(
            "must be at most {MAX_LABEL_CHARS} characters"
        )));
    }
    if label.chars().any(char::is_control) {
        return Err(invalid("must not contain control characters"));
    }
    Ok(label.to_owned())
}
