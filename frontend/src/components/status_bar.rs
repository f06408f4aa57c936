//! The status bar under every page: which server this is and whether it is live.
//!
//! Its `data-testid`s (`server-version`, `server-database`, `server-time`, `live-status`) are
//! the browser tests' handles; they appear once per page, here only.

use yew::prelude::*;

use super::{LiveBadge, use_server_status};
use crate::api::hooks::{Feed, Remote};

#[component]
pub fn StatusBar() -> Html {
    let status = use_server_status();

    let facts = match &status.facts {
        Remote::Loading => html! {
            <span class="status-bar__item status-bar__item--muted">{ "Loading server details…" }</span>
        },
        Remote::Ready(facts) => html! {<>
            <span class="status-bar__item" data-testid="server-version">{ &facts.version }</span>
            <span class="status-bar__item" data-testid="server-database">{ &facts.database }</span>
        </>},
        Remote::Failed(error) => {
            let onclick = status.retry.reform(|_: MouseEvent| ());
            let message = if error.is_unreachable() {
                "Server unreachable".to_owned()
            } else {
                error.to_string()
            };
            html! {<>
                <span class="status-bar__item status-bar__item--error" data-testid="server-error" role="alert">
                    { message }
                </span>
                <button class="link-button" type="button" {onclick}>{ "Retry" }</button>
            </>}
        }
    };

    let (time, time_hint) = match &status.clock {
        Feed::Data(clock) => (clock.time_label(), "Server time, live".to_owned()),
        Feed::Waiting => (
            "--:--:--".to_owned(),
            "Waiting for the server's clock".to_owned(),
        ),
        Feed::Failed(error) => ("--:--:--".to_owned(), error.to_string()),
        Feed::Ended => (
            "--:--:--".to_owned(),
            "The server stopped its clock".to_owned(),
        ),
    };

    html! {
        <footer class="status-bar" data-testid="status-bar">
            <div class="status-bar__group">
                <span class="status-bar__product">{ "CopyTrade" }</span>
                { facts }
            </div>
            <div class="status-bar__group">
                <time class="status-bar__item status-bar__clock" data-testid="server-time" title={time_hint}>
                    { time }
                </time>
                <LiveBadge status={status.link} testid="live-status" />
            </div>
        </footer>
    }
}
