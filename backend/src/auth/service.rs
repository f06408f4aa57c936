//! The account service: what the API's account mutations and queries do.

use super::db::{self, UserRow};
use super::rate_limit::{self, Admission};
use std::sync::Arc;

use tokio::sync::broadcast;

use zeroize::Zeroizing;

use super::token::TokenKeys;
use super::totp;
use super::{
    AuthError, RequestMeta, SecurityEvent, SecurityEventKind, Session, User, normalise_email,
    password,
};
use crate::clock::Clock;
use crate::db::Db;
use crate::db::types::{Id, Ts};
use crate::vault::{Vault, associated_data};

fn require_totp_on(row: &UserRow) -> Result<(), AuthError> {
    if row.totp_enabled {
        Ok(())
    } else {
        Err(AuthError::InvalidInput {
            field: "totp",
            message: "is not on".to_owned(),
        })
    }
}

/// The vault's associated data for a user's TOTP seed: it opens only in that user's row.
pub(crate) fn seed_ad(user_id: Id) -> Vec<u8> {
    let id = user_id.to_string();
    associated_data(&id, &id, TOTP_FIELD)
}

fn vault_error(err: crate::vault::VaultError) -> AuthError {
    AuthError::Internal(err.to_string())
}

/// Time steps are small positive numbers (now / 30 s): they fit a database BIGINT.
fn step_i64(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

/// Most security events one request may list.
pub const MAX_EVENTS: i64 = 200;

/// Accounts and sessions on one database.
#[derive(Clone)]
pub struct Auth {
    db: Db,
    keys: TokenKeys,
    vault: Arc<Vault>,
    clock: Clock,
    /// Users whose sessions were just revoked here, so open WebSockets close at once.
    revocations: broadcast::Sender<Id>,
}

/// What an authenticator app needs to add the account.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    /// The seed in base32, for typing in.
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_code_svg: String,
}

/// The vault field name binding a TOTP seed to its user.
const TOTP_FIELD: &str = "totp_seed";

impl Auth {
    pub fn new(db: Db, keys: TokenKeys, vault: Arc<Vault>, clock: Clock) -> Self {
        let (revocations, _) = broadcast::channel(256);
        Self {
            db,
            keys,
            vault,
            clock,
            revocations,
        }
    }

    fn now(&self) -> Ts {
        Ts::new(self.clock.now())
    }

