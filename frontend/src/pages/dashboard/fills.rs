//! The live fills feed: the latest fills on the user's accounts, newest first, and every new
//! one on top the moment the broker reports it, without reloading.
//!
//! Rules: the list is the `recentFills` query merged with the `tradeFills` subscription, by
//! fill id, so a fill is listed once whichever brought it first. The subscription misses what
//! happens while the socket is down, so the query runs again whenever the feed resumes.

use std::cmp::Reverse;
use std::rc::Rc;

use yew::prelude::*;

use crate::api::hooks::{Remote, use_query};
use crate::api::trading_operations::{RecentFills, Side, TradeFills, recent_fills, trade_fills};
use crate::components::{
    AccountNames, Icon, IconName, LiveBadge, load_failed, loading, use_live_events,
};
use crate::format::{Clock, amount_label, price_label, unix_millis};

/// How many fills the feed lists.
const SHOWN: usize = 50;

/// A fill as the feed shows it, whether the query or the subscription brought it.
#[derive(Clone, Debug, PartialEq)]
pub struct FillRow {
    pub id: String,
    pub account_id: Option<String>,
    pub client_order_id: String,
    pub symbol: String,
    pub side: Side,
    pub quantity: f64,
    pub price: f64,
    pub filled_at: String,
}

/// The query's and the subscription's fills have the same fields in two generated types.
macro_rules! fill_row_from {
    ($($source:ty),+) => {$(
        impl From<$source> for FillRow {
            fn from(fill: $source) -> Self {
                Self {
                    id: fill.id,
                    account_id: fill.trading_account_id,
                    client_order_id: fill.client_order_id,
                    symbol: fill.symbol,
                    side: fill.side,
                    quantity: fill.quantity,
                    price: fill.price,
                    filled_at: fill.filled_at,
                }
            }
        }
    )+};
}

fill_row_from!(
    recent_fills::RecentFillsRecentFills,
    trade_fills::TradeFillsTradeFills
);

/// The fills listed, newest first.
#[derive(Debug, Default, PartialEq)]
struct Feed {
    fills: Vec<FillRow>,
}

impl Reducible for Feed {
    type Action = Vec<FillRow>;

    fn reduce(self: Rc<Self>, arrived: Vec<FillRow>) -> Rc<Self> {
        Rc::new(Self {
            fills: merged(&self.fills, arrived),
        })
    }
}

/// `listed` with the fills of `arrived` it lacks, newest first, at most [`SHOWN`]. Fills of
/// the same moment keep the order they were listed in.
fn merged(listed: &[FillRow], arrived: Vec<FillRow>) -> Vec<FillRow> {
    let mut fills = listed.to_vec();
    for fill in arrived {
        if !fills.iter().any(|known| known.id == fill.id) {
            fills.push(fill);
        }
    }
    // A time that does not parse sorts last rather than hiding the fill.
    fills.sort_by_key(|fill| Reverse(unix_millis(&fill.filled_at)));
    fills.truncate(SHOWN);
    fills
}

#[derive(Properties, PartialEq)]
pub struct FillsFeedProps {
    pub names: AccountNames,
}

#[component]
pub fn FillsFeed(props: &FillsFeedProps) -> Html {
    let feed = use_reducer_eq(Feed::default);
    let recent = use_query::<RecentFills>(recent_fills::Variables {
        first: SHOWN as i64,
    });
    let on_fill = {
        let feed = feed.dispatcher();
        Callback::from(move |data: trade_fills::ResponseData| {
            feed.dispatch(vec![data.trade_fills.into()]);
        })
    };
    let live = use_live_events::<TradeFills>(trade_fills::Variables, on_fill);
    {
        let feed = feed.dispatcher();
        use_effect_with(recent.state().clone(), move |state| {
            if let Remote::Ready(data) = state {
                feed.dispatch(data.recent_fills.iter().cloned().map(Into::into).collect());
            }
        });
    }
    {
        let refetch = recent.refetch();
        use_effect_with(live.resumed, move |resumed| {
            if *resumed > 0 {
                refetch.emit(());
            }
        });
    }

    let body = match (recent.state(), feed.fills.is_empty()) {
        (Remote::Loading, true) => loading("Loading your latest fills"),
        (Remote::Failed(error), true) => load_failed(
            "Your latest fills could not be loaded",
            error,
            &recent.refetch(),
        ),
        (_, true) => html! {
            <p class="fills__empty" data-testid="fills-empty">
                { "No fills yet. Each fill on your accounts appears here the moment the broker reports it." }
            </p>
        },
        (state, false) => html! {<>
            if let Remote::Failed(error) = state {
                { load_failed("Earlier fills could not be loaded", error, &recent.refetch()) }
            }
            <div class="table-wrap">
                <table class="table fills__table">
                    <caption class="visually-hidden">{ "Latest fills, newest first" }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "Time" }</th>
                            <th scope="col">{ "Account" }</th>
                            <th scope="col">{ "Symbol" }</th>
                            <th scope="col">{ "Side" }</th>
                            <th scope="col" class="table__numeric">{ "Filled" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for feed.fills.iter().map(|fill| row(fill, &props.names)) }
                    </tbody>
                </table>
            </div>
        </>},
    };
    html! {
        <section class="card fills" aria-labelledby="fills-title" data-testid="fills">
            <header class="card__header">
                <span class="card__icon"><Icon name={IconName::Activity} /></span>
                <div class="card__heading">
                    <h2 class="card__title" id="fills-title">{ "Live fills" }</h2>
                    <p class="card__description">{ "Every fill on your accounts, newest first, as the brokers report them." }</p>
                </div>
                <LiveBadge status={live.link} testid="fills-live" />
            </header>
            if let Some(error) = &live.failure {
                <p class="callout callout--warning" role="status" data-testid="fills-interrupted">
                    { format!("Live fills are interrupted ({error}). Trying again in a few seconds; the list catches up then.") }
                </p>
            }
            { body }
        </section>
    }
}

