//! The one error type of the API layer, shown to people as is.
//!
//! Its `Display` text is written for the user of the app (it ends up in the UI), while the
//! variant and [`GraphQlError::code`] are what code matches on: the server gives each error a
//! stable `code` extension (`UNAUTHENTICATED`, `NOT_FOUND`, …) and may reword messages freely.
//! Some codes carry more extensions, kept typed here: `field` (which argument an
//! `INVALID_INPUT` is about) and `retryAfterSeconds` (when a `RATE_LIMITED` caller may try
//! again). How forms word them is [`crate::feedback`]'s business.

use std::fmt;

/// Why a request to the server did not produce data.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The request never got an answer: server down, network gone, or the browser refused it.
    Network(String),
    /// The server answered with an HTTP error status and no GraphQL body.
    Status(u16),
    /// The answer was not the JSON this operation expects (for instance a proxy's error page).
    Decode(String),
    /// The request could not be encoded; a bug in the app rather than a server problem.
    Encode(String),
    /// The server executed the operation and reported errors.
    GraphQl(Vec<GraphQlError>),
    /// A well-formed answer that had neither data nor errors.
    NoData,
    /// The change needs a recent authentication and the user cancelled the password prompt:
    /// nothing was changed.
    ReauthDeclined,
}

/// The stable error codes of the API (`extensions.code`) that the app acts on.
pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const BAD_CREDENTIALS: &str = "BAD_CREDENTIALS";
    pub const TOTP_REQUIRED: &str = "TOTP_REQUIRED";
    pub const TOTP_INVALID: &str = "TOTP_INVALID";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const INVALID_INPUT: &str = "INVALID_INPUT";
    pub const EMAIL_TAKEN: &str = "EMAIL_TAKEN";
    pub const INTERNAL: &str = "INTERNAL";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// The broker key can withdraw funds: refused, nothing stored.
    pub const WITHDRAWAL_PERMISSION_REFUSED: &str = "WITHDRAWAL_PERMISSION_REFUSED";
    /// The broker key cannot trade what CopyTrade needs.
    pub const KEY_PERMISSION_REFUSED: &str = "KEY_PERMISSION_REFUSED";
    /// The broker refused the login or key.
    pub const BROKER_BAD_CREDENTIALS: &str = "BROKER_BAD_CREDENTIALS";
    /// The broker said no; its reason is in the message.
    pub const BROKER_REJECTED: &str = "BROKER_REJECTED";
    /// The broker could not be reached, or asked to slow down.
    pub const BROKER_UNAVAILABLE: &str = "BROKER_UNAVAILABLE";
    /// This version of the server has no adapter for the broker.
    pub const BROKER_UNSUPPORTED: &str = "BROKER_UNSUPPORTED";
    /// The change needs the password again (sudo mode): the last authentication of the
    /// session is more than 2 hours old.
    pub const REAUTH_REQUIRED: &str = "REAUTH_REQUIRED";
    /// The caller may not do this: an API token without the scope it needs.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// An email link (confirming the address, resetting the password) is unknown, was
    /// already used, or has expired.
    pub const LINK_INVALID: &str = "LINK_INVALID";
    /// This server sends no email, so nothing can be mailed.
    pub const MAIL_DISABLED: &str = "MAIL_DISABLED";
    /// Linking a live broker account waits until the email address is confirmed (on a
    /// server that sends email).
    pub const EMAIL_NOT_VERIFIED: &str = "EMAIL_NOT_VERIFIED";
}

/// One entry of a GraphQL response's `errors` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphQlError {
    pub message: String,
    /// The server's stable `extensions.code`, when it sent one.
    pub code: Option<String>,
    /// `extensions.field`: the argument an `INVALID_INPUT` error is about (`email`, …).
    pub field: Option<String>,
    /// `extensions.retryAfterSeconds`: how long a `RATE_LIMITED` caller must wait.
    pub retry_after_seconds: Option<u64>,
}

impl GraphQlError {
    pub fn has_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

impl ApiError {
    /// Whether the server was not reached at all, as opposed to answering with an error.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Network(_) | Self::Status(502..=504))
    }

    /// The first error the server reported, which is the one a form shows: each operation
    /// of this app fails for one reason at a time.
    pub fn server_error(&self) -> Option<&GraphQlError> {
        match self {
            Self::GraphQl(errors) => errors.first(),
            _ => None,
        }
    }

    /// Whether the server reported an error with this `code`.
    pub fn has_code(&self, code: &str) -> bool {
        matches!(self, Self::GraphQl(errors) if errors.iter().any(|error| error.has_code(code)))
    }

