//! The `mail_queue` table, one body for both databases (`with_conn!`).
//!
//! A sender takes a mail by setting `locked_until` on it while nobody holds it: of two
//! instances reaching for the same mail, one wins, and a sender that died mid-send releases
//! it when the lock expires.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;

use super::OutgoingMail;
use crate::db::schema::mail_queue;
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError};
use crate::with_conn;

/// A mail waiting to be sent.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_queue)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct QueuedMail {
    pub id: Id,
    pub user_id: Option<Id>,
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    pub body: Option<Vec<u8>>,
    pub attempts: i64,
    pub created_at: Ts,
}

/// Stores a mail, due at once; `false` when its campaign already holds a mail for the user.
pub async fn insert(
    db: &Db,
    id: Id,
    mail: &OutgoingMail,
    body: &[u8],
    now: Ts,
) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        let inserted = diesel::insert_into(mail_queue::table)
            .values((
                mail_queue::id.eq(id),
                mail_queue::user_id.eq(mail.user_id),
                mail_queue::recipient.eq(&mail.to),
                mail_queue::kind.eq(mail.kind.as_str()),
                mail_queue::subject.eq(&mail.subject),
                mail_queue::body.eq(body),
                mail_queue::campaign.eq(mail.campaign.as_deref()),
                mail_queue::created_at.eq(now),
                mail_queue::next_attempt_at.eq(now),
                mail_queue::attempts.eq(0_i64),
            ))
            .execute(c)
            .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
            Err(err) => Err(err.into()),
        }
    })
}

/// Up to `limit` mails due by `now` that nobody holds, oldest due first; only `campaign`'s
/// when given.
pub async fn due(
    db: &Db,
    now: Ts,
    campaign: Option<&str>,
    limit: i64,
) -> Result<Vec<QueuedMail>, DbError> {
    with_conn!(db, read, |c| {
        let mut query = mail_queue::table
            .filter(mail_queue::sent_at.is_null())
            .filter(mail_queue::failed_at.is_null())
            .filter(mail_queue::next_attempt_at.le(now))
            .filter(
                mail_queue::locked_until
                    .is_null()
                    .or(mail_queue::locked_until.lt(now)),
            )
            .into_boxed();
        if let Some(campaign) = campaign {
            query = query.filter(mail_queue::campaign.eq(campaign.to_owned()));
        }
        Ok(query
            .order((mail_queue::next_attempt_at.asc(), mail_queue::id.asc()))
            .limit(limit)
            .select(QueuedMail::as_select())
            .load(c)
            .await?)
    })
}

/// When the next mail waiting for a retry is due (`None`: nothing waits).
pub async fn next_due(db: &Db) -> Result<Option<Ts>, DbError> {
    with_conn!(db, read, |c| {
        Ok(mail_queue::table
            .filter(mail_queue::sent_at.is_null())
            .filter(mail_queue::failed_at.is_null())
            .order(mail_queue::next_attempt_at.asc())
            .select(mail_queue::next_attempt_at)
            .first::<Ts>(c)
            .await
            .optional()?)
    })
}

/// Takes the mail for a send until `until`; `false` when another sender holds it or it is done.
pub async fn claim(db: &Db, id: Id, now: Ts, until: Ts) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        let updated = diesel::update(
            mail_queue::table
                .find(id)
                .filter(mail_queue::sent_at.is_null())
                .filter(mail_queue::failed_at.is_null())
                .filter(
                    mail_queue::locked_until
                        .is_null()
                        .or(mail_queue::locked_until.lt(now)),
                ),
        )
        .set((
            mail_queue::locked_until.eq(until),
            mail_queue::attempts.eq(mail_queue::attempts + 1),
        ))
        .execute(c)
        .await?;
        Ok(updated == 1)
    })
}

/// The SMTP server took the mail: the body goes.
pub async fn mark_sent(db: &Db, id: Id, now: Ts) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::update(mail_queue::table.find(id))
            .set((
                mail_queue::sent_at.eq(now),
                mail_queue::body.eq(None::<Vec<u8>>),
                mail_queue::locked_until.eq(None::<Ts>),
                mail_queue::last_error.eq(None::<String>),
            ))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// Tries again at `next`, remembering why this try failed.
pub async fn retry_at(db: &Db, id: Id, next: Ts, error: &str) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::update(mail_queue::table.find(id))
            .set((
                mail_queue::next_attempt_at.eq(next),
                mail_queue::locked_until.eq(None::<Ts>),
                mail_queue::last_error.eq(error),
            ))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// Gives up on the mail (refused for good, or undeliverable for too long): the body goes.
pub async fn mark_failed(db: &Db, id: Id, now: Ts, error: &str) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::update(mail_queue::table.find(id))
            .set((
                mail_queue::failed_at.eq(now),
                mail_queue::body.eq(None::<Vec<u8>>),
                mail_queue::locked_until.eq(None::<Ts>),
                mail_queue::last_error.eq(error),
            ))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// Makes every waiting mail of `campaign` due at `now`.
pub async fn make_due(db: &Db, campaign: &str, now: Ts) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::update(
            mail_queue::table
                .filter(mail_queue::campaign.eq(campaign))
                .filter(mail_queue::sent_at.is_null())
                .filter(mail_queue::failed_at.is_null())
                .filter(mail_queue::next_attempt_at.gt(now)),
        )
        .set(mail_queue::next_attempt_at.eq(now))
        .execute(c)
        .await?;
        Ok(())
    })
}

/// Every mail still waiting: its kind, tries so far and the last try's error.
pub async fn waiting(db: &Db) -> Result<Vec<(String, i64, Option<String>)>, DbError> {
    with_conn!(db, read, |c| {
        Ok(mail_queue::table
            .filter(mail_queue::sent_at.is_null())
            .filter(mail_queue::failed_at.is_null())
            .order(mail_queue::created_at.asc())
            .select((
                mail_queue::kind,
                mail_queue::attempts,
                mail_queue::last_error,
            ))
            .load(c)
            .await?)
    })
}

/// Mails of `campaign` neither sent nor given up on.
pub async fn campaign_pending(db: &Db, campaign: &str) -> Result<i64, DbError> {
    with_conn!(db, read, |c| {
        Ok(mail_queue::table
            .filter(mail_queue::campaign.eq(campaign))
            .filter(mail_queue::sent_at.is_null())
            .filter(mail_queue::failed_at.is_null())
            .count()
            .get_result(c)
            .await?)
    })
}

/// Mails of `campaign` the SMTP server took.
pub async fn campaign_sent(db: &Db, campaign: &str) -> Result<i64, DbError> {
    with_conn!(db, read, |c| {
        Ok(mail_queue::table
            .filter(mail_queue::campaign.eq(campaign))
            .filter(mail_queue::sent_at.is_not_null())
            .count()
            .get_result(c)
            .await?)
    })
}

/// Forgets mails sent or given up on before `before` (their bodies are already gone).
pub async fn prune(db: &Db, before: Ts) -> Result<usize, DbError> {
    with_conn!(db, write, |c| {
        Ok(diesel::delete(
            mail_queue::table.filter(
                mail_queue::sent_at
                    .lt(before)
                    .or(mail_queue::failed_at.lt(before)),
            ),
        )
        .execute(c)
        .await?)
    })
}
