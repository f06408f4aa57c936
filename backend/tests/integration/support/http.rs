//! Plain HTTP/1.1 over a real socket, for tests of the `copytrade` binary itself.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Status code and body of one request, or the connection error.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    json_body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    request_with(addr, method, path, json_body, None).await
}

/// Like [`request`], with `Authorization: Bearer <token>` when a token is given.
pub async fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    json_body: Option<&str>,
    token: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr).await?;
    let body = json_body.unwrap_or_default();
    let content_type = if json_body.is_some() {
        "Content-Type: application/json\r\n"
    } else {
        ""
    };
    let authorization = token.map_or(String::new(), |token| {
        format!("Authorization: Bearer {token}\r\n")
    });
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{content_type}{authorization}Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {text}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Waits until `GET /healthz` answers 200, or panics after `limit`.
pub async fn wait_healthy(addr: SocketAddr, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Ok((200, _)) = request(addr, "GET", "/healthz", None).await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "server at {addr} never became healthy"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
