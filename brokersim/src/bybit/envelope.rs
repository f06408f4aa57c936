//! The v5 envelope and request parsing: every answer is `{retCode, retMsg, result,
//! retExtInfo, time}` with HTTP 200, errors included (an unknown route is HTTP 404 with retCode
//! 10017), private answers carry the per-UID limit headers, and malformed parameters are
//! retCode 10001.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::now_ms;
use super::numbers::parse_price;

/// The per-UID limit the simulator reports in `X-Bapi-Limit` (order create allows 10/s for linear).
const UID_LIMIT: &str = "10";

/// One answer in the v5 envelope.
pub(super) struct Reply {
    http: StatusCode,
    code: i64,
    msg: String,
    result: Value,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(super) fn ok(result: Value) -> Self {
        Self {
            http: StatusCode::OK,
            code: 0,
            msg: "OK".to_owned(),
            result,
            headers: Vec::new(),
        }
    }

    pub(super) fn err(code: i64, msg: impl Into<String>) -> Self {
        Self {
            http: StatusCode::OK,
            code,
            msg: msg.into(),
            result: json!({}),
            headers: Vec::new(),
        }
    }

    pub(super) fn not_found() -> Self {
        Self {
            http: StatusCode::NOT_FOUND,
            ..Self::err(10017, "route not found")
        }
    }

    /// The per-UID limit headers private answers carry.
    pub(super) fn with_limit(mut self, remaining: u32) -> Self {
        self.headers.push(("x-bapi-limit", UID_LIMIT.to_owned()));
        self.headers
            .push(("x-bapi-limit-status", remaining.to_string()));
        self.headers.push((
            "x-bapi-limit-reset-timestamp",
            (now_ms() + 1000).to_string(),
        ));
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let body = json!({
            "retCode": self.code, "retMsg": self.msg, "result": self.result,
            "retExtInfo": {}, "time": now_ms(),
        });
        let mut response = (self.http, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

pub(super) fn bad(msg: impl Into<String>) -> Reply {
    Reply::err(10001, msg)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters; an empty value counts as absent.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub(super) fn parse(query: &str) -> Self {
        Self(
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (percent_decode(name), percent_decode(value))
                })
                .collect(),
        )
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// An integer query parameter (a timestamp, a page size); absent is `None`.
    pub(super) fn int(&self, name: &str) -> Result<Option<i64>, Reply> {
        self.get(name)
            .map(|text| {
                text.parse::<i64>()
                    .map_err(|_| bad(format!("params error: {name} invalid")))
            })
            .transpose()
    }

    pub(super) fn linear(&self) -> Result<(), Reply> {
        match self.get("category") {
            Some("linear") => Ok(()),
            _ => Err(bad(
                "params error: category invalid (the simulator serves linear only)",
            )),
        }
    }
}

/// A string field of a JSON body; absent, null and "" are all "not given".
pub(super) fn text_field<'a>(body: &'a Value, name: &str) -> Result<Option<&'a str>, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("params error: {name} must be a string"))),
    }
}

/// An integer field: a JSON integer. Bybit documents these as integers; whether it also takes a
/// numeric string is not known, so that is a switch (`numericStringIntegers`, off by default).
pub(super) fn int_field(
    body: &Value,
    name: &str,
    numeric_strings: bool,
) -> Result<Option<i64>, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(format!("params error: {name} invalid"))),
        Some(Value::String(s)) if numeric_strings => s
            .parse()
            .map(Some)
            .map_err(|_| bad(format!("params error: {name} invalid"))),
        Some(_) => Err(bad(format!("params error: {name} must be an integer"))),
    }
}

pub(super) fn bool_field(body: &Value, name: &str) -> Result<bool, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(bad(format!("params error: {name} must be a boolean"))),
    }
}

pub(super) fn price_field(body: &Value, name: &str) -> Result<Option<f64>, Reply> {
    text_field(body, name)?
        .map(|text| parse_price(text).ok_or_else(|| bad(format!("params error: {name} invalid"))))
        .transpose()
}

pub(super) fn respond(outcome: Result<Value, Reply>) -> Reply {
    outcome.map_or_else(|reply| reply, Reply::ok)
}

pub(super) fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, Reply> {
    let json_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json_type {
        return Err(bad("params error: Content-Type must be application/json"));
    }
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| bad("params error: the body is not a JSON object"))
}
