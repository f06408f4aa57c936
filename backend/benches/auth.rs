//! Login and sign-up figures, printed (run with `cargo bench -p copytrade-backend --bench auth`):
//! the latency of `register` and of `login` (right password, wrong password for an existing
//! email, an email nobody has) when 20 clients try at once, on a fresh SQLite file and on a
//! fresh PostgreSQL database (COPYTRADE_BENCH_POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres; skipped with a note if it cannot connect).
//!
//! Every password check runs under the bound on concurrent argon2 hashes and is admitted under
//! the guessing limits kept in the database (docs/security.md, "Guessing and flooding"), so
//! these figures are what those bounds cost a user in a burst. It is a bench of the cost, not of
//! the limits: the server believes `X-Forwarded-For` from loopback and each simulated client
//! sends its own address, tries its own account, and stays under every per-address and
//! per-account limit (6 attempts each, below 10 in 15 minutes); sign-ups per hour are set high.
//! Each answer is checked, so a refusal (`RATE_LIMITED`) fails the bench instead of being timed.
//!
//! The real server runs in this process on a loopback port and shares the machine's cores with
//! the clients; each request is raw HTTP/1.1 on its own TCP connection. A round is 20 requests
//! started together; one warm-up round (connections, the dummy hash unknown emails are checked
//! against), then the measured ones. The wrong-password and unknown-email rounds alternate, so
//! that the difference of their medians is not the drift of the machine's load between them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/raw_http.rs"]
mod raw_http;
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use copytrade::app::App;
use copytrade::clock::Clock;
use copytrade::config::Config;
use serde_json::{Value, json};
use tokio::sync::Barrier;

const CLIENTS: usize = 20;
const WARM_UP_ROUNDS: usize = 1;
const ROUNDS: usize = 5;
const PASSWORD: &str = "a long benchmark passphrase";
const WRONG_PASSWORD: &str = "not the benchmark passphrase";

/// What one client sends in one round.
#[derive(Clone, Copy)]
enum Trial {
    SignUp,
    RightPassword,
    WrongPassword,
    UnknownEmail,
}

impl Trial {
    fn label(self) -> &'static str {
        match self {
            Trial::SignUp => "sign-up",
            Trial::RightPassword => "login, right password",
            Trial::WrongPassword => "login, wrong password, existing email",
            Trial::UnknownEmail => "login, unknown email",
        }
    }

    /// Each trial's clients come from their own block of addresses, so no address is used for
    /// more attempts than one trial's rounds.
    fn address_block(self) -> u8 {
        match self {
            Trial::SignUp => 1,
            Trial::RightPassword => 2,
            Trial::WrongPassword => 3,
            Trial::UnknownEmail => 4,
        }
    }

    /// The GraphQL request `client` sends in `round`. Sign-ups make one account per client per
    /// round; the logins use the accounts made in the first round.
    fn request(self, client: usize, round: usize) -> Value {
        let login =
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
        let account = format!("client{client}-round0@example.com");
        match self {
            Trial::SignUp => json!({
                "query": "mutation($e: String!, $p: String!) { register(email: $e, password: $p) { token } }",
                "variables": { "e": format!("client{client}-round{round}@example.com"), "p": PASSWORD },
            }),
            Trial::RightPassword => json!({
                "query": login,
                "variables": { "e": account, "p": PASSWORD },
            }),
            Trial::WrongPassword => json!({
                "query": login,
                "variables": { "e": account, "p": WRONG_PASSWORD },
            }),
            Trial::UnknownEmail => json!({
                "query": login,
                "variables": { "e": format!("nobody{client}@example.com"), "p": WRONG_PASSWORD },
            }),
        }
    }

    /// Panics unless the server answered as this trial expects: a session for a sign-up or a
    /// right password, `BAD_CREDENTIALS` for the others.
    fn check(self, status: u16, body: &str) {
        assert_eq!(status, 200, "{}: {body}", self.label());
        let answer: Value = serde_json::from_str(body).unwrap();
        match self {
            Trial::SignUp | Trial::RightPassword => assert!(
                answer["data"]
                    .as_object()
                    .and_then(|data| data.values().next())
                    .is_some_and(|payload| payload["token"].is_string()),
                "{}: {answer}",
                self.label()
            ),
            Trial::WrongPassword | Trial::UnknownEmail => assert_eq!(
                answer["errors"][0]["extensions"]["code"],
                "BAD_CREDENTIALS",
                "{}: {answer}",
                self.label()
            ),
        }
    }
}

/// One GraphQL request on a new connection from the proxy, on behalf of `client_ip`; returns the
/// status and body.
async fn post_graphql(addr: SocketAddr, client_ip: &str, body: &str) -> (u16, String) {
    let headers = format!("Content-Type: application/json\r\nX-Forwarded-For: {client_ip}\r\n");
    raw_http::post(addr, "/graphql", &headers, body).await
}

