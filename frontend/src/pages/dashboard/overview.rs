//! A logged-in trader's overview: the live fills feed, each copy group's state, and the kill
//! switch. The account names and the groups are loaded here once and handed to the cards.

use yew::prelude::*;
use yew_router::prelude::*;

use super::fills::FillsFeed;
use super::groups::GroupStatus;
use super::kill_switch::KillSwitch;
use crate::api::hooks::{Remote, use_query};
use crate::api::trading_operations::{CopyGroupSummaries, copy_group_summaries};
use crate::app::Route;
use crate::components::{AccountNames, EmptyState, IconName, load_failed, use_account_names};

#[component]
pub fn Overview() -> Html {
    let (names, reload_names) = use_account_names();
    let groups = use_query::<CopyGroupSummaries>(copy_group_summaries::Variables);
    // Until the names arrive, rows name no account rather than wait.
    let known = match &names {
        Remote::Ready(names) => names.clone(),
        Remote::Loading | Remote::Failed(_) => AccountNames::default(),
    };
    let no_groups = matches!(groups.state(), Remote::Ready(data) if data.copy_groups.is_empty());

    html! {
        <div class="overview" data-testid="overview">
            if let Remote::Failed(error) = &names {
                <section class="card">
                    { load_failed("Your account names could not be loaded", error, &reload_names) }
                </section>
            }
            if no_groups {
                <section class="card" data-testid="overview-empty">
                    <EmptyState
                        icon={IconName::Dashboard}
                        title="Your trading overview will live here"
                        action={html! {
                            <Link<Route> to={Route::CopyGroups} classes="button button--secondary">{ "Build a copy group" }</Link<Route>>
                        }}
                    >
                        { "Link your accounts, make a webhook and build a copy group: its followers' orders and fills then show up here as they happen, and the kill switch can stop them all at once." }
                    </EmptyState>
                </section>
            }
            <FillsFeed names={known.clone()} />
            if !no_groups {
                <div class="grid grid--two">
                    <GroupStatus
                        groups={groups.state().clone()}
                        names={known.clone()}
                        on_retry={groups.refetch()}
                    />
                    <KillSwitch names={known} on_used={groups.refetch()} />
                </div>
            }
        </div>
    }
}
