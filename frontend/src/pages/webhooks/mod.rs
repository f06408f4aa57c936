//! `/webhooks`: where signals come in. The user's webhooks with who may send to each, the form
//! that makes another, and the last signals received, accepted or not.
//!
//! Rules: a webhook's URL holds its token, and the server keeps only the token's hash (and its
//! signing secret sealed), so the URL and the secret are shown once: right after creating or
//! rotating, in a panel that says so, until the user closes it. They are never stored in the
//! browser beyond that panel. The server's lists
//! (`webhooks`, `recentSignals`) are what the page shows; every action reloads both, and the
//! signals list has its own Refresh button, since signals arrive from elsewhere.

mod access;
mod create_form;
mod one_time_url;
mod signals;
mod webhook_card;

use yew::prelude::*;

use self::create_form::CreateForm;
use self::one_time_url::{OneTimeUrl, Secret};
use self::signals::SignalsTable;
use self::webhook_card::WebhookCard;
use crate::api::hooks::{Remote, use_query};
use crate::api::operations::{
    RecentSignals, Webhooks as WebhookList, recent_signals, webhooks as webhook_list,
};
use crate::components::{EmptyState, Icon, IconName, PageHeader, load_failed, loading};
use crate::format::Clock;

/// How many signals the table shows.
const SIGNALS_SHOWN: i64 = 20;

#[component]
pub fn Webhooks() -> Html {
    let webhooks = use_query::<WebhookList>(webhook_list::Variables);
    let signals = use_query::<RecentSignals>(recent_signals::Variables {
        first: SIGNALS_SHOWN,
    });
    let creating = use_state_eq(|| false);
    let secret = use_state_eq(|| None::<Secret>);
    let notice = use_state_eq(|| None::<String>);

    let reload = {
        let (webhooks, signals) = (webhooks.refetch(), signals.refetch());
        Callback::from(move |()| {
            webhooks.emit(());
            signals.emit(());
        })
    };
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
    // A new URL and secret (a new webhook, or a rotated one): shown once, above everything else.
    let show_secret = {
        let (creating, secret, notice, reload) = (
            creating.clone(),
            secret.clone(),
            notice.clone(),
            reload.clone(),
        );
        Callback::from(move |new: Secret| {
            creating.set(false);
            notice.set(None);
            secret.set(Some(new));
            reload.emit(());
        })
    };
    let secret_done = {
        let secret = secret.clone();
        Callback::from(move |()| secret.set(None))
    };
    let deleted = {
        let (secret, notice, reload) = (secret.clone(), notice.clone(), reload.clone());
        Callback::from(move |name: String| {
            secret.set(None);
            notice.set(Some(format!(
                "“{name}” is deleted: its URL no longer works. The signals it received stay in the log."
            )));
            reload.emit(());
        })
    };

    let create_card = if *creating {
        html! {
            <section class="card" aria-labelledby="create-title">
                <header class="card__header">
                    <span class="card__icon"><Icon name={IconName::Plus} /></span>
                    <div class="card__heading">
                        <h2 class="card__title" id="create-title">{ "New webhook" }</h2>
                        <p class="card__description">
                            { "A webhook is a private URL that TradingView (or any HTTP client) sends signals to. Name it after what sends to it." }
                        </p>
                    </div>
                </header>
                <CreateForm on_created={show_secret.clone()} on_cancel={cancel} />
            </section>
        }
    } else {
        Html::default()
    };

    let first_webhook = if *creating {
        Html::default()
    } else {
        html! {
            <button class="button button--secondary" type="button" onclick={toggle.clone()}>
                { "Create your first webhook" }
            </button>
        }
    };
    let list = match webhooks.state() {
        Remote::Loading => {
            html! { <section class="card">{ loading("Loading your webhooks") }</section> }
        }
        Remote::Failed(error) => html! {
            <section class="card">
                { load_failed("Your webhooks could not be loaded", error, &webhooks.refetch()) }
            </section>
        },
        Remote::Ready(data) if data.webhooks.is_empty() => html! {
            <section class="card" data-testid="webhooks-empty">
                <EmptyState icon={IconName::Webhooks} title="No webhooks yet" action={first_webhook}>
                    { "Make a webhook, paste its URL into a TradingView alert, and every alert arrives here as a signal. The URL is a secret: whoever has it can send signals." }
                </EmptyState>
            </section>
        },
        Remote::Ready(data) => html! {
            <div class="webhooks" data-testid="webhooks">
                { for data.webhooks.iter().map(|webhook| html! {
                    <WebhookCard
                        key={webhook.id.clone()}
                        webhook={webhook.clone()}
                        on_changed={reload.clone()}
                        on_rotated={show_secret.clone()}
                        on_deleted={deleted.clone()}
                    />
                }) }
            </div>
        },
    };
    // Signals name their webhook by id; the list gives the names.
    let names: Vec<(String, String)> = match webhooks.state() {
        Remote::Ready(data) => data
            .webhooks
            .iter()
            .map(|webhook| (webhook.id.clone(), webhook.name.clone()))
            .collect(),
        _ => Vec::new(),
    };

    html! {<>
        <PageHeader
            title="Webhooks"
            subtitle="Where your signals come in: paste a webhook's URL into a TradingView alert, or send to it from any HTTP client."
        >
            <button
                class="button button--primary"
                type="button"
                aria-expanded={creating.to_string()}
                onclick={toggle}
            >
                <Icon name={IconName::Plus} />
                { "New webhook" }
            </button>
        </PageHeader>
        if let Some(notice) = &*notice {
            <p class="callout callout--success" role="status" data-testid="webhooks-notice">{ notice.clone() }</p>
        }
        if let Some(secret) = &*secret {
            <OneTimeUrl secret={secret.clone()} on_done={secret_done} />
        }
        { create_card }
        { list }
        <SignalsTable
            signals={signals.state().clone()}
            {names}
            on_refresh={reload}
        />
    </>}
}

/// A server time as a moment in a log (`Sun 23 Nov 2025, 18:42:07 UTC`), or as sent if it
/// does not parse.
fn moment(text: &str) -> String {
    Clock::parse(text).map_or_else(|| text.to_owned(), |clock| clock.moment_label())
}
