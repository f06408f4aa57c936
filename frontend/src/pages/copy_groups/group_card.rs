//! One copy group: its name and leader, whether it copies (a switch that pauses it), its
//! followers, and what can be done with it: add a follower, edit one, rename the group or give
//! it another leader, delete it.
//!
//! Rules: the list is the source of truth. Each action reports back (`on_changed`) and the
//! page reloads the list; only the last action's outcome is kept here, as a notice. One panel
//! (a form or a confirmation) is open under the card at a time. Deleting asks first and says
//! what stays: the trade log.

use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use super::follower_form::{FollowerForm, Mode};
use super::followers::FollowersTable;
use super::group_form::{Editing, GroupForm};
use super::settings::Settings;
use super::sources::Sources;
use crate::api::copy_group_operations::copy_groups::CopyGroupsCopyGroups as Group;
use crate::api::copy_group_operations::{
    DeleteCopyGroup, SetCopyGroupEnabled, delete_copy_group, set_copy_group_enabled,
};
use crate::api::fetch;
use crate::app::Route;
use crate::components::{
    FormAlert, Icon, IconName, loading, reload_if_gone, use_session, use_submission,
};
use crate::feedback::Form;

/// What is open under the card's buttons.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Panel {
    Closed,
    AddFollower,
    EditFollower(AttrValue),
    EditGroup,
    Delete,
}

#[derive(Properties, PartialEq)]
pub struct GroupCardProps {
    pub group: Group,
    pub sources: Sources,
    /// Whether `sources` holds the server's answer yet (it is empty until then).
    pub sources_loaded: bool,
    /// Something changed on the server: reload the list.
    pub on_changed: Callback<()>,
    /// Deleted; the group's name.
    pub on_deleted: Callback<String>,
}

