//! The live connection's status as a coloured dot and a word.

use yew::prelude::*;

use crate::api::live::LinkStatus;

#[derive(Properties, PartialEq)]
pub struct LiveBadgeProps {
    pub status: LinkStatus,
    /// Set on the one badge the browser tests read (the status bar's).
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

#[component]
pub fn LiveBadge(props: &LiveBadgeProps) -> Html {
    let (state, label, hint) = match props.status {
        LinkStatus::Connecting => ("connecting", "Connecting…", "Opening the live connection"),
        LinkStatus::Live => ("live", "Live", "Live updates are flowing"),
        LinkStatus::Reconnecting => (
            "reconnecting",
            "Reconnecting…",
            "The live connection dropped; retrying",
        ),
    };
    html! {
        <span
            class={classes!("live-badge", format!("live-badge--{state}"))}
            data-testid={props.testid.clone()}
            data-state={state}
            title={hint}
        >
            <span class="live-badge__dot" aria-hidden="true"></span>
            { label }
        </span>
    }
}
