//! Operations of the API tokens section of Settings: the tokens integrators use instead of a
//! session. Same rules as [`super::operations`]: one struct per document under
//! `frontend/graphql/`.

use graphql_client::GraphQLQuery;
use serde::{Deserialize, Serialize};

/// The schema's `DateTime` scalar, as text (see [`super::operations::DateTime`]).
type DateTime = String;

/// The schema's `ApiTokenScope`: what a token may do. Shared by the operations
/// (`extern_enums`), so a scope read from the list is the one the form sends.
///
/// A scope this build does not know (a newer server) reads as `Unknown`, which the app shows
/// but never sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApiTokenScope {
    /// Queries and subscriptions.
    Read,
    /// The kill switch, and turning copy groups and followers on or off.
    Trade,
    /// Webhooks, copy groups and followers.
    Manage,
    #[serde(other)]
    Unknown,
}

/// `Query.apiTokens`: the user's tokens, with a hint of each.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/api_tokens.graphql",
    extern_enums("ApiTokenScope"),
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct ApiTokens;

/// `Mutation.createApiToken`: a new token, shown this once.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/create_api_token.graphql",
    extern_enums("ApiTokenScope"),
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct CreateApiToken;

/// `Mutation.revokeApiToken`: the token stops working at once.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/revoke_api_token.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct RevokeApiToken;
