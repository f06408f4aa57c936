//! The GraphQL API: the schema integrators and the web app code against.
//!
//! Rules: resolvers are thin. They read arguments, take the caller from the context, call one
//! service function and map its error. One query and one subscription type per domain, merged
//! here. `schema.graphql` at the top of the repository is this schema's SDL, checked by a test.

mod account;
mod api_tokens;
mod connections;
mod copier;
pub mod error;
mod factor_limit;
mod redact;
pub mod request;
mod server;
pub mod transport;
mod webhooks;

use async_graphql::{MergedObject, MergedSubscription, Schema};

use crate::auth::Auth;
use crate::connections::Connections;
use crate::copier::Copier;
use crate::signals::Signals;

pub use server::ServerInfo;

/// The API's schema type.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

// Every query, merged from the domains.
#[derive(MergedObject, Default)]
pub struct Query(
    server::ServerQuery,
    account::AccountQuery,
    api_tokens::ApiTokensQuery,
    connections::ConnectionsQuery,
    webhooks::WebhooksQuery,
    copier::CopierQuery,
);

// Every mutation, merged from the domains.
#[derive(MergedObject, Default)]
pub struct Mutation(
    account::AccountMutation,
    api_tokens::ApiTokensMutation,
    connections::ConnectionsMutation,
    webhooks::WebhooksMutation,
    copier::CopierMutation,
);

// Every subscription, merged from the domains.
#[derive(MergedSubscription, Default)]
pub struct Subscription(server::ServerSubscription, copier::CopierSubscription);

/// Limits that keep one request from costing the server much (SEC-19).
const MAX_DEPTH: usize = 12;
const MAX_COMPLEXITY: usize = 500;
const MAX_DIRECTIVES: usize = 16;

/// Settings the schema is built with.
#[derive(Debug, Clone)]
pub struct SchemaOptions {
    /// Allow `__schema` / `__type` queries (on by default: the schema is public).
    pub introspection: bool,
}

/// Builds the executable schema with the context every request shares.
pub fn build_schema(
    info: ServerInfo,
    auth: Auth,
    connections: Connections,
    signals: Signals,
    copier: Copier,
    options: &SchemaOptions,
) -> AppSchema {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_directives(MAX_DIRECTIVES)
    .extension(redact::RedactSyntaxErrors)
    .extension(factor_limit::OneFactorCheckPerOperation)
    .extension(transport::SocketRules)
    .data(info)
    .data(auth)
    .data(connections)
    .data(signals)
    .data(copier);
    let builder = if options.introspection {
        builder
    } else {
        builder.disable_introspection()
    };
    builder.finish()
}

/// The schema's SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish()
    .sdl()
}
