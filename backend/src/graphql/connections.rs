//! Broker connections in the API: thin resolvers over [`crate::connections::Connections`].
//! No field ever carries a credential: only `credentialHint`.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::error::connection_error;
use super::request::RequestContext;
use crate::auth::Scope;
use crate::brokers::credentials::Field;
use crate::brokers::{BrokerEnvironment, BrokerKind, Credentials};
use crate::connections::{self, ConnectionError, ConnectionStatus, Connections, LinkRequest};
use crate::db::types::Id;

/// Credentials as a broker names them; give exactly the fields the broker needs
/// (`brokerCredentialFields` lists them). Stored encrypted, never shown again.
#[derive(InputObject, Default)]
pub struct BrokerCredentialsInput {
    pub username: Option<String>,
    pub password: Option<String>,
    pub api_key: Option<String>,
    pub api_secret: Option<String>,
    pub passphrase: Option<String>,
    pub app_id: Option<String>,
    pub app_version: Option<String>,
    pub cid: Option<String>,
    pub sec: Option<String>,
    pub device_id: Option<String>,
}

impl BrokerCredentialsInput {
    fn into_credentials(self) -> Credentials {
        Credentials::from_pairs([
            (Field::Username, self.username),
            (Field::Password, self.password),
            (Field::ApiKey, self.api_key),
            (Field::ApiSecret, self.api_secret),
            (Field::Passphrase, self.passphrase),
            (Field::AppId, self.app_id),
            (Field::AppVersion, self.app_version),
            (Field::Cid, self.cid),
            (Field::Sec, self.sec),
            (Field::DeviceId, self.device_id),
        ])
    }
}

#[derive(InputObject)]
pub struct LinkBrokerAccountInput {
    pub broker: BrokerKind,
    pub environment: BrokerEnvironment,
    /// Your name for this connection (1 to 60 characters).
    pub label: String,
    pub credentials: BrokerCredentialsInput,
    /// Required when two-factor login is on.
    pub totp_code: Option<String>,
    /// Paper accounts only: the simulated starting balance (default 100,000).
    pub paper_starting_balance: Option<f64>,
}

/// A linked broker login or API key.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct BrokerConnection {
    pub id: ID,
    pub broker: BrokerKind,
    pub environment: BrokerEnvironment,
    pub label: String,
    pub status: ConnectionStatus,
    /// Why the last check failed.
    pub last_error: Option<String>,
    /// A masked hint of the key or login (e.g. `••••a9f2`); the credentials are never shown.
    pub credential_hint: String,
    pub credentials_updated_at: DateTime<Utc>,
    /// True 30 days after the credentials (or the venue's key) were created: time to rotate.
    pub rotation_due: bool,
    /// Whether the key can withdraw funds, where the venue tells (null where it cannot).
    pub can_withdraw: Option<bool>,
    pub last_checked_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    inner: connections::Connection,
}

impl BrokerConnection {
    fn new(connection: connections::Connection, now: DateTime<Utc>) -> Self {
        Self {
            id: ID(connection.id.to_string()),
            broker: connection.broker,
            environment: connection.environment,
            label: connection.label.clone(),
            status: connection.status,
            last_error: connection.last_error.clone(),
            credential_hint: connection.credential_hint.clone(),
            credentials_updated_at: connection.credentials_updated_at,
            rotation_due: connection.rotation_due(now),
            can_withdraw: connection.can_withdraw,
            last_checked_at: connection.last_checked_at,
            created_at: connection.created_at,
            inner: connection,
        }
    }
}

#[ComplexObject]
impl BrokerConnection {
    /// The trading accounts this login can see, with balance and positions as the broker
    /// reports them (the broker is asked only when `balance` or `positions` is selected; its
    /// answer is reused for up to 5 seconds, and each time it is asked costs one of your
    /// broker reads: 30 a minute, 10 at once, then `RATE_LIMITED` with `retryAfterSeconds`).
    async fn accounts(&self, ctx: &Context<'_>) -> Result<Vec<TradingAccount>> {
        let wanted = ctx.look_ahead();
        let holdings = wanted.field("balance").exists() || wanted.field("positions").exists();
        let connections = ctx.data::<Connections>()?;
        let views = if holdings {
            connections.accounts(&self.inner).await
        } else {
            connections.listed_accounts(&self.inner).await
        }
        .map_err(connection_error)?;
        Ok(views
            .into_iter()
            .map(|view| {
                let (balance, positions) = match view.snapshot {
                    Some(snapshot) => (snapshot.balance, snapshot.positions),
                    None => (None, Vec::new()),
                };
                TradingAccount {
                    id: ID(view.account.id.to_string()),
                    name: view.account.name,
                    external_id: view.account.external_id,
                    read_at: view.read_at,
                    balance,
                    positions: positions
                        .into_iter()
                        .map(|p| Position {
                            symbol: p.symbol,
                            quantity: p.quantity,
                            average_price: p.average_price,
                        })
                        .collect(),
                }
            })
            .collect())
    }
}

