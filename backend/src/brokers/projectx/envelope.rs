//! The gateway's answers read: the envelope every answer carries (`success`, `errorCode`,
//! `errorMessage`), ASP.NET's problem answers to a refused request, and how long a 429 asks
//! to wait.

use std::time::Duration;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A 429 without a readable `Retry-After` waits this long; any wait is kept within bounds.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// A consistent answer envelope: `code` 0 is success.
pub struct Answer {
    pub code: i64,
    pub message: Option<String>,
    pub body: Value,
}

/// How long a 429 asks to wait: `Retry-After` in seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Duration {
    let Some(value) = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    else {
        return DEFAULT_RETRY_AFTER;
    };
    let wait = if let Ok(seconds) = value.parse::<f64>() {
        (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
    } else {
        DateTime::parse_from_rfc2822(value)
            .ok()
            .map(|at| (at.with_timezone(&Utc) - now).to_std().unwrap_or_default())
    };
    wait.unwrap_or(DEFAULT_RETRY_AFTER)
        .clamp(Duration::from_millis(100), MAX_RETRY_AFTER)
}

/// Reads the envelope; an inconsistent one (`success` and `errorCode` disagreeing) is an
/// error, never a success.
pub fn envelope(body: &[u8]) -> Result<Answer, String> {
    let body: Value = serde_json::from_slice(body).map_err(|_| "an answer that is not JSON")?;
    let success = body["success"].as_bool();
    let code = body["errorCode"].as_i64();
    let (Some(success), Some(code)) = (success, code) else {
        return Err("an answer without success and errorCode".into());
    };
    if success != (code == 0) {
        return Err(format!(
            "an inconsistent answer (success {success} with errorCode {code})"
        ));
    }
    let message = body["errorMessage"].as_str().map(str::to_owned);
    Ok(Answer {
        code,
        message,
        body,
    })
}

/// The title and the fields named by an ASP.NET problem answer, never the whole body.
pub fn problem(body: &[u8]) -> String {
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return String::new();
    };
    let title = body["title"].as_str().unwrap_or_default();
    let fields: Vec<&str> = body["errors"]
        .as_object()
        .map(|errors| errors.keys().map(String::as_str).collect())
        .unwrap_or_default();
    match (title.is_empty(), fields.is_empty()) {
        (true, true) => String::new(),
        (_, true) => format!(": {title}"),
        _ => format!(": {title} ({})", fields.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .map(|at| at.with_timezone(&Utc))
            .expect("a date");
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), DEFAULT_RETRY_AFTER);
        headers.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Duration::from_secs(7));
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Tue, 01 Dec 2026 10:00:12 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Duration::from_secs(12));
        headers.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), DEFAULT_RETRY_AFTER);
    }

    #[test]
    fn inconsistent_envelopes_are_never_success() {
        assert!(envelope(br#"{"success":true,"errorCode":3,"errorMessage":null}"#).is_err());
        assert!(envelope(br#"{"success":false,"errorCode":0,"errorMessage":null}"#).is_err());
        assert!(envelope(br#"{"errorCode":0}"#).is_err());
        assert!(envelope(b"pong").is_err());
        let refused = envelope(br#"{"success":false,"errorCode":2,"errorMessage":"no"}"#)
            .expect("a consistent failure");
        assert_eq!((refused.code, refused.message.as_deref()), (2, Some("no")));
    }

    #[test]
    fn problems_name_the_fields_not_the_body() {
        let body =
            br#"{"title":"One or more validation errors occurred.","errors":{"$.size":["bad"]}}"#;
        assert_eq!(
            problem(body),
            ": One or more validation errors occurred. ($.size)"
        );
        assert_eq!(problem(b""), "");
    }
}
