//! The one place service errors become GraphQL errors, each with a stable `extensions.code`
//! that clients match on. Internal details are logged, never sent.

use async_graphql::{Error, ErrorExtensions};

use crate::auth::AuthError;
use crate::brokers::BrokerError;
use crate::connections::ConnectionError;
use crate::copier::CopierError;
use crate::signals::SignalsError;

/// Error codes of the API (the contract; never rename one).
pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const BAD_CREDENTIALS: &str = "BAD_CREDENTIALS";
    pub const TOTP_REQUIRED: &str = "TOTP_REQUIRED";
    pub const TOTP_INVALID: &str = "TOTP_INVALID";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const INVALID_INPUT: &str = "INVALID_INPUT";
    /// The request itself is malformed or not allowed in this shape (not JSON, a batch, two
    /// factor checks in one operation, a query over the subscription socket).
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    pub const EMAIL_TAKEN: &str = "EMAIL_TAKEN";
    pub const INTERNAL: &str = "INTERNAL";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// The caller cannot do this at all: an API token without the scope, or on an account field.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// A sensitive change needs a password check from the last 2 hours: call `reauthenticate`.
    pub const REAUTH_REQUIRED: &str = "REAUTH_REQUIRED";
    /// The key can withdraw funds: refused, nothing stored.
    pub const WITHDRAWAL_PERMISSION_REFUSED: &str = "WITHDRAWAL_PERMISSION_REFUSED";
    /// The key cannot trade what CopyTrade needs.
    pub const KEY_PERMISSION_REFUSED: &str = "KEY_PERMISSION_REFUSED";
    /// The broker refused the login or key.
    pub const BROKER_BAD_CREDENTIALS: &str = "BROKER_BAD_CREDENTIALS";
    /// The broker said no (reason in the message).
    pub const BROKER_REJECTED: &str = "BROKER_REJECTED";
    /// The broker could not be reached or asked to slow down; try again later.
    pub const BROKER_UNAVAILABLE: &str = "BROKER_UNAVAILABLE";
    /// This version has no adapter for the broker.
    pub const BROKER_UNSUPPORTED: &str = "BROKER_UNSUPPORTED";
    /// The broker wants the user to act first (a captcha, an agreement): the message says what.
    pub const BROKER_ACTION_REQUIRED: &str = "BROKER_ACTION_REQUIRED";
    /// A mailed link (email verification, password reset) is unknown, used or expired.
    pub const LINK_INVALID: &str = "LINK_INVALID";
    /// This server sends no email (no COPYTRADE_SMTP_URL).
    pub const MAIL_DISABLED: &str = "MAIL_DISABLED";
    /// Linking a live broker account needs a confirmed email address.
    pub const EMAIL_NOT_VERIFIED: &str = "EMAIL_NOT_VERIFIED";
    /// A stored setting cannot be read; saving it again mends it.
    pub const SETTINGS_UNREADABLE: &str = "SETTINGS_UNREADABLE";
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
        AuthError::NotFound(_) => with_code(&err, code::NOT_FOUND),
        AuthError::LinkInvalid => with_code(&err, code::LINK_INVALID),
        AuthError::MailDisabled => with_code(&err, code::MAIL_DISABLED),
        AuthError::EmailNotVerified => with_code(&err, code::EMAIL_NOT_VERIFIED),
        AuthError::Internal(detail) => internal(&detail),
    }
}

/// Maps a broker-connection error.
pub fn connection_error(err: ConnectionError) -> Error {
    match err {
        ConnectionError::InvalidInput { field, message } => invalid_input(field, &message),
        ConnectionError::Credentials(_) => invalid_input("credentials", &err.to_string()),
        ConnectionError::WithdrawalRefused { .. } => {
            with_code(&err, code::WITHDRAWAL_PERMISSION_REFUSED)
        }
        ConnectionError::TradingNotAllowed { .. } => with_code(&err, code::KEY_PERMISSION_REFUSED),
        ConnectionError::NotFound => with_code(&err, code::NOT_FOUND),
        ConnectionError::RateLimited {
            retry_after_seconds,
        } => Error::new(err.to_string()).extend_with(|_, ext| {
            ext.set("code", code::RATE_LIMITED);
            ext.set("retryAfterSeconds", retry_after_seconds);
        }),
        ConnectionError::Auth(auth) => auth_error(auth),
        ConnectionError::Broker(ref broker) => {
            let code = match broker {
                BrokerError::BadCredentials(_) => code::BROKER_BAD_CREDENTIALS,
                BrokerError::PermissionDenied(_) => code::KEY_PERMISSION_REFUSED,
                BrokerError::ActionRequired(_) => code::BROKER_ACTION_REQUIRED,
                BrokerError::RateLimited { .. }
                | BrokerError::Transient(_)
                | BrokerError::UnknownOutcome(_)
                | BrokerError::Unreadable(_) => code::BROKER_UNAVAILABLE,
                BrokerError::Rejected(_)
                | BrokerError::UnknownSymbol(_)
                | BrokerError::UnknownAccount(_) => code::BROKER_REJECTED,
                BrokerError::Unsupported(_) => code::BROKER_UNSUPPORTED,
            };
            with_code(&err, code)
        }
        ConnectionError::Internal(detail) => internal(&detail),
    }
}

/// Maps a webhook error.
pub fn signals_error(err: SignalsError) -> Error {
    match err {
        SignalsError::InvalidInput { field, message } => invalid_input(field, &message),
        SignalsError::NotFound => with_code(&err, code::NOT_FOUND),
        SignalsError::Internal(detail) => internal(&detail),
    }
}

/// Maps a copy-group, trade-log or kill-switch error.
pub fn copier_error(err: CopierError) -> Error {
    match err {
        CopierError::InvalidInput { field, message } => invalid_input(field, &message),
        CopierError::NotFound(_) => with_code(&err, code::NOT_FOUND),
        CopierError::Broker(broker) => connection_error(ConnectionError::Broker(broker)),
        CopierError::Unreadable(_) => with_code(&err, code::SETTINGS_UNREADABLE),
        CopierError::Internal(detail) => internal(&detail),
    }
}

fn invalid_input(field: &'static str, message: &str) -> Error {
    Error::new(format!("{field}: {message}")).extend_with(|_, ext| {
        ext.set("code", code::INVALID_INPUT);
        ext.set("field", field);
    })
}

fn with_code(err: &impl std::fmt::Display, code: &'static str) -> Error {
    Error::new(err.to_string()).extend_with(|_, ext| ext.set("code", code))
}

/// Logs the detail and answers only that something went wrong.
pub fn internal(detail: &str) -> Error {
    tracing::error!(error = %detail, "internal error");
    Error::new("internal error").extend_with(|_, ext| ext.set("code", code::INTERNAL))
}
