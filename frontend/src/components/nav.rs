//! The sidebar: the product name and the navigation.
//!
//! On a laptop it is a fixed column; below 900 px wide (styles.css) it becomes a top bar
//! whose menu button opens the same links as a panel. The panel closes whenever the page
//! changes, so a tap on a link both navigates and gets the menu out of the way. Its foot is
//! the session: who is logged in and a Log out button, or the ways to log in and sign up.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{Farewell, Icon, IconName, Logo, SessionState, use_session};
use crate::api::fetch;
use crate::api::operations::{Logout, logout};
use crate::app::Route;

/// The main sections, in menu order.
const SECTIONS: [(Route, &str, IconName); 6] = [
    (Route::Dashboard, "Dashboard", IconName::Dashboard),
    (Route::Accounts, "Accounts", IconName::Accounts),
    (Route::Webhooks, "Webhooks", IconName::Webhooks),
    (Route::CopyGroups, "Copy groups", IconName::CopyGroups),
    (Route::TradeLog, "Trade log", IconName::TradeLog),
    (Route::Settings, "Settings", IconName::Settings),
];

#[component]
pub fn Sidebar() -> Html {
    let open = use_state_eq(|| false);
    let route = use_route::<Route>();
    {
        let open = open.clone();
        use_effect_with(route, move |_| open.set(false));
    }
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let close = {
        let open = open.clone();
        Callback::from(move |()| open.set(false))
    };

    let links = SECTIONS.iter().map(|&(to, label, icon)| {
        html! {
            <li><NavLink {to} {label} {icon} on_select={close.clone()} /></li>
        }
    });

    html! {
        <header class={classes!("sidebar", open.then_some("sidebar--open"))}>
            <div class="sidebar__top">
                <Link<Route> to={Route::Dashboard} classes="brand">
                    <Logo />
                    <span class="brand__name">{ "CopyTrade" }</span>
                </Link<Route>>
                <button
                    class="sidebar__toggle"
                    type="button"
                    aria-controls="main-nav"
                    aria-expanded={open.to_string()}
                    aria-label={if *open { "Close menu" } else { "Open menu" }}
                    data-testid="nav-toggle"
                    onclick={toggle}
                >
                    <Icon name={if *open { IconName::Close } else { IconName::Menu }} />
                </button>
            </div>
            <nav id="main-nav" class="sidebar__nav" aria-label="Main" data-testid="nav">
                <ul class="nav-list">{ for links }</ul>
                <SessionLinks on_select={close} />
            </nav>
        </header>
    }
}

#[derive(Properties, PartialEq)]
struct SessionLinksProps {
    on_select: Callback<()>,
}

/// The sidebar's foot: the user and Log out, or Log in and Sign up.
#[component]
fn SessionLinks(props: &SessionLinksProps) -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let busy = use_state_eq(|| false);
    let failure = use_state_eq(|| None::<String>);

    let log_out = {
        let (busy, failure, ended) = (busy.clone(), failure.clone(), session.ended.clone());
        let on_select = props.on_select.clone();
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            let (busy, failure, ended) = (busy.clone(), failure.clone(), ended.clone());
            let (navigator, on_select) = (navigator.clone(), on_select.clone());
            spawn_local(async move {
                let result = fetch::<Logout>(logout::Variables).await;
                busy.set(false);
                match result {
                    Ok(_) => {
                        failure.set(None);
                        ended.emit(Farewell::LoggedOut);
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Login);
                        }
                        on_select.emit(());
                    }
                    // The cookie is still there: say so rather than pretend.
                    Err(error) => failure.set(Some(format!("Not logged out: {error}"))),
                }
            });
        })
    };

    let items = match &session.state {
        SessionState::Checking => Html::default(),
        SessionState::LoggedIn(user) => html! {<>
            <li class="nav-user" data-testid="nav-user" title={user.email.clone()}>
                <Icon name={IconName::User} />
                <span class="nav-user__email">{ user.email.clone() }</span>
            </li>
            <li>
                <button
                    class="nav-link nav-link--button"
                    type="button"
                    onclick={log_out}
                    disabled={*busy}
                    aria-busy={busy.then_some("true")}
                >
                    <Icon name={IconName::LogOut} />
                    <span>{ if *busy { "Logging out…" } else { "Log out" } }</span>
                </button>
            </li>
            if let Some(failure) = &*failure {
                <li class="nav-error" role="alert">{ failure.clone() }</li>
            }
        </>},
        SessionState::LoggedOut(_) | SessionState::Unknown(_) => html! {<>
            <li>
                <NavLink to={Route::Login} label="Log in" icon={IconName::LogIn} on_select={props.on_select.clone()} />
            </li>
            <li>
                <NavLink to={Route::Signup} label="Sign up" icon={IconName::UserPlus} on_select={props.on_select.clone()} />
            </li>
        </>},
    };
    html! {
        <ul class="nav-list nav-list--bottom" aria-label="Your account">{ items }</ul>
    }
}

#[derive(Properties, PartialEq)]
struct NavLinkProps {
    to: Route,
    label: AttrValue,
    icon: IconName,
    /// Called when the link is followed in this tab.
    on_select: Callback<()>,
}

/// A menu link that marks the current page (`aria-current`), which yew-router's `Link`
/// cannot do.
#[component]
fn NavLink(props: &NavLinkProps) -> Html {
    let navigator = use_navigator();
    let active = use_route::<Route>() == Some(props.to);
    let onclick = {
        let to = props.to;
        let on_select = props.on_select.clone();
        Callback::from(move |event: MouseEvent| {
            // Modified or non-primary clicks open a new tab or window: leave them to the browser.
            let plain = event.button() == 0
                && !(event.ctrl_key() || event.meta_key() || event.shift_key() || event.alt_key());
            if let (true, Some(navigator)) = (plain, &navigator) {
                event.prevent_default();
                navigator.push(&to);
                on_select.emit(());
            }
        })
    };
    html! {
        <a
            class={classes!("nav-link", active.then_some("nav-link--active"))}
            href={props.to.to_path()}
            aria-current={active.then_some("page")}
            {onclick}
        >
            <Icon name={props.icon} />
            <span>{ props.label.clone() }</span>
        </a>
    }
}
