//! Schema migrations, embedded in the binary: `migrations/sqlite` and `migrations/postgres`
//! hold the same changes in each dialect.
//!
//! PostgreSQL may be shared by several server instances starting at once, so migrations run
//! under an advisory lock: the second instance waits, then finds nothing left to do.

use diesel::Connection;
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbError;
use crate::config::DatabaseUrl;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// An arbitrary constant that names CopyTrade's migration lock among PostgreSQL advisory locks.
const MIGRATION_LOCK_KEY: i64 = 0x0c09_7ad3_0001;

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this run, oldest first; empty when the schema was already current.
    pub applied: Vec<String>,
}

/// Brings the database's schema up to date.
pub async fn migrate(url: &DatabaseUrl) -> Result<MigrationReport, DbError> {
    let fail = |reason: String| DbError::Migration {
        url: url.redacted(),
        reason,
    };
    let applied = match url {
        DatabaseUrl::Sqlite(path) => {
            let path = path.to_string_lossy().into_owned();
            tokio::task::spawn_blocking(move || migrate_sqlite(&path))
                .await
                .map_err(|err| fail(err.to_string()))?
                .map_err(fail)?
        }
        DatabaseUrl::Postgres(raw) => {
            let mut conn =
                AsyncPgConnection::establish(raw)
                    .await
                    .map_err(|err| DbError::Connect {
                        url: url.redacted(),
                        reason: err.to_string(),
                    })?;
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(&mut conn)
                .await?;
            // The harness blocks on the runtime internally, so it runs on a blocking thread.
            tokio::task::spawn_blocking(move || {
                let mut harness = AsyncMigrationHarness::new(conn);
                harness
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|versions| versions.iter().map(ToString::to_string).collect())
                    .map_err(|err| err.to_string())
                // Dropping the connection here releases the advisory lock.
            })
            .await
            .map_err(|err| fail(err.to_string()))?
            .map_err(fail)?
        }
    };
    Ok(MigrationReport { applied })
}

fn migrate_sqlite(path: &str) -> Result<Vec<String>, String> {
    let mut conn = diesel::SqliteConnection::establish(path).map_err(|err| err.to_string())?;
    // Another process (a second `copytrade migrate`) may hold the write lock for a moment.
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA busy_timeout = 5000")
        .map_err(|err| err.to_string())?;
    conn.run_pending_migrations(SQLITE_MIGRATIONS)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|err| err.to_string())
}
