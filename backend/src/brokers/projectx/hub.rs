//! SignalR's JSON hub protocol, as the ProjectX user hub speaks it over a WebSocket: every
//! message ends with the record separator 0x1E (one frame may hold several, and a message may
//! span frames); the handshake `{"protocol":"json","version":1}` is answered `{}` (or
//! `{"error":...}`); then type 1 invocations, 3 completions, 6 pings and 7 close.
//!
//! User events carry one argument: the entity itself, or `{"action":0|1|2,"data":{...}}`
//! (sources disagree; both are read).

use serde_json::{Value, json};

pub const SEPARATOR: char = '\u{1e}';

fn framed(message: &Value) -> String {
    let mut text = message.to_string();
    text.push(SEPARATOR);
    text
}

pub fn handshake() -> String {
    framed(&json!({ "protocol": "json", "version": 1 }))
}

pub fn ping() -> String {
    framed(&json!({ "type": 6 }))
}

/// A hub method call that the hub acknowledges with a completion for `id`.
pub fn invocation(id: &str, target: &str, arguments: Vec<Value>) -> String {
    framed(&json!({
        "type": 1,
        "invocationId": id,
        "target": target,
        "arguments": arguments,
    }))
}

/// The hub's WebSocket URL (`https` → `wss`, `http` → `ws`) with the token as the hub wants
/// it (`access_token`, no negotiation).
pub fn url(base: &str, token: &str) -> String {
    let base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    };
    let joiner = if base.contains('?') { '&' } else { '?' };
    let mut url = format!("{base}{joiner}access_token=");
    for byte in token.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// Collects text until record separators complete messages.
#[derive(Default)]
pub struct Reader {
    buffer: String,
}

impl Reader {
    /// The messages `text` completes, without their separators.
    pub fn push(&mut self, text: &str) -> Vec<String> {
        self.buffer.push_str(text);
        let Some(end) = self.buffer.rfind(SEPARATOR) else {
            return Vec::new();
        };
        let complete: String = self.buffer.drain(..=end).collect();
        complete
            .split(SEPARATOR)
            .filter(|message| !message.trim().is_empty())
            .map(str::to_owned)
            .collect()
    }
}

#[derive(Debug, PartialEq)]
pub enum Message {
    /// The answer to the handshake: `Err` with the hub's reason.
    Handshake(Result<(), String>),
    Invocation {
        target: String,
        arguments: Vec<Value>,
    },
    Completion {
        id: String,
        error: Option<String>,
    },
    Ping,
    Close {
        error: Option<String>,
    },
    /// Anything else the protocol has (stream items, acks): nothing a user hub sends us.
    Other,
}

/// Reads one message; before the handshake is answered, the message is its answer.
pub fn parse(text: &str, handshaken: bool) -> Result<Message, String> {
    let message: Value =
        serde_json::from_str(text).map_err(|_| "the hub sent a message that is not JSON")?;
    let error = message["error"].as_str().map(str::to_owned);
    if !handshaken {
        return Ok(Message::Handshake(match error {
            Some(error) => Err(error),
            None if message.is_object() => Ok(()),
            None => Err("an unreadable handshake answer".to_owned()),
        }));
    }
    Ok(match message["type"].as_i64() {
        Some(1) => Message::Invocation {
            target: message["target"]
                .as_str()
                .ok_or("an invocation without a target")?
                .to_owned(),
            arguments: message["arguments"].as_array().cloned().unwrap_or_default(),
        },
        Some(3) => Message::Completion {
            id: message["invocationId"]
                .as_str()
                .ok_or("a completion without an invocation id")?
                .to_owned(),
            error,
        },
        Some(6) => Message::Ping,
        Some(7) => Message::Close { error },
        Some(_) => Message::Other,
        None => return Err("a message without a type".to_owned()),
    })
}

/// An event's entity, unwrapped from `{"action":n,"data":{...}}` when it comes so.
pub fn entity(argument: &Value) -> &Value {
    let wrapped =
        argument["data"].is_object() && argument["action"].is_i64() && argument.get("id").is_none();
    if wrapped { &argument["data"] } else { argument }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_on_the_separator_across_frames() {
        let mut reader = Reader::default();
        assert_eq!(
            reader.push("{}\u{1e}{\"type\":6}\u{1e}{\"ty"),
            vec!["{}", "{\"type\":6}"]
        );
        assert!(reader.push("pe\":6").is_empty());
        assert_eq!(reader.push("}\u{1e}"), vec!["{\"type\":6}"]);
    }

    #[test]
    fn messages_read_by_type() {
        assert_eq!(parse("{}", false), Ok(Message::Handshake(Ok(()))));
        assert!(
            matches!(parse(r#"{"error":"nope"}"#, false), Ok(Message::Handshake(Err(e))) if e == "nope")
        );
        assert_eq!(
            parse(
                r#"{"type":3,"invocationId":"4","error":"Account 9 not found."}"#,
                true
            ),
            Ok(Message::Completion {
                id: "4".into(),
                error: Some("Account 9 not found.".into())
            })
        );
        assert_eq!(parse(r#"{"type":6}"#, true), Ok(Message::Ping));
        assert!(matches!(
            parse(r#"{"type":7,"allowReconnect":true}"#, true),
            Ok(Message::Close { error: None })
        ));
        assert!(parse("{}", true).is_err());
    }

    #[test]
    fn events_come_bare_or_wrapped() {
        let bare = json!({"id": 5, "status": 1});
        assert_eq!(entity(&bare), &bare);
        let wrapped = json!({"action": 1, "data": {"id": 5, "status": 1}});
        assert_eq!(entity(&wrapped), &bare);
    }

    #[test]
    fn the_url_is_a_websocket_one_with_the_token() {
        assert_eq!(
            url("https://rtc.topstepx.com/hubs/user", "a.b_c+/="),
            "wss://rtc.topstepx.com/hubs/user?access_token=a.b_c%2B%2F%3D"
        );
        assert!(url("http://127.0.0.1:9/projectx/hubs/user", "t").starts_with("ws://127.0.0.1:9/"));
    }
}
