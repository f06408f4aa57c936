//! Login limits (SEC-9, SEC-10): at most 10 attempts per client IP in 15 minutes, and 10 failed
//! attempts on one email lock that email's logins for the rest of the window, whether or not an
//! account has it. Attempts live in the database, so the limits hold across every instance
//! sharing it; admission runs in one transaction under a cross-instance lock.

use chrono::Duration;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::db::schema::login_attempts;
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError, TxLock};
use crate::with_conn;

pub const ATTEMPTS_PER_WINDOW: i64 = 10;
pub const WINDOW_MINUTES: i64 = 15;
/// Names the login-admission lock among PostgreSQL advisory locks.
const ADMISSION_LOCK: i64 = 0x0c09_7ad3_0002;

#[derive(Insertable)]
#[diesel(table_name = login_attempts)]
#[diesel(treat_none_as_default_value = false)]
struct NewAttempt<'a> {
    id: Id,
    ip: &'a str,
    email: &'a str,
    succeeded: bool,
    attempted_at: Ts,
}

/// The outcome of asking to try a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted; report the outcome with [`mark_succeeded`] if it succeeds.
    Admitted(Id),
    /// Refused before any password check; the caller may retry after this many seconds.
    Refused { retry_after_seconds: i64 },
}

/// Counts a login attempt from `ip` for `email`, or refuses it when a limit is reached.
pub async fn admit(db: &Db, ip: &str, email: &str, now: Ts) -> Result<Admission, DbError> {
    let window = Duration::minutes(WINDOW_MINUTES);
    let since = Ts::new(now.0 - window);
    let retry_after = |oldest: Ts| (oldest.0 + window - now.0).num_seconds().max(1);
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            c.lock_for_tx(ADMISSION_LOCK).await?;
            let by_ip: Vec<Ts> = login_attempts::table
                .filter(login_attempts::ip.eq(ip))
                .filter(login_attempts::attempted_at.gt(since))
                .order(login_attempts::attempted_at.asc())
                .limit(ATTEMPTS_PER_WINDOW)
                .select(login_attempts::attempted_at)
                .load(c)
                .await?;
            if by_ip.len() as i64 >= ATTEMPTS_PER_WINDOW {
                return Ok(Admission::Refused {
                    retry_after_seconds: retry_after(by_ip[0]),
                });
            }
            let failures: Vec<Ts> = login_attempts::table
                .filter(login_attempts::email.eq(email))
                .filter(login_attempts::succeeded.eq(false))
                .filter(login_attempts::attempted_at.gt(since))
                .order(login_attempts::attempted_at.asc())
                .limit(ATTEMPTS_PER_WINDOW)
                .select(login_attempts::attempted_at)
                .load(c)
                .await?;
            if failures.len() as i64 >= ATTEMPTS_PER_WINDOW {
                return Ok(Admission::Refused {
                    retry_after_seconds: retry_after(failures[0]),
                });
            }
            let id = Id::new();
            // Counted as failed until the login succeeds: an attempt cut short stays a failure.
            let attempt = NewAttempt {
                id,
                ip,
                email,
                succeeded: false,
                attempted_at: now,
            };
            diesel::insert_into(login_attempts::table)
                .values(&attempt)
                .execute(c)
                .await?;
            Ok::<_, DbError>(Admission::Admitted(id))
        })
        .await
    })
}

/// Records that an admitted attempt succeeded (it then no longer counts toward the lock).
pub async fn mark_succeeded(db: &Db, attempt: Id) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::update(login_attempts::table.find(attempt))
            .set(login_attempts::succeeded.eq(true))
            .execute(c)
            .await?;
        Ok(())
    })
}
