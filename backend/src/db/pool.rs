//! Connection pools. SQLite connections are tuned once when opened; PostgreSQL needs no setup.

use std::path::Path;
use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::Timeouts;
use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;

use super::{Db, DbError, SqliteConn};

/// How long a request waits for a free connection before failing.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);
/// Reader connections for SQLite (WAL lets them run beside the one writer).
const SQLITE_READERS: usize = 4;
const POSTGRES_CONNECTIONS: usize = 10;

/// Per-connection SQLite settings, one statement each (SQLite ignores all but the first of a
/// batch for some pragmas). WAL lets readers run beside the writer; the busy timeout makes a
/// second process wait instead of failing; foreign keys are off by default in SQLite.
const SQLITE_PRAGMAS: [&str; 4] = [
    "PRAGMA busy_timeout = 5000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
];

pub(super) fn sqlite(path: &Path) -> Result<Db, DbError> {
    let url = path.to_string_lossy().into_owned();
    let build = |max_size: usize| {
        let mut config = ManagerConfig::<SqliteConn>::default();
        // `Verified` runs `SELECT 1` on every checkout and halves point-read throughput.
        config.recycling_method = RecyclingMethod::Fast;
        config.custom_setup = Box::new(|url: &str| open_sqlite(url.to_owned()).boxed());
        let manager = AsyncDieselConnectionManager::new_with_config(url.clone(), config);
        Pool::builder(manager)
            .max_size(max_size)
            .timeouts(checkout_timeouts())
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|err| DbError::Pool(err.to_string()))
    };
    Ok(Db::Sqlite {
        read: build(SQLITE_READERS)?,
        write: build(1)?,
    })
}

async fn open_sqlite(url: String) -> Result<SqliteConn, ConnectionError> {
    let mut conn = SqliteConn::establish(&url).await?;
    for pragma in SQLITE_PRAGMAS {
        conn.batch_execute(pragma)
            .await
            .map_err(|err| ConnectionError::BadConnection(format!("{pragma}: {err}")))?;
    }
    Ok(conn)
}

pub(super) fn postgres(url: &str) -> Result<Db, DbError> {
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::new_with_config(url, config);
    let pool = Pool::builder(manager)
        .max_size(POSTGRES_CONNECTIONS)
        .timeouts(checkout_timeouts())
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|err| DbError::Pool(err.to_string()))?;
    Ok(Db::Postgres(pool))
}

fn checkout_timeouts() -> Timeouts {
    Timeouts {
        wait: Some(CHECKOUT_TIMEOUT),
        create: Some(CHECKOUT_TIMEOUT),
        recycle: Some(CHECKOUT_TIMEOUT),
    }
}
