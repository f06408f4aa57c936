//! How a page shows data it is loading: a skeleton while it comes, and the failure with a way
//! to try again. Shared so every list on every page looks and reads the same.

use yew::prelude::*;

use crate::api::{ApiError, code};

/// A placeholder of grey lines, announced as busy with `label` ("Loading your accounts").
pub fn loading(label: &'static str) -> Html {
    html! {
        <div class="skeleton" aria-busy="true" aria-label={label}>
            <span class="skeleton__line skeleton__line--title"></span>
            <span class="skeleton__line"></span>
            <span class="skeleton__line skeleton__line--short"></span>
        </div>
    }
}

/// What could not be loaded, why, and a Try again button.
pub fn load_failed(title: &'static str, error: &ApiError, on_retry: &Callback<()>) -> Html {
    let onclick = on_retry.reform(|_: MouseEvent| ());
    html! {
        <div class="callout callout--error" role="alert">
            <p class="callout__title">{ title }</p>
            <p>{ error.to_string() }</p>
            <button class="button button--secondary" type="button" {onclick}>{ "Try again" }</button>
        </div>
    }
}

/// Something an action was about is gone (removed in another window): reloading the list
/// drops it.
pub fn reload_if_gone(error: &ApiError, on_changed: &Callback<()>) {
    if error.has_code(code::NOT_FOUND) {
        on_changed.emit(());
    }
}
