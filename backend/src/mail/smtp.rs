//! The SMTP client: lettre's async transport (tokio, rustls with ring and Mozilla's roots), one
//! pooled connection reused between mails.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailSettings;

/// How long one SMTP conversation may take before it counts as the server being unreachable.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Why one mail was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// The server refused this mail for good (a 5xx answer, or an address it cannot take).
    Rejected(String),
    /// The server asked to try later (a 4xx answer).
    Deferred(String),
    /// No answer: the server is down, unreachable, or broke off (an outage; try later).
    Unreachable(String),
}

impl std::fmt::Display for SendFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rejected(why) => write!(f, "refused for good: {why}"),
            Self::Deferred(why) => write!(f, "deferred: {why}"),
            Self::Unreachable(why) => write!(f, "SMTP server unreachable: {why}"),
        }
    }
}

/// Checks a URL the way the transport will read it (config refuses a bad URL at start). Only
/// the builder is made: a built transport owns a connection pool, which needs the runtime.
pub fn check_url(url: &str) -> Result<(), String> {
    builder(url).map(drop)
}

fn builder(url: &str) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder, String> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|err| format!("cannot be used ({})", without_url(&err.to_string())))
}

/// lettre's messages may quote the URL; the password must not reach a log.
fn without_url(message: &str) -> String {
    message
        .split_whitespace()
        .filter(|word| !word.contains("://"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sends plain-text mail from the configured sender.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpSender {
    pub fn new(settings: &MailSettings) -> Result<Self, String> {
        Ok(Self {
            transport: builder(&settings.smtp_url)?.timeout(Some(TIMEOUT)).build(),
            from: settings.from.clone(),
        })
    }

    /// Hands one mail to the SMTP server.
    pub async fn send(&self, to: &str, subject: &str, text: &str) -> Result<(), SendFailure> {
        let recipient: Mailbox = to
            .parse()
            .map_err(|_| SendFailure::Rejected(format!("`{to}` is not an address SMTP takes")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_owned())
            .map_err(|err| SendFailure::Rejected(format!("the mail cannot be built: {err}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(err) if err.is_permanent() => Err(SendFailure::Rejected(err.to_string())),
            Err(err) if err.is_transient() => Err(SendFailure::Deferred(err.to_string())),
            Err(err) => Err(SendFailure::Unreachable(err.to_string())),
        }
    }
}
