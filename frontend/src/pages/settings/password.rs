//! Changing the password. The server ends every other session and gives this browser a fresh
//! cookie, so the app stays logged in here and says that the other devices were logged out.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::SettingsCard;
use crate::api::fetch;
use crate::api::operations::{ChangePassword, change_password};
use crate::components::{
    CodeField, FormAlert, IconName, SubmitButton, TextField, User, code_value, use_field,
    use_session, use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[
        ("currentPassword", "Current password"),
        ("newPassword", "New password"),
        ("totpCode", "Code"),
    ],
    password_field: Some("currentPassword"),
    code_field: Some("totpCode"),
    backup_codes: true,
};

#[derive(Properties, PartialEq)]
pub struct PasswordCardProps {
    pub totp_enabled: bool,
    pub on_change: Callback<()>,
}

#[component]
pub fn PasswordCard(props: &PasswordCardProps) -> Html {
    let session = use_session();
    let current = use_field();
    let new = use_field();
    let code = use_field();
    let submission = use_submission();
    let changed = use_state_eq(|| false);

    let onsubmit = {
        let (current, new, code, changed) =
            (current.clone(), new.clone(), code.clone(), changed.clone());
        let (submission, session, on_change) =
            (submission.clone(), session.clone(), props.on_change.clone());
        let totp_enabled = props.totp_enabled;
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            changed.set(false);
            if current.text().is_empty() {
                submission.refuse(Feedback::at(
                    "currentPassword",
                    "Enter your current password.",
                ));
                return;
            }
            if !submission.begin() {
                return;
            }
            let variables = change_password::Variables {
                current_password: current.text(),
                new_password: new.text(),
                totp_code: code_value(totp_enabled, &code),
            };
            let (current, new, code, changed) =
                (current.clone(), new.clone(), code.clone(), changed.clone());
            let (submission, session, on_change) =
                (submission.clone(), session.clone(), on_change.clone());
            // This app's socket closes with the others: its check must not log us out.
            let hold = session.hold();
            spawn_local(async move {
                let result = fetch::<ChangePassword>(variables).await;
                match result {
                    Ok(data) => {
                        session.started.emit(User::from(data.change_password.user));
                        drop(hold);
                        for field in [&current, &new, &code] {
                            field.clear();
                        }
                        submission.finish();
                        changed.set(true);
                        on_change.emit(());
                    }
                    Err(error) => {
                        drop(hold);
                        submission.fail(&error, &FORM, &session);
                    }
                }
            });
        })
    };

    let feedback = submission.feedback();
    html! {
        <SettingsCard
            id="password"
            icon={IconName::Key}
            title="Password"
            description="Changing it logs out every other browser and device."
        >
            if *changed {
                <p class="callout callout--success" role="status" data-testid="password-changed">
                    { "Password changed. Every other browser and device was logged out; this one stays logged in." }
                </p>
            }
            <form class="form form--narrow" {onsubmit} novalidate=true>
                <FormAlert message={feedback.general.clone()} />
                <TextField
                    id="current-password"
                    label="Current password"
                    kind="password"
                    value={current.value()}
                    on_input={current.on_input()}
                    autocomplete="current-password"
                    error={feedback.for_field("currentPassword")}
                />
                <TextField
                    id="new-password"
                    label="New password"
                    kind="password"
                    value={new.value()}
                    on_input={new.on_input()}
                    autocomplete="new-password"
                    hint="At least 10 characters, and not one of the common passwords attackers try first."
                    error={feedback.for_field("newPassword")}
                />
                if props.totp_enabled {
                    <CodeField id="password-code" field={code.clone()} error={feedback.for_field("totpCode")} />
                }
                <div class="form__actions">
                    <SubmitButton label="Change password" busy_label="Changing…" busy={submission.busy()} />
                </div>
            </form>
        </SettingsCard>
    }
}
