//! The kill switch: one button that stops all copying at once.
//!
//! Rules: it pauses every copy group of the user; with the box ticked it also cancels the
//! working orders and closes the positions of every follower account, which trades real money
//! on a live account. So it asks first, in the card, with the box unticked, and says
//! afterwards exactly what it did: how many groups it paused, which accounts it flattened, and
//! which it could not, with the broker's reason.

use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::fetch;
use crate::api::trading_operations::{KillSwitch as KillSwitchMutation, kill_switch};
use crate::app::Route;
use crate::components::{AccountNames, FormAlert, Icon, IconName, use_session, use_submission};
use crate::feedback::Form;

/// What the kill switch did, and whether it was asked to flatten.
#[derive(Clone, Debug, PartialEq)]
struct Used {
    flatten: bool,
    result: kill_switch::KillSwitchKillSwitch,
}

#[derive(Properties, PartialEq)]
pub struct KillSwitchProps {
    /// To name the accounts flattened or not.
    pub names: AccountNames,
    /// Used: the groups are paused now, reload them.
    pub on_used: Callback<()>,
}

#[component]
pub fn KillSwitch(props: &KillSwitchProps) -> Html {
    let session = use_session();
    let asking = use_state_eq(|| false);
    let flatten = use_state_eq(|| false);
    let submission = use_submission();
    let used = use_state_eq(|| None::<Used>);

    let toggle = {
        let (asking, flatten, submission, used) = (
            asking.clone(),
            flatten.clone(),
            submission.clone(),
            used.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            submission.finish();
            flatten.set(false);
            if !*asking {
                used.set(None);
            }
            asking.set(!*asking);
        })
    };
    let on_flatten = {
        let flatten = flatten.clone();
        Callback::from(move |event: Event| {
            flatten.set(event.target_unchecked_into::<HtmlInputElement>().checked());
        })
    };
    let confirm = {
        let (asking, flatten, submission, used, session) = (
            asking.clone(),
            flatten.clone(),
            submission.clone(),
            used.clone(),
            session.clone(),
        );
        let on_used = props.on_used.clone();
        Callback::from(move |_: MouseEvent| {
            if !submission.begin() {
                return;
            }
            let wanted = *flatten;
            let (asking, submission, used, session, on_used) = (
                asking.clone(),
                submission.clone(),
                used.clone(),
                session.clone(),
                on_used.clone(),
            );
            spawn_local(async move {
                match fetch::<KillSwitchMutation>(kill_switch::Variables { flatten: wanted }).await
                {
                    Ok(data) => {
                        submission.finish();
                        asking.set(false);
                        used.set(Some(Used {
                            flatten: wanted,
                            result: data.kill_switch,
                        }));
                        on_used.emit(());
                    }
                    Err(error) => submission.fail(&error, &Form::BUTTON, &session),
                }
            });
        })
    };

    let busy = submission.busy();
    html! {
        <section class="card kill-switch" aria-labelledby="kill-switch-title" data-testid="kill-switch">
            <header class="card__header">
                <span class="card__icon"><Icon name={IconName::Shield} /></span>
                <div class="card__heading">
                    <h2 class="card__title" id="kill-switch-title">{ "Kill switch" }</h2>
                    <p class="card__description">
                        { "Stops all copying at once: every copy group is paused. It can also cancel working orders and close every follower position." }
                    </p>
                </div>
            </header>
            if let Some(used) = &*used {
                { outcome(used, &props.names) }
            }
            <button
                class="button button--danger"
                type="button"
                aria-expanded={asking.to_string()}
                onclick={toggle.clone()}
            >
                { "Kill switch" }
            </button>
            if *asking {
                <div class="confirm confirm--panel" role="group" aria-label="Confirm the kill switch" data-testid="kill-switch-confirm">
                    <p class="confirm__text">
                        { "Pause every copy group now? New signals are still logged but copied to no one until you resume a group on the Copy groups page." }
                    </p>
                    <label class={classes!("choice", flatten.then_some("choice--selected"))}>
                        <input
                            type="checkbox"
                            checked={*flatten}
                            disabled={busy}
                            aria-labelledby="kill-switch-flatten-name"
                            aria-describedby="kill-switch-flatten-note"
                            onchange={on_flatten}
                        />
                        <span class="choice__text">
                            <span class="choice__name" id="kill-switch-flatten-name">{ "Also cancel working orders and close every follower position" }</span>
                            <span class="choice__note" id="kill-switch-flatten-note">
                                { "Sends market orders on every follower account, real ones included. Leader accounts are left alone." }
                            </span>
                        </span>
                    </label>
                    <FormAlert message={submission.feedback().general.clone()} />
                    <div class="form__actions">
                        <button class="button button--danger" type="button" onclick={confirm} disabled={busy} aria-busy={busy.then_some("true")}>
                            { match (busy, *flatten) {
                                (true, _) => "Stopping…",
                                (false, true) => "Stop copying and flatten",
                                (false, false) => "Stop copying",
                            } }
                        </button>
                        <button class="button button--secondary" type="button" onclick={toggle} disabled={busy}>{ "Cancel" }</button>
                    </div>
                </div>
            }
        </section>
    }
}

/// What the kill switch did, in plain words; amber when an account could not be flattened.
fn outcome(used: &Used, names: &AccountNames) -> Html {
    let result = &used.result;
    let paused = match result.groups_paused {
        0 => "No copy group was copying: nothing to pause.".to_owned(),
        1 => "1 copy group paused.".to_owned(),
        count => format!("{count} copy groups paused."),
    };
    let flattened = used.flatten.then(|| {
        let accounts: Vec<String> = result
            .accounts_flattened
            .iter()
            .map(|id| names.name(Some(id)))
            .collect();
        match accounts.len() {
            0 => "No follower account was flattened.".to_owned(),
            1 => format!("1 account flattened: {}.", accounts[0]),
            count => format!("{count} accounts flattened: {}.", accounts.join(", ")),
        }
    });
    let class = if result.failures.is_empty() {
        "callout--success"
    } else {
        "callout--warning"
    };
    html! {
        <div class={classes!("callout", class, "kill-switch__result")} role="status" data-testid="kill-switch-result">
            <p class="callout__title">{ "Kill switch used" }</p>
            <ul class="kill-switch__facts">
                <li data-testid="kill-switch-paused" data-count={result.groups_paused.to_string()}>{ paused }</li>
                if let Some(flattened) = flattened {
                    <li data-testid="kill-switch-flattened" data-count={result.accounts_flattened.len().to_string()}>
                        { flattened }
                    </li>
                }
                { for result.failures.iter().map(|failure| html! {
                    <li data-testid="kill-switch-failure">
                        { format!("{} could not be flattened: {}", names.name(Some(&failure.trading_account_id)), failure.error) }
                    </li>
                }) }
            </ul>
            <p>
                { "Groups stay paused until you resume them on " }
                <Link<Route> to={Route::CopyGroups}>{ "Copy groups" }</Link<Route>>
                { "." }
            </p>
        </div>
    }
}
