//! What the app knows about the server, fetched and subscribed once for every component.
//!
//! [`ServerStatusProvider`] runs the `serverInfo` query and the `serverTime` subscription and
//! shares the result through context, so the status bar and the dashboard's Server card show
//! the same values without asking twice. `serverInfo` is asked again whenever the live
//! connection comes back: that proves the server is reachable again after a failed fetch, and
//! a server that restarted may run a new version.

use yew::prelude::*;

use crate::api::ApiError;
use crate::api::hooks::{Feed, Remote, use_link_status, use_query, use_subscription};
use crate::api::live::LinkStatus;
use crate::api::operations::{ServerInfo, ServerTime, server_info, server_time};
use crate::format::{Clock, database_label, version_label};

/// The server's facts, ready to show.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerFacts {
    /// `v0.1.0`.
    pub version: String,
    /// `SQLite` or `PostgreSQL`.
    pub database: String,
    /// Whether the server sends email: without it there is no address to confirm and no
    /// password reset by email, and the pages say so instead of offering them.
    pub mail_enabled: bool,
}

/// Everything the app shows about the server.
#[derive(Clone, PartialEq)]
pub struct ServerStatus {
    pub facts: Remote<ServerFacts>,
    /// The server's clock, from the live connection.
    pub clock: Feed<Clock>,
    pub link: LinkStatus,
    /// Fetches the facts again.
    pub retry: Callback<()>,
}

#[derive(Properties, PartialEq)]
pub struct ServerStatusProviderProps {
    pub children: Html,
}

#[component]
pub fn ServerStatusProvider(props: &ServerStatusProviderProps) -> Html {
    let info = use_query::<ServerInfo>(server_info::Variables);
    let time = use_subscription::<ServerTime>(server_time::Variables);
    let link = use_link_status();

    let was_live = use_mut_ref(|| false);
    {
        let refetch = info.refetch();
        let failed = matches!(info.state(), Remote::Failed(_));
        use_effect_with(link, move |link| {
            if *link == LinkStatus::Live {
                // After a reconnect the server may have restarted, even been upgraded.
                let reconnected = std::mem::replace(&mut *was_live.borrow_mut(), true);
                if failed || reconnected {
                    refetch.emit(());
                }
            }
        });
    }

    let facts = match info.state() {
        Remote::Loading => Remote::Loading,
        Remote::Ready(data) => Remote::Ready(facts(&data.server_info)),
        Remote::Failed(error) => Remote::Failed(error.clone()),
    };
    let clock = match &*time {
        Feed::Waiting => Feed::Waiting,
        Feed::Data(data) => Clock::parse(&data.server_time).map_or_else(
            || {
                Feed::Failed(ApiError::Decode(format!(
                    "unreadable time {:?}",
                    data.server_time
                )))
            },
            Feed::Data,
        ),
        Feed::Failed(error) => Feed::Failed(error.clone()),
        Feed::Ended => Feed::Ended,
    };
    let status = ServerStatus {
        facts,
        clock,
        link,
        retry: info.refetch(),
    };
    html! {
        <ContextProvider<ServerStatus> context={status}>
            { props.children.clone() }
        </ContextProvider<ServerStatus>>
    }
}

fn facts(info: &server_info::ServerInfoServerInfo) -> ServerFacts {
    ServerFacts {
        version: version_label(&info.version),
        database: database_label(&info.database),
        mail_enabled: info.mail_enabled,
    }
}

/// The server's status, from the [`ServerStatusProvider`] around the shell.
#[hook]
pub fn use_server_status() -> ServerStatus {
    use_context::<ServerStatus>().expect("app.rs wraps the shell in ServerStatusProvider")
}
