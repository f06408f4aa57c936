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
