//! The account service: what the API's account mutations and queries do.
//!
//! Every check of a password or a code goes through [`Auth::check_factors`], which counts it
//! under the guessing limits (`rate_limit`) before checking anything (docs/security.md).

use std::sync::Arc;

use tokio::sync::broadcast;

use super::db::{self, UserRow};
use super::rate_limit::{self, Admission, Attempt};
use super::token::TokenKeys;
use super::{
    AuthError, Caller, Credential, RequestMeta, SecurityEvent, SecurityEventKind, Session, User,
    api_tokens, device, normalise_email, password,
};
use crate::clock::Clock;
use crate::db::Db;
use crate::db::types::{Id, Ts};
use crate::mail::Mail;
use crate::shutdown::Shutdown;
use crate::vault::Vault;

/// Most security events one request may list.
pub const MAX_EVENTS: i64 = 200;
/// A deleted account's security log is kept this long (under a hash of its email).
pub const DELETED_EVENTS_DAYS: i64 = 90;

/// Accounts and sessions on one database.
#[derive(Clone)]
pub struct Auth {
    pub(super) db: Db,
    keys: TokenKeys,
    pub(super) vault: Arc<Vault>,
    /// Verification and reset links, and security notices.
    pub(super) mail: Mail,
    clock: Clock,
    /// Users whose sessions were just revoked here, so open WebSockets close at once.
    revocations: broadcast::Sender<Id>,
    registrations_per_hour: i64,
}

impl Auth {
    pub fn new(db: Db, keys: TokenKeys, vault: Arc<Vault>, mail: Mail, clock: Clock) -> Self {
        let (revocations, _) = broadcast::channel(256);
        Self {
            db,
            keys,
            vault,
            mail,
            clock,
            revocations,
            registrations_per_hour: 10,
        }
    }

    /// Sets how many sign-ups one client address may make per hour.
    pub fn with_registrations_per_hour(mut self, limit: u32) -> Self {
        self.registrations_per_hour = i64::from(limit.max(1));
        self
    }

    pub(super) fn now(&self) -> Ts {
        Ts::new(self.clock.now())
    }

    /// Whether this server sends mail (verification, reset links, notices).
    pub fn mail_enabled(&self) -> bool {
        self.mail.is_enabled()
    }

    /// Linking a live broker account needs a confirmed email address, so that the notices about
    /// it reach the user. A server that sends no mail cannot confirm any address, and does not ask.
    pub fn check_may_link_live(&self, user: &User) -> Result<(), AuthError> {
        if self.mail.is_enabled() && !user.email_verified {
            return Err(AuthError::EmailNotVerified);
        }
        Ok(())
    }

