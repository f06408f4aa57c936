//! The symbol map editor: rows of "signal symbol → traded as", added and removed one by one.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::settings::Edit;

#[derive(Properties, PartialEq)]
pub struct SymbolMapEditorProps {
    /// Unique on the page: the inputs' ids start with it.
    pub prefix: AttrValue,
    pub rows: Vec<(String, String)>,
    pub on_edit: Callback<Edit>,
    /// The server's or the form's message about the map.
    #[prop_or_default]
    pub error: Option<String>,
}

#[component]
pub fn SymbolMapEditor(props: &SymbolMapEditorProps) -> Html {
    let hint_id = format!("{}-symbols-hint", props.prefix);
    let error_id = format!("{}-symbols-error", props.prefix);
    let described_by = match &props.error {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    let add = props.on_edit.reform(|_: MouseEvent| Edit::AddMapping);
    let rows = props.rows.iter().enumerate().map(|(row, (from, to))| {
        let number = row + 1;
        let from_id = format!("{}-symbol-from-{row}", props.prefix);
        let to_id = format!("{}-symbol-to-{row}", props.prefix);
        let on_from = props.on_edit.reform(move |event: InputEvent| {
            Edit::MappingFrom(row, event.target_unchecked_into::<HtmlInputElement>().value())
        });
        let on_to = props.on_edit.reform(move |event: InputEvent| {
            Edit::MappingTo(row, event.target_unchecked_into::<HtmlInputElement>().value())
        });
        let remove = props.on_edit.reform(move |_: MouseEvent| Edit::RemoveMapping(row));
        html! {
            <li class="symbol-map__row" data-testid="symbol-mapping">
                <label class="visually-hidden" for={from_id.clone()}>{ format!("Signal symbol {number}") }</label>
                <input
                    class="field__input symbol-map__input"
                    id={from_id}
                    type="text"
                    value={from.clone()}
                    placeholder="ES"
                    autocomplete="off"
                    spellcheck="false"
                    aria-invalid={props.error.is_some().then_some("true")}
                    aria-describedby={described_by.clone()}
                    oninput={on_from}
                />
                <span class="symbol-map__arrow" aria-hidden="true">{ "→" }</span>
                <label class="visually-hidden" for={to_id.clone()}>{ format!("Traded as {number}") }</label>
                <input
                    class="field__input symbol-map__input"
                    id={to_id}
                    type="text"
                    value={to.clone()}
                    placeholder="MES"
                    autocomplete="off"
                    spellcheck="false"
                    aria-invalid={props.error.is_some().then_some("true")}
                    aria-describedby={described_by.clone()}
                    oninput={on_to}
                />
                <button class="button button--secondary" type="button" onclick={remove}>
                    { "Remove" }
                    <span class="visually-hidden">{ format!(" mapping {number}") }</span>
                </button>
            </li>
        }
    });
    html! {
        <fieldset class={classes!("fieldset", "symbol-map", props.error.is_some().then_some("fieldset--invalid"))}>
            <legend class="fieldset__legend">{ "Symbol map" }</legend>
            <p class="field__hint" id={hint_id}>
                { "Optional. A signal's ticker is matched as sent, then by its root: TradingView's " }
                <code>{ "ES1!" }</code>{ " and " }<code>{ "CME_MINI:ES1!" }</code>{ " match " }<code>{ "ES" }</code>
                { ", " }<code>{ "BTCUSDT.P" }</code>{ " matches " }<code>{ "BTCUSDT" }</code>
                { ". Map " }<code>{ "ES" }</code>{ " → " }<code>{ "MES" }</code>{ " to trade the micro contract." }
            </p>
            if !props.rows.is_empty() {
                <ol class="symbol-map__rows">{ for rows }</ol>
            }
            if let Some(error) = &props.error {
                <p class="field__error" id={error_id}>{ error.clone() }</p>
            }
            <div>
                <button class="button button--secondary" type="button" onclick={add}>{ "Add a symbol mapping" }</button>
            </div>
        </fieldset>
    }
}
