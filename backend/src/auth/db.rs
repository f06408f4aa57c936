//! Account queries, one body for both databases (`with_conn!`).

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::{SecurityEvent, SecurityEventKind, User};
use crate::db::schema::{backup_codes, deleted_account_events, security_events, users};
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct UserRow {
    pub id: Id,
    pub email: String,
    pub password_hash: String,
    pub token_version: i64,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub totp_enabled: bool,
    /// Vault blob of the seed in use.
    pub totp_secret: Option<Vec<u8>>,
    /// Vault blob of a seed being set up.
    pub totp_pending_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    /// When the user opened the verification link.
    pub email_verified_at: Option<Ts>,
}

impl UserRow {
    pub fn to_user(&self) -> User {
        User {
            id: self.id,
            email: self.email.clone(),
            created_at: self.created_at.0,
            token_version: self.token_version,
            totp_enabled: self.totp_enabled,
            email_verified: self.email_verified_at.is_some(),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = security_events)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
struct EventRow {
    id: Id,
    user_id: Id,
    kind: String,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: Ts,
    detail: Option<String>,
}

/// A security event to record.
pub struct NewEvent {
    pub user_id: Id,
    pub kind: SecurityEventKind,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

/// Inside a transaction on `$c` (either backend): deletes every backup code of the user and
/// inserts the new ones, one row at a time (multi-row inserts do not compile for SQLite through
/// diesel-async).
macro_rules! replace_codes {
    ($c:expr, $id:expr, $hashes:expr) => {{
        diesel::delete(backup_codes::table.filter(backup_codes::user_id.eq($id)))
            .execute($c)
            .await?;
        for hash in $hashes {
            diesel::insert_into(backup_codes::table)
                .values((
                    backup_codes::user_id.eq($id),
                    backup_codes::code_hash.eq(hash),
                ))
                .execute($c)
                .await?;
        }
    }};
}

/// Inserts the user; `false` when the email is taken.
pub async fn insert_user(db: &Db, row: &UserRow) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        match diesel::insert_into(users::table)
            .values(row)
            .execute(c)
            .await
        {
            Ok(_) => Ok(true),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
            Err(err) => Err(err.into()),
        }
    })
}

pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<UserRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(users::table
            .filter(users::email.eq(email))
            .select(UserRow::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

pub async fn user_by_id(db: &Db, id: Id) -> Result<Option<UserRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(users::table
            .find(id)
            .select(UserRow::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

/// Raises the token version (ending every session), optionally setting a new password hash;
/// returns the new version, or `None` if the user is gone.
pub async fn revoke_sessions(
    db: &Db,
    id: Id,
    new_hash: Option<&str>,
    now: Ts,
) -> Result<Option<i64>, DbError> {
    with_conn!(db, write, |c| {
        let bump = (
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(now),
        );
        let query = diesel::update(users::table.find(id));
        let version = match new_hash {
            Some(hash) => {
                query
                    .set((bump, users::password_hash.eq(hash)))
                    .returning(users::token_version)
                    .get_result(c)
                    .await
            }
            None => {
                query
                    .set(bump)
                    .returning(users::token_version)
                    .get_result(c)
                    .await
            }
        };
        Ok(version.optional()?)
    })
}

/// Replaces the password hash without ending sessions (a rehash of the same password).
pub async fn set_password_hash(db: &Db, id: Id, hash: &str, now: Ts) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::update(users::table.find(id))
            .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// Deletes the user and everything they own (foreign key cascades), in one transaction with
/// moving their security log under `email_hash` (kept for breach inquiries, then pruned).
pub async fn delete_user_keeping_events(
    db: &Db,
    id: Id,
    email_hash: &str,
    now: Ts,
) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            let events: Vec<EventRow> = security_events::table
                .filter(security_events::user_id.eq(id))
                .select(EventRow::as_select())
                .load(c)
                .await?;
            // One row at a time: multi-row inserts do not compile for SQLite via diesel-async.
            for event in events {
                diesel::insert_into(deleted_account_events::table)
                    .values((
                        deleted_account_events::id.eq(event.id),
                        deleted_account_events::email_hash.eq(email_hash),
                        deleted_account_events::kind.eq(event.kind),
                        deleted_account_events::ip.eq(event.ip),
                        deleted_account_events::user_agent.eq(event.user_agent),
                        deleted_account_events::created_at.eq(event.created_at),
                        deleted_account_events::deleted_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
            }
            Ok::<_, DbError>(diesel::delete(users::table.find(id)).execute(c).await? == 1)
        })
        .await
    })
}

/// Kinds of the events kept for a deleted account with this email hash, oldest first.
pub async fn deleted_account_event_kinds(
    db: &Db,
    email_hash: &str,
) -> Result<Vec<String>, DbError> {
    with_conn!(db, read, |c| {
        Ok(deleted_account_events::table
            .filter(deleted_account_events::email_hash.eq(email_hash))
            .order(deleted_account_events::created_at.asc())
            .select(deleted_account_events::kind)
            .load(c)
            .await?)
    })
}

/// Removes deleted accounts' events of accounts deleted before `before`.
pub async fn prune_deleted_account_events(db: &Db, before: Ts) -> Result<usize, DbError> {
    with_conn!(db, write, |c| {
        Ok(diesel::delete(
            deleted_account_events::table.filter(deleted_account_events::deleted_at.lt(before)),
        )
        .execute(c)
        .await?)
    })
}

pub async fn record_event(db: &Db, event: NewEvent, now: Ts) -> Result<(), DbError> {
    let row = EventRow {
        id: Id::new(),
        user_id: event.user_id,
        kind: event.kind.as_str().to_owned(),
        ip: event.ip,
        user_agent: event.user_agent,
        created_at: now,
        detail: event.detail,
    };
    with_conn!(db, write, |c| {
        diesel::insert_into(security_events::table)
            .values(&row)
            .execute(c)
            .await?;
        Ok(())
    })
}

/// The user's newest `limit` events, newest first.
pub async fn events(db: &Db, user_id: Id, limit: i64) -> Result<Vec<SecurityEvent>, DbError> {
    let rows: Vec<EventRow> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            security_events::table
                .filter(security_events::user_id.eq(user_id))
                .order((
                    security_events::created_at.desc(),
                    security_events::id.desc(),
                ))
                .limit(limit)
                .select(EventRow::as_select())
                .load(c)
                .await?,
        )
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(SecurityEvent {
                id: row.id,
                kind: SecurityEventKind::parse(&row.kind)?,
                ip: row.ip,
                user_agent: row.user_agent,
                at: row.created_at.0,
                detail: row.detail,
            })
        })
        .collect())
}