#[component]
pub fn GroupCard(props: &GroupCardProps) -> Html {
    let session = use_session();
    let panel = use_state_eq(|| Panel::Closed);
    let notice = use_state_eq(|| None::<String>);
    let switching = use_submission();
    let deleting = use_submission();
    // What was asked since the list last loaded; `None` shows the list's value.
    let shown = use_state_eq(|| None::<bool>);
    {
        let shown = shown.clone();
        use_effect_with(props.group.enabled, move |_| shown.set(None));
    }
    let group = &props.group;
    let enabled = (*shown).unwrap_or(group.enabled);

    let on_switch = {
        let (switching, shown, notice, session) = (
            switching.clone(),
            shown.clone(),
            notice.clone(),
            session.clone(),
        );
        let (id, on_changed) = (group.id.clone(), props.on_changed.clone());
        Callback::from(move |event: Event| {
            let on = event.target_unchecked_into::<HtmlInputElement>().checked();
            if !switching.begin() {
                return;
            }
            notice.set(None);
            shown.set(Some(on));
            let variables = set_copy_group_enabled::Variables {
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
                match fetch::<SetCopyGroupEnabled>(variables).await {
                    Ok(data) => {
                        switching.finish();
                        shown.set(Some(data.set_copy_group_enabled.enabled));
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
    let delete = {
        let (deleting, session) = (deleting.clone(), session.clone());
        let (id, name) = (group.id.clone(), group.name.clone());
        let (on_changed, on_deleted) = (props.on_changed.clone(), props.on_deleted.clone());
        Callback::from(move |_: MouseEvent| {
            if !deleting.begin() {
                return;
            }
            let variables = delete_copy_group::Variables { id: id.clone() };
            let (deleting, session, on_changed, on_deleted, name) = (
                deleting.clone(),
                session.clone(),
                on_changed.clone(),
                on_deleted.clone(),
                name.clone(),
            );
            spawn_local(async move {
                match fetch::<DeleteCopyGroup>(variables).await {
                    Ok(_) => {
                        deleting.finish();
                        on_deleted.emit(name);
                    }
                    Err(error) => {
                        reload_if_gone(&error, &on_changed);
                        deleting.fail(&error, &Form::BUTTON, &session);
                    }
                }
            });
        })
    };
    // Opens `which`, or closes it when it is open.
    let open = {
        let (panel, notice, deleting) = (panel.clone(), notice.clone(), deleting.clone());
        Callback::from(move |which: Panel| {
            notice.set(None);
            deleting.finish();
            panel.set(if *panel == which {
                Panel::Closed
            } else {
                which
            });
        })
    };
    let button = |which: Panel| open.reform(move |_: MouseEvent| which.clone());
    let close = {
        let panel = panel.clone();
        Callback::from(move |()| panel.set(Panel::Closed))
    };
    let saved = {
        let (panel, notice, on_changed) = (panel.clone(), notice.clone(), props.on_changed.clone());
        Callback::from(move |text: String| {
            panel.set(Panel::Closed);
            notice.set(Some(text));
            on_changed.emit(());
        })
    };
    let removed = {
        let (panel, notice, on_changed) = (panel.clone(), notice.clone(), props.on_changed.clone());
        Callback::from(move |text: String| {
            // An edit form open for the removed follower would edit nothing.
            if matches!(*panel, Panel::EditFollower(_)) {
                panel.set(Panel::Closed);
            }
            notice.set(Some(text));
            on_changed.emit(());
        })
    };
    let group_saved = saved.reform(|name: String| format!("Saved: “{name}”."));

    let sources = &props.sources;
    let title_id = format!("copy-group-{}-title", group.id);
    let switch_id = format!("copy-group-{}-enabled", group.id);
    let leader = sources.leader_label(
        group.webhook_id.as_deref(),
        group.leader_account_id.as_deref(),
    );
    let following: Vec<&str> = group
        .followers
        .iter()
        .map(|follower| follower.trading_account_id.as_str())
        .collect();
    let editing_follower = match &*panel {
        Panel::EditFollower(id) => Some(id.clone()),
        _ => None,
    };
    let panel_view = match &*panel {
        Panel::Closed => Html::default(),
        Panel::AddFollower => {
            let choices: Vec<_> = sources
                .accounts
                .iter()
                .filter(|account| {
                    group.leader_account_id.as_deref() != Some(account.id.as_str())
                        && !following.contains(&account.id.as_str())
                })
                .cloned()
                .collect();
            if !props.sources_loaded {
                html! { <div class="form--panel">{ loading("Loading your accounts") }</div> }
            } else if choices.is_empty() {
                no_account_left(
                    sources.accounts.is_empty(),
                    close.reform(|_: MouseEvent| ()),
                )
            } else {
                html! {
                    <FollowerForm
                        group_id={group.id.clone()}
                        group_name={group.name.clone()}
                        mode={Mode::Add { choices }}
                        on_saved={saved.clone()}
                        on_cancel={close.clone()}
                        on_gone={props.on_changed.clone()}
                    />
                }
            }
        }
        Panel::EditFollower(id) => match group.followers.iter().find(|f| f.id == id.as_str()) {
            Some(follower) => html! {
                <FollowerForm
                    key={follower.id.clone()}
                    group_id={group.id.clone()}
                    group_name={group.name.clone()}
                    mode={Mode::Edit {
                        follower_id: id.clone(),
                        account_name: sources.account_name(&follower.trading_account_id).into(),
                        saved: Settings::of(follower),
                    }}
                    on_saved={saved.clone()}
                    on_cancel={close.clone()}
                    on_gone={props.on_changed.clone()}
                />
            },
            None => Html::default(),
        },
        Panel::EditGroup if !props.sources_loaded => {
            html! { <div class="form--panel">{ loading("Loading your webhooks and accounts") }</div> }
        }
        Panel::EditGroup => html! {
            <div class="form--panel">
                <GroupForm
                    sources={sources.clone()}
                    editing={Editing {
                        id: group.id.clone().into(),
                        name: group.name.clone(),
                        webhook_id: group.webhook_id.clone(),
                        leader_account_id: group.leader_account_id.clone(),
                        follower_accounts: following.iter().map(|id| (*id).to_owned()).collect(),
                    }}
                    on_saved={group_saved}
                    on_cancel={close.clone()}
                    on_gone={props.on_changed.clone()}
                />
            </div>
        },
        Panel::Delete => html! {
            <div class="confirm confirm--panel" role="group" aria-label={format!("Confirm deleting {}", group.name)} data-testid="delete-group-confirm">
                <p class="confirm__text">
                    { format!("Delete “{}”? Its followers stop copying at once; their open positions and orders stay as they are. The trade log keeps every signal and copy the group made.", group.name) }
                </p>
                <FormAlert message={deleting.feedback().general.clone()} />
                <div class="form__actions">
                    <button class="button button--danger" type="button" onclick={delete} disabled={deleting.busy()}>
                        { if deleting.busy() { "Deleting…" } else { "Yes, delete" } }
                    </button>
                    <button class="button button--secondary" type="button" onclick={button(Panel::Delete)}>{ "Cancel" }</button>
                </div>
            </div>
        },
    };
    let on_edit_follower = open.reform(Panel::EditFollower);

    html! {
        <article class="card copy-group" aria-labelledby={title_id.clone()} data-testid="copy-group" data-enabled={enabled.to_string()}>
            <header class="card__header">
                <span class="card__icon"><Icon name={IconName::CopyGroups} /></span>
                <div class="card__heading">
                    <h2 class="card__title" id={title_id}>{ group.name.clone() }</h2>
                    <p class="card__description" data-testid="copy-group-source">{ leader }</p>
                </div>
                <span class={classes!("badge", if enabled { "badge--success" } else { "badge--warning" })} data-testid="copy-group-status">
                    { if enabled { "Active" } else { "Paused" } }
                </span>
            </header>
            <label class={classes!("choice", "copy-group__switch", enabled.then_some("choice--selected"))}>
                <input
                    type="checkbox"
                    role="switch"
                    id={switch_id.clone()}
                    aria-labelledby={format!("{switch_id}-name")}
                    aria-describedby={format!("{switch_id}-note")}
                    checked={enabled}
                    disabled={switching.busy()}
                    onchange={on_switch}
                />
                <span class="choice__text">
                    <span class="choice__name" id={format!("{switch_id}-name")}>{ "Copying" }</span>
                    <span class="choice__note" id={format!("{switch_id}-note")}>
                        { "On: the leader's signals go to every enabled follower. Off: the group is paused; nothing is copied, and each skipped copy is logged." }
                    </span>
                </span>
            </label>
            <FormAlert message={switching.feedback().general.clone()} />
            if let Some(notice) = &*notice {
                <p class="callout callout--success" role="status" data-testid="copy-group-notice">{ notice.clone() }</p>
            }
            <h3 class="copy-group__subhead">{ "Followers" }</h3>
            if group.followers.is_empty() {
                <p class="copy-group__empty" data-testid="followers-empty">
                    { "No followers yet: add the accounts that should copy this group." }
                </p>
            } else {
                <FollowersTable
                    group_name={group.name.clone()}
                    followers={group.followers.clone()}
                    sources={sources.clone()}
                    editing={editing_follower}
                    on_edit={on_edit_follower}
                    on_changed={props.on_changed.clone()}
                    on_removed={removed}
                />
            }
            <div class="form__actions copy-group__actions">
                <button
                    class="button button--primary"
                    type="button"
                    aria-expanded={(*panel == Panel::AddFollower).to_string()}
                    onclick={button(Panel::AddFollower)}
                >
                    <Icon name={IconName::Plus} />
                    { "Add follower" }
                </button>
                <button
                    class="button button--secondary"
                    type="button"
                    aria-expanded={(*panel == Panel::EditGroup).to_string()}
                    onclick={button(Panel::EditGroup)}
                >
                    { "Rename or change leader" }
                </button>
                <button
                    class="button button--danger-outline"
                    type="button"
                    aria-expanded={(*panel == Panel::Delete).to_string()}
                    onclick={button(Panel::Delete)}
                >
                    { "Delete group…" }
                </button>
            </div>
            { panel_view }
        </article>
    }
}

/// No account can be added: none is linked, or each one already follows or leads the group.
fn no_account_left(none_linked: bool, on_close: Callback<MouseEvent>) -> Html {
    let text = if none_linked {
        "No account is linked yet. "
    } else {
        "Every linked account already follows or leads this group. "
    };
    html! {
        <div class="form--panel confirm" data-testid="add-follower-unavailable">
            <p class="callout callout--info" role="status">
                { text }
                <Link<Route> to={Route::Accounts}>{ "Link an account" }</Link<Route>>
                { " on the Accounts page to copy to it." }
            </p>
            <div class="form__actions">
                <button class="button button--secondary" type="button" onclick={on_close}>{ "Close" }</button>
            </div>
        </div>
    }
}
