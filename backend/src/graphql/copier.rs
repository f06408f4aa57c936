//! Copy groups, followers, the trade log, the kill switch and the live feeds in the API: thin
//! resolvers over [`crate::copier::Copier`].

use async_graphql::{
    Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject, Subscription,
};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError as Missed;

use super::error::{auth_error, copier_error};
use super::request::RequestContext;
use super::webhooks::SignalObject;
use crate::auth::{Auth, Scope, SecurityEventKind};
use crate::brokers::{Exit, OrderType, Side};
use crate::copier::plan::Request;
use crate::copier::{
    CopiedOrder, Copier, CopierError, CopierEvent, CopyGroup, CopyStatus, Follower, FollowerInput,
    GroupInput, SymbolMapping, TradeFill, TradeLogFilter,
};
use crate::db::types::Id;

fn id_of(id: &ID, what: &'static str) -> Result<Id> {
    id.parse::<Id>()
        .map_err(|_| copier_error(CopierError::NotFound(what)))
}

fn optional_id(id: &Option<ID>, what: &'static str) -> Result<Option<Id>> {
    id.as_ref().map(|id| id_of(id, what)).transpose()
}

fn gql_id(id: Id) -> ID {
    ID(id.to_string())
}

/// A leader (a webhook's signals, or a linked account's own trades) and its followers.
#[derive(SimpleObject)]
#[graphql(name = "CopyGroup")]
pub struct CopyGroupObject {
    pub id: ID,
    pub name: String,
    /// Signals from this webhook are copied.
    pub webhook_id: Option<ID>,
    /// This account's own fills are mirrored (account-to-account copying).
    pub leader_account_id: Option<ID>,
    /// A paused group copies nothing; its followers' skips are logged.
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub followers: Vec<FollowerObject>,
}

impl CopyGroupObject {
    fn new(group: CopyGroup, followers: Vec<FollowerObject>) -> Self {
        Self {
            id: gql_id(group.id),
            name: group.name,
            webhook_id: group.webhook_id.map(gql_id),
            leader_account_id: group.leader_account_id.map(gql_id),
            enabled: group.enabled,
            created_at: group.created_at,
            followers,
        }
    }
}

