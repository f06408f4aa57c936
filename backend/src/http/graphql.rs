//! GraphQL over HTTP (`POST /graphql`) and GraphiQL (`GET /graphql`); subscriptions are in
//! `live.rs`.
//!
//! Rules (SEC-19): only `POST` with a JSON body executes, so a browser cannot send a query
//! cross-site without a CORS preflight; a `GET` never executes anything; one operation per
//! request (no batches), so per-call limits cannot be multiplied; answers are never cached.
//! A body that is not a request is refused with our own words for what is wrong, never the
//! parser's message (it quotes the input back). GraphiQL's files come from a CDN, each pinned by
//! its Subresource Integrity hash.

use std::sync::LazyLock;

use axum::Json;

use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::AppState;
use super::client::{is_https, request_meta};
use crate::auth::AuthError;
use crate::graphql::error::{code, internal};
use crate::graphql::request::{RequestContext, session_token};

pub async fn execute(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    if !is_json(&headers) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the query as JSON with `Content-Type: application/json`",
        );
    }
    // The body limit layer has already capped the size.
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is too large",
            );
        }
    };
    let request = match parse_request(&body) {
        Ok(request) => request,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, message),
    };
    let meta = request_meta(&state, &headers, &parts.extensions);
    let https = is_https(&state, &headers, &parts.extensions);
    // Every request with a token costs one read: the token's version must still be current.
    let caller = match session_token(&headers, https) {
        Some(token) => match state.auth.authenticate_caller(&token).await {
            Ok(caller) => Some(caller),
            Err(AuthError::Internal(detail)) => {
                let response = async_graphql::Response::from_errors(vec![
                    internal(&detail).into_server_error(Default::default()),
                ]);
                return ([(CACHE_CONTROL, "no-store")], Json(response)).into_response();
            }
            // An expired or revoked token is simply no session: public fields still work.
            Err(_) => None,
        },
        None => None,
    };
    let response = state
        .schema
        .execute(request.data(RequestContext {
            meta,
            caller,
            https,
            now: state.auth.current_time(),
        }))
        .await;
    let mut answer = ([(CACHE_CONTROL, "no-store")], Json(&response)).into_response();
    for (name, value) in response.http_headers.iter() {
        answer.headers_mut().append(name, value.clone());
    }
    answer
}

const BATCH: &str = "batched requests are not supported: send one operation per request";
const EMPTY: &str = "the body is empty: send a JSON object with the GraphQL document in `query`";
const NOT_JSON: &str =
    "the body is not valid JSON: send a JSON object with the GraphQL document in `query`";
const NOT_AN_OBJECT: &str = "the body must be a JSON object with the GraphQL document in `query`";
const NO_QUERY: &str = "the body has no GraphQL document: put it in `query` as a string";
const QUERY_NOT_TEXT: &str = "`query` must be a string holding the GraphQL document";
const OPERATION_NAME_NOT_TEXT: &str = "`operationName` must be a string or null";
const VARIABLES_NOT_AN_OBJECT: &str =
    "`variables` must be a JSON object of variable names and their values, or null";
const EXTENSIONS_NOT_AN_OBJECT: &str = "`extensions` must be a JSON object";
const NOT_A_REQUEST: &str = "the body is not a GraphQL request: send a JSON object with `query` \
     and, if needed, `operationName`, `variables` and `extensions`";

/// Reads one GraphQL request, or says in our words what is wrong with the body. Never serde's
/// message: it quotes pieces of the input back (a password sent in the wrong field would land
/// in the answer) and names our parser's types.
fn parse_request(body: &[u8]) -> Result<async_graphql::Request, &'static str> {
    match serde_json::from_slice::<async_graphql::Request>(body) {
        Ok(request) if request.query.trim().is_empty() => Err(NO_QUERY),
        Ok(request) => Ok(request),
        Err(err) => {
            // Where and what kind, never the message: it may quote the input.
            tracing::debug!(
                line = err.line(),
                column = err.column(),
                kind = ?err.classify(),
                "refused a malformed GraphQL request"
            );
            Err(describe_malformed(body))
        }
    }
}

/// Names the first part of a body serde refused that is not the shape of a request.
fn describe_malformed(body: &[u8]) -> &'static str {
    use serde_json::Value;
    if body.iter().all(u8::is_ascii_whitespace) {
        return EMPTY;
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return NOT_JSON;
    };
    let fields = match value {
        Value::Object(fields) => fields,
        Value::Array(_) => return BATCH,
        _ => return NOT_AN_OBJECT,
    };
    let field = |name: &str| fields.get(name).filter(|value| !value.is_null());
    match field("query") {
        None => return NO_QUERY,
        Some(Value::String(_)) => {}
        Some(_) => return QUERY_NOT_TEXT,
    }
    if field("operationName").is_some_and(|name| !name.is_string()) {
        return OPERATION_NAME_NOT_TEXT;
    }
    if field("variables").is_some_and(|variables| !variables.is_object()) {
        return VARIABLES_NOT_AN_OBJECT;
    }
    if field("extensions").is_some_and(|extensions| !extensions.is_object()) {
        return EXTENSIONS_NOT_AN_OBJECT;
    }
    NOT_A_REQUEST
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// A request error in the GraphQL response shape, so clients parse one format.
fn refuse(status: StatusCode, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code::BAD_REQUEST } }] });
    (status, [(CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// GraphiQL, loaded from a public CDN (the API is public; the app itself loads nothing external).
const GRAPHIQL_SCRIPT: &str = r#"
const wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';
const fetcher = GraphiQL.createFetcher({
  url: location.origin + '/graphql',
  wsClient: graphqlWs.createClient({ url: wsUrl }),
});
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }),
);
"#;

