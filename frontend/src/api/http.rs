//! Queries and mutations: one JSON `POST /graphql` per operation.
//!
//! Same origin with `credentials: same-origin`, so the session cookie that sign-in will set is
//! sent, and never to another site. The body is parsed as a GraphQL response whatever the HTTP
//! status: servers report query errors with 200 or 4xx alike, and the `errors` list is the
//! more useful of the two.
//!
//! A sensitive change refused for want of a recent authentication (`REAUTH_REQUIRED`) asks
//! the user to confirm it is them ([`super::sudo`]) and is sent again, once: the body is
//! serialized once, so the retry is exactly the request the user asked for.

use gloo_net::http::Request;
use graphql_client::{GraphQLQuery, Response};
use web_sys::RequestCredentials;

use super::sudo::{self, Confirmation};
use super::{ApiError, code};

/// The server's GraphQL endpoint, relative to the page's origin.
const ENDPOINT: &str = "/graphql";

/// Runs the operation `Q` and returns its data, or why there is none.
pub async fn fetch<Q: GraphQLQuery>(variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    let body = encode::<Q>(variables)?;
    match send::<Q>(&body).await {
        Err(refused) if refused.has_code(code::REAUTH_REQUIRED) => {
            match sudo::confirm_identity().await {
                Some(Confirmation::Confirmed) => send::<Q>(&body).await,
                Some(Confirmation::Declined) => Err(ApiError::ReauthDeclined),
                // No prompt to ask with: the server's own refusal.
                None => Err(refused),
            }
        }
        answer => answer,
    }
}

/// Runs `Q` once, never asking to confirm: for the prompt's own `reauthenticate`, which must
/// not wait for itself.
pub async fn fetch_unprompted<Q: GraphQLQuery>(
    variables: Q::Variables,
) -> Result<Q::ResponseData, ApiError> {
    send::<Q>(&encode::<Q>(variables)?).await
}

fn encode<Q: GraphQLQuery>(variables: Q::Variables) -> Result<String, ApiError> {
    serde_json::to_string(&Q::build_query(variables))
        .map_err(|error| ApiError::Encode(error.to_string()))
}

async fn send<Q: GraphQLQuery>(body: &str) -> Result<Q::ResponseData, ApiError> {
    let request = Request::post(ENDPOINT)
        .credentials(RequestCredentials::SameOrigin)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(body)
        .map_err(|error| ApiError::Encode(error.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))?;
    match serde_json::from_str::<Response<Q::ResponseData>>(&text) {
        Ok(parsed) => ApiError::check(parsed),
        Err(_) if !(200..300).contains(&status) => Err(ApiError::Status(status)),
        Err(error) => Err(ApiError::Decode(error.to_string())),
    }
}
