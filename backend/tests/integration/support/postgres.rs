//! One fresh PostgreSQL database per test, on the server at `COPYTRADE_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`), dropped when the test ends.
//! Databases left behind by a crashed run are swept once per test process.

use std::time::{SystemTime, UNIX_EPOCH};

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio::sync::OnceCell;

const PREFIX: &str = "ct_test_";
/// Test databases older than this are leftovers of a crashed run.
const STALE_AFTER_SECS: u64 = 3600;

pub fn admin_url() -> String {
    std::env::var("COPYTRADE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `admin_url` with its database name replaced.
pub fn url_for(database: &str) -> String {
    let admin = admin_url();
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(base, _)| base);
    format!("{base}/{database}")
}

pub async fn admin_connection() -> AsyncPgConnection {
    let url = admin_url();
    AsyncPgConnection::establish(&url).await.unwrap_or_else(|err| {
        panic!(
            "PostgreSQL at {url} is unreachable ({err}): start it (see README) or set COPYTRADE_TEST_POSTGRES_URL"
        )
    })
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    datname: String,
}

static SWEPT: OnceCell<()> = OnceCell::const_new();

async fn sweep_stale(conn: &mut AsyncPgConnection) {
    let names: Vec<Name> = diesel::sql_query(format!(
        "SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"
    ))
    .load(conn)
    .await
    .unwrap();
    let cutoff = now_secs().saturating_sub(STALE_AFTER_SECS);
    for Name { datname } in names {
        let created = datname
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|secs| secs < cutoff) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{datname}\" WITH (FORCE)"
            ))
            .execute(conn)
            .await;
        }
    }
}

/// A database that exists for one test.
pub struct PgTestDb {
    pub name: String,
    pub url: String,
}

impl PgTestDb {
    pub async fn create() -> Self {
        let mut conn = admin_connection().await;
        SWEPT
            .get_or_init(|| async { sweep_stale(&mut admin_connection().await).await })
            .await;
        let name = format!("{PREFIX}{}_{}", now_secs(), uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .unwrap();
        let url = url_for(&name);
        Self { name, url }
    }

    /// Drops the database now, cutting off connections still open (a lost database server).
    pub async fn drop_now(&self) {
        let mut conn = admin_connection().await;
        diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        // Drop runs outside async: use a small runtime of its own on a plain thread.
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut conn) = AsyncPgConnection::establish(&admin_url()).await {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}
