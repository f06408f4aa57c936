//! Test helpers: a [`TestApp`] running the real router on a real database, and raw HTTP for
//! tests that talk to a real socket.

pub mod brokersim;
pub mod http;
pub mod live;
pub mod mailsink;
pub mod postgres;
pub mod sim_bybit;
pub mod trading;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use copytrade::app::App;
use copytrade::clock::Clock;
use copytrade::config::Config;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tower::ServiceExt;

pub use postgres::PgTestDb;

/// Builds a workspace binary with cargo (quick when fresh, so a changed one is never tested
/// stale) and returns its path beside the test binary's profile folder.
pub fn workspace_binary(package: &str) -> std::path::PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .args(["build", "--quiet", "-p", package, "--bin", package])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap_or_else(|err| panic!("cargo runs to build {package}: {err}"));
    assert!(status.success(), "building {package} failed");
    // The test binary lives in <target>/<profile>/deps; the others one level up.
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary sits in <target>/<profile>/deps")
        .join(package)
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Turns `async fn name(backend: Backend)` into two tests, `name::sqlite` and `name::postgres`.
/// PostgreSQL being unreachable fails the test; it never skips.
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::support::Backend::Postgres).await;
            }
        }
    )+};
}
pub(crate) use on_both_databases;

/// The index.html tests serve: Trunk's shape, with an inline bootstrap script.
pub const TEST_INDEX_HTML: &str = "<!doctype html><html><head><link rel=\"modulepreload\" \
href=\"/frontend-0123456789abcdef.js\"></head><body><script type=\"module\">import init from \
'/frontend-0123456789abcdef.js'; await init();</script></body></html>";

/// The real application on a fresh database of its own, with a temporary data and web-app folder.
pub struct TestApp {
    pub app: App,
    pub router: Router,
    pub dir: TempDir,
    pub clock: TestClock,
    /// The settings it started with, for a restart.
    env: Vec<(String, String)>,
    // Dropped last: the database goes away after the pools that use it.
    pub pg: Option<PgTestDb>,
}

/// An answer read in full.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        Self::with_env(backend, &[]).await
    }

    /// Starts the app with extra `COPYTRADE_*` settings.
    pub async fn with_env(backend: Backend, extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let dist = dir.path().join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("index.html"), TEST_INDEX_HTML).unwrap();
        std::fs::write(
            dist.join("frontend-0123456789abcdef.js"),
            "export default 1;",
        )
        .unwrap();
        std::fs::write(
            dist.join("favicon.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        )
        .unwrap();
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgTestDb::create().await),
        };
        let mut vars: Vec<(String, String)> = vec![
            (
                "COPYTRADE_DATA_DIR".into(),
                dir.path().join("data").display().to_string(),
            ),
            ("COPYTRADE_STATIC_DIR".into(), dist.display().to_string()),
            ("COPYTRADE_LISTEN".into(), "127.0.0.1:0".into()),
            ("COPYTRADE_SHUTDOWN_GRACE".into(), "5".into()),
        ];
        if let Some(pg) = &pg {
            vars.push(("COPYTRADE_DATABASE_URL".into(), pg.url.clone()));
        }
        // No test ever reaches a real venue: unless a test points a venue at brokersim, it
        // points at a closed loopback port (connections are refused at once).
        for venue in ["TRADOVATE", "TOPSTEPX", "BINANCE_USDM", "BYBIT", "OKX"] {
            vars.push((
                format!("COPYTRADE_ENDPOINT_{venue}"),
                "http://127.0.0.1:9".into(),
            ));
            vars.push((
                format!("COPYTRADE_ENDPOINT_{venue}_WS"),
                "ws://127.0.0.1:9".into(),
            ));
        }
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Self::start(dir, pg, vars, TestClock::default()).await
    }

    async fn start(
        dir: TempDir,
        pg: Option<PgTestDb>,
        env: Vec<(String, String)>,
        clock: TestClock,
    ) -> Self {
        let vars = env.clone();
        let lookup = move |name: &str| {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let config = Config::from_lookup(&lookup).unwrap();
        let app = App::prepare(config, &lookup, clock.clock()).await.unwrap();
        let router = app.router();
        let app = Self {
            app,
            router,
            dir,
            clock,
            env,
            pg,
        };
        if app.app.state.mail.is_enabled() {
            app.start_mail_sender();
        }
        app
    }

    /// Starts the app sending mail to `sink` (plus `extra` settings); its mail sender runs as
    /// `serve` runs it, and stops with the app.
    pub async fn with_mail(
        backend: Backend,
        sink: &mailsink::MailSink,
        extra: &[(&str, &str)],
    ) -> Self {
        let mut vars = sink.env();
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Self::with_env(backend, &vars).await
    }

    /// Runs the mail sender in the background, as the server does (when mail is on).
    fn start_mail_sender(&self) {
        tokio::spawn(
            self.app
                .state
                .mail
                .clone()
                .run_sender(self.app.state.shutdown.clone()),
        );
    }

    /// The settings it started with (to run the `copytrade` binary on the same database).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Stops this server as a crash would (nothing finishes) and starts a new one on the same
    /// database and data folder.
    pub async fn restart(self) -> Self {
        let Self {
            app,
            router,
            dir,
            clock,
            env,
            pg,
        } = self;
        drop(router);
        drop(app);
        Self::start(dir, pg, env, clock).await
    }

    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        send(&self.router, request).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// POSTs a GraphQL operation the way clients do and returns the whole JSON answer.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_with(query, variables, &Caller::default())
            .await
            .json()
    }

    /// POSTs a GraphQL operation as `caller` (token, client IP, cookie) and returns the answer.
    pub async fn gql_with(&self, query: &str, variables: Value, caller: &Caller) -> TestResponse {
        gql_on(&self.router, query, variables, caller).await
    }

    /// Registers a trader (password "a long trading passphrase") and returns them logged in.
    pub async fn register_trader(&self, email: &str) -> Caller {
        let answer = self
            .gql(
                "mutation($e: String!, $p: String!) { register(email: $e, password: $p) { token } }",
                json!({ "e": email, "p": "a long trading passphrase" }),
            )
            .await;
        let token = answer["data"]["register"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("registration failed: {answer}"));
        Caller::with_token(token)
    }

    /// Serves on a real loopback socket until the returned handle stops it.
    pub async fn serve(self) -> RunningServer {
        let listener = self.app.bind().await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let signal = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(self.app.serve(listener, signal));
        RunningServer {
            router: self.router.clone(),
            addr,
            stop: Some(stop),
            task,
            _dir: self.dir,
            _pg: self.pg,
        }
    }
}