    /// The request needed a session and had none (never logged in, logged out, or revoked).
    pub fn is_unauthenticated(&self) -> bool {
        self.has_code(code::UNAUTHENTICATED)
    }

    /// Turns a parsed GraphQL response into its data or the errors it reported.
    ///
    /// Errors win over partial data: the operations this app runs are small, so a partial
    /// answer is treated as a failed one rather than rendered half-empty.
    pub(crate) fn check<T>(response: graphql_client::Response<T>) -> Result<T, Self> {
        match (response.data, response.errors) {
            (_, Some(errors)) if !errors.is_empty() => Err(Self::GraphQl(
                errors.into_iter().map(GraphQlError::from).collect(),
            )),
            (Some(data), _) => Ok(data),
            (None, _) => Err(Self::NoData),
        }
    }
}

impl From<graphql_client::Error> for GraphQlError {
    fn from(error: graphql_client::Error) -> Self {
        let extension = |name: &str| {
            error
                .extensions
                .as_ref()
                .and_then(|extensions| extensions.get(name))
        };
        let text = |name: &str| {
            extension(name)
                .and_then(|value| value.as_str())
                .map(str::to_owned)
        };
        let code = text("code");
        let field = text("field");
        let retry_after_seconds = extension("retryAfterSeconds").and_then(|value| value.as_u64());
        Self {
            message: error.message,
            code,
            field,
            retry_after_seconds,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(_) => f.write_str("The CopyTrade server cannot be reached."),
            Self::Status(status) => write!(f, "The server answered with HTTP status {status}."),
            Self::Decode(_) => {
                f.write_str("The server sent an answer this app does not understand.")
            }
            Self::Encode(detail) => write!(f, "The app could not build its request ({detail})."),
            Self::GraphQl(errors) => {
                let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
                if messages.is_empty() {
                    f.write_str("The server reported an error.")
                } else {
                    f.write_str(&messages.join(" "))
                }
            }
            Self::NoData => f.write_str("The server sent an empty answer."),
            Self::ReauthDeclined => {
                f.write_str("The action needs your password, so it was not done.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(json: &str) -> graphql_client::Response<serde_json::Value> {
        serde_json::from_str(json).expect("test JSON is valid")
    }

    #[test]
    fn data_without_errors_is_ok() {
        let checked = ApiError::check(response(r#"{"data":{"a":1}}"#));
        assert_eq!(checked, Ok(serde_json::json!({"a": 1})));
    }

    #[test]
    fn errors_win_over_partial_data_and_keep_their_code() {
        let checked = ApiError::check(response(
            r#"{"data":{"a":null},"errors":[{"message":"Not signed in","extensions":{"code":"UNAUTHENTICATED"}}]}"#,
        ));
        let expected = ApiError::GraphQl(vec![GraphQlError {
            message: "Not signed in".to_owned(),
            code: Some("UNAUTHENTICATED".to_owned()),
            field: None,
            retry_after_seconds: None,
        }]);
        assert_eq!(checked, Err(expected.clone()));
        assert!(expected.is_unauthenticated());
    }

    #[test]
    fn field_and_retry_extensions_are_kept() {
        let Err(error) = ApiError::check(response(
            r#"{"data":null,"errors":[
                {"message":"newPassword must be at least 10 characters","extensions":{"code":"INVALID_INPUT","field":"newPassword"}},
                {"message":"too many","extensions":{"code":"RATE_LIMITED","retryAfterSeconds":840}}
            ]}"#,
        )) else {
            panic!("errors must fail the check");
        };
        let first = error.server_error().expect("two errors");
        assert!(first.has_code(code::INVALID_INPUT));
        assert_eq!(first.field.as_deref(), Some("newPassword"));
        assert_eq!(first.retry_after_seconds, None);
        assert!(error.has_code(code::RATE_LIMITED));
        assert!(!error.is_unauthenticated());
        let ApiError::GraphQl(errors) = &error else {
            panic!("a GraphQL error");
        };
        assert_eq!(errors[1].retry_after_seconds, Some(840));
    }

    #[test]
    fn transport_failures_carry_no_server_error() {
        let error = ApiError::Network("offline".to_owned());
        assert_eq!(error.server_error(), None);
        assert!(!error.has_code(code::UNAUTHENTICATED));
    }

    #[test]
    fn an_empty_errors_list_is_not_an_error() {
        let checked = ApiError::check(response(r#"{"data":{"a":2},"errors":[]}"#));
        assert_eq!(checked, Ok(serde_json::json!({"a": 2})));
    }

    #[test]
    fn neither_data_nor_errors_is_no_data() {
        assert_eq!(
            ApiError::check(response(r#"{"data":null}"#)),
            Err(ApiError::NoData)
        );
    }
}
