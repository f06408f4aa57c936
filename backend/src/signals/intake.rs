//! Taking one webhook request (`POST /hooks/<token>`), and the web app's test signals.
//!
//! Order of the checks (docs/security.md, "Webhooks"): the token finds the webhook (else a
//! plain 404), then the sender's address (403) and the signature (401) are checked, and only
//! a request that passes them spends the webhook's budget (429 past it). Whoever lacks the
//! address or the signing secret cannot use up a webhook's budget; their refusals are logged
//! as rejected signals, under a budget of their own so that they cannot flood the log either.
//! A signature is accepted once: the same signed request again is refused, even after the
//! 5-second duplicate window, until its timestamp leaves the 5-minute window (then it is
//! stale).

use std::net::IpAddr;

use super::db::{self, Admitted, SignalRow, SignatureUse, Spend, WebhookRow};
use super::parse::{self, SignalError};
use super::service::token_hash;
use super::signature::{self, Refusal};
use super::{SignalStatus, Signals, SignalsError};
use crate::auth::User;
use crate::config::TrustedProxies;
use crate::copier::NO_COPY_GROUP;
use crate::db::types::{Id, Ts};

/// The header a signed request carries.
pub const SIGNATURE_HEADER: &str = "X-CopyTrade-Signature";

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
    /// Refused before reading (address or signature): stored as rejected, unless the
    /// webhook's refusals are over their budget (then `signal` is `None`).
    Refused {
        signal: Option<Id>,
        status: u16,
        message: String,
    },
    /// Too many signals on this webhook just now: a unit comes back after this many seconds.
    RateLimited { retry_after_seconds: u64 },
    /// Unknown or rotated token.
    NotFound,
}

impl Signals {
    /// Takes one webhook request: finds the webhook by token, checks the sender's address and
    /// the signature, parses the body, and stores the signal (accepted or rejected) while
    /// spending the webhook's budget, before answering.
    pub async fn receive(&self, intake: Intake<'_>) -> Result<Receipt, SignalsError> {
        let Some(webhook) = db::webhook_by_token_hash(&self.db, &token_hash(intake.token)).await?
        else {
            return Ok(Receipt::NotFound);
        };
        let row = self.new_row(&webhook, intake.body);
        let now = row.received_at;
        if !webhook.allowed_ips.trim().is_empty() {
            let allowed = TrustedProxies::parse(&webhook.allowed_ips)
                .map(|list| list.contains(intake.client_ip))
                .unwrap_or(false);
            if !allowed {
                let why = format!("{} may not send to this webhook", intake.client_ip);
                return self.refuse(row, 403, "client address", why).await;
            }
        }
        let verified = if intake.signature.is_some() || webhook.require_signature {
            match self.check_signature(&webhook, &intake, now) {
                Ok(verified) => Some(verified),
                Err(why) => return self.refuse(row, 401, SIGNATURE_HEADER, why).await,
            }
        } else {
            None
        };
        let spend = Spend {
            budget: self.budget,
            signature: verified.as_ref().map(|verified| SignatureUse {
                digest: &verified.digest,
                signed_at: Ts::new(
                    chrono::DateTime::from_timestamp(verified.signed_at, 0).unwrap_or(now.0),
                ),
                forget_before: Ts::new(
                    now.0 - chrono::Duration::seconds(signature::WINDOW_SECONDS),
                ),
            }),
        };
        match self
            .take(row.clone(), intake.body, Dispatch::ToCopier, Some(&spend))
            .await?
        {
            Some(receipt) => Ok(receipt),
            None => {
                let why = "this signed request was received already: each signature is accepted once (sign every request anew, with its own t=)";
                self.refuse(row, 401, SIGNATURE_HEADER, why.to_owned())
                    .await
            }
        }
    }

    /// Checks the request's signature with the webhook's signing secret; the error says why
    /// it fails, for the sender and the log.
    fn check_signature(
        &self,
        webhook: &WebhookRow,
        intake: &Intake<'_>,
        now: Ts,
    ) -> Result<signature::Verified, String> {
        let Some(header) = intake.signature else {
            return Err(format!(
                "this webhook requires an {SIGNATURE_HEADER} header"
            ));
        };
        let Some(sealed) = &webhook.signing_secret else {
            return Err("this webhook has no signing secret yet: rotate its URL to get one (its URL token does not sign)".to_owned());
        };
        let key = self
            .vault
            .open(sealed, &signature::secret_ad(webhook.user_id, webhook.id))
            .map_err(|_| {
                // The secret exists but this server cannot open it: a master key is missing.
                tracing::error!(webhook = %webhook.id, "a webhook's signing secret cannot be opened; check COPYTRADE_MASTER_KEY and COPYTRADE_PREVIOUS_MASTER_KEYS");
                "the signature cannot be checked on this server just now".to_owned()
            })?;
        signature::verify(header, &key, intake.body, now.0.timestamp())
            .map_err(|refusal: Refusal| refusal.message().to_owned())
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
        // Without a spend, nothing is replayed.
        self.take(row, body.as_bytes(), Dispatch::LogOnly, None)
            .await
            .map(|receipt| receipt.unwrap_or(Receipt::NotFound))
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

    /// Parses the body and stores the signal, spending `spend` (a request from outside):
    /// rejected with what was wrong, accepted, not at all when it duplicates an earlier one or
    /// the budget is spent. `None`: the signature was used already, nothing stored.
    async fn take(
        &self,
        mut row: SignalRow,
        body: &[u8],
        dispatch: Dispatch,
        spend: Option<&Spend<'_>>,
    ) -> Result<Option<Receipt>, SignalsError> {
        let now = row.received_at;
        let parsed = parse::parse(body);
        match &parsed {
            Err(SignalError { field, message }) => {
                row.error_field = Some(field.clone());
                row.error = Some(message.clone());
            }
            Ok(signal) => {
                row.status = SignalStatus::Accepted.as_str().to_owned();
                row.dedup_id = signal.id.clone();
                row.parsed = serde_json::to_string(signal).ok();
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
            }
        }
        let since = Ts::new(now.0 - chrono::Duration::seconds(DUPLICATE_WINDOW_SECONDS));
        Ok(Some(
            match db::admit_signal(&self.db, &row, spend, since).await? {
                Admitted::Replayed => return Ok(None),
                Admitted::RateLimited(wait) => Receipt::RateLimited {
                    retry_after_seconds: u64::try_from(
                        (wait + chrono::Duration::milliseconds(999)).num_seconds(),
                    )
                    .unwrap_or(1)
                    .max(1),
                },
                Admitted::Duplicate(first) => Receipt::Duplicate { first },
                Admitted::Stored(signal) => match parsed {
                    Err(SignalError { field, message }) => Receipt::Rejected {
                        signal,
                        field,
                        message,
                    },
                    Ok(_) => {
                        // Stored: the copier takes it from here, after the answer goes out.
                        if row.dispatched_at.is_none() {
                            self.copier.spawn_dispatch(signal);
                        }
                        Receipt::Accepted { signal }
                    }
                },
            },
        ))
    }

    /// Logs a request refused for its address or signature (within the refusal budget) and
    /// answers with `status`.
    async fn refuse(
        &self,
        mut row: SignalRow,
        status: u16,
        field: &str,
        message: String,
    ) -> Result<Receipt, SignalsError> {
        row.error_field = Some(field.to_owned());
        row.error = Some(message.clone());
        let signal = db::store_refusal(&self.db, &row, self.budget).await?;
        Ok(Receipt::Refused {
            signal,
            status,
            message,
        })
    }
}
