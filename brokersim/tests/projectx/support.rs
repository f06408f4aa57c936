//! What the ProjectX tests share: a simulator on a loopback port, gateway calls over hyper, a
//! user with an account, and a SignalR hub client that waits for messages (never sleeps).

use std::collections::VecDeque;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const RECORD_SEPARATOR: char = '\u{1e}';

pub use crate::common::{Reply, Sim, WAIT};

impl Sim {
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Reply {
        self.request(method, path, token, body).await
    }

    /// A gateway call: `POST /projectx/api/<path>` with a JSON body.
    pub async fn api(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        let body = body.to_string();
        self.call("POST", &format!("/projectx/api/{path}"), token, Some(&body))
            .await
    }

    /// A gateway call expected to answer HTTP 200; its JSON body.
    pub async fn ok(&self, path: &str, token: &str, body: Value) -> Value {
        let reply = self.api(path, Some(token), body).await;
        assert_eq!(reply.status, 200, "{path} answered {:?}", reply.body);
        reply.body
    }

    /// A control call (`POST /_sim/projectx/<path>`) expected to succeed.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let body = body.to_string();
        let reply = self
            .call("POST", &format!("/_sim/projectx/{path}"), None, Some(&body))
            .await;
        assert_eq!(reply.status, 200, "control {path}: {:?}", reply.body);
        reply.body
    }

    pub async fn login(&self, user_name: &str, api_key: &str) -> Value {
        self.api(
            "Auth/loginKey",
            None,
            json!({ "userName": user_name, "apiKey": api_key }),
        )
        .await
        .body
    }

    /// Creates `user_name` with one account and logs in: (token, account id).
    pub async fn trader(&self, user_name: &str) -> (String, i64) {
        let created = self
            .control(
                "users",
                json!({ "userName": user_name, "apiKey": "key-1", "accounts": [{ "name": "50K-1" }] }),
            )
            .await;
        let account_id = created["accounts"][0]["id"]
            .as_i64()
            .expect("an account id");
        let login = self.login(user_name, "key-1").await;
        let token = login["token"].as_str().expect("a token").to_owned();
        (token, account_id)
    }

    /// The front-month contract id for `root`, through `Contract/search` as a client must.
    pub async fn front(&self, token: &str, root: &str) -> String {
        let found = self
            .ok(
                "Contract/search",
                token,
                json!({ "searchText": root, "live": false }),
            )
            .await;
        found["contracts"]
            .as_array()
            .expect("contracts")
            .iter()
            .find(|c| {
                c["activeContract"] == true
                    && c["name"].as_str().is_some_and(|n| n.starts_with(root))
            })
            .and_then(|c| c["id"].as_str())
            .expect("an active contract")
            .to_owned()
    }

    pub fn hub_url(&self, token: &str) -> String {
        format!("ws://{}/projectx/hubs/user?access_token={token}", self.addr)
    }
}

/// A SignalR JSON-protocol client of the user hub.
pub struct Hub {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    received: VecDeque<Value>,
}

impl Hub {
    /// Connects and completes the handshake.
    pub async fn connect(sim: &Sim, token: &str) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(sim.hub_url(token))
            .await
            .expect("the hub upgrades");
        let mut hub = Self {
            socket,
            received: VecDeque::new(),
        };
        hub.send(json!({ "protocol": "json", "version": 1 })).await;
        assert_eq!(hub.next().await, json!({}), "the handshake answer");
        hub
    }

    pub async fn send(&mut self, message: Value) {
        let text = format!("{message}{RECORD_SEPARATOR}");
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("a frame sent");
    }

    /// The next message, or `None` once the server closed the socket.
    pub async fn try_next(&mut self) -> Option<Value> {
        loop {
            if let Some(message) = self.received.pop_front() {
                return Some(message);
            }
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a message in time");
            let text = match frame {
                Some(Ok(Message::Text(text))) => text.to_string(),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            };
            assert!(
                text.ends_with(RECORD_SEPARATOR),
                "unterminated message {text:?}"
            );
            for part in text.split(RECORD_SEPARATOR).filter(|p| !p.is_empty()) {
                self.received
                    .push_back(serde_json::from_str(part).expect("a JSON message"));
            }
        }
    }

    pub async fn next(&mut self) -> Value {
        self.try_next().await.expect("the hub stays open")
    }

    /// The next message `wanted` accepts; others (pings, other events) are skipped.
    pub async fn next_where(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self.next().await;
            if wanted(&message) {
                return message;
            }
        }
    }

    /// Invokes a hub method with an id; answers its completion.
    pub async fn invoke(&mut self, target: &str, arguments: Value, id: &str) -> Value {
        self.send(
            json!({ "type": 1, "target": target, "arguments": arguments, "invocationId": id }),
        )
        .await;
        self.next_where(|m| m["type"] == 3 && m["invocationId"] == id)
            .await
    }
}
