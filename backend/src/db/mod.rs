//! The database: one code path for SQLite (embedded default) and PostgreSQL (production).
//!
//! Rules: queries live here and in the service modules' `db` files, never in GraphQL resolvers
//! (diesel-async's `RunQueryDsl` breaks `#[Subscription]`). A query body is written once and
//! compiled for both backends by [`with_conn!`]. SQLite gets one writer connection and several
//! readers (WAL), PostgreSQL one pool; both run their embedded migrations at start.

mod migrate;
mod pool;
pub mod schema;
pub mod types;

use std::time::Duration;

use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::config::DatabaseUrl;

pub use migrate::{MigrationReport, migrate};

/// SQLite through diesel-async's wrapper around diesel's synchronous connection.
pub type SqliteConn = SyncConnectionWrapper<diesel::SqliteConnection>;

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub enum Db {
    /// `write` holds exactly one connection: SQLite has one writer, and queuing in the pool
    /// beats `database is locked` errors.
    Sqlite {
        read: Pool<SqliteConn>,
        write: Pool<SqliteConn>,
    },
    Postgres(Pool<AsyncPgConnection>),
}

/// Which database engine the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(name = "DatabaseKind")]
pub enum DatabaseKind {
    /// An embedded SQLite file (the default; nothing to install).
    Sqlite,
    /// A PostgreSQL server (production; several instances can share it).
    Postgres,
}

/// A database failure; the message never holds a password.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("migrations on {url} failed: {reason}")]
    Migration { url: String, reason: String },
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database did not answer within {0:?}")]
    Timeout(Duration),
}

/// Runs `$body` with `$c` bound to a pooled connection of either backend. `$role` is `read` or
/// `write` and matters for SQLite only. The body is compiled once per backend, so it must be
/// valid diesel for both.
#[macro_export]
macro_rules! with_conn {
    ($db:expr, $role:ident, |$c:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite { $role: pool, .. } => {
                let mut conn = pool
                    .get()
                    .await
                    .map_err(|err| $crate::db::DbError::Pool(err.to_string()))?;
                let $c: &mut $crate::db::SqliteConn = &mut conn;
                $body
            }
            $crate::db::Db::Postgres(pool) => {
                let mut conn = pool
                    .get()
                    .await
                    .map_err(|err| $crate::db::DbError::Pool(err.to_string()))?;
                let $c: &mut ::diesel_async::AsyncPgConnection = &mut conn;
                $body
            }
        }
    };
}

/// Serialises a critical section across server instances for the rest of a transaction: an
/// advisory lock on PostgreSQL. SQLite needs none: it has one writer at a time.
pub trait TxLock {
    fn lock_for_tx(
        &mut self,
        key: i64,
    ) -> impl std::future::Future<Output = diesel::QueryResult<()>> + Send;
}

impl TxLock for SqliteConn {
    async fn lock_for_tx(&mut self, _key: i64) -> diesel::QueryResult<()> {
        Ok(())
    }
}

impl TxLock for AsyncPgConnection {
    async fn lock_for_tx(&mut self, key: i64) -> diesel::QueryResult<()> {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(key)
            .execute(self)
            .await
            .map(drop)
    }
}

/// Lets the rest of a transaction commit without waiting for the disk (PostgreSQL's
/// `synchronous_commit = off`): only for writes a crash may lose because they are rebuilt
/// afterwards (the copier reconciles by client order id). A crash then loses at most the last
/// fraction of a second of such writes, never anything else. SQLite (WAL with
/// `synchronous = NORMAL`) already commits this way.
pub trait RelaxedCommit {
    fn relax_commit(&mut self)
    -> impl std::future::Future<Output = diesel::QueryResult<()>> + Send;
}

impl RelaxedCommit for SqliteConn {
    async fn relax_commit(&mut self) -> diesel::QueryResult<()> {
        Ok(())
    }
}

impl RelaxedCommit for AsyncPgConnection {
    async fn relax_commit(&mut self) -> diesel::QueryResult<()> {
        diesel::sql_query("SET LOCAL synchronous_commit TO OFF")
            .execute(self)
            .await
            .map(drop)
    }
}

impl Db {
    /// Connects to the configured database and checks that it answers. Does not migrate.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, DbError> {
        let db = match url {
            DatabaseUrl::Sqlite(path) => pool::sqlite(path)?,
            DatabaseUrl::Postgres(raw) => pool::postgres(raw)?,
        };
        db.ping(Duration::from_secs(10))
            .await
            .map_err(|err| DbError::Connect {
                url: url.redacted(),
                reason: match err {
                    DbError::Pool(reason) => reason,
                    other => other.to_string(),
                },
            })?;
        Ok(db)
    }

    pub fn kind(&self) -> DatabaseKind {
        match self {
            Self::Sqlite { .. } => DatabaseKind::Sqlite,
            Self::Postgres(_) => DatabaseKind::Postgres,
        }
    }

    /// Proves the database answers a query within `timeout` (readiness probe).
    pub async fn ping(&self, timeout: Duration) -> Result<(), DbError> {
        let query = async {
            with_conn!(self, read, |c| {
                diesel::sql_query("SELECT 1").execute(c).await?;
                Ok::<(), DbError>(())
            })
        };
        tokio::time::timeout(timeout, query)
            .await
            .map_err(|_| DbError::Timeout(timeout))?
    }
}
