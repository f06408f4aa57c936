//! The login's accounts in this connection's scope (an Apex connection sees only `APEX…` ones),
//! our external id of each (Tradovate's account id as text), and their positions.

use std::sync::Arc;

use super::parse::{id, list, number, optional_bool, text};
use super::{Account, Inner};
use crate::brokers::{BrokerError, Position};

impl Inner {
    /// The login's open accounts in this connection's scope, asked anew.
    pub(super) async fn load_accounts(self: &Arc<Self>) -> Result<Vec<Account>, BrokerError> {
        let answer = self.get_found("account/list", "").await?;
        let mut accounts = Vec::new();
        for item in list(&answer, "account list")? {
            let account = Account {
                id: id(&item["id"], "account id")?,
                name: text(&item["name"], "account name")?.to_owned(),
            };
            self.book.note_account(account.id, &account.name);
            let closed = optional_bool(&item["closed"], "closed")?.unwrap_or(false);
            let archived = optional_bool(&item["archived"], "archived")?.unwrap_or(false);
            if closed || archived || !self.scope.admits(&account.name) {
                continue;
            }
            accounts.push(account);
        }
        if let Ok(mut cached) = self.accounts.lock() {
            cached.clone_from(&accounts);
        }
        Ok(accounts)
    }

    /// The account behind our external id, if this connection may trade it.
    pub(super) async fn own(self: &Arc<Self>, external_id: &str) -> Result<Account, BrokerError> {
        let unknown = || BrokerError::UnknownAccount(external_id.to_owned());
        let account_id: i64 = external_id.trim().parse().map_err(|_| unknown())?;
        let cached = self
            .accounts
            .lock()
            .ok()
            .and_then(|accounts| accounts.iter().find(|a| a.id == account_id).cloned());
        if let Some(account) = cached {
            return Ok(account);
        }
        self.load_accounts()
            .await?
            .into_iter()
            .find(|a| a.id == account_id)
            .ok_or_else(unknown)
    }

    /// Whether an account id belongs to this connection's scope (for stream events); an
    /// account not met yet is looked up once.
    pub(super) async fn admits(self: &Arc<Self>, account_id: i64) -> Result<bool, BrokerError> {
        if self.book.account_name(account_id).is_none() {
            self.load_accounts().await?;
        }
        Ok(self
            .book
            .account_name(account_id)
            .is_some_and(|name| self.scope.admits(&name)))
    }

    pub(super) async fn positions(
        self: &Arc<Self>,
        account: &Account,
    ) -> Result<Vec<(i64, i64, Position)>, BrokerError> {
        let answer = self.get_found("position/list", "").await?;
        let mut positions = Vec::new();
        for item in list(&answer, "position list")? {
            if id(&item["accountId"], "accountId")? != account.id {
                continue;
            }
            let net = number(&item["netPos"], "netPos")?;
            if net == 0.0 {
                continue;
            }
            let contract_id = id(&item["contractId"], "contractId")?;
            positions.push((
                id(&item["id"], "position id")?,
                contract_id,
                Position {
                    symbol: self.contract_name(contract_id).await?,
                    quantity: net,
                    average_price: number(&item["netPrice"], "netPrice")?,
                },
            ));
        }
        Ok(positions)
    }
}
