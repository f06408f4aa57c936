//! `Auth/loginKey`, `Auth/loginApp`, `Auth/validate`, `Auth/logout`, and the tokens they hand
//! out.
//!
//! A token looks like a JWT (HS256 over the user, session and expiry) and is also kept in the
//! state, which is what decides whether it is valid. Tokens last `tokenLifetimeSeconds` (24 h).
//! `validate` rotates: it answers a fresh `newToken` of the same session, and the old token
//! stays valid until its own expiry unless `oldTokenGraceSeconds` ends it sooner. `logout` ends
//! the session, and with it every token of the session.
//!
//! Login failures are HTTP 200 with `success:false`, `token:null` and the loginKey codes: 1
//! UserNotFound, 3 InvalidCredentials, 9 ApiSubscriptionNotFound. Their `errorMessage` is
//! `null` (a guess: the venue's codes carry the meaning).

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

use super::Sim;
use super::state::{State, TokenEntry};
use super::wire::{Answer, Fields, failure, success};

/// Compares secrets without an early exit, so timing reveals nothing.
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Makes a JWT-looking token for `user_id` in `session`, and records it.
fn issue(secret: &[u8], state: &mut State, user_id: i64, session: u64) -> String {
    let now = Utc::now();
    let expires = now + Duration::seconds(state.config.token_lifetime_seconds);
    let user_name = state
        .users
        .iter()
        .find(|u| u.id == user_id)
        .map(|u| u.user_name.clone())
        .unwrap_or_default();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = json!({
        "sub": user_id.to_string(),
        "name": user_name,
        "sid": session.to_string(),
        "jti": uuid::Uuid::new_v4().to_string(),
        "nbf": now.timestamp(),
        "iat": now.timestamp(),
        "exp": expires.timestamp(),
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let signature = match <Hmac<Sha256> as KeyInit>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(signing_input.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; keep the token well-formed all the same.
        Err(_) => URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()),
    };
    let token = format!("{signing_input}.{signature}");
    state.tokens.insert(
        token.clone(),
        TokenEntry {
            user_id,
            session,
            expires,
        },
    );
    token
}

pub fn login_key(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Answer {
    let mut fields = Fields::parse(headers, body)?;
    let user_name = fields.opt_text("userName").unwrap_or_default();
    let api_key = fields.opt_text("apiKey").unwrap_or_default();
    fields.finish()?;
    let no_token = json!({ "token": null });
    let mut state = sim.lock();
    let Some(user) = state.user_by_name(&user_name) else {
        return Ok(failure(no_token, 1, None));
    };
    if !same_secret(&user.api_key, &api_key) {
        return Ok(failure(no_token, 3, None));
    }
    if !user.api_subscription {
        return Ok(failure(no_token, 9, None));
    }
    let user_id = user.id;
    let session = state.ids.session();
    state.live_sessions.insert(session);
    let token = issue(&sim.secret, &mut state, user_id, session);
    Ok(success(json!({ "token": token })))
}

/// Partner logins: the simulator registers no partner apps, so every app is unknown (code 4).
pub fn login_app(headers: &HeaderMap, body: &[u8]) -> Answer {
    let mut fields = Fields::parse(headers, body)?;
    for name in ["userName", "password", "deviceId", "appId", "verifyKey"] {
        fields.opt_text(name);
    }
    fields.finish()?;
    Ok(failure(json!({ "token": null }), 4, None))
}

pub fn validate(sim: &Sim, old_token: &str, user_id: i64, session: u64) -> Answer {
    let mut state = sim.lock();
    let token = issue(&sim.secret, &mut state, user_id, session);
    if let Some(grace) = state.config.old_token_grace_seconds {
        let deadline = Utc::now() + Duration::seconds(grace);
        if let Some(old) = state.tokens.get_mut(old_token) {
            old.expires = old.expires.min(deadline);
        }
    }
    Ok(success(json!({ "newToken": token })))
}

pub fn logout(sim: &Sim, session: u64) -> Answer {
    sim.lock().live_sessions.remove(&session);
    Ok(success(json!({})))
}
