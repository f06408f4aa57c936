//! What the benches share: a scratch PostgreSQL database for a run.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// Creates a fresh database on the server at COPYTRADE_BENCH_POSTGRES_URL (default the local
/// one), runs `measure` with its URL, then drops it. Prints a note instead when the server
/// cannot be reached.
pub async fn on_scratch_postgres<F, Fut>(name: &str, measure: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let admin = std::env::var("COPYTRADE_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("copytrade_bench_{name}_{}", std::process::id());
    let create = async {
        let mut conn = AsyncPgConnection::establish(&admin).await?;
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        Ok::<_, Box<dyn std::error::Error>>(conn)
    };
    match create.await {
        Ok(mut conn) => {
            let base = admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |(base, _)| base);
            measure(format!("{base}/{name}")).await;
            diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .ok();
        }
        Err(err) => println!("PostgreSQL skipped: cannot create a database at {admin} ({err})"),
    }
}
