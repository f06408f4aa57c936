//! User accounts and sessions: registration, password login with per-IP and per-account
//! limits, session tokens that die at once when revoked, and each user's security log.
//!
//! Rules: the user id of a request comes only from a verified session token whose version
//! matches the database (SEC-6, SEC-12); secrets (passwords, tokens) never reach a log or an
//! error; a failure says which rule failed without revealing whether an email has an account.

mod db;
pub mod password;
mod rate_limit;
mod service;
pub mod token;
pub mod totp;

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::db::DbError;
use crate::db::types::Id;

pub use rate_limit::{ATTEMPTS_PER_WINDOW, WINDOW_MINUTES};
pub(crate) use service::seed_ad;
pub use service::{Auth, TotpSetup};

/// Why an account operation failed; each maps to one stable API error code.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{field} {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("wrong email or password")]
    BadCredentials,
    #[error("enter the code from your authenticator app, or a backup code")]
    TotpRequired,
    #[error("that code is wrong or was already used")]
    TotpInvalid,
    #[error("too many login attempts; try again in {retry_after_seconds} seconds")]
    RateLimited { retry_after_seconds: i64 },
    #[error("log in first")]
    Unauthenticated,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for AuthError {
    fn from(err: DbError) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<diesel::result::Error> for AuthError {
    fn from(err: diesel::result::Error) -> Self {
        Self::Internal(err.to_string())
    }
}

/// A user account as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Id,
    pub email: String,
    pub created_at: DateTime<Utc>,
    /// Part of every session token; raising it ends all of the user's sessions.
    pub token_version: i64,
    /// Whether logins need a second factor.
    pub totp_enabled: bool,
}

/// A new session: the token to send back, and whose it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// Who is asking, for the rate limits and the security log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
}

/// One entry of a user's security log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    pub id: Id,
    pub kind: SecurityEventKind,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub at: DateTime<Utc>,
}

/// What happened to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum SecurityEventKind {
    Registered,
    LoginSucceeded,
    LoginFailed,
    PasswordChanged,
    LoggedOutEverywhere,
    TotpEnabled,
    TotpDisabled,
    BackupCodeUsed,
    BackupCodesRegenerated,
    BrokerLinked,
    BrokerUnlinked,
    BrokerCredentialsChanged,
    /// A broker key was refused because it can withdraw funds.
    BrokerKeyRefused,
}

impl SecurityEventKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::PasswordChanged => "password_changed",
            Self::LoggedOutEverywhere => "logged_out_everywhere",
            Self::TotpEnabled => "totp_enabled",
            Self::TotpDisabled => "totp_disabled",
            Self::BackupCodeUsed => "backup_code_used",
            Self::BackupCodesRegenerated => "backup_codes_regenerated",
            Self::BrokerLinked => "broker_linked",
            Self::BrokerUnlinked => "broker_unlinked",
            Self::BrokerCredentialsChanged => "broker_credentials_changed",
            Self::BrokerKeyRefused => "broker_key_refused",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            Self::Registered,
            Self::LoginSucceeded,
            Self::LoginFailed,
            Self::PasswordChanged,
            Self::LoggedOutEverywhere,
            Self::TotpEnabled,
            Self::TotpDisabled,
            Self::BackupCodeUsed,
            Self::BackupCodesRegenerated,
            Self::BrokerLinked,
            Self::BrokerUnlinked,
            Self::BrokerCredentialsChanged,
            Self::BrokerKeyRefused,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// Trims and lower-cases an email and checks its shape; the error names the field.
pub fn normalise_email(raw: &str) -> Result<String, AuthError> {
    let email = raw.trim().to_lowercase();
    let invalid = |message: &str| AuthError::InvalidInput {
        field: "email",
        message: message.to_owned(),
    };
    if email.len() > 254 {
        return Err(invalid("must be at most 254 characters"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(invalid("must be an email address like name@example.com"));
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if local.is_empty() || !domain_ok || local.chars().any(|c| c.is_whitespace() || c == '@') {
        return Err(invalid("must be an email address like name@example.com"));
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalise_email("  Trader@Example.COM ").unwrap(),
            "trader@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "trader",
            "@example.com",
            "a@b",
            "a@.com",
            "a b@example.com",
            "a@exa mple.com",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn event_kinds_round_trip_through_their_stored_names() {
        for kind in [
            SecurityEventKind::Registered,
            SecurityEventKind::LoggedOutEverywhere,
        ] {
            assert_eq!(SecurityEventKind::parse(kind.as_str()), Some(kind));
        }
    }
}
