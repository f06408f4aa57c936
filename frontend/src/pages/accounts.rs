//! `/accounts`: the broker accounts that lead and follow. Private; linking arrives with the
//! broker connections.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::{EmptyState, Icon, IconName, PageHeader};

/// The venues CopyTrade connects to: name, CSS modifier, and what kind of venue it is.
const BROKERS: [(&str, &str, &str); 6] = [
    ("Tradovate", "tradovate", "Futures broker"),
    ("TopstepX", "topstepx", "Futures prop firm"),
    ("Apex", "apex", "Futures prop firm"),
    ("Binance", "binance", "Crypto exchange"),
    ("Bybit", "bybit", "Crypto exchange"),
    ("OKX", "okx", "Crypto exchange"),
];

#[component]
pub fn Accounts() -> Html {
    let brokers = BROKERS.iter().map(|&(name, slug, kind)| {
        html! {
            <li class="broker">
                <span class={classes!("broker__mark", format!("broker__mark--{slug}"))} aria-hidden="true">
                    { name.chars().next().map(String::from).unwrap_or_default() }
                </span>
                <span class="broker__text">
                    <span class="broker__name">{ name }</span>
                    <span class="broker__kind">{ kind }</span>
                </span>
            </li>
        }
    });

    html! {<>
        <PageHeader
            title="Accounts"
            subtitle="Link your Tradovate, TopstepX, Apex, Binance, Bybit or OKX accounts. One account leads; the others follow it."
        >
            <button class="button button--primary" type="button" disabled=true title="Broker linking arrives in an upcoming release">
                <Icon name={IconName::Plus} />
                { "Link account" }
            </button>
        </PageHeader>
        <section class="card">
            <EmptyState
                icon={IconName::Accounts}
                title="No accounts linked yet"
                action={html! {
                    <Link<Route> to={Route::Settings} classes="button button--secondary">{ "Secure your account first" }</Link<Route>>
                }}
            >
                { "Broker linking arrives in an upcoming release. API keys are encrypted before they are stored and are only ever shown again as a masked preview." }
            </EmptyState>
        </section>
        <section class="card" aria-labelledby="brokers-title">
            <header class="card__header">
                <h2 class="card__title" id="brokers-title">{ "Supported brokers" }</h2>
            </header>
            <ul class="broker-grid">{ for brokers }</ul>
        </section>
    </>}
}
