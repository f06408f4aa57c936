//! `/verify-email?token=…`: the page the verification email links to. It confirms the address
//! as soon as it opens and says how that went.
//!
//! It works logged in or not: the token alone names the account, and the mail may be opened
//! on a phone that never logged in. When this browser is logged in, the session's user is
//! asked for again afterwards, so the banner asking to confirm disappears; the link may be
//! another account's, so the app never assumes whose address it confirmed. A link that does
//! not work (unknown, used or expired) leads to a new one: the banner's button over this page
//! when logged in, else logging in first.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::hooks::Remote;
use crate::api::operations::{VerifyEmail as VerifyEmailMutation, verify_email};
use crate::api::{ApiError, code, fetch};
use crate::app::Route;
use crate::components::{AuthCard, SessionState, use_link_token, use_server_status, use_session};

/// What came of the link.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Checking,
    Confirmed,
    /// Unknown, used or expired; or the page had no token.
    Refused,
    /// The server could not be asked, or failed: nothing is known yet.
    Failed(ApiError),
}

#[component]
pub fn VerifyEmail() -> Html {
    let session = use_session();
    let token = use_link_token();
    let outcome = use_state_eq(|| Outcome::Checking);
    // Bumped by "Try again" after a failure.
    let attempt = use_state_eq(|| 0_u32);
    {
        let outcome = outcome.clone();
        use_effect_with((token, *attempt), move |(token, _)| {
            // Cleared when the page goes away, so a late answer lands nowhere.
            let wanted = Rc::new(Cell::new(true));
            match token.clone() {
                None => outcome.set(Outcome::Refused),
                Some(token) => {
                    outcome.set(Outcome::Checking);
                    let still_wanted = Rc::clone(&wanted);
                    spawn_local(async move {
                        let result =
                            fetch::<VerifyEmailMutation>(verify_email::Variables { token }).await;
                        if still_wanted.get() {
                            outcome.set(match result {
                                Ok(_) => Outcome::Confirmed,
                                Err(error) if error.has_code(code::LINK_INVALID) => {
                                    Outcome::Refused
                                }
                                Err(error) => Outcome::Failed(error),
                            });
                        }
                    });
                }
            }
            move || wanted.set(false)
        });
    }
    {
        // Confirmed while logged in as someone unconfirmed: ask who that is now. Asked again
        // only if the answer changes, so another account's link causes one question, no loop.
        let refresh = session.refresh.clone();
        let confirmed = *outcome == Outcome::Confirmed;
        use_effect_with((confirmed, session.user()), move |(confirmed, user)| {
            if *confirmed && user.as_ref().is_some_and(|user| !user.email_verified) {
                refresh.emit(());
            }
        });
    }

    match &*outcome {
        Outcome::Checking => html! {
            <AuthCard page="Confirm your email" title="Confirming your email address…" lead={html! { "This takes a moment." }}>
                <div class="skeleton" aria-busy="true" aria-label="Confirming your email address">
                    <span class="skeleton__line"></span>
                    <span class="skeleton__line skeleton__line--short"></span>
                </div>
            </AuthCard>
        },
        Outcome::Confirmed => {
            let next = match session.state {
                SessionState::LoggedIn(_) => html! {
                    <Link<Route> to={Route::Dashboard} classes="button button--primary button--block">{ "Go to the dashboard" }</Link<Route>>
                },
                _ => html! {
                    <Link<Route> to={Route::Login} classes="button button--primary button--block">{ "Log in" }</Link<Route>>
                },
            };
            html! {
                <AuthCard page="Confirm your email" title="Your email address is confirmed" lead={html! { "Thank you." }}>
                    <p class="callout callout--success" role="status" data-testid="email-confirmed">
                        { "CopyTrade can now reach you there with security notices and password reset links, and you can link live broker accounts." }
                    </p>
                    { next }
                </AuthCard>
            }
        }
        Outcome::Refused => html! {
            <AuthCard page="Confirm your email" title="This link does not work" lead={html! { "Your email address was not confirmed by it." }}>
                <div class="callout callout--error" data-testid="link-invalid">
                    <p>{ "This confirmation link is unknown, was already used, or has expired: each link works once." }</p>
                </div>
                <NewLink />
            </AuthCard>
        },
        Outcome::Failed(error) => {
            let onclick = {
                let attempt = attempt.clone();
                Callback::from(move |_: MouseEvent| attempt.set(attempt.wrapping_add(1)))
            };
            html! {
                <AuthCard page="Confirm your email" title="Your email address is not confirmed yet" lead={html! { "The link could not be checked just now." }}>
                    <div class="callout callout--error" role="alert">
                        <p>{ error.to_string() }</p>
                        <button class="button button--secondary" type="button" {onclick}>{ "Try again" }</button>
                    </div>
                </AuthCard>
            }
        }
    }
}

/// After a link that does not work: how to get one that does.
#[component]
fn NewLink() -> Html {
    let session = use_session();
    let status = use_server_status();
    let mail_enabled = !matches!(&status.facts, Remote::Ready(facts) if !facts.mail_enabled);
    match &session.state {
        SessionState::LoggedIn(user) if user.email_verified => html! {
            <p class="form__note" data-testid="already-confirmed">
                { "Nothing to do for this account, though: the address " }
                <strong>{ user.email.clone() }</strong>
                { " is already confirmed." }
            </p>
        },
        // The banner above the page offers the new link; a second button here would only
        // repeat it.
        SessionState::LoggedIn(user) if mail_enabled => html! {
            <p class="form__note">
                { "For a new link to " }<strong>{ user.email.clone() }</strong>{ ", use “Send the link again” at the top of this page." }
            </p>
        },
        SessionState::LoggedIn(_) => html! {
            <p class="form__note">{ "This server sends no email any more, so the address cannot be confirmed now." }</p>
        },
        SessionState::Checking => Html::default(),
        SessionState::LoggedOut(_) | SessionState::Unknown(_) => html! {<>
            <p class="form__note">
                { "Log in, then use “Send the link again” at the top of the page for a new link." }
            </p>
            <Link<Route> to={Route::Login} classes="button button--primary button--block">{ "Log in" }</Link<Route>>
        </>},
    }
}
