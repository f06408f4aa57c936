//! Webhook and signal queries, one body for both databases. Every owner-facing query filters by
//! the user id.
//!
//! A webhook request is taken in one transaction under the webhook's lock (an advisory lock on
//! PostgreSQL; SQLite has one writer): the signature is recorded as used, the budget spent and
//! the signal stored together, so instances sharing the database agree on all three.

use chrono::Duration;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::budget::Budget;
use super::{SignalRecord, SignalStatus, Webhook};
use crate::db::schema::{signals, webhook_signatures, webhooks};
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError, TxLock};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct WebhookRow {
    pub id: Id,
    pub user_id: Id,
    pub name: String,
    pub token_hash: String,
    pub token_hint: String,
    pub require_signature: bool,
    pub allowed_ips: String,
    pub created_at: Ts,
    pub last_signal_at: Option<Ts>,
    /// Sealed by the vault (`signature::secret_ad`); `None` for a webhook made before signing
    /// secrets existed, until its token is rotated.
    pub signing_secret: Option<Vec<u8>>,
}

impl WebhookRow {
    pub fn to_webhook(&self) -> Webhook {
        Webhook {
            id: self.id,
            user_id: self.user_id,
            name: self.name.clone(),
            token_hint: self.token_hint.clone(),
            require_signature: self.require_signature,
            allowed_ips: self
                .allowed_ips
                .split(',')
                .map(str::trim)
                .filter(|ip| !ip.is_empty())
                .map(str::to_owned)
                .collect(),
            created_at: self.created_at.0,
            last_signal_at: self.last_signal_at.map(|at| at.0),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signals)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct SignalRow {
    pub id: Id,
    pub user_id: Id,
    pub webhook_id: Option<Id>,
    pub received_at: Ts,
    pub status: String,
    pub dedup_id: Option<String>,
    pub body_hash: String,
    pub raw_payload: String,
    pub parsed: Option<String>,
    pub error_field: Option<String>,
    pub error: Option<String>,
    pub outcome: Option<String>,
    /// When the copier turned it into copied orders.
    pub dispatched_at: Option<Ts>,
}

impl SignalRow {
    pub fn to_record(&self) -> SignalRecord {
        SignalRecord {
            id: self.id,
            webhook_id: self.webhook_id,
            received_at: self.received_at.0,
            status: if self.status == SignalStatus::Accepted.as_str() {
                SignalStatus::Accepted
            } else {
                SignalStatus::Rejected
            },
            raw_payload: self.raw_payload.clone(),
            error_field: self.error_field.clone(),
            error: self.error.clone(),
            outcome: self.outcome.clone(),
        }
    }
}

pub async fn insert_webhook(db: &Db, row: &WebhookRow) -> Result<(), DbError> {
    with_conn!(db, write, |c| {
        diesel::insert_into(webhooks::table)
            .values(row)
            .execute(c)
            .await?;
        Ok(())
    })
}

pub async fn webhooks(db: &Db, user: Id) -> Result<Vec<WebhookRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(webhooks::table
            .filter(webhooks::user_id.eq(user))
            .order((webhooks::created_at, webhooks::id))
            .select(WebhookRow::as_select())
            .load(c)
            .await?)
    })
}

pub async fn webhook(db: &Db, user: Id, id: Id) -> Result<Option<WebhookRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(webhooks::table
            .find(id)
            .filter(webhooks::user_id.eq(user))
            .select(WebhookRow::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

pub async fn webhook_by_token_hash(db: &Db, hash: &str) -> Result<Option<WebhookRow>, DbError> {
    with_conn!(db, read, |c| {
        Ok(webhooks::table
            .filter(webhooks::token_hash.eq(hash))
            .select(WebhookRow::as_select())
            .first(c)
            .await
            .optional()?)
    })
}

/// A new token and signing secret (sealed) for a webhook.
pub struct NewToken<'a> {
    pub hash: &'a str,
    pub hint: &'a str,
    pub signing_secret: &'a [u8],
}

/// Replaces the token and the signing secret together: the old ones stop working at once.
/// `false` if no such webhook.
pub async fn set_token(db: &Db, user: Id, id: Id, token: &NewToken<'_>) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        Ok(
            diesel::update(webhooks::table.find(id).filter(webhooks::user_id.eq(user)))
                .set((
                    webhooks::token_hash.eq(token.hash),
                    webhooks::token_hint.eq(token.hint),
                    webhooks::signing_secret.eq(token.signing_secret),
                ))
                .execute(c)
                .await?
                == 1,
        )
    })
}

