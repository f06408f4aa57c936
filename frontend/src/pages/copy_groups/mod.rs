//! `/copy-groups`: what is copied to which accounts. Each group has one leader, a webhook
//! (TradingView's signals) or a linked account (its own trades), and followers, each a trading
//! account with its own size, limits, symbol map and trading hours.
//!
//! Rules: the server's lists are what the page shows: `copyGroups`, and the webhooks and
//! accounts a group can lead from or copy to (`CopyGroupSources`, loaded once: they change on
//! other pages). Every action reloads the groups, and a short notice says what just happened.
//! A group needs a webhook or a linked account first; until the user has one, the page says
//! where to make it instead of offering an empty form.

mod follower_form;
mod followers;
mod group_card;
mod group_form;
mod settings;
mod sources;
mod symbol_map;

use yew::prelude::*;
use yew_router::prelude::*;

use self::group_card::GroupCard;
use self::group_form::GroupForm;
use self::sources::Sources;
use crate::api::copy_group_operations::{
    CopyGroupSources, CopyGroups as GroupList, copy_group_sources, copy_groups as group_list,
};
use crate::api::hooks::{Remote, use_query};
use crate::app::Route;
use crate::components::{EmptyState, Icon, IconName, PageHeader, load_failed, loading};

#[component]
pub fn CopyGroups() -> Html {
    let groups = use_query::<GroupList>(group_list::Variables);
    let sources = use_query::<CopyGroupSources>(copy_group_sources::Variables);
    let creating = use_state_eq(|| false);
    let notice = use_state_eq(|| None::<String>);

    let reload = groups.refetch();
    let toggle = {
        let (creating, notice) = (creating.clone(), notice.clone());
        Callback::from(move |_: MouseEvent| {
            notice.set(None);
            creating.set(!*creating);
        })
    };
    let cancel = {
        let creating = creating.clone();
        Callback::from(move |()| creating.set(false))
    };
    let created = {
        let (creating, notice, reload) = (creating.clone(), notice.clone(), reload.clone());
        Callback::from(move |name: String| {
            creating.set(false);
            notice.set(Some(format!(
                "“{name}” is created and active. Add the accounts that should copy it."
            )));
            reload.emit(());
        })
    };
    let deleted = {
        let (notice, reload) = (notice.clone(), reload.clone());
        Callback::from(move |name: String| {
            notice.set(Some(format!(
                "“{name}” is deleted: its followers no longer copy it. The trade log keeps what it copied."
            )));
            reload.emit(());
        })
    };

    let known = match sources.state() {
        Remote::Ready(data) => Some(Sources::from_server(data)),
        _ => None,
    };
    let create_card = if *creating {
        let body = match (sources.state(), &known) {
            (Remote::Failed(error), _) => load_failed(
                "Your webhooks and accounts could not be loaded",
                error,
                &sources.refetch(),
            ),
            (_, Some(known)) if known.is_empty() => prerequisites(),
            (_, Some(known)) => html! {
                <GroupForm sources={known.clone()} on_saved={created} on_cancel={cancel} />
            },
            _ => loading("Loading your webhooks and accounts"),
        };
        html! {
            <section class="card" aria-labelledby="create-title">
                <header class="card__header">
                    <span class="card__icon"><Icon name={IconName::Plus} /></span>
                    <div class="card__heading">
                        <h2 class="card__title" id="create-title">{ "New copy group" }</h2>
                        <p class="card__description">
                            { "Name the group and choose its leader. Followers are added to it next, each with its own size and limits." }
                        </p>
                    </div>
                </header>
                { body }
            </section>
        }
    } else {
        Html::default()
    };

    // Offered in the empty list while the form is closed: the form, or what it needs first.
    let nothing_to_lead = known.as_ref().is_some_and(Sources::is_empty);
    let first_group = if *creating {
        Html::default()
    } else if nothing_to_lead {
        html! {
            <div class="empty-state__actions">
                <Link<Route> to={Route::Webhooks} classes="button button--secondary">{ "Create a webhook" }</Link<Route>>
                <Link<Route> to={Route::Accounts} classes="button button--secondary">{ "Link an account" }</Link<Route>>
            </div>
        }
    } else {
        html! {
            <button class="button button--secondary" type="button" onclick={toggle.clone()}>
                { "Create your first copy group" }
            </button>
        }
    };
    let empty_text = if nothing_to_lead {
        "A copy group needs a leader first: a webhook that receives your TradingView alerts, or a linked account whose own trades it mirrors. Paper trading accounts work too."
    } else {
        "A copy group sends what its leader does, a webhook's signals or a linked account's own trades, to the follower accounts, each sized and limited its own way."
    };
    let list = match groups.state() {
        Remote::Loading => {
            html! { <section class="card">{ loading("Loading your copy groups") }</section> }
        }
        Remote::Failed(error) => html! {
            <section class="card">{ load_failed("Your copy groups could not be loaded", error, &reload) }</section>
        },
        Remote::Ready(data) if data.copy_groups.is_empty() => html! {
            <section class="card" data-testid="copy-groups-empty">
                <EmptyState icon={IconName::CopyGroups} title="No copy groups yet" action={first_group}>
                    { empty_text }
                </EmptyState>
            </section>
        },
        Remote::Ready(data) => {
            let sources_loaded = known.is_some();
            let known = known.clone().unwrap_or_default();
            html! {
                <div class="copy-groups" data-testid="copy-groups">
                    { for data.copy_groups.iter().map(|group| html! {
                        <GroupCard
                            key={group.id.clone()}
                            group={group.clone()}
                            sources={known.clone()}
                            {sources_loaded}
                            on_changed={reload.clone()}
                            on_deleted={deleted.clone()}
                        />
                    }) }
                </div>
            }
        }
    };
    // Names of webhooks and accounts come from the second list; without it the groups still
    // show, and this says why the names are missing.
    let sources_failed = match (sources.state(), groups.state()) {
        (Remote::Failed(error), Remote::Ready(data))
            if !data.copy_groups.is_empty() && !*creating =>
        {
            html! {
                <section class="card">
                    { load_failed("Your webhooks and accounts could not be loaded", error, &sources.refetch()) }
                </section>
            }
        }
        _ => Html::default(),
    };

    html! {<>
        <PageHeader
            title="Copy groups"
            subtitle="What is copied where: each group copies one leader, a webhook's signals or a linked account's trades, to its follower accounts."
        >
            <button
                class="button button--primary"
                type="button"
                aria-expanded={creating.to_string()}
                onclick={toggle}
            >
                <Icon name={IconName::Plus} />
                { "New copy group" }
            </button>
        </PageHeader>
        if let Some(notice) = &*notice {
            <p class="callout callout--success" role="status" data-testid="copy-groups-notice">{ notice.clone() }</p>
        }
        { create_card }
        { sources_failed }
        { list }
    </>}
}

/// What to do before a first group: it needs a webhook or a linked account to lead it.
fn prerequisites() -> Html {
    html! {
        <div class="callout callout--info" data-testid="copy-group-prerequisites">
            <p class="callout__title">{ "First, something to copy" }</p>
            <p>
                { "A group copies a webhook's signals or a linked account's trades, and you have neither yet. " }
                <Link<Route> to={Route::Webhooks}>{ "Create a webhook" }</Link<Route>>
                { " for your TradingView alerts, or " }
                <Link<Route> to={Route::Accounts}>{ "link an account" }</Link<Route>>
                { " (paper trading works too). Followers are linked accounts as well." }
            </p>
        </div>
    }
}
