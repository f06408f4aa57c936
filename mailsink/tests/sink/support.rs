//! What the tests share: the `mailsink` binary started as its own process on free loopback
//! ports, a plain SMTP client over a real TCP socket, and JSON calls to the control API.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::process::{Child, Command};

/// Longest wait for a reply, an answer or the start-up line before a test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A running sink. Dropping it kills the process.
pub struct Sink {
    pub smtp: SocketAddr,
    pub http: SocketAddr,
    _child: Child,
}

#[derive(Deserialize)]
struct Bound {
    smtp: SocketAddr,
    http: SocketAddr,
}

impl Sink {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts the binary with extra arguments and reads the addresses it printed.
    pub async fn start_with(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailsink"))
            .args(["--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("mailsink starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(WAIT, lines.next_line())
            .await
            .expect("mailsink prints its addresses in time")
            .expect("mailsink's output")
            .expect("a first line");
        let bound: Bound = serde_json::from_str(&line)
            .unwrap_or_else(|err| panic!("`{line}` is not the address line: {err}"));
        assert!(bound.smtp.ip().is_loopback() && bound.http.ip().is_loopback());
        Self {
            smtp: bound.smtp,
            http: bound.http,
            _child: child,
        }
    }

    /// A connected SMTP client that has read the greeting.
    pub async fn connect(&self) -> Client {
        let stream = TcpStream::connect(self.smtp)
            .await
            .expect("connect to SMTP");
        let (read, write) = stream.into_split();
        let mut client = Client {
            reader: BufReader::new(read),
            writer: write,
        };
        let (code, lines) = client.reply().await;
        assert_eq!(code, 220, "{lines:?}");
        client
    }

    /// A client that has said `EHLO client.test`.
    pub async fn ehlo(&self) -> Client {
        let mut client = self.connect().await;
        client.expect("EHLO client.test", 250).await;
        client
    }

    /// One control call: status and the body as JSON.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let stream = TcpStream::connect(self.http)
            .await
            .expect("connect to HTTP");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("an HTTP/1 handshake");
        tokio::spawn(connection);
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.http.to_string())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("a request");
        let response = tokio::time::timeout(Duration::from_secs(70), sender.send_request(request))
            .await
            .expect("an answer in time")
            .expect("an answer");
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("the whole body")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// `GET /messages<query>`, which must answer 200 with a list.
    pub async fn messages(&self, query: &str) -> Vec<Value> {
        let (status, body) = self.call("GET", &format!("/messages{query}"), None).await;
        assert_eq!(status, 200, "{body}");
        body.as_array().cloned().expect("a JSON list")
    }

    /// Queues a fault, which must be taken.
    pub async fn fault(&self, kind: &str, count: u32) {
        let fault = serde_json::json!({ "kind": kind, "count": count });
        let (status, body) = self.call("POST", "/faults", Some(fault)).await;
        assert_eq!(status, 200, "{body}");
    }
}

/// A plain SMTP client: one line out, the reply back.
pub struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    /// Sends bytes as they are.
    pub async fn write(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write to SMTP");
    }

    /// Reads one reply, all its lines: the code and each line's text.
    pub async fn reply(&mut self) -> (u16, Vec<String>) {
        let mut texts = Vec::new();
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(WAIT, self.reader.read_line(&mut line))
                .await
                .expect("a reply in time")
                .expect("read from SMTP");
            assert!(
                read > 0,
                "the server closed the connection; read so far {texts:?}"
            );
            assert!(
                line.ends_with("\r\n"),
                "a reply line ends with CRLF: {line:?}"
            );
            let code: u16 = line[..3].parse().expect("a reply code");
            texts.push(line[4..].trim_end().to_owned());
            if line.as_bytes()[3] == b' ' {
                return (code, texts);
            }
            assert_eq!(line.as_bytes()[3], b'-', "{line:?}");
        }
    }

    /// Sends a command line and reads its reply.
    pub async fn command(&mut self, line: &str) -> (u16, Vec<String>) {
        self.write(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    /// Sends a command line; its reply must have `code`.
    pub async fn expect(&mut self, line: &str, code: u16) -> Vec<String> {
        let (got, texts) = self.command(line).await;
        assert_eq!(got, code, "`{line}` answered {got} {texts:?}");
        texts
    }

    /// A whole transaction up to the `354`, then the message (already dot-stuffed, without the
    /// final `.` line); returns the reply to the end of data.
    pub async fn send(&mut self, from: &str, to: &[&str], data: &str) -> u16 {
        self.expect(&format!("MAIL FROM:<{from}>"), 250).await;
        for rcpt in to {
            self.expect(&format!("RCPT TO:<{rcpt}>"), 250).await;
        }
        self.expect("DATA", 354).await;
        self.write(data.as_bytes()).await;
        self.write(b".\r\n").await;
        self.reply().await.0
    }

    /// Waits until the server has closed the connection, failing on any byte it sends first.
    pub async fn expect_closed(&mut self) {
        let mut rest = Vec::new();
        tokio::time::timeout(WAIT, self.reader.read_to_end(&mut rest))
            .await
            .expect("the server closes the connection in time")
            .expect("read to the end");
        assert!(
            rest.is_empty(),
            "nothing more before the close: {:?}",
            String::from_utf8_lossy(&rest)
        );
    }
}

/// A small message as a client would write it: headers, an empty line, the body, CRLF ends.
pub fn mail(to: &str, subject: &str, body: &str) -> String {
    format!(
        "From: CopyTrade <mail@copytrade.test>\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Message-ID: <1@copytrade.test>\r\n\r\n{body}"
    )
}
