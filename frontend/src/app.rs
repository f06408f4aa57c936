//! The app's routes and the shell around every page.
//!
//! Rules: each route is one page component in `pages/`; the server answers every unknown
//! path with `index.html`, so any route here can be opened directly (deep links), and paths
//! that match none render [`pages::NotFound`] without changing the address. Providers
//! (router, live connection, server status) wrap the shell once, here.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::live::LiveClient;
use crate::components::{ServerStatusProvider, Sidebar, StatusBar};
use crate::pages;

/// Where the server accepts GraphQL subscriptions (graphql-transport-ws).
const LIVE_PATH: &str = "/graphql/ws";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Dashboard,
    #[at("/accounts")]
    Accounts,
    #[at("/copy-groups")]
    CopyGroups,
    #[at("/trade-log")]
    TradeLog,
    #[at("/settings")]
    Settings,
    #[at("/login")]
    Login,
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Dashboard => html! { <pages::Dashboard /> },
        Route::Accounts => html! { <pages::Accounts /> },
        Route::CopyGroups => html! { <pages::CopyGroups /> },
        Route::TradeLog => html! { <pages::TradeLog /> },
        Route::Settings => html! { <pages::Settings /> },
        Route::Login => html! { <pages::Login /> },
        Route::NotFound => html! { <pages::NotFound /> },
    }
}

#[component]
pub fn App() -> Html {
    // One live connection for the app's whole life, shared by every subscription.
    let live = use_memo((), |()| LiveClient::start(LIVE_PATH));
    html! {
        <BrowserRouter>
            <ContextProvider<LiveClient> context={(*live).clone()}>
                <ServerStatusProvider>
                    <Shell />
                </ServerStatusProvider>
            </ContextProvider<LiveClient>>
        </BrowserRouter>
    }
}

/// Sidebar, the current page, and the status bar.
#[component]
fn Shell() -> Html {
    html! {
        <div class="shell">
            <a class="skip-link" href="#content">{ "Skip to content" }</a>
            <Sidebar />
            <div class="shell__main">
                <main id="content" class="content" tabindex="-1">
                    <Switch<Route> render={switch} />
                </main>
                <StatusBar />
            </div>
        </div>
    }
}
