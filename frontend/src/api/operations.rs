//! The app's GraphQL operations, typed from `frontend/graphql/*.graphql` against the
//! top-level `schema.graphql` (paths are relative to `frontend/Cargo.toml`).
//!
//! One struct per document; `graphql_client` generates a module of the same name in snake
//! case with its `Variables` and `ResponseData`. Responses derive `Clone` and `PartialEq` so
//! Yew can keep them in state and skip re-renders when nothing changed.

use graphql_client::GraphQLQuery;

/// Makes the schema part of this crate's sources for cargo: the derive tracks only the query
/// files, so without this a changed `schema.graphql` would not rebuild (and re-check) the
/// operations in a warm target dir. Unused, so it adds nothing to the wasm.
const _SCHEMA: &str = include_str!("../../../schema.graphql");

/// The schema's `DateTime` scalar: an RFC 3339 string, formatted for display by
/// [`crate::format::Clock`]. Kept as text because the app only shows times, and a date
/// library would add size to every download.
pub type DateTime = String;

/// `Query.serverInfo`: the server's version and database.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/server_info.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct ServerInfo;

/// `Subscription.serverTime`: the server's clock, once a second.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/server_time.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct ServerTime;
