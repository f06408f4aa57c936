//! Tradovate's answer shapes and strict readers for its request bodies and queries.
//!
//! A value of the wrong JSON type (a string where a number belongs, a float quantity) is refused
//! with HTTP 400, never coerced; a missing required field is a business error (HTTP 200 with
//! `violations`, Tradovate's validation shape); other business errors are HTTP 200 with
//! `errorText` or, on order endpoints, `failureReason`/`failureText`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// A JSON request body (always an object once parsed).
pub(crate) type Fields = Map<String, Value>;
/// Query parameters, names lowercased (Tradovate's names match in any case).
pub(crate) type QueryMap = BTreeMap<String, String>;
/// A read that refuses the request with the answer to send.
pub(crate) type Read<T> = Result<T, Answer>;

/// One answer of the REST core: rendered as HTTP, or as a socket response `{i, s, d}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Option<Value>,
}

impl Answer {
    pub fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body: Some(body),
        }
    }

    /// A status with an empty body (401, 404, 429 answer so).
    pub fn empty(status: u16) -> Self {
        Self { status, body: None }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            body: Some(json!({ "errorText": message.into() })),
        }
    }

    /// `SimpleResponse` refusing a request: `{"errorText":"…","ok":false}`.
    pub fn error_text(message: impl Into<String>) -> Self {
        Self::ok(json!({ "errorText": message.into(), "ok": false }))
    }

    /// An order command refused: `{"failureReason":"…","failureText":"…"}`.
    pub fn failure(reason: &str, text: impl Into<String>) -> Self {
        Self::ok(json!({ "failureReason": reason, "failureText": text.into() }))
    }

    pub fn violation(field: &str, value: &str, description: impl Into<String>) -> Self {
        Self::ok(json!({ "violations": [{
            "constraint": field,
            "value": value,
            "description": description.into(),
        }] }))
    }

    /// Whether this is a served answer (not a refusal in any of Tradovate's shapes).
    pub fn is_success(&self) -> bool {
        self.status == 200
            && self.body.as_ref().is_some_and(|body| {
                ["errorText", "failureReason", "violations", "p-ticket"]
                    .iter()
                    .all(|key| body.get(key).is_none())
            })
    }
}

/// The `failureReason` values Tradovate documents for order commands.
pub(crate) const FAILURE_REASONS: &[&str] = &[
    "Success",
    "AccountClosed",
    "AdvancedTrailingStopUnsupported",
    "AnotherCommandPending",
    "BackMonthProhibited",
    "ExecutionProviderNotConfigured",
    "ExecutionProviderUnavailable",
    "InvalidContract",
    "InvalidPrice",
    "KeyInformationDocumentRequired",
    "LiquidationOnly",
    "LiquidationOnlyBeforeExpiration",
    "MaxOrderQtyIsNotSpecified",
    "MaxOrderQtyLimitReached",
    "MaxPosLimitMisconfigured",
    "MaxPosLimitReached",
    "MaxTotalPosLimitReached",
    "MultipleAccountPlanRequired",
    "NoQuote",
    "NotEnoughLiquidity",
    "OtherExecutionRelated",
    "ParentRejected",
    "RiskCheckTimeout",
    "SSFRiskDisclosureAcknowledgmentRequired",
    "SessionClosed",
    "TooLate",
    "TradingLocked",
    "TrailingStopNonOrderQtyModify",
    "Unauthorized",
    "UnknownReason",
    "Unsupported",
];

pub(crate) fn missing(key: &str) -> Answer {
    Answer::violation(key, "", format!("{key} should be specified"))
}

fn wrong_type(key: &str, what: &str) -> Answer {
    Answer::bad_request(format!("`{key}` must be {what}"))
}

/// The field's value, treating `null` as absent.
pub(crate) fn present<'a>(body: &'a Fields, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|value| !value.is_null())
}

pub(crate) fn opt_str<'a>(body: &'a Fields, key: &str) -> Read<Option<&'a str>> {
    match present(body, key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(wrong_type(key, "a string")),
    }
}

