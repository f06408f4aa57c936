//! Re-encrypting every sealed record under the active master key (`copytrade
//! rotate-master-key`, SEC-2).
//!
//! Records are read in batches by key order and rewritten in one transaction per batch. Each
//! rewrite is conditional on the record still holding the blob that was read, so a value a
//! running server changed meanwhile is never overwritten with an old one; the next run picks
//! it up if needed. Stopping at any point loses nothing: every record is always under a key of
//! the ring, and running again continues where the last run stopped.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::{Vault, associated_data, key_id};
use crate::auth::SecurityEventKind;
use crate::auth::seed_ad;
use crate::db::schema::{broker_secrets, security_events, users, webhooks};
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError};
use crate::with_conn;

/// Records rewritten per transaction.
pub const DEFAULT_BATCH: usize = 500;

/// What a rotation pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Records re-encrypted under the active key.
    pub resealed: u64,
    /// Records already under the active key.
    pub current: u64,
    /// Records that changed while being rotated (a server wrote a new value): left as the
    /// server wrote them.
    pub changed_meanwhile: u64,
    /// Records no key of the ring opens (damaged, or sealed under a key not configured).
    pub unreadable: u64,
}

/// A user's sealed two-factor seeds: the one in use and one being set up.
type SeedBlobs = (Option<Vec<u8>>, Option<Vec<u8>>);

/// How many sealed records each key holds (by key fingerprint).
pub type KeyCensus = BTreeMap<u32, u64>;

/// One record to rewrite: where it is, what it held and what it will hold.
struct Reseal {
    /// Whose record it is (told in their security log once it is rewritten).
    owner: Id,
    key: RecordKey,
    old: Vec<u8>,
    new: Vec<u8>,
}

enum RecordKey {
    Secret { connection: Id, field: String },
    TotpSeed { user: Id },
    TotpPending { user: Id },
    WebhookSigningSecret { webhook: Id },
}

/// Re-encrypts every record not under the active key, `batch` records per transaction.
pub async fn rotate(db: &Db, vault: &Vault, batch: usize) -> Result<RotationReport, DbError> {
    let batch = batch.max(1);
    let mut report = RotationReport::default();
    rotate_broker_secrets(db, vault, batch, &mut report).await?;
    rotate_totp_seeds(db, vault, batch, &mut report).await?;
    rotate_webhook_secrets(db, vault, batch, &mut report).await?;
    Ok(report)
}

/// Counts the records under each key (for deciding whether an old key is still in use).
pub async fn census(db: &Db) -> Result<KeyCensus, DbError> {
    let mut census = KeyCensus::new();
    let mut count = |blob: &[u8]| {
        if let Some(id) = key_id(blob) {
            *census.entry(id).or_default() += 1;
        }
    };
    let secrets: Vec<Vec<u8>> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            broker_secrets::table
                .select(broker_secrets::secret)
                .load(c)
                .await?,
        )
    })?;
    secrets.iter().for_each(|blob| count(blob));
    let seeds: Vec<SeedBlobs> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            users::table
                .filter(
                    users::totp_secret
                        .is_not_null()
                        .or(users::totp_pending_secret.is_not_null()),
                )
                .select((users::totp_secret, users::totp_pending_secret))
                .load(c)
                .await?,
        )
    })?;
    for (seed, pending) in &seeds {
        seed.iter().chain(pending).for_each(|blob| count(blob));
    }
    let webhook_secrets: Vec<Option<Vec<u8>>> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            webhooks::table
                .filter(webhooks::signing_secret.is_not_null())
                .select(webhooks::signing_secret)
                .load(c)
                .await?,
        )
    })?;
    webhook_secrets
        .iter()
        .flatten()
        .for_each(|blob| count(blob));
    Ok(census)
}

/// Decides what to do with one blob.
fn plan(
    vault: &Vault,
    owner: Id,
    key: RecordKey,
    blob: Vec<u8>,
    ad: &[u8],
    report: &mut RotationReport,
) -> Option<Reseal> {
    if !vault.needs_reseal(&blob) {
        report.current += 1;
        return None;
    }
    match vault.reseal(&blob, ad) {
        Ok(new) => Some(Reseal {
            owner,
            key,
            old: blob,
            new,
        }),
        Err(_) => {
            report.unreadable += 1;
            None
        }
    }
}

async fn rotate_broker_secrets(
    db: &Db,
    vault: &Vault,
    batch: usize,
    report: &mut RotationReport,
) -> Result<(), DbError> {
    let mut after: Option<(Id, String)> = None;
    loop {
        let rows: Vec<(Id, String, Id, Vec<u8>)> = with_conn!(db, read, |c| {
            let mut query = broker_secrets::table
                .select((
                    broker_secrets::connection_id,
                    broker_secrets::field,
                    broker_secrets::user_id,
                    broker_secrets::secret,
                ))
                .order((broker_secrets::connection_id, broker_secrets::field))
                .limit(batch as i64)
                .into_boxed();
            if let Some((connection, field)) = &after {
                query = query.filter(
                    broker_secrets::connection_id
                        .gt(*connection)
                        .or(broker_secrets::connection_id
                            .eq(*connection)
                            .and(broker_secrets::field.gt(field.clone()))),
                );
            }
            Ok::<_, DbError>(query.load(c).await?)
        })?;
        let Some((last_connection, last_field, ..)) = rows.last() else {
            return Ok(());
        };
        after = Some((*last_connection, last_field.clone()));
        let done = rows.len() < batch;
        let plans: Vec<Reseal> = rows
            .into_iter()
            .filter_map(|(connection, field, user, blob)| {
                let ad = associated_data(&user.to_string(), &connection.to_string(), &field);
                plan(
                    vault,
                    user,
                    RecordKey::Secret { connection, field },
                    blob,
                    &ad,
                    report,
                )
            })
            .collect();
        write(db, &plans, report).await?;
        if done {
            return Ok(());
        }
    }
}

