//! What every simulated venue shares: the journal of requests received, injected faults, added
//! latency, and the gate that drops and holds streams. A venue keeps one [`Common`], wraps its
//! router in [`Common::layer`], and merges [`Common::control_routes`] into its control router.
//!
//! Faults are one-shot (or `count`-shot) and matched by path below the venue's prefix,
//! case-insensitively, so a test says exactly which call fails and how:
//! - `status`: answer with this HTTP status (and body, headers) without acting;
//! - `venue_error`: answer with the venue's own error shape (the venue renders it) without acting;
//! - `timeout`: do not act; hold the request, then break the connection with no answer;
//! - `drop_answer`: act (the order exists), then break the connection before the answer.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// The journal keeps at most this many requests (the oldest go first), so a benchmark's run
/// does not grow the simulator without bound.
const JOURNAL_CAP: usize = 200_000;
/// Largest request body the simulator reads.
const MAX_BODY: usize = 1024 * 1024;

/// How a venue answers an injected `venue_error` on `path`: its own error shape.
pub type VenueErrorRenderer = fn(path: &str, code: Option<i64>, message: &str) -> Response;

/// One request (or stream frame) the venue received.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub seq: u64,
    /// RFC 3339 with milliseconds.
    pub at: String,
    /// The HTTP method, or `WS` for a frame a client sent on a stream.
    pub method: String,
    /// Below the venue's prefix, e.g. `/v1/order/placeorder`.
    pub path: String,
    pub query: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Fault {
    /// The path below the venue's prefix (`/v1/order/placeorder`), any case; `*` matches all.
    pub path: String,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many matching requests it applies to.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    Status {
        status: u16,
        #[serde(default)]
        body: Option<Value>,
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
    VenueError {
        #[serde(default)]
        code: Option<i64>,
        message: String,
    },
    Timeout {
        /// How long the request is held before the connection breaks (default 15 s).
        #[serde(default)]
        ms: Option<u64>,
    },
    DropAnswer,
}

/// Drops and holds a venue's streams.
pub struct StreamGate {
    drops: broadcast::Sender<()>,
    held: AtomicBool,
    connected: AtomicUsize,
    opened: AtomicU64,
}

/// Counts one open stream while it lives.
pub struct Connected<'a>(&'a StreamGate);

impl Drop for Connected<'_> {
    fn drop(&mut self) {
        self.0.connected.fetch_sub(1, Ordering::SeqCst);
    }
}

impl StreamGate {
    fn new() -> Self {
        Self {
            drops: broadcast::channel(16).0,
            held: AtomicBool::new(false),
            connected: AtomicUsize::new(0),
            opened: AtomicU64::new(0),
        }
    }

    /// Whether new stream connections are refused now (after a drop with `hold`).
    pub fn is_held(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }

    /// Fires when a test drops the streams: each stream task selects on it and closes.
    pub fn drops(&self) -> broadcast::Receiver<()> {
        self.drops.subscribe()
    }

    /// Call when a stream is open; keep the guard for its lifetime.
    pub fn connected(&self) -> Connected<'_> {
        self.connected.fetch_add(1, Ordering::SeqCst);
        self.opened.fetch_add(1, Ordering::SeqCst);
        Connected(self)
    }

    fn drop_all(&self, hold: bool) {
        self.held.store(hold, Ordering::SeqCst);
        let _ = self.drops.send(());
    }
}

/// A venue's journal, faults, latency and stream gate.
pub struct Common {
    venue: &'static str,
    journal: Mutex<VecDeque<Recorded>>,
    seq: AtomicU64,
    faults: Mutex<Vec<Fault>>,
    latency_ms: AtomicU64,
    pub streams: StreamGate,
    render: VenueErrorRenderer,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An answer whose body breaks after the headers: the client sees the connection fail with no
/// complete answer, as when a venue's reply is lost.
fn broken_answer() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, io::Error>(io::Error::other("brokersim dropped the answer"))
    });
    Response::new(Body::from_stream(stream))
}

impl Common {
    pub fn new(venue: &'static str, render: VenueErrorRenderer) -> Arc<Self> {
        Arc::new(Self {
            venue,
            journal: Mutex::new(VecDeque::new()),
            seq: AtomicU64::new(0),
            faults: Mutex::new(Vec::new()),
            latency_ms: AtomicU64::new(0),
            streams: StreamGate::new(),
            render,
        })
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }

    /// Waits the venue's configured latency (streams call this before answering a frame).
    pub async fn delay(&self) {
        let latency = self.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }

    pub fn record(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: BTreeMap<String, String>,
        body: &str,
    ) {
        let entry = Recorded {
            seq: self.seq.fetch_add(1, Ordering::SeqCst) + 1,
            at: now_text(),
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.to_owned(),
        };
        let mut journal = lock(&self.journal);
        if journal.len() >= JOURNAL_CAP {
            journal.pop_front();
        }
        journal.push_back(entry);
    }

    /// Records a frame a client sent on a stream.
    pub fn record_frame(&self, path: &str, text: &str) {
        self.record("WS", path, "", BTreeMap::new(), text);
    }

