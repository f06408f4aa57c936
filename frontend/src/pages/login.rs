//! `/login`: email and password, then, for an account with two-factor login, a second step
//! for the authenticator's code or a backup code. Afterwards the user goes on to `?next=` (the
//! private page that sent them here) or the dashboard. A forgotten password is reset by email,
//! from `/forgot-password`.
//!
//! The second step sends the email and password again with the code: the server keeps no
//! half-logged-in state between the two requests, so there is nothing to steal in between.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::operations::{Login as LoginMutation, login};
use crate::api::{code, fetch};
use crate::app::Route;
use crate::components::{
    AuthCard, AuthCardLoading, FormAlert, ReturnTo, SessionState, SubmitButton, TextField, User,
    use_field, use_leave_when_logged_in, use_return_to, use_session, use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[
        ("email", "Email"),
        ("password", "Password"),
        ("totpCode", "Code"),
    ],
    // A wrong email and a wrong password read the same, on purpose.
    password_field: None,
    code_field: Some("totpCode"),
    backup_codes: true,
};

/// Which step the form is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Password,
    /// The password was right and the account wants a second factor.
    SecondFactor {
        backup_code: bool,
    },
}

#[component]
pub fn Login() -> Html {
    use_leave_when_logged_in();
    let session = use_session();
    let return_to = use_return_to();
    let step = use_state_eq(|| Step::Password);
    let email = use_field();
    let password = use_field();
    let code = use_field();
    let submission = use_submission();

    let onsubmit = {
        let (step, email, password, code) =
            (step.clone(), email.clone(), password.clone(), code.clone());
        let (submission, started) = (submission.clone(), session.started.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            // Empty fields would only cost an attempt against the login limit.
            if email.is_blank() || password.text().is_empty() {
                let field = if email.is_blank() {
                    "email"
                } else {
                    "password"
                };
                submission.refuse(Feedback::at(field, "Enter your email and password."));
                return;
            }
            let totp_code = match *step {
                Step::Password => None,
                Step::SecondFactor { .. } if code.is_blank() => {
                    submission.refuse(Feedback::at("totpCode", "Enter the code."));
                    return;
                }
                Step::SecondFactor { .. } => Some(code.text().trim().to_owned()),
            };
            if !submission.begin() {
                return;
            }
            let variables = login::Variables {
                email: email.text().trim().to_owned(),
                password: password.text(),
                totp_code,
            };
            let (step, code, submission, started) = (
                step.clone(),
                code.clone(),
                submission.clone(),
                started.clone(),
            );
            spawn_local(async move {
                match fetch::<LoginMutation>(variables).await {
                    Ok(data) => {
                        submission.finish();
                        // The session provider takes it from here, and the page moves on.
                        started.emit(User::from(data.login.user));
                    }
                    Err(error)
                        if error.has_code(code::TOTP_REQUIRED) && *step == Step::Password =>
                    {
                        submission.finish();
                        code.clear();
                        step.set(Step::SecondFactor { backup_code: false });
                    }
                    // Only possible if the password changed since the first step.
                    Err(error) if error.has_code(code::BAD_CREDENTIALS) => {
                        step.set(Step::Password);
                        submission.refuse(Feedback::from_error(&error, &FORM));
                    }
                    Err(error)
                        if error.has_code(code::TOTP_INVALID)
                            && *step == (Step::SecondFactor { backup_code: true }) =>
                    {
                        submission.refuse(Feedback::at(
                            "totpCode",
                            "That backup code is wrong or was already used.",
                        ));
                    }
                    Err(error) => submission.refuse(Feedback::from_error(&error, &FORM)),
                }
            });
        })
    };

    let notice = match &session.state {
        SessionState::Checking | SessionState::LoggedIn(_) => return html! { <AuthCardLoading /> },
        // Said once, above the first step; by the second it is old news.
        SessionState::LoggedOut(Some(farewell)) if *step == Step::Password => {
            Some(farewell.message())
        }
        SessionState::LoggedOut(_) | SessionState::Unknown(_) => None,
    };
    let feedback = submission.feedback();
    let signup_query = return_to.next.is_some().then(|| return_to.clone());
    let footer = match *step {
        Step::Password => html! {<>
            { "New to CopyTrade? " }
            <Link<Route, ReturnTo> to={Route::Signup} query={signup_query}>{ "Create an account" }</Link<Route, ReturnTo>>
        </>},
        Step::SecondFactor { .. } => Html::default(),
    };

    let form = match *step {
        Step::Password => html! {
            <form class="form" {onsubmit} novalidate=true data-testid="login-form">
                <FormAlert message={feedback.general.clone()} />
                <TextField
                    id="login-email"
                    label="Email"
                    kind="email"
                    value={email.value()}
                    on_input={email.on_input()}
                    autocomplete="username"
                    placeholder="you@example.com"
                    error={feedback.for_field("email")}
                />
                <TextField
                    id="login-password"
                    label="Password"
                    kind="password"
                    value={password.value()}
                    on_input={password.on_input()}
                    autocomplete="current-password"
                    error={feedback.for_field("password")}
                />
                <SubmitButton label="Log in" busy_label="Logging in…" busy={submission.busy()} block=true />
                <div class="form__links form__links--center">
                    <Link<Route> to={Route::ForgotPassword}>{ "Forgot password?" }</Link<Route>>
                </div>
            </form>
        },
        Step::SecondFactor { backup_code } => {
            let toggle = {
                let (step, code, submission) = (step.clone(), code.clone(), submission.clone());
                Callback::from(move |_: MouseEvent| {
                    code.clear();
                    submission.finish();
                    step.set(Step::SecondFactor {
                        backup_code: !backup_code,
                    });
                })
            };
            let back = {
                let (step, code, submission) = (step.clone(), code.clone(), submission.clone());
                Callback::from(move |_: MouseEvent| {
                    code.clear();
                    submission.finish();
                    step.set(Step::Password);
                })
            };
            let (label, hint, inputmode, autocomplete, switch) = if backup_code {
                (
                    "Backup code",
                    "One of the codes you saved when you turned on two-factor login. Each works once.",
                    None,
                    "off",
                    "Use the authenticator app instead",
                )
            } else {
                (
                    "Authentication code",
                    "The 6-digit code your authenticator app shows for CopyTrade.",
                    Some(AttrValue::Static("numeric")),
                    "one-time-code",
                    "Use a backup code instead",
                )
            };
            html! {
                <form class="form" {onsubmit} novalidate=true data-testid="login-second-step">
                    <p class="form__note">
                        { "Two-factor login is on for " }<strong>{ email.text().trim().to_owned() }</strong>{ "." }
                    </p>
                    <FormAlert message={feedback.general.clone()} />
                    // A new key per mode, so switching gives a fresh, focused input.
                    <TextField
                        key={label}
                        id="login-code"
                        {label}
                        value={code.value()}
                        on_input={code.on_input()}
                        {inputmode}
                        {autocomplete}
                        hint={hint}
                        error={feedback.for_field("totpCode")}
                        focus=true
                    />
                    <SubmitButton label="Verify and log in" busy_label="Checking…" busy={submission.busy()} block=true />
                    <div class="form__links">
                        <button class="link-button" type="button" onclick={toggle}>{ switch }</button>
                        <button class="link-button link-button--muted" type="button" onclick={back}>{ "Back" }</button>
                    </div>
                </form>
            }
        }
    };

    html! {
        <AuthCard
            page="Log in"
            title="Log in to CopyTrade"
            lead={html! { "Use the email address and password of your CopyTrade account." }}
            {footer}
        >
            if let Some(notice) = notice {
                <p class="callout callout--info" role="status" data-testid="session-notice">{ notice }</p>
            }
            { form }
        </AuthCard>
    }
}
