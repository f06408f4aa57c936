//! What the HTTP layer knows about the request, for resolvers: the caller (from a verified,
//! unrevoked session token) and the client's IP and user agent. Resolvers set or clear the
//! session cookie through it.

use async_graphql::{Context, ErrorExtensions, Result};

use super::account::AuthPayload;
use super::error::code;
use crate::auth::{RequestMeta, Session, User};

/// The web app's session cookie: HttpOnly (scripts cannot read it), SameSite=Strict (never sent
/// on cross-site requests). Over HTTPS it is also Secure, with the `__Host-` prefix (bound to
/// this host, path `/`, never set over plain HTTP).
pub const SESSION_COOKIE: &str = "copytrade_session";
const SECURE_SESSION_COOKIE: &str = "__Host-copytrade_session";

pub struct RequestContext {
    pub meta: RequestMeta,
    /// The logged-in user, if the request carried a valid token.
    pub user: Option<User>,
    /// Whether the client reached us over HTTPS (through a trusted proxy).
    pub https: bool,
}

impl RequestContext {
    pub fn of<'a>(ctx: &Context<'a>) -> Result<&'a Self> {
        ctx.data::<Self>()
    }

    /// The logged-in user, or `UNAUTHENTICATED`.
    pub fn user(&self) -> Result<&User> {
        self.user.as_ref().ok_or_else(|| {
            async_graphql::Error::new("log in first")
                .extend_with(|_, ext| ext.set("code", code::UNAUTHENTICATED))
        })
    }

    /// Hands a new session to the client: in the answer, and as the web app's cookie.
    pub fn start_session(&self, ctx: &Context<'_>, session: Session) -> AuthPayload {
        let max_age = (session.expires_at - chrono::Utc::now())
            .num_seconds()
            .max(0);
        ctx.append_http_header("set-cookie", self.cookie(&session.token, max_age));
        AuthPayload {
            token: session.token,
            expires_at: session.expires_at,
            user: session.user.into(),
        }
    }

    /// Removes the web app's cookie.
    pub fn end_session(&self, ctx: &Context<'_>) {
        ctx.append_http_header("set-cookie", self.cookie("", 0));
    }

    fn cookie(&self, value: &str, max_age: i64) -> String {
        let (name, secure) = if self.https {
            (SECURE_SESSION_COOKIE, "; Secure")
        } else {
            (SESSION_COOKIE, "")
        };
        format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
    }
}

/// The session token of a request: `Authorization: Bearer …` (integrators) or the cookie (web app).
pub fn session_token(headers: &axum::http::HeaderMap) -> Option<String> {
    if let Some(bearer) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        return Some(bearer.trim().to_owned());
    }
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE || *name == SECURE_SESSION_COOKIE)
        .map(|(_, token)| token.to_owned())
        .filter(|token| !token.is_empty())
}
