//! The fake's own checks: signature, timestamp and key refusals, and a market order filled and
//! pushed on the private stream.

use std::fmt::Write as _;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use super::FakeBybit;

const KEY: &str = "XXXXXXXXXX";
const SECRET: &str = "fake-bybit-test-secret";

/// Written apart from the fake's verifier, so one mistake cannot hide in both.
fn sign(secret: &str, text: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .fold(String::new(), |mut out, b| {
            write!(out, "{b:02x}").unwrap();
            out
        })
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// One signed request over a fresh connection; the envelope it answered.
async fn call(
    fake: &FakeBybit,
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
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\n\
         X-BAPI-API-KEY: {key}\r\nX-BAPI-TIMESTAMP: {ts}\r\nX-BAPI-SIGN: {signature}\r\n\
         X-BAPI-RECV-WINDOW: 5000\r\nContent-Length: {}\r\n\r\n{body}",
        fake.addr,
        body.len()
    );
    let mut stream = TcpStream::connect(fake.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap()
}

async fn get(fake: &FakeBybit, target: &str) -> Value {
    call(fake, "GET", target, "", KEY, SECRET, now()).await
}

#[tokio::test]
async fn fake_bybit_answers_a_correctly_signed_query_api() {
    let fake = FakeBybit::start(KEY, SECRET).await;
    let answer = get(&fake, "/v5/user/query-api").await;
    assert_eq!(answer["retCode"], 0, "{answer}");
    assert_eq!(answer["result"]["userID"], 5_550_001);
    assert_eq!(answer["result"]["apiKey"], KEY);
    assert_eq!(answer["result"]["permissions"]["Wallet"], json!([]));
    assert_eq!(fake.calls(), ["GET /v5/user/query-api"]);
}

#[tokio::test]
async fn fake_bybit_refuses_a_bad_signature_with_10004() {
    let fake = FakeBybit::start(KEY, SECRET).await;
    let answer = call(
        &fake,
        "GET",
        "/v5/user/query-api",
        "",
        KEY,
        "another-secret",
        now(),
    )
    .await;
    assert_eq!(answer["retCode"], 10004, "{answer}");
    let message = answer["retMsg"].as_str().unwrap();
    assert!(message.starts_with("error sign!"), "{message}");
    assert!(!message.contains(SECRET), "{message}");
}

#[tokio::test]
async fn fake_bybit_refuses_a_stale_or_future_timestamp_with_10002() {
    let fake = FakeBybit::start(KEY, SECRET).await;
    for ts in [now() - 6_000, now() + 2_000] {
        let answer = call(&fake, "GET", "/v5/user/query-api", "", KEY, SECRET, ts).await;
        assert_eq!(answer["retCode"], 10002, "{answer}");
    }
}

#[tokio::test]
async fn fake_bybit_refuses_an_unknown_key_with_10003() {
    let fake = FakeBybit::start(KEY, SECRET).await;
    let answer = call(
        &fake,
        "GET",
        "/v5/user/query-api",
        "",
        "YYYYYYYYYY",
        SECRET,
        now(),
    )
    .await;
    assert_eq!(answer["retCode"], 10003, "{answer}");
}

#[tokio::test]
async fn fake_bybit_fills_a_market_order_and_pushes_it() {
    let fake = FakeBybit::start(KEY, SECRET).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(fake.ws_url())
        .await
        .unwrap();
    let expires = now() + 10_000;
    let auth = json!({"req_id": "a", "op": "auth", "args": [KEY, expires, sign(SECRET, &format!("GET/realtime{expires}"))]});
    let subscribe = json!({"req_id": "s", "op": "subscribe", "args": ["order", "execution"]});
    let mut replies = Vec::new();
    for request in [auth, subscribe] {
        ws.send(Message::text(request.to_string())).await.unwrap();
        replies.push(next_json(&mut ws).await);
    }
    assert_eq!(replies[0]["success"], true, "{}", replies[0]);
    assert_eq!(replies[1]["success"], true, "{}", replies[1]);

    let order = r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.010","orderLinkId":"copy-1"}"#;
    let created = call(&fake, "POST", "/v5/order/create", order, KEY, SECRET, now()).await;
    assert_eq!(created["retCode"], 0, "{created}");
    let mut seen = Vec::new();
    for _ in 0..3 {
        let frame = next_json(&mut ws).await;
        let entry = &frame["data"][0];
        seen.push(format!(
            "{} {}",
            frame["topic"],
            entry["orderStatus"].as_str().unwrap_or_default()
        ));
        assert_eq!(entry["orderLinkId"], "copy-1");
    }
    assert_eq!(
        seen,
        ["\"order\" New", "\"execution\" ", "\"order\" Filled"]
    );

    let positions = get(&fake, "/v5/position/list?category=linear&symbol=BTCUSDT").await;
    assert_eq!(
        positions["result"]["list"][0]["size"], "0.01",
        "{positions}"
    );
    assert_eq!(positions["result"]["list"][0]["side"], "Buy");
    let again = call(&fake, "POST", "/v5/order/create", order, KEY, SECRET, now()).await;
    assert_eq!(again["retCode"], 110072, "{again}");
    assert_eq!(fake.order_count(), 1);
}

async fn next_json(
    ws: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>,
) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame within 5 s")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}
