//! How fast CopyTrade's mail reaches the SMTP server, printed (run with
//! `cargo bench -p copytrade-backend --bench mail`; about 3 minutes in release, two of them the
//! one-minute outages).
//!
//! `mailsink` (docs/mailsink.md) runs as a separate process and is the SMTP server
//! (COPYTRADE_SMTP_URL=smtp://<sink>). The real server runs in this process on a loopback port,
//! on a fresh SQLite file and then on a fresh PostgreSQL database (COPYTRADE_BENCH_POSTGRES_URL,
//! default postgres://postgres@127.0.0.1:5432/postgres; skipped with a note if it cannot
//! connect), each with a sink of its own. Every request is a `register` mutation over raw
//! HTTP/1.1 on its own TCP connection, each from its own address (`X-Forwarded-For`, believed
//! from loopback; sign-ups per hour and the API rate set high), so no limit applies; every
//! answer is checked, and a GraphQL error fails the bench. A sign-up queues a verification mail
//! in the database and wakes the sender, which hands it to the SMTP server.
//!
//! Figures, per database:
//! - event to SMTP server: 100 sign-ups one after another, each followed by waiting at the
//!   sink for its verification mail (`GET /messages?to=<email>&min=1`); the time from the
//!   request leaving the client to the sink's `received_at` (the moment it accepted the
//!   message, stamped to the millisecond, so ±1 ms), and to the HTTP answer: p50, p95, max.
//!   Then 20 sign-ups at once: the time from their start to the last mail's `received_at`
//!   (argon2 runs at most one hash per core, so this is mostly the hashing queue);
//! - a one-minute SMTP outage: the sink is killed, 20 sign-ups queue their mails, the sink
//!   stays down for 60 s from the kill (the one place the bench waits on purpose), then starts
//!   again on the same two ports; mails lost (must be 0: the bench fails otherwise), how long
//!   after the sink came back the first and the last mail arrived, whether any recipient got
//!   its mail more than once (counted once the queue is empty), and how many SMTP tries the
//!   sink-less minute cost (the queue's attempt counts read just before the restart: each try
//!   is one refused TCP connection; the sender pauses 2, 4, 8, … up to 60 s between them).
//!
//! Both processes read the same wall clock, so the sink's `received_at` and the client's send
//! time can be subtracted.
//!
//! What bounds the figure: lettre writes a mail's content and then its closing `<CRLF>.<CRLF>`
//! as two small writes on a socket without TCP_NODELAY, so the second one waits for the
//! SMTP server's delayed ACK (about 40 ms on Linux) before the server can answer `250`. A
//! replay of that write pattern against mailsink takes about 44 ms a mail, one write (or
//! TCP_NODELAY) 0.1 ms. The sender therefore keeps up to 8 mails in flight on pooled
//! connections (`mail/sender.rs`, `AT_ONCE`), so a queue pays that wait about once per 8 mails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mailsink.rs"]
mod mailsink;
#[path = "support/raw_http.rs"]
mod raw_http;
mod support;
#[path = "support/workspace_binary.rs"]
mod workspace_binary;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use copytrade::app::App;
use copytrade::clock::Clock;
use copytrade::config::Config;
use copytrade::mail::Mail;
use serde_json::{Value, json};
use tokio::sync::Barrier;

use mailsink::MailSink;

/// Sign-ups one after another, each waiting for its mail.
const ONE_BY_ONE: usize = 100;
/// Sign-ups started together, after them.
const AT_ONCE: usize = 20;
/// Sign-ups made while the SMTP server is down.
const DURING_OUTAGE: usize = 20;
/// How long the SMTP server stays down, from the kill to the restart.
const OUTAGE: Duration = Duration::from_secs(60);
/// How long after the restart every queued mail must have arrived: the sender's longest pause
/// (60 s) and then some.
const RECOVERY_DEADLINE: Duration = Duration::from_secs(150);
/// How long one mail may take to arrive while the sink is up.
const MAIL_TIMEOUT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "a long benchmark passphrase";
/// The subject of the verification mail a sign-up sends.
const SUBJECT: &str = "Confirm your email address for CopyTrade";

