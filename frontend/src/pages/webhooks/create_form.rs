//! Making a webhook: a name, and the server answers with its URL and signing secret (shown once
//! by the page).

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::one_time_url::Secret;
use crate::api::fetch;
use crate::api::operations::{CreateWebhook, create_webhook};
use crate::components::{
    FormAlert, SubmitButton, TextField, use_field, use_session, use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[("name", "Name")],
    password_field: None,
    code_field: None,
    backup_codes: false,
};

/// The longest name the form lets through; the server has the last word.
const MAX_NAME_CHARS: u32 = 60;

#[derive(Properties, PartialEq)]
pub struct CreateFormProps {
    /// Made: its name, URL and signing secret.
    pub on_created: Callback<Secret>,
    pub on_cancel: Callback<()>,
}

#[component]
pub fn CreateForm(props: &CreateFormProps) -> Html {
    let session = use_session();
    let name = use_field();
    let submission = use_submission();

    let onsubmit = {
        let (name, submission, session) = (name.clone(), submission.clone(), session.clone());
        let on_created = props.on_created.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if !submission.begin() {
                return;
            }
            let variables = create_webhook::Variables {
                name: name.text().trim().to_owned(),
            };
            let (name, submission, session) = (name.clone(), submission.clone(), session.clone());
            let on_created = on_created.clone();
            spawn_local(async move {
                match fetch::<CreateWebhook>(variables).await {
                    Ok(data) => {
                        name.clear();
                        submission.finish();
                        let created = data.create_webhook;
                        on_created.emit(Secret {
                            name: created.webhook.name,
                            url: created.url,
                            signing_secret: created.signing_secret,
                            rotated: false,
                        });
                    }
                    Err(error) => submission.fail(&error, &FORM, &session),
                }
            });
        })
    };
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let feedback: &Feedback = submission.feedback();
    html! {
        <form class="form form--narrow" {onsubmit} novalidate=true data-testid="create-webhook-form" aria-label="New webhook">
            <FormAlert message={feedback.general.clone()} />
            <TextField
                id="webhook-name"
                label="Name"
                value={name.value()}
                on_input={name.on_input()}
                autocomplete="off"
                placeholder="TradingView ES"
                maxlength={MAX_NAME_CHARS}
                hint="For you only: which alerts or strategy send to it."
                error={feedback.for_field("name")}
                focus=true
                required=true
            />
            <div class="form__actions">
                <SubmitButton label="Create webhook" busy_label="Creating…" busy={submission.busy()} />
                <button class="button button--secondary" type="button" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}
