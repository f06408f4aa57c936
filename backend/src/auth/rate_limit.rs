//! Guessing limits (SEC-9, SEC-10; docs/security.md, "Guessing and flooding").
//!
//! - Every check of a password, a TOTP code or a backup code is an attempt, wherever it happens
//!   (login, reauthentication, password change, 2FA changes, broker linking...): at most 10 per
//!   client address in 15 minutes. An IPv6 client counts per /64, the block one subscriber gets.
//! - 10 failed attempts on one account within 15 minutes lock it for the rest of the window,
//!   whether or not an account has the email, for every browser it has not seen before.
//! - A browser holding a device cookie from a past successful login of that account passes the
//!   account lock (OWASP's device cookies); its own failures are counted against its cookie
//!   instead, so an attacker guessing elsewhere cannot lock the owner out.
//! - Sign-ups are limited per client address per hour.
//!
//! Attempts live in the database, so the limits hold across every instance sharing it;
//! admission runs in one transaction under a cross-instance lock.

use std::net::IpAddr;

use chrono::Duration;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::db::schema::{login_attempts, registration_attempts};
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError, TxLock};
use crate::with_conn;

pub const ATTEMPTS_PER_WINDOW: i64 = 10;
pub const WINDOW_MINUTES: i64 = 15;
/// Sign-ups are counted over this window.
const REGISTRATION_WINDOW_MINUTES: i64 = 60;
/// Attempts older than this are deleted: they no longer count toward any limit.
const KEEP_ATTEMPTS_MINUTES: i64 = 2 * REGISTRATION_WINDOW_MINUTES;
/// Names the login-admission lock among PostgreSQL advisory locks.
const ADMISSION_LOCK: i64 = 0x0c09_7ad3_0002;
/// Names the registration-admission lock.
const REGISTRATION_LOCK: i64 = 0x0c09_7ad3_0003;

/// The address one client is counted under, here and by the general API limit: an IPv4
/// address, or the /64 an IPv6 address is in (one subscriber's usual allocation: hopping inside
/// it buys nothing). An IPv4 address mapped into IPv6 is the IPv4 address.
pub fn per_subscriber(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
        v4 => v4,
    }
}

/// [`per_subscriber`] as the limits store it: `203.0.113.7`, or `2001:db8:1:2::/64`.
pub fn client_key(ip: IpAddr) -> String {
    match per_subscriber(ip) {
        IpAddr::V6(network) => format!("{network}/64"),
        v4 => v4.to_string(),
    }
}

#[derive(Insertable)]
#[diesel(table_name = login_attempts)]
#[diesel(treat_none_as_default_value = false)]
struct NewAttempt<'a> {
    id: Id,
    ip: &'a str,
    email: &'a str,
    succeeded: bool,
    attempted_at: Ts,
    device: Option<&'a str>,
}

/// The outcome of asking to check a password or a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted (as a failure until [`mark_succeeded`] says otherwise). `failures_before` is how
    /// many failures already count toward this attempt's lock (the account's, or the device's).
    Admitted { attempt: Id, failures_before: i64 },
    /// Refused before any check; the caller may retry after this many seconds.
    /// `account_locked` tells a lock of the account from the address limit.
    Refused {
        retry_after_seconds: i64,
        account_locked: bool,
    },
}

/// Who is trying: the client's address key ([`client_key`]), the email tried, and the device id
/// of a valid device cookie for that email, if the browser sent one.
pub struct Attempt<'a> {
    pub ip: &'a str,
    pub email: &'a str,
    pub device: Option<&'a str>,
}

