//! The signals service: webhooks (create, rotate, change, delete, list) and the intake of one
//! webhook request (`POST /hooks/<token>`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::db::{self, SignalRow, WebhookRow};
use super::parse::{self, SignalError};
use super::{CreatedWebhook, SignalRecord, SignalStatus, SignalsError, Webhook};
use crate::auth::User;
use crate::clock::Clock;
use crate::config::TrustedProxies;
use crate::copier::{Copier, NO_COPY_GROUP};
use crate::db::Db;
use crate::db::types::{Id, Ts};

/// Longest webhook name.
const MAX_NAME_CHARS: usize = 60;
/// A signature's timestamp may be this far from our clock.
const SIGNATURE_WINDOW_SECONDS: i64 = 300;
/// The same body again within this time is a duplicate (when the signal has no `id`).
const DUPLICATE_WINDOW_SECONDS: i64 = 5;
/// An accepted signal's outcome until the copier has acted on it.
const WAITING: &str = "waiting for the copier";
/// A test signal's outcome: it proves the webhook works without trading anyone's account.
const TEST_ONLY: &str =
    "a test signal from the web app: checked and logged, not copied to any follower";

/// Whether an accepted signal goes to the copier.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dispatch {
    ToCopier,
    /// A test from the web app: logged only.
    LogOnly,
}

/// Webhooks and signal intake; cheap to clone.
#[derive(Clone)]
pub struct Signals {
    db: Db,
    clock: Clock,
    public_url: Arc<str>,
    limiter: Arc<DefaultKeyedRateLimiter<Id>>,
    copier: Copier,
}

/// What a webhook request carried besides its body.
pub struct Intake<'a> {
    pub token: &'a str,
    pub body: &'a [u8],
    pub client_ip: IpAddr,
    /// `X-CopyTrade-Signature`, if sent.
    pub signature: Option<&'a str>,
}

/// The answer to a webhook request.
#[derive(Debug, Clone, PartialEq)]
pub enum Receipt {
    /// Stored; the copier acts on it.
    Accepted { signal: Id },
    /// The same signal came before; nothing placed.
    Duplicate { first: Id },
    /// Stored as rejected, with what was wrong.
    Rejected {
        signal: Id,
        field: String,
        message: String,
    },
    /// Refused before reading (address or signature): stored as rejected.
    Refused {
        signal: Id,
        status: u16,
        message: String,
    },
    /// Too many signals on this webhook just now.
    RateLimited,
    /// Unknown or rotated token.
    NotFound,
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_token() -> Result<String, SignalsError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| SignalsError::Internal(err.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn hint(token: &str) -> String {
    format!("••••{}", &token[token.len().saturating_sub(4)..])
}

/// Checks `t=<unix seconds>,v1=<hex HMAC-SHA256(token, t + "." + body)>`.
fn signature_valid(header: &str, token: &str, body: &[u8], now: i64) -> Result<(), &'static str> {
    let mut timestamp = None;
    let mut given = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => given = Some(value),
            _ => {}
        }
    }
    let (Some(timestamp), Some(given)) = (timestamp, given) else {
        return Err("the signature header must be t=<unix seconds>,v1=<hex HMAC-SHA256>");
    };
    if (now - timestamp).abs() > SIGNATURE_WINDOW_SECONDS {
        return Err(
            "the signature's timestamp is more than 5 minutes away from the server's clock",
        );
    }
    let Some(given) = decode_hex(given) else {
        return Err("the signature is not hex");
    };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(token.as_bytes())
        .map_err(|_| "the signature cannot be checked")?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    // Constant-time comparison.
    mac.verify_slice(&given)
        .map_err(|_| "the signature does not match the body")
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn clean_name(name: &str) -> Result<String, SignalsError> {
    let name = name.trim();
    let invalid = |message: &str| SignalsError::InvalidInput {
        field: "name",
        message: message.to_owned(),
    };
    if name.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(invalid(&format!(
            "must be at most {MAX_NAME_CHARS} printable characters"
        )));
    }
    Ok(name.to_owned())
}

/// Checks an allow-list (IPs or CIDRs) and returns it in stored form.
fn clean_allowed_ips(list: &[String]) -> Result<String, SignalsError> {
    let joined = list
        .iter()
        .map(|ip| ip.trim())
        .filter(|ip| !ip.is_empty())
        .collect::<Vec<_>>()
        .join(",");
    TrustedProxies::parse(&joined).map_err(|why| SignalsError::InvalidInput {
        field: "allowedIps",
        message: why,
    })?;
    Ok(joined)
}

