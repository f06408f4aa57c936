//! User accounts and sessions: registration, password login with per-IP and per-account
//! limits, session tokens that die at once when revoked, and each user's security log.
//!
//! Rules: the user id of a request comes only from a verified session token whose version
//! matches the database (SEC-6, SEC-12); secrets (passwords, tokens) never reach a log or an
//! error; a failure says which rule failed without revealing whether an email has an account.

pub mod api_tokens;
mod db;
pub mod device;
mod email_links;
mod notices;
pub mod password;
mod rate_limit;
mod service;
pub mod token;
pub mod totp;
mod two_factor;

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::db::DbError;
use crate::db::types::Id;

pub use api_tokens::{ApiToken, Scope};
pub use rate_limit::{ATTEMPTS_PER_WINDOW, WINDOW_MINUTES, client_key, per_subscriber};
pub use service::Auth;
pub use two_factor::TotpSetup;
pub(crate) use two_factor::seed_ad;

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
    #[error("too many attempts; try again in {retry_after_seconds} seconds")]
    RateLimited { retry_after_seconds: i64 },
    #[error("log in first")]
    Unauthenticated,
    #[error("no such {0}")]
    NotFound(&'static str),
    /// A mailed link that is unknown, used or expired.
    #[error("this link is invalid, was already used or has expired; ask for a new one")]
    LinkInvalid,
    #[error("this server sends no email, so it cannot send that link; ask whoever runs it")]
    MailDisabled,
    #[error("confirm your email address first: open the link we mailed you, or ask for a new one")]
    EmailNotVerified,
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
    /// Whether the user opened the link in the verification email.
    pub email_verified: bool,
}

/// A new session: the token to send back, and whose it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
    /// A fresh device cookie for the browser that logged in ([`device`]).
    pub device_cookie: Option<String>,
}

/// Who is asking, for the rate limits and the security log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    /// The device cookie the browser sent, unchecked ([`device::verify`] checks it per account).
    pub device: Option<String>,
}

/// How long after a login (or reauthentication) a session may make sensitive changes: sudo mode.
pub const SUDO_MINUTES: i64 = 120;

/// How a caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A session token from a login; `authenticated_at` is when the password was last checked.
    Session { authenticated_at: DateTime<Utc> },
    /// An integrator's API token, limited to its scopes.
    ApiToken { id: Id, scopes: Vec<Scope> },
}

/// The user behind a request, and how they proved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: User,
    pub credential: Credential,
}

impl Caller {
    /// A session whose password check is recent enough for sensitive changes.
    pub fn in_sudo_mode(&self, now: DateTime<Utc>) -> bool {
        matches!(self.credential, Credential::Session { authenticated_at }
            if now - authenticated_at <= chrono::Duration::minutes(SUDO_MINUTES))
    }

    /// A session (not an API token).
    pub fn is_session(&self) -> bool {
        matches!(self.credential, Credential::Session { .. })
    }

    /// Whether the caller may act within `scope`: a session may do anything its user may.
    pub fn has_scope(&self, scope: Scope) -> bool {
        match &self.credential {
            Credential::Session { .. } => true,
            Credential::ApiToken { scopes, .. } => scopes.contains(&scope),
        }
    }
}

/// One entry of a user's security log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    pub id: Id,
    pub kind: SecurityEventKind,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub at: DateTime<Utc>,
    /// For [`SecurityEventKind::EmailSent`], which kind of mail.
    pub detail: Option<String>,
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
    /// Too many failed checks: the account's logins are locked for the rest of the window.
    AccountLocked,
    /// The user confirmed their password (sudo mode, for sensitive changes).
    Reauthenticated,
    AccountDeleted,
    WebhookCreated,
    /// The webhook's URL token and signing secret were replaced.
    WebhookRotated,
    /// Who may send to the webhook changed (signature requirement or allowed addresses).
    WebhookAccessChanged,
    KillSwitchUsed,
    /// The operator re-encrypted the user's stored secrets under a new master key.
    VaultKeyRotated,
    ApiTokenCreated,
    ApiTokenRevoked,
    /// The user opened the link in the verification email.
    EmailVerified,
    /// Someone asked for a password-reset link for this account.
    PasswordResetRequested,
    /// The password was set through a reset link; every session ended.
    PasswordReset,
    /// A mail went to the account's address; `detail` says which kind.
    EmailSent,
    /// A linked broker key passed its 30-day rotation date.
    BrokerKeyRotationDue,
}

