//! Links mailed to a user: confirming the email address, and resetting a forgotten password.
//!
//! Rules (docs/security.md, "Email links"): a link carries 32 random bytes, and only their
//! SHA-256 is stored; each works once; a reset link works for 30 minutes and only the newest
//! one does; asking for a reset answers the same whether or not the email has an account, and
//! takes as long (the work happens after the answer); using a reset link ends every session and
//! API token, and with two-factor login on it still needs the second factor.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::Duration;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::db::{self, UserRow};
use super::notices;
use super::{
    Auth, AuthError, RequestMeta, SecurityEventKind, Session, User, api_tokens, normalise_email,
    password,
};
use crate::db::schema::email_tokens;
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError};
use crate::mail::{MailError, MailKind, OutgoingMail};
use crate::with_conn;

/// How long a password-reset link works.
pub const RESET_MINUTES: i64 = 30;
/// How long a verification link works.
pub const VERIFY_HOURS: i64 = 48;
/// Verification mails one user may ask for per hour.
const VERIFY_PER_HOUR: i64 = 5;
/// Reset mails one account gets per hour, however often someone asks.
const RESET_PER_HOUR: i64 = 3;

/// What a link is for (stored names: never rename).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }
}

fn token_hash(token: &str) -> String {
    crate::digest::sha256_hex(token.trim().as_bytes())
}

fn new_token() -> Result<String, AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| AuthError::Internal(err.to_string()))?;
    Ok(B64.encode(bytes))
}

/// Stores a new link for `user`. Only the newest reset link works: a new one ends the others.
async fn insert(
    db: &Db,
    user: Id,
    purpose: Purpose,
    token: &str,
    now: Ts,
    valid_for: Duration,
) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        if purpose == Purpose::ResetPassword {
            diesel::update(
                email_tokens::table
                    .filter(email_tokens::user_id.eq(user))
                    .filter(email_tokens::purpose.eq(purpose.as_str()))
                    .filter(email_tokens::used_at.is_null()),
            )
            .set(email_tokens::used_at.eq(now))
            .execute(c)
            .await?;
        }
        diesel::insert_into(email_tokens::table)
            .values((
                email_tokens::id.eq(Id::new()),
                email_tokens::user_id.eq(user),
                email_tokens::purpose.eq(purpose.as_str()),
                email_tokens::token_hash.eq(token_hash(token)),
                email_tokens::created_at.eq(now),
                email_tokens::expires_at.eq(Ts::new(now.0 + valid_for)),
            ))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// How many links of `purpose` the user was sent since `since`.
async fn sent_since(db: &Db, user: Id, purpose: Purpose, since: Ts) -> Result<i64, DbError> {
    with_conn!(db, read, |c| {
        Ok(email_tokens::table
            .filter(email_tokens::user_id.eq(user))
            .filter(email_tokens::purpose.eq(purpose.as_str()))
            .filter(email_tokens::created_at.ge(since))
            .count()
            .get_result(c)
            .await?)
    })
}

/// The link's token row and owner, if it is unused and unexpired.
async fn find_usable(
    db: &Db,
    token: &str,
    purpose: Purpose,
    now: Ts,
) -> Result<Option<(Id, Id)>, DbError> {
    with_conn!(db, read, |c| {
        Ok(email_tokens::table
            .filter(email_tokens::token_hash.eq(token_hash(token)))
            .filter(email_tokens::purpose.eq(purpose.as_str()))
            .filter(email_tokens::used_at.is_null())
            .filter(email_tokens::expires_at.gt(now))
            .select((email_tokens::id, email_tokens::user_id))
            .first(c)
            .await
            .optional()?)
    })
}

/// Uses the link up; `false` when a racing request used it first.
async fn use_up(db: &Db, id: Id, now: Ts) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        let updated = diesel::update(
            email_tokens::table
                .find(id)
                .filter(email_tokens::used_at.is_null()),
        )
        .set(email_tokens::used_at.eq(now))
        .execute(c)
        .await?;
        Ok(updated == 1)
    })
}

/// Ends every unused reset link of the user (the password changed some other way).
pub(super) async fn revoke_resets(db: &Db, user: Id, now: Ts) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::update(
            email_tokens::table
                .filter(email_tokens::user_id.eq(user))
                .filter(email_tokens::purpose.eq(Purpose::ResetPassword.as_str()))
                .filter(email_tokens::used_at.is_null()),
        )
        .set(email_tokens::used_at.eq(now))
        .execute(c)
        .await?;
        Ok(())
    })
}

impl Auth {
    /// Mails a new verification link to the user (at sign-up, and when asked again).
    pub(super) async fn send_verification(&self, user: &User) -> Result<(), AuthError> {
        let token = new_token()?;
        let now = self.now();
        insert(
            &self.db,
            user.id,
            Purpose::VerifyEmail,
            &token,
            now,
            Duration::hours(VERIFY_HOURS),
        )
        .await?;
        let link = self.mail.link("/verify-email", &token);
        let text = format!(
            "Hello,\n\n\
             please confirm that this is your email address for CopyTrade by opening this link:\n\n\
             {link}\n\n\
             The link works once, for {VERIFY_HOURS} hours. Until you confirm, you can use \
             CopyTrade, but you cannot link a live broker account.\n\n\
             If you did not sign up for CopyTrade, ignore this mail: nothing happens without the \
             link.\n\n\
             CopyTrade at {}\n",
            self.mail.public_url()
        );
        self.queue_mail(
            user,
            MailKind::VerifyEmail,
            "Confirm your email address for CopyTrade",
            text,
        )
        .await
    }

