//! `/reset-password?token=…`: the page the reset email links to. A new password (the sign-up
//! rules), then, for an account with two-factor login, a second step for the code; the server
//! logs this browser in, ends every other session, and the user lands on the dashboard, which
//! says what happened.
//!
//! Why the second step: a reset link proves only that someone reads the mailbox. With
//! two-factor login on, the authenticator must agree too, or a stolen mailbox would open the
//! account. The token and the new password stay on this page between the steps (the server
//! keeps no half-done reset), and nothing is spent until the server accepts all of it.
//!
//! Whether a link works is the server's call, made when the form is sent: a link that is
//! unknown, used or expired (`LINK_INVALID`), or a page opened without a token, shows the same
//! "does not work" state, with the way to a new link.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use super::dashboard::Arrival;
use crate::api::operations::{ResetPassword as ResetPasswordMutation, reset_password};
use crate::api::{code, fetch};
use crate::app::Route;
use crate::components::{
    AuthCard, FormAlert, SubmitButton, TextField, User, use_field, use_link_token, use_session,
    use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[("newPassword", "New password"), ("totpCode", "Code")],
    password_field: None,
    code_field: Some("totpCode"),
    backup_codes: true,
};

/// Which step the form is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Password,
    /// The account has two-factor login: the code, with the password typed before.
    SecondFactor,
}

#[component]
pub fn ResetPassword() -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let token = use_link_token();
    let step = use_state_eq(|| Step::Password);
    let password = use_field();
    let code = use_field();
    let submission = use_submission();
    // The server said the link does not work (or it had no token).
    let refused = use_state_eq(|| false);

    let onsubmit = {
        let (step, password, code, refused) = (
            step.clone(),
            password.clone(),
            code.clone(),
            refused.clone(),
        );
        let (submission, session, token) = (submission.clone(), session.clone(), token.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(token) = token.clone() else {
                refused.set(true);
                return;
            };
            if password.text().is_empty() {
                step.set(Step::Password);
                submission.refuse(Feedback::at("newPassword", "Enter a new password."));
                return;
            }
            let totp_code = match *step {
                Step::Password => None,
                Step::SecondFactor if code.is_blank() => {
                    submission.refuse(Feedback::at("totpCode", "Enter the code."));
                    return;
                }
                Step::SecondFactor => Some(code.text().trim().to_owned()),
            };
            if !submission.begin() {
                return;
            }
            let variables = reset_password::Variables {
                token,
                new_password: password.text(),
                totp_code,
            };
            let (step, code, refused) = (step.clone(), code.clone(), refused.clone());
            let (submission, session, navigator) =
                (submission.clone(), session.clone(), navigator.clone());
            // Every other session ends, this browser's old one too if it had one: the check
            // its closing socket sets off must not log out the session that replaces it.
            let hold = session.hold();
            spawn_local(async move {
                let result = fetch::<ResetPasswordMutation>(variables).await;
                match result {
                    Ok(data) => {
                        session.started.emit(User::from(data.reset_password.user));
                        drop(hold);
                        submission.finish();
                        if let Some(navigator) = navigator {
                            navigator.replace_with_state(&Route::Dashboard, Arrival::PasswordReset);
                        }
                    }
                    Err(error) => {
                        drop(hold);
                        if error.has_code(code::LINK_INVALID) {
                            submission.finish();
                            refused.set(true);
                        } else if error.has_code(code::TOTP_REQUIRED) && *step == Step::Password {
                            submission.finish();
                            code.clear();
                            step.set(Step::SecondFactor);
                        } else {
                            let feedback = Feedback::from_error(&error, &FORM);
                            // A password the rules refuse is fixed on the first step.
                            if feedback.for_field("newPassword").is_some() {
                                step.set(Step::Password);
                            }
                            submission.refuse(feedback);
                        }
                    }
                }
            });
        })
    };

    if token.is_none() || *refused {
        return html! { <LinkRefused /> };
    }

    let feedback = submission.feedback();
    let form = match *step {
        Step::Password => html! {
            <form class="form" {onsubmit} novalidate=true data-testid="reset-password-form">
                <FormAlert message={feedback.general.clone()} />
                <TextField
                    id="reset-password"
                    label="New password"
                    kind="password"
                    value={password.value()}
                    on_input={password.on_input()}
                    autocomplete="new-password"
                    hint="At least 10 characters, and not one of the common passwords attackers try first."
                    error={feedback.for_field("newPassword")}
                    focus=true
                />
                <SubmitButton label="Set new password" busy_label="Setting your password…" busy={submission.busy()} block=true />
            </form>
        },
        Step::SecondFactor => {
            let back = {
                let (step, code, submission) = (step.clone(), code.clone(), submission.clone());
                Callback::from(move |_: MouseEvent| {
                    code.clear();
                    submission.finish();
                    step.set(Step::Password);
                })
            };
            html! {
                <form class="form" {onsubmit} novalidate=true data-testid="reset-second-step">
                    <p class="form__note">
                        { "Two-factor login is on for this account: the reset link alone does not set a new password." }
                    </p>
                    <FormAlert message={feedback.general.clone()} />
                    <TextField
                        id="reset-code"
                        label="Authentication code"
                        value={code.value()}
                        on_input={code.on_input()}
                        autocomplete="one-time-code"
                        hint="The 6-digit code from your authenticator app, or one of your backup codes."
                        error={feedback.for_field("totpCode")}
                        focus=true
                    />
                    <SubmitButton label="Verify and set password" busy_label="Checking…" busy={submission.busy()} block=true />
                    <div class="form__links">
                        <button class="link-button link-button--muted" type="button" onclick={back}>{ "Back" }</button>
                    </div>
                </form>
            }
        }
    };

    html! {
        <AuthCard
            page="Set a new password"
            title="Set a new password"
            lead={html! { "Choose a new password for your CopyTrade account. Every other browser and device where it is open will be logged out." }}
        >
            { form }
        </AuthCard>
    }
}

/// The link does not work: why that happens, and the way to a new one.
#[component]
fn LinkRefused() -> Html {
    html! {
        <AuthCard
            page="Set a new password"
            title="This link does not work"
            lead={html! { "Your password was not changed." }}
        >
            <div class="callout callout--error" data-testid="link-invalid">
                <p>{ "This password reset link is unknown, was already used, or has expired: each link works once, for 30 minutes." }</p>
            </div>
            <Link<Route> to={Route::ForgotPassword} classes="button button--primary button--block">{ "Ask for a new link" }</Link<Route>>
        </AuthCard>
    }
}
