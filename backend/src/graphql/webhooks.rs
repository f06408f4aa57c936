//! Webhooks and received signals in the API: thin resolvers over [`crate::signals::Signals`].
//! Creating and rotating a webhook and changing who may send to it go into the user's
//! security log.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::error::{auth_error, signals_error};
use super::request::RequestContext;
use crate::auth::{Auth, Scope, SecurityEventKind};
use crate::db::types::Id;
use crate::signals::{self, Receipt, SignalStatus, Signals, SignalsError, TRADINGVIEW_IPS};

/// A webhook that receives trading signals (`POST` to its URL).
#[derive(SimpleObject)]
#[graphql(name = "Webhook")]
pub struct WebhookObject {
    pub id: ID,
    pub name: String,
    /// The last characters of the token, to tell tokens apart; the token is shown only once.
    pub token_hint: String,
    /// Refuse signals without a valid `X-CopyTrade-Signature` header (signed with the
    /// signing secret).
    pub require_signature: bool,
    /// Addresses (IPs or CIDRs) allowed to send; empty: anyone with the URL.
    pub allowed_ips: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_signal_at: Option<DateTime<Utc>>,
}

impl From<signals::Webhook> for WebhookObject {
    fn from(webhook: signals::Webhook) -> Self {
        Self {
            id: ID(webhook.id.to_string()),
            name: webhook.name,
            token_hint: webhook.token_hint,
            require_signature: webhook.require_signature,
            allowed_ips: webhook.allowed_ips,
            created_at: webhook.created_at,
            last_signal_at: webhook.last_signal_at,
        }
    }
}

/// A new or rotated webhook: `url`, `token` and `signingSecret` are shown this once.
#[derive(SimpleObject)]
pub struct CreatedWebhook {
    pub webhook: WebhookObject,
    /// Paste into TradingView's alert "Webhook URL".
    pub url: String,
    /// The secret part of the URL. It does not sign requests: `signingSecret` does.
    pub token: String,
    /// The key of `X-CopyTrade-Signature` (for senders that can set headers; TradingView
    /// cannot): `t=<unix seconds>,v1=<hex HMAC-SHA256(signingSecret, "<t>.<raw body>")>`, the
    /// key being this text exactly as shown. A timestamp more than 5 minutes from the server's
    /// clock is refused, and each signature is accepted once. Rotated with the token.
    pub signing_secret: String,
}

impl CreatedWebhook {
    fn new(service: &Signals, created: signals::CreatedWebhook) -> Self {
        Self {
            url: service.url(&created.token),
            signing_secret: created.signing_secret.expose().to_owned(),
            token: created.token,
            webhook: created.webhook.into(),
        }
    }
}

/// A received signal, as the log keeps it.
#[derive(SimpleObject)]
#[graphql(name = "Signal")]
pub struct SignalObject {
    pub id: ID,
    pub webhook_id: Option<ID>,
    pub received_at: DateTime<Utc>,
    pub status: SignalStatus,
    /// The body as received.
    pub raw_payload: String,
    /// For a rejected signal: the field that was wrong, and what was wrong with it.
    pub error_field: Option<String>,
    pub error: Option<String>,
    /// For an accepted signal: what became of it.
    pub outcome: Option<String>,
}

impl From<signals::SignalRecord> for SignalObject {
    fn from(record: signals::SignalRecord) -> Self {
        Self {
            id: ID(record.id.to_string()),
            webhook_id: record.webhook_id.map(|id| ID(id.to_string())),
            received_at: record.received_at,
            status: record.status,
            raw_payload: record.raw_payload,
            error_field: record.error_field,
            error: record.error,
            outcome: record.outcome,
        }
    }
}

/// What a test signal came to, as the webhook would have answered.
#[derive(SimpleObject)]
pub struct TestSignalResult {
    /// `accepted`, `duplicate` or `rejected`.
    pub status: String,
    pub signal_id: Option<ID>,
    pub error_field: Option<String>,
    pub error: Option<String>,
}

/// What the Webhooks page sends when the user gives no payload.
const SAMPLE_SIGNAL: &str = r#"{"ticker":"ES1!","action":"buy","quantity":1,"orderType":"market"}"#;

#[derive(InputObject)]
pub struct UpdateWebhookInput {
    pub name: Option<String>,
    pub require_signature: Option<bool>,
    /// Replaces the allow-list; `[]` lets anyone with the URL send.
    pub allowed_ips: Option<Vec<String>>,
    /// Sets the allow-list to TradingView's alert servers.
    #[graphql(default)]
    pub tradingview_only: bool,
}

fn parse_id(id: &ID) -> Result<Id> {
    id.parse::<Id>()
        .map_err(|_| signals_error(SignalsError::NotFound))
}

#[derive(Default)]
pub struct WebhooksQuery;

#[Object]
impl WebhooksQuery {
    /// The logged-in user's webhooks, oldest first.
    async fn webhooks(&self, ctx: &Context<'_>) -> Result<Vec<WebhookObject>> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Read)?;
        let webhooks = ctx
            .data::<Signals>()?
            .webhooks(user)
            .await
            .map_err(signals_error)?;
        Ok(webhooks.into_iter().map(WebhookObject::from).collect())
    }

