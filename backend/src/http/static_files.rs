//! The web app: Trunk's output folder, served with a single-page-app fallback.
//!
//! Rules: a path whose last segment has no dot is a client route and gets `index.html` (so deep
//! links work); a missing file is a 404, never the app. Hashed assets (`name-<16 hex>.ext`) are
//! cached for a year; `index.html` is never cached, so a new release is picked up at once. The
//! document's Content-Security-Policy allows Trunk's inline bootstrap script by its SHA-256 hash,
//! recomputed from the file served, and no other inline script.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use super::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// The folder holding the built web app.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    dir: PathBuf,
}

impl StaticFiles {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the web app has been built into this folder.
    pub fn is_built(&self) -> bool {
        self.dir.join("index.html").is_file()
    }
}

pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return StatusCode::NOT_FOUND.into_response();
    }
    let files = &state.static_files;
    let name = request.uri().path().rsplit('/').next().unwrap_or_default();
    if name.is_empty() || name == "index.html" || !name.contains('.') {
        return index(files).await;
    }
    let hashed = is_hashed_asset(name);
    let service = ServeDir::new(&files.dir).precompressed_gzip();
    let mut response = match service.oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    if response.status().is_success() {
        let cache = if hashed { IMMUTABLE } else { REVALIDATE };
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    response
}

async fn index(files: &StaticFiles) -> Response {
    let path = files.dir.join("index.html");
    let html = match tokio::fs::read_to_string(&path).await {
        Ok(html) => html,
        Err(err) => {
            tracing::error!(path = %path.display(), error = %err, "the web app is not built");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(CACHE_CONTROL, REVALIDATE)],
                "The CopyTrade web app has not been built. Run `trunk build --release` in the \
                 repository (or use the README's first command), or point COPYTRADE_STATIC_DIR \
                 at the built folder.\n",
            )
                .into_response();
        }
    };
    let csp = app_csp(&inline_script_hashes(&html));
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    match HeaderValue::from_str(&csp) {
        Ok(value) => {
            headers.insert(CONTENT_SECURITY_POLICY, value);
        }
        Err(err) => tracing::error!(error = %err, "cannot build the web app's CSP header"),
    }
    response
}

/// The web app's policy: its own files, WebAssembly compilation, and the listed inline scripts.
fn app_csp(script_hashes: &[String]) -> String {
    let hashes: String = script_hashes
        .iter()
        .map(|hash| format!(" '{hash}'"))
        .collect();
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; \
         base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// `sha256-…` sources for every inline `<script>` (one without `src`) in the document.
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after_tag_name = &rest[start + "<script".len()..];
        let Some(tag_end) = after_tag_name.find('>') else {
            break;
        };
        let attributes = &after_tag_name[..tag_end];
        let body_and_rest = &after_tag_name[tag_end + 1..];
        let Some(close) = body_and_rest.find("</script>") else {
            break;
        };
        let body = &body_and_rest[..close];
        if !attributes.contains("src=") && !body.is_empty() {
            let digest = Sha256::digest(body.as_bytes());
            hashes.push(format!("sha256-{}", BASE64.encode(digest.as_slice())));
        }
        rest = &body_and_rest[close..];
    }
    hashes
}

/// Trunk names built assets `name-<16 hex digits>[_bg].ext`: their content never changes.
fn is_hashed_asset(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_hashed_names_are_recognised() {
        assert!(is_hashed_asset("frontend-4d1c6b0f2a9e8d7c_bg.wasm"));
        assert!(is_hashed_asset("frontend-4d1c6b0f2a9e8d7c.js"));
        assert!(is_hashed_asset("styles-0123456789abcdef.css"));
        assert!(!is_hashed_asset("favicon.svg"));
        assert!(!is_hashed_asset("index.html"));
        assert!(!is_hashed_asset("my-file.js"));
    }

    #[test]
    fn only_inline_scripts_are_hashed() {
        let html = r#"<script src="/a.js"></script><script type="module">init()</script>"#;
        let expected = BASE64.encode(Sha256::digest(b"init()").as_slice());
        assert_eq!(
            inline_script_hashes(html),
            vec![format!("sha256-{expected}")]
        );
    }

    #[test]
    fn the_app_policy_allows_wasm_but_no_inline_styles_or_eval() {
        let csp = app_csp(&["sha256-abc".to_owned()]);
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc';"),
            "{csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"),
            "{csp}"
        );
    }
}
