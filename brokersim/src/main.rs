//! `brokersim --listen 127.0.0.1:<port>`: serves every simulated venue on one port and prints
//! the `COPYTRADE_ENDPOINT_*` settings that point CopyTrade at it.

use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str = "usage: brokersim [--listen 127.0.0.1:<port>]  (default 127.0.0.1:18090; port 0 picks a free one)";

#[tokio::main]
async fn main() -> ExitCode {
    let mut listen = "127.0.0.1:18090".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => match args.next() {
                Some(value) => listen = value,
                None => {
                    eprintln!("brokersim: --listen needs an address\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("brokersim: unknown argument `{other}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let addr: SocketAddr = match listen.parse() {
        Ok(addr) => addr,
        Err(_) => {
            eprintln!("brokersim: `{listen}` is not an address like 127.0.0.1:18090");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("brokersim: cannot listen on {addr}: {err}");
            return ExitCode::from(1);
        }
    };
    let bound = match listener.local_addr() {
        Ok(bound) => bound,
        Err(err) => {
            eprintln!("brokersim: {err}");
            return ExitCode::from(1);
        }
    };
    // The first lines are what a test or a user copies: one setting per line, then the ready line.
    for (name, value) in brokersim::endpoints(bound) {
        println!("{name}={value}");
    }
    println!("brokersim listening on {bound} (control API under http://{bound}/_sim)");
    match axum::serve(listener, brokersim::app()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("brokersim: {err}");
            ExitCode::from(1)
        }
    }
}
