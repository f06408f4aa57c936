//! One signal of the log: when it came, what came of it (or why it was rejected, naming the
//! field), its raw payload folded away, and a row per follower's copy with its fill, its
//! latency and its slippage.

use yew::prelude::*;

use super::model::{Entry, GroupNames, Order, latency_ms};
use crate::api::trading_operations::SignalStatus;
use crate::components::AccountNames;
use crate::format::{Clock, amount_label, points_label, price_label};

#[derive(Properties, PartialEq)]
pub struct LogEntryProps {
    pub entry: Entry,
    pub names: AccountNames,
    pub groups: GroupNames,
}

#[component]
pub fn LogEntry(props: &LogEntryProps) -> Html {
    let signal = &props.entry.signal;
    let received = Clock::parse(&signal.received_at)
        .map_or_else(|| signal.received_at.clone(), |clock| clock.moment_label());
    let (badge, result) = match signal.status {
        SignalStatus::Accepted => (
            html! { <span class="badge badge--success">{ "Accepted" }</span> },
            html! { { signal.outcome.clone().unwrap_or_default() } },
        ),
        SignalStatus::Rejected => (
            html! { <span class="badge badge--danger">{ "Rejected" }</span> },
            html! {<>
                if let Some(field) = &signal.error_field {
                    <code class="log-entry__field" data-testid="log-entry-error-field">{ field.clone() }</code>{ " " }
                }
                { signal.error.clone().unwrap_or_default() }
            </>},
        ),
        SignalStatus::Unknown => (
            html! { <span class="badge">{ "Other" }</span> },
            Html::default(),
        ),
    };
    let orders = if props.entry.orders.is_empty() {
        html! {
            <p class="log-entry__none" data-testid="log-entry-no-orders">
                { "No follower copy: the signal was rejected, or no enabled group follows its webhook." }
            </p>
        }
    } else {
        html! {
            <div class="table-wrap">
                <table class="table table--compact log-entry__orders">
                    <caption class="visually-hidden">{ format!("Copies of the signal received {received}") }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "Account" }</th>
                            <th scope="col">{ "Group" }</th>
                            <th scope="col">{ "Order" }</th>
                            <th scope="col">{ "Status" }</th>
                            <th scope="col" class="table__numeric">{ "Filled" }</th>
                            <th scope="col" class="table__numeric">{ "Latency" }</th>
                            <th scope="col" class="table__numeric">{ "Slippage" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for props.entry.orders.iter().map(|order| {
                            order_row(order, &signal.received_at, &props.names, &props.groups)
                        }) }
                    </tbody>
                </table>
            </div>
        }
    };
    html! {
        <article
            class="card log-entry"
            data-testid="log-entry"
            data-signal-id={signal.id.clone()}
            data-status={signal.status.code()}
        >
            <header class="log-entry__header">
                <time class="log-entry__time" datetime={signal.received_at.clone()} data-testid="log-entry-time">
                    { received.clone() }
                </time>
                <span data-testid="log-entry-status">{ badge }</span>
                <span class="log-entry__result" data-testid="log-entry-result">{ result }</span>
            </header>
            <details class="log-entry__payload">
                <summary>{ "Raw payload" }</summary>
                <pre class="log-entry__payload-text" data-testid="log-entry-payload">{ signal.raw_payload.clone() }</pre>
            </details>
            { orders }
        </article>
    }
}

fn order_row(order: &Order, received_at: &str, names: &AccountNames, groups: &GroupNames) -> Html {
    let group = groups.name(order.copy_group_id.as_deref());
    let what = [
        order.side.map(|side| side.label().to_owned()),
        order.quantity.map(amount_label),
        order.symbol.clone(),
        order.order_type.map(|kind| kind.label().to_lowercase()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let filled = match order.average_price {
        Some(price) if order.filled_quantity > 0.0 => {
            format!(
                "{} @ {}",
                amount_label(order.filled_quantity),
                price_label(price)
            )
        }
        _ => "—".to_owned(),
    };
    let latency =
        latency_ms(received_at, order).map_or_else(|| "—".to_owned(), |ms| format!("{ms} ms"));
    let slippage = order.slippage.map_or_else(|| "—".to_owned(), points_label);
    html! {
        <tr
            key={order.id.clone()}
            data-testid="log-order"
            data-status={order.status.code()}
            data-client-order-id={order.client_order_id.clone()}
        >
            <td data-testid="order-account">{ names.name(order.account_id.as_deref()) }</td>
            <td data-testid="order-group">{ group }</td>
            <td data-testid="order-what">{ what }</td>
            <td>
                <span class={classes!("badge", order.status.badge_class())} data-testid="order-status">
                    { order.status.label() }
                </span>
                if let Some(reason) = &order.reason {
                    <span class="log-entry__reason" data-testid="order-reason">{ reason.clone() }</span>
                }
            </td>
            <td class="table__numeric" data-testid="order-filled">{ filled }</td>
            <td class="table__numeric" data-testid="order-latency">{ latency }</td>
            <td class="table__numeric" data-testid="order-slippage">{ slippage }</td>
        </tr>
    }
}
