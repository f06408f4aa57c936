//! Queries and mutations: one JSON `POST /graphql` per operation.
//!
//! Same origin with `credentials: same-origin`, so the session cookie that sign-in will set is
//! sent, and never to another site. The body is parsed as a GraphQL response whatever the HTTP
//! status: servers report query errors with 200 or 4xx alike, and the `errors` list is the
//! more useful of the two.

use gloo_net::http::Request;
use graphql_client::{GraphQLQuery, Response};
use web_sys::RequestCredentials;

use super::ApiError;

/// The server's GraphQL endpoint, relative to the page's origin.
const ENDPOINT: &str = "/graphql";

/// Runs the operation `Q` and returns its data, or why there is none.
pub async fn fetch<Q: GraphQLQuery>(variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    let request = Request::post(ENDPOINT)
        .credentials(RequestCredentials::SameOrigin)
        .header("Accept", "application/json")
        // `json` also sets `Content-Type: application/json`.
        .json(&Q::build_query(variables))
        .map_err(|error| ApiError::Encode(error.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))?;
    match serde_json::from_str::<Response<Q::ResponseData>>(&body) {
        Ok(parsed) => ApiError::check(parsed),
        Err(_) if !(200..300).contains(&status) => Err(ApiError::Status(status)),
        Err(error) => Err(ApiError::Decode(error.to_string())),
    }
}
