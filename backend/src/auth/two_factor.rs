//! Two-factor login (SEC-7, SEC-8): TOTP setup and confirmation, turning it off, backup codes,
//! and the second-factor check every factor-checking action goes through.

use zeroize::Zeroizing;

use super::db::{self, UserRow};
use super::{AuthError, RequestMeta, SecurityEventKind, User, totp};
use crate::db::types::Id;
use crate::vault::associated_data;

use super::service::Auth;

/// The vault field name binding a TOTP seed to its user.
const TOTP_FIELD: &str = "totp_seed";

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

/// What an authenticator app needs to add the account.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    /// The seed in base32, for typing in.
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_code_svg: String,
}

impl Auth {
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

    /// Turns two-factor login on with the password and a first valid code; returns the backup
    /// codes, shown once. (Without the password, a stolen session could bind the account to the
    /// thief's authenticator.)
    pub async fn confirm_totp(
        &self,
        user: &User,
        code: &str,
        password_text: &str,
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
        self.check_factors(&row, Some(password_text), None, meta)
            .await?;
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
        let row = self.row(user).await?;
        require_totp_on(&row)?;
        self.check_factors(&row, Some(password_text), Some(code), meta)
            .await?;
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
        self.check_factors(&row, None, Some(code), meta).await?;
        let (shown, hashes) = totp::new_backup_codes()?
            .into_iter()
            .unzip::<_, _, Vec<_>, Vec<_>>();
        db::replace_backup_codes(&self.db, user.id, &hashes).await?;
        self.record(user.id, SecurityEventKind::BackupCodesRegenerated, meta)
            .await?;
        Ok(shown)
    }

    /// Checks the second factor when the account has one: a TOTP code of a step later than the
    /// last one used, or an unused backup code (which is then used up). Callers count it as an
    /// attempt first (`check_factors`, or `login`).
    pub(super) async fn second_factor(
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
        u64::try_from(self.current_time().timestamp()).unwrap_or_default()
    }
}