    /// The requests received so far, oldest first.
    pub fn journal(&self) -> Vec<Recorded> {
        lock(&self.journal).iter().cloned().collect()
    }

    /// Takes the first fault that matches `path`, if any.
    pub fn take_fault(&self, path: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        let index = faults
            .iter()
            .position(|f| f.path == "*" || f.path.eq_ignore_ascii_case(path))?;
        let kind = faults[index].kind.clone();
        faults[index].count = faults[index].count.saturating_sub(1);
        if faults[index].count == 0 {
            faults.remove(index);
        }
        Some(kind)
    }

    /// The middleware every venue route goes through: record, wait the latency, apply a fault.
    pub fn layer(self: &Arc<Self>, router: Router) -> Router {
        router.layer(axum::middleware::from_fn_with_state(Arc::clone(self), gate))
    }

    /// `/requests`, `/latency`, `/faults` and `/streams`, for the venue's control router.
    pub fn control_routes(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/requests", get(requests).delete(clear_requests))
            .route("/latency", post(set_latency))
            .route("/faults", post(add_faults).delete(clear_faults))
            .route("/streams", get(streams))
            .route("/streams/drop", post(drop_streams))
            .route("/streams/allow", post(allow_streams))
            .with_state(Arc::clone(self))
    }
}

async fn gate(State(common): State<Arc<Common>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
    };
    // Nested under the venue's prefix, the URI here is already below it.
    let path = parts.uri.path().to_owned();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    common.record(
        parts.method.as_str(),
        &path,
        parts.uri.query().unwrap_or_default(),
        headers,
        &String::from_utf8_lossy(&bytes),
    );
    common.delay().await;
    let fault = common.take_fault(&path);
    let request = Request::from_parts(parts, Body::from(bytes));
    match fault {
        None => next.run(request).await,
        Some(FaultKind::Status {
            status,
            body,
            headers,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = match body {
                Some(body) => (status, Json(body)).into_response(),
                None => status.into_response(),
            };
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (
                    HeaderName::try_from(name.as_str()),
                    HeaderValue::try_from(value.as_str()),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        Some(FaultKind::VenueError { code, message }) => (common.render)(&path, code, &message),
        Some(FaultKind::Timeout { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms.unwrap_or(15_000))).await;
            broken_answer()
        }
        Some(FaultKind::DropAnswer) => {
            // The venue acts; only its answer is lost.
            let _acted = next.run(request).await;
            broken_answer()
        }
    }
}

#[derive(Deserialize)]
struct RequestsQuery {
    /// Only requests whose path contains this, any case.
    path: Option<String>,
}

async fn requests(
    State(common): State<Arc<Common>>,
    Query(query): Query<RequestsQuery>,
) -> Json<Value> {
    let wanted = query.path.map(|p| p.to_ascii_lowercase());
    let list: Vec<Recorded> = common
        .journal()
        .into_iter()
        .filter(|r| {
            wanted
                .as_deref()
                .is_none_or(|w| r.path.to_ascii_lowercase().contains(w))
        })
        .collect();
    Json(json!({ "venue": common.venue, "requests": list }))
}

async fn clear_requests(State(common): State<Arc<Common>>) -> Json<Value> {
    lock(&common.journal).clear();
    Json(json!({ "ok": true }))
}

#[derive(Deserialize)]
struct LatencyBody {
    ms: u64,
}

async fn set_latency(
    State(common): State<Arc<Common>>,
    Json(body): Json<LatencyBody>,
) -> Json<Value> {
    common.latency_ms.store(body.ms, Ordering::Relaxed);
    Json(json!({ "ok": true, "ms": body.ms }))
}

/// One fault or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum Faults {
    One(Fault),
    Many(Vec<Fault>),
}

async fn add_faults(State(common): State<Arc<Common>>, Json(body): Json<Faults>) -> Json<Value> {
    let added = match body {
        Faults::One(fault) => vec![fault],
        Faults::Many(faults) => faults,
    };
    let mut faults = lock(&common.faults);
    faults.extend(added);
    Json(json!({ "ok": true, "pending": faults.len() }))
}

async fn clear_faults(State(common): State<Arc<Common>>) -> Json<Value> {
    lock(&common.faults).clear();
    Json(json!({ "ok": true }))
}

async fn streams(State(common): State<Arc<Common>>) -> Json<Value> {
    let gate = &common.streams;
    Json(json!({
        "connected": gate.connected.load(Ordering::SeqCst),
        "opened": gate.opened.load(Ordering::SeqCst),
        "held": gate.is_held(),
    }))
}

#[derive(Deserialize, Default)]
struct DropBody {
    /// Refuse new stream connections until `/streams/allow`.
    #[serde(default)]
    hold: bool,
}

async fn drop_streams(
    State(common): State<Arc<Common>>,
    body: Option<Json<DropBody>>,
) -> Json<Value> {
    let hold = body.map(|Json(b)| b.hold).unwrap_or_default();
    common.streams.drop_all(hold);
    Json(json!({ "ok": true, "held": hold }))
}

async fn allow_streams(State(common): State<Arc<Common>>) -> Json<Value> {
    common.streams.held.store(false, Ordering::SeqCst);
    Json(json!({ "ok": true }))
}
