//! `/signup`: a new account from an email and a password; the user is logged in at once and
//! goes on to `?next=` or the dashboard. The server owns the rules (a real-looking email, a
//! password of at least 10 characters that is not a common one) and names the field that
//! breaks one, so the form shows its words there rather than guessing in advance.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::operations::{Register, register};
use crate::api::{code, fetch};
use crate::app::Route;
use crate::components::{
    AuthCard, AuthCardLoading, FormAlert, ReturnTo, SessionState, SubmitButton, TextField, User,
    use_field, use_leave_when_logged_in, use_return_to, use_session, use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[("email", "Email"), ("password", "Password")],
    password_field: Some("password"),
    code_field: None,
    backup_codes: false,
};

#[component]
pub fn Signup() -> Html {
    use_leave_when_logged_in();
    let session = use_session();
    let return_to = use_return_to();
    let email = use_field();
    let password = use_field();
    let submission = use_submission();
    // The email has an account: offer to log in to it.
    let taken = use_state_eq(|| false);

    let onsubmit = {
        let (email, password, taken) = (email.clone(), password.clone(), taken.clone());
        let (submission, started) = (submission.clone(), session.started.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if email.is_blank() {
                submission.refuse(Feedback::at("email", "Enter your email address."));
                return;
            }
            if !submission.begin() {
                return;
            }
            let variables = register::Variables {
                email: email.text().trim().to_owned(),
                password: password.text(),
            };
            let (submission, started, taken) = (submission.clone(), started.clone(), taken.clone());
            spawn_local(async move {
                match fetch::<Register>(variables).await {
                    Ok(data) => {
                        submission.finish();
                        started.emit(User::from(data.register.user));
                    }
                    Err(error) => {
                        taken.set(error.has_code(code::EMAIL_TAKEN));
                        submission.refuse(Feedback::from_error(&error, &FORM));
                    }
                }
            });
        })
    };

    if matches!(
        session.state,
        SessionState::Checking | SessionState::LoggedIn(_)
    ) {
        return html! { <AuthCardLoading /> };
    }
    let feedback = submission.feedback();
    let login_query = return_to.next.is_some().then(|| return_to.clone());
    let footer = html! {<>
        { "Already have an account? " }
        <Link<Route, ReturnTo> to={Route::Login} query={login_query.clone()}>{ "Log in" }</Link<Route, ReturnTo>>
    </>};
    let email_taken = *taken && feedback.for_field("email").is_some();

    html! {
        <AuthCard
            page="Sign up"
            title="Create your CopyTrade account"
            lead={html! { "One account holds your broker links and copy groups. You can turn on two-factor login right after." }}
            {footer}
        >
            <form class="form" {onsubmit} novalidate=true data-testid="signup-form">
                <FormAlert message={feedback.general.clone()} />
                <TextField
                    id="signup-email"
                    label="Email"
                    kind="email"
                    value={email.value()}
                    on_input={email.on_input()}
                    autocomplete="email"
                    placeholder="you@example.com"
                    error={feedback.for_field("email")}
                />
                if email_taken {
                    <p class="form__note">
                        <Link<Route, ReturnTo> to={Route::Login} query={login_query}>{ "Log in to that account" }</Link<Route, ReturnTo>>
                    </p>
                }
                <TextField
                    id="signup-password"
                    label="Password"
                    kind="password"
                    value={password.value()}
                    on_input={password.on_input()}
                    autocomplete="new-password"
                    hint="At least 10 characters, and not one of the common passwords attackers try first."
                    error={feedback.for_field("password")}
                />
                <SubmitButton label="Create account" busy_label="Creating your account…" busy={submission.busy()} block=true />
            </form>
        </AuthCard>
    }
}