/// Runs one round: every client sends its request at once. Returns each request's latency and
/// the time from the start until the last answer.
async fn round(addr: SocketAddr, trial: Trial, round: usize) -> (Vec<Duration>, Duration) {
    let start = Arc::new(Barrier::new(CLIENTS + 1));
    let mut clients = Vec::with_capacity(CLIENTS);
    for client in 0..CLIENTS {
        let start = start.clone();
        let body = trial.request(client, round).to_string();
        let ip = format!("10.{}.0.{}", trial.address_block(), client + 1);
        clients.push(tokio::spawn(async move {
            start.wait().await;
            let started = Instant::now();
            let (status, text) = post_graphql(addr, &ip, &body).await;
            let took = started.elapsed();
            trial.check(status, &text);
            took
        }));
    }
    start.wait().await;
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(CLIENTS);
    for client in clients {
        latencies.push(client.await.unwrap());
    }
    (latencies, started.elapsed())
}

/// The measured rounds' latencies, sorted, and their total wall time.
struct Figures {
    sorted: Vec<Duration>,
    wall: Duration,
}

impl Figures {
    /// The nearest-rank `q` quantile.
    fn quantile(&self, q: f64) -> Duration {
        let rank = (q * self.sorted.len() as f64).ceil() as usize;
        self.sorted[rank.clamp(1, self.sorted.len()) - 1]
    }

    fn line(&self, label: &str) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "  {label:<38} median {:>7.1} ms, p99 {:>7.1} ms, max {:>7.1} ms, {:>6.1} attempts/s",
            ms(self.quantile(0.5)),
            ms(self.quantile(0.99)),
            ms(self.sorted[self.sorted.len() - 1]),
            self.sorted.len() as f64 / self.wall.as_secs_f64()
        )
    }
}

/// Runs `trials` in alternating rounds, so that a change in the machine's load during the run
/// weighs on each alike; returns each trial's figures, in order.
async fn trials<const N: usize>(addr: SocketAddr, trials: [Trial; N]) -> [Figures; N] {
    let mut figures = trials.map(|_| Figures {
        sorted: Vec::with_capacity(CLIENTS * ROUNDS),
        wall: Duration::ZERO,
    });
    for n in 0..WARM_UP_ROUNDS + ROUNDS {
        for (trial, figures) in trials.iter().zip(figures.iter_mut()) {
            let (latencies, took) = round(addr, *trial, n).await;
            if n >= WARM_UP_ROUNDS {
                figures.sorted.extend(latencies);
                figures.wall += took;
            }
        }
    }
    for figures in &mut figures {
        figures.sorted.sort();
    }
    figures
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
        (
            "COPYTRADE_TRUSTED_PROXIES".to_owned(),
            "127.0.0.1".to_owned(),
        ),
        ("COPYTRADE_REGISTER_LIMIT".to_owned(), "1000000".to_owned()),
        ("COPYTRADE_API_RATE".to_owned(), "100000".to_owned()),
        ("COPYTRADE_API_BURST".to_owned(), "1000000".to_owned()),
    ];
    if let Some(url) = database_url {
        vars.push(("COPYTRADE_DATABASE_URL".to_owned(), url));
    }
    let lookup = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let config = Config::from_lookup(&lookup).unwrap();
    let app = App::prepare(config, &lookup, Clock::system())
        .await
        .unwrap();
    let listener = app.bind().await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));

    println!(
        "{label}, {CLIENTS} concurrent attempts, {ROUNDS} rounds after {WARM_UP_ROUNDS} warm-up:"
    );
    // Sign-ups first: their first round makes the accounts the logins use.
    let [sign_up] = trials(addr, [Trial::SignUp]).await;
    println!("{}", sign_up.line(Trial::SignUp.label()));
    let [right] = trials(addr, [Trial::RightPassword]).await;
    println!("{}", right.line(Trial::RightPassword.label()));
    // The two failures should cost the same: measured in turns, under the same conditions.
    let [wrong, unknown] = trials(addr, [Trial::WrongPassword, Trial::UnknownEmail]).await;
    println!("{}", wrong.line(Trial::WrongPassword.label()));
    println!("{}", unknown.line(Trial::UnknownEmail.label()));
    let (wrong_median, unknown_median) = (wrong.quantile(0.5), unknown.quantile(0.5));
    let difference = wrong_median.as_secs_f64() - unknown_median.as_secs_f64();
    println!(
        "  {:<38} {:+.1} ms ({:+.1}% of the unknown email's median)",
        "wrong password minus unknown email",
        difference * 1000.0,
        100.0 * difference / unknown_median.as_secs_f64()
    );
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::main]
async fn main() {
    // Read as backend/src/auth/password.rs reads it: one hash per core, at least two.
    let cores = std::thread::available_parallelism().map(usize::from);
    let bound = cores.as_ref().map_or(2, |n| *n).max(2);
    match cores {
        Ok(cores) => println!("machine: {cores} cores; argon2 hashes at once (bound): {bound}"),
        Err(err) => {
            println!("machine: core count unknown ({err}); argon2 hashes at once (bound): {bound}")
        }
    }
    measure("SQLite", None).await;
    support::on_scratch_postgres("auth", |url| measure("PostgreSQL", Some(url))).await;
}
