//! What the operator (and each connection) sets: which accounts a connection trades, and the two
//! behaviours the sources disagree on: the unit of bracket offsets in order strategies and the
//! body of `user/syncrequest`.

use crate::config::ConfigError;

/// Which of the login's accounts a connection trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// A Tradovate connection: every open account.
    #[default]
    All,
    /// An Apex connection: only the accounts named `APEX…`.
    Apex,
}

impl Scope {
    pub fn admits(self, account_name: &str) -> bool {
        match self {
            Self::All => true,
            Self::Apex => account_name
                .get(..4)
                .is_some_and(|head| head.eq_ignore_ascii_case("APEX")),
        }
    }
}

/// The unit of `profitTarget`/`stopLoss` in an order strategy's brackets (unverified: the docs
/// say "signed offsets from the entry" without a unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BracketUnit {
    /// Price points (`ES` 2.5 = 10 ticks).
    #[default]
    Points,
    Ticks,
}

/// The body of `user/syncrequest` (unverified: the official example and the partner guide
/// differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncForm {
    /// `{"users":[userId]}`, the official example.
    #[default]
    Users,
    /// `{"accounts":[ids], "entityTypes":[...]}`, the partner guide's form.
    Accounts,
}

/// Operator settings, from `COPYTRADE_TRADOVATE_BRACKET_UNIT` (`points` or `ticks`) and
/// `COPYTRADE_TRADOVATE_SYNC` (`users` or `accounts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TradovateSettings {
    pub bracket_unit: BracketUnit,
    pub sync_form: SyncForm,
}

impl TradovateSettings {
    /// From the operator's settings; a value that cannot be read stops the server at start
    /// (never a default in its place).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |var: &str| lookup(var).map(|v| v.trim().to_ascii_lowercase());
        let bracket_unit = match read("COPYTRADE_TRADOVATE_BRACKET_UNIT").as_deref() {
            None | Some("" | "points") => BracketUnit::Points,
            Some("ticks") => BracketUnit::Ticks,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    var: "COPYTRADE_TRADOVATE_BRACKET_UNIT",
                    why: format!("`{other}` is neither points nor ticks"),
                });
            }
        };
        let sync_form = match read("COPYTRADE_TRADOVATE_SYNC").as_deref() {
            None | Some("" | "users") => SyncForm::Users,
            Some("accounts") => SyncForm::Accounts,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    var: "COPYTRADE_TRADOVATE_SYNC",
                    why: format!("`{other}` is neither users nor accounts"),
                });
            }
        };
        Ok(Self {
            bracket_unit,
            sync_form,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apex_connections_see_only_apex_accounts() {
        assert!(Scope::Apex.admits("APEX-123456-01"));
        assert!(Scope::Apex.admits("apex_77"));
        assert!(!Scope::Apex.admits("DEMO123456"));
        assert!(!Scope::Apex.admits("AP"));
        assert!(Scope::All.admits("DEMO123456"));
    }

    #[test]
    fn settings_default_to_points_and_the_users_form() {
        assert_eq!(
            TradovateSettings::from_lookup(|_| None).unwrap(),
            TradovateSettings::default()
        );
        let set = TradovateSettings::from_lookup(|var| {
            Some(
                if var.ends_with("UNIT") {
                    "Ticks"
                } else {
                    "accounts"
                }
                .to_owned(),
            )
        })
        .unwrap();
        assert_eq!(
            (set.bracket_unit, set.sync_form),
            (BracketUnit::Ticks, SyncForm::Accounts)
        );
        assert!(TradovateSettings::from_lookup(|_| Some("lots".into())).is_err());
    }
}
