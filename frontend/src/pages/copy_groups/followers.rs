//! A group's followers as a table: each account with how it sizes orders, its limits, symbol
//! map and hours, a switch that pauses copying to it, and Edit and Remove.
//!
//! Rules: the list is the source of truth; each action reports back and the page reloads it.
//! A switch shows what was asked while its request runs, and goes back with the reason if it
//! fails. Removing asks first, in a row under the follower.

use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::settings::{Mapping, Settings, number_label};
use super::sources::Sources;
use crate::api::copy_group_operations::copy_groups::CopyGroupsCopyGroupsFollowers as Follower;
use crate::api::copy_group_operations::{
    RemoveFollower, SetFollowerEnabled, remove_follower, set_follower_enabled,
};
use crate::api::fetch;
use crate::components::{FormAlert, reload_if_gone, use_session, use_submission};
use crate::feedback::Form;
use crate::format::money_label;

/// The table's columns, for the row under a follower that spans them all.
const COLUMNS: u32 = 10;

#[derive(Properties, PartialEq)]
pub struct FollowersTableProps {
    pub group_name: AttrValue,
    pub followers: Vec<Follower>,
    pub sources: Sources,
    /// The follower whose edit form is open.
    pub editing: Option<AttrValue>,
    /// Edit (or stop editing) this follower.
    pub on_edit: Callback<AttrValue>,
    /// Something changed on the server: reload the list.
    pub on_changed: Callback<()>,
    /// Removed: what to tell the user.
    pub on_removed: Callback<String>,
}