/// Stores a seed being set up (replacing any earlier one).
pub async fn set_pending_totp(db: &Db, id: Id, blob: &[u8], now: Ts) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::update(users::table.find(id))
            .set((
                users::totp_pending_secret.eq(blob),
                users::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// Turns two-factor login on with the confirmed seed and replaces the backup codes, in one
/// transaction. `false` if the setup was no longer pending (confirmed by a racing request).
pub async fn enable_totp(
    db: &Db,
    id: Id,
    blob: &[u8],
    step: i64,
    code_hashes: &[String],
    now: Ts,
) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            let updated = diesel::update(
                users::table
                    .find(id)
                    .filter(users::totp_pending_secret.is_not_null()),
            )
            .set((
                users::totp_enabled.eq(true),
                users::totp_secret.eq(blob),
                users::totp_pending_secret.eq(None::<Vec<u8>>),
                users::totp_last_step.eq(step),
                users::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            if updated != 1 {
                return Ok(false);
            }
            replace_codes!(c, id, code_hashes);
            Ok::<_, DbError>(true)
        })
        .await
    })
}

/// Turns two-factor login off and deletes the backup codes.
pub async fn disable_totp(db: &Db, id: Id, now: Ts) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            diesel::update(users::table.find(id))
                .set((
                    users::totp_enabled.eq(false),
                    users::totp_secret.eq(None::<Vec<u8>>),
                    users::totp_pending_secret.eq(None::<Vec<u8>>),
                    users::totp_last_step.eq(None::<i64>),
                    users::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            replace_codes!(c, id, &[] as &[String]);
            Ok::<_, DbError>(())
        })
        .await
    })
}

/// Replaces the user's backup codes; the old set stops working.
pub async fn replace_backup_codes(db: &Db, id: Id, code_hashes: &[String]) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            replace_codes!(c, id, code_hashes);
            Ok::<_, DbError>(())
        })
        .await
    })
}

/// Accepts a TOTP step only if it is later than the last one used, atomically: of two racing
/// requests with the same code, one wins.
pub async fn advance_totp_step(db: &Db, id: Id, step: i64) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        let updated = diesel::update(
            users::table.find(id).filter(
                users::totp_last_step
                    .is_null()
                    .or(users::totp_last_step.lt(step)),
            ),
        )
        .set(users::totp_last_step.eq(step))
        .execute(c)
        .await?;
        Ok(updated == 1)
    })
}

/// Uses up a backup code; `false` if the user has no such (unused) code.
pub async fn use_backup_code(db: &Db, id: Id, code_hash: &str) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        let deleted = diesel::delete(
            backup_codes::table
                .filter(backup_codes::user_id.eq(id))
                .filter(backup_codes::code_hash.eq(code_hash)),
        )
        .execute(c)
        .await?;
        Ok(deleted == 1)
    })
}

/// Whether the user has signed up, logged in or confirmed their password from `ip` before.
pub async fn has_signed_in_from(db: &Db, user_id: Id, ip: &str) -> Result<bool, DbError> {
    let kinds = [
        SecurityEventKind::Registered.as_str(),
        SecurityEventKind::LoginSucceeded.as_str(),
        SecurityEventKind::Reauthenticated.as_str(),
        SecurityEventKind::PasswordReset.as_str(),
    ];
    with_conn!(db, read, |c| {
        let found: Option<Id> = security_events::table
            .filter(security_events::user_id.eq(user_id))
            .filter(security_events::ip.eq(ip))
            .filter(security_events::kind.eq_any(kinds))
            .select(security_events::id)
            .first(c)
            .await
            .optional()?;
        Ok(found.is_some())
    })
}

/// Marks the email address verified now, unless it already was.
pub async fn set_email_verified(db: &Db, id: Id, now: Ts) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::update(
            users::table
                .find(id)
                .filter(users::email_verified_at.is_null()),
        )
        .set(users::email_verified_at.eq(now))
        .execute(c)
        .await?;
        Ok(())
    })
}

/// Every account's id and email, oldest first.
pub async fn all_addresses(db: &Db) -> Result<Vec<(Id, String)>, DbError> {
    with_conn!(db, read, |c| {
        Ok(users::table
            .order((users::created_at.asc(), users::id.asc()))
            .select((users::id, users::email))
            .load(c)
            .await?)
    })
}

/// Users with an event of one of `kinds` at or after `since` (ever, without it).
pub async fn users_with_events(
    db: &Db,
    kinds: &[&str],
    since: Option<Ts>,
) -> Result<Vec<Id>, DbError> {
    with_conn!(db, read, |c| {
        let mut query = security_events::table
            .filter(security_events::kind.eq_any(kinds.to_vec()))
            .select(security_events::user_id)
            .distinct()
            .into_boxed();
        if let Some(since) = since {
            query = query.filter(security_events::created_at.ge(since));
        }
        Ok(query.load(c).await?)
    })
}
