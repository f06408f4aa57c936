//! How API tokens read: their scopes, lifetimes and dates. Pure functions, tested on the host.

use crate::api::token_operations::ApiTokenScope;
use crate::format::{Clock, unix_millis};

/// The scopes a token can get, in the order the form offers them.
pub const SCOPES: [ApiTokenScope; 3] = [
    ApiTokenScope::Read,
    ApiTokenScope::Trade,
    ApiTokenScope::Manage,
];

pub fn scope_name(scope: ApiTokenScope) -> &'static str {
    match scope {
        ApiTokenScope::Read => "Read",
        ApiTokenScope::Trade => "Trade",
        ApiTokenScope::Manage => "Manage",
        ApiTokenScope::Unknown => "Other",
    }
}

/// What the scope lets a token do, in one line for the form.
pub fn scope_note(scope: ApiTokenScope) -> &'static str {
    match scope {
        ApiTokenScope::Read => {
            "Queries and live subscriptions: accounts, copy groups, the trade log, fills."
        }
        ApiTokenScope::Trade => "The kill switch, and turning copy groups and followers on or off.",
        ApiTokenScope::Manage => "Creating and changing webhooks, copy groups and followers.",
        ApiTokenScope::Unknown => "A scope this version of the app does not know.",
    }
}

/// `Read, Trade`: a token's scopes in the form's order, whatever order the server sent.
pub fn scopes_label(scopes: &[ApiTokenScope]) -> String {
    let mut known: Vec<&str> = SCOPES
        .iter()
        .filter(|scope| scopes.contains(scope))
        .map(|&scope| scope_name(scope))
        .collect();
    if scopes.contains(&ApiTokenScope::Unknown) {
        known.push(scope_name(ApiTokenScope::Unknown));
    }
    if known.is_empty() {
        "No scopes".to_owned()
    } else {
        known.join(", ")
    }
}

/// How long a new token lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    Month,
    Quarter,
    Year,
}

impl Lifetime {
    pub const ALL: [Self; 3] = [Self::Month, Self::Quarter, Self::Year];

    pub fn days(self) -> u32 {
        match self {
            Self::Month => 30,
            Self::Quarter => 90,
            Self::Year => 365,
        }
    }

    pub fn label(self) -> String {
        format!("{} days", self.days())
    }

    /// The expiry of a token made at `now` (milliseconds since the epoch).
    pub fn expiry_millis(self, now: f64) -> f64 {
        now + f64::from(self.days()) * 86_400_000.0
    }
}

/// `Sun 23 Nov 2025, 18:42:07 UTC`, or the text as sent when it is not RFC 3339.
pub fn moment(text: &str) -> String {
    Clock::parse(text).map_or_else(|| text.to_owned(), |clock| clock.moment_label())
}

/// When the token was last used: its moment, or `never used`.
pub fn last_used_label(last_used_at: Option<&str>) -> String {
    last_used_at.map_or_else(|| "never used".to_owned(), moment)
}

/// Whether the token's expiry is past at `now` (milliseconds since the epoch).
pub fn is_expired(expires_at: &str, now: f64) -> bool {
    // Epoch milliseconds stay far below 2^53, so the conversion is exact.
    unix_millis(expires_at).is_some_and(|expiry| expiry as f64 <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_in_the_forms_order() {
        assert_eq!(
            scopes_label(&[ApiTokenScope::Manage, ApiTokenScope::Read]),
            "Read, Manage"
        );
        assert_eq!(scopes_label(&[ApiTokenScope::Read]), "Read");
        assert_eq!(
            scopes_label(&[ApiTokenScope::Unknown, ApiTokenScope::Trade]),
            "Trade, Other"
        );
        assert_eq!(scopes_label(&[]), "No scopes");
    }

    #[test]
    fn every_offered_scope_explains_itself() {
        for scope in SCOPES {
            assert!(!scope_note(scope).is_empty());
            assert_ne!(scope_name(scope), scope_name(ApiTokenScope::Unknown));
        }
        assert!(scope_note(ApiTokenScope::Trade).contains("kill switch"));
    }

    #[test]
    fn lifetimes_are_30_90_and_365_days() {
        let days: Vec<u32> = Lifetime::ALL
            .iter()
            .map(|lifetime| lifetime.days())
            .collect();
        assert_eq!(days, [30, 90, 365]);
        assert_eq!(Lifetime::Quarter.label(), "90 days");
        // 2026-01-01T00:00:00Z plus 30 days is 2026-01-31T00:00:00Z.
        let new_year = 1_767_225_600_000.0;
        assert_eq!(Lifetime::Month.expiry_millis(new_year), 1_769_817_600_000.0);
    }

    #[test]
    fn a_token_never_used_says_so() {
        assert_eq!(last_used_label(None), "never used");
        assert_eq!(
            last_used_label(Some("2025-11-23T18:42:07Z")),
            "Sun 23 Nov 2025, 18:42:07 UTC"
        );
    }

    #[test]
    fn a_token_is_expired_from_its_expiry_on() {
        let expiry = "2026-01-31T00:00:00Z";
        assert!(!is_expired(expiry, 1_769_817_599_999.0));
        assert!(is_expired(expiry, 1_769_817_600_000.0));
        assert!(!is_expired("not a date", 1_769_817_600_000.0));
    }
}