/// A trading account copying a group, with its own sizing and limits.
#[derive(SimpleObject)]
#[graphql(name = "Follower")]
pub struct FollowerObject {
    pub id: ID,
    pub copy_group_id: ID,
    pub trading_account_id: ID,
    pub enabled: bool,
    /// The signal's quantity is multiplied by this (unless `fixedQuantity` is set).
    pub multiplier: f64,
    pub fixed_quantity: Option<f64>,
    /// The largest single order.
    pub max_quantity: Option<f64>,
    /// The largest net position (either direction) an order may lead to.
    pub max_position: Option<f64>,
    /// Buy signals sell and sell signals buy.
    pub invert: bool,
    pub symbol_map: Vec<SymbolMapping>,
    /// New positions stop once the account lost this much today (UTC day, realised).
    pub daily_loss_limit: Option<f64>,
    /// `HH:MM-HH:MM` (UTC) in which new positions are opened; exits always go through.
    pub trading_hours: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Follower> for FollowerObject {
    fn from(f: Follower) -> Self {
        Self {
            id: gql_id(f.id),
            copy_group_id: gql_id(f.copy_group_id),
            trading_account_id: gql_id(f.trading_account_id),
            enabled: f.enabled,
            multiplier: f.multiplier,
            fixed_quantity: f.fixed_quantity,
            max_quantity: f.max_quantity,
            max_position: f.max_position,
            invert: f.invert,
            symbol_map: f.symbol_map,
            daily_loss_limit: f.daily_loss_limit,
            trading_hours: f.trading_hours.map(|hours| hours.to_string()),
            created_at: f.created_at,
        }
    }
}

/// One follower's copy of one signal and what came of it.
#[derive(SimpleObject)]
#[graphql(name = "CopiedOrder")]
pub struct CopiedOrderObject {
    pub id: ID,
    pub signal_id: ID,
    pub copy_group_id: Option<ID>,
    pub follower_id: Option<ID>,
    pub trading_account_id: Option<ID>,
    /// Ours, derived from signal and follower: the broker never takes it twice.
    pub client_order_id: String,
    /// What was (or would have been) sent; empty for a copy skipped before it had an order.
    pub symbol: Option<String>,
    pub side: Option<Side>,
    pub order_type: Option<OrderType>,
    pub quantity: Option<f64>,
    pub limit_price: Option<f64>,
    pub stop_price: Option<f64>,
    pub take_profit: Option<f64>,
    pub stop_loss: Option<f64>,
    /// The signal's price, when it gave one.
    pub signal_price: Option<f64>,
    pub status: CopyStatus,
    /// Why it was rejected, skipped or failed (the broker's words for a rejection).
    pub reason: Option<String>,
    pub broker_order_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub filled_at: Option<DateTime<Utc>>,
    pub filled_quantity: f64,
    pub average_price: Option<f64>,
    /// How much worse than the signal's price it filled, in price points (negative: better).
    pub slippage: Option<f64>,
}

impl From<CopiedOrder> for CopiedOrderObject {
    fn from(order: CopiedOrder) -> Self {
        let placed = match &order.request {
            Some(Request::Place(request)) => Some(request.clone()),
            _ => None,
        };
        let symbol = order.request.as_ref().map(|r| r.symbol().to_owned());
        let slippage = placed.as_ref().and_then(|request| {
            let reference = request.reference_price?;
            let average = order.average_price?;
            Some(((average - reference) * request.side.sign() * 1e8).round() / 1e8)
        });
        Self {
            id: gql_id(order.id),
            signal_id: gql_id(order.signal_id),
            copy_group_id: order.copy_group_id.map(gql_id),
            follower_id: order.follower_id.map(gql_id),
            trading_account_id: order.trading_account_id.map(gql_id),
            client_order_id: order.client_order_id,
            symbol,
            side: placed.as_ref().map(|r| r.side),
            order_type: placed.as_ref().map(|r| r.order_type),
            quantity: placed.as_ref().map(|r| r.quantity),
            limit_price: placed.as_ref().and_then(|r| r.limit_price),
            stop_price: placed.as_ref().and_then(|r| r.stop_price),
            take_profit: placed
                .as_ref()
                .and_then(|r| r.take_profit.and_then(Exit::as_price)),
            stop_loss: placed
                .as_ref()
                .and_then(|r| r.stop_loss.and_then(Exit::as_price)),
            signal_price: placed.as_ref().and_then(|r| r.reference_price),
            status: order.status,
            reason: order.reason,
            broker_order_id: order.broker_order_id,
            created_at: order.created_at,
            sent_at: order.sent_at,
            acknowledged_at: order.acknowledged_at,
            filled_at: order.filled_at,
            filled_quantity: order.filled_quantity,
            average_price: order.average_price,
            slippage,
        }
    }
}

/// A copied order changed: sent, acknowledged, filled, rejected...
#[derive(SimpleObject)]
pub struct OrderUpdate {
    pub order: CopiedOrderObject,
}

/// An execution on one of the user's trading accounts.
#[derive(SimpleObject)]
#[graphql(name = "Fill")]
pub struct FillObject {
    pub id: ID,
    pub trading_account_id: Option<ID>,
    /// The copy it belongs to; empty for a trade CopyTrade did not place (a flatten, the
    /// leader's own trade).
    pub copied_order_id: Option<ID>,
    pub signal_id: Option<ID>,
    pub broker_order_id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub side: Side,
    pub quantity: f64,
    pub price: f64,
    pub filled_at: DateTime<Utc>,
}

impl From<TradeFill> for FillObject {
    fn from(fill: TradeFill) -> Self {
        Self {
            id: gql_id(fill.id),
            trading_account_id: fill.trading_account_id.map(gql_id),
            copied_order_id: fill.copied_order_id.map(gql_id),
            signal_id: fill.signal_id.map(gql_id),
            broker_order_id: fill.broker_order_id,
            client_order_id: fill.client_order_id,
            symbol: fill.symbol,
            side: fill.side,
            quantity: fill.quantity,
            price: fill.price,
            filled_at: fill.filled_at,
        }
    }
}

/// A signal with every follower's copy.
#[derive(SimpleObject)]
pub struct TradeLogEntry {
    pub signal: SignalObject,
    pub orders: Vec<CopiedOrderObject>,
}

#[derive(SimpleObject)]
pub struct TradeLogEdge {
    pub cursor: String,
    pub node: TradeLogEntry,
}

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

#[derive(SimpleObject)]
pub struct TradeLogConnection {
    pub edges: Vec<TradeLogEdge>,
    pub page_info: PageInfo,
}

/// Narrows the trade log; every field given must hold.
#[derive(InputObject, Default)]
pub struct TradeLogFilterInput {
    pub copy_group_id: Option<ID>,
    pub trading_account_id: Option<ID>,
    /// Signals with at least one copy in this status.
    pub status: Option<CopyStatus>,
    /// Received at or after.
    pub from: Option<DateTime<Utc>>,
    /// Received before.
    pub to: Option<DateTime<Utc>>,
}

/// What the kill switch did.
#[derive(SimpleObject)]
pub struct KillSwitchResult {
    pub groups_paused: i32,
    /// Accounts whose working orders were cancelled and positions closed.
    pub accounts_flattened: Vec<ID>,
    pub failures: Vec<KillSwitchFailure>,
}

#[derive(SimpleObject)]
pub struct KillSwitchFailure {
    pub trading_account_id: ID,
    pub error: String,
}

#[derive(InputObject)]
pub struct CreateCopyGroupInput {
    pub name: String,
    /// Copy this webhook's signals…
    pub webhook_id: Option<ID>,
    /// …or mirror this account's own trades.
    pub leader_account_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateCopyGroupInput {
    pub id: ID,
    pub name: String,
    pub webhook_id: Option<ID>,
    pub leader_account_id: Option<ID>,
}

#[derive(InputObject)]
pub struct AddFollowerInput {
    pub copy_group_id: ID,
    pub trading_account_id: ID,
    #[graphql(default = 1.0)]
    pub multiplier: f64,
    pub fixed_quantity: Option<f64>,
    pub max_quantity: Option<f64>,
    pub max_position: Option<f64>,
    #[graphql(default)]
    pub invert: bool,
    #[graphql(default)]
    pub symbol_map: Vec<SymbolMapping>,
    pub daily_loss_limit: Option<f64>,
    /// `HH:MM-HH:MM` in UTC, e.g. `13:30-20:00`.
    pub trading_hours: Option<String>,
}

/// Changes only the fields given; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateFollowerInput {
    pub id: ID,
    pub multiplier: Option<f64>,
    pub fixed_quantity: MaybeUndefined<f64>,
    pub max_quantity: MaybeUndefined<f64>,
    pub max_position: MaybeUndefined<f64>,
    pub invert: Option<bool>,
    pub symbol_map: Option<Vec<SymbolMapping>>,
    pub daily_loss_limit: MaybeUndefined<f64>,
    pub trading_hours: MaybeUndefined<String>,
}

fn patch<T>(value: MaybeUndefined<T>, current: &mut Option<T>) {
    match value {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => *current = None,
        MaybeUndefined::Value(value) => *current = Some(value),
    }
}

#[derive(Default)]
pub struct CopierQuery;

#[Object]
impl CopierQuery {
    /// The logged-in user's copy groups with their followers, oldest first.
    async fn copy_groups(&self, ctx: &Context<'_>) -> Result<Vec<CopyGroupObject>> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Read)?;
        let copier = ctx.data::<Copier>()?;
        let groups = copier.groups(user).await.map_err(copier_error)?;
        let mut followers = copier.followers(user, None).await.map_err(copier_error)?;
        Ok(groups
            .into_iter()
            .map(|group| {
                let (mine, rest) = followers
                    .drain(..)
                    .partition(|f: &Follower| f.copy_group_id == group.id);
                followers = rest;
                CopyGroupObject::new(group, mine.into_iter().map(Into::into).collect())
            })
            .collect())
    }

