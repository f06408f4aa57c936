//! `/trade-log`: every copied order, newest first, with its outcome.

use yew::prelude::*;

use crate::components::{EmptyState, IconName, PageHeader};

/// The log's columns; numbers are right-aligned.
const COLUMNS: [(&str, bool); 8] = [
    ("Time", false),
    ("Copy group", false),
    ("Account", false),
    ("Symbol", false),
    ("Side", false),
    ("Quantity", true),
    ("Price", true),
    ("Status", false),
];

#[component]
pub fn TradeLog() -> Html {
    let headers = COLUMNS.iter().map(|&(name, numeric)| {
        html! { <th scope="col" class={classes!(numeric.then_some("table__numeric"))}>{ name }</th> }
    });
    html! {<>
        <PageHeader
            title="Trade log"
            subtitle="Every order copied from a leader to its followers, with its fill or the reason it failed."
        />
        <section class="card card--flush">
            <div class="table-wrap">
                <table class="table">
                    <caption class="visually-hidden">{ "Copied orders" }</caption>
                    <thead><tr>{ for headers }</tr></thead>
                    <tbody></tbody>
                </table>
            </div>
            // Outside the table, so it stays centred on the card when the columns scroll.
            <EmptyState icon={IconName::TradeLog} title="No trades copied yet">
                { "Orders appear here as soon as a copy group's leader trades, and update live as followers fill." }
            </EmptyState>
        </section>
    </>}
}
