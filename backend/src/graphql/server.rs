//! Facts about the running server, and a clock that proves the live (WebSocket) path works.

use std::time::Duration;

use async_graphql::{Context, Object, SimpleObject, Subscription};
use chrono::{DateTime, SubsecRound, Utc};
use futures_util::Stream;
use tokio::time::MissedTickBehavior;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::IntervalStream;

use crate::db::DatabaseKind;

/// Facts about the running server.
#[derive(Debug, Clone, SimpleObject)]
pub struct ServerInfo {
    /// The server's version (semantic versioning).
    pub version: String,
    /// The database this server stores its data in.
    pub database: DatabaseKind,
    /// Whether this server sends email (verification, password reset, security notices). Without
    /// it, addresses stay unverified and a forgotten password cannot be reset by email.
    pub mail_enabled: bool,
}

#[derive(Default)]
pub struct ServerQuery;

#[Object]
impl ServerQuery {
    /// What this server is: its version and the database it runs on.
    async fn server_info(&self, ctx: &Context<'_>) -> async_graphql::Result<ServerInfo> {
        Ok(ctx.data::<ServerInfo>()?.clone())
    }
}

#[derive(Default)]
pub struct ServerSubscription;

#[Subscription]
impl ServerSubscription {
    /// The server's clock, once a second: proves the live connection works.
    async fn server_time(&self) -> impl Stream<Item = DateTime<Utc>> {
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        // A client that was slow to read gets the current time, not a burst of stale ones.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        IntervalStream::new(ticks).map(|_| Utc::now().trunc_subsecs(3))
    }
}
