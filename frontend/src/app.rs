//! The app's routes and the shell around every page.
//!
//! Rules: each route is one page component in `pages/`; the server answers every unknown
//! path with `index.html`, so any route here can be opened directly (deep links), and paths
//! that match none render [`pages::NotFound`] without changing the address. Providers
//! (router, live connection, server status, session) wrap the shell once, here, and so does
//! the one password prompt of sudo mode ([`SudoPrompt`]), which any page's request may open.
//!
//! Pages that hold the user's data are private: [`RequireLogin`] sends visitors to log in and
//! back. The dashboard stays public (it is the landing page and shows the server's status),
//! and shows the user's own data only when logged in. The pages that links in emails open
//! (`/verify-email`, `/reset-password`) and `/forgot-password` are public too: whoever opens
//! the link may have no session in this browser.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::live::LiveClient;
use crate::components::{
    RequireLogin, ServerStatusProvider, SessionProvider, Sidebar, StatusBar, SudoPrompt,
    VerifyEmailBanner,
};
use crate::pages;

/// Where the server accepts GraphQL subscriptions (graphql-transport-ws).
const LIVE_PATH: &str = "/graphql/ws";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Dashboard,
    #[at("/accounts")]
    Accounts,
    #[at("/webhooks")]
    Webhooks,
    #[at("/copy-groups")]
    CopyGroups,
    #[at("/trade-log")]
    TradeLog,
    #[at("/settings")]
    Settings,
    #[at("/login")]
    Login,
    #[at("/signup")]
    Signup,
    #[at("/forgot-password")]
    ForgotPassword,
    #[at("/reset-password")]
    ResetPassword,
    #[at("/verify-email")]
    VerifyEmail,
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Dashboard => html! { <pages::Dashboard /> },
        Route::Accounts => html! { <RequireLogin><pages::Accounts /></RequireLogin> },
        Route::Webhooks => html! { <RequireLogin><pages::Webhooks /></RequireLogin> },
        Route::CopyGroups => html! { <RequireLogin><pages::CopyGroups /></RequireLogin> },
        Route::TradeLog => html! { <RequireLogin><pages::TradeLog /></RequireLogin> },
        Route::Settings => html! { <RequireLogin><pages::Settings /></RequireLogin> },
        Route::Login => html! { <pages::Login /> },
        Route::Signup => html! { <pages::Signup /> },
        Route::ForgotPassword => html! { <pages::ForgotPassword /> },
        Route::ResetPassword => html! { <pages::ResetPassword /> },
        Route::VerifyEmail => html! { <pages::VerifyEmail /> },
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
                    <SessionProvider>
                        <Shell />
                        <SudoPrompt />
                    </SessionProvider>
                </ServerStatusProvider>
            </ContextProvider<LiveClient>>
        </BrowserRouter>
    }
}

/// Sidebar, the current page (under the banner asking to confirm the email address, when it
/// applies), and the status bar.
#[component]
fn Shell() -> Html {
    html! {
        <div class="shell">
            <a class="skip-link" href="#content">{ "Skip to content" }</a>
            <Sidebar />
            <div class="shell__main">
                <main id="content" class="content" tabindex="-1">
                    <VerifyEmailBanner />
                    <Switch<Route> render={switch} />
                </main>
                <StatusBar />
            </div>
        </div>
    }
}
