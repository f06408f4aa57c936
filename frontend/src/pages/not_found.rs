//! Any path without a page: says so, keeps the address, and leads back.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::use_document_title;

#[component]
pub fn NotFound() -> Html {
    use_document_title("Page not found".into());
    let path = use_location()
        .map(|location| location.path().to_owned())
        .unwrap_or_default();
    html! {
        <section class="not-found" data-testid="not-found" aria-labelledby="not-found-title">
            <p class="not-found__code" aria-hidden="true">{ "404" }</p>
            <h1 class="not-found__title" id="not-found-title">{ "Page not found" }</h1>
            <p class="not-found__text">
                { "Nothing lives at " }<code>{ path }</code>{ ". The link may be out of date, or the address mistyped." }
            </p>
            <Link<Route> to={Route::Dashboard} classes="button button--primary">{ "Back to the dashboard" }</Link<Route>>
        </section>
    }
}
