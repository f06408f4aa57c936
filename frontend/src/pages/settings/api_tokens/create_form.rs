//! Making an API token: a name, what it may do (scopes) and how long it lives. The server
//! answers with the token itself, which the card shows once. Creating one needs a recent
//! authentication: the password prompt may ask first, and the token is made right after.

use std::collections::BTreeSet;

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::NewToken;
use super::model::{Lifetime, SCOPES, scope_name, scope_note};
use crate::api::fetch;
use crate::api::token_operations::{ApiTokenScope, CreateApiToken, create_api_token};
use crate::components::{
    FormAlert, SubmitButton, TextField, use_field, use_session, use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[
        ("name", "Name"),
        ("scopes", "Scopes"),
        ("expiresAt", "Expiry"),
    ],
    password_field: None,
    code_field: None,
    backup_codes: false,
};

/// The longest name the form lets through; the server has the last word.
const MAX_NAME_CHARS: u32 = 60;

/// The scopes ticked, by their place in [`SCOPES`] (so the set orders like the form).
type Ticked = BTreeSet<usize>;

#[derive(Properties, PartialEq)]
pub struct CreateFormProps {
    pub on_created: Callback<NewToken>,
    pub on_cancel: Callback<()>,
}

#[component]
pub fn CreateForm(props: &CreateFormProps) -> Html {
    let session = use_session();
    let name = use_field();
    // Read only, to start with: the least a token needs.
    let ticked = use_state_eq(|| Ticked::from([0]));
    let lifetime = use_state_eq(|| Lifetime::Quarter);
    let submission = use_submission();

    let onsubmit = {
        let (name, ticked, lifetime) = (name.clone(), ticked.clone(), lifetime.clone());
        let (submission, session, on_created) = (
            submission.clone(),
            session.clone(),
            props.on_created.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if name.is_blank() {
                submission.refuse(Feedback::at("name", "Name the token."));
                return;
            }
            if ticked.is_empty() {
                submission.refuse(Feedback::at("scopes", "Choose what the token may do."));
                return;
            }
            if !submission.begin() {
                return;
            }
            let variables = create_api_token::Variables {
                name: name.text().trim().to_owned(),
                scopes: ticked_scopes(&ticked),
                expires_at: expiry_text(*lifetime),
            };
            let (name, submission, session, on_created) = (
                name.clone(),
                submission.clone(),
                session.clone(),
                on_created.clone(),
            );
            spawn_local(async move {
                match fetch::<CreateApiToken>(variables).await {
                    Ok(data) => {
                        name.clear();
                        submission.finish();
                        let created = data.create_api_token;
                        on_created.emit(NewToken {
                            name: created.api_token.name,
                            token: created.token,
                        });
                    }
                    Err(error) => submission.fail(&error, &FORM, &session),
                }
            });
        })
    };
    let toggle = |index: usize| {
        let ticked = ticked.clone();
        Callback::from(move |event: Event| {
            let on = event.target_unchecked_into::<HtmlInputElement>().checked();
            let mut next = (*ticked).clone();
            if on {
                next.insert(index);
            } else {
                next.remove(&index);
            }
            ticked.set(next);
        })
    };
    let choose = |choice: Lifetime| {
        let lifetime = lifetime.clone();
        Callback::from(move |_: Event| lifetime.set(choice))
    };
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let feedback = submission.feedback();
    let scopes_error = feedback.for_field("scopes");
    html! {
        <form class="form form--panel" {onsubmit} novalidate=true data-testid="create-api-token-form" aria-label="New API token">
            <FormAlert message={feedback.general.clone()} />
            <div class="form__column">
                <TextField
                    id="api-token-name"
                    label="Name"
                    value={name.value()}
                    on_input={name.on_input()}
                    autocomplete="off"
                    placeholder="Trading bot"
                    maxlength={MAX_NAME_CHARS}
                    hint="For you only: which program or script uses it."
                    error={feedback.for_field("name")}
                    focus=true
                    required=true
                />
            </div>
            <fieldset class="fieldset" aria-describedby={scopes_error.is_some().then_some("api-token-scopes-error")}>
                <legend class="fieldset__legend">{ "What it may do" }</legend>
                <div class="choices choices--column">
                    { for SCOPES.iter().enumerate().map(|(index, &scope)| {
                        let id = format!("api-token-scope-{}", scope_name(scope).to_lowercase());
                        let checked = ticked.contains(&index);
                        html! {
                            <label class={classes!("choice", checked.then_some("choice--selected"))} key={id.clone()}>
                                // Named by the scope alone; the note describes it.
                                <input
                                    type="checkbox"
                                    id={id.clone()}
                                    aria-labelledby={format!("{id}-name")}
                                    aria-describedby={format!("{id}-note")}
                                    checked={checked}
                                    onchange={toggle(index)}
                                />
                                <span class="choice__text">
                                    <span class="choice__name" id={format!("{id}-name")}>{ scope_name(scope) }</span>
                                    <span class="choice__note" id={format!("{id}-note")}>{ scope_note(scope) }</span>
                                </span>
                            </label>
                        }
                    }) }
                </div>
                <p class="form__note">
                    { "No token can change your password, email, two-factor login or broker keys, or delete the account." }
                </p>
                if let Some(error) = scopes_error {
                    <p class="field__error" id="api-token-scopes-error">{ error }</p>
                }
            </fieldset>
            <fieldset class="fieldset">
                <legend class="fieldset__legend">{ "Expires after" }</legend>
                <div class="choices">
                    { for Lifetime::ALL.iter().map(|&choice| {
                        let id = format!("api-token-lifetime-{}", choice.days());
                        let checked = *lifetime == choice;
                        html! {
                            <label class={classes!("choice", checked.then_some("choice--selected"))} key={id.clone()}>
                                <input
                                    type="radio"
                                    name="api-token-lifetime"
                                    id={id}
                                    checked={checked}
                                    onchange={choose(choice)}
                                />
                                <span class="choice__text">
                                    <span class="choice__name">{ choice.label() }</span>
                                </span>
                            </label>
                        }
                    }) }
                </div>
                if let Some(error) = feedback.for_field("expiresAt") {
                    <p class="field__error">{ error }</p>
                }
            </fieldset>
            <div class="form__actions">
                <SubmitButton label="Create token" busy_label="Creating…" busy={submission.busy()} />
                <button class="button button--secondary" type="button" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}

/// The scopes ticked, in the form's order whatever order they were ticked in.
fn ticked_scopes(ticked: &Ticked) -> Vec<ApiTokenScope> {
    ticked
        .iter()
        .filter_map(|&index| SCOPES.get(index).copied())
        .collect()
}

/// The expiry of a token made now, as RFC 3339 (`2026-04-01T09:30:00.000Z`).
fn expiry_text(lifetime: Lifetime) -> String {
    let now = js_sys::Date::now();
    let expiry = js_sys::Date::new(&JsValue::from_f64(lifetime.expiry_millis(now)));
    String::from(expiry.to_iso_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_sent_in_the_forms_order() {
        assert_eq!(
            ticked_scopes(&Ticked::from([2, 0])),
            [ApiTokenScope::Read, ApiTokenScope::Manage]
        );
        assert_eq!(ticked_scopes(&Ticked::from([1])), [ApiTokenScope::Trade]);
        assert_eq!(ticked_scopes(&Ticked::new()), []);
    }
}