async fn rotate_totp_seeds(
    db: &Db,
    vault: &Vault,
    batch: usize,
    report: &mut RotationReport,
) -> Result<(), DbError> {
    let mut after: Option<Id> = None;
    loop {
        let rows: Vec<(Id, SeedBlobs)> = with_conn!(db, read, |c| {
            let mut query = users::table
                .filter(
                    users::totp_secret
                        .is_not_null()
                        .or(users::totp_pending_secret.is_not_null()),
                )
                .select((users::id, (users::totp_secret, users::totp_pending_secret)))
                .order(users::id)
                .limit(batch as i64)
                .into_boxed();
            if let Some(last) = after {
                query = query.filter(users::id.gt(last));
            }
            Ok::<_, DbError>(query.load(c).await?)
        })?;
        let Some((last, ..)) = rows.last() else {
            return Ok(());
        };
        after = Some(*last);
        let done = rows.len() < batch;
        let mut plans = Vec::new();
        for (user, (seed, pending)) in rows {
            let ad = seed_ad(user);
            if let Some(blob) = seed {
                plans.extend(plan(
                    vault,
                    user,
                    RecordKey::TotpSeed { user },
                    blob,
                    &ad,
                    report,
                ));
            }
            if let Some(blob) = pending {
                plans.extend(plan(
                    vault,
                    user,
                    RecordKey::TotpPending { user },
                    blob,
                    &ad,
                    report,
                ));
            }
        }
        write(db, &plans, report).await?;
        if done {
            return Ok(());
        }
    }
}

async fn rotate_webhook_secrets(
    db: &Db,
    vault: &Vault,
    batch: usize,
    report: &mut RotationReport,
) -> Result<(), DbError> {
    let mut after: Option<Id> = None;
    loop {
        let rows: Vec<(Id, Id, Option<Vec<u8>>)> = with_conn!(db, read, |c| {
            let mut query = webhooks::table
                .filter(webhooks::signing_secret.is_not_null())
                .select((webhooks::id, webhooks::user_id, webhooks::signing_secret))
                .order(webhooks::id)
                .limit(batch as i64)
                .into_boxed();
            if let Some(last) = after {
                query = query.filter(webhooks::id.gt(last));
            }
            Ok::<_, DbError>(query.load(c).await?)
        })?;
        let Some((last, ..)) = rows.last() else {
            return Ok(());
        };
        after = Some(*last);
        let done = rows.len() < batch;
        let plans: Vec<Reseal> = rows
            .into_iter()
            .filter_map(|(webhook, user, blob)| {
                let ad = crate::signals::signing_secret_ad(user, webhook);
                plan(
                    vault,
                    user,
                    RecordKey::WebhookSigningSecret { webhook },
                    blob?,
                    &ad,
                    report,
                )
            })
            .collect();
        write(db, &plans, report).await?;
        if done {
            return Ok(());
        }
    }
}

/// Writes one batch in one transaction; each row only if it still holds the blob read.
async fn write(db: &Db, plans: &[Reseal], report: &mut RotationReport) -> Result<(), DbError> {
    if plans.is_empty() {
        return Ok(());
    }
    let written: u64 = with_conn!(db, write, |c| {
        c.transaction(async |c| {
            let mut written = 0u64;
            let mut owners = std::collections::HashSet::new();
            for plan in plans {
                let updated = match &plan.key {
                    RecordKey::Secret { connection, field } => {
                        diesel::update(
                            broker_secrets::table
                                .filter(broker_secrets::connection_id.eq(*connection))
                                .filter(broker_secrets::field.eq(field))
                                .filter(broker_secrets::secret.eq(&plan.old)),
                        )
                        .set(broker_secrets::secret.eq(&plan.new))
                        .execute(c)
                        .await?
                    }
                    RecordKey::TotpSeed { user } => {
                        diesel::update(
                            users::table
                                .find(*user)
                                .filter(users::totp_secret.eq(&plan.old)),
                        )
                        .set(users::totp_secret.eq(&plan.new))
                        .execute(c)
                        .await?
                    }
                    RecordKey::TotpPending { user } => {
                        diesel::update(
                            users::table
                                .find(*user)
                                .filter(users::totp_pending_secret.eq(&plan.old)),
                        )
                        .set(users::totp_pending_secret.eq(&plan.new))
                        .execute(c)
                        .await?
                    }
                    RecordKey::WebhookSigningSecret { webhook } => {
                        diesel::update(
                            webhooks::table
                                .find(*webhook)
                                .filter(webhooks::signing_secret.eq(&plan.old)),
                        )
                        .set(webhooks::signing_secret.eq(&plan.new))
                        .execute(c)
                        .await?
                    }
                };
                written += updated as u64;
                if updated > 0 {
                    owners.insert(plan.owner);
                }
            }
            // Each owner's security log says so, in the same transaction as the rewrite.
            for owner in owners {
                diesel::insert_into(security_events::table)
                    .values((
                        security_events::id.eq(Id::new()),
                        security_events::user_id.eq(owner),
                        security_events::kind.eq(SecurityEventKind::VaultKeyRotated.as_str()),
                        security_events::user_agent.eq("copytrade rotate-master-key"),
                        security_events::created_at.eq(Ts::new(chrono::Utc::now())),
                    ))
                    .execute(c)
                    .await?;
            }
            Ok::<_, DbError>(written)
        })
        .await
    })?;
    report.resealed += written;
    report.changed_meanwhile += plans.len() as u64 - written;
    Ok(())
}
