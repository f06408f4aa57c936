//! Tradovate's socket framing, SockJS style: the server's `o` (open), `h` (heartbeat),
//! `a[...]` (messages) and `c[code,"reason"]` (close) frames, and the client's requests
//! `endpoint\nid\nquery\nbody`.

use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

/// One SockJS frame.
#[derive(Debug, PartialEq)]
pub(super) enum Frame {
    Open,
    Heartbeat,
    Messages(Vec<Value>),
    Close(String),
}

/// Reads a frame; messages may be JSON objects or JSON text inside strings (plain SockJS).
pub(super) fn frame(text: &str) -> Result<Frame, String> {
    let (kind, rest) = text.split_at_checked(1).ok_or("an empty frame")?;
    match kind {
        "o" => Ok(Frame::Open),
        "h" => Ok(Frame::Heartbeat),
        "c" => Ok(Frame::Close(rest.to_owned())),
        "a" => {
            let items: Vec<Value> =
                serde_json::from_str(rest).map_err(|err| format!("an unreadable frame: {err}"))?;
            let messages = items
                .into_iter()
                .map(|item| match item {
                    Value::String(inner) => serde_json::from_str(&inner)
                        .map_err(|err| format!("an unreadable message: {err}")),
                    other => Ok(other),
                })
                .collect::<Result<_, _>>()?;
            Ok(Frame::Messages(messages))
        }
        other => Err(format!("an unknown frame `{other}`")),
    }
}

pub(super) fn request(endpoint: &str, id: u64, body: &str) -> Message {
    Message::text(format!("{endpoint}\n{id}\n\n{body}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sockjs_frames_are_read() {
        assert_eq!(frame("o").unwrap(), Frame::Open);
        assert_eq!(frame("h").unwrap(), Frame::Heartbeat);
        assert_eq!(
            frame(r#"c[1000,"bye"]"#).unwrap(),
            Frame::Close(r#"[1000,"bye"]"#.into())
        );
        assert_eq!(
            frame(r#"a[{"i":0,"s":200}]"#).unwrap(),
            Frame::Messages(vec![json!({"i": 0, "s": 200})])
        );
        // Plain SockJS wraps each message in a string.
        assert_eq!(
            frame(r#"a["{\"e\":\"props\"}"]"#).unwrap(),
            Frame::Messages(vec![json!({"e": "props"})])
        );
        assert!(frame("").is_err() && frame("x").is_err() && frame("a[oops").is_err());
        assert_eq!(
            request("user/syncrequest", 1, "{}")
                .into_text()
                .unwrap()
                .as_str(),
            "user/syncrequest\n1\n\n{}"
        );
    }
}
