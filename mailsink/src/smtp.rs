//! The SMTP server (RFC 5321, plain TCP, no TLS): one task per connection, one command per line,
//! each answered in order. Replies are written as soon as a command is handled and input stays
//! buffered between commands, which is all PIPELINING (RFC 2920) asks of a server.
//!
//! Rules it keeps:
//! - `MAIL` needs `EHLO`/`HELO` first (and `AUTH` when a user is configured, RFC 4954 `530`);
//!   `RCPT` needs `MAIL`; `DATA` needs a recipient; otherwise `503` (or `554` with no valid
//!   recipient). `EHLO`, `HELO` and `RSET` end a transaction.
//! - Limits of §4.5.3.1: command lines of 512 octets (`AUTH` lines up to 12288, RFC 4954 §4),
//!   text lines of 1000, 100 recipients (`452` past them). The message size cap is advertised
//!   in `SIZE` and enforced on the declared and the real size (`552`).
//! - The data ends only at `<CRLF>.<CRLF>`: a `.` after a bare LF does not end it, so a
//!   message cannot smuggle a second one. A leading dot is removed (§4.5.2).
//! - An idle client is told `421` and dropped after five minutes (§4.5.3.2).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

use crate::Config;
use crate::auth;
use crate::lines::{Line, read_line};
use crate::message;
use crate::path;
use crate::store::{FaultKind, Message, Store};

const COMMAND_LINE_MAX: usize = 512;
pub(crate) const AUTH_LINE_MAX: usize = 12_288;
const TEXT_LINE_MAX: usize = 1000;
const MAX_RECIPIENTS: usize = 100;
const IDLE: Duration = Duration::from_secs(300);

