//! The last signals received, accepted or not: when, by which webhook, and what came of each.
//! A rejected one names the field that was wrong; an accepted one says what became of it. The
//! body as received is shown cut to one line, whole in its tooltip.

use yew::prelude::*;

use super::moment;
use crate::api::hooks::Remote;
use crate::api::operations::recent_signals::{
    RecentSignalsRecentSignals as Signal, ResponseData, SignalStatus,
};
use crate::components::{Icon, IconName, load_failed, loading};

#[derive(Properties, PartialEq)]
pub struct SignalsTableProps {
    pub signals: Remote<ResponseData>,
    /// The user's webhooks as (id, name), to name each signal's.
    pub names: Vec<(String, String)>,
    pub on_refresh: Callback<()>,
}

#[component]
pub fn SignalsTable(props: &SignalsTableProps) -> Html {
    let refresh = props.on_refresh.reform(|_: MouseEvent| ());
    let body = match &props.signals {
        Remote::Loading => loading("Loading the signals"),
        Remote::Failed(error) => {
            load_failed("The signals could not be loaded", error, &props.on_refresh)
        }
        Remote::Ready(data) if data.recent_signals.is_empty() => html! {
            <p class="signals__empty" data-testid="signals-empty">
                { "No signals yet. Send a test signal, or fire an alert at a webhook's URL." }
            </p>
        },
        Remote::Ready(data) => html! {
            <div class="table-wrap">
                <table class="table signals__table">
                    <caption class="visually-hidden">{ "Last signals received, newest first" }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "Received" }</th>
                            <th scope="col">{ "Webhook" }</th>
                            <th scope="col">{ "Status" }</th>
                            <th scope="col">{ "Result" }</th>
                            <th scope="col">{ "Payload" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for data.recent_signals.iter().map(|signal| row(signal, &props.names)) }
                    </tbody>
                </table>
            </div>
        },
    };
    html! {
        <section class="card signals" aria-labelledby="signals-title" data-testid="signals">
            <header class="card__header">
                <span class="card__icon"><Icon name={IconName::Activity} /></span>
                <div class="card__heading">
                    <h2 class="card__title" id="signals-title">{ "Last signals received" }</h2>
                    <p class="card__description">{ "Every signal is logged, accepted or not, newest first." }</p>
                </div>
                <button class="button button--secondary" type="button" onclick={refresh}>
                    <Icon name={IconName::Refresh} />
                    { "Refresh" }
                </button>
            </header>
            { body }
        </section>
    }
}

fn row(signal: &Signal, names: &[(String, String)]) -> Html {
    let webhook = match &signal.webhook_id {
        Some(id) => names
            .iter()
            .find(|(known, _)| known == id)
            .map_or("Deleted webhook", |(_, name)| name.as_str()),
        None => "Deleted webhook",
    };
    let (status, badge, result) = match &signal.status {
        SignalStatus::ACCEPTED => (
            "ACCEPTED",
            html! { <span class="badge badge--success">{ "Accepted" }</span> },
            html! { { signal.outcome.clone().unwrap_or_default() } },
        ),
        SignalStatus::REJECTED => (
            "REJECTED",
            html! { <span class="badge badge--danger">{ "Rejected" }</span> },
            html! {<>
                if let Some(field) = &signal.error_field {
                    <code class="signals__field" data-testid="signal-error-field">{ field.clone() }</code>{ " " }
                }
                { signal.error.clone().unwrap_or_default() }
            </>},
        ),
        SignalStatus::Other(other) => (
            "OTHER",
            html! { <span class="badge">{ other.clone() }</span> },
            Html::default(),
        ),
    };
    html! {
        <tr data-testid="signal" data-status={status}>
            <td class="signals__time">
                <time datetime={signal.received_at.clone()}>{ moment(&signal.received_at) }</time>
            </td>
            <td data-testid="signal-webhook">{ webhook }</td>
            <td data-testid="signal-status">{ badge }</td>
            <td class="signals__result" data-testid="signal-result">{ result }</td>
            <td class="signals__payload-cell">
                <code class="signals__payload" title={signal.raw_payload.clone()} data-testid="signal-payload">
                    { signal.raw_payload.clone() }
                </code>
            </td>
        </tr>
    }
}
