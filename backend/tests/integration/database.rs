//! The embedded database as the server leaves it on disk, and migrations on both databases.

use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

use std::path::Path;

use copytrade::config::DatabaseUrl;
use copytrade::db::{self, Db, DbError};

use crate::support::{Backend, PgTestDb, TestApp, on_both_databases};

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_file_is_created_in_wal_mode() {
    let app = TestApp::new(Backend::Sqlite).await;
    let file = app.dir.path().join("data/copytrade.db");
    assert!(file.is_file(), "no database file at {}", file.display());
    let mut conn = SqliteConnection::establish(file.to_str().unwrap()).unwrap();
    let mode: JournalMode = diesel::sql_query("PRAGMA journal_mode")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(mode.journal_mode, "wal");
}

on_both_databases!(migrations_apply_once_and_create_the_tables);

async fn migrations_apply_once_and_create_the_tables(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(PgTestDb::create().await),
    };
    let url = match &pg {
        None => DatabaseUrl::Sqlite(dir.path().join("fresh.db")),
        Some(pg) => DatabaseUrl::Postgres(pg.url.clone()),
    };
    let migrations_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/sqlite");
    let expected = std::fs::read_dir(migrations_dir).unwrap().count();

    let first = db::migrate(&url).await.unwrap();
    assert_eq!(first.applied.len(), expected, "{:?}", first.applied);
    let second = db::migrate(&url).await.unwrap();
    assert!(second.applied.is_empty(), "{:?}", second.applied);

    let db = Db::connect(&url).await.unwrap();
    let users: Result<i64, DbError> = async {
        copytrade::with_conn!(&db, read, |c| {
            diesel_async::RunQueryDsl::get_result(
                diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                    "(SELECT COUNT(*) FROM users)",
                )),
                c,
            )
            .await
            .map_err(DbError::from)
        })
    }
    .await;
    assert_eq!(users.unwrap(), 0);
}
