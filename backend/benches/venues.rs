//! Copying over the venues' real protocols, printed (run with
//! `cargo bench -p copytrade-backend --bench venues`; about 3 minutes in release).
//!
//! `brokersim` runs as a separate process, every venue answering 20 ms late
//! (`POST /_sim/<venue>/latency`). The real server runs in this process on a loopback port,
//! on a fresh SQLite file and then on a fresh PostgreSQL database (COPYTRADE_BENCH_POSTGRES_URL,
//! skipped with a note if it cannot connect), each with a simulator of its own. One trader
//! links the logins of [`SPREAD`] through the GraphQL API, 20 followers in one copy group on
//! one webhook. Figures:
//! - the time from a webhook request leaving the client to the last follower's
//!   acknowledgement (the live event that makes its copy final, WORKING or FILLED as the
//!   venue first answers), alternating buy and sell: for lone signals (10 after 2 warm-up
//!   ones, spaced so that no login's pacing budget runs down, as a trader's signals are), and
//!   for 10 signals back to back; with each venue's last follower;
//! - one market order sent straight to the simulator (Tradovate `/order/placeorder`, ProjectX
//!   `/api/Order/place`), 20 times: the floor a copier cannot beat;
//! - their ratio, and what the difference is made of.
//!
//! What bounds the figure: for a lone signal, the copier's own work (intake, planning,
//! database writes around each order) over one venue round trip, which the direct orders
//! measure. For signals back to back, pacing: the copier spaces each login's orders as its
//! adapter declares for the venue (`brokers::order_rate`, printed with the per-venue figures:
//! a Tradovate or Apex login gets 1 order a second after a burst of 20), so once a login's
//! burst is spent each signal waits about one interval per account on the login.

#[path = "support/brokersim.rs"]
mod brokersim;
#[path = "venues/direct.rs"]
mod direct;
#[path = "venues/followers.rs"]
mod followers;
#[path = "support/raw_http.rs"]
mod raw_http;
mod support;
#[path = "support/workspace_binary.rs"]
mod workspace_binary;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use copytrade::brokers::{BrokerKind, order_rate};
use copytrade::copier::{CopierEvent, CopyStatus};
use serde_json::{Value, json};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError as Missed;

use brokersim::BrokerSim;
use followers::{Follower, Server};

/// The followers: per venue, how many logins (keys, for TopstepX and Bybit) and how many
/// accounts on each. Set a venue's logins to 0 to leave it out. Once its burst is spent, each
/// Tradovate or Apex account beyond the first on a login adds a second to every signal (and
/// about 20 s to each database's run), so 4 a login keeps the bench under 3 minutes.
const SPREAD: [(Venue, usize, usize); 5] = [
    // (venue, logins, accounts per login)
    (Venue::Tradovate, 1, 4),
    (Venue::Apex, 1, 4),
    (Venue::TopstepX, 1, 5),
    (Venue::Bybit, 3, 1),
    (Venue::Paper, 4, 1),
];
/// What every simulated venue adds to each request and stream answer.
const LATENCY_MS: u64 = 20;
/// Lone signals measured (after the warm-up), then signals sent back to back.
const SIGNALS: usize = 10;
const WARM_UP: usize = 2;
const BURST: usize = 10;
/// Direct orders to the simulator, for the floor.
const DIRECT: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Venue {
    Tradovate,
    Apex,
    TopstepX,
    Bybit,
    Paper,
}

impl Venue {
    pub fn kind(self) -> BrokerKind {
        match self {
            Self::Tradovate => BrokerKind::Tradovate,
            Self::Apex => BrokerKind::Apex,
            Self::TopstepX => BrokerKind::TopstepX,
            Self::Bybit => BrokerKind::Bybit,
            Self::Paper => BrokerKind::Paper,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Tradovate => "Tradovate",
            Self::Apex => "Apex",
            Self::TopstepX => "TopstepX",
            Self::Bybit => "Bybit",
            Self::Paper => "paper",
        }
    }
}

/// Median, 90th percentile and maximum.
fn summary(samples: &[Duration]) -> String {
    let mut sorted = samples.to_vec();
    sorted.sort();
    format!(
        "median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        ms(quantile(&sorted, 0.5)),
        ms(quantile(&sorted, 0.9)),
        ms(sorted.last().copied().unwrap_or_default())
    )
}

