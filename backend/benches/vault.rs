//! Vault figures, printed (run with `cargo bench -p copytrade-backend --bench vault`):
//! - the cost of sealing and opening one credential field (AES-256-CBC + HMAC-SHA256);
//! - `rotate-master-key` throughput: 10,000 sealed records re-encrypted under a new key, on a
//!   fresh SQLite file and on a fresh PostgreSQL database (COPYTRADE_BENCH_POSTGRES_URL, default
//!   postgres://postgres@127.0.0.1:5432/postgres; skipped with a note if it cannot connect).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use copytrade::config::secrets::SecretSource;
use copytrade::config::{DatabaseUrl, MasterKeys, SecretBytes};
use copytrade::db::schema::{broker_connections, broker_secrets, users};
use copytrade::db::types::{Id, Ts};
use copytrade::db::{Db, DbError};
use copytrade::vault::{Vault, associated_data, rotation};
use copytrade::with_conn;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

const RECORDS: usize = 10_000;
const FIELDS_PER_CONNECTION: usize = 10;

fn keys(active: u8, previous: &[u8]) -> MasterKeys {
    MasterKeys {
        active: SecretBytes::new(vec![active; 32]),
        previous: previous
            .iter()
            .map(|b| SecretBytes::new(vec![*b; 32]))
            .collect(),
        source: SecretSource::Env("bench"),
    }
}

fn seal_and_open() {
    let vault = Vault::new(&keys(1, &[]));
    let ad = associated_data(
        "7f1c8a2e-0000-4000-8000-000000000001",
        "7f1c8a2e-0000-4000-8000-000000000002",
        "apiSecret",
    );
    let secret = b"9a0f6c1e2b3d4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c";
    // Warm up, then measure.
    for _ in 0..1_000 {
        let blob = vault.seal(secret, &ad).unwrap();
        vault.open(&blob, &ad).unwrap();
    }
    let rounds = 100_000u32;
    let started = Instant::now();
    for _ in 0..rounds {
        let blob = vault.seal(secret, &ad).unwrap();
        std::hint::black_box(vault.open(&blob, &ad).unwrap());
    }
    let per = started.elapsed() / rounds;
    let blob = vault.seal(secret, &ad).unwrap();
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(vault.open(&blob, &ad).unwrap());
    }
    let open = started.elapsed() / rounds;
    println!(
        "seal + open of a 64-byte secret: {:.2} µs per record (open alone {:.2} µs; {} rounds)",
        micros(per),
        micros(open),
        rounds
    );
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// 10,000 sealed fields under the old key: one user, 1,000 connections of 10 fields.
async fn seed(db: &Db, vault: &Vault) -> Result<(), DbError> {
    let user = Id::new();
    let now = Ts::new(chrono::Utc::now());
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(user),
                    users::email.eq("bench@example.com"),
                    users::password_hash.eq("x"),
                    users::token_version.eq(0i64),
                    users::created_at.eq(now),
                    users::updated_at.eq(now),
                    users::totp_enabled.eq(false),
                ))
                .execute(c)
                .await?;
            for _ in 0..RECORDS / FIELDS_PER_CONNECTION {
                let connection = Id::new();
                diesel::insert_into(broker_connections::table)
                    .values((
                        broker_connections::id.eq(connection),
                        broker_connections::user_id.eq(user),
                        broker_connections::broker.eq("BYBIT"),
                        broker_connections::environment.eq("DEMO"),
                        broker_connections::label.eq("bench"),
                        broker_connections::status.eq("CONNECTED"),
                        broker_connections::credential_hint.eq("••••"),
                        broker_connections::credentials_updated_at.eq(now),
                        broker_connections::last_checked_at.eq(now),
                        broker_connections::created_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
                for field in 0..FIELDS_PER_CONNECTION {
                    let name = format!("field{field}");
                    let ad = associated_data(&user.to_string(), &connection.to_string(), &name);
                    let secret = vault
                        .seal(b"0123456789abcdef0123456789abcdef", &ad)
                        .expect("seal");
                    diesel::insert_into(broker_secrets::table)
                        .values((
                            broker_secrets::connection_id.eq(connection),
                            broker_secrets::user_id.eq(user),
                            broker_secrets::field.eq(name),
                            broker_secrets::secret.eq(secret),
                        ))
                        .execute(c)
                        .await?;
                }
            }
            Ok::<_, DbError>(())
        })
        .await
    })
}

async fn rotate_on(label: &str, url: &DatabaseUrl) {
    copytrade::db::migrate(url).await.unwrap();
    let db = Db::connect(url).await.unwrap();
    seed(&db, &Vault::new(&keys(1, &[]))).await.unwrap();
    let vault = Vault::new(&keys(2, &[1]));
    let started = Instant::now();
    let report = rotation::rotate(&db, &vault, rotation::DEFAULT_BATCH)
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(report.resealed, RECORDS as u64, "{report:?}");
    let census = rotation::census(&db).await.unwrap();
    assert_eq!(census.len(), 1);
    println!(
        "rotate-master-key on {label}: {RECORDS} records in {:.2} s = {:.0} records/s (batches of {})",
        elapsed.as_secs_f64(),
        RECORDS as f64 / elapsed.as_secs_f64(),
        rotation::DEFAULT_BATCH
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    seal_and_open();
    let dir = tempfile::tempdir().unwrap();
    rotate_on("SQLite", &DatabaseUrl::Sqlite(dir.path().join("bench.db"))).await;

    support::on_scratch_postgres("vault", |url| async move {
        rotate_on("PostgreSQL", &DatabaseUrl::parse(&url).unwrap()).await;
    })
    .await;
}
