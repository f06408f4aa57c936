//! Rotating a connection's credentials: a fresh key (or password) for the same broker
//! account. The server checks the new ones with the broker before it replaces the old, so a
//! typo never breaks a working connection.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::brokers::BrokerSpec;
use super::credentials::{CredentialChange, CredentialFields, CredentialValues, credentials_input};
use crate::api::operations::{UpdateBrokerCredentials, update_broker_credentials};
use crate::api::{code, fetch};
use crate::components::{
    CodeField, FormAlert, SubmitButton, code_value, use_field, use_session, use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[("credentials", "Credentials"), ("totpCode", "Code")],
    password_field: None,
    code_field: Some("totpCode"),
    backup_codes: true,
};

#[derive(Properties, PartialEq)]
pub struct RotateFormProps {
    pub connection_id: AttrValue,
    pub spec: BrokerSpec,
    pub totp_enabled: bool,
    /// The new credentials are stored.
    pub on_done: Callback<()>,
    /// The connection is gone (unlinked elsewhere): the list should be reloaded.
    pub on_missing: Callback<()>,
    pub on_cancel: Callback<()>,
}

#[component]
pub fn RotateForm(props: &RotateFormProps) -> Html {
    let session = use_session();
    let values = use_reducer_eq(CredentialValues::default);
    let code = use_field();
    let code_needed = use_state_eq(|| false);
    let submission = use_submission();
    let ask_code = props.totp_enabled || *code_needed;

    let onsubmit = {
        let (values, code, code_needed, submission, session) = (
            values.clone(),
            code.clone(),
            code_needed.clone(),
            submission.clone(),
            session.clone(),
        );
        let (id, spec) = (props.connection_id.to_string(), props.spec.clone());
        let (on_done, on_missing) = (props.on_done.clone(), props.on_missing.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if !submission.begin() {
                return;
            }
            let variables = update_broker_credentials::Variables {
                id: id.clone(),
                credentials: credentials_input!(
                    update_broker_credentials::BrokerCredentialsInput,
                    values.for_broker(&spec)
                ),
                totp_code: code_value(ask_code, &code),
            };
            values.dispatch(CredentialChange::ClearSecrets);
            let (values, code, code_needed, submission, session) = (
                values.clone(),
                code.clone(),
                code_needed.clone(),
                submission.clone(),
                session.clone(),
            );
            let (on_done, on_missing) = (on_done.clone(), on_missing.clone());
            spawn_local(async move {
                match fetch::<UpdateBrokerCredentials>(variables).await {
                    Ok(_) => {
                        values.dispatch(CredentialChange::ClearAll);
                        code.clear();
                        submission.finish();
                        on_done.emit(());
                    }
                    Err(error) => {
                        if error.has_code(code::TOTP_REQUIRED) {
                            code_needed.set(true);
                        }
                        if error.has_code(code::NOT_FOUND) {
                            on_missing.emit(());
                        }
                        submission.fail(&error, &FORM, &session);
                    }
                }
            });
        })
    };
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let feedback: &Feedback = submission.feedback();
    let prefix = format!("rotate-{}", props.connection_id);
    html! {
        <form class="form form--narrow form--panel" {onsubmit} novalidate=true data-testid="rotate-form" aria-label="Rotate credentials">
            <p class="form__note">
                { "Make a new key (or password) at the broker first, enter it here, then delete the old one there. CopyTrade checks the new credentials with the broker before it replaces the old ones." }
            </p>
            <FormAlert message={feedback.general.clone()} />
            <CredentialFields
                spec={props.spec.clone()}
                values={values.clone()}
                id_prefix={prefix.clone()}
                error={feedback.for_field("credentials")}
            />
            if ask_code {
                <CodeField id={format!("{prefix}-code")} field={code.clone()} error={feedback.for_field("totpCode")} />
            }
            <div class="form__actions">
                <SubmitButton label="Save new credentials" busy_label="Checking with the broker…" busy={submission.busy()} />
                <button class="button button--secondary" type="button" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}
