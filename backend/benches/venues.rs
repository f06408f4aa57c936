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
//!   acknowledgement (the live event that makes every copy final: FILLED for paper and
//!   Bybit, WORKING or FILLED as the venue answers), for 20 signals after 2 warm-up ones,
//!   alternating buy and sell, each sent when the previous one is done, and the same
//!   per venue;
//! - one market order sent straight to the simulator (Tradovate `/order/placeorder`, ProjectX
//!   `/api/Order/place`), 20 times: the floor a copier cannot beat;
//! - their ratio, and what the difference is made of.
//!
//! What bounds the figure: pacing. The copier sends at most 60 orders a minute (bursts of 20)
//! per Tradovate or Apex login and 3 a second per TopstepX key, so once a login's burst is
//! spent, each signal waits about one second per account on it after the first. Signals
//! arriving minutes apart would not see that wait; a burst of back-to-back signals does.
//! Below pacing: the copier's own work (intake, planning, database writes around each order)
//! plus one venue round trip.

#[path = "support/brokersim.rs"]
mod brokersim;
#[path = "venues/direct.rs"]
mod direct;
#[path = "venues/followers.rs"]
mod followers;
mod support;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use copytrade::copier::{CopierEvent, CopyStatus};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use brokersim::BrokerSim;
use followers::{Follower, Server};

/// The followers: per venue, how many logins (keys, for TopstepX and Bybit) and how many
/// accounts on each. Set a venue's logins to 0 to leave it out.
const SPREAD: [(Venue, usize, usize); 5] = [
    // (venue, logins, accounts per login)
    (Venue::Tradovate, 1, 5),
    (Venue::Apex, 1, 4),
    (Venue::TopstepX, 1, 5),
    (Venue::Bybit, 3, 1),
    (Venue::Paper, 3, 1),
];
/// What every simulated venue adds to each request and stream answer.
const LATENCY_MS: u64 = 20;
const SIGNALS: usize = 20;
const WARM_UP: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Venue {
    Tradovate,
    Apex,
    TopstepX,
    Bybit,
    Paper,
}

impl Venue {
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

/// Sends the signals one after another; each waits until every follower's copy is final.
async fn copy_signals(server: &Server, hook_token: &str, followers: &[Follower]) -> Copied {
    let venue_of: BTreeMap<&str, Venue> = followers
        .iter()
        .map(|follower| (follower.account.as_str(), follower.venue))
        .collect();
    let mut events = server.copier.subscribe();
    let mut copied = Copied {
        total: Vec::with_capacity(SIGNALS),
        per_venue: BTreeMap::new(),
    };
    for n in 0..WARM_UP + SIGNALS {
        let side = if n % 2 == 0 { "buy" } else { "sell" };
        let body = format!(
            r#"{{"ticker":"CME_MINI:ES1!","action":"{side}","quantity":1,"id":"venues-{n}"}}"#
        );
        let started = Instant::now();
        let (status, text) = brokersim::request(
            server.addr,
            "POST",
            &format!("/hooks/{hook_token}"),
            "Content-Type: text/plain\r\n",
            &body,
        )
        .await
        .expect("the webhook answers");
        assert_eq!(status, 202, "the webhook took the signal: {text}");
        let answer: Value = serde_json::from_str(&text).expect("the webhook answers JSON");
        let signal = answer["signalId"].as_str().expect("a signal id").to_owned();
        let mut answered = HashSet::new();
        let mut last_of_venue: BTreeMap<Venue, Duration> = BTreeMap::new();
        while answered.len() < followers.len() {
            let event = tokio::time::timeout(Duration::from_secs(60), events.recv()).await;
            let update = match event {
                Ok(Ok(CopierEvent::Order(update))) => update,
                Ok(Ok(_)) => continue,
                Ok(Err(RecvError::Lagged(missed))) => panic!("the bench missed {missed} events"),
                Ok(Err(RecvError::Closed)) | Err(_) => {
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
        if n >= WARM_UP {
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
    let copied = copy_signals(&server, &hook_token, &followers).await;
    let tradovate = direct::tradovate_orders(&sim, WARM_UP, SIGNALS).await;
    let projectx = direct::projectx_orders(&sim, WARM_UP, SIGNALS).await;

    let spread: Vec<String> = SPREAD
        .iter()
        .filter(|(_, logins, _)| *logins > 0)
        .map(|(venue, logins, accounts)| format!("{} {logins}x{accounts}", venue.name()))
        .collect();
    println!(
        "{label}: {} followers (logins x accounts: {}), every venue {LATENCY_MS} ms late",
        followers.len(),
        spread.join(", ")
    );
    println!(
        "  webhook request to last acknowledgement, {SIGNALS} signals: {}",
        summary(&copied.total)
    );
    let per_venue: Vec<String> = copied
        .per_venue
        .iter()
        .map(|(venue, took)| format!("{} {:.1} ms", venue.name(), ms(median(took))))
        .collect();
    println!(
        "  last acknowledgement per venue, median: {}",
        per_venue.join(", ")
    );
    println!(
        "  direct Tradovate /order/placeorder, {SIGNALS} orders: {}",
        summary(&tradovate)
    );
    println!(
        "  direct ProjectX /api/Order/place, {SIGNALS} orders: {}",
        summary(&projectx)
    );
    let copier = ms(median(&copied.total));
    println!(
        "  copier / direct, medians: {:.1}x Tradovate, {:.1}x ProjectX",
        copier / ms(median(&tradovate)).max(f64::EPSILON),
        copier / ms(median(&projectx)).max(f64::EPSILON)
    );
    println!("  the difference: {}", difference(&copied.per_venue));
    server.stop().await;
}

/// One line on what the copier adds to a direct order, from the per-venue figures.
fn difference(per_venue: &BTreeMap<Venue, Vec<Duration>>) -> String {
    let at = |venue: Venue| per_venue.get(&venue).map(|took| ms(median(took)));
    let mut parts = Vec::new();
    if let Some(paper) = at(Venue::Paper) {
        parts.push(format!(
            "the copier's own work (intake, planning, database writes around each order) is \
             what paper followers take, {paper:.0} ms"
        ));
    }
    if let Some(bybit) = at(Venue::Bybit) {
        parts.push(format!(
            "plus one venue round trip gives Bybit's {bybit:.0} ms (one account per key)"
        ));
    }
    let paced: Vec<String> = [Venue::Tradovate, Venue::Apex, Venue::TopstepX]
        .into_iter()
        .filter_map(|venue| at(venue).map(|took| format!("{} {took:.0} ms", venue.name())))
        .collect();
    if !paced.is_empty() {
        parts.push(format!(
            "the rest is pacing of several accounts on one login \
             (Tradovate/Apex 60 orders a minute in bursts of 20, TopstepX 3 a second): {}",
            paced.join(", ")
        ));
    }
    parts.join("; ")
}

#[tokio::main]
async fn main() {
    run("SQLite", None).await;
    support::on_scratch_postgres("venues", |url| run("PostgreSQL", Some(url))).await;
}
