//! Adding a follower to a group, or changing one: the account (when adding), how it sizes its
//! orders, its limits, the symbol map and the hours in which it opens positions.
//!
//! Rules: only the account and the multiplier are needed; every limit is optional and empty
//! means none. An edit starts from the saved settings and sends only what changed (an emptied
//! input clears its setting); with nothing changed it sends nothing. The server checks every
//! value and its message shows under the input it names.

use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::settings::{Draft, Edit, FOLLOWER_FORM, Input, SYMBOL_MAP_FIELDS, Settings};
use super::sources::AccountChoice;
use super::symbol_map::SymbolMapEditor;
use crate::api::copy_group_operations::{AddFollower, PatchFollower, add_follower, patch_follower};
use crate::api::{ApiError, fetch};
use crate::components::{
    FormAlert, SelectField, SelectOption, SubmitButton, TextField, reload_if_gone, use_session,
    use_submission,
};
use crate::feedback::Feedback;

/// Which follower the form is about.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// A new follower, among the accounts that may still follow the group (at least one).
    Add { choices: Vec<AccountChoice> },
    /// An existing follower, from its saved settings.
    Edit {
        follower_id: AttrValue,
        account_name: AttrValue,
        saved: Settings,
    },
}

#[derive(Properties, PartialEq)]
pub struct FollowerFormProps {
    pub group_id: AttrValue,
    pub group_name: AttrValue,
    pub mode: Mode,
    /// Saved: what to tell the user.
    pub on_saved: Callback<String>,
    pub on_cancel: Callback<()>,
    /// The group or the follower is gone: reload the list.
    pub on_gone: Callback<()>,
}

