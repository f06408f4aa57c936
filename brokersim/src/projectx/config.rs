//! Behaviour switches a test sets through `POST /_sim/projectx/config`: token lifetimes, the
//! rate limit, hub timings, and the forms the sources disagree on (event wrapper, bracket sign).

use serde::{Deserialize, Serialize};

/// How hub events carry their entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventWrapper {
    /// The entity itself, as the official realtime page shows.
    Bare,
    /// `{"action":0|1|2,"data":{...}}`, as third-party code sees it.
    Action,
}

/// How bracket ticks on `Order/place` must be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BracketSign {
    /// Signed from the entry (long: stop-loss below zero, take-profit above); what the live
    /// error strings show.
    Signed,
    /// Both legs positive distances (what one client sends; unverified).
    Positive,
    /// Either form: the sign is ignored and the direction follows from the leg.
    Either,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    pub token_lifetime_seconds: i64,
    /// After `validate` rotates a token, the old one dies this long after (never later than its
    /// own expiry); `None` keeps it valid until its own expiry.
    pub old_token_grace_seconds: Option<i64>,
    /// Requests per user per 60 s before HTTP 429; 0 turns the limit off.
    pub requests_per_60s: u32,
    pub event_wrapper: EventWrapper,
    pub bracket_sign: BracketSign,
    /// How often the hub sends `{"type":6}`.
    pub keep_alive_seconds: u64,
    /// The hub closes a client it has not heard from for this long.
    pub client_timeout_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            token_lifetime_seconds: 24 * 60 * 60,
            old_token_grace_seconds: None,
            requests_per_60s: 200,
            event_wrapper: EventWrapper::Action,
            bracket_sign: BracketSign::Signed,
            keep_alive_seconds: 15,
            client_timeout_seconds: 30,
        }
    }
}

/// A `POST /config` body: every field optional; `oldTokenGraceSeconds: null` clears the grace.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigChange {
    token_lifetime_seconds: Option<i64>,
    #[serde(default, with = "present")]
    old_token_grace_seconds: Option<Option<i64>>,
    requests_per_60s: Option<u32>,
    event_wrapper: Option<EventWrapper>,
    bracket_sign: Option<BracketSign>,
    keep_alive_seconds: Option<u64>,
    client_timeout_seconds: Option<u64>,
}

/// Tells an absent field (no change) from an explicit `null` (clear).
mod present {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
        Option::<i64>::deserialize(d).map(Some)
    }
}

impl Config {
    pub fn apply(&mut self, change: ConfigChange) -> Result<(), String> {
        if change.token_lifetime_seconds.is_some_and(|s| s <= 0) {
            return Err("tokenLifetimeSeconds must be above 0".to_owned());
        }
        if change
            .old_token_grace_seconds
            .flatten()
            .is_some_and(|s| s < 0)
        {
            return Err("oldTokenGraceSeconds must be 0 or more".to_owned());
        }
        if change.keep_alive_seconds == Some(0) || change.client_timeout_seconds == Some(0) {
            return Err("hub timings must be above 0 seconds".to_owned());
        }
        if let Some(value) = change.token_lifetime_seconds {
            self.token_lifetime_seconds = value;
        }
        if let Some(value) = change.old_token_grace_seconds {
            self.old_token_grace_seconds = value;
        }
        if let Some(value) = change.requests_per_60s {
            self.requests_per_60s = value;
        }
        if let Some(value) = change.event_wrapper {
            self.event_wrapper = value;
        }
        if let Some(value) = change.bracket_sign {
            self.bracket_sign = value;
        }
        if let Some(value) = change.keep_alive_seconds {
            self.keep_alive_seconds = value;
        }
        if let Some(value) = change.client_timeout_seconds {
            self.client_timeout_seconds = value;
        }
        Ok(())
    }
}
