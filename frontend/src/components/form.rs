//! Form pieces: a labelled input with its hint and error, the alert above a form, and a
//! submit button that says when it is working.
//!
//! Rules: every input has a visible `<label>`; its hint and error are tied to it with
//! `aria-describedby` and an error sets `aria-invalid`, so screen readers read them with the
//! field. Inputs are controlled: the page holds the value and gets every change. A form's
//! request state is a [`Submission`]: one request at a time, and its failure worded by
//! [`crate::feedback`].

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::{Farewell, Session};
use crate::api::ApiError;
use crate::feedback::{Feedback, Form};

/// A form's request: whether one is under way, and what went wrong with the last.
#[derive(Clone, PartialEq)]
pub struct Submission {
    busy: UseStateHandle<bool>,
    feedback: UseStateHandle<Feedback>,
}

impl Submission {
    pub fn busy(&self) -> bool {
        *self.busy
    }

    pub fn feedback(&self) -> &Feedback {
        &self.feedback
    }

    /// Starts a request, clearing the last one's messages; `false` if one is under way.
    pub fn begin(&self) -> bool {
        if *self.busy {
            return false;
        }
        self.busy.set(true);
        self.feedback.set(Feedback::default());
        true
    }

    /// The request succeeded (or the form was reset).
    pub fn finish(&self) {
        self.busy.set(false);
        self.feedback.set(Feedback::default());
    }

    /// Shows the form's messages: for a field left empty, or a request that failed.
    pub fn refuse(&self, feedback: Feedback) {
        self.busy.set(false);
        self.feedback.set(feedback);
    }

    /// The request failed: a session the server no longer knows logs the app out (the
    /// private page then leads to log-in); anything else is shown on the form.
    pub fn fail(&self, error: &ApiError, form: &Form, session: &Session) {
        if error.is_unauthenticated() {
            session.ended.emit(Farewell::SessionEnded);
        }
        self.refuse(Feedback::from_error(error, form));
    }
}

/// The text of one input.
#[derive(Clone, PartialEq)]
pub struct FieldState(UseStateHandle<String>);

impl FieldState {
    pub fn text(&self) -> String {
        (*self.0).clone()
    }

    /// For the input's `value`.
    pub fn value(&self) -> AttrValue {
        AttrValue::from((*self.0).clone())
    }

    /// For the input's `on_input`.
    pub fn on_input(&self) -> Callback<String> {
        let state = self.0.clone();
        Callback::from(move |text| state.set(text))
    }

    pub fn set(&self, text: impl Into<String>) {
        self.0.set(text.into());
    }

