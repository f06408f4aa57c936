//! The `copytrade` binary as an operator runs it: commands, start-up on either database, and
//! one clear line (no panic trace) for every bad setting.

use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::support::PgTestDb;
use crate::support::http::{request, request_with, wait_healthy};

fn copytrade(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_copytrade"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    copytrade(args, env).output().unwrap()
}

/// Asserts the program failed with exactly one line on stderr containing `expected`.
fn assert_fails_with(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("copytrade: error:"))
        .collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {stderr}");
    assert!(
        lines[0].contains(expected),
        "expected `{expected}` in: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[test]
fn print_schema_writes_the_sdl() {
    let output = run(&["print-schema"], &[]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        copytrade::graphql::sdl()
    );
}

#[test]
fn an_unknown_command_is_refused() {
    assert_fails_with(&run(&["frobnicate"], &[]), "unknown command `frobnicate`");
}

#[test]
fn a_data_dir_that_is_a_file_stops_the_server() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let output = run(
        &[],
        &[("COPYTRADE_DATA_DIR", file.path().to_str().unwrap())],
    );
    assert_fails_with(
        &output,
        "exists but is not a directory; set COPYTRADE_DATA_DIR",
    );
}

#[test]
fn a_malformed_database_url_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let output = run(
        &[],
        &[
            ("COPYTRADE_DATA_DIR", data),
            ("COPYTRADE_DATABASE_URL", "mysql://root@db/x"),
        ],
    );
    assert_fails_with(
        &output,
        "COPYTRADE_DATABASE_URL uses the unsupported scheme `mysql`",
    );
}

#[test]
fn an_unreachable_database_stops_the_server_without_leaking_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let url = "postgres://app:s3cret-pw@127.0.0.1:1/copytrade";
    let output = run(
        &[],
        &[
            ("COPYTRADE_DATA_DIR", data),
            ("COPYTRADE_DATABASE_URL", url),
        ],
    );
    assert_fails_with(
        &output,
        "cannot connect to postgres://app:***@127.0.0.1:1/copytrade",
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("s3cret-pw"));
}

#[test]
fn a_missing_postgres_database_says_to_create_it() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("ct_missing_{}", uuid::Uuid::new_v4().simple());
    let url = crate::support::postgres::url_for(&name);
    let output = run(
        &[],
        &[
            ("COPYTRADE_DATA_DIR", dir.path().to_str().unwrap()),
            ("COPYTRADE_DATABASE_URL", &url),
        ],
    );
    assert_fails_with(
        &output,
        &format!("create the database first (`createdb {name}` on that server)"),
    );
}

/// Writes a key file with the given permission bits, as an operator copying keys around might.
fn write_key_file(path: &std::path::Path, key: &[u8], mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, BASE64.encode(key)).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_key_file_of_the_wrong_length_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    write_key_file(&dir.path().join("master.key"), &[0u8; 20], 0o600);
    let output = run(&[], &[("COPYTRADE_DATA_DIR", dir.path().to_str().unwrap())]);
    assert_fails_with(&output, "holds 20 bytes, expected exactly 32");
}

/// As ssh refuses a private key others can read, the server refuses a key file with group or
/// world permission bits, and says which file and how to fix it.
#[test]
fn a_key_file_other_accounts_can_read_stops_the_server_and_the_key_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("COPYTRADE_DATA_DIR", dir.path().to_str().unwrap())];
    let master = dir.path().join("master.key");
    write_key_file(&master, &[7u8; 32], 0o644);
    let fix = format!("run `chmod 600 {}`", master.display());
    for command in ["serve", "rotate-master-key"] {
        let output = run(&[command], &env);
        assert_fails_with(
            &output,
            &format!(
                "master key {}: is open to group or others (mode 644)",
                master.display()
            ),
        );
        assert_fails_with(&output, &fix);
    }
    // Untouched: the operator's key is not rewritten or replaced.
    assert_eq!(
        std::fs::read_to_string(&master).unwrap(),
        BASE64.encode([7u8; 32])
    );
    let jwt = dir.path().join("jwt-secret.key");
    write_key_file(&jwt, &[8u8; 32], 0o660);
    let owner_only = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600);
    std::fs::set_permissions(&master, owner_only).unwrap();
    assert_fails_with(
        &run(&[], &env),
        &format!(
            "JWT signing key {}: is open to group or others (mode 660)",
            jwt.display()
        ),
    );
}

#[test]
fn a_port_in_use_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = run(
        &[],
        &[
            ("COPYTRADE_DATA_DIR", dir.path().to_str().unwrap()),
            ("COPYTRADE_LISTEN", &addr),
        ],
    );
    assert_fails_with(&output, &format!("cannot listen on {addr}"));
    assert_fails_with(&output, "set COPYTRADE_LISTEN to another address");
}

