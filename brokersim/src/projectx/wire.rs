//! The gateway's wire rules: how request bodies are read and what their answers look like.
//!
//! The gateway is ASP.NET Core with System.Text.Json, so a body is read the way that stack reads
//! it: property names match case-insensitively, unknown properties are ignored, an absent
//! non-nullable number is 0, and a value of the wrong JSON type (a string `accountId`, a
//! fractional `size`, a `null` where no null belongs) is never coerced: the request is refused
//! with HTTP 400 and a problem-details body naming the field. Business failures are HTTP 200
//! with `success:false` and an endpoint-specific `errorCode`.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value, json};

/// A request refused outright (HTTP 400, 415...), boxed: responses are large.
pub type Refused = Box<Response>;

/// A handler's result: the answer's payload, or a response that refuses the request.
pub type Answer = Result<Value, Refused>;

/// The venue's timestamp form: microseconds and an explicit offset.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// The success envelope around `payload` (an object).
pub fn success(payload: Value) -> Value {
    envelope(payload, 0, None)
}

/// A business failure: HTTP 200, `success:false`, the endpoint's own code.
pub fn failure(payload: Value, code: i64, message: Option<String>) -> Value {
    envelope(payload, code, message)
}

fn envelope(payload: Value, code: i64, message: Option<String>) -> Value {
    let mut object = match payload {
        Value::Object(object) => object,
        _ => Map::new(),
    };
    object.insert("success".to_owned(), Value::Bool(code == 0));
    object.insert("errorCode".to_owned(), json!(code));
    object.insert("errorMessage".to_owned(), json!(message));
    Value::Object(object)
}

fn trace_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("00-{id}-{}-00", &id[..16])
}

fn problem(status: StatusCode, kind: &str, title: &str, errors: Option<Value>) -> Response {
    let mut body = json!({
        "type": kind,
        "title": title,
        "status": status.as_u16(),
        "traceId": trace_id(),
    });
    if let (Some(errors), Value::Object(object)) = (errors, &mut body) {
        object.insert("errors".to_owned(), errors);
    }
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json; charset=utf-8"),
    );
    response
}

/// HTTP 400 as ASP.NET's model validation answers it.
pub fn validation_problem(errors: BTreeMap<String, Vec<String>>) -> Response {
    let mut errors = errors;
    // ASP.NET also reports the action's body parameter as missing once the body fails to bind.
    errors
        .entry("request".to_owned())
        .or_insert_with(|| vec!["The request field is required.".to_owned()]);
    problem(
        StatusCode::BAD_REQUEST,
        "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "One or more validation errors occurred.",
        Some(json!(errors)),
    )
}

fn unsupported_media_type() -> Response {
    problem(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        "Unsupported Media Type",
        None,
    )
}

fn is_json_media_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let media = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || media == "text/json" || media.ends_with("+json")
}

/// Reads a timestamp as System.Text.Json does: ISO 8601, with an offset or without (UTC).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(at.and_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

/// A JSON object body being read field by field; every type error is collected for the 400.
pub struct Fields {
    object: Map<String, Value>,
    path: String,
    errors: BTreeMap<String, Vec<String>>,
}

impl Fields {
    /// Parses a request body that must be a JSON object sent as JSON.
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, Refused> {
        if !is_json_media_type(headers) {
            return Err(Box::new(unsupported_media_type()));
        }
        let mut errors = BTreeMap::new();
        if body.iter().all(u8::is_ascii_whitespace) {
            errors.insert(
                String::new(),
                vec!["A non-empty request body is required.".to_owned()],
            );
            return Err(Box::new(validation_problem(errors)));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => Ok(Self {
                object,
                path: "$".to_owned(),
                errors,
            }),
            Ok(_) => {
                errors.insert(
                    "$".to_owned(),
                    vec![
                        "The JSON value could not be converted to the request type. Path: $"
                            .to_owned(),
                    ],
                );
                Err(Box::new(validation_problem(errors)))
            }
            Err(err) => {
                errors.insert("$".to_owned(), vec![format!("The JSON is invalid: {err}.")]);
                Err(Box::new(validation_problem(errors)))
            }
        }
    }

