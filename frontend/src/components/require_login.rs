//! Pages for logged-in users only, and the way back to them after logging in.
//!
//! Rules: a visitor who opens a private page is sent to `/login?next=<path>` (replacing the
//! history entry, so Back does not bounce between the two), and the log-in and sign-up pages
//! send them on to `next` afterwards. `next` is attacker-controlled text (anyone can craft the
//! link), so it is only ever followed as one of the app's own routes: never as a URL, never to
//! the log-in pages themselves (nor the password-reset and email-link pages), never to a page
//! that does not exist.

use serde::{Deserialize, Serialize};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{SessionState, use_session};
use crate::app::Route;

/// The query of `/login` and `/signup`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnTo {
    /// The path to open after logging in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl ReturnTo {
    /// Where to go after logging in: `next` if it names a page of the app worth returning
    /// to, else the dashboard.
    pub fn destination(&self) -> Route {
        self.next
            .as_deref()
            // Only a path: `//host` and `/\host` are URLs to a browser, `https:…` too.
            .filter(|next| next.starts_with('/') && !next.starts_with("//") && !next.contains('\\'))
            .and_then(Route::recognize)
            .filter(|route| {
                !matches!(
                    route,
                    Route::Login
                        | Route::Signup
                        | Route::ForgotPassword
                        | Route::ResetPassword
                        | Route::VerifyEmail
                        | Route::NotFound
                )
            })
            .unwrap_or(Route::Dashboard)
    }
}

/// The `next` the current page was opened with (`/login?next=…`).
#[hook]
pub fn use_return_to() -> ReturnTo {
    use_location()
        .and_then(|location| location.query::<ReturnTo>().ok())
        .unwrap_or_default()
}

/// On the log-in and sign-up pages: once someone is logged in (they just did, or came back
/// with a live session), go on to `next`. The log-in page's history entry is replaced, so Back
/// does not lead to a form for a session that already exists.
#[hook]
pub fn use_leave_when_logged_in() {
    let session = use_session();
    let navigator = use_navigator();
    let destination = use_return_to().destination();
    let logged_in = matches!(session.state, SessionState::LoggedIn(_));
    use_effect_with(logged_in, move |logged_in| {
        if let (true, Some(navigator)) = (*logged_in, navigator) {
            navigator.replace(&destination);
        }
    });
}

#[derive(Properties, PartialEq)]
pub struct RequireLoginProps {
    pub children: Html,
}

/// Shows its children to a logged-in user; sends anyone else to log in and back here.
#[component]
pub fn RequireLogin(props: &RequireLoginProps) -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let location = use_location();
    let logged_out = matches!(session.state, SessionState::LoggedOut(_));
    use_effect_with(logged_out, move |logged_out| {
        if let (true, Some(navigator), Some(location)) = (*logged_out, navigator, location) {
            let back = ReturnTo {
                next: Some(location.path().to_owned()),
            };
            // Serialising one optional string cannot fail; if it did, log-in without `next`
            // would still lead to the dashboard.
            if navigator.replace_with_query(&Route::Login, &back).is_err() {
                navigator.replace(&Route::Login);
            }
        }
    });

    match &session.state {
        SessionState::LoggedIn(_) => props.children.clone(),
        SessionState::Unknown(error) => {
            let onclick = session.retry.reform(|_: MouseEvent| ());
            html! {
                <div class="callout callout--error" role="alert">
                    <p class="callout__title">{ "Cannot tell whether you are logged in" }</p>
                    <p>{ error.to_string() }{ " The app asks again once the server answers." }</p>
                    <button class="button button--secondary" type="button" {onclick}>{ "Try again" }</button>
                </div>
            }
        }
        SessionState::Checking | SessionState::LoggedOut(_) => html! {
            <div class="skeleton" aria-busy="true" aria-label="Checking your session">
                <span class="skeleton__line skeleton__line--title"></span>
                <span class="skeleton__line"></span>
                <span class="skeleton__line skeleton__line--short"></span>
            </div>
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destination(next: Option<&str>) -> Route {
        ReturnTo {
            next: next.map(str::to_owned),
        }
        .destination()
    }

    #[test]
    fn pages_of_the_app_are_returned_to() {
        assert_eq!(destination(Some("/settings")), Route::Settings);
        assert_eq!(destination(Some("/trade-log")), Route::TradeLog);
        assert_eq!(destination(Some("/")), Route::Dashboard);
    }

    #[test]
    fn no_next_leads_to_the_dashboard() {
        assert_eq!(destination(None), Route::Dashboard);
        assert_eq!(destination(Some("")), Route::Dashboard);
    }

    #[test]
    fn other_sites_are_never_followed() {
        for next in [
            "https://evil.example/settings",
            "//evil.example/settings",
            "/\\evil.example",
            "javascript:alert(1)",
            "settings",
        ] {
            assert_eq!(destination(Some(next)), Route::Dashboard, "{next}");
        }
    }

    #[test]
    fn log_in_pages_and_unknown_paths_are_not_destinations() {
        for next in [
            "/login",
            "/signup",
            "/forgot-password",
            "/reset-password",
            "/verify-email",
            "/no/such/page",
            "/404",
        ] {
            assert_eq!(destination(Some(next)), Route::Dashboard, "{next}");
        }
    }
}
