//! What the Tradovate tests share: a simulator on a loopback port, HTTP calls over hyper, a
//! user with accounts, and a socket client that waits for frames (never sleeps).
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

#[path = "../common/mod.rs"]
mod common;

pub use common::{Sim, WAIT};

impl Sim {
    /// One request; answers the status and the body (JSON, `Null` when empty, else a string).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        let reply = self.request(method, path, token, body).await;
        (reply.status, reply.body)
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call("GET", &format!("/tradovate/v1/{path}"), Some(token), None)
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let body = body.to_string();
        self.call(
            "POST",
            &format!("/tradovate/v1/{path}"),
            Some(token),
            Some(&body),
        )
        .await
    }

    /// A control call; it must succeed.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let body = body.to_string();
        let (status, answer) = self
            .call(
                "POST",
                &format!("/_sim/tradovate/{path}"),
                None,
                Some(&body),
            )
            .await;
        assert_eq!(status, 200, "control {path}: {answer}");
        answer
    }

    pub async fn control_get(&self, path: &str) -> Value {
        let (status, answer) = self
            .call("GET", &format!("/_sim/tradovate/{path}"), None, None)
            .await;
        assert_eq!(status, 200, "control {path}: {answer}");
        answer
    }

    /// Creates `name` (password `pw`, app cid 8 / sec `secret`) with one account; answers
    /// (user id, account id).
    pub async fn user(&self, name: &str, account: &str) -> (i64, i64) {
        let created = self
            .control(
                "users",
                json!({ "name": name, "password": "pw", "cid": 8, "sec": "secret",
                        "accounts": [{ "name": account }] }),
            )
            .await;
        let user = created["userId"].as_i64().expect("a user id");
        let account = created["accounts"][0]["id"]
            .as_i64()
            .expect("an account id");
        (user, account)
    }

    pub async fn login(&self, name: &str) -> String {
        let body = json!({ "name": name, "password": "pw", "appId": "tests", "appVersion": "1",
                           "deviceId": "device-1", "cid": 8, "sec": "secret" })
        .to_string();
        let (status, answer) = self
            .call(
                "POST",
                "/tradovate/v1/auth/accesstokenrequest",
                None,
                Some(&body),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        answer["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("a token in {answer}"))
            .to_owned()
    }

    pub async fn socket(&self) -> Socket {
        let url = format!("ws://{}/tradovate/v1/websocket", self.addr);
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("the socket opens");
        let mut socket = Socket { stream };
        assert_eq!(socket.next_text().await.as_deref(), Some("o"));
        socket
    }
}

pub struct Socket {
    stream: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>,
}

impl Socket {
    pub async fn send(&mut self, text: &str) {
        self.stream
            .send(Message::Text(text.to_owned().into()))
            .await
            .expect("the frame is sent");
    }

    /// The next text frame, `None` once closed.
    pub async fn next_text(&mut self) -> Option<String> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a frame within the wait");
            match frame {
                Some(Ok(Message::Text(text))) => return Some(text.as_str().to_owned()),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    /// Skips heartbeats and other messages until an `a[…]` message satisfies `wanted`.
    pub async fn wait_for(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let text = self.next_text().await.expect("the socket stays open");
            if let Some(array) = text.strip_prefix('a') {
                let messages: Vec<Value> = serde_json::from_str(array).expect("a JSON array");
                if let Some(found) = messages.into_iter().find(|m| wanted(m)) {
                    return found;
                }
            }
        }
    }

    /// The answer to request `id`.
    pub async fn answer(&mut self, id: i64) -> Value {
        self.wait_for(|message| message["i"] == id).await
    }

    /// Skips frames until the `c[…]` close frame; answers it.
    pub async fn close_frame(&mut self) -> String {
        loop {
            let text = self
                .next_text()
                .await
                .expect("a close frame before the end");
            if text.starts_with('c') {
                return text;
            }
        }
    }

    pub async fn authorize(&mut self, token: &str) {
        self.send(&format!("authorize\n0\n\n{token}")).await;
        let answer = self.answer(0).await;
        assert_eq!(answer["s"], 200, "{answer}");
    }
}

/// A Buy of `qty` ESZ-front at market with the required flags.
pub fn market_buy(account: i64, symbol: &str, qty: i64) -> Value {
    json!({ "accountId": account, "action": "Buy", "symbol": symbol, "orderQty": qty,
            "orderType": "Market", "isAutomated": true })
}

/// The front month's name for a root, from the simulator's own contract library.
pub async fn front(sim: &Sim, token: &str, root: &str) -> (i64, String) {
    let (status, found) = sim
        .get(&format!("contract/suggest?t={root}&l=1"), token)
        .await;
    assert_eq!(status, 200, "{found}");
    let contract = &found[0];
    (
        contract["id"].as_i64().expect("a contract id"),
        contract["name"].as_str().expect("a name").to_owned(),
    )
}