/// A trading account at the broker.
#[derive(SimpleObject)]
pub struct TradingAccount {
    pub id: ID,
    pub name: String,
    /// The broker's own id for the account.
    pub external_id: String,
    /// Null when the broker could not be asked just now.
    pub balance: Option<f64>,
    pub positions: Vec<Position>,
    /// When the broker reported `balance` and `positions` (an answer is reused for up to 5
    /// seconds); null when neither was selected.
    pub read_at: Option<DateTime<Utc>>,
}

/// A net position.
#[derive(SimpleObject)]
pub struct Position {
    pub symbol: String,
    /// Positive long, negative short.
    pub quantity: f64,
    pub average_price: f64,
}

/// Which credential fields a broker needs, with the guidance the link form shows.
#[derive(SimpleObject)]
pub struct BrokerCredentialFields {
    pub broker: BrokerKind,
    pub name: String,
    pub required: Vec<String>,
    pub optional: Vec<String>,
    /// How to create a trade-only key for CopyTrade.
    pub guidance: String,
}

fn parse_id(id: &ID) -> Result<Id> {
    id.parse::<Id>()
        .map_err(|_| connection_error(ConnectionError::NotFound))
}

#[derive(Default)]
pub struct ConnectionsQuery;

#[Object]
impl ConnectionsQuery {
    /// The logged-in user's linked broker connections, oldest first.
    async fn broker_connections(&self, ctx: &Context<'_>) -> Result<Vec<BrokerConnection>> {
        let user = RequestContext::of(ctx)?.user_with(Scope::Read)?;
        let service = ctx.data::<Connections>()?;
        let now = service.clock_now();
        Ok(service
            .list(user)
            .await
            .map_err(connection_error)?
            .into_iter()
            .map(|connection| BrokerConnection::new(connection, now))
            .collect())
    }

    /// What each broker needs to link an account.
    async fn broker_credential_fields(&self) -> Vec<BrokerCredentialFields> {
        BrokerKind::ALL
            .into_iter()
            .map(|broker| {
                let spec = crate::brokers::credentials::spec(broker);
                BrokerCredentialFields {
                    broker,
                    name: broker.display_name().to_owned(),
                    required: spec.required.iter().map(|f| f.name().to_owned()).collect(),
                    optional: spec.optional.iter().map(|f| f.name().to_owned()).collect(),
                    guidance: connections::trade_only_guidance(broker).to_owned(),
                }
            })
            .collect()
    }
}

#[derive(Default)]
pub struct ConnectionsMutation;

#[Object]
impl ConnectionsMutation {
    /// Links a broker account: checks the credentials with the broker, refuses a key that can
    /// withdraw (`WITHDRAWAL_PERMISSION_REFUSED`), and stores them encrypted.
    async fn link_broker_account(
        &self,
        ctx: &Context<'_>,
        input: LinkBrokerAccountInput,
    ) -> Result<BrokerConnection> {
        let request = RequestContext::of(ctx)?;
        let service = ctx.data::<Connections>()?;
        let link = LinkRequest {
            broker: input.broker,
            environment: input.environment,
            label: input.label,
            credentials: input.credentials.into_credentials(),
            totp_code: input.totp_code,
            starting_balance: input.paper_starting_balance,
        };
        let connection = service
            .link(request.sudo_user()?, link, &request.meta)
            .await
            .map_err(connection_error)?;
        Ok(BrokerConnection::new(connection, service.clock_now()))
    }

    /// Replaces a connection's credentials (checked with the broker first).
    async fn update_broker_credentials(
        &self,
        ctx: &Context<'_>,
        id: ID,
        credentials: BrokerCredentialsInput,
        totp_code: Option<String>,
    ) -> Result<BrokerConnection> {
        let request = RequestContext::of(ctx)?;
        let service = ctx.data::<Connections>()?;
        let connection = service
            .update_credentials(
                request.sudo_user()?,
                parse_id(&id)?,
                credentials.into_credentials(),
                totp_code.as_deref(),
                &request.meta,
            )
            .await
            .map_err(connection_error)?;
        Ok(BrokerConnection::new(connection, service.clock_now()))
    }

    /// Checks a connection with the broker now; the outcome is in `status` and `lastError`. A
    /// connection checked in the last 5 seconds answers as checked; each check costs one of
    /// your broker reads (`RATE_LIMITED` with `retryAfterSeconds` past them).
    async fn test_broker_connection(&self, ctx: &Context<'_>, id: ID) -> Result<BrokerConnection> {
        let request = RequestContext::of(ctx)?;
        let service = ctx.data::<Connections>()?;
        let connection = service
            .test(request.user()?, parse_id(&id)?)
            .await
            .map_err(connection_error)?;
        Ok(BrokerConnection::new(connection, service.clock_now()))
    }

    /// Unlinks a connection; its stored credentials are deleted at once.
    async fn unlink_broker_account(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let request = RequestContext::of(ctx)?;
        ctx.data::<Connections>()?
            .unlink(request.user()?, parse_id(&id)?, &request.meta)
            .await
            .map_err(connection_error)?;
        Ok(true)
    }
}