/// Counts an attempt, or refuses it when a limit is reached. The email is stored only as a
/// hash: attempts outlive a deleted account by up to two hours.
pub async fn admit(db: &Db, who: &Attempt<'_>, now: Ts) -> Result<Admission, DbError> {
    let email = super::service::email_hash(who.email);
    let email = email.as_str();
    let window = Duration::minutes(WINDOW_MINUTES);
    let since = Ts::new(now.0 - window);
    let retry_after = |oldest: Ts| (oldest.0 + window - now.0).num_seconds().max(1);
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            c.lock_for_tx(ADMISSION_LOCK).await?;
            let by_ip: Vec<Ts> = login_attempts::table
                .filter(login_attempts::ip.eq(who.ip))
                .filter(login_attempts::attempted_at.gt(since))
                .order(login_attempts::attempted_at.asc())
                .limit(ATTEMPTS_PER_WINDOW)
                .select(login_attempts::attempted_at)
                .load(c)
                .await?;
            if by_ip.len() as i64 >= ATTEMPTS_PER_WINDOW {
                return Ok(Admission::Refused {
                    retry_after_seconds: retry_after(by_ip[0]),
                    account_locked: false,
                });
            }
            let failures = login_attempts::table
                .filter(login_attempts::email.eq(email))
                .filter(login_attempts::succeeded.eq(false))
                .filter(login_attempts::attempted_at.gt(since))
                .order(login_attempts::attempted_at.asc())
                .limit(ATTEMPTS_PER_WINDOW)
                .select(login_attempts::attempted_at);
            // A known browser is judged by its own failures; any other by the unknown ones.
            let failures: Vec<Ts> = match who.device {
                Some(device) => {
                    failures
                        .filter(login_attempts::device.eq(device))
                        .load(c)
                        .await?
                }
                None => {
                    failures
                        .filter(login_attempts::device.is_null())
                        .load(c)
                        .await?
                }
            };
            if failures.len() as i64 >= ATTEMPTS_PER_WINDOW {
                return Ok(Admission::Refused {
                    retry_after_seconds: retry_after(failures[0]),
                    account_locked: true,
                });
            }
            let attempt = Id::new();
            // Counted as failed until the check succeeds: an attempt cut short stays a failure.
            diesel::insert_into(login_attempts::table)
                .values(&NewAttempt {
                    id: attempt,
                    ip: who.ip,
                    email,
                    succeeded: false,
                    attempted_at: now,
                    device: who.device,
                })
                .execute(c)
                .await?;
            Ok::<_, DbError>(Admission::Admitted {
                attempt,
                failures_before: failures.len() as i64,
            })
        })
        .await
    })
}

/// Records that an admitted attempt succeeded (it then no longer counts toward a lock).
pub async fn mark_succeeded(db: &Db, attempt: Id) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::update(login_attempts::table.find(attempt))
            .set(login_attempts::succeeded.eq(true))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// Counts a sign-up from `ip` (a [`client_key`]), or returns how many seconds to wait when
/// `per_hour` sign-ups from it are already in the last hour.
pub async fn admit_registration(
    db: &Db,
    ip: &str,
    per_hour: i64,
    now: Ts,
) -> Result<Option<i64>, DbError> {
    let window = Duration::minutes(REGISTRATION_WINDOW_MINUTES);
    let since = Ts::new(now.0 - window);
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            c.lock_for_tx(REGISTRATION_LOCK).await?;
            let recent: Vec<Ts> = registration_attempts::table
                .filter(registration_attempts::ip.eq(ip))
                .filter(registration_attempts::attempted_at.gt(since))
                .order(registration_attempts::attempted_at.asc())
                .limit(per_hour.max(1))
                .select(registration_attempts::attempted_at)
                .load(c)
                .await?;
            if recent.len() as i64 >= per_hour.max(1) {
                let wait = (recent[0].0 + window - now.0).num_seconds().max(1);
                return Ok(Some(wait));
            }
            diesel::insert_into(registration_attempts::table)
                .values((
                    registration_attempts::id.eq(Id::new()),
                    registration_attempts::ip.eq(ip),
                    registration_attempts::attempted_at.eq(now),
                ))
                .execute(c)
                .await?;
            Ok::<_, DbError>(None)
        })
        .await
    })
}

/// Deletes attempts too old to count toward any limit; returns how many went.
pub async fn prune(db: &Db, now: Ts) -> Result<usize, DbError> {
    let before = Ts::new(now.0 - Duration::minutes(KEEP_ATTEMPTS_MINUTES));
    with_conn!(db, write, |c| {
        let logins =
            diesel::delete(login_attempts::table.filter(login_attempts::attempted_at.lt(before)))
                .execute(c)
                .await?;
        let sign_ups = diesel::delete(
            registration_attempts::table.filter(registration_attempts::attempted_at.lt(before)),
        )
        .execute(c)
        .await?;
        Ok(logins + sign_ups)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_per_64_and_ipv4_as_is() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        assert_eq!(client_key(a), "2001:db8:1:2::/64");
        assert_eq!(client_key("203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(
            client_key("::ffff:203.0.113.7".parse().unwrap()),
            "203.0.113.7"
        );
        assert_eq!(client_key("2001:db8::1".parse().unwrap()), "2001:db8::/64");
        assert_eq!(
            per_subscriber(a),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
    }
}