/// The server under test, serving on a loopback port.
struct Server {
    addr: SocketAddr,
    /// Its outbox, to read the queue (`Mail::waiting`) during the outage.
    mail: Mail,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), copytrade::app::StartupError>>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(database_url: Option<String>, sink: &MailSink) -> Self {
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
            (
                "COPYTRADE_PUBLIC_URL".to_owned(),
                "https://copytrade.test".to_owned(),
            ),
            (
                "COPYTRADE_TRUSTED_PROXIES".to_owned(),
                "127.0.0.1".to_owned(),
            ),
            ("COPYTRADE_REGISTER_LIMIT".to_owned(), "1000000".to_owned()),
            ("COPYTRADE_API_RATE".to_owned(), "100000".to_owned()),
            ("COPYTRADE_API_BURST".to_owned(), "1000000".to_owned()),
        ];
        vars.extend(sink.env());
        if let Some(url) = database_url {
            vars.push(("COPYTRADE_DATABASE_URL".to_owned(), url));
        }
        let lookup = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let config = Config::from_lookup(&lookup).unwrap();
        let app = App::prepare(config, &lookup, Clock::system())
            .await
            .unwrap();
        assert!(app.state.mail.is_enabled(), "mail is on");
        let mail = app.state.mail.clone();
        let listener = app.bind().await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            mail,
            stop,
            task,
            _dir: dir,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }

    /// The mails still queued.
    async fn waiting(&self) -> Vec<copytrade::mail::WaitingMail> {
        self.mail.waiting().await.unwrap()
    }

    /// Waits (up to `timeout`) until the queue holds no mail to send; whether it emptied.
    async fn queue_drained(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.waiting().await.is_empty() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A distinct client address for sign-up `n` of `block`.
fn client_ip(block: u8, n: usize) -> String {
    format!("10.{block}.{}.{}", n / 250, n % 250 + 1)
}

/// One sign-up: when it left the client (wall clock, to compare with the sink's stamps) and how
/// long the answer took. Panics unless the answer is a session.
struct SignUp {
    sent: DateTime<Utc>,
    answered_after: Duration,
}

async fn sign_up(addr: SocketAddr, ip: &str, email: &str) -> SignUp {
    let body = json!({
        "query": "mutation($e: String!, $p: String!) { register(email: $e, password: $p) { token } }",
        "variables": { "e": email, "p": PASSWORD },
    })
    .to_string();
    let headers = format!("Content-Type: application/json\r\nX-Forwarded-For: {ip}\r\n");
    let sent = Utc::now();
    let started = Instant::now();
    let (status, text) = raw_http::post(addr, "/graphql", &headers, &body).await;
    let answered_after = started.elapsed();
    assert_eq!(status, 200, "register {email}: {text}");
    let answer: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("register {email}: not JSON: {text}"));
    assert!(
        answer.get("errors").is_none() && answer["data"]["register"]["token"].is_string(),
        "register {email}: {answer}"
    );
    SignUp {
        sent,
        answered_after,
    }
}

/// `count` sign-ups started together (`<prefix><n>@example.test`, addresses from `block`); the
/// wall-clock start and each sign-up's email, in order, with how long its answer took.
async fn sign_ups_at_once(
    addr: SocketAddr,
    block: u8,
    prefix: &str,
    count: usize,
) -> (DateTime<Utc>, Vec<(String, Duration)>) {
    let start = Arc::new(Barrier::new(count + 1));
    let mut clients = Vec::with_capacity(count);
    for n in 0..count {
        let start = start.clone();
        let email = format!("{prefix}{n}@example.test");
        let ip = client_ip(block, n);
        clients.push(tokio::spawn(async move {
            start.wait().await;
            let answer = sign_up(addr, &ip, &email).await;
            (email, answer.answered_after)
        }));
    }
    start.wait().await;
    let started = Utc::now();
    let mut answers = Vec::with_capacity(count);
    for client in clients {
        answers.push(client.await.unwrap());
    }
    (started, answers)
}

