//! Connection queries, one body for both databases (`with_conn!`). Every read and write of a
//! user's rows filters by that user's id.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::{Connection, ConnectionStatus, TradingAccount};
use crate::brokers::{BrokerAccount, BrokerEnvironment, BrokerKind};
use crate::db::schema::{broker_connections, broker_secrets, trading_accounts};
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = broker_connections)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct ConnectionRow {
    pub id: Id,
    pub user_id: Id,
    pub broker: String,
    pub environment: String,
    pub label: String,
    pub status: String,
    pub last_error: Option<String>,
    pub credential_hint: String,
    pub credentials_updated_at: Ts,
    pub venue_key_created_at: Option<Ts>,
    pub can_withdraw: Option<bool>,
    pub last_checked_at: Ts,
    pub created_at: Ts,
}

impl ConnectionRow {
    fn into_connection(self) -> Result<Connection, DbError> {
        let corrupt = |what: &str| {
            DbError::Query(diesel::result::Error::DeserializationError(
                format!("broker_connections.{what} holds an unknown value").into(),
            ))
        };
        Ok(Connection {
            id: self.id,
            user_id: self.user_id,
            broker: BrokerKind::parse(&self.broker).ok_or_else(|| corrupt("broker"))?,
            environment: BrokerEnvironment::parse(&self.environment)
                .ok_or_else(|| corrupt("environment"))?,
            label: self.label,
            status: ConnectionStatus::parse(&self.status),
            last_error: self.last_error,
            credential_hint: self.credential_hint,
            credentials_updated_at: self.credentials_updated_at.0,
            venue_key_created_at: self.venue_key_created_at.map(|ts| ts.0),
            can_withdraw: self.can_withdraw,
            last_checked_at: self.last_checked_at.0,
            created_at: self.created_at.0,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = trading_accounts)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct AccountRow {
    id: Id,
    connection_id: Id,
    user_id: Id,
    external_id: String,
    name: String,
    created_at: Ts,
}

impl From<AccountRow> for TradingAccount {
    fn from(row: AccountRow) -> Self {
        Self {
            id: row.id,
            connection_id: row.connection_id,
            external_id: row.external_id,
            name: row.name,
        }
    }
}

/// One sealed credential field.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = broker_secrets)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct SecretRow {
    pub connection_id: Id,
    pub user_id: Id,
    pub field: String,
    pub secret: Vec<u8>,
}

/// Inside a transaction on `$c`: adds the accounts the connection does not list yet.
macro_rules! add_new_accounts {
    ($c:expr, $user:expr, $connection:expr, $accounts:expr, $now:expr) => {{
        let known: Vec<String> = trading_accounts::table
            .filter(trading_accounts::connection_id.eq($connection))
            .select(trading_accounts::external_id)
            .load($c)
            .await?;
        for account in $accounts {
            if known.contains(&account.external_id) {
                continue;
            }
            diesel::insert_into(trading_accounts::table)
                .values(AccountRow {
                    id: Id::new(),
                    connection_id: $connection,
                    user_id: $user,
                    external_id: account.external_id.clone(),
                    name: account.name.clone(),
                    created_at: $now,
                })
                .execute($c)
                .await?;
        }
    }};
}

/// Stores a new connection with its sealed fields and trading accounts, all or nothing.
pub async fn insert(
    db: &Db,
    row: &ConnectionRow,
    secrets: &[SecretRow],
    accounts: &[BrokerAccount],
) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            diesel::insert_into(broker_connections::table)
                .values(row)
                .execute(c)
                .await?;
            for secret in secrets {
                diesel::insert_into(broker_secrets::table)
                    .values(secret)
                    .execute(c)
                    .await?;
            }
            add_new_accounts!(c, row.user_id, row.id, accounts, row.created_at);
            Ok::<_, DbError>(())
        })
        .await
    })
}

/// The user's connections, oldest first.
pub async fn list(db: &Db, user: Id) -> Result<Vec<Connection>, DbError> {
    let rows: Vec<ConnectionRow> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            broker_connections::table
                .filter(broker_connections::user_id.eq(user))
                .order((broker_connections::created_at, broker_connections::id))
                .select(ConnectionRow::as_select())
                .load(c)
                .await?,
        )
    })?;
    rows.into_iter()
        .map(ConnectionRow::into_connection)
        .collect()
}