    /// Every signal, newest first, with each follower's copied order and outcome.
    async fn trade_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 25)] first: i32,
        after: Option<String>,
        filter: Option<TradeLogFilterInput>,
    ) -> Result<TradeLogConnection> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Read)?;
        let filter = filter.unwrap_or_default();
        let filter = TradeLogFilter {
            copy_group_id: optional_id(&filter.copy_group_id, "copy group")?,
            trading_account_id: optional_id(&filter.trading_account_id, "trading account")?,
            status: filter.status,
            from: filter.from,
            to: filter.to,
        };
        let page = ctx
            .data::<Copier>()?
            .trade_log(user, i64::from(first), after.as_deref(), &filter)
            .await
            .map_err(copier_error)?;
        let end_cursor = page.entries.last().map(|entry| entry.cursor.clone());
        Ok(TradeLogConnection {
            edges: page
                .entries
                .into_iter()
                .map(|entry| TradeLogEdge {
                    cursor: entry.cursor,
                    node: TradeLogEntry {
                        signal: entry.signal.into(),
                        orders: entry.orders.into_iter().map(Into::into).collect(),
                    },
                })
                .collect(),
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                end_cursor,
            },
        })
    }

    /// The latest fills on the user's accounts, newest first.
    async fn recent_fills(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<FillObject>> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Read)?;
        Ok(ctx
            .data::<Copier>()?
            .recent_fills(user, i64::from(first))
            .await
            .map_err(copier_error)?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct CopierMutation;

#[Object]
impl CopierMutation {
    /// A new, enabled group copying a webhook's signals or a leader account's trades.
    async fn create_copy_group(
        &self,
        ctx: &Context<'_>,
        input: CreateCopyGroupInput,
    ) -> Result<CopyGroupObject> {
        let user = RequestContext::of(ctx)?.sudo_user_with(Scope::Manage)?;
        let input = GroupInput {
            name: input.name,
            webhook_id: optional_id(&input.webhook_id, "webhook")?,
            leader_account_id: optional_id(&input.leader_account_id, "trading account")?,
        };
        let group = ctx
            .data::<Copier>()?
            .create_group(user, input)
            .await
            .map_err(copier_error)?;
        Ok(CopyGroupObject::new(group, Vec::new()))
    }

    async fn update_copy_group(
        &self,
        ctx: &Context<'_>,
        input: UpdateCopyGroupInput,
    ) -> Result<CopyGroupObject> {
        let user = RequestContext::of(ctx)?.sudo_user_with(Scope::Manage)?;
        let id = id_of(&input.id, "copy group")?;
        let copier = ctx.data::<Copier>()?;
        let changes = GroupInput {
            name: input.name,
            webhook_id: optional_id(&input.webhook_id, "webhook")?,
            leader_account_id: optional_id(&input.leader_account_id, "trading account")?,
        };
        let group = copier
            .update_group(user, id, changes)
            .await
            .map_err(copier_error)?;
        let followers = copier
            .followers(user, Some(id))
            .await
            .map_err(copier_error)?;
        Ok(CopyGroupObject::new(
            group,
            followers.into_iter().map(Into::into).collect(),
        ))
    }

    /// Deletes a group and its followers; its trade log stays.
    async fn delete_copy_group(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Manage)?;
        ctx.data::<Copier>()?
            .delete_group(user, id_of(&id, "copy group")?)
            .await
            .map_err(copier_error)?;
        Ok(true)
    }

    async fn set_copy_group_enabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        enabled: bool,
    ) -> Result<CopyGroupObject> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Trade)?;
        let id = id_of(&id, "copy group")?;
        let copier = ctx.data::<Copier>()?;
        let group = copier
            .set_group_enabled(user, id, enabled)
            .await
            .map_err(copier_error)?;
        let followers = copier
            .followers(user, Some(id))
            .await
            .map_err(copier_error)?;
        Ok(CopyGroupObject::new(
            group,
            followers.into_iter().map(Into::into).collect(),
        ))
    }

    async fn add_follower(
        &self,
        ctx: &Context<'_>,
        input: AddFollowerInput,
    ) -> Result<FollowerObject> {
        let user = RequestContext::of(ctx)?.sudo_user_with(Scope::Manage)?;
        let group = id_of(&input.copy_group_id, "copy group")?;
        let account = id_of(&input.trading_account_id, "trading account")?;
        let settings = FollowerInput {
            multiplier: input.multiplier,
            fixed_quantity: input.fixed_quantity,
            max_quantity: input.max_quantity,
            max_position: input.max_position,
            invert: input.invert,
            symbol_map: input.symbol_map,
            daily_loss_limit: input.daily_loss_limit,
            trading_hours: input.trading_hours,
        };
        Ok(ctx
            .data::<Copier>()?
            .add_follower(user, group, account, settings)
            .await
            .map_err(copier_error)?
            .into())
    }

    async fn update_follower(
        &self,
        ctx: &Context<'_>,
        input: UpdateFollowerInput,
    ) -> Result<FollowerObject> {
        let user = RequestContext::of(ctx)?.sudo_user_with(Scope::Manage)?;
        let id = id_of(&input.id, "follower")?;
        let copier = ctx.data::<Copier>()?;
        let current = copier.follower(user, id).await.map_err(copier_error)?;
        let mut settings = FollowerInput::from(&current);
        if let Some(multiplier) = input.multiplier {
            settings.multiplier = multiplier;
        }
        if let Some(invert) = input.invert {
            settings.invert = invert;
        }
        if let Some(map) = input.symbol_map {
            settings.symbol_map = map;
        }
        patch(input.fixed_quantity, &mut settings.fixed_quantity);
        patch(input.max_quantity, &mut settings.max_quantity);
        patch(input.max_position, &mut settings.max_position);
        patch(input.daily_loss_limit, &mut settings.daily_loss_limit);
        patch(input.trading_hours, &mut settings.trading_hours);
        Ok(copier
            .update_follower(user, id, settings)
            .await
            .map_err(copier_error)?
            .into())
    }

    async fn remove_follower(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Manage)?;
        ctx.data::<Copier>()?
            .remove_follower(user, id_of(&id, "follower")?)
            .await
            .map_err(copier_error)?;
        Ok(true)
    }

    async fn set_follower_enabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        enabled: bool,
    ) -> Result<FollowerObject> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Trade)?;
        Ok(ctx
            .data::<Copier>()?
            .set_follower_enabled(user, id_of(&id, "follower")?, enabled)
            .await
            .map_err(copier_error)?
            .into())
    }

    /// Pauses every copy group of the user at once; with `flatten`, also cancels the working
    /// orders and closes the positions of every follower account.
    async fn kill_switch(&self, ctx: &Context<'_>, flatten: bool) -> Result<KillSwitchResult> {
        let request = RequestContext::of(ctx)?;
        let user = request.user_with(Scope::Trade)?;
        let result = ctx
            .data::<Copier>()?
            .kill_switch(user, flatten)
            .await
            .map_err(copier_error)?;
        ctx.data::<Auth>()?
            .record_event(user.id, SecurityEventKind::KillSwitchUsed, &request.meta)
            .await
            .map_err(auth_error)?;
        Ok(KillSwitchResult {
            groups_paused: i32::try_from(result.groups_paused).unwrap_or(i32::MAX),
            accounts_flattened: result.accounts_flattened.into_iter().map(gql_id).collect(),
            failures: result
                .failures
                .into_iter()
                .map(|(account, error)| KillSwitchFailure {
                    trading_account_id: gql_id(account),
                    error,
                })
                .collect(),
        })
    }
}