pub async fn update_webhook(
    db: &Db,
    user: Id,
    id: Id,
    name: &str,
    require_signature: bool,
    allowed_ips: &str,
) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        Ok(
            diesel::update(webhooks::table.find(id).filter(webhooks::user_id.eq(user)))
                .set((
                    webhooks::name.eq(name),
                    webhooks::require_signature.eq(require_signature),
                    webhooks::allowed_ips.eq(allowed_ips),
                ))
                .execute(c)
                .await?
                == 1,
        )
    })
}

pub async fn delete_webhook(db: &Db, user: Id, id: Id) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        Ok(
            diesel::delete(webhooks::table.find(id).filter(webhooks::user_id.eq(user)))
                .execute(c)
                .await?
                == 1,
        )
    })
}

/// A signature that matched, to record as used.
pub struct SignatureUse<'a> {
    pub digest: &'a str,
    /// The signature's own timestamp.
    pub signed_at: Ts,
    /// Recorded signatures of this webhook signed before this are refused as stale anyway:
    /// their rows go.
    pub forget_before: Ts,
}

/// What a request from outside spends: a unit of the webhook's budget, and its signature.
pub struct Spend<'a> {
    pub budget: Budget,
    pub signature: Option<SignatureUse<'a>>,
}

/// What became of a signal offered for storing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    Stored(Id),
    /// The same signal came before (see [`admit_signal`]): nothing stored.
    Duplicate(Id),
    /// The signature was used already: nothing stored, no budget spent.
    Replayed,
    /// No budget left: nothing stored, try again after this long.
    RateLimited(Duration),
}

/// Why a transaction taking a signal stopped: rolled back either way.
enum Abort {
    Limited(Duration),
    Db(DbError),
}

impl From<diesel::result::Error> for Abort {
    fn from(err: diesel::result::Error) -> Self {
        Self::Db(err.into())
    }
}

impl From<DbError> for Abort {
    fn from(err: DbError) -> Self {
        Self::Db(err)
    }
}