    /// The server's time, as the sessions' expiry and sudo mode see it.
    pub fn current_time(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Creates an account and logs it in. At most the configured number per client address
    /// per hour; each costs one (bounded) argon2 hash.
    pub async fn register(
        &self,
        email: &str,
        password_text: &str,
        meta: &RequestMeta,
    ) -> Result<Session, AuthError> {
        let email = normalise_email(email)?;
        password::check_policy("password", password_text)?;
        let ip = rate_limit::client_key(meta.ip);
        if let Some(retry_after_seconds) =
            rate_limit::admit_registration(&self.db, &ip, self.registrations_per_hour, self.now())
                .await?
        {
            return Err(AuthError::RateLimited {
                retry_after_seconds,
            });
        }
        let now = self.now();
        let row = UserRow {
            id: Id::new(),
            email,
            password_hash: password::hash(password_text.to_owned()).await?,
            token_version: 0,
            created_at: now,
            updated_at: now,
            totp_enabled: false,
            totp_secret: None,
            totp_pending_secret: None,
            totp_last_step: None,
            email_verified_at: None,
        };
        if !db::insert_user(&self.db, &row).await? {
            return Err(AuthError::EmailTaken);
        }
        self.record(row.id, SecurityEventKind::Registered, meta)
            .await?;
        let user = row.to_user();
        if self.mail.is_enabled()
            && let Err(err) = self.send_verification(&user).await
        {
            // The account works; the banner's "send again" can make up for the mail.
            tracing::warn!(error = %err, "the verification mail could not be queued");
        }
        self.session(user, None)
    }

    /// Checks email, password and (when on) the second factor, within the guessing limits.
    pub async fn login(
        &self,
        email: &str,
        password_text: &str,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<Session, AuthError> {
        // A malformed email cannot have an account: count it like any wrong login.
        let email = normalise_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
        if password_text.len() > password::MAX_BYTES {
            return Err(AuthError::BadCredentials);
        }
        let known_device = self.known_device(&email, meta);
        let admitted = self.admit(&email, known_device.as_deref(), meta).await?;
        let row = db::user_by_email(&self.db, &email).await?;
        // Unknown emails are checked against a dummy hash: the answer takes as long either way.
        let stored = row.as_ref().map_or_else(
            || password::DUMMY_HASH.clone(),
            |row| row.password_hash.clone(),
        );
        let matches = password::verify(password_text.to_owned(), stored).await?;
        let outcome = match &row {
            Some(row) if matches => self.second_factor(row, code, meta).await,
            _ => Err(AuthError::BadCredentials),
        };
        // The failure is logged off the answer's path, so that a wrong password for an existing
        // account takes as long as one for an email nobody has.
        let to_log = self
            .settle(admitted, known_device.is_some(), row.as_ref(), &outcome)
            .await?;
        if let Some(user_id) = row.as_ref().map(|row| row.id) {
            let (auth, meta, at) = (self.clone(), meta.clone(), self.now());
            tokio::spawn(async move {
                for kind in to_log {
                    if let Err(err) = auth.record_at(user_id, kind, &meta, at).await {
                        tracing::warn!(error = %err, "a failed login could not be logged");
                    }
                }
            });
        }
        outcome?;
        let row = row.ok_or(AuthError::BadCredentials)?;
        if password::needs_rehash(&row.password_hash) {
            // SEC-4: upgrade hashes made with weaker settings while we hold the password.
            let hash = password::hash(password_text.to_owned()).await?;
            db::set_password_hash(&self.db, row.id, &hash, self.now()).await?;
        }
        self.notice_if_new_sign_in(&row.to_user(), known_device.is_some(), meta)
            .await;
        self.record(row.id, SecurityEventKind::LoginSucceeded, meta)
            .await?;
        self.session(row.to_user(), known_device.as_deref())
    }

    /// Confirms a signed-in user's password (and second factor): a fresh session, in sudo mode.
    pub async fn reauthenticate(
        &self,
        user: &User,
        password_text: &str,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<Session, AuthError> {
        let row = self.row(user).await?;
        self.check_factors(&row, Some(password_text), code, meta)
            .await?;
        self.record(user.id, SecurityEventKind::Reauthenticated, meta)
            .await?;
        let known_device = self.known_device(&row.email, meta);
        self.session(row.to_user(), known_device.as_deref())
    }

    /// Who a token (a session's or an API token) speaks for, and how.
    pub async fn authenticate_caller(&self, token: &str) -> Result<Caller, AuthError> {
        if token.starts_with(api_tokens::PREFIX) {
            let (row, token) = api_tokens::find(&self.db, token, self.now())
                .await?
                .ok_or(AuthError::Unauthenticated)?;
            return Ok(Caller {
                user: row.to_user(),
                credential: Credential::ApiToken {
                    id: token.id,
                    scopes: token.scopes,
                },
            });
        }
        let claims = self
            .keys
            .verify(token, self.clock.now())
            .ok_or(AuthError::Unauthenticated)?;
        let row = db::user_by_id(&self.db, claims.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if row.token_version != claims.version {
            return Err(AuthError::Unauthenticated);
        }
        Ok(Caller {
            user: row.to_user(),
            credential: Credential::Session {
                authenticated_at: claims.issued_at,
            },
        })
    }

    /// Users whose sessions this instance revoked, as it happens.
    pub fn revocations(&self) -> broadcast::Receiver<Id> {
        self.revocations.subscribe()
    }

    pub(super) fn announce_revocation(&self, user_id: Id) {
        // No receiver (no open WebSocket) is fine.
        let _ = self.revocations.send(user_id);
    }

    /// Sets a new password after checking the current one; every other session and every API
    /// token ends, and the caller gets a fresh token.
    pub async fn change_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<Session, AuthError> {
        let row = self.row(user).await?;
        self.check_factors(&row, Some(current), code, meta).await?;
        password::check_policy("newPassword", new)?;
        let hash = password::hash(new.to_owned()).await?;
        let version = db::revoke_sessions(&self.db, user.id, Some(&hash), self.now())
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        api_tokens::revoke_all(&self.db, user.id).await?;
        super::email_links::revoke_resets(&self.db, user.id, self.now()).await?;
        self.announce_revocation(user.id);
        self.record(user.id, SecurityEventKind::PasswordChanged, meta)
            .await?;
        let known_device = self.known_device(&row.email, meta);
        self.session(
            User {
                token_version: version,
                ..user.clone()
            },
            known_device.as_deref(),
        )
    }

    /// Ends every session of the user, this one included.
    pub async fn logout_everywhere(
        &self,
        user: &User,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        db::revoke_sessions(&self.db, user.id, None, self.now())
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        self.announce_revocation(user.id);
        self.record(user.id, SecurityEventKind::LoggedOutEverywhere, meta)
            .await
    }

    /// Deletes the account and everything it owns, after checking the password. Its security
    /// log is kept [`DELETED_EVENTS_DAYS`] under a hash of the email, then removed.
    pub async fn delete_account(
        &self,
        user: &User,
        password_text: &str,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let row = self.row(user).await?;
        self.check_factors(&row, Some(password_text), code, meta)
            .await?;
        self.record(user.id, SecurityEventKind::AccountDeleted, meta)
            .await?;
        if db::delete_user_keeping_events(&self.db, user.id, &email_hash(&row.email), self.now())
            .await?
        {
            self.announce_revocation(user.id);
            Ok(())
        } else {
            Err(AuthError::Unauthenticated)
        }
    }

    /// The user's newest security events, newest first.
    pub async fn security_events(
        &self,
        user: &User,
        first: i64,
    ) -> Result<Vec<SecurityEvent>, AuthError> {
        Ok(db::events(&self.db, user.id, first.clamp(0, MAX_EVENTS)).await?)
    }

    /// The kinds of event kept from a deleted account's security log, oldest first (a breach
    /// inquiry knows the email; the log itself holds only its hash).
    pub async fn deleted_account_log(&self, email: &str) -> Result<Vec<String>, AuthError> {
        let email = normalise_email(email)?;
        Ok(db::deleted_account_event_kinds(&self.db, &email_hash(&email)).await?)
    }

    /// For sensitive actions (linking a broker, changing its credentials): when the user has
    /// two-factor login on, `code` must be a current TOTP code or an unused backup code.
    pub async fn verify_second_factor(
        &self,
        user: &User,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let row = self.row(user).await?;
        self.check_factors(&row, None, code, meta).await
    }

    /// Appends an entry to the user's security log.
    pub async fn record_event(
        &self,
        user_id: Id,
        kind: SecurityEventKind,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        self.record(user_id, kind, meta).await
    }

    /// Appends an entry to the user's security log for something the server itself did or
    /// found (the daily key check), with its notice.
    pub async fn record_system_event(
        &self,
        user_id: Id,
        kind: SecurityEventKind,
    ) -> Result<(), AuthError> {
        db::record_event(
            &self.db,
            db::NewEvent {
                user_id,
                kind,
                ip: None,
                user_agent: None,
                detail: None,
            },
            self.now(),
        )
        .await?;
        self.send_notice(user_id, kind, None).await;
        Ok(())
    }

    /// Deletes what no limit or promise needs any more: old attempts, and deleted accounts'
    /// security logs past [`DELETED_EVENTS_DAYS`].
    pub async fn prune(&self) -> Result<usize, AuthError> {
        let now = self.now();
        let attempts = rate_limit::prune(&self.db, now).await?;
        let before = Ts::new(now.0 - chrono::Duration::days(DELETED_EVENTS_DAYS));
        let events = db::prune_deleted_account_events(&self.db, before).await?;
        let mails = self
            .mail
            .prune()
            .await
            .map_err(|err| AuthError::Internal(err.to_string()))?;
        Ok(attempts + events + mails)
    }

    /// Prunes once an hour until shutdown.
    pub async fn run_pruner(self, shutdown: Shutdown) {
        let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
        let stop = shutdown.wait();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = hourly.tick() => {
                    if let Err(err) = self.prune().await {
                        tracing::warn!(error = %err, "pruning old login attempts failed");
                    }
                }
            }
        }
    }

    pub(super) async fn row(&self, user: &User) -> Result<UserRow, AuthError> {
        db::user_by_id(&self.db, user.id)
            .await?
            .ok_or(AuthError::Unauthenticated)
    }

    /// Checks `password` (when given) and the second factor of a signed-in user as one attempt
    /// under the guessing limits; past a limit, `RateLimited` before anything is checked.
    pub(super) async fn check_factors(
        &self,
        row: &UserRow,
        password_text: Option<&str>,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let has_code = code.is_some_and(|code| !code.trim().is_empty());
        if password_text.is_none() && !(row.totp_enabled && has_code) {
            // Nothing to guess: either no second factor, or none offered (TOTP_REQUIRED).
            return self.second_factor(row, code, meta).await;
        }
        let known_device = self.known_device(&row.email, meta);
        let admitted = self
            .admit(&row.email, known_device.as_deref(), meta)
            .await?;
        let outcome = async {
            if let Some(candidate) = password_text
                && (candidate.len() > password::MAX_BYTES
                    || !password::verify(candidate.to_owned(), row.password_hash.clone()).await?)
            {
                return Err(AuthError::BadCredentials);
            }
            self.second_factor(row, code, meta).await
        }
        .await;
        for kind in self
            .settle(admitted, known_device.is_some(), Some(row), &outcome)
            .await?
        {
            self.record(row.id, kind, meta).await?;
        }
        outcome
    }

    /// The device id of the browser's device cookie, if it is valid for `email`.
    pub(super) fn known_device(&self, email: &str, meta: &RequestMeta) -> Option<String> {
        let cookie = meta.device.as_deref()?;
        device::verify(self.keys.device_key(), cookie, email, self.clock.now())
    }

    /// Counts an attempt on `email` from the request's address, or refuses it.
    async fn admit(
        &self,
        email: &str,
        known_device: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(Id, i64), AuthError> {
        let ip = rate_limit::client_key(meta.ip);
        let who = Attempt {
            ip: &ip,
            email,
            device: known_device,
        };
        match rate_limit::admit(&self.db, &who, self.now()).await? {
            Admission::Admitted {
                attempt,
                failures_before,
            } => Ok((attempt, failures_before)),
            Admission::Refused {
                retry_after_seconds,
                ..
            } => Err(AuthError::RateLimited {
                retry_after_seconds,
            }),
        }
    }

    /// Books an admitted attempt's outcome and says what the account's log should get: a
    /// success (a right password waiting for its code counts as one) stops counting; a wrong
    /// guess is a failed login, and the one that locks the account is also the lock.
    async fn settle(
        &self,
        (attempt, failures_before): (Id, i64),
        from_known_device: bool,
        row: Option<&UserRow>,
        outcome: &Result<(), AuthError>,
    ) -> Result<Vec<SecurityEventKind>, AuthError> {
        let mut to_log = Vec::new();
        match outcome {
            Ok(()) | Err(AuthError::TotpRequired) => {
                rate_limit::mark_succeeded(&self.db, attempt).await?;
            }
            Err(AuthError::BadCredentials | AuthError::TotpInvalid) if row.is_some() => {
                to_log.push(SecurityEventKind::LoginFailed);
                if !from_known_device && failures_before + 1 == rate_limit::ATTEMPTS_PER_WINDOW {
                    to_log.push(SecurityEventKind::AccountLocked);
                }
            }
            Err(_) => {}
        }
        Ok(to_log)
    }

    pub(super) fn session(
        &self,
        user: User,
        known_device: Option<&str>,
    ) -> Result<Session, AuthError> {
        let now = self.clock.now();
        let (token, expires_at) = self
            .keys
            .issue(user.id, user.token_version, now)
            .map_err(AuthError::Internal)?;
        let device_cookie = device::issue(self.keys.device_key(), &user.email, known_device, now);
        Ok(Session {
            token,
            expires_at,
            user,
            device_cookie: Some(device_cookie),
        })
    }

    pub(super) async fn record(
        &self,
        user_id: Id,
        kind: SecurityEventKind,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        self.record_at(user_id, kind, meta, self.now()).await?;
        self.send_notice(user_id, kind, Some(meta)).await;
        Ok(())
    }

    async fn record_at(
        &self,
        user_id: Id,
        kind: SecurityEventKind,
        meta: &RequestMeta,
        at: Ts,
    ) -> Result<(), AuthError> {
        let user_agent = meta
            .user_agent
            .as_ref()
            .map(|ua| ua.chars().take(512).collect());
        db::record_event(
            &self.db,
            db::NewEvent {
                user_id,
                kind,
                ip: Some(meta.ip.to_string()),
                user_agent,
                detail: None,
            },
            at,
        )
        .await?;
        Ok(())
    }
}

/// How a deleted account's log is found again (a breach inquiry knows the email).
pub fn email_hash(email: &str) -> String {
    crate::digest::sha256_hex(email.as_bytes())
}
