//! Every event of a subscription, one by one, for views that build a list from them (a fills
//! feed, orders changing status).
//!
//! [`crate::api::hooks::use_subscription`] keeps only the latest event, which is right for a
//! clock but loses events that arrive together (two followers filling in the same
//! millisecond). [`use_live_events`] hands each event to a callback instead, typically a
//! reducer's dispatcher, so none is collapsed.
//!
//! Rules:
//! - Events are not stored by the server: whatever happened while the socket was down is
//!   lost. So the hook counts *resumptions* (the live connection came back, or a failed
//!   subscription was made again) and the view reloads its list from a query on each, merging
//!   by id.
//! - A subscription the server ended or refused (for instance one sent a moment before a fresh
//!   log-in replaced the socket) is made again after [`RETRY_MS`], until the view unmounts.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use graphql_client::GraphQLQuery;
use yew::prelude::*;

use crate::api::ApiError;
use crate::api::hooks::{use_link_status, use_live_client};
use crate::api::live::{LinkStatus, SubscriptionEvent};

/// How long a refused or ended subscription waits before it is made again.
pub const RETRY_MS: u32 = 5_000;

/// What a view shows about its live feed.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveEvents {
    /// The connection's status, for a [`super::LiveBadge`].
    pub link: LinkStatus,
    /// Why the subscription is not running, while it waits to be made again.
    pub failure: Option<ApiError>,
    /// How many times the feed resumed after a gap: reload what it may have missed when this
    /// changes (0 until the first gap).
    pub resumed: u32,
}

/// Subscribes to `Q` while the component is mounted and calls `on_data` with every result.
#[hook]
pub fn use_live_events<Q>(variables: Q::Variables, on_data: Callback<Q::ResponseData>) -> LiveEvents
where
    Q: GraphQLQuery + 'static,
    Q::Variables: Clone + PartialEq + 'static,
    Q::ResponseData: 'static,
{
    let client = use_live_client();
    let link = use_link_status();
    // The latest callback, read when an event arrives, so a new callback on each render does
    // not make a new subscription.
    let latest: Rc<RefCell<Callback<Q::ResponseData>>> = use_mut_ref(|| on_data.clone());
    *latest.borrow_mut() = on_data;
    let failure = use_state_eq(|| None::<ApiError>);
    let attempt = use_state_eq(|| 0_u32);
    let resumed = use_state_eq(|| 0_u32);

    {
        let (failure, latest) = (failure.clone(), Rc::clone(&latest));
        use_effect_with(
            (client, variables, *attempt),
            move |(client, variables, _)| {
                let refused = failure.clone();
                // A refusal is followed by the end of the operation: keep the refusal's reason.
                let failed = Cell::new(false);
                let on_event = move |event| match event {
                    SubscriptionEvent::Data(data) => {
                        // Cloned out first: the callback may re-render this component, which
                        // writes `latest`.
                        let callback = latest.borrow().clone();
                        callback.emit(data);
                    }
                    SubscriptionEvent::Failed(error) => {
                        failed.set(true);
                        failure.set(Some(error));
                    }
                    SubscriptionEvent::Completed if !failed.get() => {
                        failure.set(Some(ApiError::NoData));
                    }
                    SubscriptionEvent::Completed => {}
                };
                let handle = client
                    .subscribe::<Q>(variables.clone(), on_event)
                    .map_err(|error| refused.set(Some(error)))
                    .ok();
                // Dropping the handle unsubscribes.
                move || drop(handle)
            },
        );
    }
    {
        // A failed subscription is made again after a pause; the gap counts as a resumption.
        let (attempt, resumed, failed) = (attempt.clone(), resumed.clone(), failure.clone());
        use_effect_with(failure.is_some(), move |is_failed| {
            let timer = is_failed.then(|| {
                Timeout::new(RETRY_MS, move || {
                    failed.set(None);
                    attempt.set(attempt.wrapping_add(1));
                    resumed.set(resumed.wrapping_add(1));
                })
            });
            move || drop(timer)
        });
    }
    {
        // The socket came back: subscriptions carry over, but events of the gap are lost.
        let was_live = use_mut_ref(|| false);
        let resumed = resumed.clone();
        use_effect_with(link, move |link| {
            if *link == LinkStatus::Live && std::mem::replace(&mut *was_live.borrow_mut(), true) {
                resumed.set(resumed.wrapping_add(1));
            }
        });
    }

    LiveEvents {
        link,
        failure: (*failure).clone(),
        resumed: *resumed,
    }
}
