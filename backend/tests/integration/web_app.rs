//! The web app as a browser gets it: deep links, caching, and the security headers (SEC-20).

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use crate::support::{Backend, TEST_INDEX_HTML, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_links_load_the_app_uncached() {
    let app = TestApp::new(Backend::Sqlite).await;
    for path in ["/", "/index.html", "/trade-log", "/accounts/123/settings"] {
        let response = app.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(response.text(), TEST_INDEX_HTML, "{path}");
        assert_eq!(response.header("cache-control"), "no-cache", "{path}");
        assert!(
            response.header("content-type").starts_with("text/html"),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_policy_allows_webassembly_and_only_the_bootstrap_script() {
    let app = TestApp::new(Backend::Sqlite).await;
    let csp = app
        .get("/")
        .await
        .header("content-security-policy")
        .to_owned();
    let bootstrap = "import init from '/frontend-0123456789abcdef.js'; await init();";
    let hash = BASE64.encode(Sha256::digest(bootstrap.as_bytes()).as_slice());
    assert!(
        csp.contains(&format!(
            "script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}';"
        )),
        "{csp}"
    );
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("style-src 'self';"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_assets_are_cached_for_a_year_and_other_files_revalidate() {
    let app = TestApp::new(Backend::Sqlite).await;
    let asset = app.get("/frontend-0123456789abcdef.js").await;
    assert_eq!(asset.status, StatusCode::OK);
    assert_eq!(
        asset.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(asset.header("content-type").contains("javascript"));
    let icon = app.get("/favicon.svg").await;
    assert_eq!(
        (icon.status, icon.header("cache-control")),
        (StatusCode::OK, "no-cache")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_is_not_found_rather_than_the_app() {
    let app = TestApp::new(Backend::Sqlite).await;
    for path in [
        "/frontend-ffffffffffffffff.js",
        "/missing.css",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
    ] {
        let response = app.get(path).await;
        assert!(
            response.status == StatusCode::NOT_FOUND || response.status == StatusCode::BAD_REQUEST,
            "{path}: {}",
            response.status
        );
        assert_ne!(response.text(), TEST_INDEX_HTML, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::new(Backend::Sqlite).await;
    for path in [
        "/",
        "/healthz",
        "/graphql",
        "/frontend-0123456789abcdef.js",
        "/missing.css",
    ] {
        let response = app.get(path).await;
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            ("cross-origin-opener-policy", "same-origin"),
            ("cross-origin-resource-policy", "same-origin"),
        ] {
            assert_eq!(response.header(name), value, "{path}");
        }
        assert!(
            response.header("permissions-policy").contains("camera=()"),
            "{path}"
        );
        assert!(
            response
                .header("content-security-policy")
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
    let api = app.get("/healthz").await;
    assert!(
        api.header("content-security-policy")
            .starts_with("default-src 'none'")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unbuilt_web_app_says_how_to_build_it() {
    let app = TestApp::with_env(
        Backend::Sqlite,
        &[("COPYTRADE_STATIC_DIR", "/nonexistent/dist")],
    )
    .await;
    let response = app.get("/dashboard").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        response.text().contains("trunk build --release"),
        "{}",
        response.text()
    );
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
}
