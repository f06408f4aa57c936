//! The one place service errors become GraphQL errors, each with a stable `extensions.code`
//! that clients match on. Internal details are logged, never sent.

use async_graphql::{Error, ErrorExtensions};

use crate::auth::AuthError;

/// Error codes of the API (the contract; never rename one).
pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const BAD_CREDENTIALS: &str = "BAD_CREDENTIALS";
    pub const TOTP_REQUIRED: &str = "TOTP_REQUIRED";
    pub const TOTP_INVALID: &str = "TOTP_INVALID";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const INVALID_INPUT: &str = "INVALID_INPUT";
    pub const EMAIL_TAKEN: &str = "EMAIL_TAKEN";
    pub const INTERNAL: &str = "INTERNAL";
}

/// Maps an account error (resolvers: `.map_err(auth_error)`).
pub fn auth_error(err: AuthError) -> Error {
    match err {
        AuthError::InvalidInput { field, message } => Error::new(format!("{field} {message}"))
            .extend_with(|_, ext| {
                ext.set("code", code::INVALID_INPUT);
                ext.set("field", field);
            }),
        AuthError::EmailTaken => with_code(&err, code::EMAIL_TAKEN),
        AuthError::BadCredentials => with_code(&err, code::BAD_CREDENTIALS),
        AuthError::TotpRequired => with_code(&err, code::TOTP_REQUIRED),
        AuthError::TotpInvalid => with_code(&err, code::TOTP_INVALID),
        AuthError::RateLimited {
            retry_after_seconds,
        } => Error::new(err.to_string()).extend_with(|_, ext| {
            ext.set("code", code::RATE_LIMITED);
            ext.set("retryAfterSeconds", retry_after_seconds);
        }),
        AuthError::Unauthenticated => with_code(&err, code::UNAUTHENTICATED),
        AuthError::Internal(detail) => internal(&detail),
    }
}

fn with_code(err: &impl std::fmt::Display, code: &'static str) -> Error {
    Error::new(err.to_string()).extend_with(|_, ext| ext.set("code", code))
}

/// Logs the detail and answers only that something went wrong.
pub fn internal(detail: &str) -> Error {
    tracing::error!(error = %detail, "internal error");
    Error::new("internal error").extend_with(|_, ext| ext.set("code", code::INTERNAL))
}
