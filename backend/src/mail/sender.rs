//! The sender: takes due mail from the queue and hands it to the SMTP server, retrying with
//! a growing pause (at most a minute) until the server takes it.
//!
//! A queued mail wakes this instance's sender at once, so a mail normally reaches the SMTP
//! server within tens of milliseconds of the event. When the server cannot be reached, the pass
//! stops (the other mails would fail the same way) and the sender pauses before trying again, so
//! an outage costs a few connection attempts per pause, not one per mail.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt as _;

use super::queue::{self, QueuedMail};
use super::smtp::{SendFailure, SmtpSender};
use super::{Mail, MailError, MailKind, body_ad};
use crate::db::types::Ts;
use crate::shutdown::Shutdown;

/// How long a sender holds a mail it is sending; a crashed sender's mail is free again after.
const LEASE: chrono::Duration = chrono::Duration::minutes(2);
/// Mails read from the queue at a time.
const BATCH: i64 = 50;
/// Mails in flight at once, each on its own pooled SMTP connection. One at a time would cap a
/// sender near 25 mails a second: lettre writes a message and its final `.` apart, and the
/// second write waits out the server's delayed ACK, about 40 ms on Linux (docs/mail.md).
const AT_ONCE: usize = 8;
/// A mail the SMTP server has deferred for this long is given up and logged.
const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::days(3);
/// The longest pause between tries, so mail flows again within a minute of an outage's end.
const MAX_PAUSE: Duration = Duration::from_secs(60);

/// The pause before try `attempt + 1` (1 s, 2 s, 4 s, … up to a minute).
pub fn backoff(attempt: i64) -> Duration {
    let exponent = u32::try_from(attempt.clamp(0, 6)).unwrap_or(6);
    Duration::from_secs(1 << exponent).min(MAX_PAUSE)
}

/// What one pass over the queue did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    /// Deferred by the SMTP server: tried again later.
    pub deferred: usize,
    /// Refused for good, or given up on.
    pub failed: usize,
    /// Set when the SMTP server could not be reached: the pass stopped there.
    pub outage: Option<String>,
}

/// How one claimed mail fared.
enum Outcome {
    /// Not tried: another sender holds it, or this pass stopped at an outage.
    Untouched,
    Sent,
    Deferred,
    Failed,
    /// The SMTP server could not be reached (the reason).
    Unreachable(String),
}

impl Mail {
    /// Sends every mail due now (only `campaign`'s, when given), [`AT_ONCE`] at a time, until the
    /// queue is empty or the SMTP server cannot be reached.
    pub async fn deliver_due(&self, campaign: Option<&str>) -> Result<DeliveryReport, MailError> {
        let smtp = self.smtp.as_ref().ok_or(MailError::Disabled)?;
        let mut report = DeliveryReport::default();
        loop {
            let batch = queue::due(&self.db, self.now(), campaign, BATCH).await?;
            if batch.is_empty() {
                return Ok(report);
            }
            // Set at the first unreachable answer: the mails not started yet stay untouched.
            let outage = AtomicBool::new(false);
            let outcomes: Vec<Result<Outcome, MailError>> = futures_util::stream::iter(batch)
                .map(|mail| {
                    let outage = &outage;
                    async move {
                        if outage.load(Ordering::Relaxed) {
                            return Ok(Outcome::Untouched);
                        }
                        let outcome = self.take_and_send(smtp, &mail).await;
                        if let Ok(Outcome::Unreachable(_)) = outcome {
                            outage.store(true, Ordering::Relaxed);
                        }
                        outcome
                    }
                })
                .buffer_unordered(AT_ONCE)
                .collect()
                .await;
            let mut taken = 0;
            for outcome in outcomes {
                match outcome? {
                    Outcome::Untouched => continue,
                    Outcome::Sent => report.sent += 1,
                    Outcome::Deferred => report.deferred += 1,
                    Outcome::Failed => report.failed += 1,
                    Outcome::Unreachable(why) => report.outage = Some(why),
                }
                taken += 1;
            }
            if report.outage.is_some() || taken == 0 {
                return Ok(report);
            }
        }
    }