pub(crate) fn req_str<'a>(body: &'a Fields, key: &str) -> Read<&'a str> {
    opt_str(body, key)?.ok_or_else(|| missing(key))
}

/// An integer; `1.0`, `1.5` and `"1"` are refused.
pub(crate) fn opt_int(body: &Fields, key: &str) -> Read<Option<i64>> {
    match present(body, key) {
        None => Ok(None),
        Some(Value::Number(number)) => number
            .as_i64()
            .map(Some)
            .ok_or_else(|| wrong_type(key, "an integer")),
        Some(_) => Err(wrong_type(key, "an integer")),
    }
}

pub(crate) fn req_int(body: &Fields, key: &str) -> Read<i64> {
    opt_int(body, key)?.ok_or_else(|| missing(key))
}

pub(crate) fn opt_num(body: &Fields, key: &str) -> Read<Option<f64>> {
    match present(body, key) {
        None => Ok(None),
        Some(Value::Number(number)) => number
            .as_f64()
            .map(Some)
            .ok_or_else(|| wrong_type(key, "a number")),
        Some(_) => Err(wrong_type(key, "a number")),
    }
}

pub(crate) fn opt_bool(body: &Fields, key: &str) -> Read<Option<bool>> {
    match present(body, key) {
        None => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(_) => Err(wrong_type(key, "true or false")),
    }
}

/// One of `allowed`, exactly as spelled (Tradovate's enums are case-sensitive).
pub(crate) fn opt_enum(
    body: &Fields,
    key: &str,
    allowed: &'static [&'static str],
) -> Read<Option<&'static str>> {
    let Some(text) = opt_str(body, key)? else {
        return Ok(None);
    };
    allowed
        .iter()
        .find(|name| **name == text)
        .copied()
        .map(Some)
        .ok_or_else(|| {
            Answer::bad_request(format!(
                "`{key}` must be one of {}; got `{text}`",
                allowed.join(", ")
            ))
        })
}

pub(crate) fn req_enum(
    body: &Fields,
    key: &str,
    allowed: &'static [&'static str],
) -> Read<&'static str> {
    opt_enum(body, key, allowed)?.ok_or_else(|| missing(key))
}

pub(crate) fn opt_object<'a>(body: &'a Fields, key: &str) -> Read<Option<&'a Fields>> {
    match present(body, key) {
        None => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object)),
        Some(_) => Err(wrong_type(key, "an object")),
    }
}

/// An integer query parameter (`id`, `masterid`, `l`).
pub(crate) fn query_int(query: &QueryMap, key: &str) -> Read<Option<i64>> {
    match query.get(key) {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| wrong_type(key, "an integer")),
    }
}

pub(crate) fn req_query_int(query: &QueryMap, key: &str) -> Read<i64> {
    query_int(query, key)?.ok_or_else(|| Answer::bad_request(format!("`{key}` is required")))
}

/// A comma-separated list of ids (`ids=1,2,3`).
pub(crate) fn query_ids(query: &QueryMap, key: &str) -> Read<Vec<i64>> {
    let Some(text) = query.get(key) else {
        return Err(Answer::bad_request(format!("`{key}` is required")));
    };
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| part.trim().parse())
        .collect::<Result<_, _>>()
        .map_err(|_| wrong_type(key, "a list of integers"))
}

/// Now, as Tradovate writes timestamps (`2026-12-07T14:30:00.123Z`).
pub(crate) fn now_text() -> String {
    timestamp(chrono::Utc::now())
}

pub(crate) fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Today's trade date `{year, month, day}` (UTC; the real one rolls at the session's close).
pub(crate) fn trade_date() -> Value {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    json!({ "year": today.year(), "month": today.month(), "day": today.day() })
}

/// Whether `price` lies on the tick grid (within float noise).
pub(crate) fn on_tick(price: f64, tick: f64) -> bool {
    let ticks = price / tick;
    (ticks - ticks.round()).abs() < 1e-6
}

pub(crate) fn round_to_tick(price: f64, tick: f64) -> f64 {
    let rounded = (price / tick).round() * tick;
    // Keep the printed value short (6000.25, not 6000.250000000001).
    (rounded * 1e9).round() / 1e9
}
