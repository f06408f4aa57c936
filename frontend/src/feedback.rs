//! How the server's errors read in forms: under the input they are about, or above the form.
//!
//! Rules: forms act on the stable codes ([`crate::api::code`]), never on message text. The
//! server's own words are used only for `INVALID_INPUT`, whose text states the rule that failed
//! ("must be at least 10 characters") and goes under the input its `field` extension names;
//! everything else is worded here, for people. Pure functions, tested on the host.

use crate::api::{ApiError, code};
use crate::format::sentence;

/// What a form holds, so an error can find its input.
#[derive(Clone, Copy, Debug)]
pub struct Form {
    /// The inputs, as (API argument they fill, label in sentence case): `("newPassword", "New
    /// password")`. A server error naming another argument is shown above the form.
    pub fields: &'static [(&'static str, &'static str)],
    /// The input a wrong password (`BAD_CREDENTIALS`) is about. `None` on the log-in form,
    /// where it may be the email as well, so the message goes above the form.
    pub password_field: Option<&'static str>,
    /// The input of the second factor: `TOTP_REQUIRED` and `TOTP_INVALID` go there.
    pub code_field: Option<&'static str>,
    /// Whether that input also takes a backup code (all but the first confirmation, when
    /// there are no backup codes yet), so the messages can suggest one.
    pub backup_codes: bool,
}

impl Form {
    /// A button without inputs: every message goes above it.
    pub const BUTTON: Self = Self {
        fields: &[],
        password_field: None,
        code_field: None,
        backup_codes: false,
    };
}

/// A form's messages after a failed submission.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Feedback {
    /// Shown above the form as an alert.
    pub general: Option<String>,
    /// Shown under one input: (the input's API argument, the message).
    pub field: Option<(&'static str, String)>,
}

impl Feedback {
    /// A message above the form.
    pub fn general(message: impl Into<String>) -> Self {
        Self {
            general: Some(message.into()),
            field: None,
        }
    }

    /// A message under the input `field`.
    pub fn at(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            general: None,
            field: Some((field, message.into())),
        }
    }

    /// The message for the input `name`, if there is one.
    pub fn for_field(&self, name: &str) -> Option<String> {
        self.field
            .as_ref()
            .filter(|(field, _)| *field == name)
            .map(|(_, message)| message.clone())
    }

    /// Words `error` for `form`.
    pub fn from_error(error: &ApiError, form: &Form) -> Self {
        let Some(server) = error.server_error() else {
            // Not reached, or not understood: the error's own text is written for people.
            return Self::general(error.to_string());
        };
        let at_or_general = |field: Option<&'static str>, message: &str| match field {
            Some(field) => Self::at(field, message),
            None => Self::general(message),
        };
        match server.code.as_deref() {
            Some(code::BAD_CREDENTIALS) => match form.password_field {
                Some(field) => Self::at(field, "That is not your current password."),
                None => Self::general("Wrong email or password."),
            },
            Some(code::TOTP_REQUIRED) if form.backup_codes => at_or_general(
                form.code_field,
                "Enter the 6-digit code from your authenticator app, or a backup code.",
            ),
            Some(code::TOTP_REQUIRED) => at_or_general(
                form.code_field,
                "Enter the 6-digit code from your authenticator app.",
            ),
            Some(code::TOTP_INVALID) if form.backup_codes => at_or_general(
                form.code_field,
                "That code is wrong or was already used. Wait for the next code, or use a backup code.",
            ),
            Some(code::TOTP_INVALID) => at_or_general(
                form.code_field,
                "That code is wrong or was already used. Enter the code your app shows now.",
            ),
            Some(code::RATE_LIMITED) => Self::general(match server.retry_after_seconds {
                Some(seconds) => {
                    format!("Too many attempts. Try again in {}.", wait_label(seconds))
                }
                None => "Too many attempts. Try again later.".to_owned(),
            }),
            Some(code::INVALID_INPUT) => {
                invalid_input(server.field.as_deref(), &server.message, form)
            }
            Some(code::EMAIL_TAKEN) => at_or_general(
                field_named(form, "email"),
                "An account with this email already exists.",
            ),
            Some(code::WITHDRAWAL_PERMISSION_REFUSED) => Self::general(
                "This key can withdraw funds, so CopyTrade refused it and stored nothing. Make a trade-only key with withdrawals off, and link that one.",
            ),
            Some(code::KEY_PERMISSION_REFUSED) => Self::general(
                "This key is not allowed to trade what CopyTrade copies. Give it trading rights (and nothing more), or make a new one.",
            ),
            Some(code::BROKER_BAD_CREDENTIALS) => Self::general(
                "The broker refused these credentials. Check each field against what the broker shows, and try again.",
            ),
            Some(code::BROKER_UNAVAILABLE) => Self::general(
                "The broker could not be reached just now, so nothing was changed. Try again in a minute.",
            ),
            // The server's text names the broker and why ("… accounts cannot be linked yet"),
            // and the broker's own reason for a refusal is worth reading as is.
            Some(code::BROKER_UNSUPPORTED | code::BROKER_REJECTED) => {
                Self::general(sentence(&server.message))
            }
            Some(code::LINK_INVALID) => Self::general(
                "This link does not work: it is unknown, was already used, or has expired. Ask for a new one.",
            ),
            Some(code::MAIL_DISABLED) => Self::general(
                "This server sends no email, so nothing could be sent. Ask whoever runs this server.",
            ),
            // The banner over every page offers the link again while the address is unconfirmed.
            Some(code::EMAIL_NOT_VERIFIED) => Self::general(
                "Confirm your email address first: open the link we mailed you, or use “Send the link again” at the top of the page.",
            ),
            Some(code::NOT_FOUND) => {
                Self::general("That no longer exists: it may have been removed in another window.")
            }
            Some(code::UNAUTHENTICATED) => Self::general("Your session has ended. Log in again."),
            // Only when no password prompt could ask (the app always mounts one).
            Some(code::REAUTH_REQUIRED) => Self::general(
                "This change needs your password again. Reload the page and try once more.",
            ),
            Some(code::FORBIDDEN) => Self::general("This session is not allowed to do that."),
            Some(code::INTERNAL) => {
                Self::general("Something went wrong on the server. Try again in a moment.")
            }
            _ => Self::general(sentence(&server.message)),
        }
    }
}

