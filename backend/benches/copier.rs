//! Copier figures, printed (run with `cargo bench -p copytrade-backend --bench copier`): the
//! time from a webhook request leaving the client to the broker's acknowledgement of the last
//! follower's order, for groups of 1, 5 and 20 paper followers, on a fresh SQLite file and on
//! a fresh PostgreSQL database (COPYTRADE_BENCH_POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres; skipped with a note if it cannot connect).
//!
//! The real server runs in this process on a loopback port; requests go over TCP like
//! TradingView's. The clock stops when the live feed reports the last follower's order
//! answered (FILLED for paper market orders), which is what a trader watching the Dashboard
//! sees. Signals are sent one after another, each waiting for the previous to finish.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/raw_http.rs"]
mod raw_http;
mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use copytrade::app::App;
use copytrade::clock::Clock;
use copytrade::config::Config;
use copytrade::copier::{CopierEvent, CopyStatus};
use raw_http::post;
use serde_json::{Value, json};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError as Missed;

const SIGNALS: usize = 40;
const GROUP_SIZES: [usize; 3] = [1, 5, 20];

async fn gql(addr: SocketAddr, token: Option<&str>, query: &str, variables: Value) -> Value {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let headers = format!("Content-Type: application/json\r\n{auth}");
    let body = json!({ "query": query, "variables": variables }).to_string();
    let (status, text) = post(addr, "/graphql", &headers, &body).await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert!(answer["errors"].is_null(), "{query}: {answer}");
    answer["data"].clone()
}

/// Median, 90th percentile and maximum, in milliseconds.
fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "median {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        ms(at(0.5)),
        ms(at(0.9)),
        ms(samples[samples.len() - 1])
    )
}

async fn measure(label: &str, database_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut vars = vec![
        (
            "COPYTRADE_DATA_DIR".to_owned(),
            dir.path().join("data").display().to_string(),
        ),
        (
            "COPYTRADE_STATIC_DIR".to_owned(),
            dir.path().join("dist").display().to_string(),
        ),
        ("COPYTRADE_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
        ("COPYTRADE_API_RATE".to_owned(), "100000".to_owned()),
        ("COPYTRADE_API_BURST".to_owned(), "1000000".to_owned()),
        ("COPYTRADE_SIGNAL_RATE".to_owned(), "10000000".to_owned()),
    ];
    if let Some(url) = database_url {
        vars.push(("COPYTRADE_DATABASE_URL".to_owned(), url));
    }
    let lookup = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let config = Config::from_lookup(&lookup).unwrap();
    let app = App::prepare(config, &lookup, Clock::system())
        .await
        .unwrap();
    let copier = app.state.copier.clone();
    let listener = app.bind().await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));

    let registered = gql(
        addr,
        None,
        "mutation { register(email: \"bench@example.com\", password: \"a long benchmark passphrase\") { token user { id } } }",
        json!({}),
    )
    .await;
    let token = registered["register"]["token"].as_str().unwrap().to_owned();
    let user = registered["register"]["user"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let token = Some(token.as_str());
    let mut accounts = Vec::new();
    for i in 0..*GROUP_SIZES.iter().max().unwrap() {
        let linked = gql(
            addr,
            token,
            "mutation($i: LinkBrokerAccountInput!) { linkBrokerAccount(input: $i) { accounts { id } } }",
            json!({ "i": { "broker": "PAPER", "environment": "DEMO", "label": format!("P{i}"), "credentials": {} } }),
        )
        .await;
        accounts.push(linked["linkBrokerAccount"]["accounts"][0]["id"].clone());
    }
    println!("{label}:");
    for size in GROUP_SIZES {
        let created = gql(
            addr,
            token,
            "mutation($n: String!) { createWebhook(name: $n) { webhook { id } token } }",
            json!({ "n": format!("{size} followers") }),
        )
        .await;
        let webhook = created["createWebhook"]["webhook"]["id"].clone();
        let hook_token = created["createWebhook"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let group = gql(
            addr,
            token,
            "mutation($i: CreateCopyGroupInput!) { createCopyGroup(input: $i) { id } }",
            json!({ "i": { "name": format!("{size}"), "webhookId": webhook } }),
        )
        .await["createCopyGroup"]["id"]
            .clone();
        for account in &accounts[..size] {
            gql(
                addr,
                token,
                "mutation($i: AddFollowerInput!) { addFollower(input: $i) { id } }",
                json!({ "i": { "copyGroupId": group, "tradingAccountId": account } }),
            )
            .await;
        }
        let mut events = copier.subscribe(user);
        let mut samples = Vec::with_capacity(SIGNALS);
        // Two warm-up signals (connections, caches), then the measured ones.
        for n in 0..SIGNALS + 2 {
            let side = if n % 2 == 0 { "buy" } else { "sell" };
            let body =
                format!(r#"{{"ticker":"ES1!","action":"{side}","quantity":1,"id":"s{size}-{n}"}}"#);
            let started = Instant::now();
            let (status, text) = post(
                addr,
                &format!("/hooks/{hook_token}"),
                "Content-Type: text/plain\r\n",
                &body,
            )
            .await;
            assert_eq!(status, 202, "{text}");
            let signal = serde_json::from_str::<Value>(&text).unwrap()["signalId"]
                .as_str()
                .unwrap()
                .to_owned();
            let mut answered = HashSet::new();
            while answered.len() < size {
                match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
                    Ok(Some(Ok(CopierEvent::Order(update))))
                        if update.order.signal_id.to_string() == signal
                            && update.order.status.is_final() =>
                    {
                        assert_eq!(update.order.status, CopyStatus::Filled, "{update:?}");
                        answered.insert(update.order.id);
                    }
                    Ok(Some(Ok(_))) => {}
                    Ok(Some(Err(Missed::Lagged(missed)))) => {
                        panic!("the bench missed {missed} events")
                    }
                    Ok(None) | Err(_) => panic!("signal {signal} was not copied"),
                }
            }
            if n >= 2 {
                samples.push(started.elapsed());
            }
        }
        println!(
            "  webhook request to last acknowledgement, {size:>2} follower(s), {SIGNALS} signals: {}",
            summary(samples)
        );
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::main]
async fn main() {
    measure("SQLite", None).await;
    support::on_scratch_postgres("copier", |url| measure("PostgreSQL", Some(url))).await;
}
