//! The banner over every page while the logged-in user's email address is not confirmed, and
//! the button that mails the link again.
//!
//! Why it nags: the address is how the server reaches the user (security notices, password
//! resets), and linking a live broker account waits for it. A server that sends no email
//! (`mailEnabled` false) cannot confirm anything, so the banner stays away there; it also
//! stays away while the server's facts are unknown rather than flash and vanish.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{use_server_status, use_session, use_submission};
use crate::api::fetch;
use crate::api::hooks::Remote;
use crate::api::operations::{ResendVerificationEmail, resend_verification_email};
use crate::feedback::Form;

/// Shown in the shell, above the page.
#[component]
pub fn VerifyEmailBanner() -> Html {
    let session = use_session();
    let status = use_server_status();
    let mail_enabled = matches!(&status.facts, Remote::Ready(facts) if facts.mail_enabled);
    let Some(user) = session.user().filter(|user| !user.email_verified) else {
        return Html::default();
    };
    if !mail_enabled {
        return Html::default();
    }
    html! {
        <div class="callout callout--warning verify-banner" role="region" aria-label="Email address" data-testid="verify-email-banner">
            <p class="verify-banner__text">
                { "Confirm your email address: we sent a link to " }
                <strong class="verify-banner__email">{ user.email.clone() }</strong>
                { "." }
            </p>
            // Keyed by user: a message about one account's mail never shows for another.
            <ResendButton key={user.id.clone()} />
        </div>
    }
}

/// "Send the link again", and what came of it beside the button.
#[component]
fn ResendButton() -> Html {
    let session = use_session();
    let submission = use_submission();
    let sent = use_state_eq(|| false);

    let onclick = {
        let (submission, session, sent) = (submission.clone(), session.clone(), sent.clone());
        Callback::from(move |_: MouseEvent| {
            if !submission.begin() {
                return;
            }
            sent.set(false);
            let (submission, session, sent) = (submission.clone(), session.clone(), sent.clone());
            spawn_local(async move {
                match fetch::<ResendVerificationEmail>(resend_verification_email::Variables).await {
                    Ok(_) => {
                        submission.finish();
                        sent.set(true);
                    }
                    Err(error) => submission.fail(&error, &Form::BUTTON, &session),
                }
            });
        })
    };

    let outcome = match (&submission.feedback().general, *sent) {
        (Some(error), _) => html! {
            <span class="resend__outcome resend__outcome--error" role="alert" data-testid="resend-outcome">{ error.clone() }</span>
        },
        (None, true) => html! {
            <span class="resend__outcome" role="status" data-testid="resend-outcome">{ "Sent. Check your inbox." }</span>
        },
        (None, false) => Html::default(),
    };
    html! {
        <div class="resend">
            <button
                class="button button--secondary"
                type="button"
                {onclick}
                disabled={submission.busy()}
                aria-busy={submission.busy().then_some("true")}
            >
                { if submission.busy() { "Sending…" } else { "Send the link again" } }
            </button>
            { outcome }
        </div>
    }
}
