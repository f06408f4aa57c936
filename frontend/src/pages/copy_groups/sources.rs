//! What a copy group can lead from and copy to: the user's webhooks and the trading accounts of
//! the linked connections, named the way the page shows them.
//!
//! Rules: an account is named by the broker's name for it, with the user's label for the
//! connection and the broker beside it, because two paper or prop accounts often share a
//! name. Ids the lists do not hold (an account a broker cannot list just now) still read as
//! something, never as a raw id alone.

use crate::api::copy_group_operations::copy_group_sources::{
    CopyGroupSourcesBrokerConnections as Connection, ResponseData,
};
use crate::api::operations::ConnectionStatus;
use crate::components::SelectOption;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookChoice {
    pub id: String,
    pub name: String,
}

/// A trading account of one of the user's connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountChoice {
    pub id: String,
    /// The broker's name for the account (`Paper 1A2B`).
    pub name: String,
    /// The user's label for the connection (`Alpha`).
    pub connection: String,
    /// The broker's name (`Paper trading`).
    pub broker: String,
    /// Whether the connection's last check passed; copying to a failing one is paused.
    pub connected: bool,
}

impl AccountChoice {
    /// Where the account is: `Alpha · Paper trading`.
    pub fn place(&self) -> String {
        format!("{} · {}", self.connection, self.broker)
    }

    /// How a list of accounts shows it: `Alpha: Paper 1A2B (Paper trading)`.
    pub fn option_label(&self) -> String {
        let label = format!("{}: {} ({})", self.connection, self.name, self.broker);
        if self.connected {
            label
        } else {
            format!("{label}, connection failing")
        }
    }
}

/// The webhooks and accounts the user has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    pub webhooks: Vec<WebhookChoice>,
    pub accounts: Vec<AccountChoice>,
}

impl Sources {
    pub fn from_server(data: &ResponseData) -> Self {
        let broker_name = |connection: &Connection| {
            data.broker_credential_fields
                .iter()
                .find(|fields| fields.broker == connection.broker)
                .map_or_else(|| "another broker".to_owned(), |fields| fields.name.clone())
        };
        let webhooks = data
            .webhooks
            .iter()
            .map(|webhook| WebhookChoice {
                id: webhook.id.clone(),
                name: webhook.name.clone(),
            })
            .collect();
        let accounts = data
            .broker_connections
            .iter()
            .flat_map(|connection| {
                let broker = broker_name(connection);
                let connected = connection.status == ConnectionStatus::Connected;
                connection
                    .accounts
                    .iter()
                    .map(move |account| AccountChoice {
                        id: account.id.clone(),
                        name: account.name.clone(),
                        connection: connection.label.clone(),
                        broker: broker.clone(),
                        connected,
                    })
            })
            .collect();
        Self { webhooks, accounts }
    }

    pub fn is_empty(&self) -> bool {
        self.webhooks.is_empty() && self.accounts.is_empty()
    }

    pub fn webhook(&self, id: &str) -> Option<&WebhookChoice> {
        self.webhooks.iter().find(|webhook| webhook.id == id)
    }

    pub fn account(&self, id: &str) -> Option<&AccountChoice> {
        self.accounts.iter().find(|account| account.id == id)
    }

    /// The account's name, or a phrase when the lists do not hold it.
    pub fn account_name(&self, id: &str) -> String {
        self.account(id).map_or_else(
            || "An account not listed just now".to_owned(),
            |account| account.name.clone(),
        )
    }

    /// Where a group's signals come from: `Signals from webhook “TradingView ES”`, or
    /// `Mirrors Paper 1A2B (Alpha)`.
    pub fn leader_label(
        &self,
        webhook_id: Option<&str>,
        leader_account_id: Option<&str>,
    ) -> String {
        match (webhook_id, leader_account_id) {
            (Some(id), _) => match self.webhook(id) {
                Some(webhook) => format!("Signals from webhook “{}”", webhook.name),
                None => "Signals from a webhook not listed just now".to_owned(),
            },
            (None, Some(id)) => match self.account(id) {
                Some(account) => format!("Mirrors {} ({})", account.name, account.connection),
                None => "Mirrors an account not listed just now".to_owned(),
            },
            (None, None) => "No leader: edit the group to choose one".to_owned(),
        }
    }

    /// The webhooks as a select's options.
    pub fn webhook_options(&self) -> Vec<SelectOption> {
        self.webhooks
            .iter()
            .map(|webhook| SelectOption::new(&webhook.id, &webhook.name))
            .collect()
    }

    /// The accounts as a select's options, leaving out `excluded` ids.
    pub fn account_options(&self, excluded: &[&str]) -> Vec<SelectOption> {
        self.accounts
            .iter()
            .filter(|account| !excluded.contains(&account.id.as_str()))
            .map(|account| SelectOption::new(&account.id, &account.option_label()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, name: &str, connection: &str, connected: bool) -> AccountChoice {
        AccountChoice {
            id: id.to_owned(),
            name: name.to_owned(),
            connection: connection.to_owned(),
            broker: "Paper trading".to_owned(),
            connected,
        }
    }

    fn sources() -> Sources {
        Sources {
            webhooks: vec![WebhookChoice {
                id: "w1".to_owned(),
                name: "TradingView ES".to_owned(),
            }],
            accounts: vec![
                account("a1", "Paper 1A2B", "Alpha", true),
                account("a2", "Paper 9F00", "Bravo", false),
            ],
        }
    }

    #[test]
    fn a_leader_reads_as_its_webhook_or_its_account() {
        let sources = sources();
        assert_eq!(
            sources.leader_label(Some("w1"), None),
            "Signals from webhook “TradingView ES”"
        );
        assert_eq!(
            sources.leader_label(None, Some("a1")),
            "Mirrors Paper 1A2B (Alpha)"
        );
        assert_eq!(
            sources.leader_label(None, Some("gone")),
            "Mirrors an account not listed just now"
        );
    }

    #[test]
    fn accounts_are_offered_with_their_connection_and_health() {
        let options = sources().account_options(&["a1"]);
        assert_eq!(
            options,
            vec![SelectOption::new(
                "a2",
                "Bravo: Paper 9F00 (Paper trading), connection failing"
            )]
        );
        assert_eq!(sources().accounts[0].place(), "Alpha · Paper trading");
    }
}
