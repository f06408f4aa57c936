//! Logging in (`auth/accesstokenrequest`), renewing (`auth/renewaccesstoken`), `auth/me`, and
//! checking the bearer token of every other call.
//!
//! A failed login is HTTP 200 with `errorText`, as Tradovate answers. Each login opens a
//! session that records the `deviceId` it came with; the session's tokens share its expiry,
//! which renewal pushes out. A missing, expired or revoked token is HTTP 401.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use super::entities::Session;
use super::state::State;
use super::wire::{Answer, Fields, Read, now_text, opt_bool, opt_str, present, timestamp};

/// The caller behind a valid token.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub user_id: i64,
    pub session_id: i64,
    pub token: String,
    pub device_id: Option<String>,
}

const BAD_LOGIN: &str = "Incorrect username or password. Please try again.";
const BAD_APP: &str = "Incorrect cid or sec: the API application is not recognised";

/// The session behind `token`, if it is live.
pub(crate) fn authenticate(state: &State, token: Option<&str>) -> Option<Ctx> {
    let token = token?;
    let session = state.sessions.get(state.tokens.get(token)?)?;
    if session.revoked || session.expires <= Utc::now() {
        return None;
    }
    Some(Ctx {
        user_id: session.user_id,
        session_id: session.id,
        token: token.to_owned(),
        device_id: session.device_id.clone(),
    })
}

/// `cid` is typed as a string but sent as a number in the examples: both are accepted.
fn read_cid(body: &Fields) -> Read<Option<String>> {
    match present(body, "cid") {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim().to_owned())),
        Some(Value::Number(number)) if number.is_i64() || number.is_u64() => {
            Ok(Some(number.to_string()))
        }
        Some(_) => Err(Answer::bad_request("`cid` must be an integer or a string")),
    }
}

pub(crate) fn login(state: &mut State, endpoint: &str, body: &Fields) -> Answer {
    let request = Value::Object(body.clone());
    let (max, block) = (
        state.config.logins_per_minute,
        state.config.captcha_block_seconds,
    );
    if let Some(penalty) = state.limits.login(endpoint, &request, max, block) {
        return penalty;
    }
    match try_login(state, body) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_login(state: &mut State, body: &Fields) -> Read<Answer> {
    let name = opt_str(body, "name")?;
    let password = opt_str(body, "password")?;
    let cid = read_cid(body)?;
    let sec = opt_str(body, "sec")?;
    let app_id = opt_str(body, "appId")?;
    let app_version = opt_str(body, "appVersion")?;
    let device_id = opt_str(body, "deviceId")?.filter(|id| !id.trim().is_empty());
    let hibp_check = opt_bool(body, "hibpCheck")?.unwrap_or(false);
    let (Some(name), Some(password)) = (name, password) else {
        return Ok(Answer::ok(json!({ "errorText": BAD_LOGIN })));
    };
    let Some(user) = state
        .users
        .values()
        .find(|user| user.name.eq_ignore_ascii_case(name) && user.password == password)
        .cloned()
    else {
        return Ok(Answer::ok(json!({ "errorText": BAD_LOGIN })));
    };
    let app_matches = cid.as_deref() == Some(user.cid.as_str())
        && sec == Some(user.sec.as_str())
        && user
            .app_id
            .as_deref()
            .is_none_or(|wanted| app_id == Some(wanted));
    if !app_matches {
        return Ok(Answer::ok(json!({ "errorText": BAD_APP })));
    }
    let session_id = state.new_id();
    let token = new_token();
    state.sessions.insert(
        session_id,
        Session {
            id: session_id,
            user_id: user.id,
            device_id: device_id.map(str::to_owned),
            app_id: app_id.map(str::to_owned),
            app_version: app_version.map(str::to_owned),
            md_token: new_token(),
            expires: Utc::now() + Duration::seconds(state.config.token_lifetime_seconds),
            revoked: false,
            created: now_text(),
        },
    );
    state.tokens.insert(token.clone(), session_id);
    let mut answer = token_answer(state, session_id, &token);
    if hibp_check && let Some(body) = answer.body.as_mut() {
        body["hibpHint"] = json!(false);
    }
    Ok(answer)
}

/// Extends the caller's session; the answer has the login's shape.
pub(crate) fn renew(state: &mut State, ctx: &Ctx) -> Answer {
    let lifetime = Duration::seconds(state.config.token_lifetime_seconds);
    let token = if state.config.renew_issues_new_token {
        let token = new_token();
        state.tokens.insert(token.clone(), ctx.session_id);
        token
    } else {
        ctx.token.clone()
    };
    if let Some(session) = state.sessions.get_mut(&ctx.session_id) {
        session.expires = Utc::now() + lifetime;
    }
    token_answer(state, ctx.session_id, &token)
}

pub(crate) fn me(state: &State, ctx: &Ctx) -> Answer {
    let Some(user) = state.users.get(&ctx.user_id) else {
        return Answer::empty(401);
    };
    Answer::ok(json!({
        "userId": user.id,
        "name": user.name,
        "fullName": user.name,
        "email": format!("{}@example.invalid", user.name.to_ascii_lowercase()),
        "emailVerified": true,
        "isTrial": false,
    }))
}

fn token_answer(state: &State, session_id: i64, token: &str) -> Answer {
    let Some(session) = state.sessions.get(&session_id) else {
        return Answer::empty(401);
    };
    let name = state
        .users
        .get(&session.user_id)
        .map(|user| user.name.clone())
        .unwrap_or_default();
    Answer::ok(json!({
        "accessToken": token,
        "mdAccessToken": session.md_token,
        "expirationTime": timestamp(session.expires),
        "passwordExpirationTime": timestamp(Utc::now() + Duration::days(365)),
        "userStatus": "Active",
        "userId": session.user_id,
        "name": name,
        "hasLive": false,
        "hasSimPlus": false,
        "hasFunded": false,
        "hasMarketData": false,
        "outdatedTaC": false,
    }))
}

/// An opaque token, long like Tradovate's.
fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
