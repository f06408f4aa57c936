//! API tokens for integrators (docs/security.md, "API tokens"): instead of borrowing a 30-day
//! session, a program gets a token limited to what it needs. A token is `ctk_` and 43 random
//! base64url characters (256 bits), shown once; only its SHA-256 is stored, and it is found by
//! that hash. It carries scopes, an expiry, and its last use; it can be revoked one by one, and
//! a password change revokes them all. No token reaches account, password, 2FA or broker
//! credential mutations, whatever its scopes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::db::UserRow;
use super::{AuthError, RequestMeta, SecurityEventKind, User};
use crate::db::schema::{api_tokens, users};
use crate::db::types::{Id, Ts};
use crate::db::{Db, DbError};
use crate::with_conn;

/// Tells an API token from a session token (a JWT never starts with it).
pub const PREFIX: &str = "ctk_";
/// Tokens a user may hold at once.
pub const MAX_PER_USER: i64 = 50;
/// The furthest expiry a token may have.
pub const MAX_LIFETIME_DAYS: i64 = 366;
/// `last_used_at` is written at most this often per token, not on every request.
const LAST_USE_PRECISION_SECONDS: i64 = 60;

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(name = "ApiTokenScope")]
pub enum Scope {
    /// Queries and subscriptions.
    Read,
    /// The kill switch, and turning copy groups and followers on or off.
    Trade,
    /// Webhooks, copy groups and followers.
    Manage,
}

impl Scope {
    const NAMES: [(Self, &'static str); 3] = [
        (Self::Read, "read"),
        (Self::Trade, "trade"),
        (Self::Manage, "manage"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(scope, _)| *scope == self)
            .map_or("unknown", |(_, name)| name)
    }

    fn parse(text: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(_, name)| *name == text)
            .map(|(scope, _)| *scope)
    }
}

/// Stored scopes, `read,trade`. An unreadable list grants nothing (fail closed).
fn parse_scopes(text: &str) -> Vec<Scope> {
    let parsed: Option<Vec<Scope>> = text.split(',').map(Scope::parse).collect();
    parsed.unwrap_or_default()
}

fn format_scopes(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|scope| scope.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// An API token as its owner sees it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: Id,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The token's last four characters, to tell tokens apart.
    pub token_hint: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
struct TokenRow {
    id: Id,
    user_id: Id,
    name: String,
    scopes: String,
    token_hash: String,
    token_hint: String,
    created_at: Ts,
    expires_at: Ts,
    last_used_at: Option<Ts>,
}

impl TokenRow {
    fn to_token(&self) -> ApiToken {
        ApiToken {
            id: self.id,
            name: self.name.clone(),
            scopes: parse_scopes(&self.scopes),
            token_hint: self.token_hint.clone(),
            created_at: self.created_at.0,
            expires_at: self.expires_at.0,
            last_used_at: self.last_used_at.map(|at| at.0),
        }
    }
}

/// The SHA-256 of a token, hex: what is stored and looked up.
fn token_hash(token: &str) -> String {
    crate::digest::sha256_hex(token.as_bytes())
}

/// A fresh token: the prefix and 32 random bytes.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{PREFIX}{}", B64.encode(bytes)))
}

/// Stores a new token for `user`; `false` when the user already holds [`MAX_PER_USER`].
pub async fn insert(
    db: &Db,
    user: Id,
    name: &str,
    scopes: &[Scope],
    token: &str,
    expires_at: DateTime<Utc>,
    now: Ts,
) -> Result<Option<ApiToken>, DbError> {
    let row = TokenRow {
        id: Id::new(),
        user_id: user,
        name: name.to_owned(),
        scopes: format_scopes(scopes),
        token_hash: token_hash(token),
        token_hint: token
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect(),
        created_at: now,
        expires_at: Ts::new(expires_at),
        last_used_at: None,
    };
    with_conn!(db, write, |c| {
        let held: i64 = api_tokens::table
            .filter(api_tokens::user_id.eq(user))
            .count()
            .get_result(c)
            .await?;
        if held >= MAX_PER_USER {
            return Ok(None);
        }
        diesel::insert_into(api_tokens::table)
            .values(&row)
            .execute(c)
            .await?;
        Ok(Some(row.to_token()))
    })
}

/// The user's tokens, newest first.
pub async fn list(db: &Db, user: Id) -> Result<Vec<ApiToken>, DbError> {
    let rows: Vec<TokenRow> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            api_tokens::table
                .filter(api_tokens::user_id.eq(user))
                .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
                .select(TokenRow::as_select())
                .load(c)
                .await?,
        )
    })?;
    Ok(rows.iter().map(TokenRow::to_token).collect())
}