    /// `resendVerificationEmail`: another link, at most [`VERIFY_PER_HOUR`] an hour. A verified
    /// address gets nothing more (and the answer is still yes).
    pub async fn resend_verification(&self, user: &User) -> Result<(), AuthError> {
        if !self.mail.is_enabled() {
            return Err(AuthError::MailDisabled);
        }
        let row = self.row(user).await?;
        if row.email_verified_at.is_some() {
            return Ok(());
        }
        let hour_ago = Ts::new(self.now().0 - Duration::hours(1));
        if sent_since(&self.db, user.id, Purpose::VerifyEmail, hour_ago).await? >= VERIFY_PER_HOUR {
            return Err(AuthError::RateLimited {
                retry_after_seconds: 3600,
            });
        }
        self.send_verification(&row.to_user()).await
    }

    /// `verifyEmail`: confirms the address the link was sent to.
    pub async fn verify_email(&self, token: &str, meta: &RequestMeta) -> Result<(), AuthError> {
        let now = self.now();
        let (id, user_id) = find_usable(&self.db, token, Purpose::VerifyEmail, now)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        if !use_up(&self.db, id, now).await? {
            return Err(AuthError::LinkInvalid);
        }
        db::set_email_verified(&self.db, user_id, now).await?;
        self.record(user_id, SecurityEventKind::EmailVerified, meta)
            .await
    }

    /// `requestPasswordReset`: answers at once, the same for every email; the lookup and the
    /// mail happen afterwards, so neither the answer nor its timing tells whether an account
    /// exists.
    pub fn request_password_reset(&self, email: &str, meta: &RequestMeta) {
        let Ok(email) = normalise_email(email) else {
            return;
        };
        if !self.mail.is_enabled() {
            return;
        }
        let (auth, meta) = (self.clone(), meta.clone());
        tokio::spawn(async move {
            if let Err(err) = auth.send_reset_link(&email, &meta).await {
                tracing::warn!(error = %err, "a password-reset link could not be queued");
            }
        });
    }

    async fn send_reset_link(&self, email: &str, meta: &RequestMeta) -> Result<(), AuthError> {
        let Some(row) = db::user_by_email(&self.db, email).await? else {
            return Ok(());
        };
        let now = self.now();
        let hour_ago = Ts::new(now.0 - Duration::hours(1));
        if sent_since(&self.db, row.id, Purpose::ResetPassword, hour_ago).await? >= RESET_PER_HOUR {
            tracing::info!(user = %row.id, "password-reset link not sent: 3 already this hour");
            return Ok(());
        }
        let token = new_token()?;
        insert(
            &self.db,
            row.id,
            Purpose::ResetPassword,
            &token,
            now,
            Duration::minutes(RESET_MINUTES),
        )
        .await?;
        self.record(row.id, SecurityEventKind::PasswordResetRequested, meta)
            .await?;
        let link = self.mail.link("/reset-password", &token);
        let second_factor = if row.totp_enabled {
            "\nYour account has two-factor login on: you will also need your authenticator app \
             or a backup code.\n"
        } else {
            ""
        };
        let text = format!(
            "Hello,\n\n\
             someone (we hope you) asked to reset the password of your CopyTrade account. To \
             choose a new password, open this link:\n\n\
             {link}\n\n\
             The link works once, for {RESET_MINUTES} minutes, and only the newest link you \
             asked for works. Setting a new password logs you out everywhere.\n{second_factor}\n\
             Asked from: {}\n\n\
             If you did not ask, ignore this mail: your password stays as it is.\n\n\
             CopyTrade at {}\n",
            notices::origin(Some(meta)),
            self.mail.public_url()
        );
        self.queue_mail(
            &row.to_user(),
            MailKind::PasswordReset,
            "Reset your CopyTrade password",
            text,
        )
        .await
    }

    /// `resetPassword`: sets a new password with a reset link's token. The link is used up only
    /// when everything else passed (policy, second factor), so a mistyped code can be retried.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<Session, AuthError> {
        let now = self.now();
        let (id, user_id) = find_usable(&self.db, token, Purpose::ResetPassword, now)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        password::check_policy("newPassword", new_password)?;
        let row: UserRow = db::user_by_id(&self.db, user_id)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        // The second factor still counts under the guessing limits.
        self.check_factors(&row, None, code, meta).await?;
        let hash = password::hash(new_password.to_owned()).await?;
        if !use_up(&self.db, id, self.now()).await? {
            return Err(AuthError::LinkInvalid);
        }
        let now = self.now();
        let version = db::revoke_sessions(&self.db, user_id, Some(&hash), now)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        api_tokens::revoke_all(&self.db, user_id).await?;
        revoke_resets(&self.db, user_id, now).await?;
        // Opening the mailed link proved the address is the user's.
        db::set_email_verified(&self.db, user_id, now).await?;
        self.announce_revocation(user_id);
        self.record(user_id, SecurityEventKind::PasswordReset, meta)
            .await?;
        let row = db::user_by_id(&self.db, user_id)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        debug_assert_eq!(row.token_version, version);
        let known_device = self.known_device(&row.email, meta);
        self.session(row.to_user(), known_device.as_deref())
    }

    /// Queues a mail to the user's address.
    pub(super) async fn queue_mail(
        &self,
        user: &User,
        kind: MailKind,
        subject: &str,
        text: String,
    ) -> Result<(), AuthError> {
        match self
            .mail
            .enqueue(OutgoingMail {
                user_id: Some(user.id),
                to: user.email.clone(),
                kind,
                subject: subject.to_owned(),
                text,
                campaign: None,
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(MailError::Disabled) => Err(AuthError::MailDisabled),
            Err(err) => Err(AuthError::Internal(err.to_string())),
        }
    }
}
