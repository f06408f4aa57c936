//! The brokers' HTTP and WebSocket client: HTTP/1.1 over TLS (rustls with Mozilla's roots,
//! certificates always verified), a deadline per request, kept-alive connections per host, and
//! redirects never followed (SEC-21): a venue that redirects gets an error, not our request.
//!
//! Failures say whether the request may have reached the venue, which decides if an order can
//! be retried safely ([`HttpError::may_have_arrived`]).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// How long a request may take, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read from a venue.
const MAX_BODY: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HttpError {
    #[error("{0} is not a usable broker URL")]
    BadUrl(String),
    /// Nothing was sent: the connection or TLS handshake failed.
    #[error("cannot connect to {host}: {reason}")]
    Connect { host: String, reason: String },
    /// The request was (perhaps) sent but no complete answer came back.
    #[error("no answer from {host}: {reason}")]
    NoAnswer { host: String, reason: String },
    #[error("the venue redirected to {0}; CopyTrade does not follow redirects")]
    Redirect(String),
}

impl HttpError {
    /// Whether the venue may have acted on the request (an order may exist).
    pub fn may_have_arrived(&self) -> bool {
        matches!(self, Self::NoAnswer { .. })
    }
}

/// A complete answer.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Plain TCP (an operator's `http://` endpoint, e.g. a local test venue) or TLS.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// One HTTP/1.1 connection's request handle.
type Sender = SendRequest<Full<Bytes>>;

/// Shared by every adapter; cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    tls: TlsConnector,
    timeout: Duration,
    idle: Arc<Mutex<HashMap<String, Vec<Sender>>>>,
}

/// Where a URL points: `(is TLS, host, port)`.
fn target(uri: &Uri) -> Result<(bool, String, u16), HttpError> {
    let bad = || HttpError::BadUrl(uri.to_string());
    let tls = match uri.scheme_str() {
        Some("https" | "wss") => true,
        Some("http" | "ws") => false,
        _ => return Err(bad()),
    };
    let host = uri.host().ok_or_else(bad)?.to_owned();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    Ok((tls, host, port))
}

impl HttpClient {
    /// A client trusting Mozilla's root certificates.
    pub fn new(timeout: Duration) -> Result<Self, rustls::Error> {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Self {
            tls: TlsConnector::from(Arc::new(config)),
            timeout,
            idle: Arc::default(),
        })
    }

    /// Opens a TCP or TLS stream to the URL's host (WebSockets use this too).
    pub async fn connect(&self, url: &str) -> Result<Stream, HttpError> {
        let uri: Uri = url.parse().map_err(|_| HttpError::BadUrl(url.to_owned()))?;
        let (tls, host, port) = target(&uri)?;
        let failed = |reason: String| HttpError::Connect {
            host: host.clone(),
            reason,
        };
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect((host.as_str(), port)))
            .await
            .map_err(|_| failed("timed out".into()))?
            .map_err(|err| failed(err.to_string()))?;
        tcp.set_nodelay(true).ok();
        if !tls {
            return Ok(Stream::Plain(tcp));
        }
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|_| HttpError::BadUrl(url.to_owned()))?;
        let stream = tokio::time::timeout(self.timeout, self.tls.connect(name, tcp))
            .await
            .map_err(|_| failed("TLS handshake timed out".into()))?
            .map_err(|err| failed(err.to_string()))?;
        Ok(Stream::Tls(Box::new(stream)))
    }

    /// Sends one request and reads the whole answer within the deadline.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse, HttpError> {
        let uri: Uri = url.parse().map_err(|_| HttpError::BadUrl(url.to_owned()))?;
        let (_, host, port) = target(&uri)?;
        let key = format!("{}://{host}:{port}", uri.scheme_str().unwrap_or_default());
        let mut sender = match self.idle_sender(&key) {
            Some(sender) => sender,
            None => self.handshake(url, &host).await?,
        };
        let path = uri.path_and_query().map_or("/", |pq| pq.as_str());
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(
                "host",
                if port == 80 || port == 443 {
                    host.clone()
                } else {
                    format!("{host}:{port}")
                },
            )
            .header(
                "user-agent",
                concat!("CopyTrade/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|err| HttpError::BadUrl(format!("{url}: {err}")))?;
        let no_answer = |reason: String| HttpError::NoAnswer {
            host: host.clone(),
            reason,
        };
        let exchange = async {
            let response = sender
                .send_request(request)
                .await
                .map_err(|err| no_answer(err.to_string()))?;
            let (parts, body) = response.into_parts();
            let body = http_body_util::Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|err| no_answer(err.to_string()))?
                .to_bytes();
            Ok::<_, HttpError>(HttpResponse {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            })
        };
        let response = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| no_answer(format!("no complete answer within {:?}", self.timeout)))??;
        if (300..400).contains(&response.status) {
            let location = response
                .headers
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("elsewhere");
            return Err(HttpError::Redirect(location.to_owned()));
        }
        self.keep(key, sender);
        Ok(response)
    }

    fn idle_sender(&self, key: &str) -> Option<Sender> {
        let mut idle = self.idle.lock().ok()?;
        let senders = idle.get_mut(key)?;
        while let Some(sender) = senders.pop() {
            if sender.is_ready() {
                return Some(sender);
            }
        }
        None
    }

    fn keep(&self, key: String, sender: Sender) {
        if let Ok(mut idle) = self.idle.lock() {
            let senders = idle.entry(key).or_default();
            if senders.len() < 8 {
                senders.push(sender);
            }
        }
    }

    async fn handshake(&self, url: &str, host: &str) -> Result<Sender, HttpError> {
        let stream = self.connect(url).await?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|err| HttpError::Connect {
                host: host.to_owned(),
                reason: err.to_string(),
            })?;
        tokio::spawn(async move {
            // Ends when the venue or we close the connection.
            let _ = connection.await;
        });
        Ok(sender)
    }
}