/// Every user's connections last checked before `before` (the daily key check).
pub async fn checked_before(db: &Db, before: Ts) -> Result<Vec<Connection>, DbError> {
    let rows: Vec<ConnectionRow> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            broker_connections::table
                .filter(broker_connections::last_checked_at.lt(before))
                .order(broker_connections::last_checked_at)
                .select(ConnectionRow::as_select())
                .load(c)
                .await?,
        )
    })?;
    rows.into_iter()
        .map(ConnectionRow::into_connection)
        .collect()
}

/// Connections with credentials whose owner has not been told about rotation since the
/// credentials last changed (the rotation notice).
pub async fn rotation_not_notified(db: &Db) -> Result<Vec<Connection>, DbError> {
    let rows: Vec<ConnectionRow> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            broker_connections::table
                .filter(broker_connections::broker.ne(BrokerKind::Paper.as_str()))
                .filter(
                    broker_connections::rotation_notified_at
                        .is_null()
                        .or(broker_connections::rotation_notified_at
                            .lt(broker_connections::credentials_updated_at.nullable())),
                )
                .select(ConnectionRow::as_select())
                .load(c)
                .await?,
        )
    })?;
    rows.into_iter()
        .map(ConnectionRow::into_connection)
        .collect()
}

/// Remembers that the owner was told the connection's key is due for rotation; `false` when
/// another instance told them first.
pub async fn mark_rotation_notified(db: &Db, id: Id, now: Ts) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        let updated = diesel::update(
            broker_connections::table.find(id).filter(
                broker_connections::rotation_notified_at
                    .is_null()
                    .or(broker_connections::rotation_notified_at
                        .lt(broker_connections::credentials_updated_at.nullable())),
            ),
        )
        .set(broker_connections::rotation_notified_at.eq(now))
        .execute(c)
        .await?;
        Ok(updated == 1)
    })
}

/// One of the user's connections; `None` if it does not exist or is someone else's.
pub async fn get(db: &Db, user: Id, id: Id) -> Result<Option<Connection>, DbError> {
    let row: Option<ConnectionRow> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            broker_connections::table
                .find(id)
                .filter(broker_connections::user_id.eq(user))
                .select(ConnectionRow::as_select())
                .first(c)
                .await
                .optional()?,
        )
    })?;
    row.map(ConnectionRow::into_connection).transpose()
}

/// The sealed fields of one of the user's connections.
pub async fn secrets(db: &Db, user: Id, id: Id) -> Result<Vec<SecretRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(broker_secrets::table
            .filter(broker_secrets::connection_id.eq(id))
            .filter(broker_secrets::user_id.eq(user))
            .select(SecretRow::as_select())
            .load(c)
            .await?)
    })
}

/// The trading accounts of the user's connections (all of them, or one).
pub async fn accounts(
    db: &Db,
    user: Id,
    connection: Option<Id>,
) -> Result<Vec<TradingAccount>, DbError> {
    let rows: Vec<AccountRow> = with_conn!(db, read, |c| {
        let mut query = trading_accounts::table
            .filter(trading_accounts::user_id.eq(user))
            .order((trading_accounts::created_at, trading_accounts::external_id))
            .select(AccountRow::as_select())
            .into_boxed();
        if let Some(connection) = connection {
            query = query.filter(trading_accounts::connection_id.eq(connection));
        }
        Ok::<_, DbError>(query.load(c).await?)
    })?;
    Ok(rows.into_iter().map(TradingAccount::from).collect())
}

/// One of the user's trading accounts.
pub async fn account(db: &Db, user: Id, id: Id) -> Result<Option<TradingAccount>, DbError> {
    let row: Option<AccountRow> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            trading_accounts::table
                .find(id)
                .filter(trading_accounts::user_id.eq(user))
                .select(AccountRow::as_select())
                .first(c)
                .await
                .optional()?,
        )
    })?;
    Ok(row.map(TradingAccount::from))
}