/// Deletes one of the user's tokens; `false` if the user has no such token.
pub async fn revoke(db: &Db, user: Id, id: Id) -> Result<bool, DbError> {
    with_conn!(db, write, |c| {
        let deleted = diesel::delete(
            api_tokens::table
                .filter(api_tokens::id.eq(id))
                .filter(api_tokens::user_id.eq(user)),
        )
        .execute(c)
        .await?;
        Ok(deleted == 1)
    })
}

/// The token's owner and what it holds, if it exists and has not expired at `now`; notes its use.
pub async fn find(db: &Db, token: &str, now: Ts) -> Result<Option<(UserRow, ApiToken)>, DbError> {
    let hash = token_hash(token);
    let found: Option<(TokenRow, UserRow)> = with_conn!(db, read, |c| {
        Ok::<_, DbError>(
            api_tokens::table
                .inner_join(users::table)
                .filter(api_tokens::token_hash.eq(&hash))
                .filter(api_tokens::expires_at.gt(now))
                .select((TokenRow::as_select(), UserRow::as_select()))
                .first(c)
                .await
                .optional()?,
        )
    })?;
    let Some((row, user)) = found else {
        return Ok(None);
    };
    let stale = row
        .last_used_at
        .is_none_or(|at| now.0 - at.0 >= Duration::seconds(LAST_USE_PRECISION_SECONDS));
    if stale {
        with_conn!(db, write, |c| {
            diesel::update(api_tokens::table.find(row.id))
                .set(api_tokens::last_used_at.eq(now))
                .execute(c)
                .await?;
            Ok::<_, DbError>(())
        })?;
    }
    let mut token = row.to_token();
    if stale {
        token.last_used_at = Some(now.0);
    }
    Ok(Some((user, token)))
}

/// Deletes every token of the user (a password change).
pub async fn revoke_all(db: &Db, user: Id) -> Result<usize, DbError> {
    with_conn!(db, write, |c| {
        Ok(
            diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user)))
                .execute(c)
                .await?,
        )
    })
}

impl super::Auth {
    /// A new API token for `user` (the resolver asks for sudo mode first); the token is in the
    /// answer only.
    pub async fn create_api_token(
        &self,
        user: &User,
        name: &str,
        scopes: &[Scope],
        expires_at: DateTime<Utc>,
        meta: &RequestMeta,
    ) -> Result<(ApiToken, String), AuthError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(invalid("name", "must be 1 to 60 characters"));
        }
        let mut scopes = scopes.to_vec();
        scopes.sort_by_key(|scope| scope.as_str());
        scopes.dedup();
        if scopes.is_empty() {
            return Err(invalid(
                "scopes",
                "must name at least one of READ, TRADE, MANAGE",
            ));
        }
        let now = self.current_time();
        if expires_at <= now {
            return Err(invalid("expiresAt", "must be in the future"));
        }
        if expires_at > now + Duration::days(MAX_LIFETIME_DAYS) {
            return Err(invalid(
                "expiresAt",
                &format!("must be at most {MAX_LIFETIME_DAYS} days from now"),
            ));
        }
        let token = new_token().map_err(|err| AuthError::Internal(err.to_string()))?;
        let stored = insert(
            &self.db,
            user.id,
            name,
            &scopes,
            &token,
            expires_at,
            self.now(),
        )
        .await?
        .ok_or_else(|| {
            invalid(
                "name",
                &format!(
                    "cannot be added: you already hold {MAX_PER_USER} API tokens; revoke one first"
                ),
            )
        })?;
        self.record(user.id, SecurityEventKind::ApiTokenCreated, meta)
            .await?;
        Ok((stored, token))
    }

    /// The user's API tokens, newest first.
    pub async fn api_tokens(&self, user: &User) -> Result<Vec<ApiToken>, AuthError> {
        Ok(list(&self.db, user.id).await?)
    }

    /// Revokes one of the user's API tokens at once.
    pub async fn revoke_api_token(
        &self,
        user: &User,
        id: Id,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        if !revoke(&self.db, user.id, id).await? {
            return Err(AuthError::NotFound("API token"));
        }
        self.record(user.id, SecurityEventKind::ApiTokenRevoked, meta)
            .await
    }
}

fn invalid(field: &'static str, message: &str) -> AuthError {
    AuthError::InvalidInput {
        field,
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_an_unreadable_list_grants_nothing() {
        let scopes = [Scope::Read, Scope::Manage];
        assert_eq!(parse_scopes(&format_scopes(&scopes)), scopes.to_vec());
        assert_eq!(parse_scopes("read,withdraw"), Vec::<Scope>::new());
        assert_eq!(parse_scopes(""), Vec::<Scope>::new());
    }

    #[test]
    fn tokens_are_prefixed_random_and_stored_only_as_a_hash() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 43);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert!(!token_hash(&a).contains(&a[PREFIX.len()..]));
    }
}
