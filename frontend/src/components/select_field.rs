//! A labelled drop-down list with its hint and error, the `<select>` twin of
//! [`super::TextField`] and under the same rules: a visible label, hint and error tied to the
//! control with `aria-describedby`, `aria-invalid` on an error, and a controlled value.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// One entry of the list: the value sent, and what people read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
}

impl SelectOption {
    pub fn new(value: &str, label: &str) -> Self {
        Self {
            value: value.to_owned(),
            label: label.to_owned(),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectFieldProps {
    /// The control's id, unique on the page.
    pub id: AttrValue,
    pub label: AttrValue,
    /// The chosen option's value; empty for none.
    pub value: AttrValue,
    pub options: Vec<SelectOption>,
    pub on_change: Callback<String>,
    /// The first entry, with an empty value, while nothing is chosen (`Choose an account`).
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    #[prop_or_default]
    pub error: Option<String>,
    #[prop_or_default]
    pub required: bool,
    #[prop_or_default]
    pub disabled: bool,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

#[component]
pub fn SelectField(props: &SelectFieldProps) -> Html {
    let onchange = props
        .on_change
        .reform(|event: Event| event.target_unchecked_into::<HtmlSelectElement>().value());
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
    let chosen = props.value.as_str();
    html! {
        <div class={classes!("field", props.error.is_some().then_some("field--invalid"))}>
            <label class="field__label" for={props.id.clone()}>
                { props.label.clone() }
                if props.required {
                    <span class="field__required" aria-hidden="true">{ "required" }</span>
                }
            </label>
            <select
                class="field__input"
                id={props.id.clone()}
                name={props.id.clone()}
                aria-invalid={props.error.is_some().then_some("true")}
                aria-required={props.required.then_some("true")}
                aria-describedby={described_by}
                disabled={props.disabled}
                data-testid={props.testid.clone()}
                {onchange}
            >
                if let Some(placeholder) = &props.placeholder {
                    <option value="" selected={chosen.is_empty()}>{ placeholder.clone() }</option>
                }
                { for props.options.iter().map(|option| html! {
                    <option value={option.value.clone()} selected={option.value == chosen}>
                        { option.label.clone() }
                    </option>
                }) }
            </select>
            if let Some(hint) = &props.hint {
                <p class="field__hint" id={hint_id}>{ hint.clone() }</p>
            }
            if let Some(error) = &props.error {
                <p class="field__error" id={error_id}>{ error.clone() }</p>
            }
        </div>
    }
}
