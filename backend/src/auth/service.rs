//! The account service: what the API's account mutations and queries do.

use super::db::{self, UserRow};
use super::rate_limit::{self, Admission};
use super::token::TokenKeys;
use super::{
    AuthError, RequestMeta, SecurityEvent, SecurityEventKind, Session, User, normalise_email,
    password,
};
use crate::clock::Clock;
use crate::db::Db;
use crate::db::types::{Id, Ts};

/// Most security events one request may list.
pub const MAX_EVENTS: i64 = 200;

/// Accounts and sessions on one database.
#[derive(Clone)]
pub struct Auth {
    db: Db,
    keys: TokenKeys,
    clock: Clock,
}

impl Auth {
    pub fn new(db: Db, keys: TokenKeys, clock: Clock) -> Self {
        Self { db, keys, clock }
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
        rate_limit::mark_succeeded(&self.db, attempt).await?;
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

    /// Sets a new password after checking the current one; every other session ends, and the
    /// caller gets a fresh token.
    pub async fn change_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        meta: &RequestMeta,
    ) -> Result<Session, AuthError> {
        self.check_password(user, current).await?;
        password::check_policy("newPassword", new)?;
        let hash = password::hash(new.to_owned()).await?;
        let version = db::revoke_sessions(&self.db, user.id, Some(&hash), self.now())
            .await?
            .ok_or(AuthError::Unauthenticated)?;
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
        self.record(user.id, SecurityEventKind::LoggedOutEverywhere, meta)
            .await
    }

    /// Deletes the account and everything it owns, after checking the password.
    pub async fn delete_account(&self, user: &User, password_text: &str) -> Result<(), AuthError> {
        self.check_password(user, password_text).await?;
        if db::delete_user(&self.db, user.id).await? {
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

    async fn check_password(&self, user: &User, candidate: &str) -> Result<(), AuthError> {
        let row = db::user_by_id(&self.db, user.id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if candidate.len() > password::MAX_BYTES
            || !password::verify(candidate.to_owned(), row.password_hash).await?
        {
            return Err(AuthError::BadCredentials);
        }
        Ok(())
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
