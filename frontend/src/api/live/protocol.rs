//! The messages of the `graphql-transport-ws` protocol, as the client sends and reads them.
//!
//! Spec: `enisdenjo/graphql-ws`, `PROTOCOL.md`. Every message is a JSON text frame with a
//! `type`; operation messages carry the `id` the client chose when it subscribed. Unknown or
//! malformed messages are a protocol violation: the caller drops the socket and reconnects,
//! which is what the spec asks of a server in the same situation (close code 4400).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The WebSocket subprotocol this client speaks; the server must select it.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// What the client sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage<'a> {
    /// First message on a new socket. No payload: the session cookie sent with the upgrade
    /// tells the server who is asking (the app never holds the token itself).
    ConnectionInit {
        #[serde(skip_serializing_if = "Option::is_none")]
        payload: Option<&'a Value>,
    },
    /// Starts operation `id`; `payload` is `{query, variables, operationName}`.
    Subscribe { id: &'a str, payload: &'a Value },
    /// Stops operation `id` (the client no longer wants it).
    Complete { id: &'a str },
    /// Keep-alive probe; the server answers `pong`.
    Ping,
    /// The answer to the server's `ping`.
    Pong,
}

impl ClientMessage<'_> {
    /// The frame's text. Serialising these plain structs cannot fail; should it ever, the
    /// frame becomes a `ping`, which is harmless, rather than a panic in the socket loop.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"type":"ping"}"#.to_owned())
    }
}

/// What the server sends.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The server accepted `connection_init`; operations may start.
    ConnectionAck,
    /// One result of operation `id`: `{data, errors}` like an HTTP response.
    Next {
        id: String,
        payload: Value,
    },
    /// Operation `id` failed before producing results (a list of GraphQL errors); it is over.
    Error {
        id: String,
        payload: Value,
    },
    /// Operation `id` ended on the server's side.
    Complete {
        id: String,
    },
    Ping,
    Pong,
}

impl ServerMessage {
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_messages_have_the_spec_shape() {
        let query = json!({"query": "subscription { serverTime }", "variables": null});
        assert_eq!(
            ClientMessage::ConnectionInit { payload: None }.to_text(),
            r#"{"type":"connection_init"}"#
        );
        let subscribe: Value = serde_json::from_str(
            &ClientMessage::Subscribe {
                id: "7",
                payload: &query,
            }
            .to_text(),
        )
        .expect("valid JSON");
        assert_eq!(
            subscribe,
            json!({"type": "subscribe", "id": "7", "payload": query})
        );
        assert_eq!(
            ClientMessage::Complete { id: "7" }.to_text(),
            r#"{"type":"complete","id":"7"}"#
        );
        assert_eq!(ClientMessage::Pong.to_text(), r#"{"type":"pong"}"#);
    }

    #[test]
    fn server_messages_parse_with_and_without_payloads() {
        assert_eq!(
            ServerMessage::parse(r#"{"type":"connection_ack","payload":{"v":1}}"#),
            Some(ServerMessage::ConnectionAck)
        );
        assert_eq!(
            ServerMessage::parse(
                r#"{"id":"1","type":"next","payload":{"data":{"serverTime":"x"}}}"#
            ),
            Some(ServerMessage::Next {
                id: "1".to_owned(),
                payload: json!({"data": {"serverTime": "x"}}),
            })
        );
        assert_eq!(
            ServerMessage::parse(r#"{"type":"complete","id":"1"}"#),
            Some(ServerMessage::Complete { id: "1".to_owned() })
        );
        assert_eq!(
            ServerMessage::parse(r#"{"type":"ping"}"#),
            Some(ServerMessage::Ping)
        );
    }

    #[test]
    fn unknown_or_broken_messages_are_rejected() {
        assert_eq!(ServerMessage::parse(r#"{"type":"data","id":"1"}"#), None);
        assert_eq!(ServerMessage::parse(r#"{"type":"next"}"#), None);
        assert_eq!(ServerMessage::parse("not json"), None);
    }
}
