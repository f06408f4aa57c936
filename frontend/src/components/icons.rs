//! The app's icons and logo, drawn as inline SVG so they need no requests and follow the
//! text colour (`currentColor`). Presentation attributes (`stroke`, `fill`) are not inline
//! styles, so the Content-Security-Policy allows them.

use yew::prelude::*;

/// Which icon to draw; each is a 24×24 line drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconName {
    Dashboard,
    Accounts,
    Webhooks,
    CopyGroups,
    TradeLog,
    Settings,
    LogIn,
    LogOut,
    UserPlus,
    Menu,
    Close,
    Server,
    Plus,
    ArrowRight,
    User,
    Key,
    Shield,
    Devices,
    Compass,
    Activity,
    Trash,
    Copy,
    Download,
    Refresh,
}

#[derive(Properties, PartialEq)]
pub struct IconProps {
    pub name: IconName,
    #[prop_or_default]
    pub class: Classes,
}

/// A decorative icon: hidden from screen readers, since a visible label always goes with it.
#[component]
pub fn Icon(props: &IconProps) -> Html {
    html! {
        <svg
            class={classes!("icon", props.class.clone())}
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="1.8"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            focusable="false"
        >
            { shapes(props.name) }
        </svg>
    }
}

fn shapes(name: IconName) -> Html {
    match name {
        IconName::Dashboard => html! {<>
            <rect x="3" y="3" width="7.5" height="9" rx="1.5" />
            <rect x="13.5" y="3" width="7.5" height="5" rx="1.5" />
            <rect x="13.5" y="11" width="7.5" height="10" rx="1.5" />
            <rect x="3" y="15" width="7.5" height="6" rx="1.5" />
        </>},
        IconName::Accounts => html! {<>
            <path d="M3 9.5 12 4l9 5.5" />
            <path d="M5 10.5v7M9.7 10.5v7M14.3 10.5v7M19 10.5v7" />
            <path d="M3 20.5h18" />
        </>},
        // Signals coming in: a source with waves spreading out on both sides.
        IconName::Webhooks => html! {<>
            <circle cx="12" cy="12" r="1.9" />
            <path d="M8.6 8.6a4.8 4.8 0 0 0 0 6.8M15.4 8.6a4.8 4.8 0 0 1 0 6.8" />
            <path d="M5.5 5.5a9.2 9.2 0 0 0 0 13M18.5 5.5a9.2 9.2 0 0 1 0 13" />
        </>},
        IconName::CopyGroups => html! {<>
            <circle cx="12" cy="5" r="2.4" />
            <circle cx="5" cy="18.5" r="2.4" />
            <circle cx="19" cy="18.5" r="2.4" />
            <path d="M12 7.4v4.1M12 11.5 6.6 16.7M12 11.5l5.4 5.2" />
        </>},
        IconName::TradeLog => html! {<>
            <path d="M9 6.5h11M9 12h11M9 17.5h11" />
            <path d="M4.5 6.5h.01M4.5 12h.01M4.5 17.5h.01" stroke-width="2.6" />
        </>},
        IconName::Settings => html! {<>
            <path d="M4 6.5h8M16 6.5h4M4 12h3M11 12h9M4 17.5h10M18 17.5h2" />
            <circle cx="14" cy="6.5" r="2" />
            <circle cx="9" cy="12" r="2" />
            <circle cx="16" cy="17.5" r="2" />
        </>},
        IconName::LogIn => html! {<>
            <path d="M14 4h4.5A1.5 1.5 0 0 1 20 5.5v13a1.5 1.5 0 0 1-1.5 1.5H14" />
            <path d="M9.5 8 13.5 12l-4 4M13.5 12H4" />
        </>},
        IconName::LogOut => html! {<>
            <path d="M10 4H5.5A1.5 1.5 0 0 0 4 5.5v13A1.5 1.5 0 0 0 5.5 20H10" />
            <path d="M15 8l4 4-4 4M19 12H9.5" />
        </>},
        IconName::UserPlus => html! {<>
            <circle cx="10" cy="8" r="3.6" />
            <path d="M3.5 20c.8-3.4 3.4-5.3 6.5-5.3 1.3 0 2.5.3 3.5.9M18 14v6M15 17h6" />
        </>},
        IconName::Menu => html! { <path d="M4 7h16M4 12h16M4 17h16" /> },
        IconName::Close => html! { <path d="M6 6l12 12M18 6 6 18" /> },
        IconName::Server => html! {<>
            <rect x="3.5" y="4" width="17" height="7" rx="1.8" />
            <rect x="3.5" y="13" width="17" height="7" rx="1.8" />
            <path d="M7.5 7.5h.01M7.5 16.5h.01" stroke-width="2.6" />
        </>},
        IconName::Plus => html! { <path d="M12 5v14M5 12h14" /> },
        IconName::ArrowRight => html! { <path d="M5 12h14M13 6l6 6-6 6" /> },
        IconName::User => html! {<>
            <circle cx="12" cy="8" r="3.8" />
            <path d="M4.5 20c.9-3.6 3.8-5.5 7.5-5.5s6.6 1.9 7.5 5.5" />
        </>},
        IconName::Key => html! {<>
            <circle cx="8" cy="15" r="4" />
            <path d="M11 12 19.5 3.5M16.5 6.5l2.5 2.5M14 9l2 2" />
        </>},
        IconName::Shield => html! {<>
            <path d="M12 3.2 19 6v5.3c0 4.4-2.9 7.9-7 9.5-4.1-1.6-7-5.1-7-9.5V6z" />
            <path d="m9 12 2.2 2.2L15.5 10" />
        </>},
        IconName::Devices => html! {<>
            <rect x="2.5" y="5" width="13" height="10" rx="1.5" />
            <path d="M6 19h5" />
            <rect x="17" y="9" width="4.5" height="10" rx="1.2" />
        </>},
        IconName::Compass => html! {<>
            <circle cx="12" cy="12" r="8.5" />
            <path d="m15.2 8.8-1.9 4.5-4.5 1.9 1.9-4.5z" />
        </>},
        IconName::Activity => html! { <path d="M3.5 12h4l2.5-6 4 12 2.5-6h4" /> },
        IconName::Trash => html! {<>
            <path d="M4.5 7h15M9.5 7V4.8h5V7" />
            <path d="M6.5 7l.9 12.2a1.5 1.5 0 0 0 1.5 1.3h6.2a1.5 1.5 0 0 0 1.5-1.3L17.5 7" />
        </>},
        IconName::Copy => html! {<>
            <rect x="8.5" y="8.5" width="11.5" height="11.5" rx="1.8" />
            <path d="M15.5 8.5V5.5A1.5 1.5 0 0 0 14 4H5.5A1.5 1.5 0 0 0 4 5.5V14a1.5 1.5 0 0 0 1.5 1.5h3" />
        </>},
        IconName::Download => html! { <path d="M12 4v11M7.5 10.5 12 15l4.5-4.5M5 19.5h14" /> },
        IconName::Refresh => html! {<>
            <path d="M19.5 12a7.5 7.5 0 1 1-2.2-5.3" />
            <path d="M19.5 4.5v4h-4" />
        </>},
    }
}

/// The CopyTrade mark: a leader's rising line echoed by a follower's, in a rounded tile.
/// The same drawing is `frontend/assets/favicon.svg`.
#[component]
pub fn Logo() -> Html {
    html! {
        <svg class="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
            <rect class="logo__tile" width="32" height="32" rx="8" />
            <path
                class="logo__follower"
                d="M7 22.5 12.5 17l4 3.5L25 12"
                fill="none"
                stroke-width="2.6"
                stroke-linecap="round"
                stroke-linejoin="round"
            />
            <path
                class="logo__leader"
                d="M7 17.5 12.5 12l4 3.5L25 7"
                fill="none"
                stroke-width="2.6"
                stroke-linecap="round"
                stroke-linejoin="round"
            />
        </svg>
    }
}
