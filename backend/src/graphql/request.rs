//! What the HTTP layer knows about the request, for resolvers: the caller (from a verified,
//! unrevoked session or API token) and the client's IP and user agent. Resolvers set or clear
//! the session cookie through it.
//!
//! Each resolver states what it needs by the method it takes the user with (docs/security.md,
//! "Sessions, sudo mode and API tokens"):
//! - [`RequestContext::user`]: a session; API tokens never reach account, password, 2FA or
//!   broker-credential fields.
//! - [`RequestContext::user_with`]: a session, or an API token holding the scope.
//! - [`RequestContext::sudo_user`]: a session whose password was checked within the last
//!   2 hours, else `REAUTH_REQUIRED` (the web app asks for the password and retries).
//! - [`RequestContext::sudo_user_with`]: a session in sudo mode, or an API token holding the
//!   scope (the token itself was created in sudo mode).

use async_graphql::{Context, ErrorExtensions, Result};
use chrono::{DateTime, Utc};

use super::account::AuthPayload;
use super::error::code;
use crate::auth::device::{DEVICE_COOKIE, DEVICE_DAYS, SECURE_DEVICE_COOKIE};
use crate::auth::{Caller, RequestMeta, Scope, Session, User};

/// The web app's session cookie: HttpOnly (scripts cannot read it), SameSite=Strict (never sent
/// on cross-site requests). Over HTTPS it is also Secure, with the `__Host-` prefix (bound to
/// this host, path `/`, never set over plain HTTP), and only that name is read there: a
/// sibling subdomain can set the plain name but not a `__Host-` cookie (cookie tossing).
pub const SESSION_COOKIE: &str = "copytrade_session";
const SECURE_SESSION_COOKIE: &str = "__Host-copytrade_session";

pub struct RequestContext {
    pub meta: RequestMeta,
    /// Who made the request, if it carried a valid token.
    pub caller: Option<Caller>,
    /// Whether the client reached us over HTTPS (through a trusted proxy).
    pub https: bool,
    /// When the request arrived (the server's clock), for sudo mode.
    pub now: DateTime<Utc>,
}

fn error(message: &str, error_code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", error_code))
}

impl RequestContext {
    pub fn of<'a>(ctx: &Context<'a>) -> Result<&'a Self> {
        ctx.data::<Self>()
    }

    fn caller(&self) -> Result<&Caller> {
        self.caller
            .as_ref()
            .ok_or_else(|| error("log in first", code::UNAUTHENTICATED))
    }

    /// The logged-in user of a session, or `UNAUTHENTICATED` (`FORBIDDEN` for an API token).
    pub fn user(&self) -> Result<&User> {
        let caller = self.caller()?;
        if !caller.is_session() {
            return Err(error(
                "API tokens cannot do this: log in to the web app",
                code::FORBIDDEN,
            ));
        }
        Ok(&caller.user)
    }

    /// The user of a session, or of an API token holding `scope`.
    pub fn user_with(&self, scope: Scope) -> Result<&User> {
        let caller = self.caller()?;
        if !caller.has_scope(scope) {
            return Err(error(
                &format!(
                    "this API token lacks the `{}` scope",
                    scope.as_str().to_uppercase()
                ),
                code::FORBIDDEN,
            ));
        }
        Ok(&caller.user)
    }

    /// The user of a session in sudo mode, or `REAUTH_REQUIRED`.
    pub fn sudo_user(&self) -> Result<&User> {
        let user = self.user()?;
        self.require_sudo()?;
        Ok(user)
    }

    /// The user of a session in sudo mode, or of an API token holding `scope`.
    pub fn sudo_user_with(&self, scope: Scope) -> Result<&User> {
        let user = self.user_with(scope)?;
        if self.caller()?.is_session() {
            self.require_sudo()?;
        }
        Ok(user)
    }

    fn require_sudo(&self) -> Result<()> {
        if self.caller()?.in_sudo_mode(self.now) {
            Ok(())
        } else {
            Err(error(
                "confirm your password to continue: this change needs a login from the last 2 hours",
                code::REAUTH_REQUIRED,
            ))
        }
    }

    /// Hands a new session to the client: in the answer, and as the web app's cookies.
    pub fn start_session(&self, ctx: &Context<'_>, session: Session) -> AuthPayload {
        let max_age = (session.expires_at - self.now).num_seconds().max(0);
        ctx.append_http_header("set-cookie", self.session_cookie(&session.token, max_age));
        if let Some(device) = &session.device_cookie {
            ctx.append_http_header(
                "set-cookie",
                self.cookie(
                    (DEVICE_COOKIE, SECURE_DEVICE_COOKIE),
                    device,
                    DEVICE_DAYS * 86_400,
                ),
            );
        }
        AuthPayload {
            token: session.token,
            expires_at: session.expires_at,
            user: session.user.into(),
        }
    }

    /// Removes the web app's session cookie (the device cookie stays: the browser is known).
    pub fn end_session(&self, ctx: &Context<'_>) {
        ctx.append_http_header("set-cookie", self.session_cookie("", 0));
    }

    fn session_cookie(&self, value: &str, max_age: i64) -> String {
        self.cookie((SESSION_COOKIE, SECURE_SESSION_COOKIE), value, max_age)
    }

    fn cookie(&self, (plain, secure): (&str, &str), value: &str, max_age: i64) -> String {
        let (name, flag) = if self.https {
            (secure, "; Secure")
        } else {
            (plain, "")
        };
        format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{flag}")
    }
}

/// A cookie's value: over HTTPS only its `__Host-` name counts.
fn cookie_value(
    headers: &axum::http::HeaderMap,
    (plain, secure): (&str, &str),
    https: bool,
) -> Option<String> {
    let wanted = if https { secure } else { plain };
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The token of a request: `Authorization: Bearer …` (integrators: an API token or a session
/// token) or the web app's session cookie.
pub fn session_token(headers: &axum::http::HeaderMap, https: bool) -> Option<String> {
    if let Some(bearer) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        return Some(bearer.trim().to_owned());
    }
    cookie_value(headers, (SESSION_COOKIE, SECURE_SESSION_COOKIE), https)
}

/// The browser's device cookie, if it sent one.
pub fn device_cookie(headers: &axum::http::HeaderMap, https: bool) -> Option<String> {
    cookie_value(headers, (DEVICE_COOKIE, SECURE_DEVICE_COOKIE), https)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(cookie: &str) -> axum::http::HeaderMap {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(axum::http::header::COOKIE, cookie.parse().unwrap());
        headers
    }

    #[test]
    fn over_https_only_the_host_prefixed_cookie_counts() {
        let tossed = with_cookie("copytrade_session=planted");
        assert_eq!(session_token(&tossed, true), None);
        assert_eq!(session_token(&tossed, false).as_deref(), Some("planted"));
        let both = with_cookie("copytrade_session=planted; __Host-copytrade_session=mine");
        assert_eq!(session_token(&both, true).as_deref(), Some("mine"));
    }
}
