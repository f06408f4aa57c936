//! `GET /.well-known/security.txt` (RFC 9116): who to tell about a vulnerability in this
//! installation.
//!
//! Rules: served only when the operator set `COPYTRADE_SECURITY_CONTACT` (a file without a
//! contact is useless, so without one the path is a 404); the text is built once when the router
//! is, as `text/plain; charset=utf-8`.
//!
//! Fields:
//! - `Contact:` the operator's setting, already a `mailto:` or `https:` URI.
//! - `Expires:` one day short of a year after this server started. The contact is operator
//!   configuration read at every start, so a running server vouches for it until then; RFC 9116
//!   §2.5.5 recommends less than a year so an abandoned file goes stale, and a server left a year
//!   without a restart lets its file expire, which is that signal. (The build date would expire
//!   a current contact on an older release.)
//! - `Preferred-Languages: en`.
//! - `Canonical:` `COPYTRADE_PUBLIC_URL`'s address for this file, only when that URL is
//!   `https://`: RFC 9116 §3 has the file served over HTTPS, so an `http://` address is not it.
//! - `Policy:` the project's SECURITY.md, only when the package names its repository (Cargo's
//!   `repository` field); with no URL to point at, the field is left out.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use super::AppState;
use crate::config::{Config, SecurityContact};

/// How long after the server's start the file stays valid: under a year, as RFC 9116 recommends.
const VALID_FOR: TimeDelta = TimeDelta::days(364);

/// The route, with the file rendered for a server started at `started_at`.
pub fn route(config: &Config, started_at: DateTime<Utc>) -> MethodRouter<AppState> {
    let file: Option<Arc<str>> = config.security_contact.as_ref().map(|contact| {
        render(
            contact,
            started_at + VALID_FOR,
            &config.public_url,
            repository_policy(env!("CARGO_PKG_REPOSITORY")).as_deref(),
        )
        .into()
    });
    get(move || {
        let file = file.clone();
        async move { answer(file.as_deref()) }
    })
}

fn answer(file: Option<&str>) -> Response {
    match file {
        Some(text) => (
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            text.to_owned(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no security contact is configured for this server\n",
        )
            .into_response(),
    }
}

/// SECURITY.md in the repository the package names, if it names one on GitHub (whose file URLs
/// we know the shape of).
fn repository_policy(repository: &str) -> Option<String> {
    let repository = repository.trim().trim_end_matches('/');
    repository
        .starts_with("https://github.com/")
        .then(|| format!("{repository}/blob/HEAD/SECURITY.md"))
}

fn render(
    contact: &SecurityContact,
    expires: DateTime<Utc>,
    public_url: &str,
    policy: Option<&str>,
) -> String {
    let mut text = format!(
        "Contact: {}\nExpires: {}\nPreferred-Languages: en\n",
        contact.as_str(),
        expires.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    if public_url.starts_with("https://") {
        text.push_str(&format!(
            "Canonical: {}/.well-known/security.txt\n",
            public_url.trim_end_matches('/')
        ));
    }
    if let Some(policy) = policy {
        text.push_str(&format!("Policy: {policy}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact() -> SecurityContact {
        SecurityContact::parse("security@example.com").unwrap()
    }

    fn started() -> DateTime<Utc> {
        "2025-03-01T12:34:56.789Z".parse().unwrap()
    }

    #[test]
    fn the_file_carries_contact_expiry_and_language_in_rfc_9116_form() {
        let text = render(
            &contact(),
            started() + VALID_FOR,
            "http://127.0.0.1:8080",
            None,
        );
        assert_eq!(
            text,
            "Contact: mailto:security@example.com\nExpires: 2026-02-28T12:34:56Z\nPreferred-Languages: en\n"
        );
    }

    #[test]
    fn canonical_is_given_only_for_an_https_public_url() {
        let text = render(&contact(), started(), "https://copy.example.com", None);
        assert!(
            text.ends_with("Canonical: https://copy.example.com/.well-known/security.txt\n"),
            "{text}"
        );
    }

    #[test]
    fn policy_points_at_security_md_only_when_a_github_repository_is_named() {
        assert_eq!(repository_policy(""), None);
        assert_eq!(repository_policy("https://gitlab.example/x"), None);
        let policy = repository_policy("https://github.com/owner/copytrade/").unwrap();
        assert_eq!(
            policy,
            "https://github.com/owner/copytrade/blob/HEAD/SECURITY.md"
        );
        let text = render(&contact(), started(), "http://x", Some(&policy));
        assert!(text.ends_with(&format!("Policy: {policy}\n")), "{text}");
    }

    #[test]
    fn the_expiry_is_less_than_a_year_after_the_start() {
        let expires = started() + VALID_FOR;
        assert!(expires < "2026-03-01T12:34:56Z".parse::<DateTime<Utc>>().unwrap());
        // A leap year too: 364 days never reach the same date a year on.
        let leap: DateTime<Utc> = "2027-03-01T00:00:00Z".parse().unwrap();
        assert!(leap + VALID_FOR < "2028-03-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }
}