impl Signals {
    /// `signals_per_minute` per webhook, with bursts of a third more.
    pub fn new(
        db: Db,
        clock: Clock,
        copier: Copier,
        public_url: &str,
        signals_per_minute: u32,
    ) -> Self {
        let rate = NonZeroU32::new(signals_per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(signals_per_minute.div_ceil(3)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(rate).allow_burst(burst);
        Self {
            db,
            clock,
            public_url: public_url.trim_end_matches('/').into(),
            limiter: Arc::new(RateLimiter::keyed(quota)),
            copier,
        }
    }

    fn now(&self) -> Ts {
        Ts::new(self.clock.now())
    }

    /// The URL to give TradingView for a token.
    pub fn url(&self, token: &str) -> String {
        format!("{}/hooks/{token}", self.public_url)
    }

    pub async fn create_webhook(
        &self,
        user: &User,
        name: &str,
    ) -> Result<CreatedWebhook, SignalsError> {
        let token = new_token()?;
        let row = WebhookRow {
            id: Id::new(),
            user_id: user.id,
            name: clean_name(name)?,
            token_hash: token_hash(&token),
            token_hint: hint(&token),
            require_signature: false,
            allowed_ips: String::new(),
            created_at: self.now(),
            last_signal_at: None,
        };
        db::insert_webhook(&self.db, &row).await?;
        Ok(CreatedWebhook {
            webhook: row.to_webhook(),
            token,
        })
    }

    /// A new token for the webhook; the old one answers 404 from now on.
    pub async fn rotate_token(&self, user: &User, id: Id) -> Result<CreatedWebhook, SignalsError> {
        let token = new_token()?;
        if !db::set_token(&self.db, user.id, id, &token_hash(&token), &hint(&token)).await? {
            return Err(SignalsError::NotFound);
        }
        Ok(CreatedWebhook {
            webhook: self.webhook(user, id).await?,
            token,
        })
    }

    pub async fn update_webhook(
        &self,
        user: &User,
        id: Id,
        name: Option<&str>,
        require_signature: Option<bool>,
        allowed_ips: Option<&[String]>,
    ) -> Result<Webhook, SignalsError> {
        let current = self.webhook(user, id).await?;
        let name = match name {
            Some(name) => clean_name(name)?,
            None => current.name,
        };
        let allowed = clean_allowed_ips(allowed_ips.unwrap_or(&current.allowed_ips))?;
        let require = require_signature.unwrap_or(current.require_signature);
        if !db::update_webhook(&self.db, user.id, id, &name, require, &allowed).await? {
            return Err(SignalsError::NotFound);
        }
        self.webhook(user, id).await
    }

    pub async fn delete_webhook(&self, user: &User, id: Id) -> Result<(), SignalsError> {
        if db::delete_webhook(&self.db, user.id, id).await? {
            Ok(())
        } else {
            Err(SignalsError::NotFound)
        }
    }

    pub async fn webhooks(&self, user: &User) -> Result<Vec<Webhook>, SignalsError> {
        Ok(db::webhooks(&self.db, user.id)
            .await?
            .iter()
            .map(WebhookRow::to_webhook)
            .collect())
    }

    pub async fn webhook(&self, user: &User, id: Id) -> Result<Webhook, SignalsError> {
        db::webhook(&self.db, user.id, id)
            .await?
            .map(|row| row.to_webhook())
            .ok_or(SignalsError::NotFound)
    }

    /// The user's latest signals, newest first.
    pub async fn recent(
        &self,
        user: &User,
        webhook: Option<Id>,
        first: i64,
    ) -> Result<Vec<SignalRecord>, SignalsError> {
        Ok(
            db::recent_signals(&self.db, user.id, webhook, first.clamp(1, 200))
                .await?
                .iter()
                .map(SignalRow::to_record)
                .collect(),
        )
    }

    /// Takes one webhook request: finds the webhook by token, checks the sender's address,
    /// the rate and the signature, parses the body, and stores the signal (accepted or
    /// rejected) before answering.
    pub async fn receive(&self, intake: Intake<'_>) -> Result<Receipt, SignalsError> {
        let Some(webhook) = db::webhook_by_token_hash(&self.db, &token_hash(intake.token)).await?
        else {
            return Ok(Receipt::NotFound);
        };
        if self.limiter.check_key(&webhook.id).is_err() {
            return Ok(Receipt::RateLimited);
        }
        let hook = webhook.to_webhook();
        let now = self.now();
        let row = self.new_row(&webhook, intake.body);
        if !hook.allowed_ips.is_empty() {
            let allowed = TrustedProxies::parse(&webhook.allowed_ips)
                .map(|list| list.contains(intake.client_ip))
                .unwrap_or(false);
            if !allowed {
                return self
                    .refuse(
                        row,
                        403,
                        "client address",
                        format!("{} may not send to this webhook", intake.client_ip),
                    )
                    .await;
            }
        }
        if intake.signature.is_some() || webhook.require_signature {
            let checked = match intake.signature {
                Some(header) => {
                    signature_valid(header, intake.token, intake.body, now.0.timestamp())
                }
                None => Err("this webhook requires an X-CopyTrade-Signature header"),
            };
            if let Err(why) = checked {
                return self
                    .refuse(row, 401, "X-CopyTrade-Signature", why.to_owned())
                    .await;
            }
        }
        self.take(row, intake.body, Dispatch::ToCopier).await
    }

    /// Sends a signal to one of the user's webhooks from the web app ("send test signal"):
    /// parsed, de-duplicated and logged like any other, without the token, address or signature
    /// checks (the owner is logged in), and never copied: a button in the web app must not
    /// trade the followers' accounts.
    pub async fn send_test_signal(
        &self,
        user: &User,
        id: Id,
        body: &str,
    ) -> Result<Receipt, SignalsError> {
        let webhook = db::webhook(&self.db, user.id, id)
            .await?
            .ok_or(SignalsError::NotFound)?;
        let row = self.new_row(&webhook, body.as_bytes());
        self.take(row, body.as_bytes(), Dispatch::LogOnly).await
    }

    /// A signal row for a body just received, rejected until parsed.
    fn new_row(&self, webhook: &WebhookRow, body: &[u8]) -> SignalRow {
        let text = String::from_utf8_lossy(body);
        SignalRow {
            id: Id::new(),
            user_id: webhook.user_id,
            webhook_id: Some(webhook.id),
            received_at: self.now(),
            status: SignalStatus::Rejected.as_str().to_owned(),
            dedup_id: None,
            body_hash: token_hash(&text),
            raw_payload: text.chars().take(super::MAX_SIGNAL_BYTES).collect(),
            parsed: None,
            error_field: None,
            error: None,
            outcome: None,
            dispatched_at: None,
        }
    }

    /// Parses the body and stores the signal: rejected with what was wrong, accepted, or not
    /// at all when it duplicates an earlier one.
    async fn take(
        &self,
        mut row: SignalRow,
        body: &[u8],
        dispatch: Dispatch,
    ) -> Result<Receipt, SignalsError> {
        let now = row.received_at;
        match parse::parse(body) {
            Err(SignalError { field, message }) => {
                row.error_field = Some(field.clone());
                row.error = Some(message.clone());
                // A rejected signal is never a duplicate: it is always stored.
                let _stored = db::store_signal(&self.db, &row, now).await?;
                Ok(Receipt::Rejected {
                    signal: row.id,
                    field,
                    message,
                })
            }
            Ok(signal) => {
                row.status = SignalStatus::Accepted.as_str().to_owned();
                row.dedup_id = signal.id.clone();
                row.parsed = serde_json::to_string(&signal).ok();
                // Settled here when nothing will copy it, so the copier is not woken for it.
                let outcome = match (dispatch, row.webhook_id) {
                    (Dispatch::LogOnly, _) => Some(TEST_ONLY),
                    (Dispatch::ToCopier, Some(webhook))
                        if !self
                            .copier
                            .webhook_in_use(row.user_id, webhook)
                            .await
                            .map_err(|err| SignalsError::Internal(err.to_string()))? =>
                    {
                        Some(NO_COPY_GROUP)
                    }
                    _ => None,
                };
                match outcome {
                    Some(settled) => {
                        row.outcome = Some(settled.to_owned());
                        row.dispatched_at = Some(now);
                    }
                    None => row.outcome = Some(WAITING.to_owned()),
                }
                let since = Ts::new(now.0 - chrono::Duration::seconds(DUPLICATE_WINDOW_SECONDS));
                Ok(match db::store_signal(&self.db, &row, since).await? {
                    Ok(signal) => {
                        // Stored: the copier takes it from here, after the answer goes out.
                        if row.dispatched_at.is_none() {
                            self.copier.spawn_dispatch(signal);
                        }
                        Receipt::Accepted { signal }
                    }
                    Err(first) => Receipt::Duplicate { first },
                })
            }
        }
    }

    async fn refuse(
        &self,
        mut row: SignalRow,
        status: u16,
        field: &str,
        message: String,
    ) -> Result<Receipt, SignalsError> {
        row.error_field = Some(field.to_owned());
        row.error = Some(message.clone());
        let at = row.received_at;
        // A rejected signal is never a duplicate: it is always stored.
        let _stored = db::store_signal(&self.db, &row, at).await?;
        Ok(Receipt::Refused {
            signal: row.id,
            status,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(token: &str, t: i64, body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(token.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("t={t},v1={hex}")
    }

    #[test]
    fn a_signature_is_checked_against_body_token_and_time() {
        let body = br#"{"ticker":"ES1!","action":"buy"}"#;
        let header = sign("tok", 1_000_000, body);
        assert_eq!(signature_valid(&header, "tok", body, 1_000_100), Ok(()));
        assert!(signature_valid(&header, "other", body, 1_000_100).is_err());
        assert!(signature_valid(&header, "tok", b"{}", 1_000_100).is_err());
        assert!(signature_valid(&header, "tok", body, 1_000_301).is_err());
        assert!(signature_valid("v1=00", "tok", body, 1_000_000).is_err());
    }

    #[test]
    fn tokens_carry_256_bits_and_only_a_hint_is_kept() {
        let token = new_token().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_ne!(token, new_token().unwrap());
        assert_eq!(hint(&token).chars().count(), 8);
        assert_eq!(token_hash(&token).len(), 64);
    }
}