    /// The value of `name`, matched case-insensitively.
    fn get(&self, name: &str) -> Option<&Value> {
        self.object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    fn refuse(&mut self, name: &str, dotnet_type: &str) {
        let path = format!("{}.{name}", self.path);
        let message =
            format!("The JSON value could not be converted to {dotnet_type}. Path: {path}");
        self.errors.entry(path).or_default().push(message);
    }

    /// A nullable field: absent or `null` is `None`; any other JSON type than `expected` is
    /// refused.
    fn read<T>(
        &mut self,
        name: &str,
        dotnet_type: &str,
        convert: impl Fn(&Value) -> Option<T>,
    ) -> Option<T> {
        match self.get(name) {
            None | Some(Value::Null) => None,
            Some(value) => {
                let converted = convert(value);
                if converted.is_none() {
                    self.refuse(name, dotnet_type);
                }
                converted
            }
        }
    }

    /// A non-nullable field: absent is the type's default, `null` is refused.
    fn read_required<T: Default>(
        &mut self,
        name: &str,
        dotnet_type: &str,
        convert: impl Fn(&Value) -> Option<T>,
    ) -> T {
        if matches!(self.get(name), Some(Value::Null)) {
            self.refuse(name, dotnet_type);
            return T::default();
        }
        self.read(name, dotnet_type, convert).unwrap_or_default()
    }

    /// A 32-bit integer (`int`).
    pub fn int(&mut self, name: &str) -> i64 {
        self.read_required(name, "System.Int32", as_int32)
    }

    pub fn opt_int(&mut self, name: &str) -> Option<i64> {
        self.read(name, "System.Nullable`1[System.Int32]", as_int32)
    }

    /// A 64-bit integer (`long`), as order ids are.
    pub fn long(&mut self, name: &str) -> i64 {
        self.read_required(name, "System.Int64", Value::as_i64)
    }

    pub fn opt_long(&mut self, name: &str) -> Option<i64> {
        self.read(name, "System.Nullable`1[System.Int64]", Value::as_i64)
    }

    /// A `decimal?`: any JSON number.
    pub fn opt_decimal(&mut self, name: &str) -> Option<f64> {
        self.read(name, "System.Nullable`1[System.Decimal]", Value::as_f64)
    }

    pub fn opt_text(&mut self, name: &str) -> Option<String> {
        self.read(name, "System.String", |v| v.as_str().map(str::to_owned))
    }

    pub fn flag(&mut self, name: &str) -> bool {
        self.read_required(name, "System.Boolean", Value::as_bool)
    }

    pub fn opt_flag(&mut self, name: &str) -> Option<bool> {
        self.read(name, "System.Nullable`1[System.Boolean]", Value::as_bool)
    }

    pub fn opt_timestamp(&mut self, name: &str) -> Option<DateTime<Utc>> {
        self.read(name, "System.Nullable`1[System.DateTime]", |v| {
            v.as_str().and_then(parse_timestamp)
        })
    }

    /// A list of 32-bit integers; absent or `null` is `None`.
    pub fn opt_ints(&mut self, name: &str) -> Option<Vec<i64>> {
        self.read(name, "System.Int32[]", |v| {
            v.as_array()?.iter().map(as_int32).collect()
        })
    }

    /// A nested object, read with the same rules; give it back with [`Fields::absorb`].
    pub fn opt_object(&mut self, name: &str) -> Option<Fields> {
        let object = self.read(name, "an object", |v| v.as_object().cloned())?;
        Some(Fields {
            object,
            path: format!("{}.{name}", self.path),
            errors: BTreeMap::new(),
        })
    }

    /// Takes a nested object's errors into this one's.
    pub fn absorb(&mut self, nested: Fields) {
        for (path, messages) in nested.errors {
            self.errors.entry(path).or_default().extend(messages);
        }
    }

    /// Refuses the request if any field had the wrong type.
    pub fn finish(self) -> Result<(), Refused> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Box::new(validation_problem(self.errors)))
        }
    }
}

fn as_int32(value: &Value) -> Option<i64> {
    value.as_i64().filter(|n| i32::try_from(*n).is_ok())
}
