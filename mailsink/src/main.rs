//! `mailsink [--smtp 127.0.0.1:<port>] [--http 127.0.0.1:<port>] [--max-size <octets>]
//! [--auth <user>:<password>]`: serves SMTP and the control API, then prints one JSON line with
//! the bound addresses, `{"smtp":"127.0.0.1:NNNN","http":"127.0.0.1:MMMM"}`, for a test to read.

use std::net::SocketAddr;
use std::process::ExitCode;

use serde::Serialize;
use tokio::net::TcpListener;

const USAGE: &str = "usage: mailsink [--smtp 127.0.0.1:<port>] [--http 127.0.0.1:<port>] \
[--max-size <octets>] [--auth <user>:<password>]  (ports default to 0: a free one each)";

#[derive(Serialize)]
struct Bound {
    smtp: SocketAddr,
    http: SocketAddr,
}

fn fail(message: &str) -> ExitCode {
    eprintln!("mailsink: {message}\n{USAGE}");
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut smtp = "127.0.0.1:0".to_owned();
    let mut http = "127.0.0.1:0".to_owned();
    let mut config = mailsink::Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let Some(value) = args.next() else {
            return fail(&format!("`{arg}` needs a value, or is unknown"));
        };
        match arg.as_str() {
            "--smtp" => smtp = value,
            "--http" => http = value,
            "--max-size" => match value.parse() {
                Ok(size) if size > 0 => config.max_size = size,
                _ => return fail(&format!("--max-size `{value}` is not a positive number")),
            },
            "--auth" => match value.split_once(':') {
                Some((user, password)) if !user.is_empty() => {
                    config.auth = Some((user.to_owned(), password.to_owned()));
                }
                _ => return fail("--auth takes <user>:<password>"),
            },
            other => return fail(&format!("unknown argument `{other}`")),
        }
    }
    let (smtp, http) = match (bind(&smtp).await, bind(&http).await) {
        (Ok(smtp), Ok(http)) => (smtp, http),
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("mailsink: {err}");
            return ExitCode::from(1);
        }
    };
    let bound = match (smtp.local_addr(), http.local_addr()) {
        (Ok(smtp), Ok(http)) => Bound { smtp, http },
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("mailsink: {err}");
            return ExitCode::from(1);
        }
    };
    match serde_json::to_string(&bound) {
        Ok(line) => println!("{line}"),
        Err(err) => {
            eprintln!("mailsink: {err}");
            return ExitCode::from(1);
        }
    }
    match mailsink::run(smtp, http, config, mailsink::Store::new()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mailsink: {err}");
            ExitCode::from(1)
        }
    }
}

async fn bind(addr: &str) -> Result<TcpListener, String> {
    let parsed: SocketAddr = addr
        .parse()
        .map_err(|_| format!("`{addr}` is not an address like 127.0.0.1:2525"))?;
    TcpListener::bind(parsed)
        .await
        .map_err(|err| format!("cannot listen on {parsed}: {err}"))
}