impl SecurityEventKind {
    /// Every kind with its stored name (the names are data: never rename one).
    const NAMES: [(Self, &'static str); 28] = [
        (Self::Registered, "registered"),
        (Self::LoginSucceeded, "login_succeeded"),
        (Self::LoginFailed, "login_failed"),
        (Self::PasswordChanged, "password_changed"),
        (Self::LoggedOutEverywhere, "logged_out_everywhere"),
        (Self::TotpEnabled, "totp_enabled"),
        (Self::TotpDisabled, "totp_disabled"),
        (Self::BackupCodeUsed, "backup_code_used"),
        (Self::BackupCodesRegenerated, "backup_codes_regenerated"),
        (Self::BrokerLinked, "broker_linked"),
        (Self::BrokerUnlinked, "broker_unlinked"),
        (Self::BrokerCredentialsChanged, "broker_credentials_changed"),
        (Self::BrokerKeyRefused, "broker_key_refused"),
        (Self::AccountLocked, "account_locked"),
        (Self::Reauthenticated, "reauthenticated"),
        (Self::AccountDeleted, "account_deleted"),
        (Self::WebhookCreated, "webhook_created"),
        (Self::WebhookRotated, "webhook_rotated"),
        (Self::WebhookAccessChanged, "webhook_access_changed"),
        (Self::KillSwitchUsed, "kill_switch_used"),
        (Self::VaultKeyRotated, "vault_key_rotated"),
        (Self::ApiTokenCreated, "api_token_created"),
        (Self::ApiTokenRevoked, "api_token_revoked"),
        (Self::EmailVerified, "email_verified"),
        (Self::PasswordResetRequested, "password_reset_requested"),
        (Self::PasswordReset, "password_reset"),
        (Self::EmailSent, "email_sent"),
        (Self::BrokerKeyRotationDue, "broker_key_rotation_due"),
    ];

    pub(crate) fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or("unknown", |(_, name)| name)
    }

    fn parse(text: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(_, name)| *name == text)
            .map(|(kind, _)| *kind)
    }
}

/// Books a mail the SMTP server took in the recipient's security log: its kind, never its
/// content (the mail sender calls this).
pub async fn record_mail_sent(
    db: &crate::db::Db,
    user_id: Id,
    mail_kind: &str,
    at: crate::db::types::Ts,
) -> Result<(), DbError> {
    db::record_event(
        db,
        db::NewEvent {
            user_id,
            kind: SecurityEventKind::EmailSent,
            ip: None,
            user_agent: None,
            detail: Some(mail_kind.to_owned()),
        },
        at,
    )
    .await
}

/// Who a breach notice goes to: every account, or (`holders`) only those among them. Oldest
/// accounts first.
pub async fn notice_addresses(
    db: &crate::db::Db,
    holders: Option<&std::collections::HashSet<Id>>,
) -> Result<Vec<(Id, String)>, DbError> {
    let mut all = db::all_addresses(db).await?;
    if let Some(holders) = holders {
        all.retain(|(id, _)| holders.contains(id));
    }
    Ok(all)
}

/// Users whose security log shows they unlinked a broker account at or after `since` (ever,
/// without it): they held credentials in the period even though none is stored now.
pub async fn unlinked_brokers_since(
    db: &crate::db::Db,
    since: Option<crate::db::types::Ts>,
) -> Result<Vec<Id>, DbError> {
    db::users_with_events(db, &[SecurityEventKind::BrokerUnlinked.as_str()], since).await
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
        for (kind, _) in SecurityEventKind::NAMES {
            assert_eq!(SecurityEventKind::parse(kind.as_str()), Some(kind));
        }
        let mut names: Vec<&str> = SecurityEventKind::NAMES.iter().map(|(_, n)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            SecurityEventKind::NAMES.len(),
            "names are unique"
        );
    }
}