/// The sink's `received_at` of a message.
fn received_at(message: &Value) -> DateTime<Utc> {
    let text = message["received_at"]
        .as_str()
        .unwrap_or_else(|| panic!("no received_at in {message}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|err| panic!("received_at {text}: {err}"))
        .with_timezone(&Utc)
}

/// Panics unless `message` is the verification mail to `email`.
fn check_verification(message: &Value, email: &str) {
    let to = message["rcpt_to"].as_array();
    assert!(
        to.is_some_and(|to| to.iter().any(|r| r.as_str() == Some(email))),
        "a message for {email} went to {:?}",
        message["rcpt_to"]
    );
    assert_eq!(message["subject"], SUBJECT, "the mail to {email}");
}

/// The one verification mail `email` should have received (waits for it).
async fn verification_mail(sink: &MailSink, email: &str) -> Value {
    let messages = sink.wait_for(email, 1, MAIL_TIMEOUT).await;
    assert_eq!(
        messages.len(),
        1,
        "{email}: {} messages within {MAIL_TIMEOUT:?}: {messages:?}",
        messages.len()
    );
    check_verification(&messages[0], email);
    messages[0].clone()
}

/// Milliseconds from `from` to `to` (negative when `to` is earlier).
fn ms_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap() as f64 / 1000.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// p50 / p95 / max (nearest rank) of some figures in ms.
fn spread(mut figures: Vec<f64>) -> String {
    figures.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        let rank = (q * figures.len() as f64).ceil() as usize;
        figures[rank.clamp(1, figures.len()) - 1]
    };
    format!(
        "p50 {:>7.1} ms, p95 {:>7.1} ms, max {:>7.1} ms",
        quantile(0.5),
        quantile(0.95),
        figures[figures.len() - 1]
    )
}

/// Part 1: sign-ups with the SMTP server up.
async fn event_to_smtp(server: &Server, sink: &MailSink) {
    println!("  event to SMTP server, {ONE_BY_ONE} sign-ups one after another:");
    let mut to_mail = Vec::with_capacity(ONE_BY_ONE);
    let mut to_answer = Vec::with_capacity(ONE_BY_ONE);
    let mut mail_first = 0;
    for n in 0..ONE_BY_ONE {
        let email = format!("one-by-one{n}@example.test");
        let signed_up = sign_up(server.addr, &client_ip(1, n), &email).await;
        let mail = verification_mail(sink, &email).await;
        let at_sink = ms_between(signed_up.sent, received_at(&mail));
        let answered = ms(signed_up.answered_after);
        if at_sink < answered {
            mail_first += 1;
        }
        to_mail.push(at_sink);
        to_answer.push(answered);
    }
    println!(
        "    {:<58} {}",
        "request sent -> verification mail at the SMTP server",
        spread(to_mail)
    );
    println!(
        "    {:<58} {}",
        "request sent -> HTTP answer",
        spread(to_answer)
    );
    println!(
        "    {:<58} {mail_first} of {ONE_BY_ONE}",
        "mails at the SMTP server before the HTTP answer arrived"
    );

    let (started, answers) = sign_ups_at_once(server.addr, 2, "at-once", AT_ONCE).await;
    let mut last_mail = started;
    for (email, _) in &answers {
        last_mail = last_mail.max(received_at(&verification_mail(sink, email).await));
    }
    let last_answer = answers.iter().map(|(_, took)| *took).max().unwrap();
    println!(
        "  {AT_ONCE} sign-ups at once: {:<41} {:>7.1} ms (start -> last HTTP answer {:.1} ms)",
        "start -> last mail at the SMTP server",
        ms_between(started, last_mail),
        ms(last_answer)
    );
}

/// Part 2: a one-minute outage of the SMTP server.
async fn outage(server: &Server, sink: &mut MailSink) {
    // Every mail so far is booked as sent, so the queue holds only the outage's mails.
    assert!(
        server.queue_drained(MAIL_TIMEOUT).await,
        "mail still queued before the outage: {:?}",
        server.waiting().await
    );
    sink.stop().await;
    let down = Instant::now();
    let (_, answers) = sign_ups_at_once(server.addr, 3, "outage", DURING_OUTAGE).await;
    let emails: Vec<String> = answers.into_iter().map(|(email, _)| email).collect();
    tokio::time::sleep_until((down + OUTAGE).into()).await;
    let queued = server.waiting().await;
    let tries: i64 = queued.iter().map(|mail| mail.attempts).sum();
    let last_error = queued.iter().rev().find_map(|mail| mail.last_error.clone());
    sink.restart().await;
    let back = Utc::now();
    let down_for = down.elapsed();
    println!(
        "  SMTP outage: sink killed, {DURING_OUTAGE} sign-ups, sink started again on its ports after {:.1} s \
         ({} mails queued then):",
        down_for.as_secs_f64(),
        queued.len()
    );

    // Wait until every recipient has a mail, or the deadline.
    let deadline = Instant::now() + RECOVERY_DEADLINE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let messages = sink
            .wait_for_all(DURING_OUTAGE, left.min(Duration::from_secs(60)))
            .await;
        if messages.len() >= DURING_OUTAGE || left.is_zero() {
            break;
        }
    }
    // Then until the queue is empty, so that a second copy would already be at the sink.
    let drained = server
        .queue_drained(deadline.saturating_duration_since(Instant::now()))
        .await;
    let messages = sink.messages("").await;
    let mut per_recipient: BTreeMap<&str, Vec<DateTime<Utc>>> = emails
        .iter()
        .map(|email| (email.as_str(), Vec::new()))
        .collect();
    for message in &messages {
        let email = message["rcpt_to"][0].as_str().unwrap_or_default();
        let Some(arrivals) = per_recipient.get_mut(email) else {
            panic!("a message nobody signed up for during the outage: {message}");
        };
        check_verification(message, email);
        arrivals.push(received_at(message));
    }
    let lost: Vec<&str> = per_recipient
        .iter()
        .filter(|(_, arrivals)| arrivals.is_empty())
        .map(|(email, _)| *email)
        .collect();
    let twice: Vec<String> = per_recipient
        .iter()
        .filter(|(_, arrivals)| arrivals.len() > 1)
        .map(|(email, arrivals)| format!("{email} x{}", arrivals.len()))
        .collect();
    let firsts: Vec<DateTime<Utc>> = per_recipient
        .values()
        .filter_map(|arrivals| arrivals.iter().min().copied())
        .collect();

    println!(
        "    {:<58} {} of {DURING_OUTAGE}{}",
        "mails lost (queued, never at the sink)",
        lost.len(),
        if drained {
            ""
        } else {
            " (the queue did not empty)"
        }
    );
    if let (Some(first), Some(last)) = (firsts.iter().min(), firsts.iter().max()) {
        println!(
            "    {:<58} {:>7.1} s",
            "sink back -> first mail at the SMTP server",
            ms_between(back, *first) / 1000.0
        );
        println!(
            "    {:<58} {:>7.1} s",
            "sink back -> last mail at the SMTP server (all there)",
            ms_between(back, *last) / 1000.0
        );
    }
    println!(
        "    {:<58} {}",
        "recipients whose mail arrived more than once",
        if twice.is_empty() {
            format!("0 (each of the {} got exactly 1)", firsts.len())
        } else {
            format!("{} ({})", twice.len(), twice.join(", "))
        }
    );
    let mut why = last_error.unwrap_or_else(|| "none recorded".to_owned());
    if why.len() > 90 {
        why = format!("{}…", why.chars().take(90).collect::<String>());
    }
    println!(
        "    {:<58} {tries} (last error: {why})",
        "SMTP tries while the sink was down (refused connections)"
    );
    assert!(lost.is_empty(), "mails lost in the outage: {lost:?}");
}

async fn measure(label: &str, database_url: Option<String>) {
    let mut sink = MailSink::start().await;
    let server = Server::start(database_url, &sink).await;
    println!("{label}:");
    event_to_smtp(&server, &sink).await;
    outage(&server, &mut sink).await;
    server.stop().await;
}

#[tokio::main]
async fn main() {
    match std::thread::available_parallelism() {
        Ok(cores) => println!("machine: {cores} cores"),
        Err(err) => println!("machine: core count unknown ({err})"),
    }
    measure("SQLite", None).await;
    support::on_scratch_postgres("mail", |url| measure("PostgreSQL", Some(url))).await;
}
