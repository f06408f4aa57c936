//! The password prompt of sudo mode: a modal dialog, mounted once at the app's root, that
//! opens when the server refuses a sensitive change because the session's last
//! authentication is more than 2 hours old (`REAUTH_REQUIRED`).
//!
//! Rules:
//! - It asks in place: the page and its form stay as they are, and the refused request is
//!   sent again by the API layer once the user confirms ([`crate::api::sudo`]), so the action
//!   completes without a second click.
//! - Password, plus the authentication code when two-factor login is on (or when the server
//!   says it wants one). A wrong answer keeps the dialog open with the error; Cancel (or Esc)
//!   declines, and the action fails with "needs your password".
//! - The answer is a fresh session cookie from the server; the app's user stays the same.
//! - A native `<dialog>` opened with `showModal()`: the rest of the page is inert while it
//!   is open, focus moves into it, and Esc is its cancel.

use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlDialogElement;
use yew::prelude::*;

use super::{
    CodeField, FormAlert, SubmitButton, TextField, User, code_value, use_field, use_session,
    use_submission,
};
use crate::api::operations::{Reauthenticate, reauthenticate};
use crate::api::sudo::{self, Confirmation};
use crate::api::{code, fetch_unprompted};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[("password", "Password"), ("totpCode", "Code")],
    password_field: Some("password"),
    code_field: Some("totpCode"),
    backup_codes: true,
};

#[component]
pub fn SudoPrompt() -> Html {
    let session = use_session();
    let open = use_state_eq(|| false);
    // The server asked for a code although the app thought two-factor login was off.
    let code_asked = use_state_eq(|| false);
    let dialog = use_node_ref();
    let password = use_field();
    let code = use_field();
    let submission = use_submission();

    {
        let open = open.clone();
        use_effect_with((), move |()| {
            let registration = sudo::register(move || open.set(true));
            move || drop(registration)
        });
    }
    {
        let dialog = dialog.clone();
        use_effect_with(*open, move |open| {
            if let Some(element) = dialog.cast::<HtmlDialogElement>() {
                if *open && !element.open() {
                    // Fails only if the element is not in the document, which it is.
                    let _ = element.show_modal();
                } else if !*open && element.open() {
                    element.close();
                }
            }
        });
    }

    let with_code = *code_asked || session.user().is_some_and(|user| user.totp_enabled);
    // Closes the dialog with the answer for every request waiting for it.
    let close = {
        let (open, code_asked, password, code, submission) = (
            open.clone(),
            code_asked.clone(),
            password.clone(),
            code.clone(),
            submission.clone(),
        );
        Callback::from(move |answer: Confirmation| {
            password.clear();
            code.clear();
            code_asked.set(false);
            submission.finish();
            open.set(false);
            sudo::settle(answer);
        })
    };
    let onsubmit = {
        let (password, code, submission, session, code_asked, close) = (
            password.clone(),
            code.clone(),
            submission.clone(),
            session.clone(),
            code_asked.clone(),
            close.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if password.text().is_empty() {
                submission.refuse(Feedback::at("password", "Enter your password."));
                return;
            }
            if !submission.begin() {
                return;
            }
            let variables = reauthenticate::Variables {
                password: password.text(),
                totp_code: code_value(with_code, &code),
            };
            let (submission, session, code_asked, close) = (
                submission.clone(),
                session.clone(),
                code_asked.clone(),
                close.clone(),
            );
            spawn_local(async move {
                match fetch_unprompted::<Reauthenticate>(variables).await {
                    Ok(data) => {
                        session.updated.emit(User::from(data.reauthenticate.user));
                        close.emit(Confirmation::Confirmed);
                    }
                    Err(error) if error.is_unauthenticated() => {
                        submission.fail(&error, &FORM, &session);
                        close.emit(Confirmation::Declined);
                    }
                    Err(error) => {
                        if error.has_code(code::TOTP_REQUIRED) {
                            code_asked.set(true);
                        }
                        submission.fail(&error, &FORM, &session);
                    }
                }
            });
        })
    };
    let cancel = {
        let (close, submission) = (close.clone(), submission.clone());
        Callback::from(move |_: MouseEvent| {
            if !submission.busy() {
                close.emit(Confirmation::Declined);
            }
        })
    };
    // Esc: the browser would close the dialog by itself; close it through the same path.
    let oncancel = {
        let (close, submission) = (close, submission.clone());
        Callback::from(move |event: Event| {
            event.prevent_default();
            if !submission.busy() {
                close.emit(Confirmation::Declined);
            }
        })
    };

    let feedback = submission.feedback();
    html! {
        <dialog
            ref={dialog}
            class="sudo"
            aria-labelledby="sudo-title"
            aria-describedby="sudo-text"
            data-testid="sudo-prompt"
            {oncancel}
        >
            if *open {
                <form class="form" {onsubmit} novalidate=true>
                    <h2 class="sudo__title" id="sudo-title">{ "Confirm it is you" }</h2>
                    <p class="sudo__text" id="sudo-text">
                        { prompt_text(with_code) }
                    </p>
                    <FormAlert message={feedback.general.clone()} />
                    <TextField
                        id="sudo-password"
                        label="Password"
                        kind="password"
                        value={password.value()}
                        on_input={password.on_input()}
                        autocomplete="current-password"
                        error={feedback.for_field("password")}
                        focus=true
                    />
                    if with_code {
                        <CodeField id="sudo-code" field={code.clone()} error={feedback.for_field("totpCode")} />
                    }
                    <div class="form__actions">
                        <SubmitButton label="Confirm and continue" busy_label="Checking…" busy={submission.busy()} />
                        <button class="button button--secondary" type="button" onclick={cancel} disabled={submission.busy()}>
                            { "Cancel" }
                        </button>
                    </div>
                </form>
            }
        </dialog>
    }
}

/// Why the dialog asks, and what happens next.
fn prompt_text(with_code: bool) -> &'static str {
    if with_code {
        "This change needs your password and an authentication code: your last log-in here was more than 2 hours ago. It goes ahead as soon as you confirm."
    } else {
        "This change needs your password: your last log-in here was more than 2 hours ago. It goes ahead as soon as you confirm."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_names_the_code_only_when_it_asks_for_one() {
        assert!(prompt_text(true).contains("authentication code"));
        assert!(!prompt_text(false).contains("code"));
    }
}
