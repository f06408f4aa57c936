//! Accounts and sessions in the API: thin resolvers over [`crate::auth::Auth`].

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::error::auth_error;
use super::request::RequestContext;
use crate::auth::{self, Auth, Scope, SecurityEventKind};

/// A CopyTrade user.
#[derive(SimpleObject)]
#[graphql(name = "User")]
pub struct UserObject {
    pub id: ID,
    pub email: String,
    /// Whether logins need a second factor.
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
    /// Whether the user opened the link in the verification email.
    pub email_verified: bool,
}

impl From<auth::User> for UserObject {
    fn from(user: auth::User) -> Self {
        Self {
            id: ID(user.id.to_string()),
            email: user.email,
            totp_enabled: user.totp_enabled,
            created_at: user.created_at,
            email_verified: user.email_verified,
        }
    }
}

/// A new session. The web app also receives the token as an HttpOnly cookie.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserObject,
}

/// One entry of the user's security log.
#[derive(SimpleObject)]
#[graphql(name = "SecurityEvent")]
pub struct SecurityEventObject {
    pub id: ID,
    pub kind: SecurityEventKind,
    /// The client IP the action came from.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub at: DateTime<Utc>,
    /// More about the event where it has more: for EMAIL_SENT, which mail it was (never its content).
    pub detail: Option<String>,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The logged-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<UserObject> {
        Ok(RequestContext::of(ctx)?
            .user_with(Scope::Read)?
            .clone()
            .into())
    }

    /// The logged-in user's security log, newest first (at most 200).
    async fn security_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<SecurityEventObject>> {
        let request = RequestContext::of(ctx)?;
        let events = ctx
            .data::<Auth>()?
            .security_events(request.user()?, i64::from(first))
            .await
            .map_err(auth_error)?;
        Ok(events
            .into_iter()
            .map(|event| SecurityEventObject {
                id: ID(event.id.to_string()),
                kind: event.kind,
                ip: event.ip,
                user_agent: event.user_agent,
                at: event.at,
                detail: event.detail,
            })
            .collect())
    }
}

/// What an authenticator app needs: scan the QR code, or type the secret in.
#[derive(SimpleObject)]
pub struct TotpSetup {
    /// The seed in base32.
    pub secret: String,
    pub otpauth_uri: String,
    /// The `otpauth://` URI as a QR code, an SVG document.
    pub qr_code_svg: String,
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Confirms the email address with the token from the verification link.
    async fn verify_email(&self, ctx: &Context<'_>, token: String) -> Result<bool> {
        let request = RequestContext::of(ctx)?;
        ctx.data::<Auth>()?
            .verify_email(&token, &request.meta)
            .await
            .map_err(auth_error)?;
        Ok(true)
    }

    /// Sends the verification link again (at most 5 an hour). MAIL_DISABLED when this server sends no email.
    async fn resend_verification_email(&self, ctx: &Context<'_>) -> Result<bool> {
        let request = RequestContext::of(ctx)?;
        ctx.data::<Auth>()?
            .resend_verification(request.user()?)
            .await
            .map_err(auth_error)?;
        Ok(true)
    }

    /// Mails a password-reset link valid for 30 minutes, if an account has this email. Always answers true: the answer never tells whether an account exists.
    async fn request_password_reset(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        let request = RequestContext::of(ctx)?;
        ctx.data::<Auth>()?
            .request_password_reset(&email, &request.meta);
        Ok(true)
    }

