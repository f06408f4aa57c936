//! Each copy group at a glance: its name, whether it copies now or is paused, how many
//! followers it has, and what came of its latest copied order; the way to the Copy groups
//! page to change any of it.
//!
//! The latest order per group comes from the newest page of the trade log, then from the
//! `orderUpdates` subscription as orders change, so a fill or a rejection shows at once. The
//! log is asked again whenever the feed resumes after a gap.

use std::collections::HashMap;
use std::rc::Rc;

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::hooks::{Remote, use_query};
use crate::api::trading_operations::{
    CopyStatus, OrderUpdates, Side, TradeLog, copy_group_summaries, order_updates, trade_log,
};
use crate::app::Route;
use crate::components::{AccountNames, Icon, IconName, load_failed, loading, use_live_events};
use crate::format::{amount_label, unix_millis};

/// How many recent signals are read for the latest order of each group.
const RECENT_SIGNALS: i64 = 25;

/// A group's latest copied order, as the card sums it up.
#[derive(Clone, Debug, PartialEq)]
struct Latest {
    order_id: String,
    created_at: String,
    account_id: Option<String>,
    symbol: Option<String>,
    side: Option<Side>,
    quantity: Option<f64>,
    status: CopyStatus,
    reason: Option<String>,
}

/// The same fields in the trade log's and the subscription's generated types.
macro_rules! latest_from {
    ($($source:ty),+) => {$(
        impl From<&$source> for Latest {
            fn from(order: &$source) -> Self {
                Self {
                    order_id: order.id.clone(),
                    created_at: order.created_at.clone(),
                    account_id: order.trading_account_id.clone(),
                    symbol: order.symbol.clone(),
                    side: order.side,
                    quantity: order.quantity,
                    status: order.status,
                    reason: order.reason.clone(),
                }
            }
        }
    )+};
}

latest_from!(
    trade_log::TradeLogTradeLogEdgesNodeOrders,
    order_updates::OrderUpdatesOrderUpdatesOrder
);

/// The latest order of each group, by group id.
#[derive(Debug, Default, PartialEq)]
struct LatestOrders(HashMap<String, Latest>);

impl Reducible for LatestOrders {
    /// Orders by their group, newest or oldest alike.
    type Action = Vec<(String, Latest)>;

    fn reduce(self: Rc<Self>, orders: Self::Action) -> Rc<Self> {
        let mut latest = self.0.clone();
        for (group, order) in orders {
            let newer = latest.get(&group).is_none_or(|current| {
                current.order_id == order.order_id
                    || unix_millis(&order.created_at) >= unix_millis(&current.created_at)
            });
            if newer {
                latest.insert(group, order);
            }
        }
        Rc::new(Self(latest))
    }
}

#[derive(Properties, PartialEq)]
pub struct GroupStatusProps {
    pub groups: Remote<copy_group_summaries::ResponseData>,
    pub names: AccountNames,
    pub on_retry: Callback<()>,
}

#[component]
pub fn GroupStatus(props: &GroupStatusProps) -> Html {
    let latest = use_reducer_eq(LatestOrders::default);
    let recent = use_query::<TradeLog>(trade_log::Variables {
        first: RECENT_SIGNALS,
        after: None,
        filter: None,
    });
    let on_update = {
        let latest = latest.dispatcher();
        Callback::from(move |data: order_updates::ResponseData| {
            let order = &data.order_updates.order;
            if let Some(group) = &order.copy_group_id {
                latest.dispatch(vec![(group.clone(), order.into())]);
            }
        })
    };
    let live = use_live_events::<OrderUpdates>(order_updates::Variables, on_update);
    {
        let latest = latest.dispatcher();
        use_effect_with(recent.state().clone(), move |state| {
            if let Remote::Ready(data) = state {
                let orders = data
                    .trade_log
                    .edges
                    .iter()
                    .flat_map(|edge| edge.node.orders.iter())
                    .filter_map(|order| Some((order.copy_group_id.clone()?, order.into())))
                    .collect();
                latest.dispatch(orders);
            }
        });
    }
    {
        let (refetch, on_retry) = (recent.refetch(), props.on_retry.clone());
        use_effect_with(live.resumed, move |resumed| {
            if *resumed > 0 {
                refetch.emit(());
                on_retry.emit(());
            }
        });
    }

    let body = match &props.groups {
        Remote::Loading => loading("Loading your copy groups"),
        Remote::Failed(error) => load_failed(
            "Your copy groups could not be loaded",
            error,
            &props.on_retry,
        ),
        Remote::Ready(data) => html! {
            <ul class="group-status__list">
                { for data.copy_groups.iter().map(|group| {
                    group_item(group, latest.0.get(&group.id), &props.names)
                }) }
            </ul>
        },
    };
    html! {
        <section class="card group-status" aria-labelledby="group-status-title" data-testid="group-status">
            <header class="card__header">
                <span class="card__icon"><Icon name={IconName::CopyGroups} /></span>
                <div class="card__heading">
                    <h2 class="card__title" id="group-status-title">{ "Copy groups" }</h2>
                    <p class="card__description">{ "Which groups copy now, and what came of their latest order." }</p>
                </div>
                <Link<Route> to={Route::CopyGroups} classes="button button--secondary">{ "Manage" }</Link<Route>>
            </header>
            if let Remote::Failed(error) = recent.state() {
                { load_failed("The latest copied orders could not be loaded", error, &recent.refetch()) }
            }
            { body }
        </section>
    }
}

fn group_item(
    group: &copy_group_summaries::CopyGroupSummariesCopyGroups,
    latest: Option<&Latest>,
    names: &AccountNames,
) -> Html {
    let followers = group.followers.len();
    let followers = if followers == 1 {
        "1 follower".to_owned()
    } else {
        format!("{followers} followers")
    };
    let (state, state_class) = if group.enabled {
        ("Copying", "badge--success")
    } else {
        ("Paused", "badge--warning")
    };
    let latest = match latest {
        Some(order) => {
            let what = [
                order.side.map(|side| side.label().to_owned()),
                order.quantity.map(amount_label),
                order.symbol.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            let account = names.name(order.account_id.as_deref());
            html! {
                <p class="group-status__latest" data-testid="group-latest" data-status={order.status.code()}>
                    <span class={classes!("badge", order.status.badge_class())}>{ order.status.label() }</span>
                    { " " }
                    { if what.is_empty() { account } else { format!("{what} on {account}") } }
                    if let Some(reason) = &order.reason {
                        <span class="group-status__reason">{ format!(" — {reason}") }</span>
                    }
                </p>
            }
        }
        None => html! {
            <p class="group-status__latest group-status__latest--none" data-testid="group-latest">
                { "No copied orders yet." }
            </p>
        },
    };
    html! {
        <li class="group-status__item" key={group.id.clone()} data-testid="group" data-enabled={group.enabled.to_string()}>
            <div class="group-status__head">
                <span class="group-status__name" data-testid="group-name">{ group.name.clone() }</span>
                <span class={classes!("badge", state_class)} data-testid="group-state">{ state }</span>
            </div>
            <p class="group-status__followers" data-testid="group-followers">{ followers }</p>
            { latest }
        </li>
    }
}
