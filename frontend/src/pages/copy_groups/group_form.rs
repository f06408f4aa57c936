//! Making a copy group, or changing one: its name and its leader, either a webhook (whose
//! signals are copied) or a linked account (whose own trades are mirrored).
//!
//! Rules: a group has exactly one leader, so the form offers one kind at a time and sends only
//! that one's id. A kind the user has none of is offered with the page that makes one. The
//! server checks the rest (name, ownership, a leader that also follows) and names the field.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use super::sources::Sources;
use crate::api::copy_group_operations::{
    CreateCopyGroup, UpdateCopyGroup, create_copy_group, update_copy_group,
};
use crate::api::{ApiError, fetch};
use crate::app::Route;
use crate::components::{
    FormAlert, SelectField, SubmitButton, TextField, reload_if_gone, use_session, use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[
        ("name", "Name"),
        ("webhookId", "Webhook"),
        ("leaderAccountId", "Leader account"),
    ],
    password_field: None,
    code_field: None,
    backup_codes: false,
};

/// The longest name the form lets through; the server has the last word.
const MAX_NAME_CHARS: u32 = 60;

/// What leads a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Webhook,
    Account,
}

/// The group being changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Editing {
    pub id: AttrValue,
    pub name: String,
    pub webhook_id: Option<String>,
    pub leader_account_id: Option<String>,
    /// Its followers' accounts, which cannot lead it.
    pub follower_accounts: Vec<String>,
}

#[derive(Properties, PartialEq)]
pub struct GroupFormProps {
    pub sources: Sources,
    /// The group to change; a new one when `None`.
    #[prop_or_default]
    pub editing: Option<Editing>,
    /// Saved; the group's name.
    pub on_saved: Callback<String>,
    pub on_cancel: Callback<()>,
    /// The group is gone: reload the list.
    #[prop_or_default]
    pub on_gone: Callback<()>,
}