/// Marks a connection failed with the broker's reason (a refused login, a captcha), outside a
/// check: the user sees it on the connection, and copying to it pauses until a test passes.
pub async fn mark_failed(db: &Db, user: Id, id: Id, reason: &str) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        let updated = diesel::update(
            broker_connections::table
                .find(id)
                .filter(broker_connections::user_id.eq(user)),
        )
        .set((
            broker_connections::status.eq(ConnectionStatus::Error.as_str()),
            broker_connections::last_error.eq(Some(reason)),
        ))
        .execute(c)
        .await?;
        Ok(updated == 1)
    })
}

/// The outcome of a check against the broker.
pub struct CheckResult<'a> {
    pub status: ConnectionStatus,
    pub last_error: Option<String>,
    pub can_withdraw: Option<bool>,
    pub venue_key_created_at: Option<Ts>,
    pub accounts: &'a [BrokerAccount],
    pub now: Ts,
}

/// Records a check; with `secrets`, also replaces the credentials (and their hint).
pub async fn record_check(
    db: &Db,
    user: Id,
    id: Id,
    check: &CheckResult<'_>,
    new_credentials: Option<(&[SecretRow], &str)>,
) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            let updated = diesel::update(
                broker_connections::table
                    .find(id)
                    .filter(broker_connections::user_id.eq(user)),
            )
            .set((
                broker_connections::status.eq(check.status.as_str()),
                broker_connections::last_error.eq(&check.last_error),
                broker_connections::can_withdraw.eq(check.can_withdraw),
                broker_connections::last_checked_at.eq(check.now),
            ))
            .execute(c)
            .await?;
            if updated != 1 {
                return Ok::<_, DbError>(false);
            }
            if let Some((secrets, hint)) = new_credentials {
                diesel::delete(broker_secrets::table.filter(broker_secrets::connection_id.eq(id)))
                    .execute(c)
                    .await?;
                for secret in secrets {
                    diesel::insert_into(broker_secrets::table)
                        .values(secret)
                        .execute(c)
                        .await?;
                }
                diesel::update(broker_connections::table.find(id))
                    .set((
                        broker_connections::credential_hint.eq(hint),
                        broker_connections::credentials_updated_at.eq(check.now),
                        broker_connections::venue_key_created_at.eq(check.venue_key_created_at),
                    ))
                    .execute(c)
                    .await?;
            }
            add_new_accounts!(c, user, id, check.accounts, check.now);
            Ok(true)
        })
        .await
    })
}

/// Deletes one of the user's connections with its sealed credentials and accounts, in one
/// transaction. Returns the deleted accounts' external ids; `None` if there was no such
/// connection.
pub async fn delete(db: &Db, user: Id, id: Id) -> Result<Option<Vec<String>>, DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            let accounts: Vec<String> = trading_accounts::table
                .filter(trading_accounts::connection_id.eq(id))
                .filter(trading_accounts::user_id.eq(user))
                .select(trading_accounts::external_id)
                .load(c)
                .await?;
            diesel::delete(
                broker_secrets::table
                    .filter(broker_secrets::connection_id.eq(id))
                    .filter(broker_secrets::user_id.eq(user)),
            )
            .execute(c)
            .await?;
            diesel::delete(
                trading_accounts::table
                    .filter(trading_accounts::connection_id.eq(id))
                    .filter(trading_accounts::user_id.eq(user)),
            )
            .execute(c)
            .await?;
            let deleted = diesel::delete(
                broker_connections::table
                    .find(id)
                    .filter(broker_connections::user_id.eq(user)),
            )
            .execute(c)
            .await?;
            Ok::<_, DbError>((deleted == 1).then_some(accounts))
        })
        .await
    })
}

/// Users who have stored broker credentials now (any connection but paper).
pub async fn credential_holders(db: &Db) -> Result<Vec<Id>, DbError> {
    with_conn!(db, read, |c| {
        Ok(broker_connections::table
            .filter(broker_connections::broker.ne(BrokerKind::Paper.as_str()))
            .select(broker_connections::user_id)
            .distinct()
            .load(c)
            .await?)
    })
}
