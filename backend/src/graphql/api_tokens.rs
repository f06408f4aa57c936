//! API tokens in the API: thin resolvers over [`crate::auth::Auth`]. Only a logged-in session
//! manages tokens (a token cannot mint or list tokens), and creating one needs sudo mode.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::error::auth_error;
use super::request::RequestContext;
use crate::auth::{ApiToken, Auth, AuthError, Scope};
use crate::db::types::Id;

/// An integrator's API token (the token itself is shown only when created).
#[derive(SimpleObject)]
#[graphql(name = "ApiToken")]
pub struct ApiTokenObject {
    pub id: ID,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The token's last four characters, to tell tokens apart.
    pub token_hint: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When a request last used it (to the minute); empty if never.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for ApiTokenObject {
    fn from(token: ApiToken) -> Self {
        Self {
            id: ID(token.id.to_string()),
            name: token.name,
            scopes: token.scopes,
            token_hint: token.token_hint,
            created_at: token.created_at,
            expires_at: token.expires_at,
            last_used_at: token.last_used_at,
        }
    }
}

/// A new API token: `token` is shown only in this answer.
#[derive(SimpleObject)]
pub struct CreatedApiToken {
    pub api_token: ApiTokenObject,
    /// Send as `Authorization: Bearer <token>`, or as `{"token": …}` in a WebSocket's
    /// `connection_init`.
    pub token: String,
}

#[derive(Default)]
pub struct ApiTokensQuery;

#[Object]
impl ApiTokensQuery {
    /// The logged-in user's API tokens, newest first.
    async fn api_tokens(&self, ctx: &Context<'_>) -> Result<Vec<ApiTokenObject>> {
        let request = RequestContext::of(ctx)?;
        let tokens = ctx
            .data::<Auth>()?
            .api_tokens(request.user()?)
            .await
            .map_err(auth_error)?;
        Ok(tokens.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct ApiTokensMutation;

#[Object]
impl ApiTokensMutation {
    /// A new API token for a program: `READ` (queries and subscriptions), `TRADE` (kill switch,
    /// turning groups and followers on or off), `MANAGE` (webhooks, copy groups, followers).
    /// No token reaches account, password, 2FA or broker-credential fields. Expires at most
    /// 366 days ahead; a password change revokes every token.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        name: String,
        scopes: Vec<Scope>,
        expires_at: DateTime<Utc>,
    ) -> Result<CreatedApiToken> {
        let request = RequestContext::of(ctx)?;
        let (token, secret) = ctx
            .data::<Auth>()?
            .create_api_token(
                request.sudo_user()?,
                &name,
                &scopes,
                expires_at,
                &request.meta,
            )
            .await
            .map_err(auth_error)?;
        Ok(CreatedApiToken {
            api_token: token.into(),
            token: secret,
        })
    }

    /// Revokes an API token at once.
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let request = RequestContext::of(ctx)?;
        // Like every other id: one that cannot be ours is simply not found.
        let id: Id = id
            .parse()
            .map_err(|_| auth_error(AuthError::NotFound("API token")))?;
        ctx.data::<Auth>()?
            .revoke_api_token(request.user()?, id, &request.meta)
            .await
            .map_err(auth_error)?;
        Ok(true)
    }
}
