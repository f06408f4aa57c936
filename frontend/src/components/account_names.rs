//! The names of the user's trading accounts, for views that get only an account's id (a
//! fill, a copied order, a kill switch failure).
//!
//! Rules: an id that is not (or no longer) among the linked accounts reads "Unlinked account",
//! and an order with no account at all (its account was unlinked since) reads the same, so a
//! row never shows a bare id.

use yew::prelude::*;

use crate::api::hooks::{Remote, use_query};
use crate::api::trading_operations::{AccountNames as AccountNamesQuery, account_names};

/// Shown for an account that is not linked (any more).
pub const UNLINKED_ACCOUNT: &str = "Unlinked account";

/// Trading account ids with their names and the label of their connection.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountNames {
    accounts: Vec<NamedAccount>,
}

/// One trading account, as pickers and tables name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedAccount {
    pub id: String,
    /// The broker's name for it (`Paper 7F3A`).
    pub name: String,
    /// The label the user gave its connection (`Practice`).
    pub connection: String,
}

impl AccountNames {
    pub fn from_server(data: &account_names::ResponseData) -> Self {
        let accounts = data
            .broker_connections
            .iter()
            .flat_map(|connection| {
                connection.accounts.iter().map(|account| NamedAccount {
                    id: account.id.clone(),
                    name: account.name.clone(),
                    connection: connection.label.clone(),
                })
            })
            .collect();
        Self { accounts }
    }

    /// The account's name, or [`UNLINKED_ACCOUNT`].
    pub fn name(&self, id: Option<&str>) -> String {
        id.and_then(|id| self.accounts.iter().find(|account| account.id == id))
            .map_or_else(
                || UNLINKED_ACCOUNT.to_owned(),
                |account| account.name.clone(),
            )
    }

    /// Every account, in the server's order (connections oldest first).
    pub fn accounts(&self) -> &[NamedAccount] {
        &self.accounts
    }
}

/// The user's account names, loaded once per mounted view; `refetch` asks again (after an
/// account was linked elsewhere, a name may be missing).
#[hook]
pub fn use_account_names() -> (Remote<AccountNames>, Callback<()>) {
    let query = use_query::<AccountNamesQuery>(account_names::Variables);
    let names = match query.state() {
        Remote::Loading => Remote::Loading,
        Remote::Ready(data) => Remote::Ready(AccountNames::from_server(data)),
        Remote::Failed(error) => Remote::Failed(error.clone()),
    };
    (names, query.refetch())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> AccountNames {
        let data: account_names::ResponseData = serde_json::from_str(
            r#"{"brokerConnections":[
                {"id":"c1","label":"Practice","accounts":[{"id":"a1","name":"Paper 1"},{"id":"a2","name":"Paper 2"}]},
                {"id":"c2","label":"Tradovate","accounts":[{"id":"a3","name":"DEMO123"}]}
            ]}"#,
        )
        .expect("test JSON matches the operation");
        AccountNames::from_server(&data)
    }

    #[test]
    fn accounts_of_every_connection_are_named() {
        let names = names();
        assert_eq!(names.name(Some("a2")), "Paper 2");
        assert_eq!(names.name(Some("a3")), "DEMO123");
        assert_eq!(names.accounts().len(), 3);
        assert_eq!(names.accounts()[2].connection, "Tradovate");
    }

    #[test]
    fn unknown_or_missing_accounts_read_unlinked() {
        let names = names();
        assert_eq!(names.name(Some("gone")), UNLINKED_ACCOUNT);
        assert_eq!(names.name(None), UNLINKED_ACCOUNT);
    }
}
