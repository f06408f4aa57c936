//! Breach notification (`copytrade notify-users`): one mail to every affected user, each sent
//! once however often the command runs (docs/security.md, "Breach notification").
//!
//! A run is a campaign named by what it sends (subject, body and audience): running the same
//! command again continues the same campaign, queuing only the users who have no mail in it yet
//! and sending what is still waiting. Every mail the SMTP server takes goes into the user's
//! security log (`email_sent`, `breach_notice`), so the audit shows who was told and when.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::db::types::Ts;
use crate::db::{Db, DbError};
use crate::mail::{DeliveryReport, Mail, MailError, MailKind, OutgoingMail};

/// The longest subject, in characters.
const MAX_SUBJECT_CHARS: usize = 200;
/// The largest body, in bytes.
const MAX_BODY_BYTES: usize = 100 * 1024;

/// What to send, and to whom.
#[derive(Debug, Clone)]
pub struct Notice {
    pub subject: String,
    pub body: String,
    /// Only users who held broker credentials in the period.
    pub with_credentials: bool,
    /// The period's start (without it, any time).
    pub since: Option<DateTime<Utc>>,
}

/// Why a notice could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum BreachError {
    #[error("{0}")]
    Invalid(String),
    #[error(
        "mail is off: set COPYTRADE_SMTP_URL and COPYTRADE_MAIL_FROM to the SMTP server that should send the notice"
    )]
    MailDisabled,
    #[error("{0} notice(s) are still queued; run the same command again to send them")]
    StillQueued(i64),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Mail(MailError),
}

impl From<MailError> for BreachError {
    fn from(err: MailError) -> Self {
        match err {
            MailError::Disabled => Self::MailDisabled,
            other => Self::Mail(other),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeReport {
    pub campaign: String,
    /// Users the notice is for.
    pub recipients: usize,
    /// Sent by an earlier run of the same command.
    pub sent_before: i64,
    /// Sent by this run.
    pub sent_now: usize,
    /// Refused for good by the SMTP server (logged with the reason).
    pub refused: usize,
    /// Still waiting: run the command again, or leave them to a running server's sender.
    pub pending: i64,
    /// Why sending stopped early, if it did.
    pub stopped_by: Option<String>,
}

impl std::fmt::Display for NoticeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "breach notice {}: {} recipient(s); {} sent now, {} sent by an earlier run, {} refused, {} still queued",
            self.campaign,
            self.recipients,
            self.sent_now,
            self.sent_before,
            self.refused,
            self.pending
        )?;
        if let Some(why) = &self.stopped_by {
            write!(f, " (stopped: {why})")?;
        }
        if self.pending > 0 {
            write!(
                f,
                "; run the same command again to send the rest (a running server also retries them)"
            )?;
        }
        Ok(())
    }
}

impl Notice {
    fn check(&self) -> Result<(), BreachError> {
        let subject = self.subject.trim();
        if subject.is_empty() {
            return Err(BreachError::Invalid("--subject must not be empty".into()));
        }
        if subject.chars().count() > MAX_SUBJECT_CHARS {
            return Err(BreachError::Invalid(format!(
                "--subject must be at most {MAX_SUBJECT_CHARS} characters"
            )));
        }
        if subject.chars().any(char::is_control) {
            return Err(BreachError::Invalid(
                "--subject must be one line (no control characters)".into(),
            ));
        }
        if self.body.trim().is_empty() {
            return Err(BreachError::Invalid("the body file is empty".into()));
        }
        if self.body.len() > MAX_BODY_BYTES {
            return Err(BreachError::Invalid(format!(
                "the body file must be at most {} KiB",
                MAX_BODY_BYTES / 1024
            )));
        }
        Ok(())
    }

    /// The campaign's name: the same command names the same campaign.
    fn campaign(&self) -> String {
        let since = self.since.map(|at| at.to_rfc3339()).unwrap_or_default();
        let key = format!(
            "{}\u{0}{}\u{0}{}\u{0}{since}",
            self.subject.trim(),
            self.body,
            self.with_credentials
        );
        let digest = crate::digest::sha256_hex(key.as_bytes());
        format!("breach-{}", &digest[..16])
    }
}

/// Queues the notice for every affected user who has none in this campaign, then sends what
/// the campaign still has waiting.
pub async fn notify_users(
    db: &Db,
    mail: &Mail,
    notice: &Notice,
) -> Result<NoticeReport, BreachError> {
    notice.check()?;
    if !mail.is_enabled() {
        return Err(BreachError::MailDisabled);
    }
    let campaign = notice.campaign();
    let holders = if notice.with_credentials {
        Some(credential_holders(db, notice.since).await?)
    } else {
        None
    };
    let recipients = crate::auth::notice_addresses(db, holders.as_ref()).await?;
    let sent_before = mail.campaign_sent(&campaign).await?;
    let text = format!(
        "{}\n\n--\nYou get this mail because you have an account on CopyTrade at {}.\n",
        notice.body.trim_end(),
        mail.public_url()
    );
    for (user_id, email) in &recipients {
        mail.enqueue(OutgoingMail {
            user_id: Some(*user_id),
            to: email.clone(),
            kind: MailKind::BreachNotice,
            subject: notice.subject.trim().to_owned(),
            text: text.clone(),
            campaign: Some(campaign.clone()),
        })
        .await?;
    }
    // A rerun is the operator asking to send now: waiting retries are due at once.
    mail.retry_campaign_now(&campaign).await?;
    let DeliveryReport {
        sent,
        failed,
        outage,
        ..
    } = mail.deliver_due(Some(&campaign)).await?;
    let pending = mail.campaign_pending(&campaign).await?;
    Ok(NoticeReport {
        campaign,
        recipients: recipients.len(),
        sent_before,
        sent_now: sent,
        refused: failed,
        pending,
        stopped_by: outage,
    })
}

/// Users who held broker credentials at any time since `since`: those who hold some now, and
/// those who unlinked an account in the period.
async fn credential_holders(
    db: &Db,
    since: Option<DateTime<Utc>>,
) -> Result<HashSet<crate::db::types::Id>, DbError> {
    let mut holders: HashSet<_> = crate::connections::credential_holders(db)
        .await?
        .into_iter()
        .collect();
    holders.extend(crate::auth::unlinked_brokers_since(db, since.map(Ts::new)).await?);
    Ok(holders)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(subject: &str, body: &str) -> Notice {
        Notice {
            subject: subject.into(),
            body: body.into(),
            with_credentials: false,
            since: None,
        }
    }

    #[test]
    fn the_same_command_names_the_same_campaign() {
        let a = notice("Security incident", "We found…");
        assert_eq!(
            a.campaign(),
            notice("Security incident ", "We found…").campaign()
        );
        assert_ne!(
            a.campaign(),
            notice("Security incident", "We found more…").campaign()
        );
        let narrower = Notice {
            with_credentials: true,
            ..a.clone()
        };
        assert_ne!(a.campaign(), narrower.campaign());
    }

    #[test]
    fn an_empty_or_multi_line_subject_and_an_empty_body_are_refused() {
        for (subject, body, says) in [
            ("", "text", "--subject must not be empty"),
            ("two\nlines", "text", "one line"),
            ("fine", "  \n", "the body file is empty"),
        ] {
            let err = notice(subject, body).check().unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
    }
}
