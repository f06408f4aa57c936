//! The sidebar: the product name and the navigation.
//!
//! On a laptop it is a fixed column; below 900 px wide (styles.css) it becomes a top bar
//! whose menu button opens the same links as a panel. The panel closes whenever the page
//! changes, so a tap on a link both navigates and gets the menu out of the way.

use yew::prelude::*;
use yew_router::prelude::*;

use super::{Icon, IconName, Logo};
use crate::app::Route;

/// The main sections, in menu order.
const SECTIONS: [(Route, &str, IconName); 5] = [
    (Route::Dashboard, "Dashboard", IconName::Dashboard),
    (Route::Accounts, "Accounts", IconName::Accounts),
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
                <ul class="nav-list nav-list--bottom">
                    <li>
                        <NavLink to={Route::Login} label="Log in" icon={IconName::LogIn} on_select={close} />
                    </li>
                </ul>
            </nav>
        </header>
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
