//! `/trade-log`: every signal received, newest first, with what each follower's copy came to:
//! its fill, the time the copier took, the slippage, or the reason it was not placed.
//!
//! Rules: the server's log (`tradeLog`) is what the page shows, a page at a time ("Load
//! more" follows the cursor); filters apply at once and reload from the first page. Copies
//! change status after the page loads (a fill arrives a moment after the order), so the
//! `orderUpdates` subscription updates the copies listed, in place; when it reports copies of
//! signals the list does not hold yet, or had a gap, the page says so and offers to reload
//! rather than reshuffling the list under the reader. "Export CSV" writes every signal the
//! filter matches, not only the pages loaded.

mod csv;
mod entry;
mod export;
mod filters;
mod model;
mod state;

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use self::entry::LogEntry;
use self::export::ExportCsv;
use self::filters::Filters;
use self::model::{Filter, GroupNames, Page};
use self::state::{Action, Log, More, Status};
use crate::api::fetch;
use crate::api::hooks::{Remote, use_query};
use crate::api::trading_operations::{
    CopyGroupSummaries, OrderUpdates, TradeLog as TradeLogQuery, copy_group_summaries,
    order_updates, trade_log,
};
use crate::components::{
    AccountNames, EmptyState, Icon, IconName, PageHeader, load_failed, loading, use_account_names,
    use_live_events,
};

/// Signals per page.
const PAGE_SIZE: i64 = 25;

