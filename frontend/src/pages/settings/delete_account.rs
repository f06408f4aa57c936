//! Deleting the account and everything it owns. It cannot be undone, so it takes a deliberate
//! second step with the password (and a code when two-factor login is on); afterwards the app
//! is logged out and says what happened.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use super::SettingsCard;
use crate::api::fetch;
use crate::api::operations::{DeleteAccount, delete_account};
use crate::app::Route;
use crate::components::{
    CodeField, Farewell, FormAlert, IconName, SubmitButton, TextField, code_value, use_field,
    use_session, use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[("password", "Password"), ("totpCode", "Code")],
    password_field: Some("password"),
    code_field: Some("totpCode"),
    backup_codes: true,
};

#[derive(Properties, PartialEq)]
pub struct DeleteAccountCardProps {
    pub totp_enabled: bool,
}

#[component]
pub fn DeleteAccountCard(props: &DeleteAccountCardProps) -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let open = use_state_eq(|| false);
    let password = use_field();
    let code = use_field();
    let submission = use_submission();

    let toggle = {
        let (open, password, code, submission) = (
            open.clone(),
            password.clone(),
            code.clone(),
            submission.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            password.clear();
            code.clear();
            submission.finish();
            open.set(!*open);
        })
    };
    let onsubmit = {
        let (password, code, submission, session) = (
            password.clone(),
            code.clone(),
            submission.clone(),
            session.clone(),
        );
        let totp_enabled = props.totp_enabled;
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if password.text().is_empty() {
                submission.refuse(Feedback::at("password", "Enter your password to confirm."));
                return;
            }
            if !submission.begin() {
                return;
            }
            let variables = delete_account::Variables {
                password: password.text(),
                totp_code: code_value(totp_enabled, &code),
            };
            let (submission, session, navigator) =
                (submission.clone(), session.clone(), navigator.clone());
            spawn_local(async move {
                match fetch::<DeleteAccount>(variables).await {
                    Ok(_) => {
                        submission.finish();
                        session.ended.emit(Farewell::AccountDeleted);
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Login);
                        }
                    }
                    Err(error) => submission.fail(&error, &FORM, &session),
                }
            });
        })
    };

    let feedback = submission.feedback();
    html! {
        <SettingsCard
            id="delete-account"
            icon={IconName::Trash}
            title="Delete account"
            description="Removes your account, its broker links, copy groups and history for good."
            danger=true
        >
            if *open {
                <form class="form form--narrow" {onsubmit} novalidate=true data-testid="delete-form">
                    <p class="callout callout--error">
                        { "This cannot be undone. Copying stops and everything stored for this account is erased." }
                    </p>
                    <FormAlert message={feedback.general.clone()} />
                    <TextField
                        id="delete-password"
                        label="Password"
                        kind="password"
                        value={password.value()}
                        on_input={password.on_input()}
                        autocomplete="current-password"
                        error={feedback.for_field("password")}
                    />
                    if props.totp_enabled {
                        <CodeField id="delete-code" field={code.clone()} error={feedback.for_field("totpCode")} />
                    }
                    <div class="form__actions">
                        <SubmitButton label="Delete my account for good" busy_label="Deleting…" busy={submission.busy()} variant="button--danger" />
                        <button class="button button--secondary" type="button" onclick={toggle}>{ "Cancel" }</button>
                    </div>
                </form>
            } else {
                <div class="form__actions">
                    <button class="button button--danger-outline" type="button" onclick={toggle}>{ "Delete account…" }</button>
                </div>
            }
        </SettingsCard>
    }
}