    pub fn clear(&self) {
        self.0.set(String::new());
    }

    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

#[hook]
pub fn use_field() -> FieldState {
    FieldState(use_state_eq(String::new))
}

/// A field that starts filled in with a suggestion.
#[hook]
pub fn use_field_with(initial: &'static str) -> FieldState {
    FieldState(use_state_eq(|| initial.to_owned()))
}

#[hook]
pub fn use_submission() -> Submission {
    Submission {
        busy: use_state_eq(|| false),
        feedback: use_state_eq(Feedback::default),
    }
}

#[derive(Properties, PartialEq)]
pub struct TextFieldProps {
    /// The input's id, unique on the page (`change-password-current`).
    pub id: AttrValue,
    pub label: AttrValue,
    /// `text`, `email`, `password`…
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
    pub value: AttrValue,
    pub on_input: Callback<String>,
    #[prop_or_default]
    pub autocomplete: Option<AttrValue>,
    /// `numeric` for codes, so phones show the number pad.
    #[prop_or_default]
    pub inputmode: Option<AttrValue>,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    #[prop_or_default]
    pub maxlength: Option<u32>,
    /// A rule or tip, shown under the input.
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    /// The error for this input, shown under it in place of nothing.
    #[prop_or_default]
    pub error: Option<String>,
    /// Moves the focus here when the field appears (the second step of a form).
    #[prop_or_default]
    pub focus: bool,
    #[prop_or_default]
    pub disabled: bool,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    /// Marks the input as one the server will ask for; the server still decides.
    #[prop_or_default]
    pub required: bool,
}

#[component]
pub fn TextField(props: &TextFieldProps) -> Html {
    let input = use_node_ref();
    {
        let input = input.clone();
        use_effect_with(props.focus, move |focus| {
            if let (true, Some(element)) = (*focus, input.cast::<HtmlInputElement>()) {
                let _ = element.focus();
            }
        });
    }
    let oninput = props
        .on_input
        .reform(|event: InputEvent| event.target_unchecked_into::<HtmlInputElement>().value());
    let hint_id = format!("{}-hint", props.id);
    let error_id = format!("{}-error", props.id);
    let described_by: Vec<&str> = [
        props.hint.is_some().then_some(hint_id.as_str()),
        props.error.is_some().then_some(error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let described_by = (!described_by.is_empty()).then(|| described_by.join(" "));
    html! {
        <div class={classes!("field", props.error.is_some().then_some("field--invalid"))}>
            <label class="field__label" for={props.id.clone()}>
                { props.label.clone() }
                // Screen readers hear `aria-required` on the input instead.
                if props.required {
                    <span class="field__required" aria-hidden="true">{ "required" }</span>
                }
            </label>
            <input
                ref={input}
                class="field__input"
                id={props.id.clone()}
                name={props.id.clone()}
                type={props.kind.clone()}
                value={props.value.clone()}
                autocomplete={props.autocomplete.clone()}
                inputmode={props.inputmode.clone()}
                placeholder={props.placeholder.clone()}
                maxlength={props.maxlength.map(|length| length.to_string())}
                aria-invalid={props.error.is_some().then_some("true")}
                aria-required={props.required.then_some("true")}
                aria-describedby={described_by}
                disabled={props.disabled}
                data-testid={props.testid.clone()}
                {oninput}
            />
            if let Some(hint) = &props.hint {
                <p class="field__hint" id={hint_id}>{ hint.clone() }</p>
            }
            if let Some(error) = &props.error {
                <p class="field__error" id={error_id}>{ error.clone() }</p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct CodeFieldProps {
    /// The input's id, unique on the page.
    pub id: AttrValue,
    pub field: FieldState,
    pub error: Option<String>,
    /// Whether a backup code is accepted too (everywhere but the first confirmation).
    #[prop_or(true)]
    pub backup_allowed: bool,
}

/// The second factor that account changes ask for when two-factor login is on.
#[component]
pub fn CodeField(props: &CodeFieldProps) -> Html {
    let hint = if props.backup_allowed {
        "The 6-digit code from your authenticator app, or one of your backup codes."
    } else {
        "The 6-digit code your authenticator app shows for CopyTrade."
    };
    html! {
        <TextField
            id={props.id.clone()}
            label="Authentication code"
            value={props.field.value()}
            on_input={props.field.on_input()}
            autocomplete="one-time-code"
            inputmode={(!props.backup_allowed).then_some(AttrValue::Static("numeric"))}
            hint={hint}
            error={props.error.clone()}
        />
    }
}

/// The code as the API takes it: trimmed, `None` when the form does not ask for one (two-factor
/// login is off) or the field was left empty (the server then says a code is needed).
pub fn code_value(asked: bool, field: &FieldState) -> Option<String> {
    (asked && !field.is_blank()).then(|| field.text().trim().to_owned())
}

#[derive(Properties, PartialEq)]
pub struct FormAlertProps {
    pub message: Option<String>,
}

/// A form's error that belongs to no single input, announced when it appears.
#[component]
pub fn FormAlert(props: &FormAlertProps) -> Html {
    match &props.message {
        Some(message) => html! {
            <p class="callout callout--error" role="alert" data-testid="form-error">
                { message.clone() }
            </p>
        },
        None => Html::default(),
    }
}

#[derive(Properties, PartialEq)]
pub struct SubmitButtonProps {
    pub label: AttrValue,
    /// Shown while the request runs (`Logging in…`); the button is disabled meanwhile, so a
    /// double click sends one request.
    pub busy_label: AttrValue,
    pub busy: bool,
    #[prop_or(AttrValue::Static("button--primary"))]
    pub variant: AttrValue,
    #[prop_or_default]
    pub block: bool,
}

#[component]
pub fn SubmitButton(props: &SubmitButtonProps) -> Html {
    html! {
        <button
            class={classes!("button", props.variant.to_string(), props.block.then_some("button--block"))}
            type="submit"
            disabled={props.busy}
            aria-busy={props.busy.then_some("true")}
        >
            { if props.busy { props.busy_label.clone() } else { props.label.clone() } }
        </button>
    }
}
