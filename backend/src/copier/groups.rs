//! Copy groups and followers: create, change, pause, remove. Every input is checked here, with
//! an error naming the field; another user's group, webhook or account is `NotFound`.

use super::db::{self, FollowerRow, GroupRow};
use super::dispatch::Copier;
use super::plan::TradingHours;
use super::{CopierError, CopyGroup, Follower, SymbolMapping};
use crate::auth::User;
use crate::db::schema::webhooks;
use crate::db::types::Id;
use crate::with_conn;

const MAX_NAME_CHARS: usize = 60;
const MAX_SYMBOL_CHARS: usize = 40;
const MAX_MAPPINGS: usize = 100;
/// The largest multiplier: beyond it a typo (100 for 1.00) is likelier than intent.
const MAX_MULTIPLIER: f64 = 1000.0;

/// What a group is made of.
#[derive(Debug, Clone)]
pub struct GroupInput {
    pub name: String,
    pub webhook_id: Option<Id>,
    pub leader_account_id: Option<Id>,
}

/// How a follower copies.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowerInput {
    pub multiplier: f64,
    pub fixed_quantity: Option<f64>,
    pub max_quantity: Option<f64>,
    pub max_position: Option<f64>,
    pub invert: bool,
    pub symbol_map: Vec<SymbolMapping>,
    pub daily_loss_limit: Option<f64>,
    /// `HH:MM-HH:MM` in UTC.
    pub trading_hours: Option<String>,
}

impl From<&Follower> for FollowerInput {
    fn from(follower: &Follower) -> Self {
        Self {
            multiplier: follower.multiplier,
            fixed_quantity: follower.fixed_quantity,
            max_quantity: follower.max_quantity,
            max_position: follower.max_position,
            invert: follower.invert,
            symbol_map: follower.symbol_map.clone(),
            daily_loss_limit: follower.daily_loss_limit,
            trading_hours: follower.trading_hours.map(|hours| hours.to_string()),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> CopierError {
    CopierError::InvalidInput {
        field,
        message: message.into(),
    }
}

fn clean_name(name: &str) -> Result<String, CopierError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            format!("must be at most {MAX_NAME_CHARS} printable characters"),
        ));
    }
    Ok(name.to_owned())
}

fn positive(field: &'static str, value: Option<f64>) -> Result<Option<f64>, CopierError> {
    match value {
        Some(v) if !(v.is_finite() && v > 0.0) => Err(invalid(field, "must be a number above 0")),
        other => Ok(other),
    }
}

fn symbol(field: &'static str, text: &str) -> Result<String, CopierError> {
    let text = text.trim();
    if text.is_empty()
        || text.chars().count() > MAX_SYMBOL_CHARS
        || text.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(
            field,
            format!("`{text}` must be 1 to {MAX_SYMBOL_CHARS} characters without spaces"),
        ));
    }
    Ok(text.to_owned())
}

