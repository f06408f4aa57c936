//! `/copy-groups`: a leader account and the followers that mirror it.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::{EmptyState, Icon, IconName, PageHeader};

/// How copying works, step by step.
const FLOW: [(&str, &str); 3] = [
    (
        "The leader trades",
        "You trade as usual on the leader account, in its own platform.",
    ),
    (
        "CopyTrade sees the order",
        "The server follows the leader's orders and fills as the broker reports them.",
    ),
    (
        "Followers mirror it",
        "Each follower receives the same order, sized by its own ratio, and the result lands in the trade log.",
    ),
];

#[component]
pub fn CopyGroups() -> Html {
    let flow = FLOW.iter().enumerate().map(|(index, &(title, text))| {
        html! {
            <li class="flow__item">
                <span class="flow__number" aria-hidden="true">{ index + 1 }</span>
                <h3 class="flow__title">{ title }</h3>
                <p class="flow__text">{ text }</p>
            </li>
        }
    });

    html! {<>
        <PageHeader
            title="Copy groups"
            subtitle="A copy group pairs one leader account with the follower accounts that mirror its orders."
        >
            <button class="button button--primary" type="button" disabled=true title="Link accounts first">
                <Icon name={IconName::Plus} />
                { "New copy group" }
            </button>
        </PageHeader>
        <section class="card">
            <EmptyState
                icon={IconName::CopyGroups}
                title="No copy groups yet"
                action={html! {
                    <Link<Route> to={Route::Accounts} classes="button button--secondary">{ "Go to accounts" }</Link<Route>>
                }}
            >
                { "Link at least two accounts first: one to lead and one to follow." }
            </EmptyState>
        </section>
        <section class="card" aria-labelledby="flow-title">
            <header class="card__header">
                <h2 class="card__title" id="flow-title">{ "How copying works" }</h2>
            </header>
            <ol class="flow">{ for flow }</ol>
        </section>
    </>}
}
