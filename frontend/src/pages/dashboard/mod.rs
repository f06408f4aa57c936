//! `/`: the overview. The server's status and the way to a first copied trade for everyone;
//! for a logged-in user, the trading overview: fills as they happen, each copy group's state,
//! and the kill switch.
//!
//! Public, since it is where the app opens: visitors see the server and how to start; the
//! user's own overview appears only when logged in. A page that sends the user here with news
//! (a password set from a reset link) says so through [`Arrival`].

mod fills;
mod groups;
mod kill_switch;
mod overview;

use yew::prelude::*;
use yew_router::prelude::*;

use self::overview::Overview;
use crate::app::Route;
use crate::components::{
    EmptyState, Icon, IconName, PageHeader, ServerCard, SessionState, use_session,
};

/// Why the app came to the dashboard, when a page sent it here with news. Carried as history
/// state, so the message belongs to that one arrival: a reload, or a link someone crafted,
/// never shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// A reset link set a new password, and this browser is logged in with it.
    PasswordReset,
}

impl Arrival {
    fn message(self) -> &'static str {
        match self {
            Self::PasswordReset => {
                "Your password was changed and you are logged in. Every other browser and device was logged out."
            }
        }
    }
}

#[component]
pub fn Dashboard() -> Html {
    let session = use_session();
    let arrival = use_location().and_then(|location| location.state::<Arrival>());
    let first_step = match session.user() {
        Some(user) if user.totp_enabled => html! {
            <Step number=1 title="Your account is protected" to={Route::Settings} action="Settings">
                { "Two-factor login is on. Review your recent security events from time to time." }
            </Step>
        },
        Some(_) => html! {
            <Step number=1 title="Protect your account" to={Route::Settings} action="Settings">
                { "Turn on two-factor login before you link broker accounts: a password alone should not move money." }
            </Step>
        },
        None => html! {
            <Step number=1 title="Create your account" to={Route::Signup} action="Sign up">
                { "Your broker keys and copy groups belong to your account. Already have one? Log in." }
            </Step>
        },
    };
    let overview = match &session.state {
        // Keyed by user: another user's feed and groups never carry over.
        SessionState::LoggedIn(user) => html! { <Overview key={user.id.clone()} /> },
        SessionState::Checking => html! {
            <section class="card" data-testid="overview">
                <div class="skeleton" aria-busy="true" aria-label="Checking your session">
                    <span class="skeleton__line"></span>
                    <span class="skeleton__line skeleton__line--short"></span>
                </div>
            </section>
        },
        SessionState::LoggedOut(_) | SessionState::Unknown(_) => html! {
            <section class="card" data-testid="overview">
                <EmptyState
                    icon={IconName::Dashboard}
                    title="Log in to see your trading overview"
                    action={html! {
                        <div class="empty-state__actions">
                            <Link<Route> to={Route::Login} classes="button button--primary">{ "Log in" }</Link<Route>>
                            <Link<Route> to={Route::Signup} classes="button button--secondary">{ "Create an account" }</Link<Route>>
                        </div>
                    }}
                >
                    { "Your copied orders, copy groups and followers show up here once you are logged in." }
                </EmptyState>
            </section>
        },
    };
    // A trader's own overview comes first; a visitor sees the server and the way in first.
    let (top, bottom) = if matches!(session.state, SessionState::LoggedIn(_)) {
        (overview, Html::default())
    } else {
        (Html::default(), overview)
    };
    html! {<>
        <PageHeader
            title="Dashboard"
            subtitle="Copy every order from a leader account to its followers, across brokers, as it happens."
        />
        if let Some(arrival) = arrival {
            <p class="callout callout--success" role="status" data-testid="dashboard-notice">{ arrival.message() }</p>
        }
        { top }
        <div class="grid grid--two">
            <ServerCard />
            <section class="card" aria-labelledby="start-title">
                <header class="card__header">
                    <span class="card__icon"><Icon name={IconName::Compass} /></span>
                    <h2 class="card__title" id="start-title">{ "Getting started" }</h2>
                </header>
                <ol class="steps">
                    { first_step }
                    <Step number=2 title="Link your broker accounts" to={Route::Accounts} action="Accounts">
                        { "Connect a leader and its followers on Tradovate, TopstepX, Apex, Binance, Bybit or OKX." }
                    </Step>
                    <Step number=3 title="Connect your signals" to={Route::Webhooks} action="Webhooks">
                        { "Make a webhook and paste its URL into a TradingView alert; send a test signal to see it arrive." }
                    </Step>
                    <Step number=4 title="Build a copy group" to={Route::CopyGroups} action="Copy groups">
                        { "Pick the leader, add followers, and size each follower with its own ratio." }
                    </Step>
                    <Step number=5 title="Watch the trade log" to={Route::TradeLog} action="Trade log">
                        { "Every copied order shows up with its fill, or with the broker's reason for refusing it." }
                    </Step>
                </ol>
            </section>
        </div>
        { bottom }
    </>}
}

#[derive(Properties, PartialEq)]
struct StepProps {
    number: u8,
    title: AttrValue,
    to: Route,
    action: AttrValue,
    children: Html,
}

#[component]
fn Step(props: &StepProps) -> Html {
    html! {
        <li class="steps__item">
            <span class="steps__number" aria-hidden="true">{ props.number }</span>
            <div class="steps__body">
                <h3 class="steps__title">{ props.title.clone() }</h3>
                <p class="steps__text">{ props.children.clone() }</p>
            </div>
            <Link<Route> to={props.to} classes="steps__link">
                { props.action.clone() }
                <Icon name={IconName::ArrowRight} />
            </Link<Route>>
        </li>
    }
}
