//! The GraphQL endpoint: what it answers, and what it refuses (SEC-19).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

use crate::support::{Backend, TestApp, on_both_databases};

on_both_databases!(server_info_reports_the_version_and_the_database);

async fn server_info_reports_the_version_and_the_database(backend: Backend) {
    let app = TestApp::new(backend).await;
    let answer = app
        .gql("{ serverInfo { version database } }", json!({}))
        .await;
    let expected_database = match backend {
        Backend::Sqlite => "SQLITE",
        Backend::Postgres => "POSTGRES",
    };
    assert_eq!(
        answer,
        json!({ "data": { "serverInfo": { "version": env!("CARGO_PKG_VERSION"), "database": expected_database } } })
    );
}

fn post(content_type: &str, body: &str) -> Request<Body> {
    Request::post("/graphql")
        .header("content-type", content_type)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_a_browser_could_send_cross_site_are_refused() {
    let app = TestApp::new(Backend::Sqlite).await;
    let query = r#"{"query":"{ serverInfo { version } }"}"#;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = app.request(post(content_type, query)).await;
        assert_eq!(
            response.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert_eq!(
            response.json()["errors"][0]["extensions"]["code"],
            "BAD_REQUEST"
        );
    }
    let response = app
        .request(post("application/json; charset=utf-8", query))
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("cache-control"), "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_request_never_executes_a_query() {
    let app = TestApp::new(Backend::Sqlite).await;
    let response = app
        .get("/graphql?query=%7BserverInfo%7Bversion%7D%7D")
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.header("content-type").starts_with("text/html"));
    assert!(response.text().contains("GraphiQL"));
    assert!(
        !response.text().contains(env!("CARGO_PKG_VERSION")),
        "the query ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_can_be_turned_off() {
    let app = TestApp::with_env(Backend::Sqlite, &[("COPYTRADE_GRAPHIQL", "false")]).await;
    assert_eq!(
        app.get("/graphql").await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    let answer = app
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    // async-graphql answers a disabled introspection field with null rather than an error.
    assert_eq!(answer, json!({ "data": { "__schema": null } }));
    let answer = app.gql("{ serverInfo { version } }", json!({})).await;
    assert_eq!(
        answer["data"]["serverInfo"]["version"],
        env!("CARGO_PKG_VERSION")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_requests_are_refused() {
    let app = TestApp::new(Backend::Sqlite).await;
    let batch =
        r#"[{"query":"{ serverInfo { version } }"},{"query":"{ serverInfo { version } }"}]"#;
    let response = app.request(post("application/json", batch)).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .contains("batched requests are not supported"),
        "{}",
        response.text()
    );
}

/// A client that sends a broken body learns what is wrong in plain words, and nothing it sent
/// (a password put in the wrong place, say) comes back in the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_get_a_clear_error_that_echoes_nothing() {
    const SECRET: &str = "hunter2-ECHO-CANARY";
    let app = TestApp::new(Backend::Sqlite).await;
    for (body, expected) in [
        (
            "".to_owned(),
            "the body is empty: send a JSON object with the GraphQL document in `query`",
        ),
        (
            format!(r#"{{"query": "mutation {{ login(password: \"{SECRET}\") "#),
            "the body is not valid JSON: send a JSON object with the GraphQL document in `query`",
        ),
        (
            format!(r#""{SECRET}""#),
            "the body must be a JSON object with the GraphQL document in `query`",
        ),
        (
            format!(r#"{{"variables": {{"password": "{SECRET}"}}}}"#),
            "the body has no GraphQL document: put it in `query` as a string",
        ),
        (
            format!(r#"{{"query": {{"password": "{SECRET}"}}}}"#),
            "`query` must be a string holding the GraphQL document",
        ),
        (
            format!(r#"{{"query": "{{ serverInfo {{ version }} }}", "variables": "{SECRET}"}}"#),
            "`variables` must be a JSON object of variable names and their values, or null",
        ),
        (
            format!(
                r#"{{"query": "{{ serverInfo {{ version }} }}", "operationName": ["{SECRET}"]}}"#
            ),
            "`operationName` must be a string or null",
        ),
    ] {
        let response = app.request(post("application/json", &body)).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        let answer = response.json();
        assert_eq!(
            answer,
            json!({ "errors": [{ "message": expected, "extensions": { "code": "BAD_REQUEST" } }] }),
            "{body}"
        );
        assert!(!response.text().contains(SECRET), "{}", response.text());
        assert!(
            !response.text().contains("line 1 column"),
            "{}",
            response.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_nested_too_deep_are_refused() {
    let app = TestApp::new(Backend::Sqlite).await;
    let deep = format!(
        "{}{}",
        "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name ",
        "} } } } } } } } } } } } } }"
    );
    let answer = app.gql(&deep, json!({})).await;
    assert_eq!(
        answer["errors"][0]["message"], "Query is nested too deep.",
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_over_the_limit_are_refused() {
    let app = TestApp::new(Backend::Sqlite).await;
    let padding = "x".repeat(1024 * 1024);
    let body = format!(
        r#"{{"query":"{{ serverInfo {{ version }} }}","extensions":{{"pad":"{padding}"}}}}"#
    );
    let response = app.request(post("application/json", &body)).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
}

fn from_ip(ip: [u8; 4]) -> Request<Body> {
    let mut request = post(
        "application/json",
        r#"{"query":"{ serverInfo { version } }"}"#,
    );
    let peer = std::net::SocketAddr::from((ip, 50000));
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_429_past_a_clients_burst_and_other_clients_go_on() {
    let app = TestApp::with_env(
        Backend::Sqlite,
        &[("COPYTRADE_API_RATE", "1"), ("COPYTRADE_API_BURST", "3")],
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.request(from_ip([198, 51, 100, 1])).await.status,
            StatusCode::OK
        );
    }
    let limited = app.request(from_ip([198, 51, 100, 1])).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.header("retry-after").parse().unwrap();
    assert!(wait <= 1, "{wait}");
    assert_eq!(
        app.request(from_ip([198, 51, 100, 2])).await.status,
        StatusCode::OK
    );
    // Probes and the web app are outside the API limit.
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
}