/// Checks a follower's settings; returns them cleaned, with the parsed trading hours.
fn check_follower(
    input: &FollowerInput,
) -> Result<(FollowerInput, Option<TradingHours>), CopierError> {
    let mut clean = input.clone();
    if !(input.multiplier.is_finite()
        && input.multiplier > 0.0
        && input.multiplier <= MAX_MULTIPLIER)
    {
        return Err(invalid(
            "multiplier",
            format!("must be above 0 and at most {MAX_MULTIPLIER}"),
        ));
    }
    clean.fixed_quantity = positive("fixedQuantity", input.fixed_quantity)?;
    clean.max_quantity = positive("maxQuantity", input.max_quantity)?;
    clean.max_position = positive("maxPosition", input.max_position)?;
    clean.daily_loss_limit = positive("dailyLossLimit", input.daily_loss_limit)?;
    if let (Some(fixed), Some(max)) = (clean.fixed_quantity, clean.max_quantity)
        && fixed > max
    {
        return Err(invalid(
            "fixedQuantity",
            format!("{fixed} is above the maximum order quantity {max}"),
        ));
    }
    if input.symbol_map.len() > MAX_MAPPINGS {
        return Err(invalid(
            "symbolMap",
            format!("at most {MAX_MAPPINGS} mappings"),
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    clean.symbol_map = Vec::with_capacity(input.symbol_map.len());
    for mapping in &input.symbol_map {
        let from = symbol("symbolMap.from", &mapping.from)?;
        let to = symbol("symbolMap.to", &mapping.to)?;
        if seen
            .iter()
            .any(|earlier| earlier.eq_ignore_ascii_case(&from))
        {
            return Err(invalid(
                "symbolMap.from",
                format!("`{from}` is mapped twice"),
            ));
        }
        seen.push(from.clone());
        clean.symbol_map.push(SymbolMapping { from, to });
    }
    let hours = match input.trading_hours.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(TradingHours::parse(text).map_err(|why| invalid("tradingHours", why))?),
    };
    clean.trading_hours = hours.map(|h| h.to_string());
    Ok((clean, hours))
}

impl Copier {
    async fn owns_webhook(&self, user: Id, webhook: Id) -> Result<bool, CopierError> {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let count = async {
            with_conn!(self.db(), read, |c| {
                Ok::<i64, crate::db::DbError>(
                    webhooks::table
                        .filter(webhooks::id.eq(webhook))
                        .filter(webhooks::user_id.eq(user))
                        .count()
                        .get_result(c)
                        .await?,
                )
            })
        }
        .await?;
        Ok(count == 1)
    }

    /// Whether any copy group (paused or not) takes the webhook's signals.
    pub async fn webhook_in_use(&self, user: Id, webhook: Id) -> Result<bool, CopierError> {
        Ok(!db::groups_of_webhook(self.db(), user, webhook)
            .await?
            .is_empty())
    }

    async fn check_group(&self, user: &User, input: &GroupInput) -> Result<String, CopierError> {
        let name = clean_name(&input.name)?;
        match (input.webhook_id, input.leader_account_id) {
            (None, None) => {
                return Err(invalid(
                    "webhookId",
                    "a group needs a leader: a webhookId (signals) or a leaderAccountId (a linked account whose trades are mirrored)",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "leaderAccountId",
                    "a group has one leader: give a webhookId or a leaderAccountId, not both",
                ));
            }
            _ => {}
        }
        if let Some(webhook) = input.webhook_id
            && !self.owns_webhook(user.id, webhook).await?
        {
            return Err(CopierError::NotFound("webhook"));
        }
        if let Some(account) = input.leader_account_id {
            self.inner
                .connections
                .account_of(user.id, account)
                .await
                .map_err(|_| CopierError::NotFound("trading account"))?;
        }
        Ok(name)
    }

    pub async fn create_group(
        &self,
        user: &User,
        input: GroupInput,
    ) -> Result<CopyGroup, CopierError> {
        let name = self.check_group(user, &input).await?;
        let row = GroupRow {
            id: Id::new(),
            user_id: user.id,
            name,
            webhook_id: input.webhook_id,
            leader_account_id: input.leader_account_id,
            enabled: true,
            created_at: self.now(),
        };
        db::insert_group(self.db(), &row).await?;
        if let Some(leader) = row.leader_account_id {
            self.watch_leader(user.id, leader).await;
        }
        Ok(row.into())
    }

    pub async fn update_group(
        &self,
        user: &User,
        id: Id,
        input: GroupInput,
    ) -> Result<CopyGroup, CopierError> {
        let name = self.check_group(user, &input).await?;
        let followers = db::followers(self.db(), user.id, Some(&[id])).await?;
        if let Some(leader) = input.leader_account_id
            && followers.iter().any(|f| f.trading_account_id == leader)
        {
            return Err(invalid(
                "leaderAccountId",
                "this account follows the group: it cannot also lead it",
            ));
        }
        if !db::update_group(
            self.db(),
            user.id,
            id,
            &name,
            input.webhook_id,
            input.leader_account_id,
        )
        .await?
        {
            return Err(CopierError::NotFound("copy group"));
        }
        if let Some(leader) = input.leader_account_id {
            self.watch_leader(user.id, leader).await;
        }
        self.group(user, id).await
    }

    pub async fn set_group_enabled(
        &self,
        user: &User,
        id: Id,
        enabled: bool,
    ) -> Result<CopyGroup, CopierError> {
        if !db::set_group_enabled(self.db(), user.id, id, enabled).await? {
            return Err(CopierError::NotFound("copy group"));
        }
        self.group(user, id).await
    }

    pub async fn delete_group(&self, user: &User, id: Id) -> Result<(), CopierError> {
        if db::delete_group(self.db(), user.id, id).await? {
            Ok(())
        } else {
            Err(CopierError::NotFound("copy group"))
        }
    }

    pub async fn group(&self, user: &User, id: Id) -> Result<CopyGroup, CopierError> {
        db::group(self.db(), user.id, id)
            .await?
            .map(CopyGroup::from)
            .ok_or(CopierError::NotFound("copy group"))
    }

    /// The user's groups, oldest first.
    pub async fn groups(&self, user: &User) -> Result<Vec<CopyGroup>, CopierError> {
        Ok(db::groups(self.db(), user.id)
            .await?
            .into_iter()
            .map(CopyGroup::from)
            .collect())
    }

    /// The followers of the user's groups (of one group, or all).
    pub async fn followers(
        &self,
        user: &User,
        group: Option<Id>,
    ) -> Result<Vec<Follower>, CopierError> {
        let groups = group.map(|id| vec![id]);
        db::followers(self.db(), user.id, groups.as_deref())
            .await?
            .into_iter()
            .map(readable)
            .collect()
    }

    pub async fn follower(&self, user: &User, id: Id) -> Result<Follower, CopierError> {
        readable(self.follower_row(user, id).await?)
    }

    /// The stored row as it is, readable or not (saving new settings mends an unreadable one).
    async fn follower_row(&self, user: &User, id: Id) -> Result<FollowerRow, CopierError> {
        db::follower(self.db(), user.id, id)
            .await?
            .ok_or(CopierError::NotFound("follower"))
    }

    pub async fn add_follower(
        &self,
        user: &User,
        group: Id,
        account: Id,
        input: FollowerInput,
    ) -> Result<Follower, CopierError> {
        let group = self.group(user, group).await?;
        self.inner
            .connections
            .account_of(user.id, account)
            .await
            .map_err(|_| CopierError::NotFound("trading account"))?;
        if group.leader_account_id == Some(account) {
            return Err(invalid(
                "tradingAccountId",
                "this account leads the group: it cannot also follow it",
            ));
        }
        let (clean, hours) = check_follower(&input)?;
        let follower = Follower {
            id: Id::new(),
            copy_group_id: group.id,
            trading_account_id: account,
            enabled: true,
            multiplier: clean.multiplier,
            fixed_quantity: clean.fixed_quantity,
            max_quantity: clean.max_quantity,
            max_position: clean.max_position,
            invert: clean.invert,
            symbol_map: clean.symbol_map,
            daily_loss_limit: clean.daily_loss_limit,
            trading_hours: hours,
            created_at: self.now().0,
        };
        if !db::insert_follower(self.db(), &FollowerRow::from_follower(user.id, &follower)).await? {
            return Err(invalid(
                "tradingAccountId",
                "this account already follows the group",
            ));
        }
        Ok(follower)
    }

    pub async fn update_follower(
        &self,
        user: &User,
        id: Id,
        input: FollowerInput,
    ) -> Result<Follower, CopierError> {
        // Every setting comes from the input, so only the row's ids are kept.
        let current = self.follower_row(user, id).await?;
        let (clean, hours) = check_follower(&input)?;
        let follower = Follower {
            id: current.id,
            copy_group_id: current.copy_group_id,
            trading_account_id: current.trading_account_id,
            enabled: current.enabled,
            created_at: current.created_at.0,
            multiplier: clean.multiplier,
            fixed_quantity: clean.fixed_quantity,
            max_quantity: clean.max_quantity,
            max_position: clean.max_position,
            invert: clean.invert,
            symbol_map: clean.symbol_map,
            daily_loss_limit: clean.daily_loss_limit,
            trading_hours: hours,
        };
        if !db::update_follower(self.db(), &FollowerRow::from_follower(user.id, &follower)).await? {
            return Err(CopierError::NotFound("follower"));
        }
        Ok(follower)
    }

    pub async fn set_follower_enabled(
        &self,
        user: &User,
        id: Id,
        enabled: bool,
    ) -> Result<Follower, CopierError> {
        // Pausing must work even when the settings cannot be read, and never rewrites them.
        let row = FollowerRow {
            enabled,
            ..self.follower_row(user, id).await?
        };
        if !db::update_follower(self.db(), &row).await? {
            return Err(CopierError::NotFound("follower"));
        }
        readable(row)
    }

    pub async fn remove_follower(&self, user: &User, id: Id) -> Result<(), CopierError> {
        if db::delete_follower(self.db(), user.id, id).await? {
            Ok(())
        } else {
            Err(CopierError::NotFound("follower"))
        }
    }
}

/// A stored follower, or an error naming the setting that cannot be read.
fn readable(row: FollowerRow) -> Result<Follower, CopierError> {
    Follower::try_from(row).map_err(|why| {
        CopierError::Unreadable(format!(
            "a follower cannot be shown: {why}; remove it and add it again"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> FollowerInput {
        FollowerInput {
            multiplier: 1.0,
            fixed_quantity: None,
            max_quantity: None,
            max_position: None,
            invert: false,
            symbol_map: Vec::new(),
            daily_loss_limit: None,
            trading_hours: None,
        }
    }

    fn field_of(
        result: Result<(FollowerInput, Option<TradingHours>), CopierError>,
    ) -> &'static str {
        match result {
            Err(CopierError::InvalidInput { field, .. }) => field,
            other => panic!("expected an invalid input, got {other:?}"),
        }
    }

    #[test]
    fn follower_settings_are_checked_field_by_field() {
        assert!(check_follower(&input()).is_ok());
        assert_eq!(
            field_of(check_follower(&FollowerInput {
                multiplier: 0.0,
                ..input()
            })),
            "multiplier"
        );
        assert_eq!(
            field_of(check_follower(&FollowerInput {
                multiplier: f64::NAN,
                ..input()
            })),
            "multiplier"
        );
        assert_eq!(
            field_of(check_follower(&FollowerInput {
                max_quantity: Some(-1.0),
                ..input()
            })),
            "maxQuantity"
        );
        assert_eq!(
            field_of(check_follower(&FollowerInput {
                fixed_quantity: Some(5.0),
                max_quantity: Some(2.0),
                ..input()
            })),
            "fixedQuantity"
        );
        let twice = vec![
            SymbolMapping {
                from: "ES".into(),
                to: "MES".into(),
            },
            SymbolMapping {
                from: "es".into(),
                to: "ES".into(),
            },
        ];
        assert_eq!(
            field_of(check_follower(&FollowerInput {
                symbol_map: twice,
                ..input()
            })),
            "symbolMap.from"
        );
        let spaced = vec![SymbolMapping {
            from: "ES".into(),
            to: "M ES".into(),
        }];
        assert_eq!(
            field_of(check_follower(&FollowerInput {
                symbol_map: spaced,
                ..input()
            })),
            "symbolMap.to"
        );
        assert_eq!(
            field_of(check_follower(&FollowerInput {
                trading_hours: Some("9-5".into()),
                ..input()
            })),
            "tradingHours"
        );
        let (clean, hours) = check_follower(&FollowerInput {
            trading_hours: Some(" 13:30-20:00 ".into()),
            symbol_map: vec![SymbolMapping {
                from: " ES ".into(),
                to: "MES".into(),
            }],
            ..input()
        })
        .unwrap();
        assert_eq!(hours.unwrap().to_string(), "13:30-20:00");
        assert_eq!(clean.symbol_map[0].from, "ES");
    }
}
