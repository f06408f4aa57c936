//! Health and readiness probes, as a load balancer uses them.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{Backend, TestApp, on_both_databases};

on_both_databases!(the_server_is_healthy_and_ready_on_a_reachable_database);

async fn the_server_is_healthy_and_ready_on_a_reachable_database(backend: Backend) {
    let app = TestApp::new(backend).await;
    let health = app.get("/healthz").await;
    assert_eq!(
        (health.status, health.json()),
        (StatusCode::OK, json!({ "status": "ok" }))
    );
    let ready = app.get("/readyz").await;
    let database = if backend == Backend::Sqlite {
        "SQLITE"
    } else {
        "POSTGRES"
    };
    assert_eq!(
        (ready.status, ready.json()),
        (
            StatusCode::OK,
            json!({ "status": "ready", "database": database })
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_when_the_database_goes_away_but_health_stays_up() {
    let app = TestApp::new(Backend::Postgres).await;
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    app.pg.as_ref().unwrap().drop_now().await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json()["error"], "database unreachable");
    assert!(
        !ready.text().contains("ct_test_"),
        "the probe leaked the database name"
    );
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
}

/// The `Expires:` line of a security.txt, parsed.
fn security_txt_expiry(text: &str) -> chrono::DateTime<chrono::Utc> {
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("Expires: "))
        .unwrap_or_else(|| panic!("no Expires line in {text}"));
    chrono::DateTime::parse_from_rfc3339(line)
        .unwrap_or_else(|err| panic!("`{line}` is not RFC 3339: {err}"))
        .to_utc()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finder_reads_the_operators_security_contact_from_security_txt() {
    let before = chrono::Utc::now();
    let app = TestApp::with_env(
        Backend::Sqlite,
        &[
            ("COPYTRADE_SECURITY_CONTACT", "security@example.com"),
            ("COPYTRADE_PUBLIC_URL", "https://copy.example.com/"),
        ],
    )
    .await;
    let after = chrono::Utc::now();
    let answer = app.get("/.well-known/security.txt").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.header("content-type"), "text/plain; charset=utf-8");
    let text = answer.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Contact: mailto:security@example.com", "{text}");
    assert!(lines.contains(&"Preferred-Languages: en"), "{text}");
    assert!(
        lines.contains(&"Canonical: https://copy.example.com/.well-known/security.txt"),
        "{text}"
    );
    // Less than a year after the start, as RFC 9116 recommends: 364 days.
    let expires = security_txt_expiry(&text);
    let year_less_a_day = chrono::Duration::days(364);
    assert!(
        expires >= before + year_less_a_day - chrono::Duration::seconds(1)
            && expires <= after + year_less_a_day,
        "{expires} for a start between {before} and {after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_txt_is_renewed_by_each_start_of_the_server() {
    let app = TestApp::with_env(
        Backend::Sqlite,
        &[("COPYTRADE_SECURITY_CONTACT", "https://example.com/report")],
    )
    .await;
    let first = app.get("/.well-known/security.txt").await.text();
    assert!(
        first.starts_with("Contact: https://example.com/report\n"),
        "{first}"
    );
    // A plain-HTTP public URL is not where an RFC 9116 file lives: no Canonical line.
    assert!(!first.contains("Canonical:"), "{first}");
    app.clock.advance(chrono::Duration::days(200));
    let app = app.restart().await;
    let second = app.get("/.well-known/security.txt").await.text();
    let renewed = security_txt_expiry(&second) - security_txt_expiry(&first);
    assert!(
        (renewed - chrono::Duration::days(200)).num_seconds().abs() <= 60,
        "moved by {renewed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_security_contact_security_txt_is_not_found() {
    let app = TestApp::new(Backend::Sqlite).await;
    let answer = app.get("/.well-known/security.txt").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(!answer.text().contains("Contact:"), "{}", answer.text());
    assert!(!answer.text().contains("<html"), "the web app answered");
}