    /// The latest signals received (all webhooks, or one), newest first; at most 200.
    async fn recent_signals(
        &self,
        ctx: &Context<'_>,
        webhook_id: Option<ID>,
        #[graphql(default = 20)] first: i32,
    ) -> Result<Vec<SignalObject>> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Read)?;
        let webhook = webhook_id.as_ref().map(parse_id).transpose()?;
        let signals = ctx
            .data::<Signals>()?
            .recent(user, webhook, i64::from(first))
            .await
            .map_err(signals_error)?;
        Ok(signals.into_iter().map(SignalObject::from).collect())
    }
}

#[derive(Default)]
pub struct WebhooksMutation;

#[Object]
impl WebhooksMutation {
    /// A new webhook; its URL, token and signing secret are shown only in this answer.
    async fn create_webhook(&self, ctx: &Context<'_>, name: String) -> Result<CreatedWebhook> {
        let user = RequestContext::of(ctx)?.sudo_user_with(Scope::Manage)?;
        let service = ctx.data::<Signals>()?;
        let created = service
            .create_webhook(user, &name)
            .await
            .map_err(signals_error)?;
        let meta = &RequestContext::of(ctx)?.meta;
        ctx.data::<Auth>()?
            .record_event(user.id, SecurityEventKind::WebhookCreated, meta)
            .await
            .map_err(auth_error)?;
        Ok(CreatedWebhook::new(service, created))
    }

    /// A new token and signing secret for the webhook; the old URL and the old secret stop
    /// working at once.
    async fn rotate_webhook_token(&self, ctx: &Context<'_>, id: ID) -> Result<CreatedWebhook> {
        let user = RequestContext::of(ctx)?.sudo_user_with(Scope::Manage)?;
        let service = ctx.data::<Signals>()?;
        let created = service
            .rotate_token(user, parse_id(&id)?)
            .await
            .map_err(signals_error)?;
        let meta = &RequestContext::of(ctx)?.meta;
        ctx.data::<Auth>()?
            .record_event(user.id, SecurityEventKind::WebhookRotated, meta)
            .await
            .map_err(auth_error)?;
        Ok(CreatedWebhook::new(service, created))
    }

    /// Renames the webhook, or changes who may send to it.
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateWebhookInput,
    ) -> Result<WebhookObject> {
        let user = RequestContext::of(ctx)?.sudo_user_with(Scope::Manage)?;
        let preset: Vec<String>;
        let allowed = if input.tradingview_only {
            preset = TRADINGVIEW_IPS.iter().map(|ip| (*ip).to_owned()).collect();
            Some(preset.as_slice())
        } else {
            input.allowed_ips.as_deref()
        };
        let updated = ctx
            .data::<Signals>()?
            .update_webhook(
                user,
                parse_id(&id)?,
                input.name.as_deref(),
                input.require_signature,
                allowed,
            )
            .await
            .map_err(signals_error)?;
        if updated.access_changed {
            let meta = &RequestContext::of(ctx)?.meta;
            ctx.data::<Auth>()?
                .record_event(user.id, SecurityEventKind::WebhookAccessChanged, meta)
                .await
                .map_err(auth_error)?;
        }
        Ok(updated.webhook.into())
    }

    /// Sends a signal to the webhook as if it came in over its URL (default: buy 1 ES1! at
    /// market); it is parsed, de-duplicated and logged like any other.
    async fn send_test_signal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        payload: Option<String>,
    ) -> Result<TestSignalResult> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Manage)?;
        let payload = payload.unwrap_or_else(|| SAMPLE_SIGNAL.to_owned());
        if payload.len() > crate::signals::MAX_SIGNAL_BYTES {
            return Err(signals_error(SignalsError::InvalidInput {
                field: "payload",
                message: format!("is larger than {} bytes", crate::signals::MAX_SIGNAL_BYTES),
            }));
        }
        let receipt = ctx
            .data::<Signals>()?
            .send_test_signal(user, parse_id(&id)?, &payload)
            .await
            .map_err(signals_error)?;
        let id = |signal: crate::db::types::Id| Some(ID(signal.to_string()));
        Ok(match receipt {
            Receipt::Accepted { signal } => TestSignalResult {
                status: "accepted".into(),
                signal_id: id(signal),
                error_field: None,
                error: None,
            },
            Receipt::Duplicate { first } => TestSignalResult {
                status: "duplicate".into(),
                signal_id: id(first),
                error_field: None,
                error: None,
            },
            Receipt::Rejected {
                signal,
                field,
                message,
            } => TestSignalResult {
                status: "rejected".into(),
                signal_id: id(signal),
                error_field: Some(field),
                error: Some(message),
            },
            Receipt::Refused {
                signal, message, ..
            } => TestSignalResult {
                status: "rejected".into(),
                signal_id: signal.and_then(id),
                error_field: None,
                error: Some(message),
            },
            Receipt::RateLimited { .. } | Receipt::NotFound => {
                return Err(signals_error(SignalsError::NotFound));
            }
        })
    }

    /// Deletes the webhook; its URL stops working. The signals it received stay in the log.
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Manage)?;
        ctx.data::<Signals>()?
            .delete_webhook(user, parse_id(&id)?)
            .await
            .map_err(signals_error)?;
        Ok(true)
    }
}
