//! Account queries, one body for both databases (`with_conn!`).

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;

use super::{SecurityEvent, SecurityEventKind, User};
use crate::db::schema::{security_events, users};
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
}

impl UserRow {
    pub fn to_user(&self) -> User {
        User {
            id: self.id,
            email: self.email.clone(),
            created_at: self.created_at.0,
            token_version: self.token_version,
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

/// Deletes the user; their security log goes with them (foreign key cascade).
pub async fn delete_user(db: &Db, id: Id) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        Ok(diesel::delete(users::table.find(id)).execute(c).await? == 1)
    })
}

pub async fn record_event(
    db: &Db,
    user_id: Id,
    kind: SecurityEventKind,
    ip: Option<String>,
    user_agent: Option<String>,
    now: Ts,
) -> Result<(), DbError> {
    let row = EventRow {
        id: Id::new(),
        user_id,
        kind: kind.as_str().to_owned(),
        ip,
        user_agent,
        created_at: now,
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
            })
        })
        .collect())
}