/// `INVALID_INPUT`: the server says `<argument> <rule>` ("newPassword must be at least 10
/// characters"), and the rule goes under the input, led by the input's label ("New password
/// must be at least 10 characters."); or it says `<argument>: <text>` ("credentials: OKX needs
/// apiKey…"), and the text goes under the input on its own.
fn invalid_input(field: Option<&str>, message: &str, form: &Form) -> Feedback {
    let rule = |name: &str| {
        message
            .strip_prefix(name)
            .map(str::trim_start)
            .filter(|rest| !rest.is_empty())
            .unwrap_or(message)
    };
    let under = |name: &str, label: &str| {
        let rule = rule(name);
        match rule.strip_prefix(':').map(str::trim_start) {
            Some(text) if !text.is_empty() => sentence(text),
            _ => sentence(&format!("{label} {rule}")),
        }
    };
    match field {
        Some(name) => match form.fields.iter().find(|(argument, _)| *argument == name) {
            Some(&(argument, label)) => Feedback::at(argument, under(name, label)),
            // `totp` is the account's two-factor state, not an input ("is already on").
            None if name == "totp" => {
                Feedback::general(sentence(&format!("Two-factor login {}", rule(name))))
            }
            None => Feedback::general(sentence(message)),
        },
        None => Feedback::general(sentence(message)),
    }
}

fn field_named(form: &Form, name: &str) -> Option<&'static str> {
    form.fields
        .iter()
        .find(|(argument, _)| *argument == name)
        .map(|&(argument, _)| argument)
}