    /// Claims one mail, sends it and books the outcome.
    async fn take_and_send(
        &self,
        smtp: &SmtpSender,
        mail: &QueuedMail,
    ) -> Result<Outcome, MailError> {
        let now = self.now();
        if !queue::claim(&self.db, mail.id, now, Ts::new(now.0 + LEASE)).await? {
            return Ok(Outcome::Untouched);
        }
        let kind = MailKind::parse(&mail.kind);
        let text = match (&mail.body, kind) {
            (Some(body), Some(_)) => self.vault.open(body, &body_ad(mail.id)).ok(),
            _ => None,
        };
        let (Some(kind), Some(text)) = (kind, text) else {
            queue::mark_failed(
                &self.db,
                mail.id,
                self.now(),
                "the stored mail cannot be read",
            )
            .await?;
            tracing::warn!(mail = %mail.id, "a queued mail cannot be read: given up");
            return Ok(Outcome::Failed);
        };
        let text = String::from_utf8_lossy(&text).into_owned();
        let started = std::time::Instant::now();
        match smtp.send(&mail.recipient, &mail.subject, &text).await {
            Ok(()) => {
                let now = self.now();
                queue::mark_sent(&self.db, mail.id, now).await?;
                if let Some(user_id) = mail.user_id
                    && let Err(err) =
                        crate::auth::record_mail_sent(&self.db, user_id, kind.as_str(), now).await
                {
                    tracing::warn!(error = %err, mail = %mail.id, "a sent mail could not be logged");
                }
                tracing::info!(
                    mail = %mail.id,
                    kind = kind.as_str(),
                    queued_ms = (now.0 - mail.created_at.0).num_milliseconds(),
                    smtp_ms = started.elapsed().as_millis() as u64,
                    "mail sent"
                );
                Ok(Outcome::Sent)
            }
            Err(SendFailure::Rejected(why)) => {
                queue::mark_failed(&self.db, mail.id, self.now(), &why).await?;
                tracing::warn!(mail = %mail.id, kind = kind.as_str(), reason = %why, "the SMTP server refused a mail for good");
                Ok(Outcome::Failed)
            }
            Err(failure @ (SendFailure::Deferred(_) | SendFailure::Unreachable(_))) => {
                let now = self.now();
                let why = failure.to_string();
                if now.0 - mail.created_at.0 > GIVE_UP_AFTER {
                    queue::mark_failed(&self.db, mail.id, now, &why).await?;
                    tracing::error!(mail = %mail.id, kind = kind.as_str(), reason = %why, "a mail could not be sent for 3 days: given up");
                    return Ok(Outcome::Failed);
                }
                let pause = chrono::Duration::from_std(backoff(mail.attempts + 1))
                    .unwrap_or(chrono::Duration::seconds(60));
                queue::retry_at(&self.db, mail.id, Ts::new(now.0 + pause), &why).await?;
                if let SendFailure::Unreachable(_) = failure {
                    return Ok(Outcome::Unreachable(why));
                }
                tracing::info!(mail = %mail.id, reason = %why, "the SMTP server deferred a mail");
                Ok(Outcome::Deferred)
            }
        }
    }

    /// Sends queued mail until shutdown: at once when a mail is queued here, when a retry falls
    /// due, and at least every minute (mail queued by another instance).
    pub async fn run_sender(self, shutdown: Shutdown) {
        if !self.is_enabled() {
            return;
        }
        let stop = shutdown.wait();
        tokio::pin!(stop);
        let mut outages: i64 = 0;
        loop {
            let pause = match self.deliver_due(None).await {
                Ok(DeliveryReport {
                    outage: Some(why), ..
                }) => {
                    outages += 1;
                    let pause = backoff(outages);
                    tracing::warn!(reason = %why, retry_in_seconds = pause.as_secs(), "mail is waiting: the SMTP server cannot be reached");
                    pause
                }
                Ok(_) => {
                    outages = 0;
                    self.until_next_due().await
                }
                Err(err) => {
                    tracing::warn!(error = %err, "sending queued mail failed");
                    backoff(3)
                }
            };
            tokio::select! {
                () = &mut stop => return,
                () = self.wake.notified(), if outages == 0 => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// How long until the next retry falls due: at least a second (a mail another sender holds
    /// is due but not ours to take), at most a minute.
    async fn until_next_due(&self) -> Duration {
        match queue::next_due(&self.db).await {
            Ok(Some(next)) => (next.0 - self.now().0)
                .to_std()
                .unwrap_or(Duration::ZERO)
                .clamp(Duration::from_secs(1), MAX_PAUSE),
            Ok(None) => MAX_PAUSE,
            Err(_) => backoff(3),
        }
    }

    /// Forgets sent and failed mail older than 90 days.
    pub async fn prune(&self) -> Result<usize, MailError> {
        let before = Ts::new(self.now().0 - chrono::Duration::days(90));
        Ok(queue::prune(&self.db, before).await?)
    }

    fn now(&self) -> Ts {
        Ts::new(self.clock.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_up_to_a_minute() {
        let pauses: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(pauses, [2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