fn row(fill: &FillRow, names: &AccountNames) -> Html {
    let time = Clock::parse(&fill.filled_at)
        .map_or_else(|| fill.filled_at.clone(), |clock| clock.time_label());
    let side_class = match fill.side {
        Side::Buy => Some("side--buy"),
        Side::Sell => Some("side--sell"),
        Side::Unknown => None,
    };
    html! {
        <tr
            key={fill.id.clone()}
            data-testid="fill"
            data-side={fill.side.label().to_uppercase()}
            data-client-order-id={fill.client_order_id.clone()}
        >
            <td class="fills__time">
                <time datetime={fill.filled_at.clone()} data-testid="fill-time">{ time }</time>
            </td>
            <td data-testid="fill-account">{ names.name(fill.account_id.as_deref()) }</td>
            <td data-testid="fill-symbol">{ fill.symbol.clone() }</td>
            <td class={classes!(side_class)} data-testid="fill-side">{ fill.side.label() }</td>
            <td class="table__numeric" data-testid="fill-size">
                { format!("{} @ {}", amount_label(fill.quantity), price_label(fill.price)) }
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(id: &str, at: &str) -> FillRow {
        FillRow {
            id: id.to_owned(),
            account_id: Some("a1".to_owned()),
            client_order_id: format!("ct-{id}"),
            symbol: "ES1!".to_owned(),
            side: Side::Buy,
            quantity: 1.0,
            price: 5_000.25,
            filled_at: at.to_owned(),
        }
    }

    fn ids(fills: &[FillRow]) -> Vec<&str> {
        fills.iter().map(|fill| fill.id.as_str()).collect()
    }

    #[test]
    fn a_fill_already_listed_is_not_listed_twice() {
        let listed = vec![
            fill("b", "2026-01-02T10:00:01Z"),
            fill("a", "2026-01-02T10:00:00Z"),
        ];
        let after = merged(&listed, vec![fill("b", "2026-01-02T10:00:01Z")]);
        assert_eq!(ids(&after), ["b", "a"]);
    }

    #[test]
    fn fills_missed_while_offline_slot_in_by_time() {
        // Live: c arrived; the reload after a reconnect brings b, missed meanwhile, and c again.
        let listed = vec![
            fill("c", "2026-01-02T10:00:02.5Z"),
            fill("a", "2026-01-02T10:00:00Z"),
        ];
        let reloaded = vec![
            fill("c", "2026-01-02T10:00:02.5Z"),
            fill("b", "2026-01-02T10:00:02Z"),
            fill("a", "2026-01-02T10:00:00Z"),
        ];
        assert_eq!(ids(&merged(&listed, reloaded)), ["c", "b", "a"]);
    }

    #[test]
    fn the_feed_keeps_the_newest_only() {
        let many: Vec<FillRow> = (0..SHOWN + 5)
            .map(|n| {
                fill(
                    &n.to_string(),
                    &format!("2026-01-02T10:{:02}:{:02}Z", n / 60, n % 60),
                )
            })
            .collect();
        let kept = merged(&[], many);
        assert_eq!(kept.len(), SHOWN);
        assert_eq!(kept[0].id, (SHOWN + 4).to_string());
    }
}
