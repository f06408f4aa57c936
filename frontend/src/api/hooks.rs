//! Yew hooks over the API; components use these rather than the transports.
//!
//! Rules: a hook owns the request or subscription it starts and ends it when the component
//! unmounts or its variables change, so no answer lands in a component that no longer wants
//! it. State is `Remote` (one answer) or `Feed` (a stream of them), each with the failure as
//! a value the component shows.

use std::cell::Cell;
use std::rc::Rc;

use graphql_client::GraphQLQuery;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::live::{LinkStatus, LiveClient, SubscriptionEvent};
use super::{ApiError, fetch};

/// The state of a query.
#[derive(Clone, Debug, PartialEq)]
pub enum Remote<T> {
    Loading,
    Ready(T),
    Failed(ApiError),
}

/// The state of a subscription: its latest event.
#[derive(Clone, Debug, PartialEq)]
pub enum Feed<T> {
    /// Subscribed, nothing received yet (or the connection is still being made).
    Waiting,
    Data(T),
    Failed(ApiError),
    /// The server ended the subscription.
    Ended,
}

/// A query's state and a way to run it again.
pub struct UseQueryHandle<T> {
    state: UseStateHandle<Remote<T>>,
    refetch: Callback<()>,
}

impl<T> UseQueryHandle<T> {
    pub fn state(&self) -> &Remote<T> {
        &self.state
    }

    /// Runs the query again. A previous answer stays on screen until the new one arrives;
    /// after a failure the state shows `Loading`, so a retry is visibly under way.
    pub fn refetch(&self) -> Callback<()> {
        self.refetch.clone()
    }
}

/// Runs the query `Q` when the component mounts and whenever `variables` change.
#[hook]
pub fn use_query<Q>(variables: Q::Variables) -> UseQueryHandle<Q::ResponseData>
where
    Q: GraphQLQuery + 'static,
    Q::Variables: Clone + PartialEq + 'static,
    Q::ResponseData: 'static,
{
    let state = use_state(|| Remote::Loading);
    let generation = use_state(|| 0_u32);
    {
        let state = state.clone();
        use_effect_with((variables, *generation), move |(variables, _)| {
            // Cleared when a newer run starts or the component unmounts, so a slow answer
            // never overwrites a newer one.
            let wanted = Rc::new(Cell::new(true));
            let still_wanted = Rc::clone(&wanted);
            let variables = variables.clone();
            spawn_local(async move {
                let result = fetch::<Q>(variables).await;
                if still_wanted.get() {
                    state.set(result.map_or_else(Remote::Failed, Remote::Ready));
                }
            });
            move || wanted.set(false)
        });
    }
    let refetch = {
        let state = state.clone();
        Callback::from(move |()| {
            if !matches!(*state, Remote::Ready(_)) {
                state.set(Remote::Loading);
            }
            generation.set(generation.wrapping_add(1));
        })
    };
    UseQueryHandle { state, refetch }
}

/// Subscribes to `Q` while the component is mounted; the state is its latest event.
#[hook]
pub fn use_subscription<Q>(variables: Q::Variables) -> UseStateHandle<Feed<Q::ResponseData>>
where
    Q: GraphQLQuery + 'static,
    Q::Variables: Clone + PartialEq + 'static,
    Q::ResponseData: 'static,
{
    let client = use_live_client();
    let feed = use_state(|| Feed::Waiting);
    {
        let feed = feed.clone();
        use_effect_with((client, variables), move |(client, variables)| {
            let on_event = {
                let feed = feed.clone();
                move |event| {
                    feed.set(match event {
                        SubscriptionEvent::Data(data) => Feed::Data(data),
                        SubscriptionEvent::Failed(error) => Feed::Failed(error),
                        SubscriptionEvent::Completed => Feed::Ended,
                    });
                }
            };
            let handle = client.subscribe::<Q>(variables.clone(), on_event);
            if let Err(error) = &handle {
                feed.set(Feed::Failed(error.clone()));
            }
            // Dropping the handle unsubscribes.
            move || drop(handle)
        });
    }
    feed
}

/// The live connection's status, re-rendering the component when it changes.
#[hook]
pub fn use_link_status() -> LinkStatus {
    let client = use_live_client();
    let status = use_state_eq(|| client.status());
    {
        let status = status.clone();
        use_effect_with(client, move |client| {
            let watch = client.watch_status(move |now| status.set(now));
            move || drop(watch)
        });
    }
    *status
}

/// The app's one [`LiveClient`].
#[hook]
pub fn use_live_client() -> LiveClient {
    use_context::<LiveClient>().expect("app.rs provides the LiveClient above every component")
}
