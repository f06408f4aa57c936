//! `/`: the overview. Today: the server's status and the way to a first copied trade.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::{EmptyState, Icon, IconName, PageHeader, ServerCard};

#[component]
pub fn Dashboard() -> Html {
    html! {<>
        <PageHeader
            title="Dashboard"
            subtitle="Copy every order from a leader account to its followers, across brokers, as it happens."
        />
        <div class="grid grid--two">
            <ServerCard />
            <section class="card" aria-labelledby="start-title">
                <header class="card__header">
                    <span class="card__icon"><Icon name={IconName::Compass} /></span>
                    <h2 class="card__title" id="start-title">{ "Getting started" }</h2>
                </header>
                <ol class="steps">
                    <Step number=1 title="Create your account" to={Route::Login} action="Log in">
                        { "Sign-in arrives with user accounts; your broker keys and copy groups will belong to it." }
                    </Step>
                    <Step number=2 title="Link your broker accounts" to={Route::Accounts} action="Accounts">
                        { "Connect a leader and its followers on Tradovate, TopstepX, Apex, Binance, Bybit or OKX." }
                    </Step>
                    <Step number=3 title="Build a copy group" to={Route::CopyGroups} action="Copy groups">
                        { "Pick the leader, add followers, and size each follower with its own ratio." }
                    </Step>
                    <Step number=4 title="Watch the trade log" to={Route::TradeLog} action="Trade log">
                        { "Every copied order shows up with its fill, or with the broker's reason for refusing it." }
                    </Step>
                </ol>
            </section>
        </div>
        <section class="card">
            <EmptyState icon={IconName::Dashboard} title="Your trading overview will live here">
                { "Once accounts are linked, this page sums up today's copied orders, each group's followers and any follower that fell out of step with its leader." }
            </EmptyState>
        </section>
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
