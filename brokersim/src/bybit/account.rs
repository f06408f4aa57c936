//! The key and its account: `/v5/user/query-api` reports whatever permissions a test set
//! (SEC-14), whether those permissions allow trading, and `/v5/account/wallet-balance` for the
//! key's UNIFIED account.

use serde_json::{Value, json};

use super::envelope::{Params, Reply, bad};
use super::numbers::fmt_num;
use super::state::{Account, Key};

impl Key {
    pub(super) fn can_trade(&self) -> bool {
        let has = |group: &str, right: &str| {
            self.permissions[group]
                .as_array()
                .is_some_and(|rights| rights.iter().any(|r| r == right))
        };
        self.read_only == 0
            && (has("ContractTrade", "Order") || has("Derivatives", "DerivativesTrade"))
    }

    pub(super) fn query_api(&self) -> Value {
        json!({
            "id": self.id.to_string(), "note": "copytrade",
            "apiKey": self.api_key, "readOnly": self.read_only, "secret": "",
            "permissions": self.permissions, "ips": ["*"], "type": 1, "deadlineDay": -1,
            "expiredAt": "", "createdAt": self.created_at, "unified": 0, "uta": 1,
            "userID": self.uid, "inviterID": 0, "vipLevel": "No VIP", "mktMakerLevel": "0",
            "affiliateID": 0,
        })
    }
}

impl Account {
    pub(super) fn wallet_balance(&self, params: &Params) -> Result<Value, Reply> {
        if params.get("accountType") != Some("UNIFIED") {
            return Err(bad("accountType only support UNIFIED"));
        }
        let equity = fmt_num(self.equity);
        Ok(json!({"list": [{
            "accountType": "UNIFIED", "totalEquity": equity, "totalWalletBalance": equity,
            "totalMarginBalance": equity, "totalAvailableBalance": equity,
            "totalPerpUPL": "0", "totalInitialMargin": "0", "totalMaintenanceMargin": "0",
            "accountIMRate": "0", "accountMMRate": "0", "accountLTV": "0", "coin": [],
        }]}))
    }
}