#[component]
pub fn GroupForm(props: &GroupFormProps) -> Html {
    let session = use_session();
    let submission = use_submission();
    let editing = props.editing.clone();
    let name = use_state_eq(|| editing.as_ref().map(|e| e.name.clone()).unwrap_or_default());
    let kind = use_state_eq(|| match &editing {
        Some(Editing {
            leader_account_id: Some(_),
            ..
        }) => Kind::Account,
        Some(_) => Kind::Webhook,
        None if props.sources.webhooks.is_empty() => Kind::Account,
        None => Kind::Webhook,
    });
    // Preselected when there is exactly one to choose.
    let only = |ids: Vec<&String>| match ids.as_slice() {
        [one] => (*one).clone(),
        _ => String::new(),
    };
    let webhook = use_state_eq(|| match &editing {
        Some(e) => e.webhook_id.clone().unwrap_or_default(),
        None => only(props.sources.webhooks.iter().map(|w| &w.id).collect()),
    });
    let account = use_state_eq(|| match &editing {
        Some(e) => e.leader_account_id.clone().unwrap_or_default(),
        None => only(props.sources.accounts.iter().map(|a| &a.id).collect()),
    });

    let onsubmit = {
        let (name, kind, webhook, account) =
            (name.clone(), kind.clone(), webhook.clone(), account.clone());
        let (submission, session, editing) = (submission.clone(), session.clone(), editing.clone());
        let (on_saved, on_gone) = (props.on_saved.clone(), props.on_gone.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (webhook_id, leader_account_id) = match *kind {
                Kind::Webhook if webhook.is_empty() => {
                    submission.refuse(Feedback::at(
                        "webhookId",
                        "Choose the webhook whose signals this group copies.",
                    ));
                    return;
                }
                Kind::Account if account.is_empty() => {
                    submission.refuse(Feedback::at(
                        "leaderAccountId",
                        "Choose the account whose trades this group mirrors.",
                    ));
                    return;
                }
                Kind::Webhook => (Some((*webhook).clone()), None),
                Kind::Account => (None, Some((*account).clone())),
            };
            if !submission.begin() {
                return;
            }
            let name = name.trim().to_owned();
            let (submission, session, on_saved, on_gone, editing) = (
                submission.clone(),
                session.clone(),
                on_saved.clone(),
                on_gone.clone(),
                editing.clone(),
            );
            spawn_local(async move {
                let saved: Result<String, ApiError> = match editing {
                    None => {
                        let input = create_copy_group::CreateCopyGroupInput {
                            name,
                            webhook_id,
                            leader_account_id,
                        };
                        fetch::<CreateCopyGroup>(create_copy_group::Variables { input })
                            .await
                            .map(|data| data.create_copy_group.name)
                    }
                    Some(editing) => {
                        let input = update_copy_group::UpdateCopyGroupInput {
                            id: editing.id.to_string(),
                            name,
                            webhook_id,
                            leader_account_id,
                        };
                        fetch::<UpdateCopyGroup>(update_copy_group::Variables { input })
                            .await
                            .map(|data| data.update_copy_group.name)
                    }
                };
                match saved {
                    Ok(name) => {
                        submission.finish();
                        on_saved.emit(name);
                    }
                    Err(error) => {
                        reload_if_gone(&error, &on_gone);
                        submission.fail(&error, &FORM, &session);
                    }
                }
            });
        })
    };
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let on_name = {
        let name = name.clone();
        Callback::from(move |text: String| name.set(text))
    };
    let pick = |which: Kind| {
        let kind = kind.clone();
        Callback::from(move |_: Event| kind.set(which))
    };
    let on_webhook = {
        let webhook = webhook.clone();
        Callback::from(move |id: String| webhook.set(id))
    };
    let on_account = {
        let account = account.clone();
        Callback::from(move |id: String| account.set(id))
    };

    let feedback = submission.feedback();
    let (prefix, testid, label, submit, busy) = match &editing {
        None => (
            "new-group".to_owned(),
            "create-copy-group-form",
            "New copy group".to_owned(),
            "Create copy group",
            "Creating…",
        ),
        Some(e) => (
            format!("group-{}", e.id),
            "edit-copy-group-form",
            format!("Edit {}", e.name),
            "Save changes",
            "Saving…",
        ),
    };
    let id = |part: &str| format!("{prefix}-{part}");
    let sources = &props.sources;
    let followers: Vec<&str> = editing
        .as_ref()
        .map(|e| e.follower_accounts.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let kinds = [
        (
            Kind::Webhook,
            "A webhook",
            "Copy the signals TradingView (or any HTTP client) sends to one of your webhooks.",
            !sources.webhooks.is_empty(),
        ),
        (
            Kind::Account,
            "A leader account",
            "Mirror the trades you place yourself on one linked account, as they fill.",
            !sources.accounts.is_empty(),
        ),
    ]
    .into_iter()
    .map(|(which, name, note, available)| {
        let key = if which == Kind::Webhook {
            "webhook"
        } else {
            "account"
        };
        let selected = *kind == which;
        html! {
            <label class={classes!("choice", selected.then_some("choice--selected"))}>
                <input
                    type="radio"
                    name={id("leader")}
                    aria-labelledby={id(&format!("{key}-name"))}
                    aria-describedby={id(&format!("{key}-note"))}
                    checked={selected}
                    disabled={!available}
                    onchange={pick(which)}
                />
                <span class="choice__text">
                    <span class="choice__name" id={id(&format!("{key}-name"))}>{ name }</span>
                    <span class="choice__note" id={id(&format!("{key}-note"))}>{ note }</span>
                </span>
            </label>
        }
    });
    let missing = match (sources.webhooks.is_empty(), sources.accounts.is_empty()) {
        (true, _) => html! {
            <p class="form__note">
                { "No webhook yet: " }
                <Link<Route> to={Route::Webhooks}>{ "create one on the Webhooks page" }</Link<Route>>
                { " to copy TradingView alerts." }
            </p>
        },
        (_, true) => html! {
            <p class="form__note">
                { "No linked account yet: " }
                <Link<Route> to={Route::Accounts}>{ "link one on the Accounts page" }</Link<Route>>
                { " to mirror its trades." }
            </p>
        },
        _ => Html::default(),
    };
    let leader = match *kind {
        Kind::Webhook => html! {
            <SelectField
                id={id("webhook")}
                label="Webhook"
                value={AttrValue::from((*webhook).clone())}
                options={sources.webhook_options()}
                on_change={on_webhook}
                placeholder="Choose a webhook"
                hint="Every signal it accepts is copied to the followers."
                error={feedback.for_field("webhookId")}
                required=true
            />
        },
        Kind::Account => html! {
            <SelectField
                id={id("leader-account")}
                label="Leader account"
                value={AttrValue::from((*account).clone())}
                options={sources.account_options(&followers)}
                on_change={on_account}
                placeholder="Choose an account"
                hint="Its fills are copied to the followers; orders CopyTrade itself placed there are not copied again."
                error={feedback.for_field("leaderAccountId")}
                required=true
            />
        },
    };

    html! {
        <form class="form" {onsubmit} novalidate=true data-testid={testid} aria-label={label}>
            <FormAlert message={feedback.general.clone()} />
            <div class="form__column">
                <TextField
                    id={id("name")}
                    label="Name"
                    value={AttrValue::from((*name).clone())}
                    on_input={on_name}
                    autocomplete="off"
                    placeholder="ES to the prop accounts"
                    maxlength={MAX_NAME_CHARS}
                    hint="For you: shown here and in the trade log."
                    error={feedback.for_field("name")}
                    focus={editing.is_none()}
                    required=true
                />
            </div>
            <fieldset class="fieldset">
                <legend class="fieldset__legend">{ "Leader: what the followers copy" }</legend>
                <div class="choices">{ for kinds }</div>
                { missing }
                <div class="form__column">{ leader }</div>
            </fieldset>
            <div class="form__actions">
                <SubmitButton label={submit} busy_label={busy} busy={submission.busy()} />
                <button class="button button--secondary" type="button" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}
