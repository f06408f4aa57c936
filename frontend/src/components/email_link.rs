//! Pages opened from a link in an email (`/verify-email?token=…`, `/reset-password?token=…`):
//! the token the link carries.
//!
//! The token is a secret of one use and the server alone judges it: the app only passes it
//! on, never shows or stores it. A link without one (cut short by a mail program, typed by
//! hand) reads as no token, which the pages treat as a link that does not work.

use serde::Deserialize;
use yew::prelude::*;
use yew_router::prelude::*;

/// The query of an email link.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
struct LinkQuery {
    token: Option<String>,
}

/// The `token` the current page was opened with; `None` when missing or blank.
#[hook]
pub fn use_link_token() -> Option<String> {
    let query = use_location()
        .and_then(|location| location.query::<LinkQuery>().ok())
        .unwrap_or_default();
    token_of(query)
}

fn token_of(query: LinkQuery) -> Option<String> {
    query
        .token
        .map(|token| token.trim().to_owned())
        .filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: Option<&str>) -> Option<String> {
        token_of(LinkQuery {
            token: text.map(str::to_owned),
        })
    }

    #[test]
    fn a_link_without_a_real_token_has_none() {
        assert_eq!(token(None), None);
        assert_eq!(token(Some("")), None);
        assert_eq!(token(Some("  ")), None);
    }

    #[test]
    fn the_token_is_passed_on_as_sent() {
        assert_eq!(token(Some("abc_DEF-123")).as_deref(), Some("abc_DEF-123"));
    }
}
