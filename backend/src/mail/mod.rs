//! Outgoing mail: a queue in the database and a sender that hands it to the SMTP server.
//!
//! Rules: a mail is stored before anyone is told it is on its way, so an SMTP outage or a
//! restart loses nothing; the sender retries until the server takes it (docs/mail.md). The body
//! may hold a single-use link, so it is sealed by the vault while queued and removed once sent.
//! Every mail sent goes into the recipient's security log by kind, never by content. Without
//! `COPYTRADE_SMTP_URL` mail is off: nothing is queued, and callers say so to the user.

mod queue;
mod sender;
pub mod smtp;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::MailSettings;
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError};
use crate::vault::Vault;

pub use sender::{DeliveryReport, backoff};

/// Why mail could not be queued or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("this server sends no email (COPYTRADE_SMTP_URL is not set)")]
    Disabled,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("a queued mail cannot be sealed or opened: {0}")]
    Vault(#[from] crate::vault::VaultError),
    #[error("the SMTP settings cannot be used: {0}")]
    Settings(String),
}

impl From<diesel::result::Error> for MailError {
    fn from(err: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(err))
    }
}

/// What a mail is about: its name goes into the security log (the names are data: never rename).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    VerifyEmail,
    PasswordReset,
    NewSignIn,
    PasswordChanged,
    TotpEnabled,
    TotpDisabled,
    BackupCodeUsed,
    BrokerLinked,
    BrokerCredentialsChanged,
    BrokerKeyRefused,
    BrokerKeyRotationDue,
    BreachNotice,
}

impl MailKind {
    const NAMES: [(Self, &'static str); 12] = [
        (Self::VerifyEmail, "verify_email"),
        (Self::PasswordReset, "password_reset"),
        (Self::NewSignIn, "new_sign_in"),
        (Self::PasswordChanged, "password_changed"),
        (Self::TotpEnabled, "totp_enabled"),
        (Self::TotpDisabled, "totp_disabled"),
        (Self::BackupCodeUsed, "backup_code_used"),
        (Self::BrokerLinked, "broker_linked"),
        (Self::BrokerCredentialsChanged, "broker_credentials_changed"),
        (Self::BrokerKeyRefused, "broker_key_refused"),
        (Self::BrokerKeyRotationDue, "broker_key_rotation_due"),
        (Self::BreachNotice, "breach_notice"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or("unknown", |(_, name)| name)
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(_, name)| *name == text)
            .map(|(kind, _)| *kind)
    }
}

/// One mail to queue.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// Whose security log records the send (`None`: no account's).
    pub user_id: Option<Id>,
    pub to: String,
    pub kind: MailKind,
    pub subject: String,
    /// Plain text; lines end with `\n`.
    pub text: String,
    /// A breach notice's campaign: the queue holds at most one mail per user and campaign.
    pub campaign: Option<String>,
}

/// A mail in the queue, as [`Mail::waiting`] shows it (never its content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingMail {
    pub kind: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// The outbox: queues mail and runs the sender. Cheap to clone.
#[derive(Clone)]
pub struct Mail {
    db: Db,
    vault: Arc<Vault>,
    clock: Clock,
    /// `None` when mail is off.
    smtp: Option<Arc<smtp::SmtpSender>>,
    /// Wakes this instance's sender when a mail is queued, so it goes out at once.
    wake: Arc<Notify>,
    public_url: Arc<str>,
}

impl Mail {
    /// The outbox for `settings` (`None`: mail is off).
    pub fn new(
        db: Db,
        vault: Arc<Vault>,
        clock: Clock,
        settings: Option<&MailSettings>,
        public_url: &str,
    ) -> Result<Self, MailError> {
        let smtp = settings
            .map(smtp::SmtpSender::new)
            .transpose()
            .map_err(MailError::Settings)?
            .map(Arc::new);
        Ok(Self {
            db,
            vault,
            clock,
            smtp,
            wake: Arc::new(Notify::new()),
            public_url: Arc::from(public_url.trim_end_matches('/')),
        })
    }

    /// Whether this server sends mail.
    pub fn is_enabled(&self) -> bool {
        self.smtp.is_some()
    }

    /// A link to a page of the web app with a token: `<public URL><path>?token=<token>`.
    pub fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.public_url)
    }

    /// The server's public address, for mails that point at it.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Queues a mail and wakes the sender; `Disabled` when mail is off. With a campaign, a
    /// second mail for the same user is not queued (`Ok(false)`).
    pub async fn enqueue(&self, mail: OutgoingMail) -> Result<bool, MailError> {
        if !self.is_enabled() {
            return Err(MailError::Disabled);
        }
        let id = Id::new();
        let body = self.vault.seal(mail.text.as_bytes(), &body_ad(id))?;
        let queued = queue::insert(&self.db, id, &mail, &body, Ts::new(self.clock.now())).await?;
        if queued {
            self.wake.notify_one();
        }
        Ok(queued)
    }

    /// Makes every waiting mail of the campaign due now.
    pub async fn retry_campaign_now(&self, campaign: &str) -> Result<(), MailError> {
        Ok(queue::make_due(&self.db, campaign, Ts::new(self.clock.now())).await?)
    }

    /// Mail still waiting to be sent, oldest first: what it is, how often it was tried, and why
    /// the last try failed.
    pub async fn waiting(&self) -> Result<Vec<WaitingMail>, MailError> {
        Ok(queue::waiting(&self.db)
            .await?
            .into_iter()
            .map(|(kind, attempts, last_error)| WaitingMail {
                kind,
                attempts,
                last_error,
            })
            .collect())
    }

    /// Mails of a campaign not sent yet.
    pub async fn campaign_pending(&self, campaign: &str) -> Result<i64, MailError> {
        Ok(queue::campaign_pending(&self.db, campaign).await?)
    }

    /// Mails of a campaign sent so far.
    pub async fn campaign_sent(&self, campaign: &str) -> Result<i64, MailError> {
        Ok(queue::campaign_sent(&self.db, campaign).await?)
    }
}

/// What a queued body is sealed to: its own row.
fn body_ad(id: Id) -> Vec<u8> {
    format!("mail_queue:{id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_stored_names() {
        for (kind, name) in MailKind::NAMES {
            assert_eq!(kind.as_str(), name);
            assert_eq!(MailKind::parse(name), Some(kind));
        }
        let mut names: Vec<&str> = MailKind::NAMES.iter().map(|(_, n)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), MailKind::NAMES.len());
    }
}
