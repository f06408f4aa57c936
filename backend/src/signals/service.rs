//! The signals service: webhooks (create, rotate, change, delete, list) and the signal log.
//! Taking a webhook request is in [`super::intake`].
//!
//! Rules: the URL token and the signing secret are made together (256 random bits each),
//! shown once, and replaced together by a rotation; the token is kept as its SHA-256, the
//! secret sealed by the vault (it must open again to check an HMAC).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::budget::Budget;
use super::db::{self, NewToken, SignalRow, WebhookRow};
use super::signature;
use super::{CreatedWebhook, SignalRecord, SignalsError, UpdatedWebhook, Webhook};
use crate::auth::User;
use crate::clock::Clock;
use crate::config::TrustedProxies;
use crate::copier::Copier;
use crate::db::Db;
use crate::db::types::{Id, Ts};
use crate::vault::{SecretString, Vault};

/// Longest webhook name.
const MAX_NAME_CHARS: usize = 60;

/// Webhooks and signal intake; cheap to clone.
#[derive(Clone)]
pub struct Signals {
    pub(super) db: Db,
    pub(super) clock: Clock,
    public_url: Arc<str>,
    /// Each webhook's budget of signals, and of refusals kept in the log.
    pub(super) budget: Budget,
    pub(super) vault: Arc<Vault>,
    pub(super) copier: Copier,
}

pub(super) fn token_hash(token: &str) -> String {
    crate::digest::sha256_hex(token.as_bytes())
}

fn new_token() -> Result<String, SignalsError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| SignalsError::Internal(err.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn hint(token: &str) -> String {
    format!("••••{}", &token[token.len().saturating_sub(4)..])
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
    /// `signals_per_minute` per webhook, with bursts of a third more; `vault` seals the
    /// signing secrets.
    pub fn new(
        db: Db,
        clock: Clock,
        copier: Copier,
        vault: Arc<Vault>,
        public_url: &str,
        signals_per_minute: u32,
    ) -> Self {
        Self {
            db,
            clock,
            public_url: public_url.trim_end_matches('/').into(),
            budget: Budget::per_minute(signals_per_minute),
            vault,
            copier,
        }
    }

    pub(super) fn now(&self) -> Ts {
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
        let id = Id::new();
        let token = new_token()?;
        let signing_secret = signature::new_secret()?;
        let row = WebhookRow {
            id,
            user_id: user.id,
            name: clean_name(name)?,
            token_hash: token_hash(&token),
            token_hint: hint(&token),
            require_signature: false,
            allowed_ips: String::new(),
            created_at: self.now(),
            last_signal_at: None,
            signing_secret: Some(self.seal(user.id, id, &signing_secret)?),
        };
        db::insert_webhook(&self.db, &row).await?;
        Ok(CreatedWebhook {
            webhook: row.to_webhook(),
            token,
            signing_secret,
        })
    }

    /// A new token and a new signing secret for the webhook; the old URL answers 404 and the
    /// old secret signs nothing from now on.
    pub async fn rotate_token(&self, user: &User, id: Id) -> Result<CreatedWebhook, SignalsError> {
        let token = new_token()?;
        let signing_secret = signature::new_secret()?;
        let sealed = self.seal(user.id, id, &signing_secret)?;
        let new = NewToken {
            hash: &token_hash(&token),
            hint: &hint(&token),
            signing_secret: &sealed,
        };
        if !db::set_token(&self.db, user.id, id, &new).await? {
            return Err(SignalsError::NotFound);
        }
        Ok(CreatedWebhook {
            webhook: self.webhook(user, id).await?,
            token,
            signing_secret,
        })
    }

    fn seal(&self, user: Id, webhook: Id, secret: &SecretString) -> Result<Vec<u8>, SignalsError> {
        self.vault
            .seal(
                secret.expose().as_bytes(),
                &signature::secret_ad(user, webhook),
            )
            .map_err(|err| SignalsError::Internal(err.to_string()))
    }

    /// Renames the webhook or changes who may send to it; says whether the latter changed.
    pub async fn update_webhook(
        &self,
        user: &User,
        id: Id,
        name: Option<&str>,
        require_signature: Option<bool>,
        allowed_ips: Option<&[String]>,
    ) -> Result<UpdatedWebhook, SignalsError> {
        let current = self.webhook(user, id).await?;
        let name = match name {
            Some(name) => clean_name(name)?,
            None => current.name.clone(),
        };
        let allowed = clean_allowed_ips(allowed_ips.unwrap_or(&current.allowed_ips))?;
        let require = require_signature.unwrap_or(current.require_signature);
        if !db::update_webhook(&self.db, user.id, id, &name, require, &allowed).await? {
            return Err(SignalsError::NotFound);
        }
        let webhook = self.webhook(user, id).await?;
        let access_changed = webhook.require_signature != current.require_signature
            || webhook.allowed_ips != current.allowed_ips;
        Ok(UpdatedWebhook {
            webhook,
            access_changed,
        })
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_only_a_hint_is_kept() {
        let token = new_token().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_ne!(token, new_token().unwrap());
        assert_eq!(hint(&token).chars().count(), 8);
        assert_eq!(token_hash(&token).len(), 64);
    }
}