#[test]
fn migrate_applies_pending_migrations_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("COPYTRADE_DATA_DIR", dir.path().to_str().unwrap())];
    let first = run(&["migrate"], &env);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_ne!(
        String::from_utf8_lossy(&first.stdout),
        "0 migration(s) applied\n"
    );
    let second = run(&["migrate"], &env);
    assert_eq!(
        String::from_utf8_lossy(&second.stdout),
        "0 migration(s) applied\n"
    );
    assert!(dir.path().join("copytrade.db").is_file());
}

/// Starts the binary, checks it serves, then stops it with SIGTERM.
async fn serve_and_stop(env: &[(&str, &str)], expected_database: &str) {
    let addr = free_port().to_string();
    let mut env = env.to_vec();
    env.push(("COPYTRADE_LISTEN", &addr));
    let child = copytrade(&["serve"], &env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr: SocketAddr = addr.parse().unwrap();
    wait_healthy(addr, Duration::from_secs(20)).await;
    let (status, body) = request(
        addr,
        "POST",
        "/graphql",
        Some(r#"{"query":"{ serverInfo { database } }"}"#),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains(expected_database), "{body}");
    // A credential sent in a request never reaches the log, whatever the request's fate.
    for query in [
        r#"{"query":"mutation { linkBrokerAccount(input: {broker: OKX, environment: LIVE, label: \"x\", credentials: {apiKey: \"k\", apiSecret: \"LOG-CANARY-77\"}}) { id } }"}"#,
        r#"{"query":"mutation { linkBrokerAccount(input: {broker: OKX, environment: LIVE, label: \"x\", credentials: {apiKey: \"k\", apiSecret: \"LOG-CANARY-77\"}}) { id "}"#,
    ] {
        let (status, body) = request(addr, "POST", "/graphql", Some(query))
            .await
            .unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(!body.contains("LOG-CANARY-77"), "{body}");
    }

    let (status, output) = terminate(child).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&format!("open http://{addr}/")), "{stdout}");
    // Loopback only: nothing to warn about.
    assert!(
        !stderr.contains("session cookies are not Secure"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("LOG-CANARY") && !stderr.contains("LOG-CANARY"),
        "{stderr}"
    );
}

#[test]
fn rotate_master_key_makes_a_new_key_and_keeps_the_old_one_only_while_used() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("COPYTRADE_DATA_DIR", dir.path().to_str().unwrap())];
    assert!(run(&["migrate"], &env).status.success());
    let before = std::fs::read_to_string(dir.path().join("master.key")).ok();
    let output = run(&["rotate-master-key"], &env);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("new master key"), "{stdout}");
    assert!(stdout.contains("re-encrypted 0 record(s)"), "{stdout}");
    let after = std::fs::read_to_string(dir.path().join("master.key")).unwrap();
    assert_ne!(Some(after), before);
    // No record used the old key, so it was retired at once.
    assert!(!dir.path().join("master.key.previous").exists());
}

/// Sends SIGTERM and waits (at most 10 s) for the server to exit; returns its output.
async fn terminate(mut child: std::process::Child) -> (std::process::ExitStatus, Output) {
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "server ignored SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    (status, child.wait_with_output().unwrap())
}