#[component]
pub fn FollowersTable(props: &FollowersTableProps) -> Html {
    let rows = props.followers.iter().map(|follower| {
        html! {
            <FollowerRow
                key={follower.id.clone()}
                follower={follower.clone()}
                group_name={props.group_name.clone()}
                account_name={props.sources.account_name(&follower.trading_account_id)}
                place={props.sources.account(&follower.trading_account_id).map(|account| account.place())}
                editing={props.editing.as_deref() == Some(follower.id.as_str())}
                on_edit={props.on_edit.clone()}
                on_changed={props.on_changed.clone()}
                on_removed={props.on_removed.clone()}
            />
        }
    });
    html! {
        <div class="table-wrap">
            <table class="table table--compact followers" data-testid="followers">
                <caption class="visually-hidden">{ format!("Followers of {}", props.group_name) }</caption>
                <thead>
                    <tr>
                        <th scope="col">{ "Account" }</th>
                        <th scope="col">{ "Size" }</th>
                        <th scope="col" class="table__numeric">{ "Max order" }</th>
                        <th scope="col" class="table__numeric">{ "Max position" }</th>
                        <th scope="col">{ "Invert" }</th>
                        <th scope="col">{ "Symbol map" }</th>
                        <th scope="col" class="table__numeric">{ "Daily loss limit" }</th>
                        <th scope="col">{ "Hours (UTC)" }</th>
                        <th scope="col">{ "On" }</th>
                        <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                    </tr>
                </thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct FollowerRowProps {
    follower: Follower,
    group_name: AttrValue,
    account_name: String,
    /// Where the account is (`Alpha · Paper trading`), when the lists hold it.
    place: Option<String>,
    editing: bool,
    on_edit: Callback<AttrValue>,
    on_changed: Callback<()>,
    on_removed: Callback<String>,
}

#[component]
fn FollowerRow(props: &FollowerRowProps) -> Html {
    let session = use_session();
    let switching = use_submission();
    let removing = use_submission();
    let confirming = use_state_eq(|| false);
    // What was asked since the list last loaded; `None` shows the list's value.
    let shown = use_state_eq(|| None::<bool>);
    {
        let shown = shown.clone();
        use_effect_with(props.follower.enabled, move |_| shown.set(None));
    }
    let enabled = (*shown).unwrap_or(props.follower.enabled);
    let follower = &props.follower;
    let name = props.account_name.clone();

    let on_switch = {
        let (switching, shown, session) = (switching.clone(), shown.clone(), session.clone());
        let (id, on_changed) = (follower.id.clone(), props.on_changed.clone());
        Callback::from(move |event: Event| {
            let on = event.target_unchecked_into::<HtmlInputElement>().checked();
            if !switching.begin() {
                return;
            }
            shown.set(Some(on));
            let variables = set_follower_enabled::Variables {
                id: id.clone(),
                enabled: on,
            };
            let (switching, shown, session, on_changed) = (
                switching.clone(),
                shown.clone(),
                session.clone(),
                on_changed.clone(),
            );
            spawn_local(async move {
                match fetch::<SetFollowerEnabled>(variables).await {
                    Ok(data) => {
                        switching.finish();
                        shown.set(Some(data.set_follower_enabled.enabled));
                        on_changed.emit(());
                    }
                    Err(error) => {
                        shown.set(None);
                        reload_if_gone(&error, &on_changed);
                        switching.fail(&error, &Form::BUTTON, &session);
                    }
                }
            });
        })
    };
    let remove = {
        let (removing, session) = (removing.clone(), session.clone());
        let (id, on_changed, on_removed) = (
            follower.id.clone(),
            props.on_changed.clone(),
            props.on_removed.clone(),
        );
        let notice = format!(
            "{name} no longer copies “{}”. Its open positions and orders stay as they are.",
            props.group_name
        );
        Callback::from(move |_: MouseEvent| {
            if !removing.begin() {
                return;
            }
            let variables = remove_follower::Variables { id: id.clone() };
            let (removing, session, on_changed, on_removed, notice) = (
                removing.clone(),
                session.clone(),
                on_changed.clone(),
                on_removed.clone(),
                notice.clone(),
            );
            spawn_local(async move {
                match fetch::<RemoveFollower>(variables).await {
                    Ok(_) => {
                        removing.finish();
                        on_removed.emit(notice);
                    }
                    Err(error) => {
                        reload_if_gone(&error, &on_changed);
                        removing.fail(&error, &Form::BUTTON, &session);
                    }
                }
            });
        })
    };
    let toggle_confirm = {
        let (confirming, removing) = (confirming.clone(), removing.clone());
        Callback::from(move |_: MouseEvent| {
            removing.finish();
            confirming.set(!*confirming);
        })
    };
    let edit = {
        let (on_edit, id) = (props.on_edit.clone(), AttrValue::from(follower.id.clone()));
        Callback::from(move |_: MouseEvent| on_edit.emit(id.clone()))
    };

    let settings = Settings::of(follower);
    let switch_error = switching.feedback().general.clone();
    html! {<>
        <tr data-testid="follower" data-enabled={enabled.to_string()}>
            <th scope="row" data-testid="follower-account">
                <span class="followers__name">{ name.clone() }</span>
                if let Some(place) = &props.place {
                    <span class="followers__place">{ place.clone() }</span>
                }
            </th>
            <td data-testid="follower-size">{ size_label(&settings) }</td>
            <td class="table__numeric" data-testid="follower-max-order">{ limit_label(settings.max_quantity) }</td>
            <td class="table__numeric" data-testid="follower-max-position">{ limit_label(settings.max_position) }</td>
            <td data-testid="follower-invert">{ if settings.invert { "Yes" } else { "No" } }</td>
            <td class="followers__symbols" data-testid="follower-symbols">{ symbol_map_label(&settings.symbol_map) }</td>
            <td class="table__numeric" data-testid="follower-loss-limit">{ loss_limit_label(settings.daily_loss_limit) }</td>
            <td class="followers__hours" data-testid="follower-hours">{ hours_label(settings.trading_hours.as_deref()) }</td>
            <td>
                <input
                    class="followers__switch"
                    type="checkbox"
                    role="switch"
                    aria-label={format!("Copying to {name}")}
                    checked={enabled}
                    disabled={switching.busy()}
                    onchange={on_switch}
                />
            </td>
            <td>
                <div class="followers__actions">
                    <button
                        class="button button--secondary"
                        type="button"
                        aria-expanded={props.editing.to_string()}
                        onclick={edit}
                    >
                        { "Edit" }<span class="visually-hidden">{ format!(" {name}") }</span>
                    </button>
                    <button
                        class="button button--danger-outline"
                        type="button"
                        aria-expanded={confirming.to_string()}
                        onclick={toggle_confirm.clone()}
                    >
                        { "Remove…" }<span class="visually-hidden">{ format!(" {name}") }</span>
                    </button>
                </div>
            </td>
        </tr>
        if switch_error.is_some() || *confirming {
            <tr class="followers__panel">
                <td colspan={COLUMNS.to_string()}>
                    <FormAlert message={switch_error} />
                    if *confirming {
                        <div class="confirm" role="group" aria-label={format!("Confirm removing {name}")} data-testid="remove-follower-confirm">
                            <p class="confirm__text">
                                { format!("Remove {name} from “{}”? Copying to it stops at once; its open positions and working orders stay as they are, and the trade log keeps its past copies.", props.group_name) }
                            </p>
                            <FormAlert message={removing.feedback().general.clone()} />
                            <div class="form__actions">
                                <button class="button button--danger" type="button" onclick={remove} disabled={removing.busy()}>
                                    { if removing.busy() { "Removing…" } else { "Yes, remove" } }
                                </button>
                                <button class="button button--secondary" type="button" onclick={toggle_confirm}>{ "Cancel" }</button>
                            </div>
                        </div>
                    }
                </td>
            </tr>
        }
    </>}
}

/// How the follower sizes its orders: `× 2` (the signal's quantity times 2) or `Fixed 1`.
fn size_label(settings: &Settings) -> String {
    match settings.fixed_quantity {
        Some(fixed) => format!("Fixed {}", number_label(fixed)),
        None => format!("× {}", number_label(settings.multiplier)),
    }
}

/// A quantity limit, or `No limit`.
fn limit_label(limit: Option<f64>) -> String {
    limit.map_or_else(|| "No limit".to_owned(), number_label)
}

/// The daily loss limit as money, or `No limit`.
fn loss_limit_label(limit: Option<f64>) -> String {
    limit.map_or_else(|| "No limit".to_owned(), money_label)
}

/// `ES → MES, NQ → MNQ`, or `None`.
fn symbol_map_label(map: &[Mapping]) -> String {
    if map.is_empty() {
        return "None".to_owned();
    }
    map.iter()
        .map(|mapping| format!("{} → {}", mapping.from, mapping.to))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `13:30–20:00`, or `Any time`.
fn hours_label(hours: Option<&str>) -> String {
    match hours {
        None => "Any time".to_owned(),
        Some(hours) => match hours.split_once('-') {
            Some((from, until)) => format!("{from}–{until}"),
            None => hours.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            multiplier: 2.0,
            fixed_quantity: None,
            max_quantity: Some(5.0),
            max_position: None,
            invert: false,
            symbol_map: vec![Mapping {
                from: "ES".to_owned(),
                to: "MES".to_owned(),
            }],
            daily_loss_limit: Some(1500.0),
            trading_hours: Some("13:30-20:00".to_owned()),
        }
    }

    #[test]
    fn each_setting_reads_plainly() {
        assert_eq!(size_label(&settings()), "× 2");
        let fixed = Settings {
            fixed_quantity: Some(1.0),
            ..settings()
        };
        assert_eq!(size_label(&fixed), "Fixed 1");
        assert_eq!(limit_label(Some(0.5)), "0.5");
        assert_eq!(limit_label(None), "No limit");
        assert_eq!(loss_limit_label(Some(1500.0)), "1,500.00");
        assert_eq!(symbol_map_label(&settings().symbol_map), "ES → MES");
        assert_eq!(symbol_map_label(&[]), "None");
        assert_eq!(hours_label(Some("13:30-20:00")), "13:30–20:00");
        assert_eq!(hours_label(None), "Any time");
    }
}