    /// Creates an account and logs it in.
    pub async fn register(
        &self,
        email: &str,
        password_text: &str,
        meta: &RequestMeta,
    ) -> Result<Session, AuthError> {
        let email = normalise_email(email)?;
        password::check_policy("password", password_text)?;
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
        };
        if !db::insert_user(&self.db, &row).await? {
            return Err(AuthError::EmailTaken);
        }
        self.record(row.id, SecurityEventKind::Registered, meta)
            .await?;
        self.session(row.to_user())
    }

    /// Checks email and password, within the login limits.
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
        let attempt =
            match rate_limit::admit(&self.db, &meta.ip.to_string(), &email, self.now()).await? {
                Admission::Admitted(attempt) => attempt,
                Admission::Refused {
                    retry_after_seconds,
                } => {
                    return Err(AuthError::RateLimited {
                        retry_after_seconds,
                    });
                }
            };
        let row = db::user_by_email(&self.db, &email).await?;
        // Unknown emails are checked against a dummy hash: the answer takes as long either way.
        let stored = row.as_ref().map_or_else(
            || password::DUMMY_HASH.clone(),
            |row| row.password_hash.clone(),
        );
        let matches = password::verify(password_text.to_owned(), stored).await?;
        let row = match row {
            Some(row) if matches => row,
            Some(row) => {
                self.record(row.id, SecurityEventKind::LoginFailed, meta)
                    .await?;
                return Err(AuthError::BadCredentials);
            }
            None => return Err(AuthError::BadCredentials),
        };
        match self.second_factor(&row, code, meta).await {
            // The password was right: asking for the code is no failure of this account.
            Err(AuthError::TotpRequired) => {
                rate_limit::mark_succeeded(&self.db, attempt).await?;
                return Err(AuthError::TotpRequired);
            }
            Err(AuthError::TotpInvalid) => {
                self.record(row.id, SecurityEventKind::LoginFailed, meta)
                    .await?;
                return Err(AuthError::TotpInvalid);
            }
            other => other?,
        }
        rate_limit::mark_succeeded(&self.db, attempt).await?;
        if password::needs_rehash(&row.password_hash) {
            // SEC-4: upgrade hashes made with weaker settings while we hold the password.
            let hash = password::hash(password_text.to_owned()).await?;
            db::set_password_hash(&self.db, row.id, &hash, self.now()).await?;
        }
        self.record(row.id, SecurityEventKind::LoginSucceeded, meta)
            .await?;
        self.session(row.to_user())
    }

    /// The user a session token belongs to, if the token is valid and not revoked.
    pub async fn authenticate(&self, token: &str) -> Result<User, AuthError> {
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
        Ok(row.to_user())
    }

    /// Whether `user`'s session is still valid (the account exists and the version is current).
    pub async fn is_current(&self, user: &User) -> Result<bool, AuthError> {
        Ok(db::user_by_id(&self.db, user.id)
            .await?
            .is_some_and(|row| row.token_version == user.token_version))
    }

    /// Users whose sessions this instance revoked, as it happens.
    pub fn revocations(&self) -> broadcast::Receiver<Id> {
        self.revocations.subscribe()
    }

    fn announce_revocation(&self, user_id: Id) {
        // No receiver (no open WebSocket) is fine.
        let _ = self.revocations.send(user_id);
    }

    /// Sets a new password after checking the current one; every other session ends, and the
    /// caller gets a fresh token.
    pub async fn change_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<Session, AuthError> {
        let row = self.check_password(user, current).await?;
        self.second_factor(&row, code, meta).await?;
        password::check_policy("newPassword", new)?;
        let hash = password::hash(new.to_owned()).await?;
        let version = db::revoke_sessions(&self.db, user.id, Some(&hash), self.now())
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        self.announce_revocation(user.id);
        self.record(user.id, SecurityEventKind::PasswordChanged, meta)
            .await?;
        self.session(User {
            token_version: version,
            ..user.clone()
        })
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

    /// Deletes the account and everything it owns, after checking the password.
    pub async fn delete_account(
        &self,
        user: &User,
        password_text: &str,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let row = self.check_password(user, password_text).await?;
        self.second_factor(&row, code, meta).await?;
        if db::delete_user(&self.db, user.id).await? {
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

    /// The user's row, if `candidate` is their password.
    async fn check_password(&self, user: &User, candidate: &str) -> Result<UserRow, AuthError> {
        let row = self.row(user).await?;
        if candidate.len() > password::MAX_BYTES
            || !password::verify(candidate.to_owned(), row.password_hash.clone()).await?
        {
            return Err(AuthError::BadCredentials);
        }
        Ok(row)
    }

    async fn row(&self, user: &User) -> Result<UserRow, AuthError> {
        db::user_by_id(&self.db, user.id)
            .await?
            .ok_or(AuthError::Unauthenticated)
    }

    /// Starts two-factor setup: a new seed, kept pending until a first code confirms it.
    pub async fn begin_totp_setup(&self, user: &User) -> Result<TotpSetup, AuthError> {
        let row = self.row(user).await?;
        if row.totp_enabled {
            return Err(AuthError::InvalidInput {
                field: "totp",
                message: "is already on: turn it off first to set up a new authenticator"
                    .to_owned(),
            });
        }
        let seed = Zeroizing::new(totp::new_seed()?);
        let blob = self
            .vault
            .seal(&seed, &seed_ad(user.id))
            .map_err(vault_error)?;
        db::set_pending_totp(&self.db, user.id, &blob, self.now()).await?;
        let otpauth_uri = totp::otpauth_uri(&seed, &user.email);
        Ok(TotpSetup {
            secret: totp::base32(&seed),
            qr_code_svg: totp::qr_svg(&otpauth_uri)?,
            otpauth_uri,
        })
    }

    /// Turns two-factor login on with a first valid code; returns the backup codes, shown once.
    pub async fn confirm_totp(
        &self,
        user: &User,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<Vec<String>, AuthError> {
        let row = self.row(user).await?;
        let pending =
            row.totp_pending_secret
                .as_deref()
                .ok_or_else(|| AuthError::InvalidInput {
                    field: "code",
                    message: "has no two-factor setup to confirm: start the setup first".to_owned(),
                })?;
        let seed = self
            .vault
            .open(pending, &seed_ad(user.id))
            .map_err(vault_error)?;
        let step =
            totp::matching_step(&seed, code, self.unix_seconds())?.ok_or(AuthError::TotpInvalid)?;
        let (shown, hashes) = totp::new_backup_codes()?
            .into_iter()
            .unzip::<_, _, Vec<_>, Vec<_>>();
        if !db::enable_totp(
            &self.db,
            user.id,
            pending,
            step_i64(step),
            &hashes,
            self.now(),
        )
        .await?
        {
            return Err(AuthError::TotpInvalid);
        }
        self.record(user.id, SecurityEventKind::TotpEnabled, meta)
            .await?;
        Ok(shown)
    }

    /// Turns two-factor login off (needs the password and a code).
    pub async fn disable_totp(
        &self,
        user: &User,
        password_text: &str,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let row = self.check_password(user, password_text).await?;
        require_totp_on(&row)?;
        self.second_factor(&row, Some(code), meta).await?;
        db::disable_totp(&self.db, user.id, self.now()).await?;
        self.record(user.id, SecurityEventKind::TotpDisabled, meta)
            .await
    }

    /// Replaces the backup codes (needs a current code); the old ones stop working.
    pub async fn regenerate_backup_codes(
        &self,
        user: &User,
        code: &str,
        meta: &RequestMeta,
    ) -> Result<Vec<String>, AuthError> {
        let row = self.row(user).await?;
        require_totp_on(&row)?;
        self.second_factor(&row, Some(code), meta).await?;
        let (shown, hashes) = totp::new_backup_codes()?
            .into_iter()
            .unzip::<_, _, Vec<_>, Vec<_>>();
        db::replace_backup_codes(&self.db, user.id, &hashes).await?;
        self.record(user.id, SecurityEventKind::BackupCodesRegenerated, meta)
            .await?;
        Ok(shown)
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
        self.second_factor(&row, code, meta).await
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

    /// Checks the second factor when the account has one: a TOTP code of a step later than the
    /// last one used, or an unused backup code (which is then used up).
    async fn second_factor(
        &self,
        row: &UserRow,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        if !row.totp_enabled {
            return Ok(());
        }
        let code = code
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .ok_or(AuthError::TotpRequired)?;
        if totp::looks_like_totp(code) {
            let blob = row.totp_secret.as_deref().ok_or_else(|| {
                AuthError::Internal("two-factor login is on without a seed".into())
            })?;
            let seed = self
                .vault
                .open(blob, &seed_ad(row.id))
                .map_err(vault_error)?;
            let step = totp::matching_step(&seed, code, self.unix_seconds())?
                .ok_or(AuthError::TotpInvalid)?;
            if !db::advance_totp_step(&self.db, row.id, step_i64(step)).await? {
                return Err(AuthError::TotpInvalid);
            }
            return Ok(());
        }
        if db::use_backup_code(&self.db, row.id, &totp::backup_code_hash(code)).await? {
            self.record(row.id, SecurityEventKind::BackupCodeUsed, meta)
                .await?;
            return Ok(());
        }
        Err(AuthError::TotpInvalid)
    }

    fn unix_seconds(&self) -> u64 {
        u64::try_from(self.clock.now().timestamp()).unwrap_or_default()
    }

    fn session(&self, user: User) -> Result<Session, AuthError> {
        let (token, expires_at) = self
            .keys
            .issue(user.id, user.token_version, self.clock.now())
            .map_err(AuthError::Internal)?;
        Ok(Session {
            token,
            expires_at,
            user,
        })
    }

    async fn record(
        &self,
        user_id: Id,
        kind: SecurityEventKind,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let user_agent = meta
            .user_agent
            .as_ref()
            .map(|ua| ua.chars().take(512).collect());
        db::record_event(
            &self.db,
            user_id,
            kind,
            Some(meta.ip.to_string()),
            user_agent,
            self.now(),
        )
        .await?;
        Ok(())
    }
}