#[component]
pub fn FollowerForm(props: &FollowerFormProps) -> Html {
    let session = use_session();
    let submission = use_submission();
    let initial = match &props.mode {
        Mode::Add { .. } => Draft::default(),
        Mode::Edit { saved, .. } => Draft::from(saved),
    };
    let draft = use_reducer_eq(move || initial);
    let account = use_state_eq(String::new);

    let onsubmit = {
        let (draft, account, submission, session) = (
            draft.clone(),
            account.clone(),
            submission.clone(),
            session.clone(),
        );
        let (group_id, group_name, mode) = (
            props.group_id.to_string(),
            props.group_name.to_string(),
            props.mode.clone(),
        );
        let (on_saved, on_gone) = (props.on_saved.clone(), props.on_gone.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let typed = match draft.settings() {
                Ok(typed) => typed,
                Err(feedback) => {
                    submission.refuse(feedback);
                    return;
                }
            };
            let request = match &mode {
                Mode::Add { choices } => {
                    let Some(chosen) = choices.iter().find(|choice| choice.id == *account) else {
                        submission.refuse(Feedback::at(
                            "tradingAccountId",
                            "Choose the account that should copy this group.",
                        ));
                        return;
                    };
                    Request::Add {
                        input: typed.add_input(&group_id, &chosen.id),
                        notice: format!(
                            "{} now copies “{group_name}”: the next signals are sent to it too.",
                            chosen.name
                        ),
                    }
                }
                Mode::Edit {
                    follower_id,
                    account_name,
                    saved,
                } => {
                    let patch = saved.patch(follower_id, &typed);
                    if patch.is_empty() {
                        submission.finish();
                        on_saved.emit(format!("Nothing changed for {account_name}."));
                        return;
                    }
                    Request::Patch {
                        patch,
                        notice: format!(
                            "{account_name}'s settings are saved; the next signals use them."
                        ),
                    }
                }
            };
            if !submission.begin() {
                return;
            }
            let (submission, session, on_saved, on_gone) = (
                submission.clone(),
                session.clone(),
                on_saved.clone(),
                on_gone.clone(),
            );
            spawn_local(async move {
                match request.send().await {
                    Ok(notice) => {
                        submission.finish();
                        on_saved.emit(notice);
                    }
                    Err(error) => {
                        reload_if_gone(&error, &on_gone);
                        submission.fail(&error, &FOLLOWER_FORM, &session);
                    }
                }
            });
        })
    };
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let on_edit = {
        let draft = draft.clone();
        Callback::from(move |edit: Edit| draft.dispatch(edit))
    };
    let text = |input: Input| {
        let draft = draft.clone();
        Callback::from(move |value: String| draft.dispatch(Edit::Text(input, value)))
    };
    let on_invert = {
        let draft = draft.clone();
        Callback::from(move |event: Event| {
            draft.dispatch(Edit::Invert(
                event.target_unchecked_into::<HtmlInputElement>().checked(),
            ));
        })
    };
    let on_account = {
        let account = account.clone();
        Callback::from(move |id: String| account.set(id))
    };

    let feedback = submission.feedback();
    let (prefix, title, testid, submit, busy) = match &props.mode {
        Mode::Add { .. } => (
            format!("add-follower-{}", props.group_id),
            format!("Add a follower to “{}”", props.group_name),
            "add-follower-form",
            "Add follower",
            "Adding…",
        ),
        Mode::Edit {
            follower_id,
            account_name,
            ..
        } => (
            format!("edit-follower-{follower_id}"),
            format!("Edit {account_name}"),
            "edit-follower-form",
            "Save changes",
            "Saving…",
        ),
    };
    let id = |name: &str| format!("{prefix}-{name}");
    let title_id = id("title");
    let account_field = match &props.mode {
        Mode::Add { choices } => {
            let options: Vec<SelectOption> = choices
                .iter()
                .map(|choice| SelectOption::new(&choice.id, &choice.option_label()))
                .collect();
            html! {
                <div class="form__column">
                    <SelectField
                        id={id("account")}
                        label="Account"
                        value={AttrValue::from((*account).clone())}
                        {options}
                        on_change={on_account}
                        placeholder="Choose an account"
                        hint="A linked account that receives this group's orders. The group's leader cannot follow it."
                        error={feedback.for_field("tradingAccountId")}
                        required=true
                    />
                </div>
            }
        }
        Mode::Edit { .. } => Html::default(),
    };
    let symbol_error = SYMBOL_MAP_FIELDS
        .iter()
        .find_map(|field| feedback.for_field(field));
    let hours_error = feedback.for_field("tradingHours");
    let number_field =
        |input: Input, name: &str, label: &'static str, hint: &'static str, field: &str| {
            html! {
                <TextField
                    id={id(name)}
                    {label}
                    value={AttrValue::from(draft.text(input).to_owned())}
                    on_input={text(input)}
                    inputmode="decimal"
                    autocomplete="off"
                    {hint}
                    error={feedback.for_field(field)}
                    required={input == Input::Multiplier}
                />
            }
        };

    html! {
        <form
            class="form form--panel follower-form"
            {onsubmit}
            novalidate=true
            data-testid={testid}
            aria-labelledby={title_id.clone()}
        >
            <h3 class="follower-form__title" id={title_id}>{ title }</h3>
            <FormAlert message={feedback.general.clone()} />
            { account_field }
            <fieldset class="fieldset">
                <legend class="fieldset__legend">{ "Order size" }</legend>
                <div class="follower-form__grid">
                    { number_field(Input::Multiplier, "multiplier", "Multiplier",
                        "The signal's quantity times this: 2 doubles it, 0.5 halves it (rounded down to the lot size).",
                        "multiplier") }
                    { number_field(Input::FixedQuantity, "fixed", "Fixed quantity",
                        "Optional. Every order is this size, whatever the signal says; the multiplier is then ignored.",
                        "fixedQuantity") }
                </div>
            </fieldset>
            <fieldset class="fieldset">
                <legend class="fieldset__legend">{ "Limits" }</legend>
                <div class="follower-form__grid">
                    { number_field(Input::MaxQuantity, "max-order", "Max order quantity",
                        "Optional. Larger orders are cut down to it.",
                        "maxQuantity") }
                    { number_field(Input::MaxPosition, "max-position", "Max position",
                        "Optional. The largest net position, long or short: orders are cut to fit; exits always go through.",
                        "maxPosition") }
                    { number_field(Input::DailyLossLimit, "loss-limit", "Daily loss limit",
                        "Optional. Once the account has lost this much today (realised, UTC day), no new positions are opened.",
                        "dailyLossLimit") }
                </div>
                <label class={classes!("choice", "follower-form__invert", draft.invert.then_some("choice--selected"))}>
                    <input
                        type="checkbox"
                        id={id("invert")}
                        aria-describedby={id("invert-note")}
                        checked={draft.invert}
                        onchange={on_invert}
                    />
                    <span class="choice__text">
                        <span class="choice__name">{ "Invert" }</span>
                        <span class="choice__note" id={id("invert-note")}>
                            { "Buy signals sell and sell signals buy: trade against the leader." }
                        </span>
                    </span>
                </label>
            </fieldset>
            <SymbolMapEditor
                prefix={prefix.clone()}
                rows={draft.symbol_map.clone()}
                {on_edit}
                error={symbol_error}
            />
            <fieldset
                class={classes!("fieldset", hours_error.is_some().then_some("fieldset--invalid"))}
                aria-describedby={id("hours-hint")}
            >
                <legend class="fieldset__legend">{ "Trading hours (UTC)" }</legend>
                <p class="field__hint" id={id("hours-hint")}>
                    { "Optional. New positions open only inside these hours, on a 24-hour clock in UTC (13:30 to 20:00 is the New York session); exits always go through. A window may cross midnight (22:00 to 06:00)." }
                </p>
                <div class="follower-form__grid">
                    <TextField
                        id={id("hours-from")}
                        label="From (UTC)"
                        value={AttrValue::from(draft.hours_from.clone())}
                        on_input={text(Input::HoursFrom)}
                        placeholder="13:30"
                        autocomplete="off"
                        maxlength={5}
                    />
                    <TextField
                        id={id("hours-until")}
                        label="Until (UTC)"
                        value={AttrValue::from(draft.hours_until.clone())}
                        on_input={text(Input::HoursUntil)}
                        placeholder="20:00"
                        autocomplete="off"
                        maxlength={5}
                    />
                </div>
                if let Some(error) = hours_error {
                    <p class="field__error" role="alert" data-testid="trading-hours-error">{ error }</p>
                }
            </fieldset>
            <div class="form__actions">
                <SubmitButton label={submit} busy_label={busy} busy={submission.busy()} />
                <button class="button button--secondary" type="button" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}

/// What the form sends, and what to say once it is saved.
enum Request {
    Add {
        input: add_follower::AddFollowerInput,
        notice: String,
    },
    Patch {
        patch: patch_follower::FollowerPatch,
        notice: String,
    },
}

impl Request {
    async fn send(self) -> Result<String, ApiError> {
        match self {
            Self::Add { input, notice } => {
                fetch::<AddFollower>(add_follower::Variables { input }).await?;
                Ok(notice)
            }
            Self::Patch { patch, notice } => {
                fetch::<PatchFollower>(patch_follower::Variables { input: patch }).await?;
                Ok(notice)
            }
        }
    }
}
