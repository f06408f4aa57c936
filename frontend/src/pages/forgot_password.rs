//! `/forgot-password`: an email address, and a link to set a new password goes there.
//!
//! The answer is the same whether or not an account uses the address (the server always says
//! yes), so the page cannot be used to find out who has an account here. A server that sends
//! no email cannot do this at all: the page says so instead of showing a form that would
//! only pretend to work.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::fetch;
use crate::api::hooks::Remote;
use crate::api::operations::{RequestPasswordReset, request_password_reset};
use crate::app::Route;
use crate::components::{
    AuthCard, FormAlert, SubmitButton, TextField, use_field, use_server_status, use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[("email", "Email")],
    password_field: None,
    code_field: None,
    backup_codes: false,
};

#[component]
pub fn ForgotPassword() -> Html {
    let status = use_server_status();
    let email = use_field();
    let submission = use_submission();
    // The address a link was asked for.
    let requested = use_state_eq(|| None::<String>);

    let onsubmit = {
        let (email, submission, requested) = (email.clone(), submission.clone(), requested.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if email.is_blank() {
                submission.refuse(Feedback::at(
                    "email",
                    "Enter the email address of your account.",
                ));
                return;
            }
            if !submission.begin() {
                return;
            }
            let address = email.text().trim().to_owned();
            let variables = request_password_reset::Variables {
                email: address.clone(),
            };
            let (submission, requested) = (submission.clone(), requested.clone());
            spawn_local(async move {
                match fetch::<RequestPasswordReset>(variables).await {
                    Ok(_) => {
                        submission.finish();
                        requested.set(Some(address));
                    }
                    Err(error) => submission.refuse(Feedback::from_error(&error, &FORM)),
                }
            });
        })
    };
    let another = {
        let requested = requested.clone();
        Callback::from(move |_: MouseEvent| requested.set(None))
    };

    let footer = html! {<>
        { "Remembered it? " }
        <Link<Route> to={Route::Login}>{ "Log in" }</Link<Route>>
    </>};
    let mail_off = matches!(&status.facts, Remote::Ready(facts) if !facts.mail_enabled);
    let lead = if mail_off {
        html! { "A forgotten password is reset from a link that CopyTrade sends by email." }
    } else {
        html! { "Enter the email address of your CopyTrade account, and we will mail you a link to set a new password." }
    };
    let feedback = submission.feedback();
    let body = match (&status.facts, &*requested) {
        (Remote::Loading, _) => html! {
            <div class="skeleton" aria-busy="true" aria-label="Checking whether this server sends email">
                <span class="skeleton__line"></span>
                <span class="skeleton__line skeleton__line--short"></span>
            </div>
        },
        _ if mail_off => html! {
            <p class="callout callout--info" data-testid="mail-off-notice">
                { "This server sends no email, so a password cannot be reset by email. Ask whoever runs this server." }
            </p>
        },
        // Spaced as the form it replaces.
        (_, Some(address)) => html! {
            <div class="form">
                <p class="callout callout--success" role="status" data-testid="reset-requested">
                    { format!("If an account uses {address}, a link to reset its password is on its way. It works once, for 30 minutes.") }
                </p>
                <div class="form__links form__links--center">
                    <button class="link-button" type="button" onclick={another}>{ "Use another address" }</button>
                </div>
            </div>
        },
        // A failed `serverInfo` says nothing about mail: offer the form, the server decides.
        (_, None) => html! {
            <form class="form" {onsubmit} novalidate=true data-testid="forgot-password-form">
                <FormAlert message={feedback.general.clone()} />
                <TextField
                    id="forgot-email"
                    label="Email"
                    kind="email"
                    value={email.value()}
                    on_input={email.on_input()}
                    autocomplete="email"
                    placeholder="you@example.com"
                    error={feedback.for_field("email")}
                />
                <SubmitButton label="Send reset link" busy_label="Sending…" busy={submission.busy()} block=true />
            </form>
        },
    };

    html! {
        <AuthCard page="Forgot password" title="Reset your password" {lead} {footer}>
            { body }
        </AuthCard>
    }
}