/// `sorted` must be sorted; nearest rank.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((sorted.len().max(1) as f64 - 1.0) * q).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    quantile(&sorted, 0.5)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// What the copier's signals took: to the last acknowledgement, and to each venue's last one.
struct Copied {
    total: Vec<Duration>,
    per_venue: BTreeMap<Venue, Vec<Duration>>,
}

/// The pause between lone signals: long enough for every login's pacing budget to refill what
/// one signal spends (its accounts on the login times the venue's interval), so no lone signal
/// waits for pacing, as a trader's signals minutes apart never do.
fn lone_spacing() -> Duration {
    SPREAD
        .iter()
        .filter(|(_, logins, _)| *logins > 0)
        .filter_map(|&(venue, _, accounts)| {
            let quota = order_rate(venue.kind())?;
            Some(quota.replenish_interval() * accounts as u32)
        })
        .max()
        .unwrap_or_default()
        + Duration::from_millis(250)
}

/// Sends `count` signals (after `warm_up` unmeasured ones) one after another; each waits until
/// every follower's copy is final, then `spacing` before the next.
async fn copy_signals(
    server: &Server,
    hook_token: &str,
    followers: &[Follower],
    phase: &str,
    (warm_up, count): (usize, usize),
    spacing: Duration,
) -> Copied {
    let venue_of: BTreeMap<&str, Venue> = followers
        .iter()
        .map(|follower| (follower.account.as_str(), follower.venue))
        .collect();
    let mut events = server.copier.subscribe(server.user);
    let mut copied = Copied {
        total: Vec::with_capacity(count),
        per_venue: BTreeMap::new(),
    };
    for n in 0..warm_up + count {
        if n > 0 && !spacing.is_zero() {
            // Pacing the load, not waiting for a result: the measured time starts after it.
            tokio::time::sleep(spacing).await;
        }
        let side = if n % 2 == 0 { "buy" } else { "sell" };
        let body = format!(
            r#"{{"ticker":"CME_MINI:ES1!","action":"{side}","quantity":1,"id":"venues-{phase}-{n}"}}"#
        );
        let started = Instant::now();
        let (status, text) = raw_http::post(
            server.addr,
            &format!("/hooks/{hook_token}"),
            "Content-Type: text/plain\r\n",
            &body,
        )
        .await;
        assert_eq!(status, 202, "the webhook took the signal: {text}");
        let answer: Value = serde_json::from_str(&text).expect("the webhook answers JSON");
        let signal = answer["signalId"].as_str().expect("a signal id").to_owned();
        let mut answered = HashSet::new();
        let mut last_of_venue: BTreeMap<Venue, Duration> = BTreeMap::new();
        while answered.len() < followers.len() {
            let event = tokio::time::timeout(Duration::from_secs(60), events.next()).await;
            let update = match event {
                Ok(Some(Ok(CopierEvent::Order(update)))) => update,
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(Missed::Lagged(missed)))) => panic!("the bench missed {missed} events"),
                Ok(None) | Err(_) => {
                    panic!(
                        "signal {signal} was not copied within 60 s ({} of {} answered)",
                        answered.len(),
                        followers.len()
                    )
                }
            };
            let order = &update.order;
            if order.signal_id.to_string() != signal || !order.status.is_final() {
                continue;
            }
            let account = order
                .trading_account_id
                .map(|id| id.to_string())
                .unwrap_or_default();
            let venue = *venue_of
                .get(account.as_str())
                .unwrap_or_else(|| panic!("a copy for an account not followed: {order:?}"));
            assert!(
                matches!(order.status, CopyStatus::Filled | CopyStatus::Working),
                "{} refused the copy: {:?} {:?}",
                venue.name(),
                order.status,
                order.reason
            );
            // A copy answered WORKING may be reported again when it fills: its first final
            // answer is the acknowledgement.
            if answered.insert(order.id) {
                last_of_venue.insert(venue, started.elapsed());
            }
        }
        if n >= warm_up {
            copied.total.push(started.elapsed());
            for (venue, took) in last_of_venue {
                copied.per_venue.entry(venue).or_default().push(took);
            }
        }
    }
    copied
}