/// Who sends a request.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub token: Option<String>,
    pub cookie: Option<String>,
    pub ip: Option<IpAddr>,
    /// An `X-Forwarded-For` header, as a reverse proxy (or a spoofer) sends it.
    pub forwarded_for: Option<String>,
    /// An `X-Forwarded-Proto` header.
    pub forwarded_proto: Option<String>,
}

impl Caller {
    pub fn with_token(token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..Self::default()
        }
    }

    pub fn from_ip(ip: [u8; 4]) -> Self {
        Self {
            ip: Some(IpAddr::from(ip)),
            ..Self::default()
        }
    }
}

/// The system time plus an offset that tests move forward.
#[derive(Clone, Default)]
pub struct TestClock(Arc<Mutex<chrono::Duration>>);

impl TestClock {
    pub fn clock(&self) -> Clock {
        let offset = Arc::clone(&self.0);
        Clock::from_fn(move || chrono::Utc::now() + *offset.lock().unwrap())
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

/// A server on a real socket.
pub struct RunningServer {
    /// The same application, for requests in-process beside the socket.
    pub router: Router,
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<Result<(), copytrade::app::StartupError>>,
    _dir: TempDir,
    _pg: Option<PgTestDb>,
}

impl RunningServer {
    /// Sends the shutdown signal (as SIGTERM would).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn send(router: &Router, request: Request<Body>) -> TestResponse {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes().to_vec();
    TestResponse {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// POSTs a GraphQL operation as `caller` (token, client IP, cookie) and returns the answer.
pub async fn gql_on(
    router: &Router,
    query: &str,
    variables: Value,
    caller: &Caller,
) -> TestResponse {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = &caller.token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(cookie) = &caller.cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(forwarded) = &caller.forwarded_for {
        request = request.header("x-forwarded-for", forwarded);
    }
    if let Some(proto) = &caller.forwarded_proto {
        request = request.header("x-forwarded-proto", proto);
    }
    let mut request = request.body(Body::from(body)).unwrap();
    let peer = SocketAddr::new(caller.ip.unwrap_or(IpAddr::from([127, 0, 0, 1])), 40000);
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = send(router, request).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response
}

/// Whether `needle` appears anywhere in the app's database: the SQLite file and its WAL
/// byte by byte, or a full `pg_dump` of the PostgreSQL database.
pub async fn database_contains(app: &TestApp, needle: &str) -> bool {
    match &app.pg {
        None => {
            let data = app.app.config.data_dir.clone();
            std::fs::read_dir(&data)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| {
                    path.file_name()
                        .is_some_and(|name| name.to_string_lossy().starts_with("copytrade.db"))
                })
                .any(|path| {
                    let bytes = std::fs::read(&path).unwrap();
                    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
                })
        }
        Some(pg) => {
            let dump = std::process::Command::new("pg_dump")
                .arg("--data-only")
                .arg(&pg.url)
                .output()
                .expect("pg_dump runs");
            assert!(
                dump.status.success(),
                "{}",
                String::from_utf8_lossy(&dump.stderr)
            );
            let text = String::from_utf8_lossy(&dump.stdout);
            assert!(
                text.contains("COPY public.users"),
                "the dump is empty: {text}"
            );
            text.contains(needle)
        }
    }
}