/// SEC-3 end to end: a Bybit key linked, checked and re-keyed through the running server,
/// logging at debug level, leaves neither its secret nor the key in the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_secret_never_reaches_the_server_log() {
    const KEY: &str = "AKEY-log-0000-77aa";
    const SECRET: &str = "LOG-CANARY-bybit-secret";
    // Tradovate's password and app secret, and TopstepX's API key, take the same way.
    const PASSWORD: &str = "LOG-CANARY-tradovate-password";
    const APP_SECRET: &str = "LOG-CANARY-tradovate-sec";
    const PX_KEY: &str = "LOG-CANARY-projectx-key";
    let fake = crate::support::sim_bybit::SimBybit::start(KEY, SECRET).await;
    fake.sim
        .post(
            "/tradovate/users",
            serde_json::json!({ "name": "log-tv", "password": PASSWORD, "cid": 5, "sec": APP_SECRET,
                                "appId": "CopyTrade", "accounts": [{ "name": "DEMO-LOG" }] }),
        )
        .await;
    fake.sim
        .post(
            "/projectx/users",
            serde_json::json!({ "userName": "log-px", "apiKey": PX_KEY, "accounts": [{ "name": "PX-LOG" }] }),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let addr = free_port().to_string();
    let mut env = vec![
        ("COPYTRADE_DATA_DIR", dir.path().to_str().unwrap()),
        ("COPYTRADE_LISTEN", addr.as_str()),
        ("RUST_LOG", "debug"),
    ];
    env.extend(fake.sim.env());
    let child = copytrade(&["serve"], &env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr: SocketAddr = addr.parse().unwrap();
    wait_healthy(addr, Duration::from_secs(20)).await;
    let gql = |body: serde_json::Value, token: Option<String>| async move {
        let (status, answer) = request_with(
            addr,
            "POST",
            "/graphql",
            Some(&body.to_string()),
            token.as_deref(),
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "{answer}");
        answer
    };
    let registered = gql(
        serde_json::json!({ "query": "mutation { register(email: \"log@example.com\", password: \"a long trading passphrase\") { token } }" }),
        None,
    )
    .await;
    let token = serde_json::from_str::<serde_json::Value>(&registered).unwrap()["data"]["register"]
        ["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = "mutation($c: BrokerCredentialsInput!) { linkBrokerAccount(input: {broker: BYBIT, environment: LIVE, label: \"main\", credentials: $c}) { id status } }";
    let mut answers = Vec::new();
    for secret in [format!("{SECRET}-wrong"), SECRET.to_owned()] {
        answers.push(
            gql(
                serde_json::json!({ "query": link, "variables": { "c": { "apiKey": KEY, "apiSecret": secret } } }),
                Some(token.clone()),
            )
            .await,
        );
    }
    assert!(answers[1].contains("CONNECTED"), "{}", answers[1]);
    let futures = "mutation($b: BrokerKind!, $c: BrokerCredentialsInput!) { linkBrokerAccount(input: {broker: $b, environment: LIVE, label: \"futures\", credentials: $c}) { id status } }";
    for (broker, credentials) in [
        (
            "TRADOVATE",
            serde_json::json!({ "username": "log-tv", "password": format!("{PASSWORD}-wrong"), "appId": "CopyTrade", "cid": "5", "sec": APP_SECRET }),
        ),
        (
            "TRADOVATE",
            serde_json::json!({ "username": "log-tv", "password": PASSWORD, "appId": "CopyTrade", "cid": "5", "sec": APP_SECRET }),
        ),
        (
            "TOPSTEPX",
            serde_json::json!({ "username": "log-px", "apiKey": format!("{PX_KEY}-wrong") }),
        ),
        (
            "TOPSTEPX",
            serde_json::json!({ "username": "log-px", "apiKey": PX_KEY }),
        ),
    ] {
        answers.push(
            gql(
                serde_json::json!({ "query": futures, "variables": { "b": broker, "c": credentials } }),
                Some(token.clone()),
            )
            .await,
        );
    }
    assert!(answers[3].contains("CONNECTED"), "{}", answers[3]);
    assert!(answers[5].contains("CONNECTED"), "{}", answers[5]);
    answers.push(
        gql(
            serde_json::json!({ "query": "{ brokerConnections { id status credentialHint accounts { balance } } }" }),
            Some(token.clone()),
        )
        .await,
    );
    let (status, output) = terminate(child).await;
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(status.success(), "{log}");
    assert!(
        log.contains("broker account linked"),
        "the log is not the server's: {log}"
    );
    for text in answers.iter().chain([&log]) {
        for secret in [SECRET, KEY, PASSWORD, APP_SECRET, PX_KEY] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
}

/// An operator who opens the server to the network without TLS in front is told at start what
/// that costs and what to set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_reachable_from_other_machines_over_plain_http_warns_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().port();
    let listen = format!("0.0.0.0:{port}");
    let child = copytrade(
        &["serve"],
        &[
            ("COPYTRADE_DATA_DIR", dir.path().to_str().unwrap()),
            ("COPYTRADE_LISTEN", &listen),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    wait_healthy(
        SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(20),
    )
    .await;
    let (status, output) = terminate(child).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(status.success(), "{stderr}");
    let warning = stderr
        .lines()
        .find(|line| line.contains("WARN") && line.contains("plain HTTP"))
        .unwrap_or_else(|| panic!("no plain-HTTP warning in: {stderr}"));
    for what in [
        "session cookies are not Secure",
        "set COPYTRADE_TRUSTED_PROXIES",
        &listen,
    ] {
        assert!(warning.contains(what), "`{what}` missing from: {warning}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_starts_on_a_fresh_sqlite_default_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    serve_and_stop(&[("COPYTRADE_DATA_DIR", data.to_str().unwrap())], "SQLITE").await;
    assert!(data.join("copytrade.db").is_file());
    assert!(data.join("jwt-secret.key").is_file() && data.join("master.key").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_starts_the_same_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let pg = PgTestDb::create().await;
    let env = [
        ("COPYTRADE_DATA_DIR", dir.path().to_str().unwrap()),
        ("COPYTRADE_DATABASE_URL", pg.url.as_str()),
    ];
    serve_and_stop(&env, "POSTGRES").await;
}