    /// Sets a new password with the token from the reset link (single use); every session and API token ends. With two-factor login on, `totpCode` is required (TOTP_REQUIRED without it).
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
        totp_code: Option<String>,
    ) -> Result<AuthPayload> {
        let request = RequestContext::of(ctx)?;
        let session = ctx
            .data::<Auth>()?
            .reset_password(&token, &new_password, totp_code.as_deref(), &request.meta)
            .await
            .map_err(auth_error)?;
        Ok(request.start_session(ctx, session))
    }

    /// Creates an account (password: at least 10 characters, not a common one) and logs in.
    async fn register(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<AuthPayload> {
        let request = RequestContext::of(ctx)?;
        let session = ctx
            .data::<Auth>()?
            .register(&email, &password, &request.meta)
            .await
            .map_err(auth_error)?;
        Ok(request.start_session(ctx, session))
    }

    /// Logs in. With two-factor login on, `totpCode` is the authenticator's code or a backup
    /// code. At most 10 attempts per client IP in 15 minutes.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        totp_code: Option<String>,
    ) -> Result<AuthPayload> {
        let request = RequestContext::of(ctx)?;
        let session = ctx
            .data::<Auth>()?
            .login(&email, &password, totp_code.as_deref(), &request.meta)
            .await
            .map_err(auth_error)?;
        Ok(request.start_session(ctx, session))
    }

    /// Confirms it is you (password, plus the code when two-factor login is on): a fresh
    /// session in sudo mode for 2 hours. Sensitive changes answer `REAUTH_REQUIRED` without it.
    async fn reauthenticate(
        &self,
        ctx: &Context<'_>,
        password: String,
        totp_code: Option<String>,
    ) -> Result<AuthPayload> {
        let request = RequestContext::of(ctx)?;
        let session = ctx
            .data::<Auth>()?
            .reauthenticate(
                request.user()?,
                &password,
                totp_code.as_deref(),
                &request.meta,
            )
            .await
            .map_err(auth_error)?;
        Ok(request.start_session(ctx, session))
    }

    /// Sets a new password; every other session and every API token ends, and this session
    /// gets a fresh token.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
        totp_code: Option<String>,
    ) -> Result<AuthPayload> {
        let request = RequestContext::of(ctx)?;
        let session = ctx
            .data::<Auth>()?
            .change_password(
                request.user()?,
                &current_password,
                &new_password,
                totp_code.as_deref(),
                &request.meta,
            )
            .await
            .map_err(auth_error)?;
        Ok(request.start_session(ctx, session))
    }

    /// Logs this browser out: removes the session cookie. (Tokens held elsewhere stay valid until
    /// they expire; `logoutEverywhere` ends them all.)
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        RequestContext::of(ctx)?.end_session(ctx);
        Ok(true)
    }

    /// Ends every session of the user, this one included.
    async fn logout_everywhere(&self, ctx: &Context<'_>) -> Result<bool> {
        let request = RequestContext::of(ctx)?;
        ctx.data::<Auth>()?
            .logout_everywhere(request.user()?, &request.meta)
            .await
            .map_err(auth_error)?;
        request.end_session(ctx);
        Ok(true)
    }

    /// Deletes the account and everything it owns.
    async fn delete_account(
        &self,
        ctx: &Context<'_>,
        password: String,
        totp_code: Option<String>,
    ) -> Result<bool> {
        let request = RequestContext::of(ctx)?;
        ctx.data::<Auth>()?
            .delete_account(
                request.user()?,
                &password,
                totp_code.as_deref(),
                &request.meta,
            )
            .await
            .map_err(auth_error)?;
        request.end_session(ctx);
        Ok(true)
    }

    /// Starts two-factor setup; confirm it with a first code.
    async fn begin_totp_setup(&self, ctx: &Context<'_>) -> Result<TotpSetup> {
        let request = RequestContext::of(ctx)?;
        let setup = ctx
            .data::<Auth>()?
            .begin_totp_setup(request.user()?)
            .await
            .map_err(auth_error)?;
        Ok(TotpSetup {
            secret: setup.secret,
            otpauth_uri: setup.otpauth_uri,
            qr_code_svg: setup.qr_code_svg,
        })
    }

    /// Turns two-factor login on (needs the password and the authenticator's first code);
    /// returns 10 one-time backup codes, shown only this once.
    async fn confirm_totp(
        &self,
        ctx: &Context<'_>,
        code: String,
        password: String,
    ) -> Result<Vec<String>> {
        let request = RequestContext::of(ctx)?;
        ctx.data::<Auth>()?
            .confirm_totp(request.sudo_user()?, &code, &password, &request.meta)
            .await
            .map_err(auth_error)
    }

    /// Turns two-factor login off.
    async fn disable_totp(
        &self,
        ctx: &Context<'_>,
        password: String,
        totp_code: String,
    ) -> Result<bool> {
        let request = RequestContext::of(ctx)?;
        ctx.data::<Auth>()?
            .disable_totp(request.user()?, &password, &totp_code, &request.meta)
            .await
            .map_err(auth_error)?;
        Ok(true)
    }

    /// Replaces the backup codes; the old ones stop working. Shown only this once.
    async fn regenerate_backup_codes(
        &self,
        ctx: &Context<'_>,
        totp_code: String,
    ) -> Result<Vec<String>> {
        let request = RequestContext::of(ctx)?;
        ctx.data::<Auth>()?
            .regenerate_backup_codes(request.sudo_user()?, &totp_code, &request.meta)
            .await
            .map_err(auth_error)
    }
}