/// `840` reads `14 minutes`: whole minutes rounded up (waiting a little longer is safe),
/// seconds under a minute.
pub fn wait_label(seconds: u64) -> String {
    let plural = |count: u64, unit: &str| {
        if count == 1 {
            format!("1 {unit}")
        } else {
            format!("{count} {unit}s")
        }
    };
    if seconds < 60 {
        plural(seconds.max(1), "second")
    } else {
        plural(seconds.div_ceil(60), "minute")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::GraphQlError;

    const LOGIN: Form = Form {
        fields: &[
            ("email", "Email"),
            ("password", "Password"),
            ("totpCode", "Code"),
        ],
        password_field: None,
        code_field: Some("totpCode"),
        backup_codes: true,
    };
    const CHANGE_PASSWORD: Form = Form {
        fields: &[
            ("currentPassword", "Current password"),
            ("newPassword", "New password"),
            ("totpCode", "Code"),
        ],
        password_field: Some("currentPassword"),
        code_field: Some("totpCode"),
        backup_codes: true,
    };

    fn server(code: &str, message: &str, field: Option<&str>, retry: Option<u64>) -> ApiError {
        ApiError::GraphQl(vec![GraphQlError {
            message: message.to_owned(),
            code: Some(code.to_owned()),
            field: field.map(str::to_owned),
            retry_after_seconds: retry,
        }])
    }

    #[test]
    fn a_wrong_password_is_general_on_log_in_and_at_the_field_elsewhere() {
        let error = server(code::BAD_CREDENTIALS, "wrong email or password", None, None);
        assert_eq!(
            Feedback::from_error(&error, &LOGIN),
            Feedback::general("Wrong email or password.")
        );
        let feedback = Feedback::from_error(&error, &CHANGE_PASSWORD);
        assert_eq!(
            feedback.for_field("currentPassword").as_deref(),
            Some("That is not your current password.")
        );
        assert_eq!(feedback.for_field("newPassword"), None);
        assert_eq!(feedback.general, None);
    }

    #[test]
    fn invalid_input_goes_under_its_field_led_by_the_label() {
        let error = server(
            code::INVALID_INPUT,
            "newPassword must be at least 10 characters",
            Some("newPassword"),
            None,
        );
        assert_eq!(
            Feedback::from_error(&error, &CHANGE_PASSWORD),
            Feedback::at(
                "newPassword",
                "New password must be at least 10 characters."
            )
        );
        let common = server(
            code::INVALID_INPUT,
            "password is too common: choose one that is not on lists of popular passwords",
            Some("password"),
            None,
        );
        assert_eq!(
            Feedback::from_error(&common, &LOGIN)
                .for_field("password")
                .as_deref(),
            Some("Password is too common: choose one that is not on lists of popular passwords.")
        );
    }

    #[test]
    fn invalid_input_with_a_colon_puts_the_servers_text_under_the_input() {
        const LINK: Form = Form {
            fields: &[
                ("label", "Label"),
                ("credentials", "Credentials"),
                ("totpCode", "Code"),
            ],
            password_field: None,
            code_field: Some("totpCode"),
            backup_codes: true,
        };
        let missing = server(
            code::INVALID_INPUT,
            "credentials: OKX needs apiKey, apiSecret and passphrase",
            Some("credentials"),
            None,
        );
        assert_eq!(
            Feedback::from_error(&missing, &LINK),
            Feedback::at("credentials", "OKX needs apiKey, apiSecret and passphrase.")
        );
        let empty = server(
            code::INVALID_INPUT,
            "label: must not be empty",
            Some("label"),
            None,
        );
        assert_eq!(
            Feedback::from_error(&empty, &LINK)
                .for_field("label")
                .as_deref(),
            Some("Must not be empty.")
        );
    }

    #[test]
    fn broker_refusals_are_worded_here_and_unsupported_brokers_keep_the_servers_words() {
        let unsupported = server(
            code::BROKER_UNSUPPORTED,
            "OKX accounts cannot be linked yet: this version of CopyTrade has no adapter for it",
            None,
            None,
        );
        assert_eq!(
            Feedback::from_error(&unsupported, &LOGIN),
            Feedback::general(
                "OKX accounts cannot be linked yet: this version of CopyTrade has no adapter for it."
            )
        );
        let withdraw = server(
            code::WITHDRAWAL_PERMISSION_REFUSED,
            "this Bybit key can withdraw funds",
            None,
            None,
        );
        assert!(
            Feedback::from_error(&withdraw, &LOGIN)
                .general
                .is_some_and(|m| m.contains("stored nothing"))
        );
        for code in [
            code::KEY_PERMISSION_REFUSED,
            code::BROKER_BAD_CREDENTIALS,
            code::BROKER_UNAVAILABLE,
            code::NOT_FOUND,
        ] {
            let feedback = Feedback::from_error(&server(code, "detail: x", None, None), &LOGIN);
            let message = feedback.general.expect(code);
            assert!(!message.contains("detail"), "{code}: {message}");
        }
    }

    #[test]
    fn invalid_input_about_no_input_of_the_form_is_general() {
        let totp = server(
            code::INVALID_INPUT,
            "totp is already on: turn it off first to set up a new authenticator",
            Some("totp"),
            None,
        );
        assert_eq!(
            Feedback::from_error(&totp, &LOGIN),
            Feedback::general(
                "Two-factor login is already on: turn it off first to set up a new authenticator."
            )
        );
        let other = server(
            code::INVALID_INPUT,
            "first must be positive",
            Some("first"),
            None,
        );
        assert_eq!(
            Feedback::from_error(&other, &LOGIN),
            Feedback::general("First must be positive.")
        );
    }

    #[test]
    fn second_factor_errors_go_to_the_code_input() {
        let invalid = server(code::TOTP_INVALID, "that code is wrong", None, None);
        let feedback = Feedback::from_error(&invalid, &LOGIN);
        assert!(
            feedback
                .for_field("totpCode")
                .is_some_and(|m| m.contains("already used"))
        );
        let first_code = Form {
            fields: &[("code", "Code")],
            password_field: None,
            code_field: Some("code"),
            backup_codes: false,
        };
        let feedback = Feedback::from_error(&invalid, &first_code);
        assert!(
            feedback
                .for_field("code")
                .is_some_and(|m| !m.contains("backup"))
        );
        let no_code_input = Form {
            fields: &[],
            password_field: None,
            code_field: None,
            backup_codes: false,
        };
        let required = server(code::TOTP_REQUIRED, "enter the code", None, None);
        assert!(
            Feedback::from_error(&required, &no_code_input)
                .general
                .is_some()
        );
    }

    #[test]
    fn rate_limits_say_when_to_try_again() {
        let limited = server(code::RATE_LIMITED, "too many", None, Some(840));
        assert_eq!(
            Feedback::from_error(&limited, &LOGIN),
            Feedback::general("Too many attempts. Try again in 14 minutes.")
        );
        let unknown = server(code::RATE_LIMITED, "too many", None, None);
        assert_eq!(
            Feedback::from_error(&unknown, &LOGIN).general.as_deref(),
            Some("Too many attempts. Try again later.")
        );
    }

    #[test]
    fn waits_round_up_to_whole_minutes() {
        assert_eq!(wait_label(0), "1 second");
        assert_eq!(wait_label(1), "1 second");
        assert_eq!(wait_label(45), "45 seconds");
        assert_eq!(wait_label(60), "1 minute");
        assert_eq!(wait_label(61), "2 minutes");
        assert_eq!(wait_label(840), "14 minutes");
        assert_eq!(wait_label(841), "15 minutes");
    }

    #[test]
    fn a_cancelled_password_prompt_says_the_action_was_not_done() {
        let feedback = Feedback::from_error(&ApiError::ReauthDeclined, &CHANGE_PASSWORD);
        assert_eq!(
            feedback.general.as_deref(),
            Some("The action needs your password, so it was not done.")
        );
        assert_eq!(feedback.field, None);
        let refused = server(
            code::REAUTH_REQUIRED,
            "confirm your password to continue",
            None,
            None,
        );
        assert!(
            Feedback::from_error(&refused, &LOGIN)
                .general
                .is_some_and(|message| message.contains("needs your password"))
        );
    }

    #[test]
    fn mail_errors_read_in_words() {
        let invalid = server(
            code::LINK_INVALID,
            "link_invalid: token unknown",
            None,
            None,
        );
        let message = Feedback::from_error(&invalid, &LOGIN)
            .general
            .expect("above the form");
        assert!(message.contains("Ask for a new one"), "{message}");
        assert!(!message.contains("token"), "{message}");
        let disabled = server(code::MAIL_DISABLED, "mail is disabled", None, None);
        assert!(
            Feedback::from_error(&disabled, &Form::BUTTON)
                .general
                .is_some_and(|message| message.starts_with("This server sends no email"))
        );
        let unverified = server(
            code::EMAIL_NOT_VERIFIED,
            "confirm your email address first: open the link we mailed you (Settings can send it again)",
            None,
            None,
        );
        let message = Feedback::from_error(&unverified, &LOGIN)
            .general
            .expect("above the form");
        assert!(
            message.starts_with("Confirm your email address first"),
            "{message}"
        );
        assert!(message.contains("Send the link again"), "{message}");
    }

    #[test]
    fn a_taken_email_is_shown_at_the_email() {
        let taken = server(code::EMAIL_TAKEN, "exists", None, None);
        assert_eq!(
            Feedback::from_error(&taken, &LOGIN)
                .for_field("email")
                .as_deref(),
            Some("An account with this email already exists.")
        );
    }

    #[test]
    fn internal_and_transport_errors_never_show_details() {
        let internal = server(code::INTERNAL, "internal error", None, None);
        assert_eq!(
            Feedback::from_error(&internal, &LOGIN).general.as_deref(),
            Some("Something went wrong on the server. Try again in a moment.")
        );
        let offline = ApiError::Network("TypeError: Failed to fetch".to_owned());
        assert_eq!(
            Feedback::from_error(&offline, &LOGIN).general.as_deref(),
            Some("The CopyTrade server cannot be reached.")
        );
    }
}
