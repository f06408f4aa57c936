//! The log's filters: copy group, account, status and a range of UTC days. Each change
//! applies at once; the page reloads the log from its first page.

use yew::prelude::*;

use super::model::{Filter, GroupNames};
use crate::api::trading_operations::CopyStatus;
use crate::components::{AccountNames, SelectField, SelectOption, TextField};

#[derive(Properties, PartialEq)]
pub struct FiltersProps {
    pub filter: Filter,
    pub groups: GroupNames,
    pub accounts: AccountNames,
    pub on_change: Callback<Filter>,
}

#[component]
pub fn Filters(props: &FiltersProps) -> Html {
    // One callback per field: the filter as it is, with that field changed.
    let set = |apply: fn(&mut Filter, String)| {
        let (filter, on_change) = (props.filter.clone(), props.on_change.clone());
        Callback::from(move |value: String| {
            let mut changed = filter.clone();
            apply(&mut changed, value);
            on_change.emit(changed);
        })
    };
    let clear = props.on_change.reform(|_: MouseEvent| Filter::default());
    let groups: Vec<SelectOption> = props
        .groups
        .0
        .iter()
        .map(|(id, name)| SelectOption::new(id, name))
        .collect();
    let accounts: Vec<SelectOption> = props
        .accounts
        .accounts()
        .iter()
        .map(|account| {
            SelectOption::new(
                &account.id,
                &format!("{} · {}", account.name, account.connection),
            )
        })
        .collect();
    let statuses: Vec<SelectOption> = CopyStatus::ALL
        .iter()
        .map(|status| SelectOption::new(status.code(), status.label()))
        .collect();
    let filter = &props.filter;
    html! {
        <form
            class="log-filters"
            aria-label="Filter the trade log"
            data-testid="log-filters"
            onsubmit={Callback::from(|event: SubmitEvent| event.prevent_default())}
        >
            <SelectField
                id="log-filter-group"
                label="Copy group"
                value={filter.group.clone()}
                options={groups}
                placeholder="All groups"
                on_change={set(|filter, value| filter.group = value)}
            />
            <SelectField
                id="log-filter-account"
                label="Account"
                value={filter.account.clone()}
                options={accounts}
                placeholder="All accounts"
                on_change={set(|filter, value| filter.account = value)}
            />
            <SelectField
                id="log-filter-status"
                label="Copy status"
                value={filter.status.clone()}
                options={statuses}
                placeholder="Any status"
                on_change={set(|filter, value| filter.status = value)}
            />
            <TextField
                id="log-filter-from"
                label="From (UTC)"
                kind="date"
                value={filter.from.clone()}
                on_input={set(|filter, value| filter.from = value)}
            />
            <TextField
                id="log-filter-to"
                label="To (UTC)"
                kind="date"
                value={filter.to.clone()}
                on_input={set(|filter, value| filter.to = value)}
            />
            if !filter.is_empty() {
                <div class="log-filters__clear">
                    <button class="button button--secondary" type="button" onclick={clear}>{ "Clear filters" }</button>
                </div>
            }
        </form>
    }
}
