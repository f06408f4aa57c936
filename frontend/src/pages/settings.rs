//! `/settings`: the signed-in user's profile, password, two-factor and sessions.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::{Icon, IconName, PageHeader};

/// Each setting: icon, title, what it does, its button.
const SECTIONS: [(IconName, &str, &str, &str); 4] = [
    (
        IconName::User,
        "Profile",
        "Your email address and display name.",
        "Edit profile",
    ),
    (
        IconName::Key,
        "Password",
        "Change your password. Every other session is signed out when you do.",
        "Change password",
    ),
    (
        IconName::Shield,
        "Two-factor authentication",
        "Ask for a code from an authenticator app (TOTP) at every sign-in.",
        "Set up",
    ),
    (
        IconName::Devices,
        "Sessions",
        "Sign out of every browser and device at once.",
        "Sign out everywhere",
    ),
];

#[component]
pub fn Settings() -> Html {
    let sections = SECTIONS.iter().map(|&(icon, title, text, action)| {
        html! {
            <li class="setting">
                <span class="card__icon"><Icon name={icon} /></span>
                <div class="setting__text">
                    <h2 class="setting__title">{ title }</h2>
                    <p class="setting__description">{ text }</p>
                </div>
                <button class="button button--secondary" type="button" disabled=true>{ action }</button>
            </li>
        }
    });
    html! {<>
        <PageHeader title="Settings" subtitle="Your profile, sign-in security and sessions." />
        <div class="callout callout--info">
            <p>
                { "Settings unlock once you are signed in. " }
                <Link<Route> to={Route::Login}>{ "Log in" }</Link<Route>>
            </p>
        </div>
        <section class="card card--flush">
            <ul class="settings-list">{ for sections }</ul>
        </section>
    </>}
}
