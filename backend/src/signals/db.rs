//! Webhook and signal queries, one body for both databases. Every owner-facing query filters by
//! the user id.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::{SignalRecord, SignalStatus, Webhook};
use crate::db::schema::{signals, webhooks};
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

/// Replaces the token: the old one stops working at once. `false` if no such webhook.
pub async fn set_token(db: &Db, user: Id, id: Id, hash: &str, hint: &str) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        Ok(
            diesel::update(webhooks::table.find(id).filter(webhooks::user_id.eq(user)))
                .set((webhooks::token_hash.eq(hash), webhooks::token_hint.eq(hint)))
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

/// Stores a signal unless it duplicates one: the same sender id on this webhook, or (without
/// an id) the same body since `duplicate_since`. Returns the id of the stored signal, or
/// `Err(first)` with the id of the signal it duplicates.
pub async fn store_signal(
    db: &Db,
    row: &SignalRow,
    duplicate_since: Ts,
) -> Result<Result<Id, Id>, DbError> {
    with_conn!(db, write, |c| {
        c.transaction(async |c| {
            let webhook = row.webhook_id;
            if let Some(webhook) = webhook {
                // Serialises one webhook's de-duplication across instances.
                c.lock_for_tx(webhook.lock_key()).await?;
            }
            if row.status == SignalStatus::Accepted.as_str() {
                let earlier: Option<Id> = match &row.dedup_id {
                    Some(dedup) => signals::table
                        .filter(signals::webhook_id.eq(webhook))
                        .filter(signals::dedup_id.eq(dedup))
                        .select(signals::id)
                        .first(c)
                        .await
                        .optional()?,
                    None => signals::table
                        .filter(signals::webhook_id.eq(webhook))
                        .filter(signals::body_hash.eq(&row.body_hash))
                        .filter(signals::status.eq(SignalStatus::Accepted.as_str()))
                        .filter(signals::received_at.ge(duplicate_since))
                        .order(signals::received_at)
                        .select(signals::id)
                        .first(c)
                        .await
                        .optional()?,
                };
                if let Some(first) = earlier {
                    return Ok::<_, DbError>(Err(first));
                }
            }
            diesel::insert_into(signals::table)
                .values(row)
                .execute(c)
                .await?;
            if let Some(webhook) = webhook {
                diesel::update(webhooks::table.find(webhook))
                    .set(webhooks::last_signal_at.eq(row.received_at))
                    .execute(c)
                    .await?;
            }
            Ok(Ok(row.id))
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