const CDN: &str = "https://unpkg.com";

/// A file GraphiQL loads from the CDN, pinned by its Subresource Integrity hash: the browser
/// refuses a file that differs (a compromised CDN or a republished package) instead of running
/// it on our origin, where it could read the session.
struct CdnFile {
    stylesheet: bool,
    /// `name@version/path` on unpkg, which serves the npm tarball's files byte for byte.
    path: &'static str,
    /// base64 of the file's SHA-384.
    sha384: &'static str,
}

/// Every file the page loads. To change a version, recompute its hash from the npm package
/// (`npm pack` checks each tarball against the registry's own sha512):
///
/// ```text
/// cd "$(mktemp -d)"
/// npm pack react@18.3.1 react-dom@18.3.1 graphql-ws@5.16.0 graphiql@3.8.3
/// for t in *.tgz; do mkdir "${t%.tgz}" && tar -xzf "$t" -C "${t%.tgz}"; done
/// openssl dgst -sha384 -binary react-18.3.1/package/umd/react.production.min.js | openssl base64 -A
/// ```
///
/// and likewise for each path below (`react@18.3.1/umd/x.js` is `react-18.3.1/package/umd/x.js`).
const GRAPHIQL_FILES: [CdnFile; 5] = [
    CdnFile {
        stylesheet: true,
        path: "graphiql@3.8.3/graphiql.min.css",
        sha384: "Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    },
    CdnFile {
        stylesheet: false,
        path: "react@18.3.1/umd/react.production.min.js",
        sha384: "DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
    },
    CdnFile {
        stylesheet: false,
        path: "react-dom@18.3.1/umd/react-dom.production.min.js",
        sha384: "gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
    },
    CdnFile {
        stylesheet: false,
        path: "graphql-ws@5.16.0/umd/graphql-ws.min.js",
        sha384: "oEPbisbEBMo7iCrbQcKx244HXUjGnF1jyS8hkVZ3oCwnw9c9oLfY70c1RKeKj3+i",
    },
    CdnFile {
        stylesheet: false,
        path: "graphiql@3.8.3/graphiql.min.js",
        sha384: "HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    },
];

/// The tags loading the stylesheets (or the scripts), in order. SRI on a cross-origin file needs
/// a CORS request, hence `crossorigin="anonymous"` (which also sends the CDN no cookies).
fn cdn_tags(stylesheets: bool) -> String {
    GRAPHIQL_FILES
        .iter()
        .filter(|file| file.stylesheet == stylesheets)
        .map(|file| {
            let (path, sha384) = (file.path, file.sha384);
            let pinned = format!(r#"integrity="sha384-{sha384}" crossorigin="anonymous""#);
            if file.stylesheet {
                format!(r#"<link rel="stylesheet" href="{CDN}/{path}" {pinned}>"#)
            } else {
                format!(r#"<script src="{CDN}/{path}" {pinned}></script>"#)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

static GRAPHIQL_PAGE: LazyLock<(String, String)> = LazyLock::new(|| {
    let script_hash = BASE64.encode(Sha256::digest(GRAPHIQL_SCRIPT.as_bytes()).as_slice());
    let (styles, scripts) = (cdn_tags(true), cdn_tags(false));
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CopyTrade GraphQL API</title>
{styles}
</head>
<body>
<div id="graphiql">Loading GraphiQL from {CDN}&hellip;</div>
{scripts}
<script>{GRAPHIQL_SCRIPT}</script>
</body>
</html>"#
    );
    // Scripts: exactly the pinned files and the one hashed inline script. GraphiQL styles itself
    // inline, so styles allow the CDN and inline ones.
    let script_urls: Vec<String> = GRAPHIQL_FILES
        .iter()
        .filter(|file| !file.stylesheet)
        .map(|file| format!("{CDN}/{}", file.path))
        .collect();
    let script_urls = script_urls.join(" ");
    let csp = format!(
        "default-src 'none'; script-src {script_urls} 'sha256-{script_hash}'; \
         style-src {CDN} 'unsafe-inline'; font-src {CDN} data:; img-src 'self' data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    (html, csp)
});

pub async fn graphiql() -> Response {
    let (html, csp) = &*GRAPHIQL_PAGE;
    (
        [
            (CONTENT_SECURITY_POLICY, csp.as_str()),
            (CACHE_CONTROL, "no-cache"),
        ],
        Html(html.as_str()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `<script …>` and `<link …>` tag in `html`, as written.
    fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
        let open = format!("<{name}");
        html.match_indices(&open)
            .filter_map(|(start, _)| {
                html[start..]
                    .find('>')
                    .map(|end| &html[start..=start + end])
            })
            .collect()
    }

    fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
        let key = format!(" {name}=\"");
        let start = tag.find(&key)? + key.len();
        tag[start..].find('"').map(|end| &tag[start..start + end])
    }

    #[test]
    fn every_external_file_graphiql_loads_carries_an_integrity_hash() {
        let (html, _) = &*GRAPHIQL_PAGE;
        let mut external = 0;
        for tag in tags(html, "script").into_iter().chain(tags(html, "link")) {
            let Some(url) = attribute(tag, "src").or_else(|| attribute(tag, "href")) else {
                continue;
            };
            external += 1;
            let integrity = attribute(tag, "integrity")
                .unwrap_or_else(|| panic!("no integrity attribute on {tag}"));
            let hash = integrity
                .strip_prefix("sha384-")
                .unwrap_or_else(|| panic!("not a sha384 hash on {url}: {integrity}"));
            assert_eq!(
                BASE64.decode(hash).map(|bytes| bytes.len()),
                Ok(48),
                "{url}: {hash} is not a SHA-384 digest"
            );
            assert_eq!(attribute(tag, "crossorigin"), Some("anonymous"), "{tag}");
        }
        assert_eq!(external, GRAPHIQL_FILES.len(), "{html}");
    }

    #[test]
    fn scripts_may_come_only_from_the_pinned_files_and_the_hashed_inline_script() {
        let (html, csp) = &*GRAPHIQL_PAGE;
        let script_src = csp
            .split(';')
            .find_map(|directive| directive.trim().strip_prefix("script-src "))
            .unwrap();
        assert!(!script_src.split(' ').any(|source| source == CDN), "{csp}");
        for tag in tags(html, "script") {
            if let Some(url) = attribute(tag, "src") {
                assert!(
                    script_src.split(' ').any(|source| source == url),
                    "{url}: {csp}"
                );
            }
        }
    }

    #[test]
    fn a_body_that_is_not_a_request_is_described_without_echoing_it() {
        const MARKER: &str = "ECHO-CANARY-42";
        for (body, expected) in [
            (String::new(), EMPTY),
            ("  \n".to_owned(), EMPTY),
            (format!("{{\"query\": \"{MARKER}"), NOT_JSON),
            (format!("query {{ {MARKER} }}"), NOT_JSON),
            (format!("[{{\"query\":\"{{ a }}\"}}, \"{MARKER}\"]"), BATCH),
            (format!("\"{MARKER}\""), NOT_AN_OBJECT),
            ("{}".to_owned(), NO_QUERY),
            (r#"{"query": "  "}"#.to_owned(), NO_QUERY),
            (
                format!("{{\"variables\": {{\"p\": \"{MARKER}\"}}}}"),
                NO_QUERY,
            ),
            (format!("{{\"query\": [\"{MARKER}\"]}}"), QUERY_NOT_TEXT),
            (
                r#"{"query": "{ a }", "operationName": 7}"#.to_owned(),
                OPERATION_NAME_NOT_TEXT,
            ),
            (
                format!("{{\"query\": \"{{ a }}\", \"variables\": \"{MARKER}\"}}"),
                VARIABLES_NOT_AN_OBJECT,
            ),
            (
                r#"{"query": "{ a }", "variables": [1]}"#.to_owned(),
                VARIABLES_NOT_AN_OBJECT,
            ),
            (
                format!("{{\"query\": \"{{ a }}\", \"extensions\": \"{MARKER}\"}}"),
                EXTENSIONS_NOT_AN_OBJECT,
            ),
        ] {
            let Err(message) = parse_request(body.as_bytes()) else {
                panic!("accepted {body}");
            };
            assert_eq!(message, expected, "{body}");
            assert!(!message.contains(MARKER));
        }
    }

    #[test]
    fn a_well_formed_request_is_read_whole() {
        let request = parse_request(
            br#"{"query": "query Q($n: Int) { a(n: $n) }", "operationName": "Q", "variables": {"n": 3}, "extensions": {}}"#,
        )
        .unwrap();
        assert_eq!(request.operation_name.as_deref(), Some("Q"));
        assert_eq!(request.variables.into_value().to_string(), "{n: 3}");
        for nulls in [
            r#"{"query": "{ a }", "variables": null}"#,
            r#"{"query": "{ a }", "operationName": null}"#,
        ] {
            assert!(parse_request(nulls.as_bytes()).is_ok(), "{nulls}");
        }
    }
}
