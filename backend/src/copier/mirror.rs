//! Account-to-account copying: a fill on a leader account that CopyTrade did not place (the
//! trader's own trade) becomes a signal for every enabled group the account leads. Orders the
//! copier placed are never mirrored again, so a follower that also leads a group cannot start
//! a loop.

use serde_json::json;

use super::CopierError;
use super::db::{self, NewSignal, SignalHead};
use super::dispatch::Copier;
use super::plan;
use crate::brokers::{Fill, Side};
use crate::db::types::Id;
use crate::signals::parse::{Action, Signal, SignalOrderType};

impl Copier {
    /// Starts listening to a leader account's fills (once per connection).
    pub(super) async fn watch_leader(&self, user: Id, account: Id) {
        if let Err(reason) = self.venue(user, account).await {
            tracing::warn!(%account, %reason, "copier: cannot follow a leader account");
        }
    }

    /// Listens to every account that leads an enabled group (at start, and now and then).
    pub async fn watch_leaders(&self) -> Result<(), CopierError> {
        for (user, account) in db::leader_accounts(self.db()).await? {
            self.watch_leader(user, account).await;
        }
        Ok(())
    }

    /// Mirrors a leader's own fill to the groups it leads.
    pub(super) async fn mirror(
        &self,
        user: Id,
        account: Id,
        fill: &Fill,
    ) -> Result<(), CopierError> {
        if plan::is_copier_order(&fill.client_order_id) {
            return Ok(());
        }
        let leads = db::groups_led_by(self.db(), account)
            .await?
            .iter()
            .any(|group| group.user_id == user && group.enabled);
        if !leads {
            return Ok(());
        }
        let signal = Signal {
            ticker: fill.symbol.clone(),
            action: match fill.side {
                Side::Buy => Action::Buy,
                Side::Sell => Action::Sell,
            },
            quantity: Some(fill.quantity),
            order_type: SignalOrderType::Market,
            price: Some(fill.price),
            limit_price: None,
            stop_price: None,
            take_profit: None,
            stop_loss: None,
            sentiment: None,
            id: Some(fill.execution_id.clone()),
        };
        // What the log shows of it; the leader travels in its own column, never read back
        // from a payload.
        let raw = json!({
            "leaderAccountId": account.to_string(),
            "symbol": fill.symbol,
            "side": fill.side.as_str(),
            "quantity": fill.quantity,
            "price": fill.price,
            "executionId": fill.execution_id,
        })
        .to_string();
        let row = NewSignal {
            id: Id::new(),
            user_id: user,
            webhook_id: None,
            received_at: self.now(),
            status: "ACCEPTED".to_owned(),
            dedup_id: Some(fill.execution_id.clone()),
            body_hash: crate::digest::sha256_hex(raw.as_bytes()),
            raw_payload: raw,
            parsed: serde_json::to_string(&signal).ok(),
            outcome: None,
            leader_account_id: Some(account),
        };
        db::insert_signal(self.db(), &row).await?;
        self.spawn_dispatch(row.id);
        Ok(())
    }
}

/// The leader account a mirrored signal came from: its typed column, set only by
/// [`Copier::mirror`]. A payload (which a webhook's sender writes) never names a leader.
pub(super) fn leader_of(head: &SignalHead) -> Option<Id> {
    head.leader_account_id
}