/// Accepts connections for as long as the process runs.
pub async fn serve(listener: TcpListener, config: Arc<Config>, store: Store) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                let config = config.clone();
                let store = store.clone();
                tokio::spawn(async move {
                    // A broken connection ends only its own session.
                    let _ = Session::new(stream, &config, &store).run().await;
                });
            }
            // Accept fails for one connection (reset before it was taken) or while the process
            // is out of file descriptors: the listener itself stays good, so wait and go on.
            Err(err) => {
                eprintln!("mailsink: accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Whether the connection goes on after a command.
pub(crate) enum Flow {
    Continue,
    Close,
}

struct Transaction {
    from: String,
    rcpts: Vec<String>,
    /// The injected fault this transaction took when it began.
    fault: Option<FaultKind>,
}

pub(crate) struct Session<'a> {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    pub(crate) buf: Vec<u8>,
    pub(crate) config: &'a Config,
    store: &'a Store,
    helo: Option<String>,
    pub(crate) esmtp: bool,
    pub(crate) auth_user: Option<String>,
    transaction: Option<Transaction>,
}

impl<'a> Session<'a> {
    fn new(stream: TcpStream, config: &'a Config, store: &'a Store) -> Self {
        let (read, writer) = stream.into_split();
        Self {
            reader: BufReader::new(read),
            writer,
            buf: Vec::new(),
            config,
            store,
            helo: None,
            esmtp: false,
            auth_user: None,
            transaction: None,
        }
    }

    pub(crate) fn in_transaction(&self) -> bool {
        self.transaction.is_some()
    }

    /// Writes a reply; each text is one line, all but the last marked as continued (§4.2.1).
    pub(crate) async fn reply(&mut self, code: u16, texts: &[&str]) -> io::Result<()> {
        let mut out = String::new();
        for (i, text) in texts.iter().enumerate() {
            let separator = if i + 1 == texts.len() { ' ' } else { '-' };
            out.push_str(&format!("{code}{separator}{text}\r\n"));
        }
        self.writer.write_all(out.as_bytes()).await
    }

    /// Reads a line into `buf`; an idle client is told so, and then it reads as closed.
    pub(crate) async fn read(&mut self, limit: usize) -> io::Result<Line> {
        match tokio::time::timeout(IDLE, read_line(&mut self.reader, limit, &mut self.buf)).await {
            Ok(read) => read,
            Err(_) => {
                let host = self.config.hostname.clone();
                self.reply(421, &[&format!("{host} idle too long, closing connection")])
                    .await?;
                Ok(Line::Closed)
            }
        }
    }

    async fn run(mut self) -> io::Result<()> {
        let greeting = format!("{} ESMTP mailsink ready", self.config.hostname);
        self.reply(220, &[&greeting]).await?;
        loop {
            match self.read(AUTH_LINE_MAX).await? {
                Line::Closed => return Ok(()),
                Line::TooLong { .. } => self.reply(500, &["line too long"]).await?,
                Line::Complete { .. } => {
                    if let Flow::Close = self.command().await? {
                        return self.writer.shutdown().await;
                    }
                }
            }
        }
    }

    async fn command(&mut self) -> io::Result<Flow> {
        let Ok(text) = std::str::from_utf8(&self.buf) else {
            self.reply(500, &["syntax error, command is not text"])
                .await?;
            return Ok(Flow::Continue);
        };
        let line_len = text.len();
        let text = text.trim_end_matches(['\r', '\n']).to_owned();
        let (verb, args) = text.split_once(' ').unwrap_or((&text, ""));
        let verb = verb.to_ascii_uppercase();
        if line_len > COMMAND_LINE_MAX && verb != "AUTH" {
            self.reply(500, &["line too long"]).await?;
            return Ok(Flow::Continue);
        }
        match verb.as_str() {
            "EHLO" | "HELO" => self.hello(&verb, args.trim()).await?,
            "MAIL" => self.mail(args).await?,
            "RCPT" => self.rcpt(args).await?,
            "DATA" if !args.is_empty() => self.reply(501, &["DATA takes no arguments"]).await?,
            "DATA" => return self.data().await,
            "RSET" if !args.is_empty() => self.reply(501, &["RSET takes no arguments"]).await?,
            "RSET" => {
                self.transaction = None;
                self.reply(250, &["OK"]).await?;
            }
            "NOOP" => self.reply(250, &["OK"]).await?,
            "QUIT" => {
                let bye = format!("{} closing connection", self.config.hostname);
                self.reply(221, &[&bye]).await?;
                return Ok(Flow::Close);
            }
            "VRFY" if args.trim().is_empty() => self.reply(501, &["syntax: VRFY <user>"]).await?,
            "VRFY" => {
                let text = "cannot VRFY user, but will accept message and attempt delivery";
                self.reply(252, &[text]).await?;
            }
            "HELP" => {
                let text = "EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP AUTH";
                self.reply(214, &[text]).await?;
            }
            "AUTH" => return auth::command(self, args).await,
            "EXPN" | "TURN" | "ETRN" | "STARTTLS" | "BDAT" | "SEND" | "SOML" | "SAML" => {
                self.reply(502, &["command not implemented"]).await?;
            }
            _ => self.reply(500, &["command unrecognized"]).await?,
        }
        Ok(Flow::Continue)
    }

    async fn hello(&mut self, verb: &str, domain: &str) -> io::Result<()> {
        if domain.is_empty() || domain.contains(' ') {
            return self
                .reply(501, &[&format!("syntax: {verb} <domain>")])
                .await;
        }
        self.transaction = None;
        self.helo = Some(domain.to_owned());
        self.esmtp = verb == "EHLO";
        let host = &self.config.hostname;
        if !self.esmtp {
            let text = host.clone();
            return self.reply(250, &[&text]).await;
        }
        let mut lines = vec![
            format!("{host} greets {domain}"),
            "8BITMIME".to_owned(),
            format!("SIZE {}", self.config.max_size),
            "PIPELINING".to_owned(),
        ];
        if self.config.auth.is_some() {
            lines.push("AUTH PLAIN LOGIN".to_owned());
        }
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        self.reply(250, &lines).await
    }

    async fn mail(&mut self, args: &str) -> io::Result<()> {
        if self.helo.is_none() {
            return self.reply(503, &["send EHLO or HELO first"]).await;
        }
        if self.transaction.is_some() {
            return self.reply(503, &["nested MAIL command"]).await;
        }
        if self.config.auth.is_some() && self.auth_user.is_none() {
            return self.reply(530, &["authentication required"]).await;
        }
        let Some(parsed) = path::parse(args, "FROM:") else {
            return self.reply(501, &["syntax: MAIL FROM:<address>"]).await;
        };
        for (key, value) in &parsed.params {
            let value = value.as_deref().unwrap_or_default();
            match key.as_str() {
                // Service extension parameters need EHLO (§4.1.1.2).
                _ if !self.esmtp => {
                    return self.reply(555, &["parameters need EHLO"]).await;
                }
                "SIZE" => match value.parse::<usize>() {
                    Ok(size) if size > self.config.max_size => {
                        let text = "message size exceeds fixed maximum message size";
                        return self.reply(552, &[text]).await;
                    }
                    Ok(_) => {}
                    Err(_) => return self.reply(501, &["syntax: SIZE=<octets>"]).await,
                },
                "BODY"
                    if value.eq_ignore_ascii_case("7BIT")
                        || value.eq_ignore_ascii_case("8BITMIME") => {}
                _ => return self.reply(555, &["MAIL parameter not recognized"]).await,
            }
        }
        let fault = self.store.take_fault();
        if fault == Some(FaultKind::TemporaryFailure) {
            let text = "temporary failure (injected), try again later";
            return self.reply(451, &[text]).await;
        }
        self.transaction = Some(Transaction {
            from: parsed.mailbox,
            rcpts: Vec::new(),
            fault,
        });
        self.reply(250, &["OK"]).await
    }

    async fn rcpt(&mut self, args: &str) -> io::Result<()> {
        let Some(transaction) = &mut self.transaction else {
            return self.reply(503, &["need MAIL before RCPT"]).await;
        };
        let Some(parsed) = path::parse(args, "TO:").filter(|p| !p.mailbox.is_empty()) else {
            return self.reply(501, &["syntax: RCPT TO:<address>"]).await;
        };
        if !parsed.params.is_empty() {
            return self.reply(555, &["RCPT parameters not recognized"]).await;
        }
        if transaction.fault == Some(FaultKind::RejectRcpt) {
            let text = "mailbox unavailable (injected), try again later";
            return self.reply(450, &[text]).await;
        }
        if transaction.rcpts.len() >= MAX_RECIPIENTS {
            return self.reply(452, &["too many recipients"]).await;
        }
        transaction.rcpts.push(parsed.mailbox);
        self.reply(250, &["OK"]).await
    }

    async fn data(&mut self) -> io::Result<Flow> {
        let Some(transaction) = &self.transaction else {
            self.reply(503, &["need MAIL before DATA"]).await?;
            return Ok(Flow::Continue);
        };
        if transaction.rcpts.is_empty() {
            self.reply(554, &["no valid recipients"]).await?;
            return Ok(Flow::Continue);
        }
        self.reply(354, &["end data with <CR><LF>.<CR><LF>"])
            .await?;
        let Some(received) = self.read_data().await? else {
            return Ok(Flow::Close);
        };
        let Some(transaction) = self.transaction.take() else {
            return Ok(Flow::Continue);
        };
        match received {
            Received::LineTooLong => self.reply(500, &["line too long"]).await?,
            Received::TooBig => {
                let text = "message size exceeds fixed maximum message size";
                self.reply(552, &[text]).await?;
            }
            Received::Message(_) if transaction.fault == Some(FaultKind::RejectData) => {
                let text = "local error in processing (injected), try again later";
                self.reply(451, &[text]).await?;
            }
            Received::Message(_) if transaction.fault == Some(FaultKind::Disconnect) => {
                return Ok(Flow::Close);
            }
            Received::Message(raw) => {
                let id = self.store.add(|id| Message {
                    id,
                    received_at: chrono::Utc::now()
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    helo: self.helo.clone().unwrap_or_default(),
                    auth_user: self.auth_user.clone(),
                    mail_from: transaction.from,
                    rcpt_to: transaction.rcpts,
                    size: raw.len(),
                    parsed: message::parse(&raw),
                    raw: String::from_utf8_lossy(&raw).into_owned(),
                });
                self.reply(250, &[&format!("OK queued as {id}")]).await?;
            }
        }
        Ok(Flow::Continue)
    }

    /// Reads the data up to `<CRLF>.<CRLF>`, dot-unstuffed; `None` if the connection ended.
    async fn read_data(&mut self) -> io::Result<Option<Received>> {
        let mut data = Vec::new();
        let mut too_big = false;
        let mut line_too_long = false;
        // The 354 reply's line end starts the data, so a first line of "." ends it.
        let mut after_crlf = true;
        loop {
            match self.read(TEXT_LINE_MAX).await? {
                Line::Closed => return Ok(None),
                Line::TooLong { crlf } => {
                    line_too_long = true;
                    after_crlf = crlf;
                }
                Line::Complete { crlf } => {
                    if after_crlf && self.buf == b".\r\n" {
                        break;
                    }
                    let line = self.buf.strip_prefix(b".").unwrap_or(&self.buf);
                    if data.len() + line.len() > self.config.max_size {
                        too_big = true;
                    }
                    if !too_big && !line_too_long {
                        data.extend_from_slice(line);
                    }
                    after_crlf = crlf;
                }
            }
        }
        Ok(Some(if line_too_long {
            Received::LineTooLong
        } else if too_big {
            Received::TooBig
        } else {
            Received::Message(data)
        }))
    }
}

enum Received {
    Message(Vec<u8>),
    TooBig,
    LineTooLong,
}