#[derive(Default)]
pub struct CopierSubscription;

/// The live feed of the logged-in user only: the copier hands each user's events to that
/// user's subscriptions alone (the user checks below are a second line of defence).
fn own_events(
    ctx: &Context<'_>,
) -> Result<(Id, impl Stream<Item = Result<CopierEvent, Missed>> + use<>)> {
    let user = RequestContext::of(ctx)?.user_with(Scope::Read)?.id;
    Ok((user, ctx.data::<Copier>()?.subscribe(user)))
}

#[Subscription]
impl CopierSubscription {
    /// Fills on the user's accounts as the brokers report them.
    async fn trade_fills(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = FillObject>> {
        let (user, events) = own_events(ctx)?;
        Ok(events.filter_map(move |event| match event {
            Ok(CopierEvent::Fill(fill)) if fill.user_id == user => Some((*fill).into()),
            _ => None,
        }))
    }

    /// Every change of the user's copied orders (stored, sent, acknowledged, filled...).
    async fn order_updates(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = OrderUpdate>> {
        let (user, events) = own_events(ctx)?;
        Ok(events.filter_map(move |event| match event {
            Ok(CopierEvent::Order(update)) if update.user_id == user => Some(OrderUpdate {
                order: update.order.into(),
            }),
            _ => None,
        }))
    }
}