/// One database's run: a fresh simulator, server and trader; prints its figures.
async fn run(label: &str, database_url: Option<String>) {
    let sim = BrokerSim::start().await;
    for venue in ["tradovate", "projectx", "bybit"] {
        sim.control(&format!("/{venue}/latency"), json!({ "ms": LATENCY_MS }))
            .await;
    }
    let server = Server::start(&sim, database_url).await;
    let followers = followers::link_all(&sim, &server).await;
    let hook_token = server.copy_group(&followers).await;
    let spacing = lone_spacing();
    let lone = copy_signals(
        &server,
        &hook_token,
        &followers,
        "lone",
        (WARM_UP, SIGNALS),
        spacing,
    )
    .await;
    let burst = copy_signals(
        &server,
        &hook_token,
        &followers,
        "burst",
        (0, BURST),
        Duration::ZERO,
    )
    .await;
    let tradovate = direct::tradovate_orders(&sim, WARM_UP, DIRECT).await;
    let projectx = direct::projectx_orders(&sim, WARM_UP, DIRECT).await;
    server.stop().await;

    println!(
        "{label}: {} followers in one copy group, every venue {LATENCY_MS} ms late",
        followers.len()
    );
    println!(
        "  webhook request to last acknowledgement, {SIGNALS} lone signals ({} ms apart, no login waits for pacing): {}",
        spacing.as_millis(),
        summary(&lone.total)
    );
    println!(
        "  the same for {BURST} signals back to back (each login's pacing budget runs out): {}",
        summary(&burst.total)
    );
    let copied = lone;
    let per_venue: Vec<String> = SPREAD
        .iter()
        .filter_map(|&(venue, logins, accounts)| {
            let took = median(copied.per_venue.get(&venue)?);
            Some(format!(
                "{} {:.1} ms ({logins}x{accounts}, {})",
                venue.name(),
                ms(took),
                pacing(venue)
            ))
        })
        .collect();
    println!(
        "  last acknowledgement per venue, median (logins x accounts, the copier's pacing per login): {}",
        per_venue.join(", ")
    );
    println!(
        "  direct Tradovate /order/placeorder, {DIRECT} orders: {}",
        summary(&tradovate)
    );
    println!(
        "  direct ProjectX /api/Order/place, {DIRECT} orders: {}",
        summary(&projectx)
    );
    let copier = median(&copied.total);
    let direct = median(&tradovate).max(median(&projectx));
    println!(
        "  copier / direct, medians: {:.1}x",
        ms(copier) / ms(direct).max(f64::EPSILON)
    );
    println!(
        "  the difference: {}",
        difference(copier, direct, &copied.per_venue)
    );
}

/// The copier's pacing of one login's orders on `venue`, as its adapter declares it.
fn pacing(venue: Venue) -> String {
    match order_rate(venue.kind()) {
        Some(quota) => format!(
            "1 order per {} ms after {}",
            quota.replenish_interval().as_millis(),
            quota.burst_size()
        ),
        None => "unpaced".to_owned(),
    }
}

/// One line on what the copier adds to a direct order: the wait beyond the fastest venue that
/// talks to the simulator is pacing (or a slower venue); below it, the copier's own work.
fn difference(
    copier: Duration,
    direct: Duration,
    per_venue: &BTreeMap<Venue, Vec<Duration>>,
) -> String {
    let medians: Vec<(Venue, Duration)> = per_venue
        .iter()
        .map(|(venue, took)| (*venue, median(took)))
        .collect();
    let fastest = medians
        .iter()
        .filter(|(venue, _)| *venue != Venue::Paper)
        .min_by_key(|(_, took)| *took);
    let paper = medians
        .iter()
        .find(|(venue, _)| *venue == Venue::Paper)
        .map(|(_, took)| format!("; paper followers, with no venue, take {:.0} ms", ms(*took)))
        .unwrap_or_default();
    let Some(&(fastest, unpaced)) = fastest else {
        return "no venue but paper was followed".to_owned();
    };
    // A venue whose last follower took more than twice the fastest one's waited for pacing.
    let waited: Vec<&str> = medians
        .iter()
        .filter(|(_, took)| *took > unpaced * 2)
        .map(|(venue, _)| venue.name())
        .collect();
    let why = if waited.is_empty() {
        "no login waited for pacing".to_owned()
    } else {
        format!(
            "{}: several accounts on one login wait for pacing",
            waited.join(" and ")
        )
    };
    format!(
        "{:.0} ms waiting beyond {}'s last acknowledgement ({why}), and {:.0} ms of the \
         copier's own work (intake, planning, database writes around each order, for every \
         follower at once) on top of one {:.0} ms round trip{paper}",
        ms(copier.saturating_sub(unpaced)),
        fastest.name(),
        ms(unpaced.saturating_sub(direct)),
        ms(direct),
    )
}

#[tokio::main]
async fn main() {
    run("SQLite", None).await;
    support::on_scratch_postgres("venues", |url| run("PostgreSQL", Some(url))).await;
}
