//! Drives the Bybit simulator over real HTTP and WebSocket connections: a fresh
//! `brokersim::app()` on a loopback port, requests signed the way Bybit documents (written
//! apart from the simulator's verifier, so one mistake cannot hide in both), the control API.

use std::fmt::Write as _;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

pub fn sign(secret: &str, text: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[path = "../common/mod.rs"]
mod common;

pub use common::Sim;

/// One API key the test made, to sign with.
#[derive(Clone)]
pub struct ApiKey {
    pub key: String,
    pub secret: String,
    pub uid: u64,
}

impl Sim {
    /// One request over a fresh connection: status and body.
    pub async fn http(
        &self,
        method: &str,
        target: &str,
        headers: &str,
        body: &str,
    ) -> (u16, String) {
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        let mut stream = TcpStream::connect(self.addr).await.expect("connects");
        stream.write_all(head.as_bytes()).await.expect("sends");
        let mut raw = String::new();
        stream
            .read_to_string(&mut raw)
            .await
            .expect("reads the answer");
        let status = raw
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {raw}"));
        let body = raw.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        (status, body.to_owned())
    }

    /// A control call below `/_sim/bybit`: status and JSON answer.
    pub async fn control(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let (status, text) = self
            .http(
                method,
                &format!("/_sim/bybit{path}"),
                "Content-Type: application/json\r\n",
                &body,
            )
            .await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A control call that must succeed.
    pub async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.control(method, path, body).await;
        assert_eq!(status, 200, "{method} {path}: {answer}");
        answer
    }

    pub async fn key(&self, key: &str, secret: &str) -> ApiKey {
        let made = self
            .ok(
                "POST",
                "/users",
                Some(json!({ "apiKey": key, "apiSecret": secret })),
            )
            .await;
        ApiKey {
            key: key.to_owned(),
            secret: secret.to_owned(),
            uid: made["userId"].as_u64().expect("a UID"),
        }
    }

    /// A request signed with `key` at time `ts` (the secret may be wrong on purpose): the
    /// envelope, which Bybit answers with HTTP 200.
    pub async fn signed_as(
        &self,
        method: &str,
        target: &str,
        body: &str,
        key: &str,
        secret: &str,
        ts: i64,
    ) -> Value {
        let payload = if method == "GET" {
            target.split_once('?').map_or("", |(_, q)| q)
        } else {
            body
        };
        let signature = sign(secret, &format!("{ts}{key}5000{payload}"));
        let headers = format!(
            "Content-Type: application/json\r\nX-BAPI-API-KEY: {key}\r\nX-BAPI-TIMESTAMP: {ts}\r\n\
             X-BAPI-SIGN: {signature}\r\nX-BAPI-RECV-WINDOW: 5000\r\n"
        );
        let (status, text) = self
            .http(method, &format!("/bybit{target}"), &headers, body)
            .await;
        assert_eq!(status, 200, "{method} {target}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    }

    pub async fn get(&self, key: &ApiKey, target: &str) -> Value {
        self.signed_as("GET", target, "", &key.key, &key.secret, now())
            .await
    }

    pub async fn post(&self, key: &ApiKey, path: &str, body: Value) -> Value {
        self.signed_as(
            "POST",
            path,
            &body.to_string(),
            &key.key,
            &key.secret,
            now(),
        )
        .await
    }

    pub async fn set_price(&self, symbol: &str, price: f64) {
        self.ok(
            "POST",
            "/prices",
            Some(json!({ "symbol": symbol, "price": price })),
        )
        .await;
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/bybit/v5/private", self.addr)
    }

    /// A private stream logged in as `key` and subscribed to `topics`.
    pub async fn stream(&self, key: &ApiKey, topics: &[&str]) -> Socket {
        let (mut ws, _) = tokio_tungstenite::connect_async(self.ws_url())
            .await
            .expect("the private stream opens");
        let expires = now() + 10_000;
        let signature = sign(&key.secret, &format!("GET/realtime{expires}"));
        let auth = json!({"req_id": "a", "op": "auth", "args": [key.key, expires, signature]});
        let subscribe = json!({"req_id": "s", "op": "subscribe", "args": topics});
        for request in [auth, subscribe] {
            ws.send(Message::text(request.to_string()))
                .await
                .expect("sends");
            let reply = next_json(&mut ws).await;
            assert_eq!(reply["success"], true, "{reply}");
        }
        ws
    }
}

/// The next text frame as JSON; fails after 5 s.
pub async fn next_json(ws: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .expect("the stream is open")
            .expect("a readable frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("a JSON frame");
        }
    }
}

/// `"topic status"` of the next push, e.g. `"order New"` or `"execution "`.
pub async fn next_push(ws: &mut Socket) -> (String, Value) {
    let frame = next_json(ws).await;
    let entry = frame["data"][0].clone();
    let label = format!(
        "{} {}",
        frame["topic"].as_str().unwrap_or_default(),
        entry["orderStatus"].as_str().unwrap_or_default()
    );
    (label, entry)
}