#[component]
pub fn TradeLog() -> Html {
    let (names, reload_names) = use_account_names();
    let groups = use_query::<CopyGroupSummaries>(copy_group_summaries::Variables);
    let filter = use_state_eq(Filter::default);
    let refreshes = use_state_eq(|| 0_u32);
    let log = use_reducer_eq(Log::default);
    let generation = use_mut_ref(|| 0_u32);

    {
        // A new filter or a refresh: a new generation, from the first page.
        let log = log.dispatcher();
        use_effect_with(((*filter).clone(), *refreshes), move |(filter, _)| {
            let this = {
                let mut current = generation.borrow_mut();
                *current = current.wrapping_add(1);
                *current
            };
            log.dispatch(Action::Start(this));
            let variables = trade_log::Variables {
                first: PAGE_SIZE,
                after: None,
                filter: filter.to_input(),
            };
            spawn_local(async move {
                match fetch::<TradeLogQuery>(variables).await {
                    Ok(data) => log.dispatch(Action::First(this, Page::from(data))),
                    Err(error) => log.dispatch(Action::Failed(this, error)),
                }
            });
        });
    }
    let on_update = {
        let log = log.dispatcher();
        Callback::from(move |data: order_updates::ResponseData| {
            log.dispatch(Action::Update(data.order_updates.order.into()));
        })
    };
    let live = use_live_events::<OrderUpdates>(order_updates::Variables, on_update);
    {
        let log = log.dispatcher();
        use_effect_with(live.resumed, move |resumed| {
            if *resumed > 0 {
                log.dispatch(Action::Gap);
            }
        });
    }

    let refresh = {
        let refreshes = refreshes.clone();
        Callback::from(move |()| refreshes.set(refreshes.wrapping_add(1)))
    };
    let load_more = {
        let (log, filter) = (log.clone(), filter.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(cursor) = log.next.clone() else {
                return;
            };
            if log.more == More::Loading {
                return;
            }
            let this = log.generation;
            let dispatcher = log.dispatcher();
            dispatcher.dispatch(Action::MoreStarted);
            let variables = trade_log::Variables {
                first: PAGE_SIZE,
                after: Some(cursor),
                filter: filter.to_input(),
            };
            spawn_local(async move {
                match fetch::<TradeLogQuery>(variables).await {
                    Ok(data) => dispatcher.dispatch(Action::More(this, Page::from(data))),
                    Err(error) => dispatcher.dispatch(Action::MoreFailed(this, error)),
                }
            });
        })
    };
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |changed: Filter| filter.set(changed))
    };

    let known = match &names {
        Remote::Ready(names) => names.clone(),
        Remote::Loading | Remote::Failed(_) => AccountNames::default(),
    };
    let group_names = match groups.state() {
        Remote::Ready(data) => GroupNames(
            data.copy_groups
                .iter()
                .map(|group| (group.id.clone(), group.name.clone()))
                .collect(),
        ),
        Remote::Loading | Remote::Failed(_) => GroupNames::default(),
    };

    let list = match &log.status {
        Status::Loading => {
            html! { <section class="card">{ loading("Loading the trade log") }</section> }
        }
        Status::Failed(error) => html! {
            <section class="card">{ load_failed("The trade log could not be loaded", error, &refresh) }</section>
        },
        Status::Ready if log.entries.is_empty() && filter.is_empty() => html! {
            <section class="card" data-testid="log-empty">
                <EmptyState icon={IconName::TradeLog} title="No signals yet">
                    { "Every signal a webhook receives shows up here with each follower's copy: its fill, or the reason it was not placed. Copies update live as followers fill." }
                </EmptyState>
            </section>
        },
        Status::Ready if log.entries.is_empty() => html! {
            <section class="card" data-testid="log-empty">
                <EmptyState
                    icon={IconName::TradeLog}
                    title="Nothing matches these filters"
                    action={html! {
                        <button class="button button--secondary" type="button" onclick={on_filter.reform(|_: MouseEvent| Filter::default())}>
                            { "Clear filters" }
                        </button>
                    }}
                >
                    { "No signal received in this range has a copy for this group, account and status." }
                </EmptyState>
            </section>
        },
        Status::Ready => html! {<>
            <div class="log-entries" data-testid="log-entries">
                { for log.entries.iter().map(|entry| html! {
                    <LogEntry
                        key={entry.signal.id.clone()}
                        entry={entry.clone()}
                        names={known.clone()}
                        groups={group_names.clone()}
                    />
                }) }
            </div>
            { more_view(&log, load_more) }
        </>},
    };

    html! {<>
        <PageHeader
            title="Trade log"
            subtitle="Every signal received, newest first, with each follower's copy: its fill, latency and slippage, or the reason it failed."
        >
            <button class="button button--secondary" type="button" onclick={refresh.reform(|_: MouseEvent| ())}>
                <Icon name={IconName::Refresh} />
                { "Refresh" }
            </button>
        </PageHeader>
        <section class="card log-tools" aria-label="Filters and export">
            <Filters
                filter={(*filter).clone()}
                groups={group_names.clone()}
                accounts={known.clone()}
                on_change={on_filter.clone()}
            />
            <ExportCsv filter={(*filter).clone()} names={known} groups={group_names} />
        </section>
        if let Remote::Failed(error) = &names {
            <section class="card">{ load_failed("Your account names could not be loaded", error, &reload_names) }</section>
        }
        if let Remote::Failed(error) = groups.state() {
            <section class="card">{ load_failed("Your copy groups could not be loaded", error, &groups.refetch()) }</section>
        }
        if log.behind {
            <div class="callout callout--info log-behind" role="status" data-testid="log-behind">
                <p>{ "New copies arrived since this list was loaded." }</p>
                <button class="button button--secondary" type="button" onclick={refresh.reform(|_: MouseEvent| ())}>
                    { "Show them" }
                </button>
            </div>
        }
        if let Some(error) = &live.failure {
            <p class="callout callout--warning" role="status" data-testid="log-live-interrupted">
                { format!("Live updates are interrupted ({error}). Trying again in a few seconds.") }
            </p>
        }
        { list }
    </>}
}

/// "Load more", its failure, or the end of the log.
fn more_view(log: &Log, load_more: Callback<MouseEvent>) -> Html {
    match (&log.next, &log.more) {
        (None, _) => html! {
            <p class="log-end" data-testid="log-end">{ "That is every signal." }</p>
        },
        (Some(_), More::Failed(error)) => html! {
            <div class="callout callout--error" role="alert">
                <p class="callout__title">{ "More signals could not be loaded" }</p>
                <p>{ error.to_string() }</p>
                <button class="button button--secondary" type="button" onclick={load_more}>{ "Try again" }</button>
            </div>
        },
        (Some(_), more) => {
            let busy = *more == More::Loading;
            html! {
                <div class="log-more">
                    <button
                        class="button button--secondary"
                        type="button"
                        onclick={load_more}
                        disabled={busy}
                        aria-busy={busy.then_some("true")}
                    >
                        { if busy { "Loading…" } else { "Load more" } }
                    </button>
                </div>
            }
        }
    }
}