/// Takes a signal of a webhook, in one transaction under the webhook's lock: with `spend`
/// (a request from outside), the signature is recorded as used (`Replayed` if it was
/// already) and a unit of the budget spent (`RateLimited`, and nothing kept, if none is
/// left); then the signal is stored unless it duplicates one: the same sender id on this
/// webhook, or (without an id) the same body since `duplicate_since`. A duplicate spends the
/// budget too. Test signals from the web app come without `spend`.
pub async fn admit_signal(
    db: &Db,
    row: &SignalRow,
    spend: Option<&Spend<'_>>,
    duplicate_since: Ts,
) -> Result<Admitted, DbError> {
    let now = row.received_at;
    let taken = with_conn!(db, write, |c| {
        c.transaction(async |c| {
            let webhook = row.webhook_id;
            if let Some(webhook) = webhook {
                // Serialises one webhook's signatures, budget and de-duplication across
                // instances.
                c.lock_for_tx(webhook.lock_key()).await?;
            }
            let mut full_at = None;
            if let (Some(spend), Some(webhook)) = (spend, webhook) {
                if let Some(signature) = &spend.signature {
                    diesel::delete(
                        webhook_signatures::table
                            .filter(webhook_signatures::webhook_id.eq(webhook))
                            .filter(webhook_signatures::signed_at.lt(signature.forget_before)),
                    )
                    .execute(c)
                    .await?;
                    let recorded = diesel::insert_into(webhook_signatures::table)
                        .values((
                            webhook_signatures::webhook_id.eq(webhook),
                            webhook_signatures::digest.eq(signature.digest),
                            webhook_signatures::signed_at.eq(signature.signed_at),
                        ))
                        .on_conflict_do_nothing()
                        .execute(c)
                        .await?;
                    if recorded == 0 {
                        return Ok::<_, Abort>(Admitted::Replayed);
                    }
                }
                let current: Option<Ts> = webhooks::table
                    .find(webhook)
                    .select(webhooks::budget_full_at)
                    .first::<Option<Ts>>(c)
                    .await
                    .optional()?
                    .flatten();
                // Rolls back the signature just recorded: the sender may send it again.
                full_at = Some(spend.budget.spend(current, now).map_err(Abort::Limited)?);
            }
            // Rejected signals never repeat: they are always kept.
            let earlier: Option<Id> = if row.status != SignalStatus::Accepted.as_str() {
                None
            } else if let Some(dedup) = &row.dedup_id {
                signals::table
                    .filter(signals::webhook_id.eq(webhook))
                    .filter(signals::dedup_id.eq(dedup))
                    .select(signals::id)
                    .first(c)
                    .await
                    .optional()?
            } else {
                signals::table
                    .filter(signals::webhook_id.eq(webhook))
                    .filter(signals::body_hash.eq(&row.body_hash))
                    .filter(signals::status.eq(SignalStatus::Accepted.as_str()))
                    .filter(signals::received_at.ge(duplicate_since))
                    .order(signals::received_at)
                    .select(signals::id)
                    .first(c)
                    .await
                    .optional()?
            };
            if let Some(first) = earlier {
                if let (Some(webhook), Some(full_at)) = (webhook, full_at) {
                    diesel::update(webhooks::table.find(webhook))
                        .set(webhooks::budget_full_at.eq(full_at))
                        .execute(c)
                        .await?;
                }
                return Ok(Admitted::Duplicate(first));
            }
            diesel::insert_into(signals::table)
                .values(row)
                .execute(c)
                .await?;
            if let Some(webhook) = webhook {
                let touched = diesel::update(webhooks::table.find(webhook));
                match full_at {
                    Some(full_at) => {
                        touched
                            .set((
                                webhooks::last_signal_at.eq(now),
                                webhooks::budget_full_at.eq(full_at),
                            ))
                            .execute(c)
                            .await?
                    }
                    None => {
                        touched
                            .set(webhooks::last_signal_at.eq(now))
                            .execute(c)
                            .await?
                    }
                };
            }
            Ok(Admitted::Stored(row.id))
        })
        .await
    });
    match taken {
        Ok(admitted) => Ok(admitted),
        Err(Abort::Limited(wait)) => Ok(Admitted::RateLimited(wait)),
        Err(Abort::Db(err)) => Err(err),
    }
}

/// Stores a refused request (wrong address or signature) in the log, as rejected, unless the
/// webhook's refusal budget is spent: then `None`, nothing kept. The refusals have a budget of
/// their own, so that they cannot spend the one of real signals, nor fill the log.
pub async fn store_refusal(
    db: &Db,
    row: &SignalRow,
    budget: Budget,
) -> Result<Option<Id>, DbError> {
    let now = row.received_at;
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            let Some(webhook) = row.webhook_id else {
                return Ok::<_, DbError>(None);
            };
            c.lock_for_tx(webhook.lock_key()).await?;
            let current: Option<Ts> = webhooks::table
                .find(webhook)
                .select(webhooks::refusal_budget_full_at)
                .first::<Option<Ts>>(c)
                .await
                .optional()?
                .flatten();
            let Ok(full_at) = budget.spend(current, now) else {
                return Ok(None);
            };
            diesel::insert_into(signals::table)
                .values(row)
                .execute(c)
                .await?;
            diesel::update(webhooks::table.find(webhook))
                .set((
                    webhooks::last_signal_at.eq(now),
                    webhooks::refusal_budget_full_at.eq(full_at),
                ))
                .execute(c)
                .await?;
            Ok(Some(row.id))
        })
        .await
    })
}

/// The user's latest signals, newest first (optionally of one webhook).
pub async fn recent_signals(
    db: &Db,
    user: Id,
    webhook: Option<Id>,
    limit: i64,
) -> Result<Vec<SignalRow>, DbError> {
    with_conn!(db, read, |c| {
        let mut query = signals::table
            .filter(signals::user_id.eq(user))
            .order((signals::received_at.desc(), signals::id.desc()))
            .limit(limit)
            .select(SignalRow::as_select())
            .into_boxed();
        if let Some(webhook) = webhook {
            query = query.filter(signals::webhook_id.eq(webhook));
        }
        Ok(query.load(c).await?)
    })
}
